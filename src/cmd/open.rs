//! `auditlens [open] [PATH...]`: the interactive explorer. With no path, opens the shipped
//! sample `sample-data/pristine` (looked for in the current folder, then beside the
//! executable and its parents, then in the source tree the binary was built from).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use super::Outcome;
use crate::app::RunOptions;
use crate::cli::UiArgs;
use crate::session::Session;
use crate::ui::UiSettings;

/// Where the shipped sample lives, relative to a base folder.
const SAMPLE: &str = "sample-data/pristine";

/// Finds the shipped sample.
pub(crate) fn find_sample() -> Option<PathBuf> {
    let mut bases: Vec<PathBuf> = Vec::new();
    if let Ok(cwd) = std::env::current_dir() {
        bases.push(cwd);
    }
    if let Ok(exe) = std::env::current_exe() {
        bases.extend(exe.ancestors().skip(1).map(Path::to_path_buf));
    }
    bases.push(PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    bases
        .into_iter()
        .map(|b| b.join(SAMPLE))
        .find(|p| p.is_dir())
}

/// Runs the explorer on `paths`, or on the Quickwit index at `remote`.
pub fn run(
    paths: Vec<PathBuf>,
    remote: Option<&str>,
    session: &Session,
    ui: &UiArgs,
) -> Result<Outcome> {
    let settings = session.settings();
    if let Some(url) = remote {
        let store = super::remote_store(url, session.settings())?;
        let ui_settings = UiSettings::load(settings.config_dir.as_deref(), ui)
            .context("loading the configuration")?;
        super::access_log::record(
            settings,
            super::remote_entry(
                "tui",
                &store,
                None,
                serde_json::json!({"tz": ui.tz, "mouse": ui.mouse}),
            ),
        )?;
        crate::app::run(RunOptions {
            paths: Vec::new(),
            session: session.clone(),
            ui: ui_settings,
            remote: Some(std::sync::Arc::new(store)),
        })?;
        return Ok(Outcome::Ok);
    }
    let paths = if paths.is_empty() {
        match find_sample() {
            Some(p) => vec![p],
            None => bail!(
                "no bundle given and the shipped sample ({SAMPLE}) was not found; \
                 run `auditlens PATH...` or create it with `auditlens sample --out {SAMPLE}`"
            ),
        }
    } else {
        paths
    };
    crate::session::check_inputs(&paths)?;
    let ui_settings = UiSettings::load(settings.config_dir.as_deref(), ui)
        .context("loading the configuration")?;
    // Masked unless --unmask; the session is recorded in the access trail before anything
    // is shown (the content digest is not computed up front: opening must stay instant).
    super::access_log::record_open(
        settings,
        "tui",
        &paths,
        None,
        None,
        serde_json::json!({"tz": ui.tz, "mouse": ui.mouse}),
    )?;
    crate::app::run(RunOptions {
        paths,
        session: session.clone(),
        ui: ui_settings,
        remote: None,
    })?;
    Ok(Outcome::Ok)
}
