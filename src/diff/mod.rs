//! `mcpstack diff`: what a change deploys, object by object. Both sides are compiled
//! from specs (the base revision's and the working tree's) and rendered to the objects
//! Flux will apply; the two sets are compared by identity (environment, unit,
//! apiVersion, kind, namespace, name), and each changed object field by field. `run` reads
//! the revision (`revision`) and compiles both sides; the rest is pure.

pub mod format;
pub mod risk;
mod run;

pub use run::{Format, Request, run};

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value as Json;

use crate::model::Stack;
use crate::render::{self, UnitOf, flux};
use crate::spec::Tier;

/// Where an object is: what `diff` matches objects by.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Identity {
    pub unit: String,
    pub api_version: String,
    pub kind: String,
    pub namespace: String,
    pub name: String,
}

impl Identity {
    fn of(unit: &str, object: &Json) -> Identity {
        let text = |value: &Json| value.as_str().unwrap_or_default().to_owned();
        Identity {
            unit: unit.to_owned(),
            api_version: text(&object["apiVersion"]),
            kind: text(&object["kind"]),
            namespace: text(&object["metadata"]["namespace"]),
            name: text(&object["metadata"]["name"]),
        }
    }

    /// `Kind namespace/name`, or `Kind name` for cluster-wide objects.
    pub fn label(&self) -> String {
        match self.namespace.is_empty() {
            true => format!("{} {}", self.kind, self.name),
            false => format!("{} {}/{}", self.kind, self.namespace, self.name),
        }
    }
}

/// One environment's objects, as Flux will be handed them.
#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    pub tier: Tier,
    pub objects: BTreeMap<Identity, Json>,
}

/// Every environment of a compiled stack, rendered, by name.
pub fn rendered(stack: &Stack) -> BTreeMap<String, Rendered> {
    let rendered = crate::parallel::map(&stack.environments, |env| {
        let objects = render::unit_objects(&stack.name, env)
            .into_iter()
            .map(|(unit, object)| {
                let unit = match unit {
                    UnitOf::Namespace => flux::NAMESPACE_UNIT,
                    UnitOf::Service(name) | UnitOf::Chart(name) => name,
                    UnitOf::Flux => "flux",
                };
                let object = render::sorted_keys(object);
                (Identity::of(unit, &object), object)
            })
            .collect();
        Rendered {
            tier: env.tier,
            objects,
        }
    });
    stack
        .environments
        .iter()
        .zip(rendered)
        .map(|(env, rendered)| (env.name.clone(), rendered))
        .collect()
}

/// The difference of two rendered stacks.
#[derive(Debug, Clone, PartialEq)]
pub struct Diff {
    /// Every environment of either side, by name, unchanged ones included.
    pub environments: Vec<EnvironmentDiff>,
    /// What a reviewer must not miss, in environment and object order.
    pub risks: Vec<risk::Risk>,
}

impl Diff {
    /// Whether anything changed.
    pub fn has_changes(&self) -> bool {
        self.environments
            .iter()
            .any(|e| !matches!(e.status, Status::Unchanged))
    }
}

/// One environment's part of a diff.
#[derive(Debug, Clone, PartialEq)]
pub struct EnvironmentDiff {
    pub name: String,
    pub tier: Tier,
    pub status: Status,
    /// Objects of the environment on the side that has it (the new side when both do).
    pub objects: usize,
    /// Changed objects, in identity order; empty for added and removed environments,
    /// which are summarised rather than listed.
    pub changes: Vec<ObjectChange>,
}

impl EnvironmentDiff {
    pub fn count(&self, kind: ChangeKind) -> usize {
        self.changes.iter().filter(|c| c.kind() == kind).count()
    }
}

/// Whether an environment exists on each side, and changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Added,
    Removed,
    Changed,
    Unchanged,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Added => "added",
            Status::Removed => "removed",
            Status::Changed => "changed",
            Status::Unchanged => "unchanged",
        }
    }
}

/// One object that differs.
#[derive(Debug, Clone, PartialEq)]
pub struct ObjectChange {
    pub identity: Identity,
    pub change: Change,
}

impl ObjectChange {
    pub fn kind(&self) -> ChangeKind {
        match self.change {
            Change::Added(_) => ChangeKind::Added,
            Change::Removed(_) => ChangeKind::Removed,
            Change::Changed(_) => ChangeKind::Changed,
        }
    }
}

/// How an object differs: the whole object when it is new or gone.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    Added(Json),
    Removed(Json),
    Changed(Vec<FieldChange>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    Added,
    Removed,
    Changed,
}

impl ChangeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Added => "added",
            ChangeKind::Removed => "removed",
            ChangeKind::Changed => "changed",
        }
    }
}

