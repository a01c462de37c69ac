//! Kubernetes objects of a service: Deployment, Service, ServiceAccount,
//! PersistentVolumeClaim, PodDisruptionBudget, HorizontalPodAutoscaler, Ingress; and the
//! environment's Namespace. Objects are JSON values with keys in the conventional order.

use serde_json::{Map, Value as Json, json};

use crate::model::{
    DisruptionBudget, EnvSource, EnvVarValue, Probe, ProbeHandler, ProbeKind, Service, Workload,
};
use crate::model::{NetworkPolicy, NetworkRule, Peer};
use crate::spec::{IntOrPercent, PathType, Routing};

/// The name mcpstack puts in `app.kubernetes.io/managed-by`.
pub const MANAGER: &str = "mcpstack";

/// Name of the container port of every service.
pub const PORT_NAME: &str = "main";
/// Name of a separate metrics port.
pub const METRICS_PORT_NAME: &str = "metrics";

/// The environment's Namespace. Its pods must meet the "restricted" Pod Security
/// Standard, which every generated pod template does.
pub fn namespace(name: &str, part_of: &str) -> Json {
    json!({
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {
            "name": name,
            "labels": {
                "app.kubernetes.io/managed-by": MANAGER,
                "app.kubernetes.io/part-of": part_of,
                "pod-security.kubernetes.io/enforce": "restricted",
            },
        },
    })
}

/// Every object of a service, in a fixed order. `namespace` is `None` for bases.
pub fn objects(service: &Service, namespace: Option<&str>) -> Vec<Json> {
    let mut out = Vec::new();
    if service.service_account.create {
        out.push(service_account(service, namespace));
    }
    if service.listens {
        out.push(kube_service(service, namespace));
    }
    if matches!(service.workload, Workload::StatefulSet { .. }) {
        out.push(super::workloads::headless_service(service, namespace));
    }
    let long_running = !service.workload.kind().runs_to_completion();
    match super::workloads::workload(service, namespace) {
        Some(workload) => out.push(workload),
        None => out.push(deployment(service, namespace)),
    }
    if service.persistence.is_some() && matches!(service.workload, Workload::Deployment) {
        out.push(persistent_volume_claim(service, namespace));
    }
    if service.disruption_budget.is_some() && long_running {
        out.push(pod_disruption_budget(service, namespace));
    }
    if service.autoscaling.is_some() && long_running {
        out.push(horizontal_pod_autoscaler(service, namespace));
    }
    if service.metrics.is_some() && service.listens {
        out.push(service_monitor(service, namespace));
    }
    if let Some(access) = &service.api_access {
        out.extend(rbac(service, access, namespace));
    }
    if let Some(exposure) = service.ingress.as_ref().filter(|_| service.listens) {
        out.push(match exposure.routing {
            Routing::Ingress => ingress(service, namespace),
            Routing::GatewayApi => http_route(service, namespace),
        });
    }
    out
}

/// Whether the service keeps a volume only one node may mount (ReadWriteOnce or
/// ReadWriteOncePod).
fn keeps_single_writer_volume(service: &Service) -> bool {
    service.persistence.as_ref().is_some_and(|p| {
        p.access_modes.iter().all(|m| {
            matches!(
                m,
                crate::spec::AccessMode::ReadWriteOnce | crate::spec::AccessMode::ReadWriteOncePod
            )
        })
    })
}

/// Labels that select a service's pods. Never change once deployed.
pub fn selector_labels(service: &Service) -> Map<String, Json> {
    let mut labels = Map::new();
    labels.insert("app.kubernetes.io/name".into(), json!(service.name));
    labels.insert("app.kubernetes.io/instance".into(), json!(service.part_of));
    labels
}

/// The recommended labels of every object of a service.
pub fn labels(service: &Service) -> Map<String, Json> {
    let mut labels = selector_labels(service);
    if let Some(component) = &service.component {
        labels.insert("app.kubernetes.io/component".into(), json!(component));
    }
    labels.insert("app.kubernetes.io/part-of".into(), json!(service.part_of));
    labels.insert("app.kubernetes.io/managed-by".into(), json!(MANAGER));
    labels
}

pub(super) fn metadata(name: &str, service: &Service, namespace: Option<&str>) -> Json {
    let mut meta = Map::new();
    meta.insert("name".into(), json!(name));
    if let Some(namespace) = namespace {
        meta.insert("namespace".into(), json!(namespace));
    }
    meta.insert("labels".into(), Json::Object(labels(service)));
    Json::Object(meta)
}

