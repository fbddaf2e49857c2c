//! Damaged indexes. A cached index is files on disk that anything can damage (a failing
//! disk, a flipped byte, a cut copy), and tantivy reads them lazily: damage may show when
//! the index opens, only during a search (an error, or a panic deep in a decoder), or not
//! at all (a wrong answer). Every file tantivy writes ends with a CRC32 of its contents;
//! those checksums tell a damaged index from a query the search library refused.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

use tantivy::Index;

use super::IndexError;

/// Damaged files named in a reason, at most.
const NAMED_FILES: usize = 3;

/// What is wrong with the files of `index`, or `None` when every file of every segment
/// is whole (its checksum matches). Reads every segment file once.
pub(super) fn damage(index: &Index) -> Option<String> {
    match catch_unwind(AssertUnwindSafe(|| index.validate_checksum())) {
        Ok(Ok(bad)) if bad.is_empty() => None,
        Ok(Ok(bad)) => {
            let mut names: Vec<String> = bad
                .iter()
                .map(|p| {
                    p.file_name()
                        .map_or_else(|| p.display().to_string(), |n| n.to_string_lossy().into())
                })
                .collect();
            names.sort();
            let more = names.len().saturating_sub(NAMED_FILES);
            names.truncate(NAMED_FILES);
            let rest = if more > 0 {
                format!(" and {more} more file(s)")
            } else {
                String::new()
            };
            Some(format!("checksum mismatch in {}{rest}", names.join(", ")))
        }
        Ok(Err(e)) => Some(e.to_string()),
        Err(_) => Some("its files could not be read back".to_owned()),
    }
}

/// Opens the index in `dir` and proves it whole: it opens, has the current schema, a
/// reader over all its segments opens, and, unless `unchanged` (every file is the one the
/// build wrote, by its file stamp), every file's checksum matches. Returns the index and
/// its document count; any failure (a panic included) is an [`IndexError::Corrupt`]
/// saying why it is damaged.
pub(super) fn open_whole(dir: &Path, unchanged: bool) -> Result<(Index, u64), IndexError> {
    let corrupt = |e: tantivy::TantivyError| IndexError::Corrupt(e.to_string());
    let open = || -> Result<(Index, u64), IndexError> {
        let index = Index::open_in_dir(dir).map_err(corrupt)?;
        super::fields_of(&index)?;
        // A manual reader: the default one starts a thread that watches for commits.
        let docs = index
            .reader_builder()
            .reload_policy(tantivy::ReloadPolicy::Manual)
            .try_into()
            .map_err(corrupt)?
            .searcher()
            .num_docs();
        if !unchanged && let Some(why) = damage(&index) {
            return Err(IndexError::Corrupt(why));
        }
        // The status column is checked whole at every open (one byte per event, with a
        // checksum): a damaged or cut one is damage, never statuses read wrong.
        super::statuses::StatusHome::dir(dir).read_complete(docs)?;
        Ok((index, docs))
    };
    catch_unwind(AssertUnwindSafe(open)).unwrap_or_else(|_| {
        Err(IndexError::Corrupt(
            "opening it failed inside the search library".to_owned(),
        ))
    })
}

/// A search of `index` that failed with `failure` (a tantivy error, or a panic turned into
/// an error): [`IndexError::Corrupt`] when the index's files are damaged, so the caller
/// rebuilds it; else `failure` as it is (a query the library refused stays a query error).
pub(super) fn classify_failure(index: &Index, failure: IndexError) -> IndexError {
    match damage(index) {
        Some(why) => IndexError::Corrupt(why),
        None => failure,
    }
}

#[cfg(test)]
mod tests {
    use tantivy::collector::{Collector, Count, SegmentCollector};
    use tantivy::query::AllQuery;
    use tantivy::schema::{Schema, TEXT};
    use tantivy::{DocId, Score, SegmentOrdinal, SegmentReader, doc};

    use super::*;

    /// A small index on disk: one segment of a text field.
    fn index_in(dir: &Path) -> Index {
        let mut schema = Schema::builder();
        let text = schema.add_text_field("text", TEXT);
        let index = Index::create_in_dir(dir, schema.build()).unwrap();
        let mut writer = index.writer_with_num_threads(1, 15_000_000).unwrap();
        for i in 0..500 {
            writer
                .add_document(doc!(text => format!("record number {i}")))
                .unwrap();
        }
        writer.commit().unwrap();
        index
    }

    /// Inverts bytes in the middle of every `.idx` file.
    fn flip_idx(dir: &Path) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "idx") {
                let mut b = std::fs::read(&p).unwrap();
                let mid = b.len() / 2;
                b[mid] ^= 0xff;
                std::fs::write(&p, b).unwrap();
            }
        }
    }

    /// A collector that fails the way a decoder fails on damaged bytes: it panics.
    struct Panics;
    struct PanicsChild;

    impl Collector for Panics {
        type Fruit = ();
        type Child = PanicsChild;
        fn for_segment(
            &self,
            _: SegmentOrdinal,
            _: &SegmentReader,
        ) -> tantivy::Result<PanicsChild> {
            panic!("index out of bounds in a decoder");
        }
        fn requires_scoring(&self) -> bool {
            false
        }
        fn merge_fruits(&self, _: Vec<()>) -> tantivy::Result<()> {
            Ok(())
        }
    }

    impl SegmentCollector for PanicsChild {
        type Fruit = ();
        fn collect(&mut self, _: DocId, _: Score) {}
        fn harvest(self) {}
    }

    #[test]
    fn a_whole_index_has_no_damage() {
        let dir = tempfile::tempdir().unwrap();
        let index = index_in(dir.path());
        assert_eq!(damage(&index), None);
    }

    #[test]
    fn flipped_bytes_are_damage_named_by_file() {
        let dir = tempfile::tempdir().unwrap();
        let index = index_in(dir.path());
        flip_idx(dir.path());
        let why = damage(&index).unwrap();
        assert!(why.starts_with("checksum mismatch in "), "{why}");
        assert!(why.contains(".idx"), "{why}");
    }

    #[test]
    fn a_search_that_fails_on_a_whole_index_stays_a_query_error() {
        let dir = tempfile::tempdir().unwrap();
        let index = index_in(dir.path());
        let searcher = index.reader().unwrap().searcher();
        let e = super::super::search::run(&searcher, &AllQuery, &Panics).unwrap_err();
        assert!(matches!(e, IndexError::Query(_)), "{e}");
        assert_eq!(
            super::super::search::run(&searcher, &AllQuery, &Count).unwrap(),
            500
        );
    }

    #[test]
    fn a_search_that_fails_on_damaged_files_is_damage() {
        // Damage after the index was opened (its files are read lazily, through mmap).
        let dir = tempfile::tempdir().unwrap();
        let index = index_in(dir.path());
        let searcher = index.reader().unwrap().searcher();
        flip_idx(dir.path());
        let e = super::super::search::run(&searcher, &AllQuery, &Panics).unwrap_err();
        assert!(
            matches!(&e, IndexError::Corrupt(why) if why.contains(".idx")),
            "{e}"
        );
    }
}
