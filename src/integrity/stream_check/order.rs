//! Seq order within a stream file: which authenticated lines moved (`REORDERED`).

use super::super::report::RecordStatus;
use super::StreamCheck;

impl StreamCheck<'_> {
    /// Authenticated lines out of seq order. A line is in place when it belongs to every
    /// longest increasing subsequence of the authenticated seqs; every other line moved.
    /// Swapping two distant lines thus flags exactly those two (their neighbours stay in
    /// place); swapping two neighbours flags both, as either could be the one that moved.
    pub(super) fn mark_reordered(&mut self) {
        let lines: Vec<u32> = (0..self.status.len() as u32)
            .filter(|&i| self.status[i as usize] == RecordStatus::Verified as u8)
            .collect();
        let seqs: Vec<u64> = lines.iter().map(|&l| self.seqs[l as usize]).collect();
        for (j, moved) in moved_in_order(&seqs).into_iter().enumerate() {
            if moved {
                self.status[lines[j] as usize] = RecordStatus::Reordered as u8;
            }
        }
    }
}

/// For distinct `seqs` in file order: true for each one outside some longest strictly
/// increasing subsequence (O(n log n), patience sorting from both ends).
fn moved_in_order(seqs: &[u64]) -> Vec<bool> {
    let n = seqs.len();
    // ending[j]: length of the longest increasing run of seqs ending at j.
    let mut ending = vec![0u32; n];
    let mut tails: Vec<u64> = Vec::new();
    for (j, &s) in seqs.iter().enumerate() {
        let pos = tails.partition_point(|&t| t < s);
        if pos == tails.len() {
            tails.push(s);
        } else {
            tails[pos] = s;
        }
        ending[j] = pos as u32 + 1;
    }
    let longest = tails.len() as u32;
    // starting[j]: length of the longest increasing run of seqs starting at j.
    let mut starting = vec![0u32; n];
    let mut heads: Vec<u64> = Vec::new();
    for (j, &s) in seqs.iter().enumerate().rev() {
        let pos = heads.partition_point(|&h| h > s);
        if pos == heads.len() {
            heads.push(s);
        } else {
            heads[pos] = s;
        }
        starting[j] = pos as u32 + 1;
    }
    // On some longest run when both halves add up; on every one when no other line on a
    // longest run takes the same place in it.
    let on_some = |j: usize| ending[j] + starting[j] - 1 == longest;
    let mut at_place = vec![0u32; longest as usize + 1];
    for j in (0..n).filter(|&j| on_some(j)) {
        at_place[ending[j] as usize] += 1;
    }
    (0..n)
        .map(|j| !on_some(j) || at_place[ending[j] as usize] != 1)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::moved_in_order;

    fn moved(seqs: &[u64]) -> Vec<u64> {
        seqs.iter()
            .zip(moved_in_order(seqs))
            .filter_map(|(&s, m)| m.then_some(s))
            .collect()
    }

    #[test]
    fn a_distant_swap_moves_only_the_two_swapped_seqs() {
        let mut seqs: Vec<u64> = (1..=1200).collect();
        seqs.swap(299, 899);
        assert_eq!(moved(&seqs), vec![900, 300]);
    }

    #[test]
    fn a_swap_of_neighbours_moves_both() {
        assert_eq!(moved(&[1, 2, 4, 3, 5]), vec![4, 3]);
    }

    #[test]
    fn in_order_and_short_inputs_move_nothing() {
        assert!(moved(&[]).is_empty());
        assert!(moved(&[7]).is_empty());
        assert!(moved(&[1, 5, 9]).is_empty());
    }

    #[test]
    fn a_block_moved_ahead_is_what_moved() {
        // 20..=24 moved before 10..=19: the shorter run is the one out of place.
        let seqs: Vec<u64> = (1..10).chain(20..25).chain(10..20).chain(25..30).collect();
        assert_eq!(moved(&seqs), (20..25).collect::<Vec<_>>());
    }

    #[test]
    fn a_reversed_pair_of_three_moves_all_that_could_have_moved() {
        // 3 2 1: any one of them is a longest run, so all three are out of order.
        assert_eq!(moved(&[3, 2, 1]), vec![3, 2, 1]);
    }
}
