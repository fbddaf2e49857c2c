//! The detail view: the selected event's fields, its integrity status, the original record
//! pretty-printed with syntax colours (wrapped, never truncated), and related events by
//! `run_id` / `correlation_id`.

use std::fmt::Write as _;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, StatefulWidget, Widget};

use super::results::{integrity_mark, severity_label};
use super::{PaneCtx, block, title};
use crate::app::{AppState, Scroll};
use crate::model::{PENDING, RecordStatus, escape_control};
use crate::store::Hit;
use crate::ui::text::{clip_line, format_ts, json_lines, wrap_line};
use crate::ui::theme::Theme;
use crate::ui::views::{DetailCache, DetailKey, UiViews};

fn field(name: &str, value: String, theme: &Theme) -> Line<'static> {
    Line::from(vec![
        Span::styled(format!("{name:<12}"), theme.muted()),
        Span::styled(value, theme.text()),
    ])
}

fn esc(s: &str) -> String {
    escape_control(s).into_owned()
}

/// What an integrity status means, in words.
pub(crate) fn integrity_words(status: Option<&str>) -> String {
    match status.map(|s| (s, RecordStatus::from_lower(s))) {
        None => "not checked: this input carries no seal (no integrity information)".to_owned(),
        Some((PENDING, _)) => {
            "PENDING: the bundle is being verified; the status shows when it ends".to_owned()
        }
        Some((_, Some(RecordStatus::Verified))) => {
            "VERIFIED: authenticated by the signed hash chain".to_owned()
        }
        Some((_, Some(RecordStatus::Unverified))) => {
            "UNVERIFIED: consistent, but not reachable from a trusted signature".to_owned()
        }
        Some((other, _)) => format!(
            "{}: this record does not match the sealed chain",
            esc(&other.to_uppercase())
        ),
    }
}

/// The blanks a line starts with (continuation rows of a wrapped line go further in).
pub fn lead(line: &Line<'_>) -> usize {
    line.spans
        .iter()
        .flat_map(|s| s.content.chars())
        .take_while(|c| *c == ' ')
        .count()
}

/// Draws `lines` (rows already fitted to the width, or to be cut at `hscroll`) scrolled by
/// `scroll` into `area` inside `blk`, never past the last row.
pub(crate) fn draw_scrolled(
    lines: &[Line<'static>],
    scroll: Scroll,
    cut_at: Option<usize>,
    blk: ratatui::widgets::Block<'_>,
    area: Rect,
    buf: &mut Buffer,
) {
    let inner = blk.inner(area);
    let h = usize::from(inner.height);
    let top = scroll.resolve(lines.len().saturating_sub(h));
    let shown: Vec<Line<'static>> = lines
        .iter()
        .skip(top)
        .take(h)
        .map(|l| match cut_at {
            Some(skip) => clip_line(l, skip, usize::from(inner.width)),
            None => l.clone(),
        })
        .collect();
    Paragraph::new(shown).block(blk).render(area, buf);
}

/// The detail view, borrowed from the state for one frame. Its lines are built once per
/// selection and kept in the widget's state (`UiViews`).
pub struct DetailPane<'a>(pub PaneCtx<'a>);

impl StatefulWidget for DetailPane<'_> {
    type State = UiViews;

    fn render(self, area: Rect, buf: &mut Buffer, views: &mut UiViews) {
        let PaneCtx {
            state,
            theme,
            focused,
        } = self.0;
        let Some(hit) = state.selected_hit() else {
            let msg = if state.total == 0 {
                "no event selected"
            } else {
                "loading\u{2026}"
            };
            Paragraph::new(Line::styled(msg, theme.muted()))
                .block(block(title("Detail", String::new(), theme), focused, theme))
                .render(area, buf);
            return;
        };
        let key = DetailKey {
            ord: hit.ord,
            integrity: hit.event.integrity.clone(),
            tz: state.tz,
            related: state
                .related
                .as_ref()
                .map(|r| (r.ord, r.total, r.hits.len(), r.query.len())),
            find: state
                .find
                .as_ref()
                .map(|f| f.needles.clone())
                .unwrap_or_default(),
        };
        if views.detail.as_ref().is_none_or(|c| c.key != key) {
            let mut lines = detail_lines(state, hit, theme);
            if !key.find.is_empty() {
                lines = lines
                    .iter()
                    .map(|l| crate::ui::highlight::line(l, &key.find, theme.match_highlight()))
                    .collect();
            }
            views.detail = Some(DetailCache {
                key,
                lines,
                wrapped: Vec::new(),
                wrapped_at: 0,
            });
        }
        let Some(cache) = views.detail.as_mut() else {
            return;
        };
        let e = &hit.event;
        let t = title("Detail", format!("#{} {} ", hit.ord, esc(&e.action)), theme);
        let blk = block(t, focused, theme);
        let cols = usize::from(blk.inner(area).width);
        if state.nowrap {
            draw_scrolled(
                &cache.lines,
                state.detail_scroll,
                Some(usize::from(state.text_hscroll)),
                blk,
                area,
                buf,
            );
            return;
        }
        if cache.wrapped_at != cols {
            cache.wrapped = cache
                .lines
                .iter()
                .flat_map(|l| wrap_line(l, cols, lead(l) + 2))
                .collect();
            cache.wrapped_at = cols;
        }
        draw_scrolled(&cache.wrapped, state.detail_scroll, None, blk, area, buf);
    }
}

