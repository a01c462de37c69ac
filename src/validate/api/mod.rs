//! The API server's rules, applied to rendered objects before anything is written:
//! names per kind, labels and selectors, ports, integer ranges, environment variable
//! names, quantities, CIDRs, hostnames, durations and the documented constraints of the
//! custom resources mcpstack emits. This is the safety net for every field: whatever
//! a spec can say, the object it renders is checked here, and a violation is reported
//! at the spec value it came from (see `provenance`).
//!
//! Rules read plain JSON objects, so they hold for every field added later without
//! knowing about it: a new integer is range-checked, a new label is checked as a
//! label, a new container as a container.

mod config;
pub mod format;
pub mod provenance;
pub mod workloads;

use serde_json::Value as Json;

use crate::node::FieldPath;

/// One rule an object breaks: where in the object, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The field of the object (`spec.template.spec.containers[0].ports[0]`).
    pub at: FieldPath,
    pub message: String,
    pub expected: String,
    pub help: Option<String>,
    /// The text that is wrong, when it is a part of the value (a tag in an image
    /// reference) or a key (a label key): what to look for in the specs.
    pub subject: Option<String>,
}

/// Every rule `object` breaks.
pub fn check(object: &Json) -> Vec<Violation> {
    let mut rules = Rules::default();
    let kind = object["kind"].as_str().unwrap_or_default();
    let root = FieldPath::root();
    rules.metadata(kind, &object["metadata"], &root.key("metadata"));
    rules.integers(object, &mut Vec::new(), "");
    let spec = &object["spec"];
    let at = root.key("spec");
    match kind {
        "Deployment" | "DaemonSet" | "ReplicaSet" => rules.workload(spec, &at),
        "StatefulSet" => rules.stateful_set(spec, &at),
        "Job" => rules.job(object, spec, &at),
        "CronJob" => rules.cron_job(object, spec, &at),
        "Service" => {
            rules.service(spec, &at);
            rules.service_ports(spec, &at);
        }
        "PersistentVolumeClaim" => rules.claim(spec, &at),
        "PodDisruptionBudget" => rules.disruption_budget(spec, &at),
        "HorizontalPodAutoscaler" => rules.autoscaler(spec, &at),
        "Ingress" => {
            rules.ingress_annotations(
                &object["metadata"]["annotations"],
                &root.key("metadata").key("annotations"),
            );
            rules.ingress(spec, &at);
        }
        "HTTPRoute" => rules.http_route(spec, &at),
        "NetworkPolicy" => rules.network_policy(spec, &at),
        "CiliumNetworkPolicy" => rules.cilium_network_policy(spec, &at),
        "ServiceMonitor" => rules.service_monitor(spec, &at),
        "ServiceAccount" => rules.service_account(object, &root),
        "Role" | "ClusterRole" => rules.role(object, &root),
        "RoleBinding" | "ClusterRoleBinding" => rules.binding(object, &root),
        "ExternalSecret" => rules.external_secret(spec, &at),
        "ConfigMap" => rules.config_map(object, &root),
        "SecretStore" | "ClusterSecretStore" => rules.secret_store(spec, &at),
        "HelmRelease" => rules.helm_release(object, spec, &at),
        "HelmRepository" | "OCIRepository" => rules.chart_source(kind, spec, &at),
        "Kustomization" => rules.flux_kustomization(spec, &at),
        _ => {}
    }
    rules.found
}

/// How an object's name must look, by kind.
fn name_rule(kind: &str) -> fn(&str) -> Option<String> {
    match kind {
        "Namespace" => format::dns_label,
        "Service" => format::dns1035_label,
        "Role" | "ClusterRole" | "RoleBinding" | "ClusterRoleBinding" => format::path_segment_name,
        _ => format::dns_subdomain,
    }
}

/// One step into a JSON value, borrowed while walking it.
#[derive(Debug, Clone, Copy)]
enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

/// Fields that are 64-bit in the Kubernetes API; every other integer is 32-bit.
const INT64_FIELDS: [&str; 6] = [
    "runAsUser",
    "runAsGroup",
    "fsGroup",
    "tolerationSeconds",
    "activeDeadlineSeconds",
    "terminationGracePeriodSeconds",
];

/// The violations found so far.
#[derive(Default)]
struct Rules {
    found: Vec<Violation>,
    /// A StatefulSet's claim templates, volumes of its pods.
    claim_templates: Vec<String>,
}

impl Rules {
    fn push(&mut self, at: &FieldPath, message: String, expected: &str) {
        self.found.push(Violation {
            at: at.clone(),
            message,
            expected: expected.to_owned(),
            help: None,
            subject: None,
        });
    }

    fn push_help(&mut self, at: &FieldPath, message: String, expected: &str, help: &str) {
        self.found.push(Violation {
            at: at.clone(),
            message,
            expected: expected.to_owned(),
            help: Some(help.to_owned()),
            subject: None,
        });
    }

    /// The last violation is about `subject`, a part or the key of the value.
    fn about(&mut self, subject: &str) {
        if subject.is_empty() {
            return;
        }
        if let Some(last) = self.found.last_mut() {
            last.subject = Some(subject.to_owned());
        }
    }

    /// A string field checked by `rule`; absent fields pass.
    fn text(
        &mut self,
        value: &Json,
        at: &FieldPath,
        what: &str,
        rule: fn(&str) -> Option<String>,
        expected: &str,
    ) {
        if let Some(text) = value.as_str()
            && let Some(problem) = rule(text)
        {
            self.push(at, format!("{what} `{}` {problem}", shown(text)), expected);
        }
    }

    fn metadata(&mut self, kind: &str, meta: &Json, at: &FieldPath) {
        let expected = match kind {
            "Namespace" => "a DNS label: at most 63 lowercase letters, digits and `-`",
            "Service" => {
                "a DNS label starting with a letter: at most 63 lowercase letters, digits and `-`"
            }
            _ => "a DNS subdomain: lowercase letters, digits, `-` and `.`, at most 253 characters",
        };
        let what = format!("{kind} name");
        match meta["name"].as_str() {
            Some(_) => self.text(
                &meta["name"],
                &at.key("name"),
                &what,
                name_rule(kind),
                expected,
            ),
            None => self.push(at, format!("{kind} has no name"), expected),
        }
        self.text(
            &meta["namespace"],
            &at.key("namespace"),
            "namespace",
            format::dns_label,
            "a DNS label: at most 63 lowercase letters, digits and `-`",
        );
        self.labels(&meta["labels"], &at.key("labels"));
        self.annotations(&meta["annotations"], &at.key("annotations"));
    }

    fn labels(&mut self, labels: &Json, at: &FieldPath) {
        let Some(labels) = labels.as_object() else {
            return;
        };
        for (key, value) in labels {
            let here = at.key(key);
            if let Some(problem) = format::qualified_name(key) {
                self.push_help(
                    &here,
                    format!("label key `{}` {problem}", shown(key)),
                    "a label key: an optional DNS prefix and `/`, then at most 63 letters, digits, `-`, `_` and `.`",
                    "e.g. `app.kubernetes.io/component` or `team`",
                );
                self.about(key);
            }
            match value.as_str() {
                Some(text) => {
                    if let Some(problem) = format::label_value(text) {
                        self.push_help(
                            &here,
                            format!("label value `{}` {problem}", shown(text)),
                            "a label value: at most 63 letters, digits, `-`, `_` and `.`, starting and ending alphanumeric",
                            "e.g. `v1.2.0` or `payments`; put longer text in an annotation",
                        );
                    }
                }
                None => self.push(&here, "label value is not a string".to_owned(), "a string"),
            }
        }
    }

    fn annotations(&mut self, annotations: &Json, at: &FieldPath) {
        let Some(annotations) = annotations.as_object() else {
            return;
        };
        let mut size = 0;
        for (key, value) in annotations {
            size += key.len() + value.as_str().map_or(0, str::len);
            if let Some(problem) = format::qualified_name(key) {
                self.push_help(
                    &at.key(key),
                    format!("annotation key `{}` {problem}", shown(key)),
                    "an annotation key: an optional DNS prefix and `/`, then at most 63 letters, digits, `-`, `_` and `.`",
                    "e.g. `nginx.ingress.kubernetes.io/proxy-body-size`",
                );
                self.about(key);
            }
            if !value.is_string() {
                self.push(
                    &at.key(key),
                    "annotation value is not a string".to_owned(),
                    "a string",
                );
            }
        }
        if size > 256 * 1024 {
            self.push(
                at,
                format!("annotations total {size} bytes, over 256 KiB"),
                "annotations of at most 256 KiB in all",
            );
        }
    }

