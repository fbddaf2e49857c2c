//! The session layer, under both front ends (the `cmd` commands and the `app` explorer):
//! open the inputs -> fingerprint and content digest -> a cached or fresh index (one build
//! path, in `index`) -> the integrity verification, the lineage graph and the alerts,
//! each computed once per open and shared. Front ends never build indexes, verify bundles
//! or evaluate rules themselves.
//!
//! Allowed imports: `settings`, `index`, `ingest`, `integrity`, `lineage`, `alerts`,
//! `privacy` (the access trail), `model`, std. Never `cmd`, `app` or `ui`.

pub mod alerts;
pub mod case;
mod lineage;
pub mod live;
#[cfg(test)]
mod one_read_tests;
pub mod output;
pub mod report;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

pub use alerts::{Evaluation, RulesError};
pub(crate) use lineage::load_graph;
pub use lineage::{AlertsCiting, LineageObserver, graph_from_store};

use crate::index::{BuildOptions, IndexError, LiveEvent, OpenedIndex};
use crate::ingest::{IngestOptions, IngestProgress, IngestSummary};
use crate::integrity::Verification;
use crate::lineage::Graph;
use crate::privacy::trail::{self, TrailEntry, TrailError};
use crate::settings::Settings;

/// Why a session could not open its inputs.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// No input was named.
    #[error("no input given")]
    NoInput,
    /// An input cannot be read (missing, or not a folder or regular file).
    #[error("cannot read {0}")]
    Unreadable(std::io::Error),
    /// An input file cannot be opened.
    #[error("cannot open {}: {source}", .path.display())]
    Unopenable {
        /// The input.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The index could not be opened or built.
    #[error("opening the index of {inputs}: {source}")]
    Index {
        /// The inputs, as given.
        inputs: String,
        /// What failed.
        source: IndexError,
    },
}

/// The inputs a session opens, each checked: every input named on the command line exists,
/// is a folder or a regular file (links there are followed; FIFOs, devices and sockets are
/// refused, never opened) and, for a file, can be opened. What cannot be read inside a
/// folder is not an error here: the load reports it, naming its path, and loads the rest.
pub(crate) fn check_inputs(paths: &[PathBuf]) -> Result<(), SessionError> {
    if paths.is_empty() {
        return Err(SessionError::NoInput);
    }
    for p in paths {
        let kind = crate::ingest::input_kind(p).map_err(SessionError::Unreadable)?;
        if kind != crate::ingest::InputKind::Folder {
            std::fs::File::open(p).map_err(|source| SessionError::Unopenable {
                path: p.clone(),
                source,
            })?;
        }
    }
    Ok(())
}

/// Records one look at the logs in the access trail (filling in `--unmask` and `--role`).
/// With `--no-trail` the entry records only who ran which command and when, not the query,
/// inputs or bundle.
pub fn record(settings: &Settings, mut entry: TrailEntry) -> Result<(), TrailError> {
    entry.unmask = settings.unmask;
    entry.role.clone_from(&settings.role);
    if settings.untracked {
        entry = trail::untracked(&entry);
    }
    trail::record(&entry).map(|_| ())
}

/// One user's session: the settings every open uses.
#[derive(Debug, Clone)]
pub struct Session {
    settings: Settings,
}

/// Opened inputs: the index, and what is derived from them once and shared.
pub struct Opened {
    index: OpenedIndex,
    inputs: Vec<PathBuf>,
    integrity: Arc<Verification>,
}

impl Session {
    /// A session with these settings.
    pub fn new(settings: Settings) -> Self {
        Self { settings }
    }

    /// Its settings.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The build options of an open of `inputs`: the settings, the lineage observer, and
    /// the integrity statuses taken from `integrity` (its trust store keys the cache: a
    /// different store gives different statuses, so a different index).
    fn build_options(&self, integrity: &Arc<Verification>) -> BuildOptions {
        let s = &self.settings;
        BuildOptions {
            index_dir: Some(s.cache_root.clone()),
            reindex: s.reindex,
            ingest: IngestOptions {
                limits: s.limits,
                status: crate::integrity::status_lookup(integrity),
                threads: s.threads,
                mapping: Arc::clone(&s.mapping),
                file_tap: None,
            },
            writer_budget: s.writer_budget,
            threads: s.threads,
            key_extra: s.cache_key_extra(),
            observers: vec![Box::new(LineageObserver::default())],
            verify_cache: s.verify_cache,
            // A cold build of one sealed tar verifies it from the load's own read.
            provisional: crate::integrity::one_read(integrity),
        }
    }

