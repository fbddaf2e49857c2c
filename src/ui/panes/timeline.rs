//! The timeline: matches per time bucket as stacked bars, the most severe at the bottom so
//! that errors stay visible; cursor, range selection and the active time filter.

use chrono::DateTime;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use super::{block, title};
use crate::app::{AppState, Mode, Pane};
use crate::model::Severity;
use crate::store::Histogram;
use crate::ui::text::format_ts;
use crate::ui::theme::Theme;

const EIGHTHS: [char; 9] = [
    ' ', '\u{2581}', '\u{2582}', '\u{2583}', '\u{2584}', '\u{2585}', '\u{2586}', '\u{2587}',
    '\u{2588}',
];

/// Human bucket width.
pub(crate) fn width_label(ms: i64) -> String {
    match ms {
        m if m % 86_400_000 == 0 => format!("{}d", m / 86_400_000),
        m if m % 3_600_000 == 0 => format!("{}h", m / 3_600_000),
        m if m % 60_000 == 0 => format!("{}m", m / 60_000),
        m => format!("{}s", m / 1000),
    }
}

/// A bar's height as a share of the tallest: linear, or logarithmic (so that a bucket of 3
/// stays visible beside one of 30,000 and a busy timeline is not a solid block).
fn scale(sum: u64, max: u64, log: bool) -> f64 {
    if log {
        ((sum as f64).ln_1p() / (max as f64).ln_1p()).clamp(0.0, 1.0)
    } else {
        sum as f64 / max as f64
    }
}

/// The glyph of a full cell of `level` without colour (`NO_COLOR`): denser is worse.
fn shade(level: Severity) -> char {
    match level {
        Severity::Critical => '\u{2588}',
        Severity::Error => '\u{2593}',
        Severity::Warning | Severity::Notice => '\u{2592}',
        Severity::Info | Severity::Debug => '\u{2591}',
    }
}

/// Splits a column of `height` eighths among the levels, most severe first (bottom); every
/// non-empty level gets at least one eighth.
fn stack(counts: &[u64; 6], total_eighths: usize) -> Vec<(Severity, usize)> {
    let sum: u64 = counts.iter().sum();
    let mut out = Vec::new();
    if sum == 0 || total_eighths == 0 {
        return out;
    }
    let mut left = total_eighths;
    for (i, level) in Severity::ALL.iter().enumerate().rev() {
        let c = counts[i];
        if c == 0 || left == 0 {
            continue;
        }
        let share = ((c as f64 / sum as f64) * total_eighths as f64).round() as usize;
        let n = share.clamp(1, left);
        out.push((*level, n));
        left -= n;
    }
    out
}