    /// Every integer of the object fits its field: 32-bit unless the API says 64-bit,
    /// and never negative (no field mcpstack renders takes a negative number).
    fn integers<'a>(&mut self, value: &'a Json, path: &mut Vec<Step<'a>>, key: &'a str) {
        // A field path is made only for a finding.
        let at = || {
            path.iter().fold(FieldPath::root(), |at, step| match step {
                Step::Key(key) => at.key(key),
                Step::Index(index) => at.index(*index),
            })
        };
        match value {
            Json::Number(number) => {
                let Some(n) = number.as_i64() else {
                    if number.as_u64().is_some() {
                        self.push(
                            &at(),
                            format!("{number} is too large for `{key}`"),
                            "a number that fits in 64 bits",
                        );
                    }
                    return;
                };
                if n < 0 && key != "tolerationSeconds" {
                    self.push(&at(), format!("`{key}` is {n}, below zero"), "zero or more");
                } else if n > i64::from(i32::MAX) && !INT64_FIELDS.contains(&key) {
                    self.push(
                        &at(),
                        format!("`{key}` is {n}, too large for a 32-bit field"),
                        "at most 2147483647",
                    );
                }
            }
            Json::Object(map) => {
                for (child, value) in map {
                    // Helm values are the chart's, not the API server's.
                    if child == "values" && key == "spec" {
                        continue;
                    }
                    path.push(Step::Key(child));
                    self.integers(value, path, child);
                    path.pop();
                }
            }
            Json::Array(items) => {
                for (index, item) in items.iter().enumerate() {
                    path.push(Step::Index(index));
                    self.integers(item, path, key);
                    path.pop();
                }
            }
            _ => {}
        }
    }

    fn selector(&mut self, selector: &Json, at: &FieldPath) {
        self.labels(&selector["matchLabels"], &at.key("matchLabels"));
    }

    /// Deployments and their kin: a selector that matches the pod template's labels,
    /// and a valid pod template.
    fn workload(&mut self, spec: &Json, at: &FieldPath) {
        let selector = &spec["selector"]["matchLabels"];
        let labels = &spec["template"]["metadata"]["labels"];
        self.selector(&spec["selector"], &at.key("selector"));
        match selector.as_object() {
            Some(selector) if !selector.is_empty() => {
                for (key, value) in selector {
                    if labels.get(key) != Some(value) {
                        let shown_value = labels.get(key).and_then(Json::as_str);
                        let message = match shown_value {
                            Some(other) => format!(
                                "pod label `{key}` is `{}`, but the selector needs `{}`",
                                shown(other),
                                value.as_str().map(shown).unwrap_or_default()
                            ),
                            None => format!("the pod template lacks selector label `{key}`"),
                        };
                        self.push_help(
                            &at.key("template").key("metadata").key("labels").key(key),
                            message,
                            "pod labels that keep every selector label",
                            "mcpstack sets `app.kubernetes.io/name` and `app.kubernetes.io/instance` to select pods; do not set them in `podLabels`",
                        );
                    }
                }
            }
            _ => self.push(
                &at.key("selector"),
                "the workload selects no pods".to_owned(),
                "a selector with labels",
            ),
        }
        self.pod_template(&spec["template"], &at.key("template"));
    }

    fn pod_template(&mut self, template: &Json, at: &FieldPath) {
        let meta = at.key("metadata");
        for (key, value) in template["metadata"]["annotations"]
            .as_object()
            .into_iter()
            .flatten()
        {
            let profile = value.as_str().unwrap_or_default();
            let confined = profile == "runtime/default" || profile.starts_with("localhost/");
            let apparmor = key.starts_with("container.apparmor.security.beta.kubernetes.io/");
            let seccomp = key.starts_with("seccomp.security.alpha.kubernetes.io/")
                || key.starts_with("container.seccomp.security.alpha.kubernetes.io/");
            if (apparmor || seccomp) && !(confined || (seccomp && profile == "docker/default")) {
                self.push_help(
                    &meta.key("annotations").key(key),
                    format!("annotation `{key}: {}` loosens the pod's confinement", shown(profile)),
                    "`runtime/default` or a `localhost/` profile",
                    "the namespace enforces Pod Security `restricted`, which refuses unconfined pods; mcpstack sets RuntimeDefault already",
                );
            }
        }
        self.labels(&template["metadata"]["labels"], &meta.key("labels"));
        self.annotations(
            &template["metadata"]["annotations"],
            &meta.key("annotations"),
        );
        self.pod(&template["spec"], &at.key("spec"));
    }

    fn pod(&mut self, pod: &Json, at: &FieldPath) {
        let claim_templates = std::mem::take(&mut self.claim_templates);
        let volumes: Vec<&str> = list(&pod["volumes"])
            .iter()
            .filter_map(|v| v["name"].as_str())
            .chain(claim_templates.iter().map(String::as_str))
            .collect();
        for (index, volume) in list(&pod["volumes"]).iter().enumerate() {
            let here = at.key("volumes").index(index);
            self.text(
                &volume["name"],
                &here.key("name"),
                "volume name",
                format::dns_label,
                "a DNS label",
            );
            if volumes
                .iter()
                .filter(|v| Some(**v) == volume["name"].as_str())
                .count()
                > 1
            {
                self.push(
                    &here.key("name"),
                    format!(
                        "volume `{}` is declared twice",
                        volume["name"].as_str().unwrap_or_default()
                    ),
                    "unique volume names",
                );
            }
            self.mounted_volume(volume, &here);
            for field in ["claimName", "secretName"] {
                let source = volume
                    .as_object()
                    .into_iter()
                    .flat_map(|v| v.values())
                    .find_map(|s| s.get(field));
                if let Some(name) = source {
                    self.text(name, &here, field, format::dns_subdomain, "a DNS subdomain");
                }
            }
        }
        let mut names: Vec<&str> = Vec::new();
        for field in ["initContainers", "containers"] {
            for (index, container) in list(&pod[field]).iter().enumerate() {
                let here = at.key(field).index(index);
                if let Some(name) = container["name"].as_str() {
                    if names.contains(&name) {
                        self.push(
                            &here.key("name"),
                            format!("container `{name}` is declared twice"),
                            "unique container names in a pod",
                        );
                    }
                    names.push(name);
                }
                self.container(container, &here, &volumes);
                self.mount_layout(pod, container, &here);
            }
        }
        self.text(
            &pod["serviceAccountName"],
            &at.key("serviceAccountName"),
            "service account",
            format::dns_subdomain,
            "a DNS subdomain",
        );
        for (index, secret) in list(&pod["imagePullSecrets"]).iter().enumerate() {
            self.text(
                &secret["name"],
                &at.key("imagePullSecrets").index(index).key("name"),
                "pull secret",
                format::dns_subdomain,
                "a DNS subdomain",
            );
        }
        self.labels(&pod["nodeSelector"], &at.key("nodeSelector"));
        for (index, toleration) in list(&pod["tolerations"]).iter().enumerate() {
            self.toleration(toleration, &at.key("tolerations").index(index));
        }
        let mut spreads: Vec<(&Json, &Json)> = Vec::new();
        for (index, spread) in list(&pod["topologySpreadConstraints"]).iter().enumerate() {
            let here = at.key("topologySpreadConstraints").index(index);
            let identity = (&spread["topologyKey"], &spread["whenUnsatisfiable"]);
            if spreads.contains(&identity) {
                self.push(
                    &here,
                    "two spread constraints share a topology key and `whenUnsatisfiable`"
                        .to_owned(),
                    "one constraint per topology key and `whenUnsatisfiable`",
                );
            }
            spreads.push(identity);
            if spread["maxSkew"].as_i64().is_some_and(|s| s < 1) {
                self.push(
                    &here.key("maxSkew"),
                    "`maxSkew` must be at least 1".to_owned(),
                    "1 or more",
                );
            }
            self.text(
                &spread["topologyKey"],
                &here.key("topologyKey"),
                "topology key",
                format::qualified_name,
                "a label key such as `topology.kubernetes.io/zone`",
            );
            self.selector(&spread["labelSelector"], &here.key("labelSelector"));
        }
        if !pod["affinity"].is_null() {
            self.affinity(&pod["affinity"], &at.key("affinity"));
        }
        for field in ["runAsUser", "runAsGroup", "fsGroup"] {
            self.user_id(
                &pod["securityContext"][field],
                &at.key("securityContext").key(field),
                field,
            );
        }
    }

    fn user_id(&mut self, value: &Json, at: &FieldPath, field: &str) {
        if let Some(id) = value.as_i64()
            && !(0..=i64::from(i32::MAX)).contains(&id)
        {
            self.push(
                at,
                format!("`{field}` {id} is not a valid user or group id"),
                "an id between 0 and 2147483647",
            );
        }
    }

    fn toleration(&mut self, toleration: &Json, at: &FieldPath) {
        if let Some(key) = toleration["key"].as_str()
            && !key.is_empty()
            && let Some(problem) = format::qualified_name(key)
        {
            self.push(
                &at.key("key"),
                format!("toleration key `{}` {problem}", shown(key)),
                "a taint key such as `dedicated` or `node.kubernetes.io/unreachable`",
            );
        }
        let exists = toleration["operator"].as_str() == Some("Exists");
        if exists && toleration["value"].as_str().is_some_and(|v| !v.is_empty()) {
            self.push(
                &at.key("value"),
                "a toleration with `operator: Exists` has no value".to_owned(),
                "no `value`, or `operator: Equal`",
            );
        }
        if !exists && toleration["key"].as_str().is_none_or(str::is_empty) {
            self.push(
                at,
                "a toleration without a key must use `operator: Exists`".to_owned(),
                "`key`, or `operator: Exists`",
            );
        }
        if let Some(value) = toleration["value"].as_str()
            && let Some(problem) = format::label_value(value)
        {
            self.push(
                &at.key("value"),
                format!("toleration value `{}` {problem}", shown(value)),
                "a label value",
            );
        }
        if !toleration["tolerationSeconds"].is_null()
            && toleration["effect"].as_str() != Some("NoExecute")
        {
            self.push(
                &at.key("tolerationSeconds"),
                "`tolerationSeconds` applies only to `effect: NoExecute`".to_owned(),
                "`effect: NoExecute` with `tolerationSeconds`",
            );
        }
    }

    fn container(&mut self, container: &Json, at: &FieldPath, volumes: &[&str]) {
        self.text(
            &container["name"],
            &at.key("name"),
            "container name",
            format::dns_label,
            "a DNS label",
        );
        match container["image"].as_str() {
            Some(image) => {
                if let Some((part, problem)) = format::image_reference(image) {
                    self.push_help(
                        &at.key("image"),
                        format!("image `{}` {problem}", shown(image)),
                        "an image reference such as `ghcr.io/org/app:1.0`",
                        "set `repository` to the image's path alone (lowercase, no tag) and the tag in `tag`",
                    );
                    self.about(&part);
                }
            }
            None => self.push(at, "container has no image".to_owned(), "`image`"),
        }
        let command_line = list(&container["command"])
            .iter()
            .chain(list(&container["args"]));
        let values = list(&container["env"]).iter().map(|var| &var["value"]);
        if let Some(text) = command_line
            .chain(values)
            .filter_map(Json::as_str)
            .find(|text| text.contains('\0'))
        {
            self.push(
                at,
                format!(
                    "`{}` holds a NUL character, which no process can be handed",
                    shown(text)
                ),
                "text without NUL characters",
            );
            self.about(text);
        }
        if let Some(first) = list(&container["command"]).first()
            && first.as_str().is_some_and(|c| c.trim().is_empty())
        {
            self.push(
                &at.key("command").index(0),
                "the command to run is empty".to_owned(),
                "the program to run, e.g. `[/app/server, --port, \"8080\"]`",
            );
        }
        let mut port_names: Vec<&str> = Vec::new();
        for (index, port) in list(&container["ports"]).iter().enumerate() {
            let here = at.key("ports").index(index);
            self.port(&port["containerPort"], &here.key("containerPort"));
            if let Some(name) = port["name"].as_str() {
                self.text(
                    &port["name"],
                    &here.key("name"),
                    "port name",
                    format::port_name,
                    "at most 15 lowercase letters, digits and `-`, with a letter",
                );
                if port_names.contains(&name) {
                    self.push(
                        &here.key("name"),
                        format!("port name `{name}` is used twice"),
                        "unique port names",
                    );
                }
                port_names.push(name);
            }
        }
        self.env(container, at);
        self.resources(&container["resources"], &at.key("resources"));
        for probe in ["livenessProbe", "readinessProbe", "startupProbe"] {
            self.probe(probe, &container[probe], &at.key(probe));
        }
        let mut paths: Vec<&str> = Vec::new();
        for (index, mount) in list(&container["volumeMounts"]).iter().enumerate() {
            let here = at.key("volumeMounts").index(index);
            let name = mount["name"].as_str().unwrap_or_default();
            if !volumes.contains(&name) {
                self.push(
                    &here.key("name"),
                    format!("volume mount `{name}` names no volume of the pod"),
                    "the name of a volume of the pod",
                );
            }
            let path = mount["mountPath"].as_str().unwrap_or_default();
            if let Some(problem) = format::container_path(path) {
                self.push(
                    &here.key("mountPath"),
                    format!("mount path `{}` {problem}", shown(path)),
                    "an absolute path such as `/data` or `/var/cache/app`",
                );
            }
            if paths.contains(&path) {
                self.push_help(
                    &here.key("mountPath"),
                    format!("`{}` is mounted twice in one container", shown(path)),
                    "one mount per path",
                    "give each volume its own mount path",
                );
            }
            paths.push(path);
            if let Some(sub) = mount["subPath"].as_str()
                && (sub.starts_with('/') || sub.split('/').any(|p| p == ".."))
            {
                self.push(
                    &here.key("subPath"),
                    format!("sub path `{}` is absolute or holds `..`", shown(sub)),
                    "a relative path inside the volume",
                );
            }
        }
    }

    /// Where a container's volumes go: never over the paths the runtime and the
    /// kubelet own (`/proc`, `/sys`, the service-account token folder), and never
    /// inside a read-only mount (a ConfigMap, a Secret, the token), where the runtime
    /// cannot create the mount point and the container never starts.
    fn mount_layout(&mut self, pod: &Json, container: &Json, at: &FieldPath) {
        let read_only_volume = |name: &str| {
            list(&pod["volumes"]).iter().any(|v| {
                v["name"].as_str() == Some(name)
                    && ["configMap", "secret", "projected", "downwardAPI"]
                        .iter()
                        .any(|source| !v[*source].is_null())
            })
        };
        let token = pod["automountServiceAccountToken"].as_bool() != Some(false);
        let mounts: Vec<(&str, bool)> = list(&container["volumeMounts"])
            .iter()
            .map(|m| {
                let path = m["mountPath"].as_str().unwrap_or_default();
                let read_only = m["readOnly"].as_bool() == Some(true)
                    || read_only_volume(m["name"].as_str().unwrap_or_default());
                (path.trim_end_matches('/'), read_only)
            })
            .collect();
        let under = |inner: &str, outer: &str| {
            inner
                .strip_prefix(outer)
                .is_some_and(|rest| rest.starts_with('/'))
        };
        for (index, (path, _)) in mounts.iter().enumerate() {
            let here = at.key("volumeMounts").index(index).key("mountPath");
            if path.is_empty() {
                continue;
            }
            if let Some(owned) = format::RUNTIME_PATHS
                .iter()
                .find(|owned| path == *owned || under(path, owned))
            {
                self.push_help(
                    &here,
                    format!("mount path `{}` is inside `{owned}`, which the container runtime owns", shown(path)),
                    "a folder of the image's own, such as `/data` or `/etc/app`",
                    "the runtime mounts its own file systems there and refuses to start a container with a volume inside them",
                );
                continue;
            }
            let token_path = format::SERVICE_ACCOUNT_TOKEN_PATH;
            if *path == token_path || under(path, token_path) {
                self.push_help(
                    &here,
                    format!("mount path `{}` is the service-account token's folder `{token_path}` or inside it", shown(path)),
                    "a folder of its own, such as `/var/run/secrets/mcp/NAME`",
                    "Kubernetes mounts the pod's API token there: a volume at that path silently hides the token, one inside it cannot be created",
                );
                continue;
            }
            let outer = mounts
                .iter()
                .filter(|(outer, read_only)| *read_only && !outer.is_empty() && under(path, outer))
                .map(|(outer, _)| *outer)
                .chain((token && under(path, token_path)).then_some(token_path))
                .next();
            let shadowed = token && under(token_path, path) && mounts[index].1;
            if let Some(outer) = outer {
                self.push_help(
                    &here,
                    format!("mount path `{}` is inside the read-only mount `{}`", shown(path), shown(outer)),
                    "a path outside every ConfigMap and Secret mount of the container",
                    "the runtime cannot create a mount point inside a read-only volume, so the container would never start; mount each volume at a folder of its own, side by side",
                );
            } else if shadowed {
                self.push_help(
                    &here,
                    format!("read-only mount path `{}` holds the service-account token's folder `{token_path}`", shown(path)),
                    "a read-only mount outside `/var/run/secrets/kubernetes.io`",
                    "the pod mounts its API token inside this read-only volume, which the runtime cannot do, so the container would never start; mount the source at a folder of its own",
                );
            }
        }
    }

    fn port(&mut self, value: &Json, at: &FieldPath) {
        if let Some(port) = value.as_i64()
            && let Some(problem) = format::port_number(port)
        {
            self.push_help(
                at,
                problem,
                "a port number between 1 and 65535",
                "e.g. `8080`",
            );
        }
    }

    fn env(&mut self, container: &Json, at: &FieldPath) {
        for (index, var) in list(&container["env"]).iter().enumerate() {
            let here = at.key("env").index(index);
            self.text(
                &var["name"],
                &here.key("name"),
                "environment variable name",
                format::env_var_name,
                "letters, digits, `_`, `-` and `.`, not starting with a digit, e.g. `LOG_LEVEL`",
            );
            let from = &var["valueFrom"];
            for source in ["secretKeyRef", "configMapKeyRef"] {
                let reference = &from[source];
                if reference.is_null() {
                    continue;
                }
                let there = here.key("valueFrom").key(source);
                self.text(
                    &reference["name"],
                    &there.key("name"),
                    "referenced name",
                    format::dns_subdomain,
                    "a DNS subdomain",
                );
                self.text(
                    &reference["key"],
                    &there.key("key"),
                    "key",
                    format::config_key,
                    "letters, digits, `-`, `_` and `.`",
                );
            }
        }
        for (index, source) in list(&container["envFrom"]).iter().enumerate() {
            let here = at.key("envFrom").index(index);
            if let Some(prefix) = source["prefix"].as_str()
                && !prefix.is_empty()
                && let Some(problem) = format::env_var_name(prefix)
            {
                self.push(
                    &here.key("prefix"),
                    format!("prefix `{}` {problem}", shown(prefix)),
                    "the start of an environment variable name, e.g. `DB_`",
                );
            }
            for reference in ["secretRef", "configMapRef"] {
                self.text(
                    &source[reference]["name"],
                    &here.key(reference).key("name"),
                    "referenced name",
                    format::dns_subdomain,
                    "a DNS subdomain",
                );
            }
        }
    }

    fn resources(&mut self, resources: &Json, at: &FieldPath) {
        let mut parsed: [Vec<(String, f64)>; 2] = [Vec::new(), Vec::new()];
        for (slot, field) in ["requests", "limits"].iter().enumerate() {
            for (name, value) in resources[*field].as_object().into_iter().flatten() {
                let here = at.key(field).key(name);
                let Some(text) = quantity_text(value) else {
                    continue;
                };
                match format::quantity(&text) {
                    Ok(amount) if amount < 0.0 => self.push(
                        &here,
                        format!("{field} of {name} `{text}` is negative"),
                        "zero or more",
                    ),
                                        Ok(amount) => {
                        if let Some(problem) = resource_precision(name, amount) {
                            self.push_help(
                                &here,
                                format!("{field} of {name} `{text}` {problem}"),
                                "a quantity such as `250m` CPU or `512Mi` memory",
                                "CPU counts in thousandths (`1m`), memory and storage in whole bytes",
                            );
                        }
                        parsed[slot].push((name.clone(), amount));
                    }
                    Err(problem) => self.push_help(
                        &here,
                        problem,
                        "a quantity such as `250m`, `1`, `512Mi` or `5Gi`",
                        "binary suffixes are Ki, Mi, Gi, Ti; decimal ones k, M, G, T (`5Gi`, not `5GB`)",
                    ),
                }
            }
        }
        let [requests, limits] = parsed;
        for (name, request) in &requests {
            if let Some((_, limit)) = limits.iter().find(|(n, _)| n == name)
                && request > limit
            {
                self.push_help(
                    &at.key("requests").key(name),
                    format!("the {name} request is above its limit"),
                    "requests at or below limits",
                    "raise the limit or lower the request",
                );
            }
        }
    }

    fn probe(&mut self, kind: &str, probe: &Json, at: &FieldPath) {
        if probe.is_null() {
            return;
        }
        for handler in ["httpGet", "tcpSocket"] {
            if let Some(port) = probe[handler]["port"].as_i64() {
                self.port(&Json::from(port), &at.key(handler).key("port"));
            }
        }
        if !probe["exec"].is_null() && list(&probe["exec"]["command"]).is_empty() {
            self.push(
                &at.key("exec").key("command"),
                format!("the {kind} runs an empty command"),
                "a command such as `[cat, /tmp/healthy]`",
            );
        }
        if let Some(path) = probe["httpGet"]["path"].as_str()
            && !path.starts_with('/')
        {
            self.push(
                &at.key("httpGet").key("path"),
                format!("probe path `{}` does not start with `/`", shown(path)),
                "a path such as `/healthz`",
            );
        }
        if kind != "readinessProbe" && probe["successThreshold"].as_i64().is_some_and(|n| n != 1) {
            self.push(
                &at.key("successThreshold"),
                format!("the {kind}'s `successThreshold` must be 1"),
                "1 (only readiness probes take another value)",
            );
        }
        for field in ["periodSeconds", "successThreshold", "failureThreshold"] {
            if probe[field].as_i64() == Some(0) {
                self.push(&at.key(field), format!("`{field}` is 0"), "1 or more");
            }
        }
    }

    fn service(&mut self, spec: &Json, at: &FieldPath) {
        self.labels(&spec["selector"], &at.key("selector"));
        for (index, port) in list(&spec["ports"]).iter().enumerate() {
            let here = at.key("ports").index(index);
            self.port(&port["port"], &here.key("port"));
            match &port["targetPort"] {
                Json::Number(_) => self.port(&port["targetPort"], &here.key("targetPort")),
                Json::String(_) => self.text(
                    &port["targetPort"],
                    &here.key("targetPort"),
                    "target port",
                    format::port_name,
                    "a port number or a port name",
                ),
                _ => {}
            }
            self.text(
                &port["name"],
                &here.key("name"),
                "port name",
                format::port_name,
                "at most 15 lowercase letters, digits and `-`",
            );
        }
    }

    fn claim(&mut self, spec: &Json, at: &FieldPath) {
        self.resources(&spec["resources"], &at.key("resources"));
        let storage = &spec["resources"]["requests"]["storage"];
        if quantity_text(storage).is_some_and(|t| format::quantity(&t).is_ok_and(|q| q <= 0.0)) {
            self.push_help(
                &at.key("resources").key("requests").key("storage"),
                "the claim asks for no storage".to_owned(),
                "a size greater than zero",
                "e.g. `5Gi`",
            );
        }
        self.text(
            &spec["storageClassName"],
            &at.key("storageClassName"),
            "storage class",
            format::dns_subdomain,
            "a DNS subdomain",
        );
        if list(&spec["accessModes"]).is_empty() {
            self.push(
                &at.key("accessModes"),
                "the claim has no access mode".to_owned(),
                "`ReadWriteOnce`, `ReadOnlyMany`, `ReadWriteMany` or `ReadWriteOncePod`",
            );
        }
    }

    fn disruption_budget(&mut self, spec: &Json, at: &FieldPath) {
        self.selector(&spec["selector"], &at.key("selector"));
        for field in ["minAvailable", "maxUnavailable"] {
            if let Some(text) = spec[field].as_str() {
                let percent = text.strip_suffix('%').and_then(|n| n.parse::<u32>().ok());
                match percent {
                    Some(p) if p <= 100 => {}
                    Some(p) => self.push(
                        &at.key(field),
                        format!("`{field}` is {p}%, over 100%"),
                        "a percentage of at most 100%",
                    ),
                    None => self.push_help(
                        &at.key(field),
                        format!(
                            "`{field}` `{}` is neither a number nor a percentage",
                            shown(text)
                        ),
                        "a whole number or a percentage",
                        "e.g. `1` or `50%`",
                    ),
                }
            }
        }
    }

    fn autoscaler(&mut self, spec: &Json, at: &FieldPath) {
        let min = spec["minReplicas"].as_i64().unwrap_or(1);
        let max = spec["maxReplicas"].as_i64().unwrap_or(0);
        if min < 1 {
            self.push(
                &at.key("minReplicas"),
                format!("`minReplicas` is {min}"),
                "1 or more",
            );
        }
        if max < min.max(1) {
            self.push(
                &at.key("maxReplicas"),
                format!("`maxReplicas` {max} is below `minReplicas` {min}"),
                "`maxReplicas` at or above `minReplicas`",
            );
        }
        for (index, metric) in list(&spec["metrics"]).iter().enumerate() {
            self.custom_metric(metric, &at.key("metrics").index(index));
            let target = &metric["resource"]["target"];
            if target["averageUtilization"].as_i64().is_some_and(|u| u < 1) {
                self.push(
                    &at.key("metrics")
                        .index(index)
                        .key("resource")
                        .key("target")
                        .key("averageUtilization"),
                    "a utilization target must be at least 1%".to_owned(),
                    "a percentage of at least 1",
                );
            }
        }
        for direction in ["scaleUp", "scaleDown"] {
            let rules = &spec["behavior"][direction];
            let here = at.key("behavior").key(direction);
            if rules["stabilizationWindowSeconds"]
                .as_i64()
                .is_some_and(|s| s > 3600)
            {
                self.push(
                    &here.key("stabilizationWindowSeconds"),
                    "a stabilization window is at most 3600 seconds".to_owned(),
                    "0 to 3600",
                );
            }
            if rules["policies"].is_array() && list(&rules["policies"]).is_empty() {
                self.push(
                    &here.key("policies"),
                    format!("the {direction} behavior lists no policy"),
                    "at least one policy, e.g. `{type: Percent, value: 100, periodSeconds: 15}`",
                );
            }
            for (index, policy) in list(&rules["policies"]).iter().enumerate() {
                let there = here.key("policies").index(index);
                if policy["value"].as_i64().is_some_and(|v| v < 1) {
                    self.push(
                        &there.key("value"),
                        "a scaling policy's value must be at least 1".to_owned(),
                        "1 or more",
                    );
                }
                if policy["periodSeconds"]
                    .as_i64()
                    .is_some_and(|p| !(1..=1800).contains(&p))
                {
                    self.push(
                        &there.key("periodSeconds"),
                        "a scaling policy's period is 1 to 1800 seconds".to_owned(),
                        "1 to 1800",
                    );
                }
            }
        }
    }

    /// A `Pods` or `External` metric of an autoscaler: a metric name, a selector of
    /// labels, a target the type takes (`AverageValue` for Pods; `Value` or
    /// `AverageValue` for External) holding a valid quantity.
    fn custom_metric(&mut self, metric: &Json, at: &FieldPath) {
        let (key, targets): (&str, &[&str]) = match metric["type"].as_str() {
            Some("Pods") => ("pods", &["AverageValue"]),
            Some("External") => ("external", &["Value", "AverageValue"]),
            _ => return,
        };
        let here = at.key(key);
        let identifier = &metric[key]["metric"];
        match identifier["name"].as_str() {
            Some(_) => self.text(
                &identifier["name"],
                &here.key("metric").key("name"),
                "metric name",
                format::metric_name,
                "a metric name such as `mcp_sessions_active`",
            ),
            None => self.push(
                &here.key("metric").key("name"),
                "the metric has no name".to_owned(),
                "a metric name such as `mcp_sessions_active`",
            ),
        }
        self.selector(&identifier["selector"], &here.key("metric").key("selector"));
        let target = &metric[key]["target"];
        let kind = target["type"].as_str().unwrap_or_default();
        if !targets.contains(&kind) {
            self.push(
                &here.key("target").key("type"),
                format!(
                    "a {} metric cannot take a `{}` target",
                    metric["type"].as_str().unwrap_or_default(),
                    shown(kind)
                ),
                &targets
                    .iter()
                    .map(|t| format!("`{t}`"))
                    .collect::<Vec<_>>()
                    .join(" or "),
            );
            return;
        }
        let field = match kind {
            "Value" => "value",
            _ => "averageValue",
        };
        let there = here.key("target").key(field);
        match quantity_text(&target[field]).map(|t| (format::quantity(&t), t)) {
            None => self.push(
                &there,
                format!("the `{kind}` target has no `{field}`"),
                "a quantity such as `100` or `500m`",
            ),
            Some((Err(problem), text)) => {
                self.push_help(
                    &there,
                    format!("target `{}` {problem}", shown(&text)),
                    "a quantity such as `100` or `500m`",
                    "a number with an optional suffix: `m`, `k`, `M`, `Ki`, `Mi`, ...",
                );
            }
            Some((Ok(amount), text)) if amount <= 0.0 => {
                self.push(
                    &there,
                    format!("target `{}` is not above zero", shown(&text)),
                    "a quantity greater than zero",
                );
            }
            Some(_) => {}
        }
    }

    /// ingress-nginx annotations that inject configuration: `*-snippet` (refused by
    /// default since ingress-nginx 1.9, and a known injection path) and values that
    /// span lines.
    fn ingress_annotations(&mut self, annotations: &Json, at: &FieldPath) {
        for (key, value) in annotations.as_object().into_iter().flatten() {
            let text = value.as_str().unwrap_or_default();
            if key.ends_with("-snippet") {
                self.push_help(
                    &at.key(key),
                    format!("annotation `{key}` injects raw configuration into the ingress controller"),
                    "annotations that set one documented option each",
                    "ingress-nginx refuses snippets by default; use the annotation for the one setting you need",
                );
            } else if key == "cert-manager.io/cluster-issuer" || key == "cert-manager.io/issuer" {
                if let Some(problem) = format::dns_subdomain(text) {
                    self.push(
                        &at.key(key),
                        format!("issuer `{}` {problem}", shown(text)),
                        "the name of a cert-manager (Cluster)Issuer, e.g. `letsencrypt-prod`",
                    );
                }
            } else if text.contains(['\n', '\r']) {
                self.push(
                    &at.key(key),
                    format!("annotation `{key}` spans several lines"),
                    "a one-line value",
                );
            }
        }
    }

    fn ingress(&mut self, spec: &Json, at: &FieldPath) {
        self.text(
            &spec["ingressClassName"],
            &at.key("ingressClassName"),
            "ingress class",
            format::dns_subdomain,
            "a DNS subdomain",
        );
        for (index, rule) in list(&spec["rules"]).iter().enumerate() {
            let here = at.key("rules").index(index);
            self.host(&rule["host"], &here.key("host"));
            for (p, path) in list(&rule["http"]["paths"]).iter().enumerate() {
                let there = here.key("http").key("paths").index(p);
                // Implementation-specific paths are the controller's to read (regular
                // expressions for ingress-nginx); the API server asks only for a `/`.
                let problem = match (path["path"].as_str(), path["pathType"].as_str()) {
                    (Some(text), Some("ImplementationSpecific")) => (!text.starts_with('/'))
                        .then(|| "does not start with `/`".to_owned())
                        .map(|p| (text, p)),
                    (Some(text), _) => format::route_path(text).map(|p| (text, p)),
                    (None, _) => None,
                };
                if let Some((text, problem)) = problem {
                    self.push(
                        &there.key("path"),
                        format!("path `{}` {problem}", shown(text)),
                        "a path such as `/` or `/api/v1`",
                    );
                }
                let service = &path["backend"]["service"];
                self.text(
                    &service["name"],
                    &there.key("backend").key("service").key("name"),
                    "backend service",
                    format::dns1035_label,
                    "a Service name",
                );
                self.port(
                    &service["port"]["number"],
                    &there
                        .key("backend")
                        .key("service")
                        .key("port")
                        .key("number"),
                );
            }
        }
        for (index, tls) in list(&spec["tls"]).iter().enumerate() {
            let here = at.key("tls").index(index);
            for (h, host) in list(&tls["hosts"]).iter().enumerate() {
                self.host(host, &here.key("hosts").index(h));
            }
            self.text(
                &tls["secretName"],
                &here.key("secretName"),
                "TLS secret",
                format::dns_subdomain,
                "a DNS subdomain",
            );
        }
    }

    /// An Ingress or HTTPRoute host: a DNS name (a leading `*.` allowed), not an IP.
    fn host(&mut self, host: &Json, at: &FieldPath) {
        let Some(text) = host.as_str() else {
            return;
        };
        if format::is_ip_address(text) {
            self.push_help(
                at,
                format!("host `{}` is an IP address", shown(text)),
                "a DNS name such as `mcp.example.com`",
                "routes match on names; give the address a DNS name",
            );
            return;
        }
        let name = text.strip_prefix("*.").unwrap_or(text);
        if let Some(problem) = format::dns_subdomain(name) {
            self.push(
                at,
                format!("host `{}` {problem}", shown(text)),
                "a DNS name: lowercase labels of letters, digits and `-`",
            );
        }
    }

    fn http_route(&mut self, spec: &Json, at: &FieldPath) {
        for (index, host) in list(&spec["hostnames"]).iter().enumerate() {
            self.host(host, &at.key("hostnames").index(index));
        }
        for (index, parent) in list(&spec["parentRefs"]).iter().enumerate() {
            let here = at.key("parentRefs").index(index);
            self.text(
                &parent["name"],
                &here.key("name"),
                "Gateway name",
                format::dns_subdomain,
                "a DNS subdomain",
            );
            self.text(
                &parent["namespace"],
                &here.key("namespace"),
                "Gateway namespace",
                format::dns_label,
                "a DNS label",
            );
            self.text(
                &parent["sectionName"],
                &here.key("sectionName"),
                "listener name",
                format::dns_subdomain,
                "a DNS subdomain",
            );
        }
        for (index, rule) in list(&spec["rules"]).iter().enumerate() {
            let here = at.key("rules").index(index);
            for (m, matched) in list(&rule["matches"]).iter().enumerate() {
                if let Some(path) = matched["path"]["value"].as_str()
                    && let Some(problem) = format::route_path(path)
                {
                    self.push(
                        &here.key("matches").index(m).key("path").key("value"),
                        format!("path `{}` {problem}", shown(path)),
                        "a path such as `/` or `/api/v1`",
                    );
                }
            }
            for (f, filter) in list(&rule["filters"]).iter().enumerate() {
                let there = here.key("filters").index(f);
                if filter["type"] != "URLRewrite" {
                    self.push(
                        &there.key("type"),
                        format!("filter type {} is not one mcpstack renders", filter["type"]),
                        "`URLRewrite`",
                    );
                    continue;
                }
                let path = &filter["urlRewrite"]["path"];
                if path["type"] != "ReplacePrefixMatch"
                    || rule["matches"][0]["path"]["type"] != "PathPrefix"
                {
                    self.push(
                        &there.key("urlRewrite").key("path").key("type"),
                        "a `ReplacePrefixMatch` rewrite needs its rule to match a `PathPrefix`"
                            .to_owned(),
                        "`ReplacePrefixMatch` on a rule whose one match is a `PathPrefix`",
                    );
                }
                if let Some(text) = path["replacePrefixMatch"].as_str()
                    && let Some(problem) = format::route_path(text)
                {
                    self.push(
                        &there
                            .key("urlRewrite")
                            .key("path")
                            .key("replacePrefixMatch"),
                        format!("path `{}` {problem}", shown(text)),
                        "a path such as `/`",
                    );
                }
            }
            for (b, backend) in list(&rule["backendRefs"]).iter().enumerate() {
                self.port(
                    &backend["port"],
                    &here.key("backendRefs").index(b).key("port"),
                );
            }
            for field in ["request", "backendRequest"] {
                self.text(
                    &rule["timeouts"][field],
                    &here.key("timeouts").key(field),
                    "timeout",
                    format::gateway_duration,
                    "a duration such as `30s` or `0s`",
                );
            }
        }
    }

    fn network_policy(&mut self, spec: &Json, at: &FieldPath) {
        self.selector(&spec["podSelector"], &at.key("podSelector"));
        for direction in ["ingress", "egress"] {
            let peers = if direction == "ingress" { "from" } else { "to" };
            for (index, rule) in list(&spec[direction]).iter().enumerate() {
                let here = at.key(direction).index(index);
                for (p, port) in list(&rule["ports"]).iter().enumerate() {
                    if port["port"].is_number() {
                        self.port(&port["port"], &here.key("ports").index(p).key("port"));
                    }
                }
                for (p, peer) in list(&rule[peers]).iter().enumerate() {
                    let there = here.key(peers).index(p);
                    self.selector(&peer["podSelector"], &there.key("podSelector"));
                    self.selector(&peer["namespaceSelector"], &there.key("namespaceSelector"));
                    self.ip_block(&peer["ipBlock"], &there.key("ipBlock"));
                }
            }
        }
    }

    /// Cilium's rules on the egress mcpstack renders: selectors (Cilium's `k8s:` source
    /// prefix aside, plain label keys), ports as decimal strings (at most 40 a rule),
    /// and FQDN names and patterns.
    fn cilium_network_policy(&mut self, spec: &Json, at: &FieldPath) {
        self.selector(&spec["endpointSelector"], &at.key("endpointSelector"));
        for (index, rule) in list(&spec["egress"]).iter().enumerate() {
            let here = at.key("egress").index(index);
            for (e, endpoint) in list(&rule["toEndpoints"]).iter().enumerate() {
                let labels: serde_json::Map<String, Json> = endpoint["matchLabels"]
                    .as_object()
                    .into_iter()
                    .flatten()
                    .map(|(k, v)| (k.strip_prefix("k8s:").unwrap_or(k).to_owned(), v.clone()))
                    .collect();
                let there = here.key("toEndpoints").index(e).key("matchLabels");
                self.labels(&Json::Object(labels), &there);
            }
            for (t, to_ports) in list(&rule["toPorts"]).iter().enumerate() {
                let there = here.key("toPorts").index(t).key("ports");
                let ports = list(&to_ports["ports"]);
                if ports.len() > 40 {
                    self.push(
                        &there,
                        format!(
                            "{} ports in one rule, over Cilium's limit of 40",
                            ports.len()
                        ),
                        "at most 40 ports in one egress entry",
                    );
                }
                for (p, port) in ports.iter().enumerate() {
                    let field = there.index(p).key("port");
                    let Some(text) = port["port"].as_str() else {
                        continue;
                    };
                    match text.parse::<i64>() {
                        Ok(number) => self.port(&Json::from(number), &field),
                        Err(_) => self.push(
                            &field,
                            format!("port `{}` is not a number", shown(text)),
                            "a port number from 1 to 65535",
                        ),
                    }
                }
            }
            for (f, fqdn) in list(&rule["toFQDNs"]).iter().enumerate() {
                let there = here.key("toFQDNs").index(f);
                for field in ["matchName", "matchPattern"] {
                    let Some(text) = fqdn[field].as_str() else {
                        continue;
                    };
                    let name = match field {
                        "matchPattern" => text.strip_prefix("*.").unwrap_or(text),
                        _ => text,
                    };
                    if let Some(problem) = format::dns_subdomain(name) {
                        self.push(
                            &there.key(field),
                            format!("`{}` {problem}", shown(text)),
                            "a hostname such as `api.github.com`, or `*.github.com`",
                        );
                    }
                }
            }
        }
    }

    fn ip_block(&mut self, block: &Json, at: &FieldPath) {
        let Some(text) = block["cidr"].as_str() else {
            return;
        };
        let example = "an address range such as `10.0.0.0/8` or `fd00::/8`";
        let cidr = match format::cidr(text) {
            Ok(cidr) => cidr,
            Err(problem) => {
                self.push_help(
                    &at.key("cidr"),
                    problem,
                    example,
                    "a single address is `/32` (IPv4) or `/128` (IPv6)",
                );
                return;
            }
        };
        for (index, except) in list(&block["except"]).iter().enumerate() {
            let here = at.key("except").index(index);
            let Some(text) = except.as_str() else {
                continue;
            };
            match format::cidr(text) {
                Err(problem) => self.push(&here, problem, example),
                Ok(inner) if !(cidr.contains(&inner) && inner.prefix_len() > cidr.prefix_len()) => {
                    self.push(
                        &here,
                        format!("`{text}` is not strictly inside `{cidr}`"),
                        "an exception that is a smaller range inside the `cidr`",
                    );
                }
                Ok(_) => {}
            }
        }
    }

    fn service_monitor(&mut self, spec: &Json, at: &FieldPath) {
        self.selector(&spec["selector"], &at.key("selector"));
        for (index, endpoint) in list(&spec["endpoints"]).iter().enumerate() {
            let here = at.key("endpoints").index(index);
            for field in ["interval", "scrapeTimeout"] {
                self.text(
                    &endpoint[field],
                    &here.key(field),
                    field,
                    format::prometheus_duration,
                    "a duration such as `30s` or `1m`",
                );
            }
            // Prometheus refuses a scrape configuration whose timeout exceeds its
            // interval (the whole configuration, so every target stops being reloaded).
            let seconds = |field: &str| {
                endpoint[field]
                    .as_str()
                    .filter(|t| format::prometheus_duration(t).is_none())
                    .and_then(|t| match t {
                        "0" => Some(0.0),
                        t => format::duration_seconds(t),
                    })
            };
            if let (Some(timeout), Some(interval)) = (seconds("scrapeTimeout"), seconds("interval"))
                && timeout > interval
            {
                let text = |field: &str| endpoint[field].as_str().map(shown).unwrap_or_default();
                self.push_help(
                    &here.key("scrapeTimeout"),
                    format!(
                        "scrape timeout `{}` is longer than the interval `{}`",
                        text("scrapeTimeout"),
                        text("interval")
                    ),
                    "a scrape timeout at most the interval",
                    "Prometheus refuses its whole configuration when a timeout exceeds its interval; e.g. `interval: 30s` with `scrapeTimeout: 10s`",
                );
            }
            if let Some(path) = endpoint["path"].as_str()
                && !path.starts_with('/')
            {
                self.push(
                    &here.key("path"),
                    format!("metrics path `{}` does not start with `/`", shown(path)),
                    "a path such as `/metrics`",
                );
            }
            // Prometheus takes `metrics_path` as a path and escapes `?` and `#`: a query
            // written into it never reaches the server as one.
            if let Some(path) = endpoint["path"].as_str()
                && path.contains(['?', '#'])
            {
                self.push(
                    &here.key("path"),
                    format!(
                        "metrics path `{}` holds a query or fragment, which Prometheus would escape into the path",
                        shown(path)
                    ),
                    "a plain path such as `/metrics` (serve the metrics there without parameters)",
                );
            }
            self.text(
                &endpoint["port"],
                &here.key("port"),
                "port",
                format::port_name,
                "a port name",
            );
        }
    }

    fn service_account(&mut self, object: &Json, at: &FieldPath) {
        for (index, secret) in list(&object["imagePullSecrets"]).iter().enumerate() {
            self.text(
                &secret["name"],
                &at.key("imagePullSecrets").index(index).key("name"),
                "pull secret",
                format::dns_subdomain,
                "a DNS subdomain",
            );
        }
    }

    fn role(&mut self, object: &Json, at: &FieldPath) {
        for (index, rule) in list(&object["rules"]).iter().enumerate() {
            let here = at.key("rules").index(index);
            if list(&rule["verbs"]).is_empty() {
                self.push(
                    &here.key("verbs"),
                    "an RBAC rule has no verbs".to_owned(),
                    "verbs such as `[get, list, watch]`",
                );
            }
            if !list(&rule["resources"]).is_empty() && list(&rule["apiGroups"]).is_empty() {
                self.push_help(
                    &here.key("apiGroups"),
                    "an RBAC rule on resources names no API group".to_owned(),
                    "API groups such as `[\"\"]` (the core group) or `[apps]`",
                    "the core group (pods, services, configmaps) is `\"\"`",
                );
            }
            if list(&rule["resources"]).is_empty() && list(&rule["nonResourceURLs"]).is_empty() {
                self.push(
                    &here.key("resources"),
                    "an RBAC rule names no resources".to_owned(),
                    "resources such as `[pods]`",
                );
            }
            for (r, text) in list(&rule["resources"]).iter().enumerate() {
                if text.as_str().is_some_and(str::is_empty) {
                    self.push(
                        &here.key("resources").index(r),
                        "an RBAC resource is empty".to_owned(),
                        "a resource such as `pods` or `pods/log`",
                    );
                }
            }
        }
    }

    fn binding(&mut self, object: &Json, at: &FieldPath) {
        for (index, subject) in list(&object["subjects"]).iter().enumerate() {
            let here = at.key("subjects").index(index);
            self.text(
                &subject["name"],
                &here.key("name"),
                "subject",
                format::dns_subdomain,
                "a DNS subdomain",
            );
            self.text(
                &subject["namespace"],
                &here.key("namespace"),
                "subject namespace",
                format::dns_label,
                "a DNS label",
            );
        }
    }

    fn external_secret(&mut self, spec: &Json, at: &FieldPath) {
        self.text(
            &spec["refreshInterval"],
            &at.key("refreshInterval"),
            "refresh interval",
            format::go_duration,
            "a duration such as `1h` or `15m`",
        );
        self.text(
            &spec["target"]["name"],
            &at.key("target").key("name"),
            "target Secret",
            format::dns_subdomain,
            "a DNS subdomain",
        );
        let template = at.key("target").key("template").key("data");
        for key in spec["target"]["template"]["data"]
            .as_object()
            .into_iter()
            .flat_map(|m| m.keys())
        {
            if let Some(why) = format::config_key(key) {
                self.push(
                    &template.key(key),
                    format!("Secret key `{}`: {why}", shown(key)),
                    "letters, digits, `-`, `_` and `.`, e.g. `config.json`",
                );
            }
        }
        for (index, data) in list(&spec["data"]).iter().enumerate() {
            let here = at.key("data").index(index);
            self.text(
                &data["secretKey"],
                &here.key("secretKey"),
                "Secret key",
                format::config_key,
                "letters, digits, `-`, `_` and `.`, e.g. `DATABASE_URL`",
            );
            for field in ["property", "version"] {
                if data["remoteRef"][field].as_str().is_some_and(str::is_empty) {
                    self.push(
                        &here.key("remoteRef").key(field),
                        format!("the remote {field} is empty"),
                        "a property of the JSON secret, e.g. `password`",
                    );
                }
            }
            if data["remoteRef"]["key"].as_str().is_some_and(str::is_empty) {
                self.push(
                    &here.key("remoteRef").key("key"),
                    "the remote key is empty".to_owned(),
                    "the key of the secret in the store",
                );
            }
        }
    }

    fn secret_store(&mut self, spec: &Json, at: &FieldPath) {
        let provider = &spec["provider"];
        for (name, settings) in provider.as_object().into_iter().flatten() {
            let here = at.key("provider").key(name);
            let auth = here.key("auth");
            let references = [
                (
                    &settings["auth"]["kubernetes"]["serviceAccountRef"]["name"],
                    auth.key("kubernetes").key("serviceAccountRef").key("name"),
                    "service account",
                ),
                (
                    &settings["auth"]["jwt"]["kubernetesServiceAccountToken"]["serviceAccountRef"]
                        ["name"],
                    auth.key("jwt")
                        .key("kubernetesServiceAccountToken")
                        .key("serviceAccountRef")
                        .key("name"),
                    "service account",
                ),
                (
                    &settings["auth"]["jwt"]["serviceAccountRef"]["name"],
                    auth.key("jwt").key("serviceAccountRef").key("name"),
                    "service account",
                ),
                (
                    &settings["auth"]["secretRef"]["accessKeyIDSecretRef"]["name"],
                    auth.key("secretRef")
                        .key("accessKeyIDSecretRef")
                        .key("name"),
                    "credentials Secret",
                ),
                (
                    &settings["auth"]["secretRef"]["secretAccessKeySecretRef"]["name"],
                    auth.key("secretRef")
                        .key("secretAccessKeySecretRef")
                        .key("name"),
                    "credentials Secret",
                ),
            ];
            for (value, path, what) in references {
                self.text(value, &path, what, format::dns_subdomain, "a DNS subdomain");
            }
            for field in ["server", "hostAPI"] {
                if let Some(url) = settings[field].as_str()
                    && !url.starts_with("https://")
                {
                    self.push_help(
                        &here.key(field),
                        format!("`{}` is not an https URL", shown(url)),
                        "a URL such as `https://vault.example.com`",
                        "the store sends credentials and secret values: plain http would carry them in clear text",
                    );
                }
            }
            for credential in ["clientId", "clientSecret"] {
                let reference = &settings["auth"]["universalAuthCredentials"][credential];
                self.text(
                    &reference["name"],
                    &here
                        .key("auth")
                        .key("universalAuthCredentials")
                        .key(credential)
                        .key("name"),
                    "credentials Secret",
                    format::dns_subdomain,
                    "a Secret name",
                );
            }
            if let Some(region) = settings["region"].as_str()
                && !aws_region(region)
            {
                self.push(
                    &here.key("region"),
                    format!("`{}` is not an AWS region", shown(region)),
                    "a region such as `eu-west-1`",
                );
            }
            if let Some(path) = settings["secretsScope"]["secretsPath"].as_str()
                && !path.starts_with('/')
            {
                self.push(
                    &here.key("secretsScope").key("secretsPath"),
                    format!("secrets path `{}` is not absolute", shown(path)),
                    "a folder such as `/` or `/gateway`",
                );
            }
        }
    }

    fn helm_release(&mut self, object: &Json, spec: &Json, at: &FieldPath) {
        self.flux_durations(spec, at);
        if let Some(version) = spec["chart"]["spec"]["version"].as_str()
            && !is_version_range(version)
        {
            self.push_help(
                &at.key("chart").key("spec").key("version"),
                format!(
                    "chart version `{}` is neither a version nor a range",
                    shown(version)
                ),
                "a version such as `16.4.5`, or a range such as `16.x` or `>=16.0.0 <17.0.0`",
                "Flux resolves the version as semantic versioning",
            );
        }
        let release = spec["releaseName"]
            .as_str()
            .or(object["metadata"]["name"].as_str())
            .unwrap_or_default();
        let target = spec["targetNamespace"].as_str();
        self.text(
            &spec["targetNamespace"],
            &at.key("targetNamespace"),
            "target namespace",
            format::dns_label,
            "a DNS label",
        );
        let full = match target {
            Some(namespace) if spec["releaseName"].is_null() => format!("{namespace}-{release}"),
            _ => release.to_owned(),
        };
        if spec["releaseName"].is_string() && release.len() > 53 {
            self.push(
                &at.key("releaseName"),
                format!("release name `{full}` is over 53 characters"),
                "a release name of at most 53 characters",
            );
        }
        for (index, dependency) in list(&spec["dependsOn"]).iter().enumerate() {
            self.text(
                &dependency["name"],
                &at.key("dependsOn").index(index).key("name"),
                "dependency",
                format::dns_subdomain,
                "a DNS subdomain",
            );
        }
        let chart = &spec["chart"]["spec"];
        if !chart.is_null() && chart["chart"].as_str().is_none_or(str::is_empty) {
            self.push(
                &at.key("chart").key("spec").key("chart"),
                "the HelmRelease names no chart".to_owned(),
                "the chart's name",
            );
        }
        for (index, renderer) in list(&spec["postRenderers"]).iter().enumerate() {
            let here = at
                .key("postRenderers")
                .index(index)
                .key("kustomize")
                .key("images");
            for (i, image) in list(&renderer["kustomize"]["images"]).iter().enumerate() {
                let there = here.index(i);
                for field in ["name", "newName"] {
                    if let Some(text) = image[field].as_str()
                        && let Some((part, problem)) = format::image_name(text)
                    {
                        self.push(
                            &there.key(field),
                            format!("image `{}` {problem}", shown(text)),
                            "an image name such as `docker.io/bitnami/redis`",
                        );
                        self.about(&part);
                    }
                }
                if let Some(tag) = image["newTag"].as_str()
                    && let Some(problem) = format::image_tag(tag)
                {
                    self.push(
                        &there.key("newTag"),
                        format!("tag `{}` {problem}", shown(tag)),
                        "a tag such as `7.4.1`",
                    );
                }
            }
        }
        for (index, source) in list(&spec["valuesFrom"]).iter().enumerate() {
            let here = at.key("valuesFrom").index(index);
            if let Some(target) = source["targetPath"].as_str()
                && !values_path(target)
            {
                self.push(
                    &here.key("targetPath"),
                    format!("values path `{}` is not one Flux accepts", shown(target)),
                    "a path of letters, digits, `_`, `-`, `.` and `[N]` indexes, e.g. `auth.password`",
                );
            }
            self.text(
                &source["name"],
                &here.key("name"),
                "values source",
                format::dns_subdomain,
                "a DNS subdomain",
            );
            if let Some(key) = source["valuesKey"].as_str()
                && let Some(problem) = format::config_key(key)
            {
                self.push(
                    &here.key("valuesKey"),
                    format!("values key `{}` {problem}", shown(key)),
                    "a key such as `values.yaml`",
                );
            }
        }
    }

    fn chart_source(&mut self, kind: &str, spec: &Json, at: &FieldPath) {
        self.flux_durations(spec, at);
        if let Some(tag) = spec["ref"]["tag"].as_str()
            && let Some(problem) = format::image_tag(tag)
        {
            self.push(
                &at.key("ref").key("tag"),
                format!("chart version `{}` {problem}", shown(tag)),
                "a version such as `16.4.5`",
            );
        }
        if let Some(range) = spec["ref"]["semver"].as_str()
            && !is_version_range(range)
        {
            self.push_help(
                &at.key("ref").key("semver"),
                format!(
                    "chart version `{}` is neither a version nor a range",
                    shown(range)
                ),
                "a version such as `16.4.5`, or a range such as `16.x` or `>=16.0.0 <17.0.0`",
                "Flux resolves the version as semantic versioning",
            );
        }
        let url = spec["url"].as_str().unwrap_or_default();
        let schemes: &[&str] = match kind {
            "OCIRepository" => &["oci://"],
            _ => &["https://", "http://", "oci://"],
        };
        let host = url
            .split_once("://")
            .map(|(_, rest)| rest.split('/').next().unwrap_or_default())
            .unwrap_or_default();
        let malformed = host.is_empty() || url.contains(char::is_whitespace);
        if !schemes.iter().any(|s| url.starts_with(s)) || malformed {
            self.push(
                &at.key("url"),
                format!("`{}` is not a {kind} URL", shown(url)),
                "`oci://registry/path` or `https://charts.example.com`",
            );
            return;
        }
        if let Some(path) = url.strip_prefix("oci://")
            && let Some((part, problem)) = format::image_name(path)
        {
            self.push(
                &at.key("url"),
                format!("chart repository `{}` {problem}", shown(url)),
                "an OCI repository such as `oci://registry-1.docker.io/bitnamicharts/redis`",
            );
            self.about(&part);
        }
    }

    fn flux_kustomization(&mut self, spec: &Json, at: &FieldPath) {
        if spec.is_null() {
            return;
        }
        self.flux_durations(spec, at);
        for (index, dependency) in list(&spec["dependsOn"]).iter().enumerate() {
            self.text(
                &dependency["name"],
                &at.key("dependsOn").index(index).key("name"),
                "dependency",
                format::dns_subdomain,
                "a DNS subdomain",
            );
        }
        self.text(
            &spec["sourceRef"]["name"],
            &at.key("sourceRef").key("name"),
            "source",
            format::dns_subdomain,
            "a DNS subdomain",
        );
        self.text(
            &spec["targetNamespace"],
            &at.key("targetNamespace"),
            "target namespace",
            format::dns_label,
            "a DNS label",
        );
    }

    /// Flux's `interval`, `timeout` and `retryInterval`: Go durations of a second or
    /// more.
    fn flux_durations(&mut self, spec: &Json, at: &FieldPath) {
        for field in ["interval", "timeout", "retryInterval"] {
            if let Some(text) = spec[field].as_str()
                && let Some(problem) = format::flux_duration(text)
            {
                let help = match field {
                    "timeout" => {
                        "a timeout is how long Flux waits for the apply and health checks; `0s` fails at once"
                    }
                    _ => {
                        "Flux's own default interval is `10m`; a zero interval never reconciles again"
                    }
                };
                self.push_help(
                    &at.key(field),
                    format!("{field} `{}` {problem}", shown(text)),
                    "a duration such as `10m`, `1h` or `30s`",
                    help,
                );
            }
        }
    }
}

