//! Helm values paths such as `ingress.hosts[0].host`: parsing them, and writing a value
//! at one into a chart's values.

use serde_json::{Map, Value as Json};

/// One step of a values path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    Key(String),
    Index(usize),
}

/// Whether a chart value of this key names an existing Secret (`existingSecret`,
/// `auth.existingSecret`, `metricsExistingSecret`, `existingSecretName`): the
/// convention of the Bitnami charts and most others.
pub fn names_a_secret(key: &str) -> bool {
    let lower = key.to_ascii_lowercase();
    lower.ends_with("existingsecret") || lower == "existingsecretname"
}

/// Every Secret the values name through [`names_a_secret`] keys, at any depth.
pub fn secret_names(values: &Map<String, Json>) -> Vec<&str> {
    let mut out = Vec::new();
    for (key, value) in values {
        match value {
            Json::String(name) if names_a_secret(key) && !name.is_empty() => {
                out.push(name.as_str())
            }
            Json::Object(map) => out.extend(secret_names(map)),
            _ => {}
        }
    }
    out
}

/// Parse `a.b[0].c`. Keys are non-empty and hold no `.`, `[` or `]`; a path has at most
/// [`MAX_STEPS`] steps.
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
            if steps.len() > MAX_STEPS {
                break;
            }
            rest = &rest[close + 1..];
            if !rest.is_empty() && !rest.starts_with('[') {
                return Err(format!("`{part}` has text after `]`"));
            }
        }
        // Checked as the path is read: a path of a million steps is refused at once.
        if steps.len() > MAX_STEPS {
            return Err(format!(
                "it has more than {MAX_STEPS} steps (keys and indexes)"
            ));
        }
    }
    Ok(steps)
}

/// A path as written: `ingress.hosts[0].host`.
pub fn display(steps: &[Step]) -> String {
    let mut out = String::new();
    for step in steps {
        match step {
            Step::Key(key) if out.is_empty() => out.push_str(key),
            Step::Key(key) => {
                out.push('.');
                out.push_str(key);
            }
            Step::Index(index) => out.push_str(&format!("[{index}]")),
        }
    }
    out
}

/// Indexes beyond this are surely mistakes (and would allocate long lists).
const MAX_INDEX: usize = 1000;

/// Steps beyond this are surely mistakes: spec files nest at most 64 levels (the
/// loader refuses deeper ones), and everything that walks the values afterwards
/// (rendering, comparing, writing YAML) recurses once per level.
pub const MAX_STEPS: usize = 64;

/// A value in the way of a path: the value at the path's first `depth` steps is not
/// what the path needs there (a mapping before a key, a list before an index; a
/// scalar, or nothing, at the end). `null` is never in the way: Helm reads it as unset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Blocked {
    pub depth: usize,
}

/// Where `steps` would cross a value already in `values`, if anywhere.
pub fn blocked(values: &Map<String, Json>, steps: &[Step]) -> Option<Blocked> {
    let Some((Step::Key(first), rest)) = steps.split_first() else {
        return None;
    };
    let mut slot = values.get(first)?;
    for (depth, step) in rest.iter().enumerate() {
        let next = match (step, slot) {
            (_, Json::Null) => return None,
            (Step::Key(key), Json::Object(map)) => map.get(key),
            (Step::Index(index), Json::Array(items)) => items.get(*index),
            _ => return Some(Blocked { depth: depth + 1 }),
        };
        slot = next?;
    }
    match slot {
        Json::Object(_) | Json::Array(_) => Some(Blocked { depth: steps.len() }),
        _ => None,
    }
}

/// Write `value` at `steps` into `values`, creating mappings and lists on the way; a
/// list is padded with empty mappings up to the index. A value the path would cross
/// ([`blocked`]) is never replaced: then nothing is written and the error says where.
pub fn set(values: &mut Map<String, Json>, steps: &[Step], value: Json) -> Result<(), Blocked> {
    if let Some(blocked) = blocked(values, steps) {
        return Err(blocked);
    }
    let Some((Step::Key(first), rest)) = steps.split_first() else {
        return Ok(());
    };
    let mut slot = values.entry(first.clone()).or_insert(Json::Null);
    for step in rest {
        slot = match step {
            Step::Key(key) => {
                if !slot.is_object() {
                    *slot = Json::Object(Map::new());
                }
                let Json::Object(map) = slot else {
                    unreachable!("made a mapping above");
                };
                map.entry(key.clone()).or_insert(Json::Null)
            }
            Step::Index(index) => {
                if !slot.is_array() {
                    *slot = Json::Array(Vec::new());
                }
                let Json::Array(items) = slot else {
                    unreachable!("made a list above");
                };
                while items.len() <= *index {
                    items.push(Json::Object(Map::new()));
                }
                &mut items[*index]
            }
        };
    }
    *slot = value;
    Ok(())
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
        )
        .expect("written");
        set(
            &mut values,
            &parse("ingress.tls[0].hosts[0]").expect("path"),
            json!("a.example.com"),
        )
        .expect("written");
        assert_eq!(
            Json::Object(values),
            json!({"ingress": {"enabled": true,
                "hosts": [{"paths": [{"path": "/"}], "host": "a.example.com"}],
                "tls": [{"hosts": ["a.example.com"]}]}})
        );
    }

    #[test]
    fn paths_display_as_written() {
        for path in ["ingress.hosts[0].host", "a[1][2].b", "x"] {
            assert_eq!(display(&parse(path).expect("path")), path);
        }
    }

    #[test]
    fn paths_are_bounded() {
        let longest = vec!["a"; MAX_STEPS].join(".");
        assert_eq!(parse(&longest).map(|s| s.len()), Ok(MAX_STEPS));
        assert!(parse(&format!("{longest}.a")).is_err());
        assert!(parse(&format!("a{}", "[0]".repeat(MAX_STEPS))).is_err());
        assert!(parse(&vec!["a"; 1_000_000].join(".")).is_err());
    }

    #[test]
    fn values_in_the_way_are_not_replaced() {
        let values = json!({
            "ingress": true,
            "service": {"ports": "80"},
            "tls": [{"hosts": {"a": 1}}],
            "unset": null,
            "host": "placeholder.local",
        });
        let Json::Object(values) = values else {
            panic!("an object")
        };
        let steps = |path: &str| parse(path).expect("path");
        for (path, depth) in [
            ("ingress.hosts[0].host", 1),
            ("service.ports[0]", 2),
            ("tls[0].hosts[0]", 3),
            ("tls[0]", 2),
            ("tls", 1),
        ] {
            let mut written = values.clone();
            assert_eq!(
                set(&mut written, &steps(path), json!("h")),
                Err(Blocked { depth }),
                "{path}"
            );
            assert_eq!(written, values, "{path}: nothing written");
        }
        for path in [
            "unset.host",
            "host",
            "tls[1].hosts[0]",
            "tls[0].other",
            "new.a[2][1]",
        ] {
            let mut written = values.clone();
            assert_eq!(blocked(&values, &steps(path)), None, "{path}");
            set(&mut written, &steps(path), json!("h")).expect(path);
            assert_ne!(written, values, "{path}");
        }
        let mut written = values.clone();
        set(&mut written, &steps("new.a[2][1]"), json!("h")).expect("written");
        assert_eq!(written["new"], json!({"a": [{}, {}, [{}, "h"]]}));
    }
}