fn service_account(service: &Service, namespace: Option<&str>) -> Json {
    let mut meta = metadata(&service.service_account.name, service, namespace);
    if !service.service_account.annotations.is_empty() {
        meta["annotations"] = json!(service.service_account.annotations);
    }
    object([
        ("apiVersion", "v1".into()),
        ("kind", "ServiceAccount".into()),
        ("metadata", meta),
        (
            "automountServiceAccountToken",
            service.api_access.is_some().into(),
        ),
    ])
}

fn kube_service(service: &Service, namespace: Option<&str>) -> Json {
    let mut ports = vec![json!({
        "name": PORT_NAME,
        "port": service.service.port,
        "targetPort": service.service.target_port,
        "protocol": "TCP",
    })];
    if let Some(port) = service.metrics.as_ref().and_then(|m| m.port) {
        ports.push(json!({ "name": METRICS_PORT_NAME, "port": port, "targetPort": port, "protocol": "TCP" }));
    }
    let spec = object([
        ("type", json!(service.service.kind)),
        ("selector", Json::Object(selector_labels(service))),
        ("ports", Json::Array(ports)),
    ]);
    object([
        ("apiVersion", "v1".into()),
        ("kind", "Service".into()),
        ("metadata", metadata(&service.name, service, namespace)),
        ("spec", spec),
    ])
}

/// The `app.kubernetes.io/version` label of a workload: its image tag, when the tag
/// may be a label value.
pub(super) fn version_label(meta: &mut Json, service: &Service) {
    if let Some(tag) = service.image.tag.as_ref().filter(|t| is_label_value(t)) {
        meta["labels"]["app.kubernetes.io/version"] = json!(tag);
    }
}

fn deployment(service: &Service, namespace: Option<&str>) -> Json {
    let mut meta = metadata(&service.name, service, namespace);
    version_label(&mut meta, service);
    let mut spec = Map::new();
    if let Some(replicas) = service.replicas {
        spec.insert("replicas".into(), json!(replicas));
    }
    spec.insert("selector".into(), match_labels(service));
    if keeps_single_writer_volume(service) {
        // A rolling update would start the new pod before the old one lets go of the
        // volume, and hang on it if the new pod lands on another node.
        spec.insert("strategy".into(), json!({ "type": "Recreate" }));
    }
    spec.insert("template".into(), pod_template(service));
    resource("apps/v1", "Deployment", meta, Json::Object(spec))
}

/// The pod template every workload kind runs.
pub(super) fn pod_template(service: &Service) -> Json {
    let mut pod_labels = labels(service);
    for (key, value) in &service.pod_labels {
        pod_labels.insert(key.clone(), json!(value));
    }
    let mut meta = Map::new();
    meta.insert("labels".into(), Json::Object(pod_labels));
    if !service.pod_annotations.is_empty() {
        meta.insert("annotations".into(), json!(service.pod_annotations));
    }
    let mut pod = Map::new();
    pod.insert(
        "serviceAccountName".into(),
        json!(service.service_account.name),
    );
    pod.insert(
        "automountServiceAccountToken".into(),
        service.api_access.is_some().into(),
    );
    pod.insert("securityContext".into(), pod_security(service));
    if !service.pull_secrets.is_empty() {
        let secrets: Vec<Json> = service
            .pull_secrets
            .iter()
            .map(|name| json!({ "name": name }))
            .collect();
        pod.insert("imagePullSecrets".into(), Json::Array(secrets));
    }
    if !service.node_selector.is_empty() {
        pod.insert("nodeSelector".into(), json!(service.node_selector));
    }
    if !service.tolerations.is_empty() {
        pod.insert(
            "tolerations".into(),
            strip_nulls(json!(service.tolerations)),
        );
    }
    if let Some(affinity) = &service.affinity {
        pod.insert("affinity".into(), affinity_json(affinity));
    }
    if !service.topology_spread.is_empty() {
        let constraints: Vec<Json> = service
            .topology_spread
            .iter()
            .map(|t| {
                json!({
                    "maxSkew": t.max_skew,
                    "topologyKey": t.topology_key,
                    "whenUnsatisfiable": t.when_unsatisfiable,
                    "labelSelector": { "matchLabels": selector_labels(service) },
                })
            })
            .collect();
        pod.insert("topologySpreadConstraints".into(), Json::Array(constraints));
    }
    let init_containers = super::config::init_containers(service);
    if !init_containers.is_empty() {
        pod.insert("initContainers".into(), Json::Array(init_containers));
    }
    pod.insert("containers".into(), Json::Array(vec![container(service)]));
    let mut volumes = Vec::new();
    // A StatefulSet's claim comes from its `volumeClaimTemplates`, under the same name.
    if let Some(persistence) = &service.persistence
        && !matches!(service.workload, Workload::StatefulSet { .. })
    {
        volumes.push(json!({ "name": "data", "persistentVolumeClaim": { "claimName": persistence.claim_name } }));
    }
    for (index, _) in service.writable_paths.iter().enumerate() {
        volumes.push(json!({ "name": writable_volume(index), "emptyDir": {} }));
    }
    volumes.extend(super::config::extra_writable_volumes(service));
    volumes.extend(super::config::mount_volumes(service));
    if !volumes.is_empty() {
        pod.insert("volumes".into(), Json::Array(volumes));
    }
    object([
        ("metadata", Json::Object(meta)),
        ("spec", Json::Object(pod)),
    ])
}

