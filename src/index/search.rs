//! `SearchService`: query parsing (with errors that point at the bad token), time filters,
//! newest-first paging and counts over one `Searcher` per request.

use std::ops::Bound;
use std::sync::{Arc, RwLock};

use chrono::{DateTime, Utc};
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{
    AllQuery, BooleanQuery, EmptyQuery, Occur, Query, QueryParser, QueryParserError, RangeQuery,
};
use tantivy::query_grammar::{Occur as GrammarOccur, UserInputAst, UserInputBound, UserInputLeaf};
use tantivy::schema::Value as _;
use tantivy::{
    DocAddress, Index, IndexReader, Order, ReloadPolicy, Searcher, TantivyDocument, Term,
};

use super::IndexError;
use super::schema::{self, Fields};
use super::statuses::{self, StatusColumn, StatusHome};
use crate::ingest::GenericMapping;
use crate::model::Format;
use crate::store::{Hit, Page, QueryError, SearchRequest, SortOrder};

/// Searches one index.
pub struct SearchService {
    pub(super) index: Index,
    pub(super) reader: IndexReader,
    pub(super) fields: Fields,
    parser: QueryParser,
    /// The generic mapping the index was built with: a hit's event is decoded again from
    /// its stored record with it.
    pub(super) mapping: Arc<GenericMapping>,
    /// Where the status column lives, and the column as last loaded (with the reader).
    home: StatusHome,
    statuses: RwLock<StatusColumn>,
}

impl SearchService {
    /// Opens a reader over `index` (reloaded by hand, on `reload`), built with `mapping`,
    /// its status column kept in `home`.
    pub(crate) fn new(
        mut index: Index,
        mapping: Arc<GenericMapping>,
        home: StatusHome,
    ) -> Result<Self, IndexError> {
        // Search the segments of a large index in parallel: a top-100 of a million matches
        // visits every one of them. (Small indexes have one segment; no threads for them.)
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        if cores > 1 && index.searchable_segment_ids()?.len() > 1 {
            index.set_multithread_executor(cores.min(4))?;
        }
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        schema::register_tokenizers(&index);
        let fields = super::fields_of(&index)?;
        let mut parser = QueryParser::for_index(&index, vec![fields.message, fields.raw]);
        parser.set_conjunction_by_default();
        let column = home.read()?;
        Ok(Self {
            index,
            reader,
            fields,
            parser,
            mapping,
            home,
            statuses: RwLock::new(column),
        })
    }

    /// Sees the latest commit, and the status column as last written.
    pub fn reload(&self) -> Result<(), IndexError> {
        self.reader.reload()?;
        self.reload_statuses()
    }

    /// Loads the status column again (written after the verification's verdict).
    pub(crate) fn reload_statuses(&self) -> Result<(), IndexError> {
        // A live build's folder moves into the cache when complete: a reload racing the
        // move keeps the column it has (as it keeps its searcher).
        if let StatusHome::Dir(d) = &self.home
            && !d.exists()
        {
            return Ok(());
        }
        let column = self.home.read()?;
        let mut slot = self
            .statuses
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // Ordinals only ever grow; a shorter column is the moved folder's race above.
        if column.len() >= slot.len() {
            *slot = column;
        }
        Ok(())
    }

