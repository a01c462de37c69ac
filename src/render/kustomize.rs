//! Kustomize units: a base per service holding what the stack file says, and per
//! environment an overlay per service holding only that environment's differences.
//!
//! An overlay expresses differences with Kustomize's whole-tree transformers first
//! (`namespace`, `images`, `replicas`), puts objects that exist only in the environment
//! or differ in every environment (Ingress, HorizontalPodAutoscaler) in whole, and
//! patches what is left with JSON patches computed as the difference between the
//! transformed base and the environment's object.

use serde_json::{Map, Value as Json, json};

use crate::image::ImageRef;
use crate::model::Service;
use crate::render::kubernetes;

/// Kinds that live in a base and are patched per environment; all others are written
/// whole into the overlay.
/// A Job is not: its name carries a hash of its content in each environment.
const BASE_KINDS: [&str; 11] = [
    "ServiceMonitor",
    "ServiceAccount",
    "Service",
    "Deployment",
    "StatefulSet",
    "CronJob",
    "PersistentVolumeClaim",
    "PodDisruptionBudget",
    "OCIRepository",
    "HelmRepository",
    "HelmRelease",
];

/// A file of a unit: its name within the unit folder and its YAML body.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitFile {
    pub name: String,
    pub body: Json,
}

/// The file holding an object: its kind, lowercased.
pub fn file_name(object: &Json) -> String {
    format!("{}.yaml", stem(object))
}

/// What names an object's files: its kind, lowercased; a headless Service (a
/// StatefulSet's, beside the service's own Service) is `service-headless`; an
/// ExternalSecret or ConfigMap adds its name.
fn stem(object: &Json) -> String {
    let kind = kind(object).to_ascii_lowercase();
    if kind == "service" && object["spec"]["clusterIP"] == "None" {
        return format!("{kind}-headless");
    }
    // A unit may hold several Secrets and ConfigMaps (those only it uses).
    if matches!(kind.as_str(), "externalsecret" | "configmap") {
        return format!("{kind}-{}", name(object));
    }
    kind
}

fn kind(object: &Json) -> &str {
    object["kind"].as_str().unwrap_or_default()
}

fn name(object: &Json) -> &str {
    object["metadata"]["name"].as_str().unwrap_or_default()
}

fn kustomization(extra: Map<String, Json>) -> Json {
    let mut body = Map::new();
    body.insert(
        "apiVersion".into(),
        json!("kustomize.config.k8s.io/v1beta1"),
    );
    body.insert("kind".into(), json!("Kustomization"));
    body.extend(extra);
    Json::Object(body)
}

/// A Kustomization listing `resources` and nothing else.
pub fn aggregate(resources: &[String]) -> Json {
    let mut extra = Map::new();
    extra.insert("resources".into(), json!(resources));
    kustomization(extra)
}

/// The base of a service from its [`base_objects`]: the objects and their
/// kustomization.
pub fn base(objects: &[Json]) -> Vec<UnitFile> {
    let resources: Vec<String> = objects.iter().map(file_name).collect();
    let mut files = vec![UnitFile {
        name: "kustomization.yaml".into(),
        body: aggregate(&resources),
    }];
    files.extend(objects.iter().map(|o| UnitFile {
        name: file_name(o),
        body: o.clone(),
    }));
    files
}

/// The environment-independent objects of a service as the stack file describes it.
pub fn base_objects(service: &Service) -> Vec<Json> {
    kubernetes::objects(service, None)
        .into_iter()
        .filter(|o| BASE_KINDS.contains(&kind(o)))
        .collect()
}

