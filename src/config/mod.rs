//! Pipeline configuration in two phases (house rule 1): `spec` mirrors the TOML file with
//! serde, `compile` validates it and builds the `Pipeline` every stage reads.
//!
//! Owns reading pipeline files and reporting their errors. Stages never see spec types.

pub mod compile;
pub mod spec;

pub use compile::{
    compile, load, ConfigError, ConfigErrors, Entity, EntityKind, Event, Period, Pipeline,
};