/// Whether a chart version is a semantic version or a range of them (`16.4.5`,
/// `16.x`, `^1.2`, `>=1.0.0 <2.0.0`, `*`).
fn is_version_range(version: &str) -> bool {
    let allowed = |c: char| {
        c.is_ascii_alphanumeric()
            || matches!(
                c,
                '.' | '-' | '+' | '*' | '^' | '~' | '<' | '>' | '=' | '|' | ',' | ' '
            )
    };
    !version.trim().is_empty()
        && version.chars().all(allowed)
        && (version.contains(|c: char| c.is_ascii_digit()) || version.trim() == "*")
        && !version.contains("..")
}

/// Fields an affinity may have, level by level, as the API's types declare them.
const AFFINITY_FIELDS: [&str; 3] = ["nodeAffinity", "podAffinity", "podAntiAffinity"];
const SCHEDULING_FIELDS: [&str; 2] = [
    "requiredDuringSchedulingIgnoredDuringExecution",
    "preferredDuringSchedulingIgnoredDuringExecution",
];
const NODE_TERM_FIELDS: [&str; 2] = ["matchExpressions", "matchFields"];
const POD_TERM_FIELDS: [&str; 6] = [
    "labelSelector",
    "namespaceSelector",
    "namespaces",
    "topologyKey",
    "matchLabelKeys",
    "mismatchLabelKeys",
];
const SELECTOR_FIELDS: [&str; 2] = ["matchLabels", "matchExpressions"];

