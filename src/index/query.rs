//! Queries tantivy's parser cannot build over this schema, and the builder that puts them
//! in place of the leaves it would refuse:
//! - `ord:N` lookups. The ordinal is a column only (an inverted index of a million distinct
//!   numbers would cost a tenth of a build), and tantivy's set and term queries need an
//!   inverted index; so the evidence queries the alerts generate (`ord:12 OR ord:40 OR ...`,
//!   up to a few hundred terms) are answered by one scan of the ordinal column per segment.
//! - `field:*` on a field without a column (most keyword fields, `message`, `raw`): tantivy's
//!   existence query reads columns, so these ask the inverted index for any term instead.
//! - `integrity:` terms, sets, prefixes, ranges and `integrity:*`: the statuses are not in
//!   the documents but in the status column beside the index (`statuses.rs`), so each
//!   segment's matches are the documents whose ordinal (read from the `ord` column) has a
//!   wanted code ([`StatusQuery`]); any boolean composition with other terms follows.

use std::sync::Arc;

use tantivy::query::{
    BitSetDocSet, BooleanQuery, BoostQuery, ConstScorer, EnableScoring, Explanation, Occur, Query,
    QueryParser, QueryParserError, RegexQuery, Scorer, Weight,
};
use tantivy::query_grammar::{Occur as GrammarOccur, UserInputAst, UserInputBound, UserInputLeaf};
use tantivy::schema::{Field, Schema};
use tantivy::{BitSet, DocId, Score, SegmentReader};

use super::schema;
use super::statuses::{self, StatusColumn};
use crate::model::fields::INTEGRITY;

/// Matches the events whose ordinal is in a set.
#[derive(Clone, Debug)]
pub(super) struct OrdSetQuery {
    /// Sorted, without duplicates.
    ords: Arc<Vec<u64>>,
}

impl OrdSetQuery {
    pub(super) fn new(mut ords: Vec<u64>) -> Self {
        ords.sort_unstable();
        ords.dedup();
        Self {
            ords: Arc::new(ords),
        }
    }
}

impl Query for OrdSetQuery {
    fn weight(&self, _: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(self.clone()))
    }
}

impl OrdSetQuery {
    fn matches(&self, reader: &SegmentReader) -> tantivy::Result<BitSet> {
        let max_doc = reader.max_doc();
        let mut bits = BitSet::with_max_value(max_doc);
        let column = reader.fast_fields().u64(schema::ORD)?;
        let (lo, hi) = (column.min_value(), column.max_value());
        if self.ords.iter().any(|o| (lo..=hi).contains(o)) {
            for doc in 0..max_doc {
                if let Some(v) = column.first(doc)
                    && self.ords.binary_search(&v).is_ok()
                {
                    bits.insert(doc);
                }
            }
        }
        Ok(bits)
    }
}

impl Weight for OrdSetQuery {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let bits = self.matches(reader)?;
        Ok(Box::new(ConstScorer::new(BitSetDocSet::from(bits), boost)))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        if self.matches(reader)?.contains(doc) {
            Ok(Explanation::new("ordinal in set", 1.0))
        } else {
            Err(tantivy::TantivyError::InvalidArgument(format!(
                "document {doc} does not match"
            )))
        }
    }
}

/// Matches the events whose integrity status (from the status column) has a wanted code.
#[derive(Clone, Debug)]
pub(super) struct StatusQuery {
    wanted: [bool; statuses::CODES],
    column: StatusColumn,
}

impl Query for StatusQuery {
    fn weight(&self, _: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(self.clone()))
    }
}

impl StatusQuery {
    fn matches(&self, reader: &SegmentReader) -> tantivy::Result<BitSet> {
        let max_doc = reader.max_doc();
        let mut bits = BitSet::with_max_value(max_doc);
        if !self.wanted.contains(&true) {
            return Ok(bits);
        }
        let ords = reader.fast_fields().u64(schema::ORD)?;
        for doc in 0..max_doc {
            if let Some(ord) = ords.first(doc)
                && self.wanted[usize::from(self.column.get(ord))]
            {
                bits.insert(doc);
            }
        }
        Ok(bits)
    }
}

impl Weight for StatusQuery {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let bits = self.matches(reader)?;
        Ok(Box::new(ConstScorer::new(BitSetDocSet::from(bits), boost)))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        if self.matches(reader)?.contains(doc) {
            Ok(Explanation::new("integrity status in set", 1.0))
        } else {
            Err(tantivy::TantivyError::InvalidArgument(format!(
                "document {doc} does not match"
            )))
        }
    }
}

