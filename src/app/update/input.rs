//! The search bar and the command line as line editors. The search bar previews the query
//! while typing (debounced), but *applies* it only on Enter and only once the index has
//! accepted it: Enter on a refused query keeps the bar open with the error, Esc puts back
//! the query that was applied before. Applied queries go into the per-user history
//! (↑ / ↓), and Tab completes field names (from `model::fields`) and known values.
//!
//! Allowed imports: `super` (the update helpers), `app` (state, effects, prefs), `model`
//! (the field table, vocabularies), `alerts` (reading a field's value).

use std::time::Duration;

use super::{new_search, set_status};
use crate::app::effect::Effect;
use crate::app::line::LineInput;
use crate::app::prefs::Prefs;
use crate::app::state::{AppState, Completion, Mode};
use crate::model::fields::{self, FieldDef};
use crate::model::{Category, Format, Outcome, RecordStatus, Severity, TsQuality};

/// Quiet time after a keystroke before the query runs.
const DEBOUNCE: Duration = Duration::from_millis(60);

/// Opens the search bar on the applied query.
pub(super) fn focus_search(s: &mut AppState) -> Vec<Effect> {
    s.mode = Mode::Search;
    s.input = LineInput::new(s.query.clone());
    s.query_before.clone_from(&s.query);
    s.history_pos = None;
    s.completion = None;
    s.submit_pending = false;
    s.kept = s.selected_hit().map(crate::app::state::key_of);
    vec![]
}

/// Applies an editing operation to the line of the current mode; `op` says whether the
/// text changed. In the search bar a changed text is previewed (debounced).
pub(super) fn edit(s: &mut AppState, op: impl FnOnce(&mut LineInput) -> bool) -> Vec<Effect> {
    match s.mode {
        Mode::Search => {
            s.completion = None;
            if op(&mut s.input) {
                s.history_pos = None;
                changed(s)
            } else {
                vec![]
            }
        }
        Mode::Command => {
            op(&mut s.command);
            vec![]
        }
        Mode::Normal | Mode::Help => vec![],
    }
}

/// The search bar's text changed: preview it, debounced on both edges (a keystroke after a
/// quiet spell searches at once; keystrokes closer together than `DEBOUNCE` to the last
/// search are coalesced into one search when the spell ends).
fn changed(s: &mut AppState) -> Vec<Effect> {
    s.submit_pending = false;
    s.query_dirty = true;
    let quiet = match (s.now, s.last_search_at) {
        (Some(now), Some(last)) => now >= last + DEBOUNCE,
        (_, None) => true,
        (None, Some(_)) => false,
    };
    if quiet && s.debounce.is_none() {
        new_search(s)
    } else {
        let base = s.last_search_at.or(s.now);
        s.debounce = base.map(|b| b + DEBOUNCE);
        vec![]
    }
}

/// Makes the bar's text the applied query and leaves the bar.
fn apply(s: &mut AppState) -> Vec<Effect> {
    s.query = s.input.text().to_owned();
    s.mode = Mode::Normal;
    s.submit_pending = false;
    s.completion = None;
    let mut fx = super::explore::keep_selection(s);
    let before = s.history.clone();
    Prefs::remember(&mut s.history, &s.query);
    if s.history != before {
        fx.extend(save_prefs(s));
    }
    fx
}

/// The effect that saves the history and the columns, when there is a folder for them.
pub(super) fn save_prefs(s: &AppState) -> Vec<Effect> {
    s.prefs_dir
        .clone()
        .map(|dir| Effect::SavePrefs {
            dir,
            prefs: Prefs {
                history: s.history.clone(),
                columns: s.columns.clone(),
            },
        })
        .into_iter()
        .collect()
}

/// Enter in the search bar: applies a query known to be good, keeps the bar open on a
/// refused one, and otherwise waits for the index's answer.
pub(super) fn submit(s: &mut AppState) -> Vec<Effect> {
    let text = s.input.text().to_owned();
    if s.query_error.is_some() && s.error_query == text && !s.query_dirty {
        set_status(
            s,
            "the query is refused: fix it, or Esc puts back the previous one",
            true,
        );
        return vec![];
    }
    if !s.index_ready || (!s.query_dirty && s.shown_query == text && s.requested_query == text) {
        return apply(s);
    }
    s.submit_pending = true;
    if s.query_dirty || s.requested_query != text {
        new_search(s)
    } else {
        vec![]
    }
}

