//! Configuration as data and the pod's extra containers: the environment's ConfigMaps
//! (in the namespace unit), ConfigMaps and Secrets mounted as files (volumes and
//! volume mounts), and init containers and native sidecars.

use serde_json::{Map, Value as Json, json};

use crate::model::{Container, EnvVar, EnvVarValue, Environment, Mount, MountSource, Service};
use crate::render::kubernetes::{MANAGER, env_source, key_ref};

/// The declared ConfigMaps that live in the namespace unit, by file name.
pub fn config_maps(env: &Environment, part_of: &str) -> Vec<(String, Json)> {
    env.config_maps
        .keys()
        .filter(|name| !env.homes.config_maps.contains_key(*name))
        .filter_map(|name| {
            Some((
                format!("configmap-{name}.yaml"),
                config_map(env, name, part_of)?,
            ))
        })
        .collect()
}

/// The ConfigMaps that live in `unit` (the one unit that uses each).
pub fn unit_config_maps(env: &Environment, unit: &str, part_of: &str) -> Vec<Json> {
    env.homes
        .config_maps_of(unit)
        .filter_map(|name| config_map(env, name, part_of))
        .collect()
}

fn config_map(env: &Environment, name: &str, part_of: &str) -> Option<Json> {
    let data = env.config_maps.get(name)?;
    Some(json!({
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": name,
            "namespace": env.namespace,
            "labels": {
                "app.kubernetes.io/managed-by": MANAGER,
                "app.kubernetes.io/part-of": part_of,
            },
        },
        "data": data,
    }))
}

/// The volume behind a mount: one per source, keys and mode, so containers mounting
/// the same thing share it. A DNS label whatever the source's name: a readable prefix
/// of the name and 8 hex digits of a hash of the whole mount source.
pub fn mount_volume(mount: &Mount) -> String {
    use sha2::{Digest, Sha256};
    let (kind, name) = match &mount.source {
        MountSource::ConfigMap(name) => ("cm", name),
        MountSource::Secret(name) => ("secret", name),
    };
    let canonical = json!([kind, name, mount.keys, mount.default_mode]).to_string();
    let hash: String = Sha256::digest(canonical.as_bytes())
        .iter()
        .take(4)
        .map(|b| format!("{b:02x}"))
        .collect();
    let room = 63 - kind.len() - 1 - 1 - hash.len();
    let readable: String = name
        .chars()
        .map(|c| match c {
            'a'..='z' | '0'..='9' => c,
            _ => '-',
        })
        .take(room)
        .collect();
    let readable = readable.trim_matches('-');
    match readable.is_empty() {
        true => format!("{kind}-{hash}"),
        false => format!("{kind}-{readable}-{hash}"),
    }
}

/// The pod's volumes for every mount of every container, each once, in the order the
/// containers and their mounts come.
pub fn mount_volumes(service: &Service) -> Vec<Json> {
    let mut seen: Vec<String> = Vec::new();
    let mut out = Vec::new();
    let mounts = service.mounts.iter().chain(
        service
            .extra_containers
            .iter()
            .flat_map(|c| c.mounts.iter()),
    );
    for mount in mounts {
        let name = mount_volume(mount);
        if seen.contains(&name) {
            continue;
        }
        seen.push(name.clone());
        let mut source = Map::new();
        let field = match &mount.source {
            MountSource::ConfigMap(object) => {
                source.insert("name".into(), json!(object));
                "configMap"
            }
            MountSource::Secret(object) => {
                source.insert("secretName".into(), json!(object));
                "secret"
            }
        };
        if !mount.keys.is_empty() {
            let items: Vec<Json> = mount
                .keys
                .iter()
                .map(|key| json!({ "key": key, "path": key }))
                .collect();
            source.insert("items".into(), Json::Array(items));
        }
        source.insert("defaultMode".into(), json!(mount.default_mode));
        let mut volume = Map::new();
        volume.insert("name".into(), json!(name));
        volume.insert(field.into(), Json::Object(source));
        out.push(Json::Object(volume));
    }
    out
}

/// A container's read-only mounts of ConfigMaps and Secrets.
pub fn volume_mounts(mounts: &[Mount]) -> Vec<Json> {
    mounts
        .iter()
        .map(|m| json!({ "name": mount_volume(m), "mountPath": m.path, "readOnly": true }))
        .collect()
}

/// The emptyDir volume behind the `path`th writable path of the `container`th extra
/// container (1-based; the main container's are `writable-N`).
fn writable_volume(container: usize, path: usize) -> String {
    format!("writable-{container}-{path}")
}

