//! The query language onto Quickwit's: the query is parsed with the grammar auditlens
//! parses with (tantivy's, which Quickwit also uses), checked against the fields auditlens
//! knows, rewritten as the local index rewrites it (negation-only clauses match everything
//! but, exact times are one-value ranges, `raw` is `raw_values` there), and written back as
//! a query string with every occurrence explicit (`+` must, `-` must not), so that neither
//! side's default operator matters. What cannot be written back is refused, naming it.

use std::fmt::Write as _;

use tantivy_query_grammar::{
    Delimiter, Occur, UserInputAst, UserInputBound, UserInputLeaf, UserInputLiteral,
};

use crate::index::schema;
use crate::model::fields;
use crate::store::QueryError;

/// Regular expressions are off, as in the local index.
const ALLOW_REGEX: bool = false;

/// Characters a field name escapes with `\` in the grammar.
const FIELD_SPECIAL: &[char] = &[
    '+', '^', '`', ':', '{', '}', '"', '\'', '[', ']', '(', ')', '!', '\\', '*', ' ',
];

/// Characters a bare word escapes with `\` in the grammar.
const WORD_SPECIAL: &[char] = &['^', '`', ':', '{', '}', '"', '\'', '[', ']', '(', ')', '\\'];

/// The Quickwit query string of an auditlens query (`*` for an empty one).
pub(crate) fn to_quickwit(query: &str) -> Result<String, QueryError> {
    let Some(ast) = crate::querylang::parse(query)? else {
        return Ok("*".to_owned());
    };
    let mut out = String::new();
    write_ast(&rewrite(ast), query, &mut out)?;
    Ok(out)
}

/// The local index's rewrites (see `index::search`): a clause of negations only gets an
/// all-matching part; an exact value or a set on a column-only field becomes ranges.
fn rewrite(ast: UserInputAst) -> UserInputAst {
    match ast {
        UserInputAst::Clause(children) => {
            let mut children: Vec<_> = children
                .into_iter()
                .map(|(occur, child)| (occur, rewrite(child)))
                .collect();
            if !children.is_empty()
                && children
                    .iter()
                    .all(|(occur, _)| *occur == Some(Occur::MustNot))
            {
                children.push((
                    Some(Occur::Must),
                    UserInputAst::Leaf(Box::new(UserInputLeaf::All)),
                ));
            }
            UserInputAst::Clause(children)
        }
        UserInputAst::Boost(inner, boost) => UserInputAst::Boost(Box::new(rewrite(*inner)), boost),
        UserInputAst::Leaf(leaf) => match *leaf {
            UserInputLeaf::Literal(lit) if is_column_only(lit.field_name.as_deref()) => {
                UserInputAst::Leaf(Box::new(one_value(lit.field_name, lit.phrase)))
            }
            UserInputLeaf::Set { field, elements } if is_column_only(field.as_deref()) => {
                UserInputAst::Clause(
                    elements
                        .into_iter()
                        .map(|v| {
                            (
                                Some(Occur::Should),
                                UserInputAst::Leaf(Box::new(one_value(field.clone(), v))),
                            )
                        })
                        .collect(),
                )
            }
            other => UserInputAst::Leaf(Box::new(other)),
        },
    }
}

fn is_column_only(field: Option<&str>) -> bool {
    field.is_some_and(|f| schema::COLUMN_ONLY.contains(&f))
}

fn one_value(field: Option<String>, value: String) -> UserInputLeaf {
    UserInputLeaf::Range {
        field,
        lower: UserInputBound::Inclusive(value.clone()),
        upper: UserInputBound::Inclusive(value),
    }
}