/// The status codes an `integrity:` leaf names (by their labels), or `None` for a leaf on
/// another field.
fn status_codes(ast: &UserInputAst) -> Result<Option<[bool; statuses::CODES]>, QueryParserError> {
    let UserInputAst::Leaf(leaf) = ast else {
        return Ok(None);
    };
    let is_integrity = |f: Option<&str>| f == Some(INTEGRITY);
    let mut wanted = [false; statuses::CODES];
    let mut want = |pred: &dyn Fn(&str) -> bool| {
        for (code, label) in statuses::labels() {
            if pred(label) {
                wanted[usize::from(code)] = true;
            }
        }
    };
    match leaf.as_ref() {
        UserInputLeaf::Literal(lit) if is_integrity(lit.field_name.as_deref()) => {
            // `"mod"*` is a prefix; `mod*` and `*ed` are wildcards, as on other fields.
            if lit.prefix {
                want(&|l| l.starts_with(lit.phrase.as_str()));
            } else {
                want(&|l| crate::model::glob(&lit.phrase, l));
            }
        }
        UserInputLeaf::Set { field, elements } if is_integrity(field.as_deref()) => {
            want(&|l| elements.iter().any(|e| e == l));
        }
        UserInputLeaf::Exists { field } if is_integrity(Some(field)) => want(&|_| true),
        UserInputLeaf::Range {
            field,
            lower,
            upper,
        } if is_integrity(field.as_deref()) => {
            want(&|l| {
                let above = match lower {
                    UserInputBound::Inclusive(v) => l >= v.as_str(),
                    UserInputBound::Exclusive(v) => l > v.as_str(),
                    UserInputBound::Unbounded => true,
                };
                let below = match upper {
                    UserInputBound::Inclusive(v) => l <= v.as_str(),
                    UserInputBound::Exclusive(v) => l < v.as_str(),
                    UserInputBound::Unbounded => true,
                };
                above && below
            });
        }
        UserInputLeaf::Regex { field, .. } if is_integrity(field.as_deref()) => {
            return Err(QueryParserError::UnsupportedQuery(format!(
                "regular expressions on `{INTEGRITY}`: name the statuses instead \
                 (`{INTEGRITY}: IN [modified replaced]`, `{INTEGRITY}:mod*`)"
            )));
        }
        _ => return Ok(None),
    }
    Ok(Some(wanted))
}

/// Builds `ast` into a query: `ord:` literals and sets with [`OrdSetQuery`] (the `ord:`
/// alternatives of one clause become one set), `integrity:` leaves with [`StatusQuery`]
/// over `column`, existence on a field without a column with [`any_term`], everything else
/// with `parser`.
pub(super) fn build(
    parser: &QueryParser,
    schema: &Schema,
    column: &StatusColumn,
    ast: UserInputAst,
) -> Result<Box<dyn Query>, QueryParserError> {
    if !needs_own(&ast, schema) {
        return parser.build_query_from_user_input_ast(ast);
    }
    match ast {
        UserInputAst::Clause(children) => {
            let mut any_of = Vec::new();
            let mut none_of = Vec::new();
            let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
            for (occur, child) in children {
                let occur = occur_of(occur);
                match (ord_values(&child)?, occur) {
                    (Some(ords), Occur::Should) => any_of.extend(ords),
                    (Some(ords), Occur::MustNot) => none_of.extend(ords),
                    (Some(ords), Occur::Must) => {
                        clauses.push((Occur::Must, Box::new(OrdSetQuery::new(ords))));
                    }
                    (None, occur) => {
                        clauses.push((occur, build(parser, schema, column, child)?));
                    }
                }
            }
            if !any_of.is_empty() {
                clauses.push((Occur::Should, Box::new(OrdSetQuery::new(any_of))));
            }
            if !none_of.is_empty() {
                clauses.push((Occur::MustNot, Box::new(OrdSetQuery::new(none_of))));
            }
            Ok(Box::new(BooleanQuery::new(clauses)))
        }
        UserInputAst::Boost(inner, boost) => Ok(Box::new(BoostQuery::new(
            build(parser, schema, column, *inner)?,
            boost.0 as Score,
        ))),
        leaf @ UserInputAst::Leaf(_) => {
            if let Some(ords) = ord_values(&leaf)? {
                return Ok(Box::new(OrdSetQuery::new(ords)));
            }
            if let Some(wanted) = status_codes(&leaf)? {
                return Ok(Box::new(StatusQuery {
                    wanted,
                    column: column.clone(),
                }));
            }
            if let Some(field) = exists_without_column(&leaf, schema) {
                return any_term(field);
            }
            // A range on `ord`: the parser answers it from the column.
            parser.build_query_from_user_input_ast(leaf)
        }
    }
}

/// The field of the first `field:*` leaf that names no field of the schema (or a path inside
/// a field that is not a JSON object, `resource.id.x`): tantivy builds an existence query on
/// any name and fails only while searching, so it is refused here as an unknown field, like
/// any other leaf.
pub(super) fn unknown_exists_field(ast: &UserInputAst, schema: &Schema) -> Option<String> {
    match ast {
        UserInputAst::Clause(children) => children
            .iter()
            .find_map(|(_, c)| unknown_exists_field(c, schema)),
        UserInputAst::Boost(inner, _) => unknown_exists_field(inner, schema),
        UserInputAst::Leaf(leaf) => match leaf.as_ref() {
            UserInputLeaf::Exists { field } => match schema.find_field(field) {
                Some((f, path)) if path.is_empty() || is_json(schema, f) => None,
                _ => Some(field.clone()),
            },
            _ => None,
        },
    }
}

