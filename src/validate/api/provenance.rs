//! Where a field of a rendered object came from in the specs. A unit's objects are
//! rendered from one service, chart or the environment's settings; a table maps each
//! part of an object to the spec fields that feed it (`containers[0].env` comes from
//! `services.NAME.env`, `resources` from the service's or the global ones), and within
//! those the offending value itself is looked up, so a diagnostic lands on the line
//! that wrote it. What cannot be traced further is reported at the unit's spec entry.

use serde_json::Value as Json;

use crate::node::{FieldPath, Node, Segment, Value};
use crate::render::UnitOf as Owner;
use crate::source::Span;

/// A spec field, and where it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub path: FieldPath,
    pub span: Span,
}

/// Where the value at `at` of `object`, rendered for `owner`, was written in the
/// layered tree `merged`; `fallback` when nothing of the owner's is there.
pub fn origin(
    owner: Owner<'_>,
    object: &Json,
    at: &FieldPath,
    subject: Option<&str>,
    merged: &Node,
    fallback: Span,
) -> Origin {
    let kind = object["kind"].as_str().unwrap_or_default();
    // Secrets and ConfigMaps come from their own entries, whichever unit holds them.
    let owner = match kind {
        "ExternalSecret" | "ConfigMap" => Owner::Namespace,
        _ => owner,
    };
    let field = at.to_string();
    let mut owner_path = owner_path(owner, object);
    if let Some(named) = named_store(merged, object) {
        owner_path = named;
    }
    let candidates: Vec<FieldPath> = sources(owner, kind, &field)
        .iter()
        .map(|source| match source.strip_prefix('@') {
            Some(global) => dotted(&FieldPath::root(), global),
            None => dotted(&owner_path, source),
        })
        .chain(chart_values(owner, &owner_path, at))
        .chain(extra_container(owner, &owner_path, object, at))
        .collect();
    let wanted = wanted_values(object, at, subject);
    let last_key = at.0.iter().rev().find_map(|s| match s {
        Segment::Key(key) => Some(key.as_str()),
        Segment::Index(_) => None,
    });
    // The fields that feed this part of the object, then the whole entry of the owner.
    let searched = candidates.iter().chain([&owner_path]);
    for candidate in searched.clone() {
        let Some(node) = merged.at(candidate) else {
            continue;
        };
        // What is wrong first (the value, or the part of it named by the rule), then
        // the key that holds it; text that holds the part as a last resort.
        let found = wanted
            .iter()
            .find_map(|w| search(node, candidate, w, last_key, Match::Exact))
            .or_else(|| {
                subject.and_then(|part| search(node, candidate, part, last_key, Match::Within))
            });
        if let Some(found) = found {
            return found;
        }
    }
    for candidate in candidates.iter().chain([&owner_path]) {
        if let Some(node) = merged.at(candidate) {
            let span = match candidate == &owner_path {
                true => merged.locate_key(candidate).span,
                false => node.span,
            };
            return Origin {
                path: candidate.clone(),
                span,
            };
        }
    }
    Origin {
        path: owner_path.clone(),
        span: fallback,
    }
}

/// The entry of `global.secretStores` a store object was rendered from, if it was one:
/// the entry whose `name`, or whose key, names the object (a ClusterSecretStore's name
/// ends with it, after the namespace).
fn named_store(merged: &Node, object: &Json) -> Option<FieldPath> {
    let kind = object["kind"].as_str()?;
    if kind != "SecretStore" && kind != "ClusterSecretStore" {
        return None;
    }
    let name = object["metadata"]["name"].as_str()?;
    let at = FieldPath::root().key("global").key("secretStores");
    let stores = merged.at(&at)?.mapping()?;
    stores.iter().find_map(|(key, entry)| {
        let own = entry
            .node
            .get("name")
            .and_then(|n| n.to_json().as_str().map(str::to_owned));
        let own = own.as_deref().unwrap_or(key);
        (name == own || name.ends_with(&format!("-{own}"))).then(|| at.key(key))
    })
}

/// The spec entry a unit is rendered from.
fn owner_path(owner: Owner<'_>, object: &Json) -> FieldPath {
    let root = FieldPath::root();
    match owner {
        Owner::Service(name) => root.key("services").key(name),
        Owner::Chart(name) => root.key("charts").key(name),
        Owner::Flux => root.key("global").key("flux"),
        Owner::Namespace => match object["kind"].as_str() {
            Some("ExternalSecret") => root
                .key("secrets")
                .key(object["metadata"]["name"].as_str().unwrap_or_default()),
            Some("SecretStore" | "ClusterSecretStore") => root.key("global").key("secretStore"),
            Some("NetworkPolicy") => root.key("global").key("network"),
            Some("ConfigMap") => root
                .key("configMaps")
                .key(object["metadata"]["name"].as_str().unwrap_or_default()),
            _ => root.key("global").key("namespace"),
        },
    }
}

