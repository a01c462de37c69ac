//! The API server's rules on ConfigMaps and on the volumes that mount ConfigMaps and
//! Secrets as files.

use serde_json::Value as Json;

use super::{Rules, format, list};
use crate::node::FieldPath;

/// Kubernetes' limit on a ConfigMap's data, in bytes.
const MAX_DATA_BYTES: usize = 1024 * 1024;

impl Rules {
    /// Keys are valid ConfigMap keys; the data is at most 1 MiB.
    pub(super) fn config_map(&mut self, object: &Json, at: &FieldPath) {
        let mut size = 0;
        for (key, value) in object["data"].as_object().into_iter().flatten() {
            let here = at.key("data").key(key);
            if let Some(problem) = format::config_key(key) {
                self.push(
                    &here,
                    format!("ConfigMap key `{}` {problem}", super::shown(key)),
                    "letters, digits, `-`, `_` and `.`, at most 253 characters",
                );
            }
            size += value.as_str().map_or(0, str::len);
        }
        if size > MAX_DATA_BYTES {
            self.push(
                &at.key("data"),
                format!("the ConfigMap holds {size} bytes of data, over 1048576"),
                "at most 1 MiB of data",
            );
        }
    }

    /// A `configMap` or `secret` volume: the object's name, its items' keys and paths,
    /// and permission bits between 0 and 0777.
    pub(super) fn mounted_volume(&mut self, volume: &Json, at: &FieldPath) {
        for (field, name_field) in [("configMap", "name"), ("secret", "secretName")] {
            let source = &volume[field];
            if !source.is_object() {
                continue;
            }
            let here = at.key(field);
            if field == "configMap" {
                self.text(
                    &source[name_field],
                    &here.key(name_field),
                    "ConfigMap name",
                    format::dns_subdomain,
                    "a DNS subdomain",
                );
            }
            if let Some(mode) = source["defaultMode"].as_i64()
                && !(0..=0o777).contains(&mode)
            {
                self.push(
                    &here.key("defaultMode"),
                    format!("mode {mode} is not between 0 and 0777 (511)"),
                    "permission bits between 0 and 0777",
                );
            }
            for (index, item) in list(&source["items"]).iter().enumerate() {
                let item_at = here.key("items").index(index);
                self.text(
                    &item["key"],
                    &item_at.key("key"),
                    "key",
                    format::config_key,
                    "letters, digits, `-`, `_` and `.`",
                );
                if let Some(path) = item["path"].as_str()
                    && (path.is_empty()
                        || path.starts_with('/')
                        || path.split('/').any(|p| p == ".."))
                {
                    self.push(
                        &item_at.key("path"),
                        format!(
                            "item path `{}` is empty, absolute or holds `..`",
                            super::shown(path)
                        ),
                        "a relative file name inside the mount",
                    );
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    fn fields(object: &serde_json::Value) -> Vec<String> {
        super::super::check(object)
            .into_iter()
            .map(|v| v.at.to_string())
            .collect()
    }

    #[test]
    fn config_map_keys_and_mounted_volumes_are_checked() {
        let config_map = json!({
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "settings", "namespace": "app"},
            "data": {"good.key": "x", "bad/key": "y"},
        });
        assert_eq!(fields(&config_map), ["data.bad/key"]);
        let deployment = json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "app", "namespace": "app"},
            "spec": {
                "selector": {"matchLabels": {"app": "x"}},
                "template": {
                    "metadata": {"labels": {"app": "x"}},
                    "spec": {
                        "containers": [{"name": "app", "image": "example/app:1"}],
                        "volumes": [
                            {"name": "a", "configMap": {"name": "Bad_Name", "defaultMode": 1000}},
                            {"name": "b", "secret": {"secretName": "s", "items": [{"key": "k", "path": "../x"}]}},
                        ],
                    },
                },
            },
        });
        assert_eq!(
            fields(&deployment),
            [
                "spec.template.spec.volumes[0].configMap.name",
                "spec.template.spec.volumes[0].configMap.defaultMode",
                "spec.template.spec.volumes[1].secret.items[0].path",
            ]
        );
    }
}