/// The Quickwit name of a field the query names, or the reason it is refused.
fn remote_field(name: &str, query: &str) -> Result<String, QueryError> {
    let known = name == schema::TS
        || name == schema::TS_KEY
        || name == schema::ORD
        || name == schema::SEQ
        || name == schema::LINE
        || name == schema::MESSAGE
        || name == schema::DETAILS
        || name.strip_prefix("details.").is_some_and(|p| !p.is_empty())
        || schema::KEYWORDS.iter().any(|k| k.name == name);
    if name == schema::RAW {
        return Ok("raw_values".to_owned());
    }
    if name == schema::PART || name == schema::HASH {
        return Err(QueryError {
            message: format!("the field `{name}` is stored only: it cannot be searched"),
            span: locate(query, name),
        });
    }
    if !known {
        return Err(QueryError {
            message: format!(
                "unknown field `{name}`; fields are: {}",
                schema::query_field_names().join(", ")
            ),
            span: locate(query, name),
        });
    }
    if name.starts_with('-') {
        return Err(cannot(&format!("the field name `{name}`")));
    }
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        if FIELD_SPECIAL.contains(&c) {
            out.push('\\');
        }
        out.push(c);
    }
    Ok(out)
}

fn locate(query: &str, field: &str) -> Option<(usize, usize)> {
    query.find(&format!("{field}:")).map(|i| (i, field.len()))
}

fn cannot(what: &str) -> QueryError {
    QueryError {
        message: format!("{what} cannot be expressed in Quickwit's query language"),
        span: None,
    }
}

fn write_ast(ast: &UserInputAst, query: &str, out: &mut String) -> Result<(), QueryError> {
    match ast {
        UserInputAst::Clause(children) => {
            // Matching only (results are sorted by time, never by score): with a required
            // part, optional parts change nothing and are left out; without one, at least
            // one optional part must match, written as an explicit OR group.
            let must: Vec<_> = children
                .iter()
                .filter(|(o, _)| matches!(o, Some(Occur::Must) | None))
                .map(|(_, c)| c)
                .collect();
            let should: Vec<_> = children
                .iter()
                .filter(|(o, _)| *o == Some(Occur::Should))
                .map(|(_, c)| c)
                .collect();
            let must_not: Vec<_> = children
                .iter()
                .filter(|(o, _)| *o == Some(Occur::MustNot))
                .map(|(_, c)| c)
                .collect();
            if must.is_empty() && should.is_empty() && must_not.is_empty() {
                out.push('*');
                return Ok(());
            }
            out.push('(');
            let mut first = true;
            let mut sep = |out: &mut String| {
                if !first {
                    out.push(' ');
                }
                first = false;
            };
            for c in &must {
                sep(out);
                out.push('+');
                write_ast(c, query, out)?;
            }
            if must.is_empty() && !should.is_empty() {
                sep(out);
                out.push_str("+(");
                for (i, c) in should.iter().enumerate() {
                    if i > 0 {
                        out.push_str(" OR ");
                    }
                    write_ast(c, query, out)?;
                }
                out.push(')');
            }
            for c in &must_not {
                sep(out);
                out.push('-');
                write_ast(c, query, out)?;
            }
            out.push(')');
        }
        UserInputAst::Boost(inner, boost) => {
            out.push('(');
            write_ast(inner, query, out)?;
            let _ = write!(out, ")^{}", boost.0);
        }
        UserInputAst::Leaf(leaf) => write_leaf(leaf, query, out)?,
    }
    Ok(())
}

fn field_prefix(field: Option<&String>, query: &str, out: &mut String) -> Result<(), QueryError> {
    if let Some(f) = field {
        out.push_str(&remote_field(f, query)?);
        out.push(':');
    }
    Ok(())
}