/// The detail view's lines for `hit`.
#[allow(clippy::too_many_lines)]
fn detail_lines(state: &AppState, hit: &Hit, theme: &Theme) -> Vec<Line<'static>> {
    let e = &hit.event;
    let mut lines: Vec<Line<'static>> = Vec::new();
    lines.push(field(
        "time",
        format!("{}  ({})", format_ts(e.ts, state.tz), e.ts_quality.as_str()),
        theme,
    ));
    lines.push(Line::from(vec![
        Span::styled(format!("{:<12}", "severity"), theme.muted()),
        Span::styled(e.severity.as_str().to_owned(), theme.severity(e.severity)),
        Span::styled("   outcome ", theme.muted()),
        Span::styled(
            e.outcome.as_str().to_owned(),
            match e.outcome {
                crate::model::Outcome::Failure | crate::model::Outcome::Denied => theme.error(),
                _ => theme.text(),
            },
        ),
        Span::styled("   category ", theme.muted()),
        Span::styled(e.category.as_str().to_owned(), theme.text()),
    ]));
    lines.push(field("action", esc(&e.action), theme));
    let mut actor = esc(e.actor.id.as_deref().unwrap_or("-"));
    if let Some(k) = &e.actor.kind {
        let _ = write!(actor, " ({})", esc(k));
    }
    if !e.actor.roles.is_empty() {
        let _ = write!(actor, " roles {}", esc(&e.actor.roles.join(",")));
    }
    if let Some(ip) = &e.actor.ip {
        let _ = write!(actor, " ip {}", esc(ip));
    }
    lines.push(field("actor", actor, theme));
    let r = &e.resource;
    if r.id.is_some() || r.kind.is_some() {
        let mut s = format!(
            "{} {}",
            esc(r.kind.as_deref().unwrap_or("")),
            esc(r.id.as_deref().unwrap_or(""))
        );
        if let Some(v) = &r.version {
            let _ = write!(s, " v{}", esc(v));
        }
        if !r.tags.is_empty() {
            let _ = write!(s, " [{}]", esc(&r.tags.join(",")));
        }
        lines.push(field("resource", s.trim().to_owned(), theme));
    }
    if let Some(m) = &e.model {
        lines.push(field(
            "model",
            format!("{} {}", esc(&m.id), esc(m.version.as_deref().unwrap_or(""))),
            theme,
        ));
    }
    for (name, v) in [
        ("run_id", &e.run_id),
        ("parent_run", &e.parent_run_id),
        ("correlation", &e.correlation_id),
        ("environment", &e.environment),
        ("message", &e.message),
    ] {
        if let Some(v) = v {
            lines.push(field(name, esc(v), theme));
        }
    }
    let o = &e.origin;
    let mut src = format!("{}:{} ({})", esc(&o.path), o.line, o.format.as_str());
    if let Some(s) = &o.stream {
        let _ = write!(src, " stream {}", esc(s));
    }
    if let Some(s) = o.seq {
        let _ = write!(src, " seq {s}");
    }
    lines.push(field("source", src, theme));
    let status = e.integrity.as_deref();
    lines.push(Line::from(vec![
        Span::styled(format!("{:<12}", "integrity"), theme.muted()),
        integrity_mark(status, theme),
        Span::raw(" "),
        Span::styled(
            integrity_words(status),
            match status.map(RecordStatus::from_lower) {
                Some(Some(RecordStatus::Verified)) => theme.ok(),
                Some(_) if status == Some(PENDING) => theme.muted(),
                Some(_) => theme.error(),
                None => theme.muted(),
            },
        ),
    ]));
    lines.push(Line::raw(""));
    lines.push(Line::styled("Original record", theme.header()));
    lines.extend(json_lines(&hit.raw, theme));
    lines.push(Line::raw(""));
    match &state.related {
        Some(rel) if rel.ord == hit.ord && rel.query.is_empty() => {
            lines.push(Line::styled(
                "Related events: none (no run_id or correlation_id)",
                theme.muted(),
            ));
        }
        Some(rel) if rel.ord == hit.ord => {
            lines.push(Line::from(vec![
                Span::styled("Related events ", theme.header()),
                Span::styled(
                    format!("({} by {})", rel.total, esc(&rel.query)),
                    theme.muted(),
                ),
            ]));
            for h in &rel.hits {
                let here = h.ord == hit.ord;
                lines.push(Line::from(vec![
                    Span::styled(if here { "\u{25b6} " } else { "  " }, theme.mark()),
                    Span::styled(format_ts(h.event.ts, state.tz), theme.muted()),
                    Span::raw(" "),
                    Span::styled(
                        severity_label(h.event.severity),
                        theme.severity(h.event.severity),
                    ),
                    Span::raw(" "),
                    Span::styled(
                        format!(
                            "{} {}",
                            esc(&h.event.action),
                            esc(h.event.actor.id.as_deref().unwrap_or(""))
                        ),
                        theme.text(),
                    ),
                ]));
            }
        }
        _ => lines.push(Line::styled("Related events: \u{2026}", theme.muted())),
    }
    lines
}
