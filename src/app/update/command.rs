//! The `:` command line: `:find`, `:context`, `:from`, `:to`, `:last`, `:tz`, `:columns`,
//! `:sort`, `:export`, `:goto`, `:errors`, `:messages`, `:logscale`, `:clear`, `:q`.

use chrono::{DateTime, Utc};

use super::{explore, locate, new_search, save_prefs, set_status};
use crate::app::effect::{Effect, LocateTarget};
use crate::app::prefs::Column;
use crate::app::state::{AppState, Pane, Tz};
use crate::model::parse_time_str;

fn parse_ts(arg: &str) -> Option<DateTime<Utc>> {
    parse_time_str(arg.trim()).map(|t| t.ts)
}

/// `:from`, `:to`, `:tz`, `:export`, `:goto`, `:clear`, `:q`.
#[allow(clippy::too_many_lines)]
pub(super) fn run_command(s: &mut AppState, line: &str) -> Vec<Effect> {
    let line = line.trim();
    let (cmd, arg) = line.split_once(' ').unwrap_or((line, ""));
    let arg = arg.trim();
    let clear = matches!(arg, "" | "-" | "none" | "any");
    if let Some(fx) = explore::run(s, cmd, arg) {
        return fx;
    }
    match cmd {
        "from" | "to" => {
            let value = if clear {
                None
            } else if let Some(rel) = explore::relative_time(s, arg) {
                match rel {
                    Ok(ms) => Some(ms),
                    Err(e) => {
                        set_status(s, format!(":{cmd} {arg}: {e}"), true);
                        return vec![];
                    }
                }
            } else if let Some(t) = parse_ts(arg) {
                Some(t.timestamp_millis())
            } else {
                set_status(
                    s,
                    format!(
                        ":{cmd}: cannot read `{arg}` as a time (RFC 3339, or -7d / -24h / -30m before the data's latest event)"
                    ),
                    true,
                );
                return vec![];
            };
            let ms = |t: Option<DateTime<Utc>>| t.map(|t| t.timestamp_millis());
            if cmd == "from" {
                explore::apply_range(s, value, ms(s.to))
            } else {
                explore::apply_range(s, ms(s.from), value)
            }
        }
        "facets" | "count" => {
            if !arg.is_empty() {
                arg.clone_into(&mut s.facet_field);
            }
            s.focus = Pane::Facets;
            s.report_cursor = 0;
            s.facets = None;
            super::fetch::facets_effect(s).into_iter().collect()
        }
        "tz" => {
            match arg {
                "utc" | "UTC" => s.tz = Tz::Utc,
                "local" => s.tz = Tz::Local,
                _ => set_status(s, ":tz takes utc or local", true),
            }
            explore::rebuild_log(s);
            vec![]
        }
        "columns" | "cols" => columns(s, arg),
        "sort" => sort(s, arg),
        "goto" => {
            if let Some(t) = parse_ts(arg) {
                locate(s, LocateTarget::Time(t.timestamp_millis()))
            } else {
                set_status(
                    s,
                    format!(":goto: cannot read `{arg}` as a time (RFC 3339)"),
                    true,
                );
                vec![]
            }
        }
        "export" | "export!" => super::case::export(s, arg, cmd.ends_with('!')),
        "report" | "report!" => super::case::report(s, arg, cmd.ends_with('!')),
        "compliance" => super::case::compliance(s, arg),
        "comment" => super::case::comment(s, arg),
        "case" => super::case::show_case(s),
        "clear" => {
            s.from = None;
            s.to = None;
            s.query.clear();
            s.timeline = crate::app::state::TimelineState::default();
            s.kept = s.selected_hit().map(crate::app::state::key_of);
            let mut fx = new_search(s);
            fx.extend(explore::keep_selection(s));
            fx
        }
        "q" | "quit" => {
            s.quit = true;
            vec![Effect::Quit]
        }
        "" => vec![],
        other => {
            set_status(
                s,
                format!(
                    "unknown command :{other} (try :find, :context, :from, :to, :last, :tz, :columns, :sort, :export, :report, :compliance, :comment, :case, :goto, :errors, :messages, :logscale, :clear, :q)"
                ),
                true,
            );
            vec![]
        }
    }
}

/// `:columns a,b,c` chooses the result columns (remembered), `:columns auto` goes back to
/// the automatic choice, `:columns` alone says what is shown and what can be.
fn columns(s: &mut AppState, arg: &str) -> Vec<Effect> {
    if arg.is_empty() {
        let now = s.columns.as_ref().map_or_else(
            || "automatic".to_owned(),
            |c| c.iter().map(|c| c.name()).collect::<Vec<_>>().join(","),
        );
        set_status(
            s,
            format!(
                "columns: {now} (choose from {}; `:columns auto` sizes and picks them from the content)",
                Column::ALL.map(Column::name).join(",")
            ),
            false,
        );
        return vec![];
    }
    if arg == "auto" {
        s.columns = None;
    } else {
        match Column::parse_list(arg) {
            Ok(c) => s.columns = Some(c),
            Err(e) => {
                set_status(s, format!(":columns: {e}"), true);
                return vec![];
            }
        }
    }
    s.hscroll = 0;
    save_prefs(s)
}

/// `:sort newest|oldest`: the index orders by time only, so time is the one sort key.
fn sort(s: &mut AppState, arg: &str) -> Vec<Effect> {
    match arg {
        "newest" | "desc" | "-time" | "time-" => s.oldest_first = false,
        "oldest" | "asc" | "time" | "+time" => s.oldest_first = true,
        _ => {
            set_status(
                s,
                ":sort takes newest or oldest (the index orders by time only)",
                true,
            );
            return vec![];
        }
    }
    vec![]
}