/// Draws the timeline.
#[allow(clippy::too_many_lines)]
pub fn render(state: &AppState, theme: &Theme, focused: bool, area: Rect, buf: &mut Buffer) {
    let filter = match (state.from, state.to) {
        (None, None) => String::new(),
        (f, t) => format!(
            " filter {} \u{2192} {} ",
            f.map_or("\u{2026}".to_owned(), |f| format_ts(Some(f), state.tz)),
            t.map_or("\u{2026}".to_owned(), |t| format_ts(Some(t), state.tz)),
        ),
    };
    let Some(h) = state.histogram.as_ref().filter(|h| !h.counts.is_empty()) else {
        let msg = if state.index_ready {
            "no timed events"
        } else {
            "waiting for the index\u{2026}"
        };
        Paragraph::new(Line::styled(msg, theme.muted()))
            .block(block(title("Timeline", filter, theme), focused, theme))
            .render(area, buf);
        return;
    };
    let extra = format!(
        "{}per {} {}{}{}",
        filter,
        width_label(h.bucket_ms),
        if state.timeline.view.is_some() {
            "(zoomed) "
        } else {
            ""
        },
        if state.log_scale { "log scale " } else { "" },
        if theme.no_color() {
            "\u{2588} crit \u{2593} err \u{2592} warn \u{2591} info "
        } else {
            ""
        }
    );
    let blk = block(title("Timeline", extra, theme), focused, theme);
    let inner = blk.inner(area);
    blk.render(area, buf);
    if inner.height < 2 || inner.width < 4 {
        return;
    }
    let bars_h = inner.height - 1;
    let max = h
        .counts
        .iter()
        .map(|c| c.iter().sum::<u64>())
        .max()
        .unwrap_or(0)
        .max(1);
    let cols = (inner.width as usize).min(h.counts.len());
    // When there are more buckets than columns, show the first `cols` (requests ask for
    // about one bucket per column).
    let cursor = state.timeline.cursor.min(h.counts.len().saturating_sub(1));
    let range = state
        .timeline
        .anchor
        .map(|a| (a.min(cursor), a.max(cursor)));
    for (x, counts) in h.counts.iter().take(cols).enumerate() {
        let sum: u64 = counts.iter().sum();
        let eighths = if sum == 0 {
            0
        } else {
            (scale(sum, max, state.log_scale) * f64::from(bars_h) * 8.0).ceil() as usize
        };
        let segments = stack(counts, eighths.max(usize::from(sum > 0)));
        let mut levels = Vec::with_capacity(eighths);
        for (lvl, n) in segments {
            levels.extend(std::iter::repeat_n(lvl, n));
        }
        let bg: Option<Style> = if focused && x == cursor {
            Some(theme.cursor())
        } else if range.is_some_and(|(a, b)| x >= a && x <= b) {
            Some(theme.range())
        } else {
            None
        };
        for row in 0..bars_h {
            let y = inner.y + bars_h - 1 - row;
            let base = usize::from(row) * 8;
            let fill = levels.len().saturating_sub(base).min(8);
            let cell = &mut buf[(inner.x + x as u16, y)];
            let mut style = Style::default();
            if let Some(b) = bg {
                style = style.patch(b);
            }
            if fill > 0 {
                style = style.patch(theme.bar(levels[base]));
            }
            // Without colour, a full cell's glyph says its severity.
            let glyph = if fill == 8 && theme.no_color() {
                shade(levels[base])
            } else {
                EIGHTHS[fill]
            };
            cell.set_char(glyph).set_style(style);
        }
    }
    // Alert markers: a triangle on the top row of the bucket where each alert fired,
    // coloured by its severity (the most severe wins a shared bucket).
    let mut marked: Vec<Option<Severity>> = vec![None; cols];
    for (ms, sev) in &state.alert_marks {
        if *ms < h.start_ms || h.bucket_ms <= 0 {
            continue;
        }
        let x = ((ms - h.start_ms) / h.bucket_ms) as usize;
        if x < cols {
            marked[x] = Some(marked[x].map_or(*sev, |m| m.max(*sev)));
        }
    }
    for (x, sev) in marked.iter().enumerate() {
        if let Some(sev) = sev {
            buf[(inner.x + x as u16, inner.y)]
                .set_char('\u{25bc}')
                .set_style(theme.severity(*sev));
        }
    }
    // Label row: start, cursor bucket, end.
    let at = |ms: i64| format_ts(DateTime::from_timestamp_millis(ms), state.tz);
    let cur_start = h.start_ms + cursor as i64 * h.bucket_ms;
    let cur_sum: u64 = h.counts.get(cursor).map_or(0, |c| c.iter().sum());
    let mid = if focused || state.mode == Mode::Normal && state.focus == Pane::Timeline {
        format!("  \u{25b2} {} : {cur_sum} events  ", at(cur_start))
    } else if h.untimed > 0 {
        format!(
            "  {} events in view, {} without time  ",
            h.total(),
            h.untimed
        )
    } else {
        format!("  {} events in view  ", h.total())
    };
    let left = at(h.start_ms);
    let right = at(h.end_ms());
    let w = inner.width as usize;
    let mut label = left.clone();
    let room = w.saturating_sub(left.chars().count() + right.chars().count());
    if mid.chars().count() <= room {
        let pad = (room - mid.chars().count()) / 2;
        label.push_str(&" ".repeat(pad));
        label.push_str(&mid);
        label.push_str(&" ".repeat(room - mid.chars().count() - pad));
    } else {
        label.push_str(&" ".repeat(room));
    }
    label.push_str(&right);
    Line::from(Span::styled(label, theme.muted()))
        .render(Rect::new(inner.x, inner.y + bars_h, inner.width, 1), buf);
}

/// The buckets' total (for tests).
pub fn total(h: &Histogram) -> u64 {
    h.total()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stacks_give_rare_levels_a_visible_share() {
        let s = stack(&[0, 1000, 0, 0, 1, 0], 16);
        assert_eq!(s[0], (Severity::Error, 1));
        assert_eq!(s[1], (Severity::Info, 15));
        assert_eq!(width_label(3_600_000), "1h");
        assert_eq!(width_label(5 * 60_000), "5m");
    }

    #[test]
    fn log_scale_keeps_small_buckets_visible_and_glyphs_differ_by_severity() {
        assert!(scale(3, 30_000, false) < 0.001);
        assert!(scale(3, 30_000, true) > 0.1);
        assert!((scale(30_000, 30_000, true) - 1.0).abs() < 1e-9);
        let glyphs: std::collections::BTreeSet<char> = [
            Severity::Critical,
            Severity::Error,
            Severity::Warning,
            Severity::Info,
        ]
        .into_iter()
        .map(shade)
        .collect();
        assert_eq!(glyphs.len(), 4);
    }
}