    /// The status column as last loaded (a snapshot).
    pub(crate) fn statuses(&self) -> StatusColumn {
        self.statuses
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Searchable segments (benchmarks report it).
    pub fn segments(&self) -> usize {
        self.index
            .searchable_segment_ids()
            .map_or(0, |ids| ids.len())
    }

    /// One searcher over the latest reloaded commit.
    pub(super) fn searcher(&self) -> Searcher {
        self.reader.searcher()
    }

    /// Documents visible now.
    pub fn num_docs(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// Parses a query (strictly: an error names the bad token).
    pub fn parse(&self, query: &str) -> Result<Box<dyn Query>, QueryError> {
        let Some(ast) = crate::querylang::parse(query)? else {
            return Ok(Box::new(AllQuery));
        };
        let schema = self.index.schema();
        if let Some(field) = super::query::unknown_exists_field(&ast, &schema) {
            return Err(explain(&QueryParserError::FieldDoesNotExist(field), query));
        }
        if let Some(field) = super::query::unindexed_set_field(&ast, &schema) {
            return Err(explain(&QueryParserError::FieldNotIndexed(field), query));
        }
        super::query::build(
            &self.parser,
            &schema,
            &self.statuses(),
            complete_negations(ast),
        )
        .map_err(|e| explain(&e, query))
    }

    pub(super) fn full_query(&self, req: &SearchRequest) -> Result<Box<dyn Query>, QueryError> {
        let mut q = self.parse(&req.query)?;
        match &req.filter {
            None => {}
            Some(f) if f.is_empty() => return Ok(Box::new(EmptyQuery)),
            Some(f) => {
                let named = self.parse(&super::filter::query_text(f))?;
                q = Box::new(BooleanQuery::new(vec![
                    (Occur::Must, q),
                    (Occur::Must, named),
                ]));
            }
        }
        if req.from.is_none() && req.to.is_none() {
            return Ok(q);
        }
        let bound = |t: Option<DateTime<Utc>>, inclusive: bool| match t {
            None => Bound::Unbounded,
            Some(t) => {
                let term = Term::from_field_i64(self.fields.ts_key, t.timestamp_millis());
                if inclusive {
                    Bound::Included(term)
                } else {
                    Bound::Excluded(term)
                }
            }
        };
        // `ts_key` holds milliseconds; an exclusive upper bound on a sub-millisecond instant
        // must still include that millisecond's earlier events, so round it up.
        let to = req.to.map(|t| {
            if t.timestamp_subsec_nanos() % 1_000_000 == 0 {
                t
            } else {
                t + chrono::Duration::milliseconds(1)
            }
        });
        let range = RangeQuery::new(bound(req.from, true), bound(to, false));
        Ok(Box::new(BooleanQuery::new(vec![
            (Occur::Must, q),
            (Occur::Must, Box::new(range)),
        ])))
    }

    /// One page of hits plus the total count, from one searcher.
    pub fn search(&self, req: &SearchRequest) -> Result<Page, IndexError> {
        let query = self.full_query(req)?;
        let searcher = self.reader.searcher();
        let newest = matches!(req.order, SortOrder::NewestFirst);
        let keep = if req.limit == 0 {
            0
        } else {
            req.offset.saturating_add(req.limit)
        };
        let (total, mut docs) = guarded(&searcher, || {
            super::top::page(&searcher, query.as_ref(), newest, keep)
        })?;
        docs.drain(..req.offset.min(docs.len()));
        let mut hits = Vec::with_capacity(docs.len());
        if req.limit > 0 {
            for addr in docs {
                hits.push(self.hit(&searcher, addr)?);
            }
        }
        Ok(Page { total, hits })
    }

    /// Number of matches only.
    pub fn count(&self, req: &SearchRequest) -> Result<u64, IndexError> {
        let query = self.full_query(req)?;
        let searcher = self.reader.searcher();
        Ok(run(&searcher, &query, &Count)? as u64)
    }

    /// The event with ordinal `ord`.
    pub fn get(&self, ord: u64) -> Result<Option<Hit>, IndexError> {
        let searcher = self.reader.searcher();
        let one = Term::from_field_u64(self.fields.ord, ord);
        let q = RangeQuery::new(Bound::Included(one.clone()), Bound::Included(one));
        let top = TopDocs::with_limit(1).order_by_u64_field(schema::ORD, Order::Asc);
        let docs = run(&searcher, &q, &top)?;
        match docs.first() {
            Some((_, addr)) => Ok(Some(self.hit(&searcher, *addr)?)),
            None => Ok(None),
        }
    }

    fn hit(&self, searcher: &Searcher, addr: DocAddress) -> Result<Hit, IndexError> {
        let doc = stored_doc(searcher, addr)?;
        stored_hit(&self.fields, &doc, &self.mapping, &self.statuses())
    }
}

/// The stored document at `addr`. Reading it may fail (or panic in a decoder) on a damaged
/// document store: then the failure says whether the index is damaged.
pub(super) fn stored_doc(
    searcher: &Searcher,
    addr: DocAddress,
) -> Result<TantivyDocument, IndexError> {
    let read = || searcher.doc::<TantivyDocument>(addr);
    let failure = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(read)) {
        Ok(Ok(doc)) => return Ok(doc),
        Ok(Err(e)) => IndexError::Tantivy(e),
        Err(_) => IndexError::Corrupt("a stored document could not be read".to_owned()),
    };
    Err(super::damage::classify_failure(searcher.index(), failure))
}

/// The hit a stored document holds: its ordinal, its original record, and the event decoded
/// again from that record as loading decoded it (with the load's `mapping`), with its
/// integrity status from the status column.
pub(super) fn stored_hit(
    fields: &Fields,
    doc: &TantivyDocument,
    mapping: &GenericMapping,
    column: &StatusColumn,
) -> Result<Hit, IndexError> {
    let u64_of = |f| doc.get_first(f).and_then(|v| v.as_u64());
    let str_of = |f| doc.get_first(f).and_then(|v| v.as_str());
    let ord = u64_of(fields.ord).unwrap_or_default();
    let raw = str_of(fields.raw).unwrap_or_default();
    let corrupt = |what: String| IndexError::Corrupt(format!("stored event {ord}: {what}"));
    let format = str_of(fields.keyword("format"))
        .and_then(|f| Format::ALL.iter().copied().find(|k| k.as_str() == f))
        .ok_or_else(|| corrupt("no input format".to_owned()))?;
    let mut event = crate::ingest::redecode(
        format,
        str_of(fields.keyword("path")).unwrap_or_default(),
        u64_of(fields.line).unwrap_or_default(),
        u32::try_from(u64_of(fields.part).unwrap_or_default()).unwrap_or(u32::MAX),
        str_of(fields.hash),
        raw,
        mapping,
    )
    .map_err(|e| corrupt(e.to_string()))?;
    event.integrity = statuses::label(column.get(ord)).map(str::to_owned);
    Ok(Hit {
        ord,
        event,
        raw: raw.to_owned(),
    })
}

/// Runs a search, turning a panic inside the search library into an error: no query may
/// bring auditlens down. Every search of the index goes through here.
pub(super) fn run<C: tantivy::collector::Collector>(
    searcher: &Searcher,
    query: &dyn Query,
    collector: &C,
) -> Result<C::Fruit, IndexError> {
    guarded(searcher, || searcher.search(query, collector))
}

/// Runs `search` over `searcher`, turning a panic inside the search library into an error.
pub(super) fn guarded<T>(
    searcher: &Searcher,
    search: impl FnOnce() -> tantivy::Result<T>,
) -> Result<T, IndexError> {
    let failure = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(search)) {
        Ok(Ok(fruit)) => return Ok(fruit),
        Ok(Err(e)) => IndexError::Tantivy(e),
        Err(_) => IndexError::Query(QueryError {
            message: "the search library failed on this query; please rephrase it".to_owned(),
            span: None,
        }),
    };
    // Damaged files make searches fail too: that is no fault of the query.
    Err(super::damage::classify_failure(searcher.index(), failure))
}