impl Rules {
    /// An object with only `fields`; `false` (and a violation) when it is not one.
    fn shape(&mut self, value: &Json, at: &FieldPath, fields: &[&str]) -> bool {
        let Some(map) = value.as_object() else {
            self.push(
                at,
                "expected a mapping here".to_owned(),
                &format!("a mapping of {}", fields.join(", ")),
            );
            return false;
        };
        for key in map.keys().filter(|k| !fields.contains(&k.as_str())) {
            self.push(
                &at.key(key),
                format!("`{}` is not a field here", shown(key)),
                &format!("one of {}", fields.join(", ")),
            );
            self.about(key);
        }
        true
    }

    /// A list at `at`, each item checked by `item`.
    fn each(&mut self, value: &Json, at: &FieldPath, item: fn(&mut Self, &Json, &FieldPath)) {
        match value {
            Json::Null => {}
            Json::Array(items) => {
                for (index, value) in items.iter().enumerate() {
                    item(self, value, &at.index(index));
                }
            }
            _ => self.push(at, "expected a list here".to_owned(), "a list"),
        }
    }

    fn affinity(&mut self, affinity: &Json, at: &FieldPath) {
        if !self.shape(affinity, at, &AFFINITY_FIELDS) {
            return;
        }
        let node = &affinity["nodeAffinity"];
        if !node.is_null() && self.shape(node, &at.key("nodeAffinity"), &SCHEDULING_FIELDS) {
            let here = at.key("nodeAffinity");
            let required = &node[SCHEDULING_FIELDS[0]];
            if !required.is_null()
                && self.shape(
                    required,
                    &here.key(SCHEDULING_FIELDS[0]),
                    &["nodeSelectorTerms"],
                )
            {
                let terms = &required["nodeSelectorTerms"];
                let there = here.key(SCHEDULING_FIELDS[0]).key("nodeSelectorTerms");
                if list(terms).is_empty() {
                    self.push(
                        &there,
                        "a node selector needs at least one term".to_owned(),
                        "`nodeSelectorTerms: [{matchExpressions: [...]}]`",
                    );
                }
                self.each(terms, &there, Self::node_term);
            }
            self.each(
                &node[SCHEDULING_FIELDS[1]],
                &here.key(SCHEDULING_FIELDS[1]),
                |rules, item, at| {
                    if rules.shape(item, at, &["weight", "preference"]) {
                        rules.weight(&item["weight"], &at.key("weight"));
                        rules.node_term(&item["preference"], &at.key("preference"));
                    }
                },
            );
        }
        for kind in ["podAffinity", "podAntiAffinity"] {
            let pod = &affinity[kind];
            let here = at.key(kind);
            if pod.is_null() || !self.shape(pod, &here, &SCHEDULING_FIELDS) {
                continue;
            }
            self.each(
                &pod[SCHEDULING_FIELDS[0]],
                &here.key(SCHEDULING_FIELDS[0]),
                Self::pod_term,
            );
            self.each(
                &pod[SCHEDULING_FIELDS[1]],
                &here.key(SCHEDULING_FIELDS[1]),
                |rules, item, at| {
                    if rules.shape(item, at, &["weight", "podAffinityTerm"]) {
                        rules.weight(&item["weight"], &at.key("weight"));
                        rules.pod_term(&item["podAffinityTerm"], &at.key("podAffinityTerm"));
                    }
                },
            );
        }
    }

