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
        // The stack's probes apply only to services that listen (see `lower::service`).
        let global = match self.listens() {
            true => self.global.probes.clone().unwrap_or_default(),
            false => spec::Probes::default(),
        };
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
        // A StatefulSet gives each replica a claim of its own; Jobs take no persistence.
        if self
            .spec
            .kind
            .is_some_and(|k| k != spec::WorkloadKind::Deployment)
        {
            return;
        }
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

/// Longest service name of a Job: `{service}-{hash}` is its name, at most 63.
pub(super) const JOB_SERVICE_MAX: usize =
    crate::validate::api::workloads::JOB_NAME_MAX - 1 - crate::render::workloads::JOB_HASH_LEN;
/// Longest service name of a StatefulSet: its pods carry `{service}-{revision hash}` in
/// a label (at most 63), and its headless Service is `{service}-headless`.
pub(super) const STATEFUL_SET_SERVICE_MAX: usize = 52;

/// What a field of a service is, for the rules of each workload kind.
struct KindField {
    path: FieldPath,
    /// Whether the service sets (and turns on) the field.
    set: bool,
    what: &'static str,
}

impl Context<'_> {
    /// Whether the service's main container listens on its port.
    pub(super) fn listens(&self) -> bool {
        !self.spec.worker.unwrap_or(false)
            && !self.spec.kind.unwrap_or_default().runs_to_completion()
    }

    /// Fields that do not fit the service's workload kind; a CronJob's schedule and time
    /// zone; name lengths each kind allows.
    pub(super) fn kind_fields(&self, out: &mut Vec<Diagnostic>) {
        use spec::WorkloadKind;
        let kind = self.spec.kind.unwrap_or_default();
        let path = self.path();
        let mut refuse = |path: FieldPath, message: String, expected: &str, help: &str| {
            out.push(
                self.error(Code::KindField, path, message)
                    .expected(expected.to_owned())
                    .help(help.to_owned()),
            );
        };
        let settings = [
            (
                self.spec.job.is_some(),
                "job",
                kind.runs_to_completion(),
                "`Job` or `CronJob`",
            ),
            (
                self.spec.cron_job.is_some(),
                "cronJob",
                kind == WorkloadKind::CronJob,
                "`CronJob`",
            ),
            (
                self.spec.stateful_set.is_some(),
                "statefulSet",
                kind == WorkloadKind::StatefulSet,
                "`StatefulSet`",
            ),
        ];
        for (set, field, fits, kinds) in settings {
            if set && !fits {
                refuse(
                    path.key(field),
                    format!(
                        "`{}` runs as a {}, which has no `{field}` settings",
                        self.service,
                        kind.as_str()
                    ),
                    &format!(
                        "`{field}` only with `kind: {}`",
                        kinds.trim_matches('`').replace("` or `", "` or `kind: ")
                    ),
                    &format!("set `kind` to {kinds}, or remove `{field}`"),
                );
            }
        }
        let probes = self.spec.probes.clone().unwrap_or_default();
        let own_probes = [
            ("liveness", probes.liveness),
            ("readiness", probes.readiness),
            ("startup", probes.startup),
        ];
        if kind.runs_to_completion() {
            let enabled = |on: Option<bool>, default: bool| on.unwrap_or(default);
            let fields = [
                KindField {
                    path: path.key("replicas"),
                    set: self.spec.replicas.is_some(),
                    what: "replicas",
                },
                KindField {
                    path: path.key("autoscaling"),
                    set: self.enabled_autoscaling().is_some(),
                    what: "autoscaling",
                },
                KindField {
                    path: path.key("disruptionBudget"),
                    set: self.enabled_disruption_budget().is_some(),
                    what: "a disruption budget",
                },
                KindField {
                    path: path.key("ingress"),
                    set: self.enabled_ingress().is_some(),
                    what: "an ingress",
                },
                KindField {
                    path: path.key("metrics"),
                    set: self
                        .spec
                        .metrics
                        .as_ref()
                        .is_some_and(|m| enabled(m.enabled, true)),
                    what: "metrics",
                },
                KindField {
                    path: path.key("service"),
                    set: self.spec.service.is_some(),
                    what: "a Service",
                },
                KindField {
                    path: path.key("persistence"),
                    set: self.enabled_persistence().is_some(),
                    what: "persistence",
                },
            ];
            let probe_fields = own_probes.iter().map(|(name, probe)| KindField {
                path: path.key("probes").key(name),
                set: probe.as_ref().is_some_and(|p| enabled(p.enabled, true)),
                what: "probes",
            });
            for field in fields.into_iter().chain(probe_fields).filter(|f| f.set) {
                let help = match field.what {
                    "probes" => "a job's pods run to completion: nothing probes them; remove the probe (or run it as a `Deployment` with `worker: true`)".to_owned(),
                    "replicas" => "a job runs one pod to completion (retried up to `job.backoffLimit`); remove `replicas`".to_owned(),
                    what => format!("a {} runs to completion and listens on no port; remove {what} (or run it as a `Deployment`)", kind.as_str()),
                };
                refuse(
                    field.path,
                    format!(
                        "`{}` is a {} and cannot have {}",
                        self.service,
                        kind.as_str(),
                        field.what
                    ),
                    &format!("no `{}` on a {}", field_name(field.what), kind.as_str()),
                    &help,
                );
            }
        } else if self.spec.worker.unwrap_or(false) {
            let fields = [
                (
                    path.key("ingress"),
                    self.enabled_ingress().is_some(),
                    "an ingress",
                ),
                (
                    path.key("metrics"),
                    self.spec
                        .metrics
                        .as_ref()
                        .is_some_and(|m| m.enabled.unwrap_or(true)),
                    "metrics",
                ),
                (
                    path.key("service"),
                    self.spec.service.is_some(),
                    "a Service",
                ),
            ];
            for (at, set, what) in fields {
                if set {
                    refuse(
                        at,
                        format!(
                            "`{}` is a worker (`worker: true`) and listens on no port, so it cannot have {what}",
                            self.service
                        ),
                        "no ingress, metrics or service on a worker",
                        "remove it, or drop `worker: true` if the service listens on its port",
                    );
                }
            }
            for (name, probe) in &own_probes {
                let Some(probe) = probe.as_ref().filter(|p| p.enabled.unwrap_or(true)) else {
                    continue;
                };
                for (handler, set) in [
                    ("httpGet", probe.http_get.is_some()),
                    ("tcpSocket", probe.tcp_socket.is_some()),
                ] {
                    if set {
                        refuse(
                            path.key("probes").key(name).key(handler),
                            format!(
                                "the {name} probe of worker `{}` needs a port, and a worker listens on none",
                                self.service
                            ),
                            "an `exec` probe on a worker",
                            "e.g. `exec: {command: [worker, health]}`",
                        );
                    }
                }
            }
        }
        if kind == WorkloadKind::CronJob {
            self.schedule(out);
        }
        let limit = match kind {
            WorkloadKind::Job => Some((
                JOB_SERVICE_MAX,
                "a Job is named `{service}-{8-character hash}`, at most 63 characters, since its pods carry the name in a label",
            )),
            WorkloadKind::CronJob => Some((
                crate::validate::api::workloads::CRON_JOB_NAME_MAX,
                "a CronJob's name is at most 52 characters: each job it starts adds an 11-character suffix",
            )),
            WorkloadKind::StatefulSet => Some((
                STATEFUL_SET_SERVICE_MAX,
                "a StatefulSet's pods carry `{service}-{revision hash}` in a label of at most 63 characters, and its headless Service is `{service}-headless`",
            )),
            WorkloadKind::Deployment => None,
        };
        if let Some((max, why)) = limit
            && self.service.len() > max
        {
            out.push(
                self.error(
                    Code::NameTooLong,
                    path.clone(),
                    format!(
                        "service name `{}` is {} characters long, over {max} for a {}",
                        self.service,
                        self.service.len(),
                        kind.as_str()
                    ),
                )
                .expected(format!("a name of at most {max} characters"))
                .help(format!("{why}; shorten the name")),
            );
        }
    }

    /// A CronJob's schedule is required and valid, its time zone an IANA name.
    fn schedule(&self, out: &mut Vec<Diagnostic>) {
        use crate::validate::api::workloads::{cron_schedule, time_zone};
        let path = self.path().key("cronJob");
        let expected = "five cron fields (minute 0-59, hour 0-23, day of month 1-31, month 1-12, day of week 0-6) or @yearly, @annually, @monthly, @weekly, @daily, @midnight or @hourly";
        let cron = self.spec.cron_job.clone().unwrap_or_default();
        if cron.schedule.trim().is_empty() {
            let at = match self.spec.cron_job {
                Some(_) => path.clone(),
                None => self.path().key("kind"),
            };
            out.push(
                self.error(
                    Code::MissingField,
                    at,
                    format!("CronJob `{}` has no `cronJob.schedule`", self.service),
                )
                .expected(expected.to_owned())
                .help("e.g. `cronJob: {schedule: \"0 3 * * *\"}` runs every day at 03:00"),
            );
        } else if let Some(problem) = cron_schedule(&cron.schedule) {
            let help = if problem.contains("time zone") {
                "set the zone with `cronJob.timeZone` (e.g. `Europe/Berlin`) and keep the schedule to its five fields"
            } else {
                "e.g. `0 3 * * *` (every day at 03:00) or `*/15 * * * *` (every 15 minutes)"
            };
            out.push(
                self.error(
                    Code::InvalidSchedule,
                    path.key("schedule"),
                    format!(
                        "schedule `{}` {problem}",
                        crate::validate::api::shown(&cron.schedule)
                    ),
                )
                .expected(expected.to_owned())
                .help(help.to_owned()),
            );
        }
        if let Some(zone) = &cron.time_zone
            && let Some(problem) = time_zone(zone)
        {
            out.push(
                self.error(
                    Code::InvalidSchedule,
                    path.key("timeZone"),
                    format!(
                        "time zone `{}` {problem}",
                        crate::validate::api::shown(zone)
                    ),
                )
                .expected(
                    "an IANA time zone name such as `Europe/Berlin`, `America/New_York` or `UTC`"
                        .to_owned(),
                )
                .help(
                    "leave `timeZone` out to use the controller's zone (UTC on most clusters)"
                        .to_owned(),
                ),
            );
        }
    }
}

/// The spec field a [`KindField`] describes.
fn field_name(what: &str) -> &str {
    match what {
        "a disruption budget" => "disruptionBudget",
        "an ingress" => "ingress",
        "a Service" => "service",
        other => other,
    }
}