/// A page answer arrived: finish a pending Enter.
pub(super) fn answered(s: &mut AppState, ok: bool) -> Vec<Effect> {
    if !s.submit_pending || s.mode != Mode::Search {
        return vec![];
    }
    if ok && s.shown_query == s.input.text() {
        return apply(s);
    }
    if !ok && s.error_query == s.input.text() {
        s.submit_pending = false;
    }
    vec![]
}

/// Esc in the search bar: leaves it and puts back the query applied before.
pub(super) fn leave(s: &mut AppState) -> Vec<Effect> {
    s.mode = Mode::Normal;
    s.completion = None;
    s.submit_pending = false;
    s.history_pos = None;
    s.query.clone_from(&s.query_before);
    if s.query_error.is_some() && s.error_query != s.query {
        s.query_error = None;
    }
    if s.query_dirty || s.requested_query != s.query || s.shown_query != s.query {
        let mut fx = new_search(s);
        fx.extend(super::explore::keep_selection(s));
        fx
    } else {
        vec![]
    }
}

/// ↑ (`older`) / ↓ in the search bar: walks the history; past the newest entry, the text
/// typed before comes back.
pub(super) fn history(s: &mut AppState, older: bool) -> Vec<Effect> {
    if s.mode != Mode::Search || s.history.is_empty() {
        return vec![];
    }
    s.completion = None;
    let last = s.history.len() - 1;
    let next = match (s.history_pos, older) {
        (None, true) => {
            s.history_draft = s.input.text().to_owned();
            Some(last)
        }
        (None, false) => return vec![],
        (Some(p), true) => Some(p.saturating_sub(1)),
        (Some(p), false) if p < last => Some(p + 1),
        (Some(_), false) => None,
    };
    let text = match next {
        Some(p) => s.history[p].clone(),
        None => std::mem::take(&mut s.history_draft),
    };
    s.history_pos = next;
    if text == s.input.text() {
        return vec![];
    }
    s.input.set(text);
    changed(s)
}

/// Whether a value can be written bare in a query (else it is quoted).
fn bare(v: &str) -> bool {
    !v.is_empty()
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '@'))
}

/// Values remembered per field at most (completion is a help, not an index).
const LEARNED_MAX: usize = 128;

/// The values of keyword field `field` in `e` (the alerts' field reader; a field with
/// several values gives one each).
fn values_of(e: &crate::model::AuditEvent, field: &FieldDef) -> Vec<String> {
    match crate::alerts::field_value(e, field.name) {
        None => Vec::new(),
        Some(v) if field.many => v.split(',').map(str::to_owned).collect(),
        Some(v) => vec![v.into_owned()],
    }
}

/// Remembers the values of the results just received, for completion (bounded per field;
/// values that cannot be quoted safely are left out). Learned are the keyword fields of
/// open-ended values (`known_values` is indexed like `fields::KEYWORDS`); a closed
/// vocabulary is offered from its enum.
pub(super) fn learn(s: &mut AppState) {
    for (i, field) in fields::KEYWORDS.iter().enumerate() {
        if s.known_values.len() <= i {
            s.known_values.push(std::collections::BTreeSet::new());
        }
        if field.closed {
            continue;
        }
        let set = &mut s.known_values[i];
        for h in &s.window.hits {
            if set.len() >= LEARNED_MAX {
                break;
            }
            for v in values_of(&h.event, field) {
                if !v.contains(['"', '\\']) && !v.chars().any(char::is_control) {
                    set.insert(v);
                }
            }
        }
    }
}