fn affinity_json(affinity: &crate::spec::Affinity) -> Json {
    let mut out = Map::new();
    if let Some(node) = &affinity.node_affinity {
        out.insert("nodeAffinity".into(), Json::Object(node.clone()));
    }
    if let Some(pod) = &affinity.pod_affinity {
        out.insert("podAffinity".into(), Json::Object(pod.clone()));
    }
    if let Some(anti) = &affinity.pod_anti_affinity {
        out.insert("podAntiAffinity".into(), Json::Object(anti.clone()));
    }
    Json::Object(out)
}

fn container(service: &Service) -> Json {
    let mut c = Map::new();
    c.insert("name".into(), json!(service.name));
    c.insert("image".into(), json!(service.image.reference()));
    c.insert("imagePullPolicy".into(), json!(service.pull_policy));
    if !service.command.is_empty() {
        c.insert("command".into(), json!(service.command));
    }
    if !service.args.is_empty() {
        c.insert("args".into(), json!(service.args));
    }
    // Workers, Jobs and CronJobs listen on no port.
    if service.listens {
        let mut ports =
            vec![json!({ "name": PORT_NAME, "containerPort": service.port, "protocol": "TCP" })];
        if let Some(port) = service.metrics.as_ref().and_then(|m| m.port) {
            ports.push(
                json!({ "name": METRICS_PORT_NAME, "containerPort": port, "protocol": "TCP" }),
            );
        }
        c.insert("ports".into(), Json::Array(ports));
    }
    if !service.env.is_empty() {
        let env: Vec<Json> = service
            .env
            .iter()
            .map(|var| match &var.value {
                EnvVarValue::Literal(value) => json!({ "name": var.name, "value": value }),
                EnvVarValue::SecretKey {
                    name,
                    key,
                    optional,
                } => env_from_key(&var.name, "secretKeyRef", key_ref(name, key, *optional)),
                EnvVarValue::ConfigMapKey {
                    name,
                    key,
                    optional,
                } => env_from_key(&var.name, "configMapKeyRef", key_ref(name, key, *optional)),
            })
            .collect();
        c.insert("env".into(), Json::Array(env));
    }
    if !service.env_from.is_empty() {
        let sources: Vec<Json> = service.env_from.iter().map(env_source).collect();
        c.insert("envFrom".into(), Json::Array(sources));
    }
    for probe in &service.probes {
        let key = match probe.kind {
            ProbeKind::Liveness => "livenessProbe",
            ProbeKind::Readiness => "readinessProbe",
            ProbeKind::Startup => "startupProbe",
        };
        c.insert(key.into(), probe_json(probe));
    }
    let mut resources = Map::new();
    if !service.resources.requests.is_empty() {
        resources.insert("requests".into(), json!(service.resources.requests));
    }
    if !service.resources.limits.is_empty() {
        resources.insert("limits".into(), json!(service.resources.limits));
    }
    if !resources.is_empty() {
        c.insert("resources".into(), Json::Object(resources));
    }
    let read_only = !service.security.writable_root_filesystem.unwrap_or(false);
    c.insert(
        "securityContext".into(),
        json!({
            "allowPrivilegeEscalation": false,
            "capabilities": { "drop": ["ALL"] },
            "readOnlyRootFilesystem": read_only,
        }),
    );
    let mut mounts = Vec::new();
    if let Some(persistence) = &service.persistence {
        mounts.push(json!({ "name": "data", "mountPath": persistence.mount_path }));
    }
    for (index, path) in service.writable_paths.iter().enumerate() {
        mounts.push(json!({ "name": writable_volume(index), "mountPath": path }));
    }
    mounts.extend(super::config::volume_mounts(&service.mounts));
    if !mounts.is_empty() {
        c.insert("volumeMounts".into(), Json::Array(mounts));
    }
    Json::Object(c)
}