/// A clause made only of negations (`NOT a`, or the `NOT b` of `a AND NOT b`) matches
/// nothing in tantivy; users mean "everything except". Give such clauses an all-matching
/// positive part.
fn complete_negations(ast: UserInputAst) -> UserInputAst {
    match ast {
        UserInputAst::Clause(children) => {
            let mut children: Vec<_> = children
                .into_iter()
                .map(|(occur, child)| (occur, complete_negations(child)))
                .collect();
            if !children.is_empty()
                && children
                    .iter()
                    .all(|(occur, _)| *occur == Some(GrammarOccur::MustNot))
            {
                children.push((
                    Some(GrammarOccur::Must),
                    UserInputAst::Leaf(Box::new(UserInputLeaf::All)),
                ));
            }
            UserInputAst::Clause(children)
        }
        UserInputAst::Boost(inner, boost) => {
            UserInputAst::Boost(Box::new(complete_negations(*inner)), boost)
        }
        UserInputAst::Leaf(leaf) => match *leaf {
            UserInputLeaf::Literal(lit) if is_column_only(lit.field_name.as_deref()) => {
                UserInputAst::Leaf(Box::new(one_value_range(lit.field_name, lit.phrase)))
            }
            UserInputLeaf::Set { field, elements } if is_column_only(field.as_deref()) => {
                UserInputAst::Clause(
                    elements
                        .into_iter()
                        .map(|v| {
                            (
                                Some(GrammarOccur::Should),
                                UserInputAst::Leaf(Box::new(one_value_range(field.clone(), v))),
                            )
                        })
                        .collect(),
                )
            }
            other => UserInputAst::Leaf(Box::new(same_number_kind(other))),
        },
    }
}

