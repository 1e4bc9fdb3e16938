//! newstrack: batch-process folders of news articles into trend reports of how coverage
//! mentions topics and actors over time. Module list only; no logic here.
//!
//! The flow of one article: `ingest` → `analyze` → `tag` → `aggregate` → `report`, driven by
//! `pipeline` on rayon threads; `config` compiles the pipeline file every stage reads.

pub mod aggregate;
pub mod analyze;
pub mod app;
pub mod cli;
pub mod config;
pub mod export;
pub mod ingest;
pub mod partial;
pub mod pipeline;
pub mod pool;
pub mod report;
pub mod simd;
pub mod spill;
pub mod state;
pub mod tag;
pub mod tuning;
