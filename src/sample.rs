//! The deterministic sample generator (`auditlens sample`): a realistic ML-platform story
//! with planted incidents, written as a sealed native bundle.
//!
//! Allowed imports: `model`, `integrity` (the bundle writer), std, `serde_json`, chrono.

mod rng;
mod story;

pub use rng::Rng;
pub use story::{DAYS, Story, StoryEvent};

use std::path::Path;

/// Writes the sample bundle into `out` and returns a one-line report.
pub fn write_sample(out: &Path, events: u64, seed: u64) -> std::io::Result<String> {
    let _ = (events, seed);
    Err(std::io::Error::other(format!(
        "sample generator not written yet ({})",
        out.display()
    )))
}
