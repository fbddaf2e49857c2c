//! The results table: only the rows on screen are built, so a million matches cost the
//! same as ten. Columns are sized by their content (capped, cut with `…`), picked
//! automatically (empty ones hidden) or with `:columns`; the time column stays while ←/→
//! scroll the others. Oldest first shows the same list reversed.

use std::fmt::Write as _;

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, StatefulWidget, Table, Widget};

use super::{PaneCtx, block, title};
use crate::app::{AppState, Column, Tz};
use crate::model::{Outcome, PENDING, RecordStatus, Severity, escape_control};
use crate::store::Hit;
use crate::ui::highlight;
use crate::ui::text::{format_ts, truncate, width};
use crate::ui::theme::Theme;
use crate::ui::views::UiViews;

/// Short severity label.
pub(crate) fn severity_label(s: Severity) -> &'static str {
    match s {
        Severity::Debug => "DEBG",
        Severity::Info => "INFO",
        Severity::Notice => "NOTE",
        Severity::Warning => "WARN",
        Severity::Error => "ERR",
        Severity::Critical => "CRIT",
    }
}

/// Integrity mark: `✓` verified, `!` a problem, `…` not known yet, `·` no seal.
pub(crate) fn integrity_mark<'a>(status: Option<&str>, theme: &Theme) -> Span<'a> {
    if status == Some(PENDING) {
        return Span::styled("\u{2026}", theme.muted());
    }
    match status.map(RecordStatus::from_lower) {
        Some(Some(RecordStatus::Verified)) => Span::styled("\u{2713}", theme.ok()),
        Some(_) => Span::styled("!", theme.error()),
        None => Span::styled("\u{b7}", theme.muted()),
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

/// The header of a column.
fn header(col: Column, tz: Tz) -> &'static str {
    match (col, tz) {
        (Column::Time, Tz::Utc) => "time (UTC)",
        (Column::Time, Tz::Local) => "time (local)",
        (Column::Sev, _) => "sev",
        (Column::Outcome, _) => "out",
        (Column::Version, _) => "ver",
        (c, _) => c.name(),
    }
}

/// A cell's text (escaped) and style.
fn cell(col: Column, hit: &Hit, tz: Tz, theme: &Theme) -> (String, Style) {
    let e = &hit.event;
    let esc = |s: &str| escape_control(s).into_owned();
    let opt = |s: &Option<String>| s.as_deref().map(esc).unwrap_or_default();
    let text = theme.text();
    match col {
        Column::Time => (format_ts(e.ts, tz), text),
        Column::Sev => (
            severity_label(e.severity).to_owned(),
            theme.severity(e.severity),
        ),
        Column::Category => (e.category.as_str().to_owned(), text),
        Column::Actor => (esc(e.actor.id.as_deref().unwrap_or("-")), text),
        Column::Action => (esc(&e.action), text),
        Column::Outcome => (
            outcome(e.outcome).to_owned(),
            match e.outcome {
                Outcome::Failure | Outcome::Denied => theme.error(),
                _ => theme.muted(),
            },
        ),
        Column::Model => (
            e.model.as_ref().map(|m| esc(&m.id)).unwrap_or_default(),
            text,
        ),
        Column::Version => (
            e.model
                .as_ref()
                .and_then(|m| m.version.as_deref())
                .map(esc)
                .unwrap_or_default(),
            text,
        ),
        Column::Env => (opt(&e.environment), text),
        Column::Resource => (
            esc(e
                .resource
                .id
                .as_deref()
                .or(e.resource.kind.as_deref())
                .unwrap_or_default()),
            text,
        ),
        Column::Source => (opt(&e.source), text),
        Column::Input => (esc(&e.origin.path), theme.muted()),
    }
}

/// Cuts `s` to `w` columns with a `…`; the input column keeps the end (the file name).
fn fit(col: Column, s: &str, w: usize) -> String {
    if width(s) <= w {
        return s.to_owned();
    }
    if col == Column::Input {
        let tail: Vec<char> = s.chars().rev().take(w.saturating_sub(1)).collect();
        let mut out = String::from("\u{2026}");
        out.extend(tail.into_iter().rev());
        return out;
    }
    truncate(s, w)
}

/// The columns to show: the chosen ones, or every column that has content on screen (the
/// input file only when several inputs are open).
fn pick_columns(state: &AppState, cells: &[Option<Vec<(String, Style)>>]) -> Vec<usize> {
    let index = |c: Column| Column::ALL.iter().position(|x| *x == c).unwrap_or(0);
    if let Some(chosen) = &state.columns {
        // In the order the user gave.
        return chosen.iter().map(|c| index(*c)).collect();
    }
    let several_inputs = state.bundle.contains(", ");
    Column::ALL
        .iter()
        .enumerate()
        .filter(|(i, c)| match c {
            Column::Time | Column::Sev | Column::Actor | Column::Action => true,
            Column::Input => several_inputs,
            _ => cells.iter().flatten().any(|r| !r[*i].0.is_empty()),
        })
        .map(|(i, _)| i)
        .collect()
}

/// The results table, borrowed from the state for one frame; the table's scroll state
/// (`UiViews`) is the widget's state.
pub struct ResultsPane<'a>(pub PaneCtx<'a>);

