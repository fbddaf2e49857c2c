//! Why the auditor's desk (`desk`: exports, reports, the case file, the Compliance pane)
//! could not do what it was asked: the error the actions carry back to `update`. Its own
//! file so that `action` names it without importing the desk's runtime.

use std::path::PathBuf;

use crate::model::escape_control;

/// Why an explorer export, report, case file or Compliance pane could not be made. The
/// variants carry their cause as text (the sources are not `Clone`, and actions are).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeskError {
    /// The output file exists and the command was not forced (`replace` says how to).
    #[error("the file exists ({replace} replaces it): {}", escape_control(&.path.display().to_string()))]
    Exists {
        /// The command that replaces the file (`:export! FILE`).
        replace: &'static str,
        /// The file.
        path: PathBuf,
    },
    /// The access trail could not record the access, so nothing was written.
    #[error("{0} (nothing was written: an export must be in the access trail)")]
    Trail(String),
    /// A report was asked for without the session's settings.
    #[error("reports need the session's settings")]
    NoSettings,
    /// The control catalog of the standard could not be loaded.
    #[error("{0}")]
    Catalog(String),
    /// The events could not be read for the lineage graph.
    #[error("{0}")]
    Lineage(String),
    /// The saved case file could not be read.
    #[error("{0}")]
    Case(String),
    /// Building, rendering or writing the output failed (the cause chain).
    #[error("{0}")]
    Output(String),
}

impl DeskError {
    /// An output failure with its whole cause chain.
    pub(super) fn output(e: &anyhow::Error) -> Self {
        Self::Output(format!("{e:#}"))
    }
}
