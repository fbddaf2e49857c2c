//! How the local index spells a [`Filter`]: the one place where report jumps become query
//! text, with one quoting rule, parsed by the same strict parser as any query.

use super::schema::ORD;
use crate::model::fields::{
    INPUTS_ID, LINE, MODEL_ID, MODEL_VERSION, OUTPUTS_ID, PARENT_RUN_ID, PATH, RESOURCE_ID, RUN_ID,
    SEQ,
};
use crate::store::{Filter, quote};

/// The query text that selects the events of `filter`.
pub fn query_text(filter: &Filter) -> String {
    match filter {
        // An ordinal set is answered from the `ord` column, whatever its size. (An empty
        // set matches nothing: `full_query` answers it without parsing.)
        Filter::Ords(ords) => {
            let list: Vec<String> = ords.iter().map(u64::to_string).collect();
            format!("{ORD}: IN [{}]", list.join(" "))
        }
        Filter::Model { id, version: None } => format!("{MODEL_ID}:{}", quote(id)),
        Filter::Model {
            id,
            version: Some(v),
        } => format!("{MODEL_ID}:{} AND {MODEL_VERSION}:{}", quote(id), quote(v)),
        Filter::Run(id) => {
            let id = quote(id);
            format!("{RUN_ID}:{id} OR {PARENT_RUN_ID}:{id} OR {INPUTS_ID}:{id}")
        }
        Filter::Resource(id) => {
            let id = quote(id);
            format!("{INPUTS_ID}:{id} OR {OUTPUTS_ID}:{id} OR {RESOURCE_ID}:{id}")
        }
        Filter::All(parts) if parts.is_empty() => "*".to_owned(),
        Filter::All(parts) => parts
            .iter()
            .map(|f| format!("({})", query_text(f)))
            .collect::<Vec<_>>()
            .join(" AND "),
        Filter::Lines { path, from, to } => {
            format!("{PATH}:{} AND {LINE}:[{from} TO {to}]", quote(path))
        }
        Filter::Seqs { path, from, to } => {
            format!("{PATH}:{} AND {SEQ}:[{from} TO {to}]", quote(path))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_and_backslashes_are_escaped_never_dropped() {
        assert_eq!(quote(r#"a"b\c"#), r#""a\"b\\c""#);
        let f = Filter::Model {
            id: "fraud \"v2\"".into(),
            version: None,
        };
        assert_eq!(query_text(&f), r#"model.id:"fraud \"v2\"""#);
    }
}
