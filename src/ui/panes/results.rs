//! The results table: only the fetched window of hits is turned into rows, so a million
//! matches cost the same as ten. Columns narrow with the terminal.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, StatefulWidget, Table, Widget};

use super::{block, title};
use crate::app::{AppState, Tz};
use crate::model::{Outcome, RecordStatus, Severity};
use crate::store::Hit;
use crate::ui::text::{format_ts, truncate};
use crate::ui::theme::Theme;
use crate::ui::views::UiViews;

/// Short severity label.
pub fn severity_label(s: Severity) -> &'static str {
    match s {
        Severity::Debug => "DEBG",
        Severity::Info => "INFO",
        Severity::Notice => "NOTE",
        Severity::Warning => "WARN",
        Severity::Error => "ERR",
        Severity::Critical => "CRIT",
    }
}

/// Integrity mark: `✓` verified, `!` a problem, `·` no seal.
pub fn integrity_mark<'a>(status: Option<&str>, theme: &Theme) -> Span<'a> {
    match status.map(RecordStatus::from_lower) {
        Some(Some(RecordStatus::Verified)) => Span::styled("\u{2713}", theme.ok()),
        Some(_) => Span::styled("!", theme.error()),
        None => Span::styled("\u{b7}", theme.muted()),
    }
}

fn resource(hit: &Hit) -> String {
    let e = &hit.event;
    match (&e.model, &e.resource.id) {
        (Some(m), _) => match &m.version {
            Some(v) => format!("{} v{v}", m.id),
            None => m.id.clone(),
        },
        (None, Some(id)) => id.clone(),
        (None, None) => e.resource.kind.clone().unwrap_or_default(),
    }
}

fn outcome(o: Outcome) -> &'static str {
    match o {
        Outcome::Success => "ok",
        Outcome::Failure => "FAIL",
        Outcome::Denied => "DENY",
        Outcome::Unknown => "",
    }
}

/// Draws the results table.
#[allow(clippy::too_many_lines)]
pub fn render(
    state: &AppState,
    views: &mut UiViews,
    theme: &Theme,
    focused: bool,
    area: Rect,
    buf: &mut Buffer,
) {
    let zone = match state.tz {
        Tz::Utc => "UTC",
        Tz::Local => "local",
    };
    let pos = if state.total == 0 {
        "0".to_owned()
    } else {
        format!("{}/{}", state.selected + 1, state.total)
    };
    let blk = block(title("Results", format!("{pos} "), theme), focused, theme);
    if state.total == 0 {
        let msg = if state.index_ready {
            "no events match"
        } else {
            "opening the index\u{2026}"
        };
        Paragraph::new(Line::styled(msg, theme.muted()))
            .block(blk)
            .render(area, buf);
        return;
    }
    let wide = area.width >= 100;
    // Very narrow tables (a side pane beside them) drop the resource column.
    let with_resource = wide || area.width >= 70;
    let time_w = match state.tz {
        Tz::Utc => 20,
        Tz::Local => 24,
    };
    let mut widths = vec![
        Constraint::Length(2),
        Constraint::Length(time_w),
        Constraint::Length(4),
    ];
    let mut header = vec![
        Cell::from(""),
        Cell::from(format!("time ({zone})")),
        Cell::from("sev"),
    ];
    if wide {
        widths.push(Constraint::Length(10));
        header.push(Cell::from("category"));
    }
    widths.extend([
        Constraint::Length(if wide { 14 } else { 10 }),
        Constraint::Fill(1),
    ]);
    header.extend(["actor", "action"].map(Cell::from));
    if with_resource {
        widths.push(Constraint::Length(if wide { 22 } else { 12 }));
        header.push(Cell::from(if wide { "resource/model" } else { "resource" }));
    }
    if wide {
        widths.push(Constraint::Length(4));
        header.push(Cell::from("out"));
    }

    // Keep the viewport where it was when the window moved.
    if views.table_base != state.window.offset {
        let abs = views.table_base + views.table.offset() as u64;
        *views.table.offset_mut() = abs.saturating_sub(state.window.offset) as usize;
        views.table_base = state.window.offset;
    }
    let rows: Vec<Row> = state
        .window
        .hits
        .iter()
        .map(|h| {
            let e = &h.event;
            let mark = if state.is_marked(h) {
                Span::styled("*", theme.mark())
            } else {
                Span::raw(" ")
            };
            let mut cells = vec![
                Cell::from(Line::from(vec![
                    mark,
                    integrity_mark(e.integrity.as_deref(), theme),
                ])),
                Cell::from(format_ts(e.ts, state.tz)),
                Cell::from(Span::styled(
                    severity_label(e.severity),
                    theme.severity(e.severity),
                )),
            ];
            if wide {
                cells.push(Cell::from(e.category.as_str()));
            }
            let out_style = match e.outcome {
                Outcome::Failure | Outcome::Denied => theme.error(),
                _ => theme.muted(),
            };
            // Narrow tables fold the outcome into the action: a failed or denied
            // action is shown in the error style with a mark.
            let action = if wide || out_style == theme.muted() {
                Span::raw(truncate(&e.action, 80))
            } else {
                Span::styled(format!("{} \u{2717}", truncate(&e.action, 80)), out_style)
            };
            cells.extend([
                Cell::from(truncate(
                    e.actor.id.as_deref().unwrap_or("-"),
                    if wide { 14 } else { 10 },
                )),
                Cell::from(action),
            ]);
            if with_resource {
                cells.push(Cell::from(truncate(
                    &resource(h),
                    if wide { 22 } else { 12 },
                )));
            }
            if wide {
                cells.push(Cell::from(Span::styled(outcome(e.outcome), out_style)));
            }
            Row::new(cells).style(theme.text())
        })
        .collect();
    let rel = state.selected.checked_sub(state.window.offset);
    let in_window = rel.is_some_and(|r| r < state.window.hits.len() as u64);
    views
        .table
        .select(rel.filter(|_| in_window).map(|r| r as usize));
    let table = Table::new(rows, widths)
        .header(Row::new(header).style(theme.header()))
        .block(blk)
        .column_spacing(1)
        .row_highlight_style(theme.selection());
    StatefulWidget::render(table, area, buf, &mut views.table);
    if !in_window {
        let y = area.y + 2;
        if y < area.bottom().saturating_sub(1) {
            Line::styled(" loading\u{2026}", theme.muted()).render(
                Rect::new(area.x + 1, y, area.width.saturating_sub(2), 1),
                buf,
            );
        }
    }
}