pub(super) fn key_ref(name: &str, key: &str, optional: Option<bool>) -> Json {
    let mut out = json!({ "name": name, "key": key });
    if let Some(optional) = optional {
        out["optional"] = json!(optional);
    }
    out
}

pub(super) fn env_source(source: &EnvSource) -> Json {
    let (kind, name, prefix) = match source {
        EnvSource::Secret { name, prefix } => ("secretRef", name, prefix),
        EnvSource::ConfigMap { name, prefix } => ("configMapRef", name, prefix),
    };
    let mut out = Map::new();
    if let Some(prefix) = prefix {
        out.insert("prefix".into(), json!(prefix));
    }
    out.insert(kind.into(), json!({ "name": name }));
    Json::Object(out)
}

fn probe_json(probe: &Probe) -> Json {
    let mut out = Map::new();
    match &probe.handler {
        ProbeHandler::HttpGet { path, port } => {
            out.insert("httpGet".into(), json!({ "path": path, "port": port }));
        }
        ProbeHandler::TcpSocket { port } => {
            out.insert("tcpSocket".into(), json!({ "port": port }));
        }
        ProbeHandler::Exec { command } => {
            out.insert("exec".into(), json!({ "command": command }));
        }
    }
    let timings = [
        ("initialDelaySeconds", probe.initial_delay_seconds),
        ("periodSeconds", probe.period_seconds),
        ("timeoutSeconds", probe.timeout_seconds),
        ("failureThreshold", probe.failure_threshold),
        ("successThreshold", probe.success_threshold),
    ];
    for (key, value) in timings {
        if let Some(value) = value {
            out.insert(key.into(), json!(value));
        }
    }
    Json::Object(out)
}

fn persistent_volume_claim(service: &Service, namespace: Option<&str>) -> Json {
    let Some(p) = &service.persistence else {
        return Json::Null;
    };
    resource(
        "v1",
        "PersistentVolumeClaim",
        claim_metadata(&p.claim_name, service, p, namespace),
        super::workloads::claim_spec(p),
    )
}

/// The metadata of a service's claim: its name, the namespace (`None` in bases and in
/// a StatefulSet's `volumeClaimTemplates`), the service's labels then the claim's own
/// (`persistence.labels`, which may not replace the service's; validation refuses
/// that), and `persistence.annotations` when there are any.
pub fn claim_metadata(
    name: &str,
    service: &Service,
    persistence: &crate::model::Persistence,
    namespace: Option<&str>,
) -> Json {
    let mut meta = metadata(name, service, namespace);
    extend_labels(&mut meta, &persistence.labels);
    if !persistence.annotations.is_empty() {
        meta["annotations"] = json!(persistence.annotations);
    }
    meta
}

/// Adds `extra` to the labels of `meta`, after the standard ones.
fn extend_labels(meta: &mut Json, extra: &std::collections::BTreeMap<String, String>) {
    if let Some(labels) = meta["labels"].as_object_mut() {
        for (key, value) in extra {
            labels.insert(key.clone(), json!(value));
        }
    }
}

fn int_or_percent(value: &IntOrPercent) -> Json {
    match value {
        IntOrPercent::Count(count) => json!(count),
        IntOrPercent::Percent(percent) => json!(percent),
    }
}

fn pod_disruption_budget(service: &Service, namespace: Option<&str>) -> Json {
    let mut spec = Map::new();
    match &service.disruption_budget {
        Some(DisruptionBudget::MinAvailable(v)) => {
            spec.insert("minAvailable".into(), int_or_percent(v))
        }
        Some(DisruptionBudget::MaxUnavailable(v)) => {
            spec.insert("maxUnavailable".into(), int_or_percent(v))
        }
        None => None,
    };
    spec.insert("selector".into(), match_labels(service));
    resource(
        "policy/v1",
        "PodDisruptionBudget",
        metadata(&service.name, service, namespace),
        Json::Object(spec),
    )
}

