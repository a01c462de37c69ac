//! Layering: an environment file deep-merged over the stack file, as Helm layers values
//! files. Mappings merge key by key, lists and scalars are replaced whole. Every merged
//! node keeps the span of the file that set it, so diagnostics point at the right file.

use std::collections::BTreeMap;

use crate::node::{Entry, Node, Value};

/// `overlay` layered over `base`.
pub fn layer(base: &Node, overlay: &Node) -> Node {
    match (&base.value, &overlay.value) {
        (Value::Mapping(below), Value::Mapping(above)) => {
            let mut merged: BTreeMap<String, Entry> = below.clone();
            for (key, entry) in above {
                let node = match below.get(key) {
                    Some(under) => layer(&under.node, &entry.node),
                    None => entry.node.clone(),
                };
                merged.insert(
                    key.clone(),
                    Entry {
                        key_span: entry.key_span,
                        node,
                    },
                );
            }
            Node {
                value: Value::Mapping(merged),
                span: overlay.span,
            }
        }
        _ => overlay.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::parse;
    use crate::source::FileId;

    fn doc(file: usize, text: &str) -> Node {
        parse(FileId(file), text).expect("valid YAML")
    }

    #[test]
    fn mappings_merge_and_lists_replace() {
        let stack = doc(
            0,
            "services:\n  api:\n    replicas: 1\n    args: [a, b]\n    port: 80\n",
        );
        let env = doc(1, "services:\n  api:\n    replicas: 3\n    args: [c]\n");
        let merged = layer(&stack, &env);
        let api = merged
            .get("services")
            .and_then(|s| s.get("api"))
            .expect("api");
        assert_eq!(
            api.get("replicas").map(|n| &n.value),
            Some(&Value::Integer(3))
        );
        assert_eq!(api.get("port").map(|n| &n.value), Some(&Value::Integer(80)));
        let args = api.get("args").expect("args");
        assert_eq!(args.to_json(), serde_json::json!(["c"]));
    }

    #[test]
    fn merged_values_remember_their_file() {
        let stack = doc(0, "services:\n  api:\n    port: 80\n");
        let env = doc(1, "services:\n  api:\n    replicas: 2\n");
        let merged = layer(&stack, &env);
        let api = merged
            .get("services")
            .and_then(|s| s.get("api"))
            .expect("api");
        assert_eq!(api.get("port").map(|n| n.span.file), Some(FileId(0)));
        assert_eq!(api.get("replicas").map(|n| n.span.file), Some(FileId(1)));
    }
}
