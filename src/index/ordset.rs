//! `ord:N` lookups. The ordinal is a column only (an inverted index of a million distinct
//! numbers would cost a tenth of a build), and tantivy's set and term queries need an inverted
//! index; so the evidence queries the alerts generate (`ord:12 OR ord:40 OR ...`, up to a few
//! hundred terms) are answered by one scan of the ordinal column per segment.

use std::sync::Arc;

use tantivy::query::{
    BitSetDocSet, BooleanQuery, BoostQuery, ConstScorer, EnableScoring, Explanation, Occur, Query,
    QueryParser, QueryParserError, Scorer, Weight,
};
use tantivy::query_grammar::{Occur as GrammarOccur, UserInputAst, UserInputLeaf};
use tantivy::{BitSet, DocId, Score, SegmentReader};

use super::schema;

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

/// Builds `ast` into a query, answering `ord:` literals and sets with [`OrdSetQuery`] (the
/// `ord:` alternatives of one clause become one set) and everything else with `parser`.
pub(super) fn build(
    parser: &QueryParser,
    ast: UserInputAst,
) -> Result<Box<dyn Query>, QueryParserError> {
    if !mentions_ord(&ast) {
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
                    (None, occur) => clauses.push((occur, build(parser, child)?)),
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
            build(parser, *inner)?,
            boost.0 as Score,
        ))),
        leaf @ UserInputAst::Leaf(_) => match ord_values(&leaf)? {
            Some(ords) => Ok(Box::new(OrdSetQuery::new(ords))),
            // A range on `ord`: the parser answers it from the column.
            None => parser.build_query_from_user_input_ast(leaf),
        },
    }
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

/// True when `ast` holds an `ord:` literal or set anywhere.
fn mentions_ord(ast: &UserInputAst) -> bool {
    match ast {
        UserInputAst::Clause(children) => children.iter().any(|(_, c)| mentions_ord(c)),
        UserInputAst::Boost(inner, _) => mentions_ord(inner),
        UserInputAst::Leaf(leaf) => match leaf.as_ref() {
            UserInputLeaf::Literal(lit) => lit.field_name.as_deref() == Some(schema::ORD),
            UserInputLeaf::Set { field, .. } => field.as_deref() == Some(schema::ORD),
            _ => false,
        },
    }
}