    fn weight(&mut self, weight: &Json, at: &FieldPath) {
        if !weight.as_i64().is_some_and(|w| (1..=100).contains(&w)) {
            self.push(
                at,
                "a preference's weight is 1 to 100".to_owned(),
                "a weight from 1 to 100",
            );
        }
    }

    fn node_term(&mut self, term: &Json, at: &FieldPath) {
        if !self.shape(term, at, &NODE_TERM_FIELDS) {
            return;
        }
        for field in NODE_TERM_FIELDS {
            self.each(&term[field], &at.key(field), |rules, item, at| {
                rules.requirement(item, at, true)
            });
        }
    }

    fn pod_term(&mut self, term: &Json, at: &FieldPath) {
        if !self.shape(term, at, &POD_TERM_FIELDS) {
            return;
        }
        match term["topologyKey"].as_str() {
            Some(key) if format::qualified_name(key).is_none() => {}
            _ => self.push(
                &at.key("topologyKey"),
                "a pod affinity term needs a topology key".to_owned(),
                "a node label key such as `kubernetes.io/hostname`",
            ),
        }
        for field in ["labelSelector", "namespaceSelector"] {
            let selector = &term[field];
            if !selector.is_null() && self.shape(selector, &at.key(field), &SELECTOR_FIELDS) {
                self.labels(&selector["matchLabels"], &at.key(field).key("matchLabels"));
                self.each(
                    &selector["matchExpressions"],
                    &at.key(field).key("matchExpressions"),
                    |rules, item, at| rules.requirement(item, at, false),
                );
            }
        }
    }