fn is_column_only(field: Option<&str>) -> bool {
    field.is_some_and(|f| schema::COLUMN_ONLY.contains(&f))
}

/// `field:v` on a column-only field (`ts`, `seq`, `line`) as the range `[v TO v]`, which
/// the column answers.
fn one_value_range(field: Option<String>, value: String) -> UserInputLeaf {
    UserInputLeaf::Range {
        field,
        lower: UserInputBound::Inclusive(value.clone()),
        upper: UserInputBound::Inclusive(value),
    }
}

/// tantivy panics on a JSON range whose bounds are of different number kinds
/// (`details.x:[0.2 TO 1]`: a float and an integer; it also reads `3.0` as an integer).
/// When one bound is fractional, rewrite each integral bound as the equivalent fractional
/// one: `<= v` is `< next_up(v)`, `>= v` is `> next_down(v)`, and so on, exactly in f64.
fn same_number_kind(leaf: UserInputLeaf) -> UserInputLeaf {
    let UserInputLeaf::Range {
        field,
        lower,
        upper,
    } = leaf
    else {
        return leaf;
    };
    let number = |b: &UserInputBound| match b {
        UserInputBound::Inclusive(s) | UserInputBound::Exclusive(s) => {
            s.parse::<f64>().ok().filter(|f| f.is_finite())
        }
        UserInputBound::Unbounded => None,
    };
    let fractional = |f: f64| f.fract() != 0.0;
    let any_fractional =
        number(&lower).is_some_and(fractional) || number(&upper).is_some_and(fractional);
    if !any_fractional {
        return UserInputLeaf::Range {
            field,
            lower,
            upper,
        };
    }
    let fix = |b: UserInputBound, is_lower: bool| -> UserInputBound {
        let Some(v) = number(&b).filter(|v| !fractional(*v)) else {
            return b;
        };
        match (b, is_lower) {
            (UserInputBound::Inclusive(_), true) => {
                UserInputBound::Exclusive(format!("{:?}", v.next_down()))
            }
            (UserInputBound::Inclusive(_), false) => {
                UserInputBound::Exclusive(format!("{:?}", v.next_up()))
            }
            (UserInputBound::Exclusive(_), true) => {
                UserInputBound::Inclusive(format!("{:?}", v.next_up()))
            }
            (UserInputBound::Exclusive(_), false) => {
                UserInputBound::Inclusive(format!("{:?}", v.next_down()))
            }
            (other, _) => other,
        }
    };
    UserInputLeaf::Range {
        field,
        lower: fix(lower, true),
        upper: fix(upper, false),
    }
}

/// Turns a parser error into a message naming the bad token and where it is.
fn explain(e: &QueryParserError, query: &str) -> QueryError {
    let locate = |token: &str| query.find(token).map(|i| (i, token.len()));
    match e {
        QueryParserError::FieldDoesNotExist(field) => {
            let known = schema::query_field_names().join(", ");
            QueryError {
                message: format!("unknown field `{field}`; fields are: {known}"),
                span: locate(&format!("{field}:")).map(|(i, _)| (i, field.len())),
            }
        }
        QueryParserError::ExpectedInt(_)
        | QueryParserError::ExpectedFloat(_)
        | QueryParserError::ExpectedBool(_) => QueryError {
            message: format!("{e} (seq, line and ord take whole numbers)"),
            span: None,
        },
        QueryParserError::DateFormatError(_) => QueryError {
            message: format!(
                "{e}: dates are RFC 3339, e.g. ts:[2024-01-01T00:00:00Z TO 2024-02-01T00:00:00Z]"
            ),
            span: locate("ts:"),
        },
        other => QueryError {
            message: other.to_string(),
            span: None,
        },
    }
}