/// One field that differs: its path (`spec.template.spec.containers[gateway].image`),
/// and its value on each side (`None`: absent).
#[derive(Debug, Clone, PartialEq)]
pub struct FieldChange {
    pub path: String,
    pub old: Option<Json>,
    pub new: Option<Json>,
}

/// Compare `base` with `head`, limited to `only` environments when it is not empty.
pub fn compare(
    base: &BTreeMap<String, Rendered>,
    head: &BTreeMap<String, Rendered>,
    only: &[String],
) -> Diff {
    let names: BTreeSet<&String> = base.keys().chain(head.keys()).collect();
    let wanted = |name: &str| only.is_empty() || only.iter().any(|o| o == name);
    let mut environments = Vec::new();
    let mut risks = Vec::new();
    for name in names.into_iter().filter(|n| wanted(n)) {
        let diff = match (base.get(name), head.get(name)) {
            (None, Some(new)) => whole(name, new, Status::Added),
            (Some(old), None) => whole(name, old, Status::Removed),
            (Some(old), Some(new)) => environment(name, old, new),
            (None, None) => continue,
        };
        risks.extend(risk::of(&diff, base.get(name), head.get(name)));
        environments.push(diff);
    }
    Diff {
        environments,
        risks,
    }
}

/// An environment on one side only: summarised, not listed.
fn whole(name: &str, rendered: &Rendered, status: Status) -> EnvironmentDiff {
    EnvironmentDiff {
        name: name.to_owned(),
        tier: rendered.tier,
        status,
        objects: rendered.objects.len(),
        changes: Vec::new(),
    }
}

fn environment(name: &str, old: &Rendered, new: &Rendered) -> EnvironmentDiff {
    let ids: BTreeSet<&Identity> = old.objects.keys().chain(new.objects.keys()).collect();
    let changes: Vec<ObjectChange> = ids
        .into_iter()
        .filter_map(|id| {
            let change = match (old.objects.get(id), new.objects.get(id)) {
                (None, Some(object)) => Change::Added(object.clone()),
                (Some(object), None) => Change::Removed(object.clone()),
                (Some(a), Some(b)) if a == b => return None,
                (Some(a), Some(b)) => Change::Changed(fields(a, b)),
                (None, None) => return None,
            };
            Some(ObjectChange {
                identity: id.clone(),
                change,
            })
        })
        .collect();
    EnvironmentDiff {
        name: name.to_owned(),
        tier: new.tier,
        status: match changes.is_empty() {
            true => Status::Unchanged,
            false => Status::Changed,
        },
        objects: new.objects.len(),
        changes,
    }
}

/// The fields that differ between two versions of an object, in document order.
pub fn fields(old: &Json, new: &Json) -> Vec<FieldChange> {
    let mut out = Vec::new();
    walk("", Some(old), Some(new), &mut out);
    out
}

fn walk(path: &str, old: Option<&Json>, new: Option<&Json>, out: &mut Vec<FieldChange>) {
    match (old, new) {
        (Some(a), Some(b)) if a == b => {}
        (Some(Json::Object(a)), Some(Json::Object(b))) => {
            let keys: Vec<&String> = a
                .keys()
                .chain(b.keys().filter(|k| !a.contains_key(*k)))
                .collect();
            for key in keys {
                walk(&key_path(path, key), a.get(key), b.get(key), out);
            }
        }
        (Some(Json::Array(a)), Some(Json::Array(b))) => list(path, a, b, out),
        _ => out.push(FieldChange {
            path: display_path(path),
            old: old.cloned(),
            new: new.cloned(),
        }),
    }
}

/// Lists whose items all have a distinct `name` (containers, env, ports, volumes) are
/// matched by name, so that a reordering is one change of order rather than a change
/// of every item; other lists of mappings item by item; lists of scalars whole.
fn list(path: &str, a: &[Json], b: &[Json], out: &mut Vec<FieldChange>) {
    if let (Some(old), Some(new)) = (named(a), named(b)) {
        let old_names: Vec<&str> = old.iter().map(|(n, _)| *n).collect();
        let new_names: Vec<&str> = new.iter().map(|(n, _)| *n).collect();
        for (name, item) in &old {
            let other = new.iter().find(|(n, _)| n == name).map(|(_, i)| *i);
            walk(&item_path(path, name), Some(item), other, out);
        }
        for (name, item) in new.iter().filter(|(n, _)| !old_names.contains(n)) {
            walk(&item_path(path, name), None, Some(item), out);
        }
        let kept_old: Vec<&str> = old_names
            .iter()
            .copied()
            .filter(|n| new_names.contains(n))
            .collect();
        let kept_new: Vec<&str> = new_names
            .iter()
            .copied()
            .filter(|n| old_names.contains(n))
            .collect();
        if kept_old != kept_new {
            out.push(FieldChange {
                path: format!("{} (order)", display_path(path)),
                old: Some(Json::from(kept_old)),
                new: Some(Json::from(kept_new)),
            });
        }
        return;
    }
    let mappings = a.iter().chain(b).all(Json::is_object);
    if !mappings {
        out.push(FieldChange {
            path: display_path(path),
            old: Some(Json::Array(a.to_vec())),
            new: Some(Json::Array(b.to_vec())),
        });
        return;
    }
    for index in 0..a.len().max(b.len()) {
        walk(&format!("{path}[{index}]"), a.get(index), b.get(index), out);
    }
}