/// The overlay that turns `bases` into `targets`. `images` is the unit's container
/// image in the base and in the environment, for the `images` transformer.
pub fn overlay_objects(
    targets: &[Json],
    bases: &[Json],
    images: Option<(&ImageRef, &ImageRef)>,
    namespace: &str,
    base_dir: &str,
) -> Vec<UnitFile> {
    // Kustomize's images transformer runs after the patches, on every container and
    // init container whose image has the entry's name: an entry is used only when it
    // leaves every such image of the environment's objects as they are meant to be
    // (an init container may run the main image's repository at another tag).
    let image = images
        .and_then(|(base, target)| images_entry(base, target))
        .filter(|entry| targets.iter().all(|t| image_entry_keeps(entry, t)));
    let mut resources = vec![base_dir.to_owned()];
    let mut whole = Vec::new();
    let mut patches = Vec::new();
    let mut patch_files = Vec::new();
    let mut replicas = None;
    for target in targets {
        let Some(base) = bases
            .iter()
            .find(|b| kind(b) == kind(target) && name(b) == name(target))
        else {
            resources.push(file_name(target));
            whole.push(target.clone());
            continue;
        };
        let mut transformed = base.clone();
        transformed["metadata"]["namespace"] = json!(namespace);
        if let Some(entry) = &image {
            apply_image(&mut transformed, entry);
        }
        if matches!(kind(target), "Deployment" | "StatefulSet")
            && let Some(count) = target["spec"].get("replicas")
            && transformed["spec"].get("replicas") != Some(count)
        {
            transformed["spec"]["replicas"] = count.clone();
            replicas = Some(json!([{ "name": name(target), "count": count }]));
        }
        let mut ops = Vec::new();
        diff("", &transformed, target, &mut ops);
        if ops.is_empty() {
            continue;
        }
        let file = format!("{}.patch.yaml", stem(target));
        patches.push(
            json!({ "path": file, "target": { "kind": kind(target), "name": name(target) } }),
        );
        patch_files.push(UnitFile {
            name: file,
            body: Json::Array(ops),
        });
    }
    for base in bases {
        if targets
            .iter()
            .any(|t| kind(t) == kind(base) && name(t) == name(base))
        {
            continue;
        }
        let file = format!("{}.delete.yaml", stem(base));
        let body = json!({
            "$patch": "delete",
            "apiVersion": base["apiVersion"],
            "kind": kind(base),
            "metadata": { "name": name(base) },
        });
        patches.push(json!({ "path": file }));
        patch_files.push(UnitFile { name: file, body });
    }
    let mut extra = Map::new();
    extra.insert("namespace".into(), json!(namespace));
    extra.insert("resources".into(), json!(resources));
    if let Some(entry) = image {
        extra.insert("images".into(), json!([entry]));
    }
    if let Some(replicas) = replicas {
        extra.insert("replicas".into(), replicas);
    }
    if !patches.is_empty() {
        extra.insert("patches".into(), json!(patches));
    }
    let mut files = vec![UnitFile {
        name: "kustomization.yaml".into(),
        body: kustomization(extra),
    }];
    files.extend(whole.into_iter().map(|o| UnitFile {
        name: file_name(&o),
        body: o,
    }));
    files.extend(patch_files);
    files
}

/// The `images` entry that turns the base image into the environment's, when one can.
/// Kustomize writes `newName[:newTag][@digest]`, keeping the old tag only when neither
/// a new tag nor a digest is given, so a tag is always restated with a digest.
fn images_entry(base: &ImageRef, target: &ImageRef) -> Option<Json> {
    if base == target || (target.tag.is_none() && target.digest.is_none()) {
        return None;
    }
    let mut entry = Map::new();
    entry.insert("name".into(), json!(base.name));
    if target.name != base.name {
        entry.insert("newName".into(), json!(target.name));
    }
    if let Some(tag) = &target.tag
        && (target.tag != base.tag || target.digest.is_some())
    {
        entry.insert("newTag".into(), json!(tag));
    }
    if let Some(digest) = &target.digest {
        entry.insert("digest".into(), json!(digest));
    }
    Some(Json::Object(entry))
}

/// What Kustomize's images transformer does to an object: every container and init
/// container image with the entry's name rewritten.
fn apply_image(object: &mut Json, entry: &Json) {
    for field in image_fields(object) {
        if let Some(new) = field
            .as_str()
            .and_then(|image| transformed_image(entry, image))
        {
            *field = json!(new);
        }
    }
}

/// Whether the images transformer leaves every image of `object` it matches as it is.
fn image_entry_keeps(entry: &Json, object: &Json) -> bool {
    let mut object = object.clone();
    image_fields(&mut object).into_iter().all(|field| {
        field
            .as_str()
            .and_then(|image| transformed_image(entry, image).map(|new| new == image))
            .unwrap_or(true)
    })
}

/// The `image` fields of an object's pod template (a CronJob's inside its job
/// template): containers and init containers.
fn image_fields(object: &mut Json) -> Vec<&mut Json> {
    let pointer = match kind(object) {
        "CronJob" => "/spec/jobTemplate/spec/template/spec",
        _ => "/spec/template/spec",
    };
    let Some(pod) = object.pointer_mut(pointer).and_then(Json::as_object_mut) else {
        return Vec::new();
    };
    pod.iter_mut()
        .filter(|(key, _)| matches!(key.as_str(), "containers" | "initContainers"))
        .filter_map(|(_, list)| list.as_array_mut())
        .flatten()
        .filter_map(|container| container.get_mut("image"))
        .collect()
}

/// `image` as the images transformer `entry` rewrites it (`None`: not its name).
/// Kustomize matches the name without tag and digest, then writes
/// `newName[:newTag][@digest]`, keeping the image's own tag only when the entry has
/// neither a new tag nor a digest, and its own digest only when it has no new tag.
fn transformed_image(entry: &Json, image: &str) -> Option<String> {
    let (rest, own_digest) = match image.split_once('@') {
        Some((rest, digest)) => (rest, Some(digest)),
        None => (image, None),
    };
    let (name, own_tag) = match rest.rfind(':') {
        Some(colon) if !rest[colon..].contains('/') => (&rest[..colon], Some(&rest[colon + 1..])),
        _ => (rest, None),
    };
    if entry.get("name").and_then(Json::as_str) != Some(name) {
        return None;
    }
    let new_name = entry.get("newName").and_then(Json::as_str).unwrap_or(name);
    let new_tag = entry.get("newTag").and_then(Json::as_str);
    let digest = entry.get("digest").and_then(Json::as_str);
    let tag = match (new_tag, digest) {
        (Some(tag), _) => Some(tag),
        (None, Some(_)) => None,
        (None, None) => own_tag,
    };
    let digest = digest.or(own_digest.filter(|_| new_tag.is_none()));
    let mut out = new_name.to_owned();
    if let Some(tag) = tag {
        out.push(':');
        out.push_str(tag);
    }
    if let Some(digest) = digest {
        out.push('@');
        out.push_str(digest);
    }
    Some(out)
}

