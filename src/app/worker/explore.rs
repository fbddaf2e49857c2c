//! The find, context and data-span jobs: positions worked out from the store's keyed
//! positions (`Store::position`), so they reach any depth without scanning the list.

use super::key;
use crate::store::{Filter, PageRequest, SearchRequest, Selection, SortOrder, Store, StoreError};

/// A page of `sel` at `offset`, newest first.
fn at(
    store: &dyn Store,
    sel: &Selection,
    offset: u64,
    limit: usize,
) -> Result<Vec<crate::store::Hit>, StoreError> {
    let req = PageRequest {
        offset: usize::try_from(offset).unwrap_or(usize::MAX),
        limit,
        order: SortOrder::NewestFirst,
    };
    Ok(store.page(sel, &req)?.hits)
}

/// The matches of the find among the window (keys `first` down to `last`) and their number
/// in the whole view.
pub(super) fn find_matches(
    store: &dyn Store,
    request: &SearchRequest,
    first: (i64, u64),
    last: (i64, u64),
    len: usize,
) -> Result<(u64, Vec<u64>), StoreError> {
    let sel = request.selection();
    let total = store.count(&sel)?;
    if total == 0 || len == 0 {
        return Ok((total, Vec::new()));
    }
    let start = store.position(&sel, first.0, first.1)?;
    let ords = at(store, &sel, start, len)?
        .iter()
        .filter(|h| {
            let k = key(h);
            k <= first && k >= last
        })
        .map(|h| h.ord)
        .collect();
    Ok((total, ords))
}

/// The position in the view of the next (`down`) or previous match of `find` from the
/// event keyed `from`, wrapping at the ends; and what to say about it.
pub(super) fn locate_find(
    store: &dyn Store,
    request: &SearchRequest,
    from: Option<(i64, u64)>,
    find: &str,
    (down, step): (bool, u64),
) -> Result<(Option<u64>, String), StoreError> {
    let step = step.max(1);
    let view = request.selection();
    let sel = Selection {
        query: crate::app::find::within(&request.query, find),
        ..view.clone()
    };
    let shown = crate::model::escape_control(find).into_owned();
    let total = store.count(&sel)?;
    if total == 0 {
        return Ok((None, format!("match of `{shown}`")));
    }
    // The match `step` on from the selection, in list positions, wrapping at the ends.
    let (idx, wrapped) = match from {
        None if down => ((step - 1) % total, step > total),
        None => (total - 1 - (step - 1) % total, step > total),
        Some((ts, ord)) => {
            let p = store.position(&sel, ts, ord)?;
            let here = at(store, &sel, p, 1)?
                .first()
                .is_some_and(|h| key(h) == (ts, ord));
            if down {
                let next = if here { p + 1 } else { p };
                let target = next.saturating_add(step - 1);
                (target % total, target >= total)
            } else {
                let back = step % total;
                ((p + total - back) % total, u128::from(step) > u128::from(p))
            }
        }
    };
    let Some(hit) = at(store, &sel, idx, 1)?.into_iter().next() else {
        return Ok((None, format!("match of `{shown}`")));
    };
    let (t, o) = key(&hit);
    let pos = store.position(&view, t, o)?;
    // The wrap first: the status line may cut the end of a long message.
    let wrap = match (wrapped, down) {
        (false, _) => "",
        (true, true) => "wrapped to the top: ",
        (true, false) => "wrapped to the bottom: ",
    };
    Ok((
        Some(pos),
        format!("{wrap}match {} of {total} (`{shown}`)", idx + 1),
    ))
}

/// The ordinals of the `n` events before and after the event keyed `key` in its input
/// `path` (newest first, by time), whatever the filter.
pub(super) fn context(
    store: &dyn Store,
    key: (i64, u64),
    path: &str,
    n: usize,
) -> Result<Vec<u64>, StoreError> {
    let sel = Selection {
        filter: Some(Filter::Lines {
            path: path.to_owned(),
            from: 0,
            to: u64::MAX >> 1,
        }),
        ..Selection::default()
    };
    let p = store.position(&sel, key.0, key.1)?;
    let lo = p.saturating_sub(n as u64);
    let limit = usize::try_from(p - lo).unwrap_or(0) + n + 1;
    Ok(at(store, &sel, lo, limit)?.iter().map(|h| h.ord).collect())
}

/// The earliest and latest event time of all the data.
pub(super) fn span(store: &dyn Store) -> Result<Option<(i64, i64)>, StoreError> {
    store.time_span(&Selection::default())
}
