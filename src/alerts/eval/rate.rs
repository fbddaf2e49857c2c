//! `rate` rules: a bucket whose count is unusual against the trailing buckets (robust z
//! score over the median and the median absolute deviation).

use chrono::DateTime;

use super::{Evaluator, State, duration_text, stamp};
use crate::alerts::alert::{Evidence, MAX_EVIDENCE};
use crate::alerts::rule::RuleKind;
use crate::model::AuditEvent;

fn median(sorted: &[f64]) -> f64 {
    let n = sorted.len();
    if n == 0 {
        return 0.0;
    }
    if n % 2 == 1 {
        sorted[n / 2]
    } else {
        f64::midpoint(sorted[n / 2 - 1], sorted[n / 2])
    }
}

/// Median and median absolute deviation of `values`.
fn median_mad(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let mut v: Vec<f64> = values.collect();
    v.sort_by(f64::total_cmp);
    let m = median(&v);
    let mut dev: Vec<f64> = v.iter().map(|x| (x - m).abs()).collect();
    dev.sort_by(f64::total_cmp);
    (m, median(&dev))
}

impl Evaluator {
    pub(super) fn push_rate(&mut self, ev: &AuditEvent, ord: Option<u64>) -> Vec<usize> {
        let RuleKind::Rate {
            bucket: size,
            baseline,
            z: z_min,
            min_count,
        } = self.rule.kind.clone()
        else {
            return Vec::new();
        };
        let Some(t) = ev.ts else {
            self.untimed += 1;
            return Vec::new();
        };
        let size_ms = size.num_milliseconds().max(1);
        let b = t.timestamp_millis().div_euclid(size_ms);
        let State::Rate {
            start,
            bucket,
            count,
            history,
            median,
            mad,
            buffer,
            open,
        } = &mut self.state
        else {
            return Vec::new();
        };
        match *bucket {
            Some(cur) if b <= cur => {}
            prev => {
                // `history` holds the counts of the buckets before `b`, since the start.
                let (last, last_count) = match prev {
                    Some(cur) => (cur, *count),
                    None => (start.unwrap_or(b).min(b) - 1, 0),
                };
                if prev.is_some() {
                    history.push_back(last_count);
                }
                let gaps = (b - last - 1).clamp(0, baseline as i64) as usize;
                history.extend(std::iter::repeat_n(0, gaps));
                while history.len() > baseline {
                    history.pop_front();
                }
                (*median, *mad) = median_mad(history.iter().map(|&c| c as f64));
                *bucket = Some(b);
                *count = 0;
                buffer.clear();
                *open = None;
            }
        }
        *count += 1;
        let evidence = Evidence::of(ev, ord);
        let id = self.pushed;
        if let Some(slot) = *open {
            self.append(slot, id, evidence);
            return Vec::new();
        }
        if buffer.len() < MAX_EVIDENCE {
            buffer.push(evidence);
        }
        let n = *count;
        // Too little history to call anything unusual.
        if history.len() < (baseline / 4).max(1) {
            return Vec::new();
        }
        let scale = (1.482_6 * *mad).max(1.0);
        let z = (n as f64 - *median) / scale;
        if n < min_count || z < z_min {
            return Vec::new();
        }
        let start_ts = DateTime::from_timestamp_millis(b * size_ms);
        let detail = format!(
            "{n} matching events in the {} from {}; trailing {} buckets: median {}, MAD {}; robust z {z:.1} >= {z_min}",
            duration_text(size),
            stamp(start_ts),
            history.len(),
            *median,
            *mad
        );
        let items: Vec<(u64, Evidence)> = buffer
            .drain(..)
            .enumerate()
            .map(|(i, e)| (u64::MAX - i as u64, e))
            .collect();
        let slot = self.new_alert(items, String::new(), detail);
        // The event just pushed is the last of the buffer; later events append by id.
        self.slots[slot].last_id = id;
        if let State::Rate { open, .. } = &mut self.state {
            *open = Some(slot);
        }
        vec![slot]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_and_mad() {
        assert_eq!(
            median_mad([1.0, 2.0, 3.0, 4.0, 100.0].into_iter()),
            (3.0, 1.0)
        );
        assert_eq!(median_mad([0.0; 4].into_iter()), (0.0, 0.0));
        assert_eq!(median_mad(std::iter::empty()), (0.0, 0.0));
    }
}
