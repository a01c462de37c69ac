//! What a reviewer must not miss in a diff: deletions of objects that hold data or
//! scope, production image changes, RBAC that widens, network policy that opens,
//! security contexts that loosen, production replicas and budgets that drop to one or
//! zero, and units that leave Flux's `dependsOn` order.

use std::collections::BTreeSet;

use serde_json::Value as Json;

use super::{Change, EnvironmentDiff, FieldChange, Identity, Rendered, Status};
use crate::spec::Tier;

/// One thing to look at, in one environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Risk {
    pub environment: String,
    /// `None` for an environment as a whole.
    pub object: Option<Identity>,
    pub kind: RiskKind,
    pub message: String,
}

/// The kinds of risk, as `--format json` names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RiskKind {
    DataDeleted,
    EnvironmentRemoved,
    ProductionImage,
    RbacWidened,
    NetworkOpened,
    SecurityLoosened,
    AvailabilityDropped,
    OrderLost,
}

impl RiskKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RiskKind::DataDeleted => "data-deleted",
            RiskKind::EnvironmentRemoved => "environment-removed",
            RiskKind::ProductionImage => "production-image",
            RiskKind::RbacWidened => "rbac-widened",
            RiskKind::NetworkOpened => "network-opened",
            RiskKind::SecurityLoosened => "security-loosened",
            RiskKind::AvailabilityDropped => "availability-dropped",
            RiskKind::OrderLost => "order-lost",
        }
    }
}

/// Kinds whose deletion loses data or everything in a scope.
const HOLDS_DATA: [&str; 3] = ["PersistentVolumeClaim", "StatefulSet", "Namespace"];

/// The risks of one environment's diff.
pub fn of(diff: &EnvironmentDiff, old: Option<&Rendered>, new: Option<&Rendered>) -> Vec<Risk> {
    let mut out = Vec::new();
    let env = diff.name.as_str();
    let production = diff.tier == Tier::Production;
    if diff.status == Status::Removed {
        let held: Vec<String> = old
            .into_iter()
            .flat_map(|r| r.objects.keys())
            .filter(|id| HOLDS_DATA.contains(&id.kind.as_str()))
            .map(Identity::label)
            .collect();
        let mut message = format!(
            "environment `{env}` ({}) is removed with its {} object(s)",
            diff.tier.as_str(),
            diff.objects
        );
        if !held.is_empty() {
            message.push_str(&format!(", deleting {}", held.join(", ")));
        }
        out.push(Risk {
            environment: env.to_owned(),
            object: None,
            kind: RiskKind::EnvironmentRemoved,
            message,
        });
        return out;
    }
    if diff.status == Status::Added {
        // A new environment's objects are all new: look at its open doors only.
        for (id, object) in new.into_iter().flat_map(|r| r.objects.iter()) {
            opened(env, id, None, object, &mut out);
            widened(env, id, None, object, &mut out);
        }
        return out;
    }
    for change in &diff.changes {
        let id = &change.identity;
        let risk = |kind: RiskKind, message: String| Risk {
            environment: env.to_owned(),
            object: Some(id.clone()),
            kind,
            message,
        };
        match &change.change {
            Change::Removed(object) => {
                if HOLDS_DATA.contains(&id.kind.as_str()) {
                    out.push(risk(
                        RiskKind::DataDeleted,
                        format!("{} is deleted{}", id.label(), data_note(object)),
                    ));
                }
                if id.kind == "NetworkPolicy" && id.name.ends_with("default-deny") {
                    out.push(risk(
                        RiskKind::NetworkOpened,
                        format!(
                            "{} is deleted: pods are no longer denied by default",
                            id.label()
                        ),
                    ));
                }
                if production && id.kind == "PodDisruptionBudget" {
                    out.push(risk(
                        RiskKind::AvailabilityDropped,
                        format!("{} is deleted in production", id.label()),
                    ));
                }
            }
            Change::Added(object) => {
                opened(env, id, None, object, &mut out);
                widened(env, id, None, object, &mut out);
            }
            Change::Changed(fields) => {
                let before = old.and_then(|r| r.objects.get(id));
                let after = new.and_then(|r| r.objects.get(id));
                if let (Some(before), Some(after)) = (before, after) {
                    opened(env, id, Some(before), after, &mut out);
                    widened(env, id, Some(before), after, &mut out);
                }
                for field in fields {
                    out.extend(
                        field_risks(id, field, production)
                            .into_iter()
                            .map(|(kind, message)| risk(kind, message)),
                    );
                }
            }
        }
    }
    out
}

fn data_note(object: &Json) -> String {
    let claims = object["spec"]["volumeClaimTemplates"]
        .as_array()
        .map_or(0, Vec::len);
    match claims {
        0 => String::new(),
        _ => " (its claims stay unless its retention policy deletes them)".to_owned(),
    }
}