    /// A selector requirement: a key, an operator and the values the operator takes.
    fn requirement(&mut self, requirement: &Json, at: &FieldPath, node: bool) {
        if !self.shape(requirement, at, &["key", "operator", "values"]) {
            return;
        }
        let operators: &[&str] = match node {
            true => &["In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt"],
            false => &["In", "NotIn", "Exists", "DoesNotExist"],
        };
        if requirement["key"]
            .as_str()
            .is_none_or(|k| format::qualified_name(k).is_some())
        {
            self.push(
                &at.key("key"),
                "a requirement needs a label key".to_owned(),
                "a label key such as `topology.kubernetes.io/zone`",
            );
        }
        let operator = requirement["operator"].as_str().unwrap_or_default();
        let values = list(&requirement["values"]).len();
        let fits = match operator {
            "In" | "NotIn" => values > 0,
            "Exists" | "DoesNotExist" => values == 0,
            "Gt" | "Lt" => values == 1,
            _ => false,
        };
        if !operators.contains(&operator) {
            self.push(
                &at.key("operator"),
                format!("`{}` is not a selector operator", shown(operator)),
                &format!("one of {}", operators.join(", ")),
            );
        } else if !fits {
            self.push(
                &at.key("values"),
                format!("operator `{operator}` takes other values"),
                "values for `In`/`NotIn`, none for `Exists`/`DoesNotExist`, one number for `Gt`/`Lt`",
            );
        }
    }
}

