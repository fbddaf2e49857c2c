//! The auditor's desk: what the runtime does for the case file, `:export`, `:report` and
//! the Compliance pane, through the session layer the `export` and `report` commands use
//! (`session::output`, `session::report`, `session::case`): the same safeguards, formats
//! and access-trail entries. Runs on worker threads (or inline in tests), never in
//! `update`.

use std::path::{Path, PathBuf};

use chrono::Utc;
use serde_json::json;

use super::action::Action;
use super::desk_error::DeskError;
use super::state::{PaneReport, ReportRow, RowTarget};
use crate::governance::{Catalog, ComplianceReport, Status};
use crate::model::{Severity, escape_control};
use crate::privacy::{Masker, TrailEntry};
use crate::session::case::{CaseFile, Recorder};
use crate::session::{output, report};
use crate::settings::Settings;
use crate::store::{Filter, Jump, SearchRequest, Store};

/// What the runtime needs beyond the store: where the case file and the trail go, the
/// session's settings (standards, trust store) and the inputs.
#[derive(Clone, Default)]
pub struct Desk {
    /// Saves case files and writes the access trail; `None`: neither (tests).
    pub recorder: Option<Recorder>,
    /// The session's settings (reports need them); `None`: no reports.
    pub settings: Option<Settings>,
    /// The inputs, as given.
    pub paths: Vec<PathBuf>,
    /// The completed local index (live follow adds to it); empty for a remote store.
    pub opened: super::follow::OpenedSlot,
    /// The follow thread.
    pub follow: std::sync::Arc<super::follow::FollowControl>,
}

impl std::fmt::Debug for Desk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Desk")
            .field("recorder", &self.recorder)
            .field("paths", &self.paths)
            .finish_non_exhaustive()
    }
}

/// One export the explorer asked for.
#[derive(Debug, Clone, Copy)]
pub struct ExportJob<'a> {
    /// The file (`~` expanded).
    pub path: &'a Path,
    /// The events.
    pub request: &'a SearchRequest,
    /// Replace an existing file.
    pub force: bool,
    /// `query` or `marked`.
    pub what: &'a str,
    /// Content digest of the inputs.
    pub digest: Option<&'a str>,
}

impl Desk {
    fn record(&self, entry: TrailEntry) -> Result<(), DeskError> {
        match &self.recorder {
            Some(r) => r.record(entry).map_err(|e| DeskError::Trail(e.to_string())),
            None => Ok(()),
        }
    }

    /// Writes the events of `job` as JSON lines (the CLI's event-model records), with the
    /// CLI's safeguards, recorded in the access trail first. Returns the file and count.
    pub fn export(
        &self,
        store: &dyn Store,
        job: ExportJob<'_>,
        masker: &Masker,
    ) -> Result<(PathBuf, u64), DeskError> {
        let ExportJob {
            path,
            request,
            force,
            what,
            digest,
        } = job;
        if output::refuses(path, force) {
            return Err(DeskError::Exists {
                replace: ":export! FILE",
                path: path.to_owned(),
            });
        }
        let stamp = |t: Option<chrono::DateTime<Utc>>| t.map(|t| t.to_rfc3339());
        self.record(TrailEntry {
            command: "export".into(),
            bundle: digest.map(str::to_owned),
            query: Some(request.query.clone()),
            filters: json!({
                "from": stamp(request.from),
                "to": stamp(request.to),
                "format": "jsonl",
                "events": what,
                "jump": request.filter.as_ref().map(crate::index::filter_query),
                "explorer": true,
            }),
            export: Some(output::absolute(path).display().to_string()),
            ..TrailEntry::default()
        })?;
        let sel = request.selection();
        output::write_file(path, force, |w| {
            output::write_events(store, &sel, masker, w, &mut output::jsonl_line)
        })
        .map(|(n, written)| (written.path, n))
        .map_err(|e| DeskError::output(&e))
    }

    /// The saved case file of `digest`.
    pub(crate) fn load_case(&self, digest: &str) -> Action {
        Action::CaseLoaded(match &self.recorder {
            Some(r) => r.load(digest).map_err(|e| DeskError::Case(e.to_string())),
            None => Ok(CaseFile::new(digest)),
        })
    }

