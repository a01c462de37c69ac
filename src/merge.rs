//! Layering: an environment file deep-merged over the stack file, as Helm layers values
//! files. Mappings merge key by key, lists and scalars are replaced whole. Every merged
//! node keeps the span of the file that set it, so diagnostics point at the right file.

use crate::node::{Node, Value};

/// `overlay` layered over `base`.
pub fn layer(base: &Node, overlay: &Node) -> Node {
    let mut merged = base.clone();
    layer_into(&mut merged, overlay);
    merged
}

/// Layer `overlay` onto `base` in place: each value of `base` is copied at most once.
fn layer_into(base: &mut Node, overlay: &Node) {
    let (Value::Mapping(below), Value::Mapping(above)) = (&mut base.value, &overlay.value) else {
        *base = overlay.clone();
        return;
    };
    // Keys the overlay adds come after the base's, in the overlay's order.
    let after = below.values().map(|e| e.order + 1).max().unwrap_or(0);
    for (key, entry) in above {
        match below.get_mut(key) {
            Some(under) => {
                layer_into(&mut under.node, &entry.node);
                under.key_span = entry.key_span;
            }
            None => {
                let mut added = entry.clone();
                added.order += after;
                below.insert(key.clone(), added);
            }
        }
    }
    base.span = overlay.span;
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
    fn mappings_keep_the_written_order_base_keys_first() {
        let stack = doc(0, "env:\n  Z: 1\n  A: 2\n  M: 3\n");
        let env = doc(1, "env:\n  B: 4\n  A: 5\n  C: 6\n");
        let merged = layer(&stack, &env);
        let keys: Vec<String> = merged.to_json()["env"]
            .as_object()
            .expect("a mapping")
            .keys()
            .cloned()
            .collect();
        assert_eq!(keys, ["Z", "A", "M", "B", "C"]);
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