/// JSON patch operations that turn `from` into `to`. Mappings are compared key by key,
/// lists of equal length item by item; anything else is replaced whole.
pub fn diff(path: &str, from: &Json, to: &Json, ops: &mut Vec<Json>) {
    if from == to {
        return;
    }
    match (from, to) {
        (Json::Object(a), Json::Object(b)) => {
            for key in a.keys().filter(|k| !b.contains_key(*k)) {
                ops.push(json!({ "op": "remove", "path": format!("{path}/{}", escape(key)) }));
            }
            for (key, value) in b {
                let child = format!("{path}/{}", escape(key));
                match a.get(key) {
                    Some(old) => diff(&child, old, value, ops),
                    None => ops.push(json!({ "op": "add", "path": child, "value": value })),
                }
            }
        }
        (Json::Array(a), Json::Array(b)) if a.len() == b.len() => {
            for (index, (old, new)) in a.iter().zip(b).enumerate() {
                diff(&format!("{path}/{index}"), old, new, ops);
            }
        }
        _ => ops.push(json!({ "op": "replace", "path": path, "value": to })),
    }
}

/// JSON pointer escaping of one key (`/` in label and annotation keys).
fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_is_minimal() {
        let from = json!({"a": 1, "b": {"c": [1, 2], "d": "x"}, "gone": true});
        let to = json!({"a": 1, "b": {"c": [1, 3], "d": "x", "e/f": 2}});
        let mut ops = Vec::new();
        diff("", &from, &to, &mut ops);
        assert_eq!(
            ops,
            vec![
                json!({"op": "remove", "path": "/gone"}),
                json!({"op": "replace", "path": "/b/c/1", "value": 3}),
                json!({"op": "add", "path": "/b/e~1f", "value": 2}),
            ]
        );
    }

    #[test]
    fn lists_of_other_length_are_replaced() {
        let mut ops = Vec::new();
        diff("", &json!({"l": [1]}), &json!({"l": [1, 2]}), &mut ops);
        assert_eq!(
            ops,
            vec![json!({"op": "replace", "path": "/l", "value": [1, 2]})]
        );
    }

    #[test]
    fn images_are_rewritten_as_kustomize_does() {
        let d = format!("sha256:{}", "a".repeat(64));
        let e = format!("sha256:{}", "b".repeat(64));
        let name = "ghcr.io/x/y";
        // Entries, images, and what `kubectl kustomize` (v5) made of them.
        let table = [
            (
                json!({"name": name, "digest": e}),
                "ghcr.io/x/y:1.0",
                format!("ghcr.io/x/y@{e}"),
            ),
            (
                json!({"name": name, "digest": e}),
                &*format!("ghcr.io/x/y:1.0@{d}"),
                format!("ghcr.io/x/y@{e}"),
            ),
            (
                json!({"name": name, "newName": "reg/z"}),
                "ghcr.io/x/y:1.0",
                "reg/z:1.0".to_owned(),
            ),
            (
                json!({"name": name, "newName": "reg/z"}),
                &*format!("ghcr.io/x/y:1.0@{d}"),
                format!("reg/z:1.0@{d}"),
            ),
            (
                json!({"name": name, "newTag": "t2"}),
                &*format!("ghcr.io/x/y:1.0@{d}"),
                "ghcr.io/x/y:t2".to_owned(),
            ),
            (
                json!({"name": name, "newTag": "t2"}),
                "ghcr.io/x/y",
                "ghcr.io/x/y:t2".to_owned(),
            ),
            (
                json!({"name": name, "newTag": "t2", "digest": e}),
                &*format!("ghcr.io/x/y@{d}"),
                format!("ghcr.io/x/y:t2@{e}"),
            ),
        ];
        for (entry, image, expected) in table {
            assert_eq!(
                transformed_image(&entry, image),
                Some(expected),
                "{entry} {image}"
            );
        }
        let entry = json!({"name": "host:5000/x/y", "newTag": "2"});
        assert_eq!(
            transformed_image(&entry, "host:5000/x/y"),
            Some("host:5000/x/y:2".to_owned())
        );
        assert_eq!(transformed_image(&entry, "host:5000/x/other:1"), None);
    }

    #[test]
    fn images_entry_restates_the_tag_with_a_digest() {
        let digest = format!("sha256:{}", "a".repeat(64));
        let base = ImageRef::new(Some("ghcr.io"), "a/b", Some("1.0"), None);
        let target = ImageRef::new(Some("ghcr.io"), "a/b", Some("1.0"), Some(&digest));
        let entry = images_entry(&base, &target).expect("entry");
        assert_eq!(
            entry,
            json!({"name": "ghcr.io/a/b", "newTag": "1.0", "digest": digest})
        );
        assert_eq!(images_entry(&base, &base), None);
    }
}