fn write_leaf(leaf: &UserInputLeaf, query: &str, out: &mut String) -> Result<(), QueryError> {
    match leaf {
        UserInputLeaf::All => out.push('*'),
        UserInputLeaf::Literal(lit) => {
            field_prefix(lit.field_name.as_ref(), query, out)?;
            match integrity_labels_named(lit) {
                Some(labels) => write_set(&labels, out),
                None => write_literal(lit, out),
            }
        }
        UserInputLeaf::Range {
            field,
            lower,
            upper,
        } => {
            field_prefix(field.as_ref(), query, out)?;
            let bound = |b: &UserInputBound| -> Result<String, QueryError> {
                match b {
                    UserInputBound::Unbounded => Ok("*".to_owned()),
                    UserInputBound::Inclusive(v) | UserInputBound::Exclusive(v) => {
                        if v.is_empty()
                            || v == "*"
                            || v.starts_with('`')
                            || v.chars().any(|c| {
                                c.is_whitespace()
                                    || matches!(c, '{' | '}' | '"' | '[' | ']' | '(' | ')')
                            })
                        {
                            Err(cannot(&format!("the range bound {v:?}")))
                        } else {
                            Ok(v.clone())
                        }
                    }
                }
            };
            out.push(if matches!(lower, UserInputBound::Exclusive(_)) {
                '{'
            } else {
                '['
            });
            out.push_str(&bound(lower)?);
            out.push_str(" TO ");
            out.push_str(&bound(upper)?);
            out.push(if matches!(upper, UserInputBound::Exclusive(_)) {
                '}'
            } else {
                ']'
            });
        }
        UserInputLeaf::Set { field, elements } => {
            field_prefix(field.as_ref(), query, out)?;
            write_set(elements, out);
        }
        UserInputLeaf::Exists { field } => {
            out.push_str(&remote_field(field, query)?);
            out.push_str(":*");
        }
        UserInputLeaf::Regex { field, pattern } => {
            // The local index refuses regular expressions (its parser has them off): the
            // same query must mean the same thing here, so it is refused here too.
            if !ALLOW_REGEX {
                return Err(QueryError {
                    message: "Unsupported query: Regex queries are not allowed.".to_owned(),
                    span: None,
                });
            }
            field_prefix(field.as_ref(), query, out)?;
            if pattern.ends_with('\\') {
                return Err(cannot(&format!("the pattern /{pattern}/")));
            }
            out.push('/');
            out.push_str(&pattern.replace('/', "\\/"));
            out.push('/');
        }
    }
    Ok(())
}

fn quoted(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        if matches!(c, '"' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
}

/// `IN [..]` of `elements`, each quoted.
fn write_set<S: AsRef<str>>(elements: &[S], out: &mut String) {
    out.push_str("IN [");
    for (i, e) in elements.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        quoted(e.as_ref(), out);
    }
    out.push(']');
}

/// The integrity labels an `integrity:` wildcard (`ver*`, `*ed`) or prefix (`"veri"*`)
/// names, as the local index matches them against the status names (its statuses are a
/// column, not terms): the remote index gets them as a set, for the same answer. `None`
/// for any other literal, and for a wildcard that names no status (kept as written: it
/// matches nothing on either side).
fn integrity_labels_named(lit: &UserInputLiteral) -> Option<Vec<&'static str>> {
    if lit.field_name.as_deref() != Some(fields::INTEGRITY) || lit.slop > 0 {
        return None;
    }
    let p = lit.phrase.as_str();
    let labels: Vec<&'static str> = if lit.prefix {
        crate::model::integrity_labels()
            .filter(|l| l.starts_with(p))
            .collect()
    } else if p.contains('*') {
        crate::model::integrity_labels()
            .filter(|l| crate::model::glob(p, l))
            .collect()
    } else {
        return None;
    };
    (!labels.is_empty()).then_some(labels)
}