impl StatefulWidget for ResultsPane<'_> {
    type State = UiViews;

    #[allow(clippy::too_many_lines)]
    fn render(self, area: Rect, buf: &mut Buffer, views: &mut UiViews) {
        let PaneCtx {
            state,
            theme,
            focused,
        } = self.0;
        let pos = if state.total == 0 {
            "0".to_owned()
        } else {
            format!("{}/{}", state.display_pos(state.selected) + 1, state.total)
        };
        let order = if state.oldest_first {
            "oldest first"
        } else {
            "newest first"
        };
        if state.total == 0 {
            let msg = if state.index_ready {
                "no events match"
            } else {
                "opening the index\u{2026}"
            };
            let blk = block(title("Results", format!("{pos} "), theme), focused, theme);
            Paragraph::new(Line::styled(msg, theme.muted()))
                .block(blk)
                .render(area, buf);
            return;
        }
        // The viewport, in display positions: keep the selection in view.
        let height = u64::from(area.height.saturating_sub(3)).max(1);
        let sel = state.display_pos(state.selected);
        let mut top = views.table_base;
        if views.centered != state.center_request {
            // A jump: a target off screen comes to the middle, not the edge.
            views.centered = state.center_request;
            if sel < top || sel >= top + height {
                top = sel.saturating_sub(height / 2);
            }
        }
        if sel < top {
            top = sel;
        } else if sel >= top + height {
            top = sel + 1 - height;
        }
        top = top.min(state.total.saturating_sub(height));
        views.table_base = top;
        *views.table.offset_mut() = 0;
        let end = (top + height).min(state.total);
        // Cells of the rows on screen only, every column (cheap: a few dozen rows).
        let visible: Vec<Option<&Hit>> = (top..end)
            .map(|d| state.window.get(state.display_pos(d)))
            .collect();
        let cells: Vec<Option<Vec<(String, Style)>>> = visible
            .iter()
            .map(|h| h.map(|h| Column::ALL.map(|c| cell(c, h, state.tz, theme)).to_vec()))
            .collect();
        let cols = pick_columns(state, &cells);
        // Sizes from the content, capped so one long value cannot take the whole table.
        let inner_w = usize::from(area.width.saturating_sub(2));
        let cap = (inner_w * 3 / 5).max(12);
        let natural: Vec<usize> = cols
            .iter()
            .map(|&i| {
                let c = Column::ALL[i];
                let content = cells
                    .iter()
                    .flatten()
                    .map(|r| width(&r[i].0))
                    .max()
                    .unwrap_or(0);
                content.max(width(header(c, state.tz))).min(cap)
            })
            .collect();
        // The time column stays; the others scroll sideways.
        let pinned: Vec<usize> = (0..cols.len())
            .filter(|k| Column::ALL[cols[*k]] == Column::Time)
            .collect();
        let scrollable: Vec<usize> = (0..cols.len()).filter(|k| !pinned.contains(k)).collect();
        let skip = usize::from(state.hscroll).min(scrollable.len().saturating_sub(1));
        let mut shown: Vec<(usize, usize)> = Vec::new();
        let mut used = 2usize;
        for &k in &pinned {
            shown.push((k, natural[k]));
            used += natural[k] + 1;
        }
        let mut hidden_right = 0;
        for (n, &k) in scrollable.iter().enumerate().skip(skip) {
            let room = inner_w.saturating_sub(used + 1);
            if natural[k] <= room {
                shown.push((k, natural[k]));
                used += natural[k] + 1;
            } else if room >= 6 {
                shown.push((k, room));
                hidden_right = scrollable.len() - n - 1;
                break;
            } else {
                hidden_right = scrollable.len() - n;
                break;
            }
        }
        let mut extra = format!("{pos} \u{2502} {order} ");
        if skip > 0 || hidden_right > 0 {
            let _ = write!(
                extra,
                "\u{2502} {}columns {}{} ",
                if skip > 0 { "\u{25c0} " } else { "" },
                if hidden_right > 0 {
                    format!("{hidden_right} more")
                } else {
                    "all shown".to_owned()
                },
                if hidden_right > 0 { " \u{25b6}" } else { "" },
            );
        }
        let find = state.find.as_ref();
        if let Some(f) = find {
            let n = f
                .total
                .map_or_else(|| "\u{2026}".to_owned(), |n| n.to_string());
            let _ = write!(extra, "\u{2502} find: {n} match(es), n / N ");
        }
        let blk = block(title("Results", extra, theme), focused, theme);
        let mut widths = vec![Constraint::Length(if find.is_some() { 3 } else { 2 })];
        let mut head = vec![Cell::from("")];
        for (k, w) in &shown {
            widths.push(Constraint::Length(*w as u16));
            head.push(Cell::from(fit(
                Column::ALL[cols[*k]],
                header(Column::ALL[cols[*k]], state.tz),
                *w,
            )));
        }
        let rows: Vec<Row> = visible
            .iter()
            .zip(&cells)
            .map(|(hit, cells)| {
                let (Some(h), Some(cells)) = (hit, cells) else {
                    return Row::new(vec![Cell::from(""), Cell::from("\u{2026}")])
                        .style(theme.muted());
                };
                let mark = if state.is_marked(h) {
                    Span::styled("*", theme.mark())
                } else {
                    Span::raw(" ")
                };
                let mut lead = vec![mark, integrity_mark(h.event.integrity.as_deref(), theme)];
                let found = find.is_some_and(|f| f.matches(h.ord));
                if find.is_some() {
                    lead.push(if found {
                        Span::styled("\u{203a}", theme.match_highlight())
                    } else {
                        Span::raw(" ")
                    });
                }
                let mut row = vec![Cell::from(Line::from(lead))];
                for (k, w) in &shown {
                    let i = cols[*k];
                    let (text, style) = &cells[i];
                    let text = fit(Column::ALL[i], text, *w);
                    row.push(Cell::from(Line::from(match find {
                        Some(f) if found => {
                            highlight::spans(&text, &f.needles, *style, theme.match_highlight())
                        }
                        _ => vec![Span::styled(text, *style)],
                    })));
                }
                Row::new(row).style(theme.text())
            })
            .collect();
        let rel = sel - top;
        views.table.select(Some(rel as usize));
        let table = Table::new(rows, widths)
            .header(Row::new(head).style(theme.header()))
            .block(blk)
            .column_spacing(1)
            .row_highlight_style(theme.selection());
        StatefulWidget::render(table, area, buf, &mut views.table);
    }
}