/// Risks a single changed field carries.
fn field_risks(id: &Identity, field: &FieldChange, production: bool) -> Vec<(RiskKind, String)> {
    let mut out = Vec::new();
    let path = field.path.as_str();
    let shown = |value: &Option<Json>| value.as_ref().map_or("(none)".to_owned(), short);
    if production && (path.ends_with(".image") || path.contains(".images[")) {
        out.push((
            RiskKind::ProductionImage,
            format!(
                "{}: {path} {} -> {}",
                id.label(),
                shown(&field.old),
                shown(&field.new)
            ),
        ));
    }
    if let Some(why) = loosened(path, field.old.as_ref(), field.new.as_ref()) {
        out.push((
            RiskKind::SecurityLoosened,
            format!("{}: {path} {why}", id.label()),
        ));
    }
    if let Some(why) =
        dropped(id, path, field.old.as_ref(), field.new.as_ref()).filter(|_| production)
    {
        out.push((
            RiskKind::AvailabilityDropped,
            format!("{}: {why}", id.label()),
        ));
    }
    if id.kind == "Kustomization" && path.starts_with("spec.dependsOn") {
        let names = |value: &Option<Json>| -> BTreeSet<String> {
            value
                .iter()
                .flat_map(|v| match v {
                    Json::Array(items) => items.clone(),
                    other => vec![other.clone()],
                })
                .filter_map(|item| item["name"].as_str().map(str::to_owned))
                .collect()
        };
        let lost: Vec<String> = names(&field.old)
            .difference(&names(&field.new))
            .cloned()
            .collect();
        if !lost.is_empty() {
            out.push((
                RiskKind::OrderLost,
                format!(
                    "Flux unit `{}` no longer waits for {}",
                    id.name,
                    lost.iter()
                        .map(|n| format!("`{n}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
    }
    out
}

/// Whether a security-relevant field moved towards less restriction, and how.
fn loosened(path: &str, old: Option<&Json>, new: Option<&Json>) -> Option<String> {
    let leaf = path.rsplit(['.', '[']).next().unwrap_or(path);
    let truthy = |v: Option<&Json>| v.and_then(Json::as_bool);
    let change = |a: Option<&Json>, b: Option<&Json>| {
        format!(
            "{} -> {}",
            a.map_or("(none)".to_owned(), short),
            b.map_or("(none)".to_owned(), short)
        )
    };
    let looser = match leaf {
        "runAsNonRoot" | "readOnlyRootFilesystem" => {
            truthy(old) == Some(true) && truthy(new) != Some(true)
        }
        "allowPrivilegeEscalation" | "automountServiceAccountToken" => {
            truthy(old) == Some(false) && truthy(new) != Some(false)
        }
        "privileged" | "hostNetwork" | "hostPID" | "hostIPC" => truthy(new) == Some(true),
        "runAsUser" | "runAsGroup" => new.and_then(Json::as_i64) == Some(0),
        "drop" if path.contains("capabilities") => {
            let has_all = |v: Option<&Json>| {
                v.and_then(Json::as_array)
                    .is_some_and(|l| l.iter().any(|c| c == "ALL"))
            };
            has_all(old) && !has_all(new)
        }
        "add" if path.contains("capabilities") => new.is_some(),
        "type" if path.contains("seccompProfile") => {
            new.and_then(Json::as_str) == Some("Unconfined") || new.is_none()
        }
        _ if path.ends_with("securityContext") || path.ends_with("seccompProfile") => {
            old.is_some() && new.is_none()
        }
        _ => false,
    };
    looser.then(|| change(old, new))
}

/// A production replica count, autoscaler floor or budget that drops to one or zero.
fn dropped(id: &Identity, path: &str, old: Option<&Json>, new: Option<&Json>) -> Option<String> {
    let count = |v: Option<&Json>| v.and_then(Json::as_i64);
    let watched = matches!(
        (id.kind.as_str(), path),
        ("Deployment" | "StatefulSet", "spec.replicas")
            | ("HorizontalPodAutoscaler", "spec.minReplicas")
            | ("PodDisruptionBudget", "spec.minAvailable")
    );
    if !watched {
        return None;
    }
    let (before, after) = (count(old), count(new));
    match (before, after) {
        (Some(b), Some(a)) if a <= 1 && a < b => Some(format!("{path} drops from {b} to {a}")),
        _ => None,
    }
}

/// New traffic a network policy admits: a peer (with its ports) on either side that
/// the old policy did not have, and `0.0.0.0/0` or `::/0` above all.
fn opened(env: &str, id: &Identity, old: Option<&Json>, new: &Json, out: &mut Vec<Risk>) {
    if id.kind != "NetworkPolicy" && id.kind != "CiliumNetworkPolicy" {
        return;
    }
    for direction in ["ingress", "egress"] {
        let before = rules(old, direction);
        let fresh: Vec<String> = rules(Some(new), direction)
            .difference(&before)
            .cloned()
            .collect();
        if fresh.is_empty() {
            continue;
        }
        let everywhere = fresh
            .iter()
            .any(|r| r.contains("0.0.0.0/0") || r.contains("::/0") || r.contains("\"world\""));
        // A new unit's policy opens its declared doors: only the whole internet is
        // worth a line there.
        if old.is_none() && !everywhere {
            continue;
        }
        let what = match everywhere {
            true => format!("opens {direction} to or from anywhere (0.0.0.0/0)"),
            false => format!("admits new {direction}: {}", fresh.join("; ")),
        };
        out.push(Risk {
            environment: env.to_owned(),
            object: Some(id.clone()),
            kind: RiskKind::NetworkOpened,
            message: format!("{} {what}", id.label()),
        });
    }
}

/// A policy's rules in one direction, each as compact JSON, for set comparison.
fn rules(policy: Option<&Json>, direction: &str) -> BTreeSet<String> {
    policy
        .and_then(|p| p["spec"][direction].as_array())
        .into_iter()
        .flatten()
        .map(|rule| serde_json::to_string(rule).unwrap_or_default())
        .collect()
}

/// RBAC that grants more: new (group, resource, verb) triples, wildcards, and any new
/// cluster-wide role or binding.
fn widened(env: &str, id: &Identity, old: Option<&Json>, new: &Json, out: &mut Vec<Risk>) {
    let role = matches!(id.kind.as_str(), "Role" | "ClusterRole");
    let cluster_binding = id.kind == "ClusterRoleBinding";
    if !role && !cluster_binding {
        return;
    }
    let risk = |message: String| Risk {
        environment: env.to_owned(),
        object: Some(id.clone()),
        kind: RiskKind::RbacWidened,
        message,
    };
    if cluster_binding {
        if old.is_none() {
            out.push(risk(format!("{} binds a role cluster-wide", id.label())));
        }
        return;
    }
    let fresh: Vec<String> = grants(Some(new))
        .difference(&grants(old))
        .cloned()
        .collect();
    if fresh.is_empty() {
        return;
    }
    let scope = match id.kind.as_str() {
        "ClusterRole" => " in every namespace",
        _ => "",
    };
    out.push(risk(format!(
        "{} grants {}{scope}",
        id.label(),
        fresh.join(", ")
    )));
}

/// Every (verb, group/resource) a role grants, as `verb group/resource` text.
fn grants(role: Option<&Json>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let strings = |value: &Json| -> Vec<String> {
        value
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect()
    };
    for rule in role
        .and_then(|r| r["rules"].as_array())
        .into_iter()
        .flatten()
    {
        for group in strings(&rule["apiGroups"]) {
            for resource in strings(&rule["resources"]) {
                for verb in strings(&rule["verbs"]) {
                    let group = match group.as_str() {
                        "" => "core".to_owned(),
                        other => other.to_owned(),
                    };
                    out.insert(format!("`{verb}` on {group}/{resource}"));
                }
            }
        }
    }
    out
}

/// A value in one line, at most 120 characters.
pub fn short(value: &Json) -> String {
    let text = match value {
        Json::String(s) => s.clone(),
        other => serde_json::to_string(other).unwrap_or_default(),
    };
    match text.chars().count() > 120 {
        true => format!("{}…", text.chars().take(119).collect::<String>()),
        false => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn id(kind: &str) -> Identity {
        Identity {
            unit: "u".into(),
            api_version: "v1".into(),
            kind: kind.into(),
            namespace: "ns".into(),
            name: "x".into(),
        }
    }

    #[test]
    fn loosening_is_told_from_tightening() {
        let t = json!(true);
        let f = json!(false);
        let path = "spec.template.spec.containers[x].securityContext.readOnlyRootFilesystem";
        assert!(loosened(path, Some(&t), Some(&f)).is_some());
        assert!(loosened(path, Some(&f), Some(&t)).is_none());
        let path = "spec.template.spec.containers[x].securityContext.allowPrivilegeEscalation";
        assert!(loosened(path, Some(&f), None).is_some());
        assert!(loosened("spec.replicas", Some(&t), Some(&f)).is_none());
    }

    #[test]
    fn replicas_that_drop_to_one_in_production() {
        let d = id("Deployment");
        assert!(dropped(&d, "spec.replicas", Some(&json!(3)), Some(&json!(1))).is_some());
        assert!(dropped(&d, "spec.replicas", Some(&json!(3)), Some(&json!(2))).is_none());
        assert!(dropped(&d, "spec.replicas", Some(&json!(1)), Some(&json!(3))).is_none());
    }

    #[test]
    fn new_grants_and_open_networks() {
        let mut out = Vec::new();
        let old =
            json!({"rules": [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get"]}]});
        let new = json!({"rules": [{"apiGroups": [""], "resources": ["configmaps", "secrets"], "verbs": ["get"]}]});
        widened("e", &id("Role"), Some(&old), &new, &mut out);
        assert_eq!(out.len(), 1);
        assert!(
            out[0].message.contains("`get` on core/secrets"),
            "{}",
            out[0].message
        );
        let mut out = Vec::new();
        let old = json!({"spec": {"egress": [{"to": [{"podSelector": {}}]}]}});
        let new = json!({"spec": {"egress": [{"to": [{"podSelector": {}}]}, {"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}]}]}});
        opened("e", &id("NetworkPolicy"), Some(&old), &new, &mut out);
        assert_eq!(out.len(), 1);
        assert!(out[0].message.contains("anywhere"), "{}", out[0].message);
    }
}
