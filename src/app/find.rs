//! `Find`: find-in-view. Unlike `/`, which filters, a find keeps the list as it is and
//! marks the events that also match the find query: they are highlighted in the table and
//! the detail view, and `n` / `N` walk them through the whole list, not just the page.
//! Allowed imports: `model`, `store` (the query helpers).

use std::collections::BTreeSet;

/// A find in the current view.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Find {
    /// The find query as typed (same language as the search bar).
    pub query: String,
    /// Lower-case words the table and the detail view highlight.
    pub needles: Vec<String>,
    /// Matches in the current view (query, time range and jump), once counted.
    pub total: Option<u64>,
    /// The matching events among the fetched window (ordinals).
    pub ords: BTreeSet<u64>,
    /// The window (offset, length) `ords` were looked up for.
    pub looked_up: Option<(u64, usize)>,
}

impl Find {
    /// A find of `query`, nothing counted yet.
    pub fn new(query: &str) -> Self {
        Self {
            query: query.trim().to_owned(),
            needles: needles(query),
            ..Self::default()
        }
    }

    /// Whether the event with ordinal `ord` is a known match.
    pub fn matches(&self, ord: u64) -> bool {
        self.ords.contains(&ord)
    }
}

/// The words of a query worth highlighting: values of `field:value` terms, quoted phrases,
/// bare words; never operators, ranges or wildcards. Lower case, longest first (so a longer
/// word wins where two overlap).
pub(crate) fn needles(query: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut push = |w: &str| {
        let w = w.trim_matches(|c: char| "()[]{}\"'*?^~+-!".contains(c));
        if w.chars().count() >= 2
            && !matches!(w, "AND" | "OR" | "NOT" | "TO")
            && !out.iter().any(|o| o == &w.to_lowercase())
        {
            out.push(w.to_lowercase());
        }
    };
    let mut rest = query;
    while let Some(start) = rest.find('"') {
        let (before, after) = rest.split_at(start);
        for w in before.split_whitespace() {
            push(value_of(w));
        }
        let after = &after[1..];
        let end = after.find('"').unwrap_or(after.len());
        push(&after[..end]);
        rest = after.get(end + 1..).unwrap_or("");
    }
    for w in rest.split_whitespace() {
        if w.contains('[') || w.contains(']') || w.contains('{') {
            continue;
        }
        push(value_of(w));
    }
    out.sort_by_key(|w| std::cmp::Reverse(w.chars().count()));
    out
}

/// `field:value` gives `value`; a bare word itself.
fn value_of(word: &str) -> &str {
    match word.split_once(':') {
        Some((field, value)) if !field.is_empty() && !field.contains('(') => value,
        _ => word,
    }
}

/// The query of the events of the view `current` that also match `find`.
pub fn within(current: &str, find: &str) -> String {
    let current = current.trim();
    if current.is_empty() || current == "*" {
        find.to_owned()
    } else {
        format!("({current}) AND ({find})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn needles_are_values_words_and_phrases_never_operators() {
        assert_eq!(
            needles(r#"actor.id:bob AND "out of memory" OR NOT x"#),
            vec!["out of memory", "bob"]
        );
        assert_eq!(needles("latency:[10 TO 20] deploy*"), vec!["deploy"]);
        assert_eq!(needles("Alice alice"), vec!["alice"]);
        assert!(needles("\"unclosed").contains(&"unclosed".to_owned()));
        assert_eq!(within("", "bob"), "bob");
        assert_eq!(within("a OR b", "bob"), "(a OR b) AND (bob)");
    }
}