    /// Saves the case file and records the change.
    pub(crate) fn save_case(&self, file: &CaseFile, change: &serde_json::Value) -> Vec<Action> {
        match &self.recorder {
            Some(r) => match r.save(file, change) {
                Ok(_) => vec![],
                Err(e) => vec![Action::CaseSaveFailed(e.to_string())],
            },
            None => vec![],
        }
    }

    /// The report of `standard` over the store (the whole of the open inputs).
    fn build(
        &self,
        store: &dyn Store,
        standard: &str,
        masker: &Masker,
    ) -> Result<(ComplianceReport, &Settings), DeskError> {
        let settings = self.settings.as_ref().ok_or(DeskError::NoSettings)?;
        let catalog = Catalog::load(standard, settings.config_dir.as_deref())
            .map_err(|e| DeskError::Catalog(e.to_string()))?;
        let graph = crate::session::graph_from_store(store)
            .map_err(|e| DeskError::Lineage(e.to_string()))?;
        // The open's one verification of the inputs; a remote store has no local inputs.
        let verification = match self.opened.lock().ok().and_then(|o| o.clone()) {
            Some(local) => local.verification,
            // No completed local index to take it from (a remote store has no local
            // inputs: nothing sealed): verify the inputs for this report.
            None => std::sync::Arc::new(crate::integrity::Verification::new(
                &self.paths,
                settings.trust.store.clone(),
            )),
        };
        let sealed = (
            report::integrity(&verification).map_err(|e| DeskError::output(&e))?,
            report::input_digests(&self.paths).map_err(|e| DeskError::output(&e))?,
        );
        let r = report::build_report(
            &catalog,
            store,
            &graph,
            sealed,
            (None, None),
            masker,
            Utc::now(),
        )
        .map_err(|e| DeskError::output(&e))?;
        Ok((r, settings))
    }

    /// Writes the report of `standard` with the case file as its own section to `path`
    /// (format by extension), with the export safeguards; recorded in the access trail.
    pub(crate) fn write_report(
        &self,
        store: &dyn Store,
        job: ReportJob<'_>,
        masker: &Masker,
    ) -> Result<String, DeskError> {
        let ReportJob {
            standard,
            path,
            force,
            case,
            digest,
        } = job;
        let shown = escape_control(&path.display().to_string()).into_owned();
        if output::refuses(path, force) {
            return Err(DeskError::Exists {
                replace: ":report! NAME FILE",
                path: path.to_owned(),
            });
        }
        let format = report::ReportFormat::for_path(path);
        let (mut r, _) = self.build(store, standard, masker)?;
        r.case_file = report::case_notes(case, store, masker).map_err(|e| DeskError::output(&e))?;
        self.record(TrailEntry {
            command: "report".into(),
            bundle: digest.map(str::to_owned),
            filters: json!({
                "standard": standard,
                "format": format!("{format:?}").to_lowercase(),
                "out": output::absolute(path).display().to_string(),
                "case_file": r.case_file.len(),
                "explorer": true,
            }),
            export: Some(output::absolute(path).display().to_string()),
            ..TrailEntry::default()
        })?;
        let bytes = report::render(&r, format, masker).map_err(|e| DeskError::output(&e))?;
        let ((), written) = output::write_file(path, force, |w| Ok(w.write_all(&bytes)?))
            .map_err(|e| DeskError::output(&e))?;
        Ok(format!(
            "wrote the {} report to {shown}: {}, {} case-file event(s); sha256 {} in {}",
            escape_control(standard),
            r.status(),
            r.case_file.len(),
            &written.sha256[..12],
            escape_control(&written.sidecar.display().to_string())
        ))
    }

    /// Starts or stops following the inputs; results go to `out`.
    pub fn follow(
        &self,
        on: bool,
        masker: std::sync::Arc<Masker>,
        out: std::sync::mpsc::Sender<super::msg::Msg>,
    ) -> Vec<Action> {
        let max_line = self
            .settings
            .as_ref()
            .map_or(1 << 20, |s| s.limits.max_line_bytes);
        self.follow
            .set(on, &self.opened, &self.paths, max_line, masker, out)
    }

