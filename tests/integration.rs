//! One integration-test binary (STYLE.md section 8): submodules share the helpers here.

// Test helpers outside #[test] functions may unwrap: a failure is a failed test.
#![allow(clippy::unwrap_used, clippy::format_collect)]

mod alerts;
mod cache;
mod case;
mod cli;
mod common;
mod find;
mod governance;
mod hostile;
mod index;
mod integrity;
mod lineage;
mod platforms;
mod privacy;
mod realdata;
mod reports;
mod sample;
mod store;
mod ui;