/// Whether a HelmRelease values path is one Flux's CRD accepts.
fn values_path(path: &str) -> bool {
    let mut rest = path;
    if rest.is_empty() {
        return false;
    }
    while !rest.is_empty() {
        if let Some(index) = rest.strip_prefix('[') {
            let Some(end) = index.find(']') else {
                return false;
            };
            let digits = &index[..end];
            if digits.is_empty() || digits.len() > 5 || !digits.chars().all(|c| c.is_ascii_digit())
            {
                return false;
            }
            rest = &index[end + 1..];
            continue;
        }
        let c = rest.chars().next().unwrap_or_default();
        if !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '\\' | '/')) {
            return false;
        }
        rest = &rest[c.len_utf8()..];
    }
    !path.contains("..")
}

/// Whether a name is an AWS region (`eu-west-1`, `us-gov-east-1`).
fn aws_region(region: &str) -> bool {
    let parts: Vec<&str> = region.split('-').collect();
    parts.len() >= 3
        && parts[..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_lowercase()))
        && parts[parts.len() - 1].chars().all(|c| c.is_ascii_digit())
        && !parts[parts.len() - 1].is_empty()
}

/// What is wrong with the precision of a resource amount, if anything: CPU below a
/// thousandth, memory and storage in fractions of a byte, any amount past 64 bits.
fn resource_precision(name: &str, amount: f64) -> Option<String> {
    if amount > 9.2e18 {
        return Some("is larger than Kubernetes can hold".to_owned());
    }
    match name {
        "cpu" if amount > 0.0 && (amount * 1000.0).fract().abs() > 1e-9 => {
            Some("is finer than a thousandth of a CPU, which the API server rounds".to_owned())
        }
        "memory" | "storage" | "ephemeral-storage" if amount.fract().abs() > 1e-9 => {
            Some("is a fraction of a byte".to_owned())
        }
        _ => None,
    }
}

/// A list field, or nothing.
fn list(value: &Json) -> &[Json] {
    value.as_array().map(Vec::as_slice).unwrap_or_default()
}

/// A quantity as text, whether the object holds a string or a number.
fn quantity_text(value: &Json) -> Option<String> {
    match value {
        Json::String(text) => Some(text.clone()),
        Json::Number(number) => Some(number.to_string()),
        _ => None,
    }
}

/// Spec text echoed in a message: control characters escaped, so a value can never
/// start a line of its own (or a GitHub workflow command), and long values cut.
pub fn shown(text: &str) -> String {
    let mut out = String::new();
    for (count, c) in text.chars().enumerate() {
        if count == 80 {
            out.push('…');
            break;
        }
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests;
