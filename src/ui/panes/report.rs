//! Report panes (integrity, lineage, alerts): rows with a severity and a jump query, or a
//! plain statement that the feature is not in this build. Never invented data.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{List, ListItem, Paragraph, StatefulWidget, Widget, Wrap};

use super::{block, title};
use crate::app::{AppState, PaneReport};
use crate::model::escape_control;
use crate::ui::theme::Theme;
use crate::ui::views::UiViews;

/// Draws a report pane.
#[allow(clippy::too_many_arguments)]
pub fn render(
    name: &str,
    report: Option<&PaneReport>,
    missing: &str,
    state: &AppState,
    views: &mut UiViews,
    theme: &Theme,
    focused: bool,
    area: Rect,
    buf: &mut Buffer,
) {
    let Some(report) = report else {
        let lines: Vec<Line> = missing
            .split('\n')
            .map(|l| Line::styled(l.to_owned(), theme.muted()))
            .collect();
        Paragraph::new(lines)
            .block(block(title(name, String::new(), theme), focused, theme))
            .wrap(Wrap { trim: false })
            .render(area, buf);
        return;
    };
    let items: Vec<ListItem> = report
        .rows
        .iter()
        .map(|r| {
            ListItem::new(Line::from(vec![
                Span::styled(
                    escape_control(&r.text).into_owned(),
                    theme.severity(r.level),
                ),
                Span::styled(
                    if r.jump.is_some() { "  \u{21b5}" } else { "" },
                    theme.muted(),
                ),
            ]))
        })
        .collect();
    let cursor = state.report_cursor.min(report.rows.len().saturating_sub(1));
    views
        .report
        .select((!report.rows.is_empty()).then_some(cursor));
    let list = List::new(items)
        .block(block(
            title(name, escape_control(&report.heading).into_owned(), theme),
            focused,
            theme,
        ))
        .highlight_style(theme.selection());
    StatefulWidget::render(list, area, buf, &mut views.report);
}
