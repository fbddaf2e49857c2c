//! The query language's text layer, shared by every store: the checks that hold whatever
//! the backend (no control characters; the grammar's syntax errors, with their position),
//! then the grammar's syntax tree. The local index builds tantivy queries from the tree, the
//! remote store writes Quickwit's query string from it.
//!
//! Allowed imports: `store` (for `QueryError`), std, tantivy-query-grammar (the grammar
//! crate alone, not the search engine).

use tantivy_query_grammar::UserInputAst;

use crate::store::QueryError;

/// The syntax tree of `query`, or `None` when it matches everything (empty or `*`).
/// Error spans are byte offsets into `query` as given (leading blanks included).
pub fn parse(query: &str) -> Result<Option<UserInputAst>, QueryError> {
    let q = query.trim();
    if q.is_empty() || q == "*" {
        return Ok(None);
    }
    let offset = query.len() - query.trim_start().len();
    // No field holds a control character, and tantivy takes NUL and U+0001 inside a
    // `details.` path for its own path markers (a NUL there made it panic).
    if let Some((i, c)) = q
        .char_indices()
        .find(|&(_, c)| c.is_ascii_control() && !matches!(c, '\t' | '\n' | '\r'))
    {
        return Err(QueryError {
            message: format!(
                "the query holds a control character (U+{:04X}); queries cannot contain one",
                u32::from(c)
            ),
            span: Some((offset + i, 1)),
        });
    }
    let (_, syntax) = tantivy_query_grammar::parse_query_lenient(q);
    if let Some(e) = syntax.first() {
        return Err(QueryError {
            message: format!("syntax error: {}", e.message),
            span: Some((e.pos.min(q.len()) + offset, 1)),
        });
    }
    tantivy_query_grammar::parse_query(q)
        .map(Some)
        .map_err(|_| QueryError {
            message: "syntax error".to_owned(),
            span: None,
        })
}