fn horizontal_pod_autoscaler(service: &Service, namespace: Option<&str>) -> Json {
    let Some(a) = &service.autoscaling else {
        return Json::Null;
    };
    let mut metrics = Vec::new();
    for (resource, target) in [("cpu", a.cpu_utilization), ("memory", a.memory_utilization)] {
        if let Some(target) = target {
            metrics.push(json!({
                "type": "Resource",
                "resource": { "name": resource, "target": { "type": "Utilization", "averageUtilization": target } },
            }));
        }
    }
    for metric in &a.metrics {
        metrics.push(scaling_metric(metric));
    }
    let mut spec = Map::new();
    spec.insert(
        "scaleTargetRef".into(),
        json!({ "apiVersion": "apps/v1", "kind": service.workload.kind().as_str(), "name": service.name }),
    );
    spec.insert("minReplicas".into(), json!(a.min_replicas));
    spec.insert("maxReplicas".into(), json!(a.max_replicas));
    spec.insert("metrics".into(), Json::Array(metrics));
    if let Some(behavior) = &a.behavior {
        spec.insert("behavior".into(), strip_nulls(json!(behavior)));
    }
    resource(
        "autoscaling/v2",
        "HorizontalPodAutoscaler",
        metadata(&service.name, service, namespace),
        Json::Object(spec),
    )
}

/// A `Pods` or `External` metric of an autoscaler: the metric's name and selector,
/// then its target (`AverageValue` when `averageValue` is set, else `Value`).
fn scaling_metric(metric: &crate::spec::ScalingMetric) -> Json {
    let mut identifier = Map::new();
    identifier.insert("name".into(), json!(metric.name));
    if let Some(selector) = metric.selector.as_ref().filter(|s| !s.is_empty()) {
        identifier.insert("selector".into(), json!({ "matchLabels": selector }));
    }
    let target = match (&metric.average_value, &metric.value) {
        (Some(average), _) => json!({ "type": "AverageValue", "averageValue": average }),
        (None, value) => json!({ "type": "Value", "value": value }),
    };
    let (kind, key) = match metric.kind {
        crate::spec::ScalingMetricType::Pods => ("Pods", "pods"),
        crate::spec::ScalingMetricType::External => ("External", "external"),
    };
    object([
        ("type", kind.into()),
        (key, json!({ "metric": identifier, "target": target })),
    ])
}

fn ingress(service: &Service, namespace: Option<&str>) -> Json {
    let Some(i) = &service.ingress else {
        return Json::Null;
    };
    let mut meta = metadata(&service.name, service, namespace);
    if !i.annotations.is_empty() {
        meta["annotations"] = json!(i.annotations);
    }
    let mut spec = Map::new();
    if let Some(class) = &i.class_name {
        spec.insert("ingressClassName".into(), json!(class));
    }
    if let Some(secret) = &i.tls_secret {
        spec.insert(
            "tls".into(),
            json!([{ "hosts": [i.host], "secretName": secret }]),
        );
    }
    // A stripped prefix is a regular expression to ingress-nginx, which only
    // `ImplementationSpecific` paths may be.
    let (path, path_type) = match i.strip_prefix {
        true => (
            crate::lower::strip_prefix_path(&i.path),
            PathType::ImplementationSpecific,
        ),
        false => (i.path.clone(), i.path_type),
    };
    spec.insert(
        "rules".into(),
        json!([{
            "host": i.host,
            "http": { "paths": [{
                "path": path,
                "pathType": path_type,
                "backend": { "service": { "name": service.name, "port": { "number": service.service.port } } },
            }] },
        }]),
    );
    resource("networking.k8s.io/v1", "Ingress", meta, Json::Object(spec))
}

/// Serialized spec structs carry `null` for unset options; Kubernetes objects omit them.
fn strip_nulls(value: Json) -> Json {
    match value {
        Json::Object(map) => Json::Object(
            map.into_iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k, strip_nulls(v)))
                .collect(),
        ),
        Json::Array(items) => Json::Array(items.into_iter().map(strip_nulls).collect()),
        other => other,
    }
}

/// Whether `value` may be a label value (63 characters of `[A-Za-z0-9._-]`, alphanumeric
/// at both ends).
fn is_label_value(value: &str) -> bool {
    value.len() <= 63
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        && value.starts_with(|c: char| c.is_ascii_alphanumeric())
        && value.ends_with(|c: char| c.is_ascii_alphanumeric())
}

/// A JSON object of `entries`, moving each value in (`json!` would copy them).
pub(super) fn object<const N: usize>(entries: [(&str, Json); N]) -> Json {
    Json::Object(
        entries
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect(),
    )
}

