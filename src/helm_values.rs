//! Helm values paths such as `ingress.hosts[0].host`: parsing them, and writing a value
//! at one into a chart's values.

use serde_json::{Map, Value as Json};

/// One step of a values path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    Key(String),
    Index(usize),
}

/// Parse `a.b[0].c`. Keys are non-empty and hold no `.`, `[` or `]`.
pub fn parse(path: &str) -> Result<Vec<Step>, String> {
    let mut steps = Vec::new();
    for part in path.split('.') {
        let (key, mut rest) = part.split_at(part.find('[').unwrap_or(part.len()));
        if key.is_empty() || key.contains(']') {
            return Err(format!(
                "`{part}` is not a key, optionally followed by `[N]` indexes"
            ));
        }
        steps.push(Step::Key(key.to_owned()));
        while !rest.is_empty() {
            let Some(close) = rest.find(']') else {
                return Err(format!("`{part}` has an unclosed `[`"));
            };
            let index = rest[1..close]
                .parse::<usize>()
                .map_err(|_| format!("`{}` is not an index", &rest[..=close]))?;
            if index > MAX_INDEX {
                return Err(format!("index {index} is larger than {MAX_INDEX}"));
            }
            steps.push(Step::Index(index));
            rest = &rest[close + 1..];
            if !rest.is_empty() && !rest.starts_with('[') {
                return Err(format!("`{part}` has text after `]`"));
            }
        }
    }
    Ok(steps)
}

/// Indexes beyond this are surely mistakes (and would allocate long lists).
const MAX_INDEX: usize = 1000;

/// Write `value` at `steps` into `values`, creating mappings and lists on the way; a
/// list is padded with empty mappings up to the index.
pub fn set(values: &mut Map<String, Json>, steps: &[Step], value: Json) {
    let Some((Step::Key(first), rest)) = steps.split_first() else {
        return;
    };
    let slot = values.entry(first.clone()).or_insert(Json::Null);
    set_in(slot, rest, value);
}

fn set_in(slot: &mut Json, steps: &[Step], value: Json) {
    let Some((step, rest)) = steps.split_first() else {
        *slot = value;
        return;
    };
    match step {
        Step::Key(key) => {
            if !slot.is_object() {
                *slot = Json::Object(Map::new());
            }
            if let Json::Object(map) = slot {
                set_in(map.entry(key.clone()).or_insert(Json::Null), rest, value);
            }
        }
        Step::Index(index) => {
            if !slot.is_array() {
                *slot = Json::Array(Vec::new());
            }
            if let Json::Array(items) = slot {
                while items.len() <= *index {
                    items.push(Json::Object(Map::new()));
                }
                set_in(&mut items[*index], rest, value);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_keys_and_indexes() {
        let steps = parse("ingress.hosts[0].host").expect("valid");
        assert_eq!(
            steps,
            vec![
                Step::Key("ingress".into()),
                Step::Key("hosts".into()),
                Step::Index(0),
                Step::Key("host".into())
            ]
        );
        assert!(parse("ingress..host").is_err());
        assert!(parse("hosts[x]").is_err());
        assert!(parse("hosts[0").is_err());
        assert!(parse("[0]").is_err());
    }

    #[test]
    fn writes_into_existing_values() {
        let mut values =
            json!({"ingress": {"enabled": true, "hosts": [{"paths": [{"path": "/"}]}]}})
                .as_object()
                .cloned()
                .expect("object");
        set(
            &mut values,
            &parse("ingress.hosts[0].host").expect("path"),
            json!("a.example.com"),
        );
        set(
            &mut values,
            &parse("ingress.tls[0].hosts[0]").expect("path"),
            json!("a.example.com"),
        );
        assert_eq!(
            Json::Object(values),
            json!({"ingress": {"enabled": true,
                "hosts": [{"paths": [{"path": "/"}], "host": "a.example.com"}],
                "tls": [{"hosts": ["a.example.com"]}]}})
        );
    }
}