/// Spec fields that feed a part of an object: relative to the owner's entry, or to the
/// root with a leading `@`. The first prefix of `field` in the table wins.
fn sources(owner: Owner<'_>, kind: &str, field: &str) -> &'static [&'static str] {
    let table: &[(&str, &str, &[&str])] = match owner {
        Owner::Service(_) => SERVICE_SOURCES,
        Owner::Chart(_) => CHART_SOURCES,
        Owner::Namespace => NAMESPACE_SOURCES,
        Owner::Flux => &[],
    };
    table
        .iter()
        .find(|(k, prefix, _)| (k.is_empty() || *k == kind) && within(field, prefix))
        .map(|(_, _, sources)| *sources)
        .unwrap_or(&[])
}

/// (kind or any, object field prefix, spec fields), most specific first.
const SERVICE_SOURCES: &[(&str, &str, &[&str])] = &[
    ("CronJob", "spec.schedule", &["cronJob.schedule"]),
    ("CronJob", "spec.timeZone", &["cronJob.timeZone"]),
    (
        "CronJob",
        "spec.startingDeadlineSeconds",
        &["cronJob.startingDeadlineSeconds"],
    ),
    (
        "CronJob",
        "spec.jobTemplate.spec.backoffLimit",
        &["job.backoffLimit"],
    ),
    (
        "CronJob",
        "spec.jobTemplate.spec.activeDeadlineSeconds",
        &["job.activeDeadlineSeconds"],
    ),
    (
        "CronJob",
        "spec.jobTemplate.spec.ttlSecondsAfterFinished",
        &["job.ttlSecondsAfterFinished"],
    ),
    ("Job", "spec.backoffLimit", &["job.backoffLimit"]),
    (
        "Job",
        "spec.activeDeadlineSeconds",
        &["job.activeDeadlineSeconds"],
    ),
    (
        "Job",
        "spec.ttlSecondsAfterFinished",
        &["job.ttlSecondsAfterFinished"],
    ),
    ("StatefulSet", "spec.volumeClaimTemplates", &["persistence"]),
    ("StatefulSet", "spec.podManagementPolicy", &["statefulSet"]),
    (
        "StatefulSet",
        "spec.persistentVolumeClaimRetentionPolicy",
        &["statefulSet"],
    ),
    (
        "ServiceAccount",
        "metadata.annotations",
        &["serviceAccount.annotations"],
    ),
    ("ServiceAccount", "metadata.name", &["serviceAccount.name"]),
    (
        "PersistentVolumeClaim",
        "metadata.labels",
        &[
            "persistence.labels",
            "@global.persistence.labels",
            "component",
            "@name",
        ],
    ),
    (
        "PersistentVolumeClaim",
        "metadata.annotations",
        &["persistence.annotations", "@global.persistence.annotations"],
    ),
    (
        "PersistentVolumeClaim",
        "",
        &["persistence", "@global.persistence"],
    ),
    (
        "PodDisruptionBudget",
        "spec",
        &["disruptionBudget", "@global.disruptionBudget"],
    ),
    (
        "HorizontalPodAutoscaler",
        "spec.metrics",
        &[
            "autoscaling.metrics",
            "@global.autoscaling.metrics",
            "autoscaling",
            "@global.autoscaling",
        ],
    ),
    (
        "HorizontalPodAutoscaler",
        "spec",
        &["autoscaling", "@global.autoscaling"],
    ),
    (
        "ServiceMonitor",
        "metadata.labels",
        &[
            "metrics.labels",
            "@global.metrics.labels",
            "component",
            "@name",
        ],
    ),
    (
        "ServiceMonitor",
        "spec.endpoints[0].scrapeTimeout",
        &[
            "metrics.scrapeTimeout",
            "@global.metrics.scrapeTimeout",
            "metrics",
            "@global.metrics",
        ],
    ),
    ("ServiceMonitor", "spec", &["metrics", "@global.metrics"]),
    (
        "Service",
        "spec.ports",
        &["service", "port", "@global.port"],
    ),
    ("Service", "spec.type", &["service"]),
    (
        "Ingress",
        "metadata.annotations",
        &[
            "ingress.annotations",
            "@global.ingress.annotations",
            "ingress.sse",
            "ingress.websocket",
            "ingress.stripPrefix",
            "ingress.tls",
            "ingress",
            "@global.ingress",
        ],
    ),
    (
        "Ingress",
        "spec.ingressClassName",
        &["ingress.className", "@global.ingress.className"],
    ),
    (
        "Ingress",
        "spec.tls",
        &[
            "ingress.tls",
            "@global.ingress.tls",
            "ingress.host",
            "@global.domain",
        ],
    ),
    (
        "Ingress",
        "spec.rules[0].http.paths[0].path",
        &["ingress.path", "ingress.stripPrefix", "ingress"],
    ),
    (
        "Ingress",
        "spec.rules[0].http.paths[0].pathType",
        &["ingress.pathType", "ingress.stripPrefix", "ingress"],
    ),
    (
        "Ingress",
        "spec",
        &["ingress", "@global.domain", "@global.hostPattern"],
    ),
    ("HTTPRoute", "spec.parentRefs", &["@global.gateway"]),
    (
        "HTTPRoute",
        "spec.rules[0].timeouts",
        &[
            "ingress.requestTimeout",
            "ingress.sse",
            "ingress.websocket",
            "ingress",
        ],
    ),
    (
        "HTTPRoute",
        "spec.rules[0].filters",
        &["ingress.stripPrefix", "ingress.path", "ingress"],
    ),
    (
        "HTTPRoute",
        "spec.rules[0].matches",
        &["ingress.path", "ingress.pathType", "ingress"],
    ),
    (
        "HTTPRoute",
        "spec",
        &["ingress", "@global.domain", "@global.hostPattern"],
    ),
    (
        "NetworkPolicy",
        "spec",
        &["egress", "connectsTo", "@global.network"],
    ),
    (
        "CiliumNetworkPolicy",
        "spec",
        &["egress", "@global.network"],
    ),
    ("Role", "", &["apiAccess"]),
    ("ClusterRole", "", &["apiAccess"]),
    ("RoleBinding", "", &["apiAccess", "serviceAccount"]),
    ("ClusterRoleBinding", "", &["apiAccess", "serviceAccount"]),
    ("", "metadata.labels", &["component", "@name"]),
    ("", "spec.selector", &["@name"]),
    (
        "",
        "spec.template.metadata.labels",
        &["podLabels", "component", "@name"],
    ),
    (
        "",
        "spec.template.metadata.annotations",
        &["podAnnotations"],
    ),
    ("", "spec.replicas", &["replicas"]),
    ("", "spec.template.spec.containers[0].env", &["env"]),
    ("", "spec.template.spec.containers[0].envFrom", &["envFrom"]),
    (
        "",
        "spec.template.spec.containers[0].resources",
        &["resources", "@global.resources"],
    ),
    (
        "",
        "spec.template.spec.containers[0].ports",
        &["port", "@global.port"],
    ),
    (
        "",
        "spec.template.spec.containers[0].livenessProbe",
        &["probes.liveness", "@global.probes.liveness"],
    ),
    (
        "",
        "spec.template.spec.containers[0].readinessProbe",
        &["probes.readiness", "@global.probes.readiness"],
    ),
    (
        "",
        "spec.template.spec.containers[0].startupProbe",
        &["probes.startup", "@global.probes.startup"],
    ),
    ("", "spec.template.spec.containers[0].command", &["command"]),
    ("", "spec.template.spec.containers[0].args", &["args"]),
    (
        "",
        "spec.template.spec.containers[0].image",
        &["image", "@global.image"],
    ),
    (
        "",
        "spec.template.spec.containers[0].volumeMounts",
        &["writablePaths", "persistence", "mounts"],
    ),
    (
        "",
        "spec.template.spec.containers[0].securityContext",
        &["security"],
    ),
    (
        "",
        "spec.template.spec.volumes",
        &["persistence", "writablePaths", "mounts"],
    ),
    ("", "spec.template.spec.securityContext", &["security"]),
    ("", "spec.template.spec.nodeSelector", &["nodeSelector"]),
    ("", "spec.template.spec.tolerations", &["tolerations"]),
    (
        "",
        "spec.template.spec.topologySpreadConstraints",
        &["topologySpread"],
    ),
    ("", "spec.template.spec.affinity", &["affinity"]),
    (
        "",
        "spec.template.spec.serviceAccountName",
        &["serviceAccount.name"],
    ),
    (
        "",
        "spec.template.spec.imagePullSecrets",
        &["image.pullSecrets", "@global.image.pullSecrets"],
    ),
];

const CHART_SOURCES: &[(&str, &str, &[&str])] = &[
    ("HelmRelease", "spec.targetNamespace", &["targetNamespace"]),
    ("HelmRelease", "spec.dependsOn", &["dependsOn"]),
    ("HelmRelease", "spec.valuesFrom", &["valuesFrom"]),
    (
        "HelmRelease",
        "spec.interval",
        &["interval", "@global.flux.interval"],
    ),
    ("HelmRelease", "spec.timeout", &["timeout"]),
    ("HelmRelease", "spec.install", &["installRetries"]),
    ("HelmRelease", "spec.upgrade", &["upgradeRetries"]),
    ("HelmRelease", "spec.chart", &["chart", "version"]),
    ("HelmRelease", "spec.postRenderers", &["images"]),
    ("HelmRelease", "spec.values", &["values", "hostname"]),
    (
        "OCIRepository",
        "spec.interval",
        &["interval", "@global.flux.interval"],
    ),
    (
        "HelmRepository",
        "spec.interval",
        &["interval", "@global.flux.interval"],
    ),
    ("OCIRepository", "", &["chart", "repository", "version"]),
    ("HelmRepository", "", &["repository"]),
    (
        "NetworkPolicy",
        "spec",
        &["egress", "connectsTo", "@global.network"],
    ),
    (
        "CiliumNetworkPolicy",
        "spec",
        &["egress", "@global.network"],
    ),
    ("", "metadata.labels", &["component", "@name"]),
];

const NAMESPACE_SOURCES: &[(&str, &str, &[&str])] = &[
    ("", "metadata.labels", &["@name"]),
    ("Namespace", "", &["@global.namespace"]),
    (
        "ExternalSecret",
        "spec.refreshInterval",
        &["refreshInterval"],
    ),
    ("ExternalSecret", "spec.data", &["keys"]),
    (
        "ExternalSecret",
        "spec.target.template",
        &["template", "dockerConfig", "type"],
    ),
    (
        "ExternalSecret",
        "spec.target.creationPolicy",
        &["creationPolicy"],
    ),
    (
        "ExternalSecret",
        "spec.target.deletionPolicy",
        &["deletionPolicy"],
    ),
    (
        "ExternalSecret",
        "spec.secretStoreRef",
        &["store", "@global.secretStore"],
    ),
    (
        "SecretStore",
        "spec.provider.vault.auth",
        &[
            "vault.serviceAccount",
            "vault.auth",
            "vault.role",
            "vault.authMountPath",
        ],
    ),
    (
        "ClusterSecretStore",
        "spec.provider.vault.auth",
        &[
            "vault.serviceAccount",
            "vault.auth",
            "vault.role",
            "vault.authMountPath",
        ],
    ),
    (
        "SecretStore",
        "spec.provider.aws.auth",
        &["aws.serviceAccount", "aws.credentialsSecret"],
    ),
    (
        "ClusterSecretStore",
        "spec.provider.aws.auth",
        &["aws.serviceAccount", "aws.credentialsSecret"],
    ),
    ("ExternalSecret", "spec.dataFrom", &["path"]),
    ("ConfigMap", "data", &["data", "files"]),
];

/// A HelmRelease's `spec.values.a.b` is the chart's `values.a.b`, exactly.
fn chart_values(owner: Owner<'_>, owner_path: &FieldPath, at: &FieldPath) -> Option<FieldPath> {
    let Owner::Chart(_) = owner else {
        return None;
    };
    match at.0.as_slice() {
        [Segment::Key(spec), Segment::Key(values), rest @ ..]
            if spec == "spec" && values == "values" =>
        {
            let mut path = owner_path.key("values");
            path.0.extend(rest.iter().cloned());
            Some(path)
        }
        _ => None,
    }
}

/// The spec fields of an init container or sidecar that feed a field under
/// `...initContainers[i]`: `sidecars.NAME...` for a container with `restartPolicy:
/// Always`, `initContainers.NAME...` for the others.
fn extra_container(
    owner: Owner<'_>,
    owner_path: &FieldPath,
    object: &Json,
    at: &FieldPath,
) -> Vec<FieldPath> {
    let Owner::Service(_) = owner else {
        return Vec::new();
    };
    let Some(position) =
        at.0.iter()
            .position(|s| matches!(s, Segment::Key(k) if k == "initContainers"))
    else {
        return Vec::new();
    };
    let mut container = object;
    for segment in at.0.iter().take(position + 2) {
        container = match segment {
            Segment::Key(key) => &container[key.as_str()],
            Segment::Index(index) => &container[*index],
        };
    }
    let Some(name) = container["name"].as_str() else {
        return Vec::new();
    };
    let list = match container["restartPolicy"].as_str() {
        Some("Always") => "sidecars",
        _ => "initContainers",
    };
    let base = owner_path.key(list).key(name);
    let field = at.0.get(position + 2).and_then(|s| match s {
        Segment::Key(key) => Some(key.as_str()),
        Segment::Index(_) => None,
    });
    let fields: &[&str] = match field {
        Some("env") => &["env"],
        Some("envFrom") => &["envFrom"],
        Some("resources") => &["resources"],
        Some("image" | "imagePullPolicy") => &["image"],
        Some("command") => &["command"],
        Some("args") => &["args"],
        Some("volumeMounts") => &["mounts", "writablePaths"],
        _ => &[],
    };
    let mut out: Vec<FieldPath> = fields.iter().map(|f| base.key(f)).collect();
    if field == Some("resources") {
        out.push(FieldPath::root().key("global").key("resources"));
    }
    if matches!(field, Some("image" | "imagePullPolicy")) {
        out.push(FieldPath::root().key("global").key("image"));
    }
    out.push(base);
    out
}

/// `base` extended by a dotted path (`probes.liveness`); empty adds nothing.
fn dotted(base: &FieldPath, path: &str) -> FieldPath {
    path.split('.')
        .filter(|part| !part.is_empty())
        .fold(base.clone(), |path, part| path.key(part))
}

/// Whether `field` is `prefix` or lies under it (`env` is not under `envFrom`).
fn within(field: &str, prefix: &str) -> bool {
    prefix.is_empty()
        || field
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with(['.', '[']))
}