/// `{matchLabels: <selector labels>}`.
pub(super) fn match_labels(service: &Service) -> Json {
    object([("matchLabels", Json::Object(selector_labels(service)))])
}

/// A Kubernetes object with `spec`.
pub(super) fn resource(api_version: &str, kind: &str, metadata: Json, spec: Json) -> Json {
    object([
        ("apiVersion", api_version.into()),
        ("kind", kind.into()),
        ("metadata", metadata),
        ("spec", spec),
    ])
}

/// An env var whose value comes from a key of another object.
fn env_from_key(name: &str, source: &str, key: Json) -> Json {
    object([
        ("name", name.into()),
        ("valueFrom", object([(source, key)])),
    ])
}

/// A Gateway API route for an exposed service. TLS terminates at the Gateway's
/// listener; `sse` and `websocket` services get no request timeout; a stripped prefix
/// is a `URLRewrite` filter.
fn http_route(service: &Service, namespace: Option<&str>) -> Json {
    let Some(i) = &service.ingress else {
        return Json::Null;
    };
    let mut meta = metadata(&service.name, service, namespace);
    if !i.annotations.is_empty() {
        meta["annotations"] = json!(i.annotations);
    }
    let mut parent = Map::new();
    if let Some(gateway) = &i.gateway {
        parent.insert("name".into(), gateway.name.clone().into());
        if let Some(ns) = &gateway.namespace {
            parent.insert("namespace".into(), ns.clone().into());
        }
        if let Some(section) = &gateway.section_name {
            parent.insert("sectionName".into(), section.clone().into());
        }
    }
    let path_type = match i.path_type {
        PathType::Exact => "Exact",
        PathType::Prefix | PathType::ImplementationSpecific => "PathPrefix",
    };
    let mut rule = Map::new();
    rule.insert(
        "matches".into(),
        json!([{ "path": { "type": path_type, "value": i.path } }]),
    );
    rule.insert(
        "backendRefs".into(),
        json!([{ "name": service.name, "port": service.service.port }]),
    );
    if i.strip_prefix {
        rule.insert(
            "filters".into(),
            json!([{
                "type": "URLRewrite",
                "urlRewrite": { "path": { "type": "ReplacePrefixMatch", "replacePrefixMatch": "/" } },
            }]),
        );
    }
    if let Some(timeout) = &i.request_timeout {
        rule.insert("timeouts".into(), json!({ "request": timeout }));
    }
    let spec = object([
        ("parentRefs", Json::Array(vec![Json::Object(parent)])),
        ("hostnames", json!([i.host])),
        ("rules", Json::Array(vec![Json::Object(rule)])),
    ]);
    resource("gateway.networking.k8s.io/v1", "HTTPRoute", meta, spec)
}

/// The pod's security context: non-root, `RuntimeDefault` seccomp, and the IDs a
/// service's `security` sets.
fn pod_security(service: &Service) -> Json {
    let mut context = Map::new();
    context.insert("runAsNonRoot".into(), true.into());
    let ids = [
        ("runAsUser", service.security.run_as_user),
        ("runAsGroup", service.security.run_as_group),
        ("fsGroup", service.security.fs_group),
    ];
    for (key, id) in ids {
        if let Some(id) = id {
            context.insert(key.into(), id.into());
        }
    }
    context.insert("seccompProfile".into(), json!({ "type": "RuntimeDefault" }));
    Json::Object(context)
}

/// The emptyDir volume behind the `index`th writable path.
fn writable_volume(index: usize) -> String {
    format!("writable-{index}")
}

/// A ServiceMonitor scraping the service's metrics.
fn service_monitor(service: &Service, namespace: Option<&str>) -> Json {
    let Some(m) = &service.metrics else {
        return Json::Null;
    };
    let port = if m.port.is_some() {
        METRICS_PORT_NAME
    } else {
        PORT_NAME
    };
    let mut endpoint = Map::new();
    endpoint.insert("port".into(), json!(port));
    endpoint.insert("path".into(), json!(m.path));
    endpoint.insert("interval".into(), json!(m.interval));
    if let Some(timeout) = &m.scrape_timeout {
        endpoint.insert("scrapeTimeout".into(), json!(timeout));
    }
    let spec = object([
        ("selector", match_labels(service)),
        ("endpoints", json!([endpoint])),
    ]);
    let mut meta = metadata(&service.name, service, namespace);
    extend_labels(&mut meta, &m.labels);
    resource("monitoring.coreos.com/v1", "ServiceMonitor", meta, spec)
}

