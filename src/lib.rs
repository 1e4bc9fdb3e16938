//! newstrack: batch-process folders of news articles into trend reports of how coverage
//! mentions topics and actors over time. Module list and re-exports only; no logic here.

pub mod analyze;
pub mod tag;
pub mod config;