    /// The Compliance pane of `standard`.
    pub fn compliance(&self, store: &dyn Store, standard: &str, masker: &Masker) -> Action {
        Action::ComplianceDone {
            standard: standard.to_owned(),
            result: self
                .build(store, standard, masker)
                .map(|(r, _)| compliance_pane(&r)),
        }
    }
}

/// One `:report` the explorer asked for.
#[derive(Debug, Clone, Copy)]
pub struct ReportJob<'a> {
    /// The standard.
    pub standard: &'a str,
    /// The file.
    pub path: &'a Path,
    /// Replace an existing file.
    pub force: bool,
    /// The case file.
    pub case: &'a CaseFile,
    /// Content digest of the inputs.
    pub digest: Option<&'a str>,
}

fn level(s: Status) -> Severity {
    match s {
        Status::Gap => Severity::Error,
        Status::NotEvidenced => Severity::Warning,
        Status::Met => Severity::Info,
    }
}

/// The controls, their checks and findings; Enter on a finding shows its evidence.
pub(crate) fn compliance_pane(r: &ComplianceReport) -> PaneReport {
    let row = |text: String, level: Severity, jump: Option<Jump>| ReportRow {
        text: escape_control(&text).into_owned(),
        level,
        jump,
        target: RowTarget::None,
    };
    let mut rows = Vec::new();
    for c in &r.controls {
        rows.push(row(
            format!("[{}] {} {}", c.status, c.id, c.title),
            level(c.status),
            None,
        ));
        for k in &c.checks {
            rows.push(row(
                format!("  [{}] {}: {}", k.status, k.title, k.summary),
                level(k.status),
                None,
            ));
            for f in &k.findings {
                let ords: Vec<u64> = f.evidence.iter().filter_map(|e| e.ord).collect();
                let filter = if ords.is_empty() {
                    f.evidence.first().map(|e| Filter::Lines {
                        path: e.path.clone(),
                        from: e.line,
                        to: e.line,
                    })
                } else {
                    Some(Filter::Ords(ords))
                };
                let jump = filter.map(|filter| Jump {
                    label: escape_control(&format!("evidence of: {}", f.summary)).into_owned(),
                    filter,
                });
                let more = if jump.is_some() {
                    "  (Enter: evidence)"
                } else {
                    ""
                };
                rows.push(row(
                    format!("    - [{}] {}{more}", f.status, f.summary),
                    level(f.status),
                    jump,
                ));
            }
        }
    }
    let count = |s: Status| r.controls.iter().filter(|c| c.status == s).count();
    PaneReport {
        heading: format!(
            "{}: {} control(s): {} met, {} gap, {} not evidenced; integrity {}; \
             :compliance NAME for another standard, :report NAME FILE writes it",
            r.standard,
            r.controls.len(),
            count(Status::Met),
            count(Status::Gap),
            count(Status::NotEvidenced),
            r.integrity.verdict
        ),
        rows,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn desk_errors_read_as_the_status_line_messages_did() {
        // The status line shows these exactly as when they were plain strings.
        let exists = DeskError::Exists {
            replace: ":export! FILE",
            path: PathBuf::from("out\u{1b}[2J.jsonl"),
        };
        assert_eq!(
            exists.to_string(),
            "the file exists (:export! FILE replaces it): out\\x1b[2J.jsonl"
        );
        let report = DeskError::Exists {
            replace: ":report! NAME FILE",
            path: PathBuf::from("r.md"),
        };
        assert_eq!(
            report.to_string(),
            "the file exists (:report! NAME FILE replaces it): r.md"
        );
        assert_eq!(
            DeskError::Trail("disk full".into()).to_string(),
            "disk full (nothing was written: an export must be in the access trail)"
        );
        assert_eq!(
            DeskError::NoSettings.to_string(),
            "reports need the session's settings"
        );
        let chain = anyhow::anyhow!("disk full").context("writing r.md");
        assert_eq!(
            DeskError::output(&chain).to_string(),
            "writing r.md: disk full"
        );
    }
}