/// The Role (or ClusterRole) a service's API access needs, bound to its ServiceAccount.
/// Cluster-wide roles are named after the namespace too, since they are not
/// namespaced.
fn rbac(service: &Service, access: &crate::spec::ApiAccess, namespace: Option<&str>) -> Vec<Json> {
    let cluster = access.cluster_wide.unwrap_or(false);
    let (role_kind, binding_kind) = if cluster {
        ("ClusterRole", "ClusterRoleBinding")
    } else {
        ("Role", "RoleBinding")
    };
    let name = match (cluster, namespace) {
        (true, Some(ns)) => format!("{ns}-{}", service.name),
        _ => service.name.clone(),
    };
    let scope = if cluster { None } else { namespace };
    let rules: Vec<Json> = access
        .rules
        .iter()
        .map(|r| json!({ "apiGroups": r.api_groups, "resources": r.resources, "verbs": r.verbs }))
        .collect();
    let role = object([
        ("apiVersion", "rbac.authorization.k8s.io/v1".into()),
        ("kind", role_kind.into()),
        ("metadata", metadata(&name, service, scope)),
        ("rules", Json::Array(rules)),
    ]);
    let mut subject = Map::new();
    subject.insert("kind".into(), "ServiceAccount".into());
    subject.insert("name".into(), service.service_account.name.clone().into());
    if let Some(ns) = namespace {
        subject.insert("namespace".into(), ns.into());
    }
    let binding = object([
        ("apiVersion", "rbac.authorization.k8s.io/v1".into()),
        ("kind", binding_kind.into()),
        ("metadata", metadata(&name, service, scope)),
        (
            "roleRef",
            json!({ "apiGroup": "rbac.authorization.k8s.io", "kind": role_kind, "name": name }),
        ),
        ("subjects", Json::Array(vec![Json::Object(subject)])),
    ]);
    vec![role, binding]
}

/// A unit's network policy. `labels` are the unit's own object labels.
pub fn network_policy(
    name: &str,
    policy: &NetworkPolicy,
    labels: Map<String, Json>,
    namespace: &str,
) -> Json {
    let rules = |rules: &[NetworkRule], side: &str| -> Json {
        let items = rules
            .iter()
            .filter(|rule| rule.peer.is_plain())
            .map(|rule| {
                let mut out = Map::new();
                out.insert(side.into(), json!([peer(&rule.peer)]));
                if !rule.ports.is_empty() {
                    let ports: Vec<Json> = rule
                        .ports
                        .iter()
                        .map(|p| json!({ "protocol": "TCP", "port": p }))
                        .collect();
                    out.insert("ports".into(), Json::Array(ports));
                }
                Json::Object(out)
            })
            .collect();
        Json::Array(items)
    };
    let mut spec = Map::new();
    spec.insert("podSelector".into(), json!({ "matchLabels": policy.pods }));
    spec.insert("policyTypes".into(), json!(["Ingress", "Egress"]));
    if !policy.ingress.is_empty() {
        spec.insert("ingress".into(), rules(&policy.ingress, "from"));
    }
    if policy.egress.iter().any(|r| r.peer.is_plain()) {
        spec.insert("egress".into(), rules(&policy.egress, "to"));
    }
    let metadata = object([
        ("name", name.into()),
        ("namespace", namespace.into()),
        ("labels", Json::Object(labels)),
    ]);
    resource(
        "networking.k8s.io/v1",
        "NetworkPolicy",
        metadata,
        Json::Object(spec),
    )
}

fn peer(peer: &Peer) -> Json {
    match peer {
        Peer::Pods(labels) => json!({ "podSelector": { "matchLabels": labels } }),
        Peer::Namespace(name) => {
            json!({ "namespaceSelector": { "matchLabels": { NAMESPACE_NAME_LABEL: name } } })
        }
        Peer::NamespacePods { namespace, pods } => json!({
            "namespaceSelector": { "matchLabels": { NAMESPACE_NAME_LABEL: namespace } },
            "podSelector": { "matchLabels": pods },
        }),
        Peer::Cidr { cidr, except } if except.is_empty() => json!({ "ipBlock": { "cidr": cidr } }),
        Peer::Cidr { cidr, except } => json!({ "ipBlock": { "cidr": cidr, "except": except } }),
        // Not plain: rendered in the CiliumNetworkPolicy, filtered out before here.
        Peer::ApiServer | Peer::Host(_) => json!({}),
    }
}