/// The items of a list by their `name`, when every item is a mapping with a distinct
/// string `name`.
fn named(items: &[Json]) -> Option<Vec<(&str, &Json)>> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        let name = item.get("name")?.as_str()?;
        if !seen.insert(name) {
            return None;
        }
        out.push((name, item));
    }
    Some(out)
}

fn key_path(path: &str, key: &str) -> String {
    let plain = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    match (plain, path.is_empty()) {
        (true, true) => key.to_owned(),
        (true, false) => format!("{path}.{key}"),
        (false, _) => format!("{path}[{}]", quoted(key)),
    }
}

fn item_path(path: &str, name: &str) -> String {
    let plain = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '/'));
    match plain {
        true => format!("{path}[{name}]"),
        false => format!("{path}[{}]", quoted(name)),
    }
}

fn quoted(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_default()
}

fn display_path(path: &str) -> String {
    match path.is_empty() {
        true => "(object)".to_owned(),
        false => path.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn paths(old: Json, new: Json) -> Vec<(String, Option<Json>, Option<Json>)> {
        fields(&old, &new)
            .into_iter()
            .map(|f| (f.path, f.old, f.new))
            .collect()
    }

    #[test]
    fn a_scalar_change_is_one_field() {
        assert_eq!(
            paths(
                json!({"spec": {"replicas": 2, "x": 1}}),
                json!({"spec": {"replicas": 3, "x": 1}})
            ),
            vec![("spec.replicas".to_owned(), Some(json!(2)), Some(json!(3)))]
        );
    }

    #[test]
    fn named_lists_match_by_name_and_report_a_reordering_once() {
        let old = json!({"env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}, {"name": "C", "value": "3"}]});
        let new = json!({"env": [{"name": "C", "value": "3"}, {"name": "A", "value": "1"}, {"name": "B", "value": "9"}]});
        assert_eq!(
            paths(old, new),
            vec![
                (
                    "env[B].value".to_owned(),
                    Some(json!("2")),
                    Some(json!("9"))
                ),
                (
                    "env (order)".to_owned(),
                    Some(json!(["A", "B", "C"])),
                    Some(json!(["C", "A", "B"]))
                ),
            ]
        );
    }

    #[test]
    fn added_and_removed_items_and_keys() {
        let old = json!({"metadata": {"annotations": {"a.b/c": "x"}}, "ports": [{"name": "main", "port": 1}]});
        let new = json!({"metadata": {}, "ports": [{"name": "main", "port": 1}, {"name": "metrics", "port": 2}]});
        assert_eq!(
            paths(old, new),
            vec![
                (
                    "metadata.annotations".to_owned(),
                    Some(json!({"a.b/c": "x"})),
                    None
                ),
                (
                    "ports[metrics]".to_owned(),
                    None,
                    Some(json!({"name": "metrics", "port": 2}))
                ),
            ]
        );
        assert_eq!(
            paths(json!({"a": {"x.y/z": "1"}}), json!({"a": {"x.y/z": "2"}})),
            vec![(
                "a[\"x.y/z\"]".to_owned(),
                Some(json!("1")),
                Some(json!("2"))
            )]
        );
    }

    #[test]
    fn scalar_lists_change_whole_and_unnamed_mappings_by_index() {
        assert_eq!(
            paths(json!({"args": ["a", "b"]}), json!({"args": ["a", "c"]})),
            vec![(
                "args".to_owned(),
                Some(json!(["a", "b"])),
                Some(json!(["a", "c"]))
            )]
        );
        assert_eq!(
            paths(
                json!({"rules": [{"verbs": ["get"]}]}),
                json!({"rules": [{"verbs": ["get"]}, {"verbs": ["list"]}]})
            ),
            vec![(
                "rules[1]".to_owned(),
                None,
                Some(json!({"verbs": ["list"]}))
            )]
        );
    }
}