/// Values of `field` that completion offers: the closed vocabularies, and for other
/// keyword fields the values seen in the results so far.
fn known_values(s: &AppState, field: &str) -> Vec<String> {
    let words = |all: Vec<&str>| all.into_iter().map(str::to_owned).collect::<Vec<_>>();
    match field {
        fields::SEVERITY => words(Severity::ALL.iter().map(|v| v.as_str()).collect()),
        fields::OUTCOME => words(Outcome::ALL.iter().map(|v| v.as_str()).collect()),
        fields::CATEGORY => words(Category::ALL.iter().map(|v| v.as_str()).collect()),
        fields::FORMAT => words(Format::ALL.iter().map(|v| v.as_str()).collect()),
        fields::TS_QUALITY => words(TsQuality::ALL.iter().map(|v| v.as_str()).collect()),
        fields::INTEGRITY => RecordStatus::ALL
            .iter()
            .map(|v| v.lower().to_owned())
            .collect(),
        _ => fields::KEYWORDS
            .iter()
            .position(|f| f.name == field)
            .and_then(|i| s.known_values.get(i))
            .map(|set| set.iter().cloned().collect())
            .unwrap_or_default(),
    }
}

/// The candidates for the word before the cursor: (where the word starts, replacements).
fn candidates(s: &AppState) -> (usize, Vec<String>) {
    let text = s.input.text();
    let before = &text[..s.input.cursor()];
    let mut start = before
        .char_indices()
        .rev()
        .find(|(_, c)| c.is_whitespace() || matches!(c, '(' | ')'))
        .map_or(0, |(i, c)| i + c.len_utf8());
    // A leading `-` or `+` (not, must) stays.
    if before[start..].starts_with(['-', '+']) {
        start += 1;
    }
    let word = &before[start..];
    let found = if let Some((field, value)) = word.split_once(':') {
        let prefix = value.trim_start_matches('"');
        known_values(s, field)
            .into_iter()
            .filter(|v| v.starts_with(prefix))
            .map(|v| {
                if bare(&v) {
                    format!("{field}:{v}")
                } else {
                    format!("{field}:\"{v}\"")
                }
            })
            .collect()
    } else {
        fields::query_field_names()
            .into_iter()
            .filter(|n| !n.contains('<') && n.starts_with(word))
            .map(|n| format!("{n}:"))
            .collect()
    };
    (start, found)
}

fn common_prefix(xs: &[String]) -> &str {
    let Some(first) = xs.first() else { return "" };
    let mut n = first.len();
    for x in &xs[1..] {
        n = first
            .char_indices()
            .zip(x.chars())
            .find(|((_, a), b)| a != b)
            .map_or(n.min(x.len()), |((i, _), _)| i)
            .min(n);
    }
    &first[..n]
}

/// Tab: completes the word before the cursor to the candidates' common prefix; when that
/// adds nothing, Tab cycles through the candidates (listed in the status line).
pub(super) fn complete(s: &mut AppState) -> Vec<Effect> {
    if s.mode != Mode::Search {
        return vec![];
    }
    if let Some(c) = &mut s.completion {
        c.index = (c.index + 1) % c.candidates.len().max(1);
        let (start, pick) = (c.start, c.candidates[c.index].clone());
        let n = c.candidates.len();
        let i = c.index;
        s.input.replace_before_cursor(start, &pick);
        set_status(s, format!("Tab {}/{n}: {pick}", i + 1), false);
        return changed(s);
    }
    let (start, found) = candidates(s);
    let word_len = s.input.cursor() - start;
    match found.len() {
        0 => {
            set_status(s, "no completion", false);
            vec![]
        }
        1 => {
            let mut pick = found[0].clone();
            if !pick.ends_with(':') {
                pick.push(' ');
            }
            s.input.replace_before_cursor(start, &pick);
            changed(s)
        }
        n => {
            let prefix = common_prefix(&found).to_owned();
            let shown: Vec<&str> = found.iter().take(8).map(String::as_str).collect();
            let more = if n > 8 { " \u{2026}" } else { "" };
            set_status(
                s,
                format!("{n} completions: {}{more}", shown.join("  ")),
                false,
            );
            if prefix.len() > word_len {
                s.input.replace_before_cursor(start, &prefix);
                return changed(s);
            }
            s.completion = Some(Completion {
                start,
                candidates: found,
                index: 0,
            });
            let pick = s.completion.as_ref().map(|c| c.candidates[0].clone());
            if let Some(p) = pick {
                s.input.replace_before_cursor(start, &p);
            }
            changed(s)
        }
    }
}
