//! Workload settings: ports, probes, autoscaling, disruption budgets, persistence and
//! the pod's filesystem and API access.

use crate::diagnostic::{Code, Diagnostic};
use crate::lower;
use crate::node::FieldPath;

use super::*;

impl Context<'_> {
    pub(super) fn ports(&self, out: &mut Vec<Diagnostic>) {
        let port = lower::port(self.spec, self.global);
        if let Some(target) = self.spec.service.as_ref().and_then(|s| s.target_port)
            && target != port
        {
            out.push(
                self.error(
                    Code::UnknownPort,
                    self.path().key("service").key("targetPort"),
                    format!("target port {target} is not the container port {port}"),
                )
                .expected(format!("{port}, the port the container listens on"))
                .help("remove `targetPort` to use the container port, or change `port`"),
            );
        }
    }

    /// The probes in force: the service's own of each kind, else the global one.
    pub(super) fn probes(&self, out: &mut Vec<Diagnostic>) {
        let port = lower::port(self.spec, self.global);
        let own = self.spec.probes.clone().unwrap_or_default();
        let global = self.global.probes.clone().unwrap_or_default();
        let kinds = [
            ("liveness", own.liveness, global.liveness),
            ("readiness", own.readiness, global.readiness),
            ("startup", own.startup, global.startup),
        ];
        for (kind, own, global) in kinds {
            let (probe, path) = match (own, global) {
                (Some(probe), _) => (probe, self.path().key("probes").key(kind)),
                (None, Some(probe)) => (
                    probe,
                    FieldPath::root().key("global").key("probes").key(kind),
                ),
                (None, None) => continue,
            };
            if !probe.enabled.unwrap_or(true) {
                continue;
            }
            let handlers = [
                probe.http_get.is_some(),
                probe.tcp_socket.is_some(),
                probe.exec.is_some(),
            ];
            let count = handlers.iter().filter(|h| **h).count();
            if count != 1 {
                out.push(
                    self.error(
                        Code::ProbeHandler,
                        path.clone(),
                        format!("the {kind} probe sets {count} handlers"),
                    )
                    .expected("exactly one of `httpGet`, `tcpSocket` and `exec`"),
                );
            }
            let ports = [
                (probe.http_get.as_ref().and_then(|h| h.port), "httpGet"),
                (probe.tcp_socket.as_ref().and_then(|t| t.port), "tcpSocket"),
            ];
            for (probe_port, handler) in ports {
                let metrics_port = self.spec.metrics.as_ref().and_then(|m| m.port);
                if let Some(probe_port) = probe_port
                    && probe_port != port
                    && Some(probe_port) != metrics_port
                {
                    let message = format!(
                        "the {kind} probe of `{}` targets port {probe_port}, which its container does not expose",
                        self.service
                    );
                    out.push(
                        self.error(Code::UnknownPort, path.key(handler).key("port"), message)
                            .expected(format!("{port}, the container port of `{}`", self.service))
                            .help("remove the probe's `port` to use each container's own port"),
                    );
                }
            }
        }
    }

    pub(super) fn autoscaling(&self, out: &mut Vec<Diagnostic>) {
        let Some(a) = self.enabled_autoscaling() else {
            return;
        };
        let min = a.min_replicas.unwrap_or(1);
        match a.max_replicas {
            None => out.push(
                self.error(
                    Code::AutoscalingRange,
                    self.layered_path(lower::Defaulted::Autoscaling, &[]),
                    "autoscaling is on but `maxReplicas` is not set".to_owned(),
                )
                .expected("`maxReplicas` >= `minReplicas`"),
            ),
            Some(max) if max < min => out.push(
                self.error(
                    Code::AutoscalingRange,
                    self.layered_path(lower::Defaulted::Autoscaling, &["maxReplicas"]),
                    format!("maxReplicas {max} is below minReplicas {min}"),
                )
                .expected(format!("a number >= {min}")),
            ),
            Some(_) => {}
        }
    }

    /// The replicas a budget protects: the autoscaler's minimum, else `replicas`.
    fn least_replicas(&self) -> i64 {
        match self.enabled_autoscaling() {
            Some(a) => a.min_replicas.unwrap_or(1),
            None => self.spec.replicas.unwrap_or(1),
        }
    }

    /// A budget that allows no disruption blocks every node drain for good.
    pub(super) fn budget_allows_disruption(&self, out: &mut Vec<Diagnostic>) {
        let Some(budget) = self.enabled_disruption_budget() else {
            return;
        };
        let replicas = self.least_replicas();
        if replicas == 0 {
            return;
        }
        let blocked = match (&budget.min_available, &budget.max_unavailable) {
            (Some(spec::IntOrPercent::Count(n)), _) if *n >= replicas => Some((
                "minAvailable",
                format!(
                    "`minAvailable: {n}` with {replicas} replica(s) allows no pod to be evicted"
                ),
            )),
            (Some(spec::IntOrPercent::Percent(p)), _)
                if (percent(p) * replicas + 99) / 100 >= replicas =>
            {
                Some((
                    "minAvailable",
                    format!("`minAvailable: {p}` allows no pod to be evicted"),
                ))
            }
            (_, Some(spec::IntOrPercent::Count(0))) => Some((
                "maxUnavailable",
                "`maxUnavailable: 0` allows no pod to be evicted".to_owned(),
            )),
            (_, Some(spec::IntOrPercent::Percent(p))) if percent(p) == 0 => Some((
                "maxUnavailable",
                format!("`maxUnavailable: {p}` allows no pod to be evicted"),
            )),
            _ => None,
        };
        if let Some((field, message)) = blocked {
            out.push(
                self.error(
                    Code::DisruptionBudget,
                    self.layered_path(lower::Defaulted::DisruptionBudget, &[field]),
                    message,
                )
                    .expected(format!("a budget below the {replicas} replica(s) it protects, e.g. `maxUnavailable: 1`"))
                    .help("a budget that allows no eviction blocks node drains and cluster upgrades until someone deletes it"),
            );
        }
    }

    /// A ReadWriteOnce volume is mounted by one node at a time: more than one replica
    /// (or an autoscaler that may add them) hangs on it.
    pub(super) fn single_writer(&self, out: &mut Vec<Diagnostic>) {
        let Some(p) = self.enabled_persistence() else {
            return;
        };
        let modes = p.access_modes.clone().unwrap_or_default();
        let single = modes.is_empty()
            || modes.iter().all(|m| {
                matches!(
                    m,
                    spec::AccessMode::ReadWriteOnce | spec::AccessMode::ReadWriteOncePod
                )
            });
        if !single {
            return;
        }
        let autoscaled = self.enabled_autoscaling();
        let (path, count) = match autoscaled {
            Some(a) => (
                self.layered_path(lower::Defaulted::Autoscaling, &[]),
                a.max_replicas.unwrap_or(1),
            ),
            None => (self.path().key("replicas"), self.spec.replicas.unwrap_or(1)),
        };
        if count <= 1 {
            return;
        }
        out.push(
            self.error(
                Code::SingleWriterVolume,
                path,
                format!("`{}` may run {count} replicas on a ReadWriteOnce volume", self.service),
            )
            .expected("one replica, or `persistence.accessModes: [ReadWriteMany]` on storage that supports it")
            .help("a ReadWriteOnce volume attaches to one node: other replicas hang in ContainerCreating (pods on one volume roll with `Recreate`)"),
        );
    }

    /// Role bindings go to the service's own account, never a shared one.
    pub(super) fn api_account(&self, out: &mut Vec<Diagnostic>) {
        let Some(account) = &self.spec.service_account else {
            return;
        };
        if self.spec.api_access.is_none() || account.create.unwrap_or(true) {
            return;
        }
        let path = self.path().key("serviceAccount").key("create");
        out.push(
            self.error(
                Code::ApiAccessAccount,
                path,
                format!(
                    "`{}` has API access but does not create its own service account",
                    self.service
                ),
            )
            .expected("`serviceAccount.create: true` (the default)")
            .help("the role would be bound to an account other pods may use too"),
        );
    }

    pub(super) fn disruption_budget(&self, out: &mut Vec<Diagnostic>) {
        if let Some(budget) = &self.spec.disruption_budget
            && budget.min_available.is_some()
            && budget.max_unavailable.is_some()
        {
            out.push(
                self.error(
                    Code::DisruptionBudget,
                    self.layered_path(lower::Defaulted::DisruptionBudget, &[]),
                    "set `minAvailable` or `maxUnavailable`, not both".to_owned(),
                )
                .expected("one of `minAvailable` and `maxUnavailable`"),
            );
        }
    }

    pub(super) fn persistence(&self, out: &mut Vec<Diagnostic>) {
        let Some(p) = self.enabled_persistence() else {
            return;
        };
        let path = self.layered_path(lower::Defaulted::Persistence, &[]);
        for (field, missing) in [
            ("size", p.size.is_none()),
            ("mountPath", p.mount_path.is_none()),
        ] {
            if missing {
                out.push(
                    self.error(
                        Code::MissingField,
                        path.clone(),
                        format!("persistence is on but `{field}` is not set"),
                    )
                    .expected(format!("`persistence.{field}`")),
                );
            }
        }
    }

    /// Writable paths are absolute, distinct from the data volume, and API rules say
    /// what they allow.
    pub(super) fn filesystem(&self, out: &mut Vec<Diagnostic>) {
        let data = self
            .enabled_persistence()
            .and_then(|p| p.mount_path.as_deref());
        for (index, path) in self.spec.writable_paths.iter().flatten().enumerate() {
            let at = self.path().key("writablePaths").index(index);
            if !path.starts_with('/') {
                out.push(
                    self.error(
                        Code::InvalidPath,
                        at,
                        format!("writable path `{path}` is not absolute"),
                    )
                    .expected("an absolute path such as `/tmp`"),
                );
            } else if Some(path.as_str()) == data {
                out.push(
                    self.error(
                        Code::InvalidPath,
                        at,
                        format!("`{path}` is already the persistent volume's mount path"),
                    )
                    .help("the data volume is writable; remove it from `writablePaths`"),
                );
            }
        }
        for (index, rule) in self
            .spec
            .api_access
            .iter()
            .flat_map(|a| a.rules.iter())
            .enumerate()
        {
            if rule.verbs.is_empty() || rule.resources.is_empty() {
                out.push(
                    self.error(
                        Code::InvalidValue,
                        self.path().key("apiAccess").key("rules").index(index),
                        "an API rule needs resources and verbs".to_owned(),
                    )
                    .expected("`{apiGroups: [\"\"], resources: [pods], verbs: [get, list]}`"),
                );
            }
        }
    }
}

