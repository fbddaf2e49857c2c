//! auditlens: a fast, trustworthy terminal explorer for machine-learning audit logs.
//!
//! The library holds everything testable; `main.rs` only parses arguments and maps errors
//! to exit codes. Module dependency direction (README, Architecture): `cmd` and `app` (with
//! `ui`) -> `settings` -> `session` -> (`index`, `integrity`, `lineage`, `alerts`,
//! `privacy`) -> `ingest` -> `model`.

pub mod alerts;
pub mod app;
pub mod cli;
pub mod cmd;
pub(crate) mod config;
#[doc(hidden)]
pub mod fuzzing;
pub mod governance;
pub mod index;
pub mod ingest;
pub mod integrity;
pub mod lineage;
pub mod model;
pub mod privacy;
pub(crate) mod querylang;
pub mod remote;
pub mod sample;
pub mod session;
pub mod settings;
pub mod store;
pub mod ui;
