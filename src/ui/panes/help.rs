//! The help overlay, generated from the keymap (user bindings included and marked).

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Widget};

use super::detail::draw_scrolled;
use super::{block, title};
use crate::app::{AppState, Mode};
use crate::ui::keymap::Keymap;
use crate::ui::strings::describe;
use crate::ui::text::wrap_line;
use crate::ui::theme::Theme;

/// The help text lines (generated from the keymap).
pub fn lines(keymap: &Keymap, theme: &Theme) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    for (mode, heading) in [
        (Mode::Normal, "Moving around"),
        (Mode::Search, "Search bar (/)"),
        (Mode::Command, "Command line (:)"),
        (Mode::Help, "This help"),
    ] {
        out.push(Line::styled(heading, theme.header()));
        for (action, binds) in keymap.bindings(mode) {
            let chords: Vec<String> = binds
                .iter()
                .map(|b| {
                    if b.user {
                        format!("{} (user)", b.chord)
                    } else {
                        b.chord.clone()
                    }
                })
                .collect();
            out.push(Line::from(vec![
                Span::styled(format!("  {:<22}", chords.join(" ")), theme.input()),
                Span::styled(describe(&action), theme.text()),
            ]));
        }
        out.push(Line::raw(""));
    }
    out.push(Line::styled("Commands", theme.header()));
    for (c, d) in [
        (":from TS / :to TS", "time filter (RFC 3339; `-` clears)"),
        (":tz utc|local", "display zone"),
        (
            ":columns a,b,c",
            "result columns (time sev actor action outcome model version env resource category source input; `auto`), remembered",
        ),
        (
            ":sort newest|oldest",
            "order of the results (by time: the index sorts by time only)",
        ),
        (":goto TS", "jump to the first event at or before TS"),
        (":facets FIELD", "count a field's values (Facets pane)"),
        (":export FILE", "write the current results as JSON lines"),
        (":clear", "drop query and time filter"),
        (":q", "quit"),
    ] {
        out.push(Line::from(vec![
            Span::styled(format!("  {c:<22}"), theme.input()),
            Span::styled(d, theme.text()),
        ]));
    }
    out
}

/// Draws the overlay centred on `area`.
pub fn render(state: &AppState, theme: &Theme, keymap: &Keymap, area: Rect, buf: &mut Buffer) {
    let [v] = area.layout(&Layout::vertical([Constraint::Percentage(90)]).flex(Flex::Center));
    let [popup] = v.layout(&Layout::horizontal([Constraint::Max(90)]).flex(Flex::Center));
    Clear.render(popup, buf);
    let blk = block(
        title("Help", "(Esc closes, j/k g/G scroll) ".to_owned(), theme),
        true,
        theme,
    );
    let cols = usize::from(blk.inner(popup).width);
    let rows: Vec<Line<'static>> = lines(keymap, theme)
        .iter()
        .flat_map(|l| wrap_line(l, cols, 24))
        .collect();
    draw_scrolled(&rows, state.help_scroll, None, blk, popup, buf);
}