/// The field of the first `field: IN [...]` set on a column-only field spelt with a path
/// (`seq.`, `ord.`): tantivy answers `seq: IN [..]` from the column, but builds a term set for
/// the other spelling and fails only while searching, so it is refused here, as the parser
/// refuses other leaves on a field that is not indexed.
pub(super) fn unindexed_set_field(ast: &UserInputAst, schema: &Schema) -> Option<String> {
    match ast {
        UserInputAst::Clause(children) => children
            .iter()
            .find_map(|(_, c)| unindexed_set_field(c, schema)),
        UserInputAst::Boost(inner, _) => unindexed_set_field(inner, schema),
        UserInputAst::Leaf(leaf) => match leaf.as_ref() {
            UserInputLeaf::Set {
                field: Some(name), ..
            } if name != schema::ORD => match schema.find_field(name) {
                Some((f, _))
                    if !schema.get_field_entry(f).is_indexed()
                        && schema.get_field_name(f) != name =>
                {
                    Some(name.clone())
                }
                _ => None,
            },
            _ => None,
        },
    }
}

fn is_json(schema: &Schema, f: Field) -> bool {
    matches!(
        schema.get_field_entry(f).field_type(),
        tantivy::schema::FieldType::JsonObject(_)
    )
}

/// Documents with at least one term in `field` (empty values are never indexed).
fn any_term(field: Field) -> Result<Box<dyn Query>, QueryParserError> {
    RegexQuery::from_pattern(".+", field)
        .map(|q| Box::new(q) as Box<dyn Query>)
        .map_err(|e| QueryParserError::UnsupportedQuery(e.to_string()))
}

/// The field of a `field:*` leaf when it is indexed but has no column.
fn exists_without_column(ast: &UserInputAst, schema: &Schema) -> Option<Field> {
    let UserInputAst::Leaf(leaf) = ast else {
        return None;
    };
    let UserInputLeaf::Exists { field } = leaf.as_ref() else {
        return None;
    };
    let (field, path) = schema.find_field(field)?;
    let entry = schema.get_field_entry(field);
    (path.is_empty() && entry.is_indexed() && !entry.is_fast()).then_some(field)
}

/// The ordinals named by an `ord:N` literal or an `ord: IN [...]` set; `None` for any
/// other node.
fn ord_values(ast: &UserInputAst) -> Result<Option<Vec<u64>>, QueryParserError> {
    let UserInputAst::Leaf(leaf) = ast else {
        return Ok(None);
    };
    let number = |s: &str| s.trim().parse::<u64>().map_err(QueryParserError::from);
    match leaf.as_ref() {
        UserInputLeaf::Literal(lit) if lit.field_name.as_deref() == Some(schema::ORD) => {
            Ok(Some(vec![number(&lit.phrase)?]))
        }
        UserInputLeaf::Set { field, elements } if field.as_deref() == Some(schema::ORD) => {
            Ok(Some(
                elements
                    .iter()
                    .map(|e| number(e))
                    .collect::<Result<_, _>>()?,
            ))
        }
        _ => Ok(None),
    }
}

/// How a clause's child combines with its siblings (no occur means "must": auditlens parses
/// with conjunction by default).
fn occur_of(o: Option<GrammarOccur>) -> Occur {
    match o {
        Some(GrammarOccur::Should) => Occur::Should,
        Some(GrammarOccur::MustNot) => Occur::MustNot,
        Some(GrammarOccur::Must) | None => Occur::Must,
    }
}

/// True when `ast` holds a leaf the parser cannot build (see the module documentation).
fn needs_own(ast: &UserInputAst, schema: &Schema) -> bool {
    match ast {
        UserInputAst::Clause(children) => children.iter().any(|(_, c)| needs_own(c, schema)),
        UserInputAst::Boost(inner, _) => needs_own(inner, schema),
        UserInputAst::Leaf(leaf) => {
            exists_without_column(ast, schema).is_some()
                || match leaf.as_ref() {
                    UserInputLeaf::Literal(lit) => {
                        matches!(lit.field_name.as_deref(), Some(schema::ORD | INTEGRITY))
                    }
                    UserInputLeaf::Set { field, .. } => {
                        matches!(field.as_deref(), Some(schema::ORD | INTEGRITY))
                    }
                    UserInputLeaf::Range { field, .. } | UserInputLeaf::Regex { field, .. } => {
                        field.as_deref() == Some(INTEGRITY)
                    }
                    UserInputLeaf::Exists { field } => field == INTEGRITY,
                    UserInputLeaf::All => false,
                }
        }
    }
}