/// The emptyDir volumes of the extra containers' writable paths.
pub fn extra_writable_volumes(service: &Service) -> Vec<Json> {
    let mut out = Vec::new();
    for (index, container) in service.extra_containers.iter().enumerate() {
        for (path, _) in container.writable_paths.iter().enumerate() {
            out.push(json!({ "name": writable_volume(index + 1, path), "emptyDir": {} }));
        }
    }
    out
}

/// Sidecars (`restartPolicy: Always`), then init containers, in the model's order,
/// each with the main container's restricted security context.
pub fn init_containers(service: &Service) -> Vec<Json> {
    let read_only = !service.security.writable_root_filesystem.unwrap_or(false);
    service
        .extra_containers
        .iter()
        .enumerate()
        .map(|(index, c)| container(index + 1, c, read_only))
        .collect()
}

fn container(index: usize, c: &Container, read_only: bool) -> Json {
    let mut out = Map::new();
    out.insert("name".into(), json!(c.name));
    out.insert("image".into(), json!(c.image.reference()));
    out.insert("imagePullPolicy".into(), json!(c.pull_policy));
    if c.sidecar {
        out.insert("restartPolicy".into(), json!("Always"));
    }
    if !c.command.is_empty() {
        out.insert("command".into(), json!(c.command));
    }
    if !c.args.is_empty() {
        out.insert("args".into(), json!(c.args));
    }
    if !c.env.is_empty() {
        out.insert(
            "env".into(),
            Json::Array(c.env.iter().map(env_var).collect()),
        );
    }
    if !c.env_from.is_empty() {
        let sources: Vec<Json> = c.env_from.iter().map(env_source).collect();
        out.insert("envFrom".into(), Json::Array(sources));
    }
    let mut resources = Map::new();
    if !c.resources.requests.is_empty() {
        resources.insert("requests".into(), json!(c.resources.requests));
    }
    if !c.resources.limits.is_empty() {
        resources.insert("limits".into(), json!(c.resources.limits));
    }
    if !resources.is_empty() {
        out.insert("resources".into(), Json::Object(resources));
    }
    out.insert(
        "securityContext".into(),
        json!({
            "allowPrivilegeEscalation": false,
            "capabilities": { "drop": ["ALL"] },
            "readOnlyRootFilesystem": read_only,
        }),
    );
    let mut mounts = volume_mounts(&c.mounts);
    for (path_index, path) in c.writable_paths.iter().enumerate() {
        mounts.push(json!({ "name": writable_volume(index, path_index), "mountPath": path }));
    }
    if !mounts.is_empty() {
        out.insert("volumeMounts".into(), Json::Array(mounts));
    }
    Json::Object(out)
}

fn env_var(var: &EnvVar) -> Json {
    let (source, name, key, optional) = match &var.value {
        EnvVarValue::Literal(value) => return json!({ "name": var.name, "value": value }),
        EnvVarValue::SecretKey {
            name,
            key,
            optional,
        } => ("secretKeyRef", name, key, optional),
        EnvVarValue::ConfigMapKey {
            name,
            key,
            optional,
        } => ("configMapKeyRef", name, key, optional),
    };
    json!({ "name": var.name, "valueFrom": { source: key_ref(name, key, *optional) } })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mount(source: MountSource, keys: &[&str], mode: u32) -> Mount {
        Mount {
            path: "/etc/x".into(),
            source,
            keys: keys.iter().map(|k| (*k).to_owned()).collect(),
            default_mode: mode,
        }
    }

    #[test]
    fn volume_names_are_dns_labels_whatever_the_source() {
        let long = "a.".repeat(120) + "b";
        for name in [long.as_str(), "gateway-config", "...", "x"] {
            for source in [
                MountSource::ConfigMap(name.to_owned()),
                MountSource::Secret(name.to_owned()),
            ] {
                let volume = mount_volume(&mount(source, &[], 0o444));
                assert!(
                    crate::validate::api::format::dns_label(&volume).is_none(),
                    "{volume}"
                );
            }
        }
        let a = mount_volume(&mount(MountSource::ConfigMap("c".into()), &["k"], 0o444));
        let b = mount_volume(&mount(MountSource::ConfigMap("c".into()), &["k"], 0o440));
        let c = mount_volume(&mount(MountSource::Secret("c".into()), &["k"], 0o444));
        assert!(a != b && a != c && b != c);
        assert_eq!(
            a,
            mount_volume(&mount(MountSource::ConfigMap("c".into()), &["k"], 0o444))
        );
    }
}