/// What to look for in the specs: the part a rule named, the scalar at `at` and, for a
/// mapping entry, its key.
fn wanted_values(object: &Json, at: &FieldPath, subject: Option<&str>) -> Vec<String> {
    let mut value = object;
    for segment in &at.0 {
        value = match segment {
            Segment::Key(key) => &value[key.as_str()],
            Segment::Index(index) => &value[*index],
        };
    }
    let mut wanted: Vec<String> = subject.into_iter().map(str::to_owned).collect();
    match value {
        Json::String(text) => wanted.push(text.clone()),
        Json::Number(number) => wanted.push(number.to_string()),
        Json::Bool(b) => wanted.push(b.to_string()),
        _ => {}
    }
    if let Some(Segment::Key(key)) = at.0.last() {
        wanted.push(key.clone());
    }
    wanted.retain(|w| !w.is_empty());
    wanted
}

/// How a scalar must relate to what is looked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Match {
    Exact,
    /// The scalar holds it (a bad part of a longer value).
    Within,
}

/// The node under `node` whose value or key is `wanted`, with its path: one under a
/// key named like the object's field (`except` for `ipBlock.except[0]`) first, then
/// the first in document order.
fn search(
    node: &Node,
    path: &FieldPath,
    wanted: &str,
    last_key: Option<&str>,
    how: Match,
) -> Option<Origin> {
    let mut best: Option<(bool, Origin)> = None;
    let mut consider = |found: Origin| {
        let named = last_key.is_some_and(|key| {
            found.path.0.iter().rev().find_map(|s| match s {
                Segment::Key(k) => Some(k.as_str()),
                Segment::Index(_) => None,
            }) == Some(key)
        });
        let better = match &best {
            None => true,
            Some((best_named, best)) => {
                (named, std::cmp::Reverse(found.span)) > (*best_named, std::cmp::Reverse(best.span))
            }
        };
        if better {
            best = Some((named, found));
        }
    };
    let mut stack = vec![(node, path.clone())];
    while let Some((node, path)) = stack.pop() {
        match &node.value {
            Value::Mapping(map) => {
                for (key, entry) in map {
                    let child = path.key(key);
                    if how == Match::Exact && key == wanted {
                        consider(Origin {
                            path: child.clone(),
                            span: entry.key_span,
                        });
                    }
                    stack.push((&entry.node, child));
                }
            }
            Value::Sequence(items) => {
                for (index, item) in items.iter().enumerate() {
                    stack.push((item, path.index(index)));
                }
            }
            scalar => {
                let hit = match how {
                    Match::Exact => scalar_is(scalar, wanted),
                    Match::Within => matches!(scalar, Value::String(text) if text.contains(wanted)),
                };
                if hit {
                    consider(Origin {
                        path,
                        span: node.span,
                    });
                }
            }
        }
    }
    best.map(|(_, origin)| origin)
}

fn scalar_is(value: &Value, wanted: &str) -> bool {
    match value {
        Value::String(text) => text == wanted,
        Value::Integer(n) => n.to_string() == wanted,
        Value::Bool(b) => b.to_string() == wanted,
        Value::Float(f) => f.to_string() == wanted,
        _ => false,
    }
}