/// A literal as written: a bare word stays bare (escaped) when the grammar reads it back
/// the same, anything else is a quoted phrase (the same query once tokenized).
fn write_literal(lit: &UserInputLiteral, out: &mut String) {
    let p = &lit.phrase;
    let bare = lit.delimiter == Delimiter::None
        && !p.is_empty()
        && !p.starts_with(['-', '+', '!', '*'])
        && !p.ends_with('*')
        && !p.contains('~')
        && !matches!(p.as_str(), "OR" | "AND" | "NOT" | "IN" | "TO");
    if bare {
        for c in p.chars() {
            if c.is_whitespace() || WORD_SPECIAL.contains(&c) {
                out.push('\\');
            }
            out.push(c);
        }
    } else {
        quoted(p, out);
    }
    if lit.slop > 0 {
        let _ = write!(out, "~{}", lit.slop);
    } else if lit.prefix {
        out.push('*');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(s: &str) -> String {
        to_quickwit(s).unwrap()
    }

    #[test]
    fn occurrences_are_explicit() {
        assert_eq!(q("*"), "*");
        assert_eq!(q("  "), "*");
        assert_eq!(q("a b"), "(+a +b)");
        assert_eq!(q("a OR b"), "(+(a OR b))");
        assert_eq!(q("a OR b -c"), "(+(a OR b) -c)");
        assert_eq!(q("NOT a"), "(+* -a)");
        assert_eq!(q("a AND NOT b"), "(+a +(+* -b))");
        assert_eq!(
            q("severity:error -outcome:success"),
            "(+severity:error -outcome:success)"
        );
    }

    #[test]
    fn fields_and_leaves() {
        assert_eq!(q("raw:alice"), "raw_values:alice");
        assert_eq!(q("actor.id:*"), "actor.id:*");
        assert_eq!(
            q("message:\"model deployed\""),
            "message:\"model deployed\""
        );
        assert_eq!(q("message:\"a b\"~2"), "message:\"a b\"~2");
        // `word*` is one literal word (the grammar reads no prefix there): kept one.
        assert_eq!(q("action:model.de*"), "action:\"model.de*\"");
        assert_eq!(q("message:\"mod\"*"), "message:\"mod\"*");
        // `integrity:` wildcards and prefixes name statuses (the local index matches them
        // against the status names): a set of those names.
        assert_eq!(q("integrity:ver*"), "integrity:IN [\"verified\"]");
        assert_eq!(
            q("integrity:\"re\"*"),
            "integrity:IN [\"replaced\" \"reordered\"]"
        );
        assert_eq!(
            q("integrity:*ed"),
            "integrity:IN [\"verified\" \"modified\" \"replaced\" \"inserted\" \"reordered\" \"appended_unsigned\" \"malformed\" \"unverified\"]"
        );
        assert_eq!(q("integrity:zz*"), "integrity:\"zz*\"");
        assert_eq!(q("integrity:verified"), "integrity:verified");
        assert_eq!(q("seq:42"), "seq:[42 TO 42]");
        assert_eq!(q("seq:>=10"), "seq:[10 TO *]");
        assert_eq!(q("line:{1 TO 5]"), "line:{1 TO 5]");
        assert_eq!(q("ord: IN [1 2]"), "ord:IN [\"1\" \"2\"]");
        assert_eq!(q("seq: IN [1 2]"), "(+(seq:[1 TO 1] OR seq:[2 TO 2]))");
        assert!(
            to_quickwit("actor.id:/al.*/")
                .unwrap_err()
                .message
                .contains("Regex")
        );
        assert_eq!(q("details.score:[0.5 TO 1]"), "details.score:[0.5 TO 1]");
        assert_eq!(
            q("ts:[2024-01-01T00:00:00Z TO 2024-02-01T00:00:00Z}"),
            "ts:[2024-01-01T00:00:00Z TO 2024-02-01T00:00:00Z}"
        );
    }

    #[test]
    fn refusals_name_the_problem() {
        let e = to_quickwit("nosuch:x").unwrap_err();
        assert!(e.message.contains("unknown field `nosuch`"), "{e:?}");
        assert_eq!(e.span, Some((0, 6)));
        assert!(to_quickwit("actor:x").is_err());
        assert!(
            to_quickwit("hash:x")
                .unwrap_err()
                .message
                .contains("stored only")
        );
        assert!(
            to_quickwit("message:(a")
                .unwrap_err()
                .message
                .contains("syntax")
        );
        assert!(to_quickwit("a\u{1b}b").is_err());
    }

    #[test]
    fn the_converted_query_parses_back_to_the_same_tree() {
        for s in [
            "alice",
            "\"said: \\\"hi\\\"\"",
            "model.deploy",
            "actor.id:alice@example.com",
            "message:a\\:b",
            "(a OR b) AND NOT c",
            "details.x.y:\"p q\"",
            "resource.tags:pii AND severity:critical",
        ] {
            let once = q(s);
            assert_eq!(q(&once.replace("raw_values:", "raw:")), once, "{s}");
        }
    }
}