/// The number of a percentage (`50%` -> 50).
fn percent(text: &str) -> i64 {
    text.trim_end_matches('%').parse().unwrap_or(-1)
}

/// Verbs the Kubernetes API authorizes (`*` for all of them).
const VERBS: [&str; 14] = [
    "get",
    "list",
    "watch",
    "create",
    "update",
    "patch",
    "delete",
    "deletecollection",
    "use",
    "bind",
    "escalate",
    "impersonate",
    "approve",
    "sign",
];

/// Verbs that grant more than they name: making roles, binding them, acting as
/// another user.
const ESCALATING_VERBS: [&str; 3] = ["bind", "escalate", "impersonate"];

impl Context<'_> {
    /// API rules say what they mean: known verbs (a typo grants nothing), and a warning
    /// for rules that reach further than a workload usually needs.
    pub(super) fn api_rules(&self, out: &mut Vec<Diagnostic>) {
        let Some(access) = &self.spec.api_access else {
            return;
        };
        let cluster_wide = access.cluster_wide.unwrap_or(false);
        for (index, rule) in access.rules.iter().enumerate() {
            let path = self.path().key("apiAccess").key("rules").index(index);
            for (v, verb) in rule.verbs.iter().enumerate() {
                if verb == "*" || VERBS.contains(&verb.as_str()) {
                    continue;
                }
                let mut diagnostic = Diagnostic::warning(
                    Code::RbacVerb,
                    format!(
                        "`{verb}` is not a Kubernetes API verb; the rule grants nothing for it"
                    ),
                )
                .at(self.merged.locate(&path.key("verbs").index(v)).span)
                .path(path.key("verbs").index(v))
                .expected(format!("one of {}", VERBS.join(", ")));
                if let Some(near) = crate::diagnostic::did_you_mean(
                    &verb.to_ascii_lowercase(),
                    VERBS.iter().copied(),
                ) {
                    diagnostic = diagnostic.help(format!("did you mean `{near}`?"));
                }
                out.push(diagnostic);
            }
            let everything = |list: &[String]| list.iter().any(|x| x == "*");
            let escalates = rule
                .verbs
                .iter()
                .any(|v| ESCALATING_VERBS.contains(&v.as_str()))
                || (rule.resources.iter().any(|r| {
                    r.starts_with("roles")
                        || r.starts_with("rolebindings")
                        || r.starts_with("clusterroles")
                        || r.starts_with("clusterrolebindings")
                }) && rule
                    .verbs
                    .iter()
                    .any(|v| matches!(v.as_str(), "create" | "update" | "patch" | "*")));
            let wildcard = everything(&rule.verbs)
                || everything(&rule.resources)
                || everything(&rule.api_groups);
            let reads_secrets = rule.resources.iter().any(|r| r == "secrets" || r == "*")
                && rule
                    .verbs
                    .iter()
                    .any(|v| matches!(v.as_str(), "get" | "list" | "watch" | "*"));
            let why = match () {
                _ if escalates => {
                    Some("can grant itself more rights (roles, bindings, impersonation)")
                }
                _ if wildcard && cluster_wide => {
                    Some("grants every verb, resource or group in every namespace")
                }
                _ if reads_secrets && cluster_wide => {
                    Some("reads the Secrets of every namespace, other environments' included")
                }
                _ => None,
            };
            if let Some(why) = why {
                out.push(
                    Diagnostic::warning(Code::RbacWide, format!("an API rule of `{}` {why}", self.service))
                        .at(self.merged.locate(&path).span)
                        .path(path)
                        .expected("the verbs and resources the workload needs, in its own namespace")
                        .help("name the resources and verbs the workload calls, and keep `clusterWide` off unless it must see other namespaces"),
                );
            }
        }
    }

    /// A service account the stack does not create must exist already.
    pub(super) fn foreign_account(&self, out: &mut Vec<Diagnostic>) {
        let Some(account) = &self.spec.service_account else {
            return;
        };
        if account.create.unwrap_or(true) {
            return;
        }
        if let Some(name) = &account.name {
            let path = self.path().key("serviceAccount").key("name");
            out.push(
                Diagnostic::warning(Code::ForeignAccount, format!("`{}` runs as service account `{name}`, which the stack does not create", self.service))
                    .at(self.merged.locate(&path).span)
                    .path(path)
                    .expected("a service account that exists in the environment's namespace")
                    .help("pods of a missing account are never created; set `serviceAccount.create: true` unless something else creates it"),
            );
        }
    }
}
