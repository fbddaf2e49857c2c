//! The `:` command line: `:from`, `:to`, `:tz`, `:export`, `:goto`, `:clear`, `:q`.

use std::path::PathBuf;

use chrono::{DateTime, Utc};

use super::{locate, new_search, request, set_status};
use crate::app::effect::{Effect, LocateTarget};
use crate::app::state::{AppState, Tz};
use crate::model::parse_time_str;

fn parse_ts(arg: &str) -> Option<DateTime<Utc>> {
    parse_time_str(arg.trim()).map(|t| t.ts)
}

/// `:from`, `:to`, `:tz`, `:export`, `:goto`, `:clear`, `:q`.
pub(super) fn run_command(s: &mut AppState, line: &str) -> Vec<Effect> {
    let line = line.trim();
    let (cmd, arg) = line.split_once(' ').unwrap_or((line, ""));
    let arg = arg.trim();
    let clear = matches!(arg, "" | "-" | "none" | "any");
    match cmd {
        "from" | "to" => {
            let value = if clear {
                None
            } else if let Some(t) = parse_ts(arg) {
                Some(t)
            } else {
                set_status(
                    s,
                    format!(":{cmd}: cannot read `{arg}` as a time (RFC 3339)"),
                    true,
                );
                return vec![];
            };
            if cmd == "from" {
                s.from = value;
            } else {
                s.to = value;
            }
            s.timeline.view = None;
            new_search(s)
        }
        "tz" => {
            match arg {
                "utc" | "UTC" => s.tz = Tz::Utc,
                "local" => s.tz = Tz::Local,
                _ => set_status(s, ":tz takes utc or local", true),
            }
            vec![]
        }
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
        "export" => {
            if arg.is_empty() {
                set_status(s, ":export needs a file name", true);
                return vec![];
            }
            set_status(s, format!("exporting to {arg}..."), false);
            vec![Effect::Export {
                path: PathBuf::from(arg),
                request: request(s, &s.requested_query, 0, 0),
            }]
        }
        "clear" => {
            s.from = None;
            s.to = None;
            s.query.clear();
            s.timeline = crate::app::state::TimelineState::default();
            new_search(s)
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
                    "unknown command :{other} (try :from, :to, :tz, :export, :goto, :clear, :q)"
                ),
                true,
            );
            vec![]
        }
    }
}