/// The label Kubernetes sets on every namespace to its name.
const NAMESPACE_NAME_LABEL: &str = "kubernetes.io/metadata.name";

/// A unit's CiliumNetworkPolicy: the egress plain NetworkPolicy cannot express (the
/// API server as the `kube-apiserver` entity, hostnames as `toFQDNs`, with the DNS
/// rule that lets Cilium see the lookups). `None` when the unit has none. Cilium
/// enforces it beside the unit's NetworkPolicy; what each allows adds up.
pub fn cilium_network_policy(
    name: &str,
    policy: &NetworkPolicy,
    labels: Map<String, Json>,
    namespace: &str,
) -> Option<Json> {
    let named: Vec<&NetworkRule> = policy
        .egress
        .iter()
        .filter(|r| !r.peer.is_plain())
        .collect();
    if named.is_empty() {
        return None;
    }
    let to_ports = |ports: &[i64]| -> Json {
        let ports: Vec<Json> = ports
            .iter()
            .map(|p| json!({ "port": p.to_string(), "protocol": "TCP" }))
            .collect();
        json!([{ "ports": ports }])
    };
    let mut egress: Vec<Json> = named
        .iter()
        .filter_map(|rule| {
            let to = match &rule.peer {
                Peer::ApiServer => ("toEntities", json!(["kube-apiserver"])),
                Peer::Host(host) if host.starts_with("*.") => {
                    ("toFQDNs", json!([{ "matchPattern": host }]))
                }
                Peer::Host(host) => ("toFQDNs", json!([{ "matchName": host }])),
                _ => return None,
            };
            Some(object([to, ("toPorts", to_ports(&rule.ports))]))
        })
        .collect();
    if named.iter().any(|r| matches!(r.peer, Peer::Host(_))) {
        // Cilium learns a hostname's addresses from the DNS answers its proxy sees:
        // the lookups must go through a DNS rule.
        let (key, value) = crate::network::DNS_LABEL;
        egress.push(json!({
            "toEndpoints": [{ "matchLabels": {
                "k8s:io.kubernetes.pod.namespace": crate::network::DNS_NAMESPACE,
                format!("k8s:{key}"): value,
            } }],
            "toPorts": [{
                "ports": [{ "port": "53", "protocol": "UDP" }, { "port": "53", "protocol": "TCP" }],
                "rules": { "dns": [{ "matchPattern": "*" }] },
            }],
        }));
    }
    let metadata = object([
        ("name", name.into()),
        ("namespace", namespace.into()),
        ("labels", Json::Object(labels)),
    ]);
    let spec = object([
        ("endpointSelector", json!({ "matchLabels": policy.pods })),
        ("egress", Json::Array(egress)),
    ]);
    Some(resource(
        "cilium.io/v2",
        "CiliumNetworkPolicy",
        metadata,
        spec,
    ))
}

/// The environment's default: no pod receives or sends anything not allowed by a
/// unit's policy.
pub fn default_deny(namespace: &str, part_of: &str) -> Json {
    let metadata = environment_metadata("default-deny", namespace, part_of);
    let spec = json!({ "podSelector": {}, "policyTypes": ["Ingress", "Egress"] });
    resource("networking.k8s.io/v1", "NetworkPolicy", metadata, spec)
}

/// Every pod may ask the cluster DNS.
pub fn allow_dns(namespace: &str, part_of: &str) -> Json {
    let metadata = environment_metadata("allow-dns", namespace, part_of);
    let (key, value) = crate::network::DNS_LABEL;
    let spec = json!({
        "podSelector": {},
        "policyTypes": ["Egress"],
        "egress": [{
            "to": [{
                "namespaceSelector": { "matchLabels": { "kubernetes.io/metadata.name": crate::network::DNS_NAMESPACE } },
                "podSelector": { "matchLabels": { key: value } },
            }],
            "ports": [{ "protocol": "UDP", "port": 53 }, { "protocol": "TCP", "port": 53 }],
        }],
    });
    resource("networking.k8s.io/v1", "NetworkPolicy", metadata, spec)
}

fn environment_metadata(name: &str, namespace: &str, part_of: &str) -> Json {
    json!({
        "name": name,
        "namespace": namespace,
        "labels": { "app.kubernetes.io/managed-by": MANAGER, "app.kubernetes.io/part-of": part_of },
    })
}
