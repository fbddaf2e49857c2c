//! auditlens: a fast, trustworthy terminal explorer for machine-learning audit logs.
//!
//! The library holds everything testable; `main.rs` only parses arguments and maps errors
//! to exit codes. Module dependency direction: `ui` -> `app` -> (`index`, `ingest`,
//! `integrity`, `lineage`, `alerts`) -> `model`.

pub mod alerts;
pub mod app;
pub mod cli;
pub mod cmd;
pub mod config;
pub mod governance;
pub mod index;
pub mod ingest;
pub mod integrity;
pub mod lineage;
pub mod model;
pub mod privacy;
pub mod sample;
pub mod ui;