    fn verification(&self, inputs: &[PathBuf]) -> Arc<Verification> {
        Arc::new(Verification::new(inputs, self.settings.trust.store.clone()))
    }

    /// Opens the cached index of `inputs`, or builds it (calling `on_progress` during the
    /// load); `notice` hears notes such as a damaged cache being rebuilt.
    pub fn open(
        &self,
        inputs: &[PathBuf],
        on_progress: &mut dyn FnMut(IngestProgress),
        notice: &mut dyn FnMut(String),
    ) -> Result<Opened, SessionError> {
        check_inputs(inputs)?;
        let integrity = self.verification(inputs);
        let mut opts = self.build_options(&integrity);
        let index = crate::index::open_or_build(inputs, &mut opts, on_progress, notice).map_err(
            |source| SessionError::Index {
                inputs: display_paths(inputs),
                source,
            },
        )?;
        Ok(Opened {
            index,
            inputs: inputs.to_vec(),
            integrity,
        })
    }

    /// Opens the cached index of `inputs` or builds it live (the explorer), with at most
    /// `threads` indexing threads, reporting each step through `report`. Returns the opened
    /// inputs once complete, `None` when cancelled.
    pub(crate) fn open_live<F>(
        &self,
        inputs: &[PathBuf],
        threads: usize,
        cancel: &Arc<AtomicBool>,
        report: F,
    ) -> Result<Option<Opened>, SessionError>
    where
        F: Fn(LiveEvent) + Send + Sync + Clone + 'static,
    {
        let integrity = self.verification(inputs);
        let mut opts = self.build_options(&integrity);
        // A live build shows rows before the verdict: never a provisional label.
        opts.provisional = None;
        opts.threads = opts.threads.min(threads).max(1);
        let done: Arc<std::sync::Mutex<Option<OpenedIndex>>> = Arc::default();
        let forward = {
            let done = Arc::clone(&done);
            move |ev: LiveEvent| {
                if let LiveEvent::Done(opened) = &ev
                    && let Ok(mut slot) = done.lock()
                {
                    *slot = Some((**opened).clone());
                }
                report(ev);
            }
        };
        crate::index::build_live(inputs, &mut opts, cancel, forward).map_err(|source| {
            SessionError::Index {
                inputs: display_paths(inputs),
                source,
            }
        })?;
        let index = done.lock().ok().and_then(|mut s| s.take());
        Ok(index
            .filter(|_| !cancel.load(std::sync::atomic::Ordering::Relaxed))
            .map(|index| Opened {
                index,
                inputs: inputs.to_vec(),
                integrity,
            }))
    }
}

impl Opened {
    /// The index and its cache entry.
    pub fn index(&self) -> &OpenedIndex {
        &self.index
    }

    /// The index as a [`Store`](crate::store::Store): what front ends query.
    pub fn store(&self) -> Result<crate::index::LocalStore, IndexError> {
        self.index.store()
    }

    /// The inputs, as given.
    pub fn inputs(&self) -> &[PathBuf] {
        &self.inputs
    }

    /// What the load found.
    pub fn summary(&self) -> &IngestSummary {
        &self.index.summary
    }

    /// Content digest of the inputs (hex SHA-256).
    pub fn digest(&self) -> &str {
        &self.index.digest
    }

    /// The cache folder of the index.
    pub fn dir(&self) -> &Path {
        &self.index.dir
    }

    /// True when a cached index was reused.
    pub fn reused(&self) -> bool {
        self.index.reused
    }

    /// The verification of the sealed inputs: done during a fresh build (the record
    /// statuses come from it), else on first use; never twice.
    pub fn integrity(&self) -> &Arc<Verification> {
        &self.integrity
    }

    /// The lineage graph (saved beside the index, else built again from the inputs).
    pub fn lineage(&self, opts: IngestOptions, note: &mut dyn FnMut(String)) -> Graph {
        load_graph(&self.index.dir, &self.inputs, opts, note)
    }

    /// The alerts of `rules` over the index.
    pub fn alerts(&self, rules: &crate::alerts::RuleSet) -> Result<Evaluation, RulesError> {
        let store = self.store().map_err(crate::store::StoreError::from)?;
        alerts::evaluate(&store, rules)
    }
}

fn display_paths(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}
