//! Report panes (integrity, lineage, alerts): rows with a severity and a jump query, or a
//! plain statement of what is not there yet. Never invented data, and never cut silently:
//! long rows wrap (continuation rows indented under their row), or with `w` they are cut
//! with a `…` at the edge and ←/→ scroll them sideways. The heading is drawn inside the
//! pane, wrapped, rather than in the border where it would be cut.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{List, ListItem, ListState, Paragraph, StatefulWidget, Widget};

use super::detail::lead;
use super::{PaneCtx, block, title};
use crate::app::{AppState, PaneReport};
use crate::model::escape_control;
use crate::ui::text::{clip_line, wrap_line};

/// Fits one logical line to `cols` columns: wrapped, or cut at the horizontal scroll.
fn fit(state: &AppState, line: &Line<'_>, cols: usize) -> Vec<Line<'static>> {
    if state.nowrap {
        vec![clip_line(line, usize::from(state.text_hscroll), cols)]
    } else {
        wrap_line(line, cols, lead(line) + 2)
    }
}

/// A report pane, borrowed from the state for one frame; its list selection is the
/// widget's state (`UiViews::report`).
pub struct ReportPane<'a> {
    /// The pane's title.
    pub name: &'a str,
    /// Its rows, once computed.
    pub report: Option<&'a PaneReport>,
    /// What it says until then (lines split at `\n`).
    pub missing: &'a str,
    /// The state, styles and focus.
    pub ctx: PaneCtx<'a>,
}

impl StatefulWidget for ReportPane<'_> {
    type State = ListState;

    fn render(self, area: Rect, buf: &mut Buffer, list_state: &mut ListState) {
        let Self {
            name,
            report,
            missing,
            ctx:
                PaneCtx {
                    state,
                    theme,
                    focused,
                },
        } = self;
        let blk = block(title(name, String::new(), theme), focused, theme);
        let inner = blk.inner(area);
        let cols = usize::from(inner.width);
        let Some(report) = report else {
            let lines: Vec<Line> = missing
                .split('\n')
                .flat_map(|l| fit(state, &Line::styled(l.to_owned(), theme.muted()), cols))
                .collect();
            Paragraph::new(lines).block(blk).render(area, buf);
            return;
        };
        blk.render(area, buf);
        // The heading (verdict, counts) on top, wrapped: at most a third of the pane.
        let heading: Vec<Line<'static>> = if report.heading.trim().is_empty() {
            Vec::new()
        } else {
            let h = Line::from(Span::styled(
                escape_control(report.heading.trim()).into_owned(),
                theme.title(),
            ));
            fit(state, &h, cols)
        };
        let head_rows = heading
            .len()
            .min(usize::from(inner.height / 3).max(1))
            .min(usize::from(inner.height));
        let head_area = Rect::new(inner.x, inner.y, inner.width, head_rows as u16);
        Paragraph::new(heading).render(head_area, buf);
        let list_area = Rect::new(
            inner.x,
            inner.y + head_rows as u16,
            inner.width,
            inner.height.saturating_sub(head_rows as u16),
        );
        let items: Vec<ListItem> = report
            .rows
            .iter()
            .map(|r| {
                let line = Line::from(vec![
                    Span::styled(
                        escape_control(&r.text).into_owned(),
                        theme.severity(r.level),
                    ),
                    Span::styled(
                        if r.jump.is_some() { "  \u{21b5}" } else { "" },
                        theme.muted(),
                    ),
                ]);
                ListItem::new(fit(state, &line, cols))
            })
            .collect();
        let cursor = state.report_cursor.min(report.rows.len().saturating_sub(1));
        list_state.select((!report.rows.is_empty()).then_some(cursor));
        let list = List::new(items).highlight_style(theme.selection());
        StatefulWidget::render(list, list_area, buf, list_state);
    }
}
