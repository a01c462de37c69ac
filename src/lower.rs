//! Lowering: validated spec values to the resolved `model`. Defaults are applied here
//! and nowhere else; the input has passed validation, so nothing here can fail.

use std::collections::BTreeMap;

use crate::helm_values;
use crate::hostname;
use crate::image::ImageRef;
use crate::model::{
    self, Autoscaling, DisruptionBudget, EnvSource, EnvVar, EnvVarValue, Flux, Persistence, Probe,
    ProbeHandler, ProbeKind, Resources, ServiceAccount, ServicePort, TopologySpread,
};
use crate::spec::{
    self, Global, IntOrPercent, PathType, PullPolicy, Routing, ServiceType, Tier, Values,
};

/// Default stack name when `name` is not set.
pub const DEFAULT_STACK_NAME: &str = "mcp-stack";
/// Default container port when neither the service nor `global.port` sets one.
pub const DEFAULT_PORT: i64 = 8080;
/// Target average CPU utilization (percent) of an autoscaler given no target and no
/// custom metric.
pub const DEFAULT_CPU_TARGET: i64 = 80;

/// The ingress annotations `ingress.sse: true` adds (seed 001): no buffering, hour-long
/// reads and sends, HTTP/1.1 to the pods.
pub const SSE_ANNOTATIONS: [(&str, &str); 4] = [
    ("nginx.ingress.kubernetes.io/proxy-buffering", "off"),
    ("nginx.ingress.kubernetes.io/proxy-http-version", "1.1"),
    ("nginx.ingress.kubernetes.io/proxy-read-timeout", "3600"),
    ("nginx.ingress.kubernetes.io/proxy-send-timeout", "3600"),
];

/// The ingress annotations `ingress.websocket: true` adds: hour-long reads and sends,
/// so idle sockets stay open, and HTTP/1.1 to the pods (the upgrade needs it).
pub const WEBSOCKET_ANNOTATIONS: [(&str, &str); 3] = [
    ("nginx.ingress.kubernetes.io/proxy-http-version", "1.1"),
    ("nginx.ingress.kubernetes.io/proxy-read-timeout", "3600"),
    ("nginx.ingress.kubernetes.io/proxy-send-timeout", "3600"),
];

/// The ingress annotations `ingress.stripPrefix: true` adds: the path becomes the
/// regular expression [`strip_prefix_path`], whose second group is what the pods get.
pub const STRIP_PREFIX_ANNOTATIONS: [(&str, &str); 2] = [
    ("nginx.ingress.kubernetes.io/rewrite-target", "/$2"),
    ("nginx.ingress.kubernetes.io/use-regex", "true"),
];

/// The ingress-nginx path of a prefix that is stripped: the prefix, then `/` or the
/// end, then the rest (`/$2` in the rewrite target).
pub fn strip_prefix_path(path: &str) -> String {
    format!("{}(/|$)(.*)", path.trim_end_matches('/'))
}

/// A route path as two routes on one host compare it: without a trailing `/`.
pub fn route_key(path: &str) -> &str {
    match path.trim_end_matches('/') {
        "" => "/",
        trimmed => trimmed,
    }
}

/// Where a service is being lowered: for the shared base, or for one environment.
#[derive(Debug, Clone, Copy)]
pub enum Scope<'a> {
    Base,
    Environment { name: &'a str, tier: Tier },
}

pub fn stack_name(values: &Values) -> String {
    values
        .name
        .clone()
        .unwrap_or_else(|| DEFAULT_STACK_NAME.to_owned())
}

/// The namespace of an environment.
pub fn namespace(env: &str, values: &Values) -> String {
    values
        .global
        .as_ref()
        .and_then(|g| g.namespace.clone())
        .unwrap_or_else(|| format!("mcp-{env}"))
}

/// An environment from its merged values. `sources` are the spec files it came from.
pub fn environment(name: &str, values: &Values, sources: Vec<String>) -> model::Environment {
    let tier = values.tier.unwrap_or(Tier::Review);
    let global = values.global.clone().unwrap_or_default();
    let scope = Scope::Environment { name, tier };
    let mut services: Vec<model::Service> = values
        .services
        .iter()
        .flatten()
        .filter(|(_, service)| service.enabled.unwrap_or(true))
        .map(|(service_name, service)| {
            self::service(service_name, service, &global, &stack_name(values), scope)
        })
        .collect();
    share_host_certificates(&mut services);
    let enabled: Vec<(&String, &spec::Chart)> = values
        .charts
        .iter()
        .flatten()
        .filter(|(_, chart)| chart.enabled.unwrap_or(true))
        .collect();
    let chart_names: Vec<&str> = enabled.iter().map(|(n, _)| n.as_str()).collect();
    let charts: Vec<model::Chart> = enabled
        .iter()
        .map(|(chart_name, spec)| {
            self::chart(
                chart_name,
                spec,
                &global,
                &stack_name(values),
                scope,
                &chart_names,
            )
        })
        .collect();
    let network_policies = crate::network::policies(values, &services, &charts);
    let mut environment = model::Environment {
        name: name.to_owned(),
        tier,
        namespace: namespace(name, values),
        sources,
        flux: flux(global.flux.as_ref()),
        default_deny: crate::network::enabled(values),
        secret_store: global.secret_store.clone(),
        secret_stores: global.secret_stores.clone().unwrap_or_default(),
        secrets: values
            .secrets
            .iter()
            .flatten()
            .filter(|(_, s)| s.synced())
            .map(|(n, s)| (n.clone(), s.clone()))
            .collect(),
        config_maps: values
            .config_maps
            .iter()
            .flatten()
            .filter(|(_, c)| c.enabled.unwrap_or(true) && !c.existing.unwrap_or(false))
            .map(|(n, c)| (n.clone(), c.data.clone().unwrap_or_default()))
            .collect(),
        services,
        charts,
        network_policies,
        homes: Default::default(),
    };
    environment.homes = crate::placement::homes(&environment);
    environment
}

/// One chart, resolved for `scope`. `charts` names every chart of the scope, to tell
/// which dependencies are releases.
pub fn chart(
    name: &str,
    spec: &spec::Chart,
    global: &Global,
    stack: &str,
    scope: Scope<'_>,
    charts: &[&str],
) -> model::Chart {
    let repository = spec.repository.clone().unwrap_or_default();
    let source = match repository.strip_prefix("oci://") {
        Some(_) => model::ChartSource::Oci {
            url: repository.trim_end_matches('/').to_owned(),
        },
        None => model::ChartSource::Https { url: repository },
    };
    // Helm values in key order, whatever order they were written in: reordering keys in
    // a spec file changes nothing in generated/.
    let mut values = match crate::render::sorted_keys(serde_json::Value::Object(
        spec.values.clone().unwrap_or_default(),
    )) {
        serde_json::Value::Object(values) => values,
        _ => serde_json::Map::new(),
    };
    let mut exposed_host = None;
    if let (Some(hostname), Scope::Environment { name: env, tier }) = (&spec.hostname, scope) {
        let host = host(name, hostname.host.as_deref(), global, env, tier);
        exposed_host = Some(host.clone());
        // Validation refused every path that does not parse or that crosses a value of
        // the chart's (`validate/routes.rs`), so each one here is written.
        for path in &hostname.value_paths {
            if let Ok(steps) = helm_values::parse(path) {
                let written =
                    helm_values::set(&mut values, &steps, serde_json::Value::String(host.clone()));
                debug_assert!(written.is_ok(), "validation passed a blocked values path");
            }
        }
    }
    let depends_on = spec.depends_on.clone().unwrap_or_default();
    let release_depends_on = depends_on
        .iter()
        .filter(|d| charts.contains(&d.as_str()))
        .cloned()
        .collect();
    let default_interval = global.flux.as_ref().and_then(|f| f.interval.clone());
    model::Chart {
        name: name.to_owned(),
        host: exposed_host,
        component: spec.component.clone(),
        part_of: stack.to_owned(),
        source,
        chart: spec.chart.clone().unwrap_or_default(),
        version: spec.version.clone().unwrap_or_default(),
        values,
        values_from: spec.values_from.clone().unwrap_or_default(),
        depends_on,
        release_depends_on,
        target_namespace: spec.target_namespace.clone(),
        interval: spec
            .interval
            .clone()
            .or(default_interval)
            .unwrap_or_else(|| "10m".to_owned()),
        timeout: spec.timeout.clone().unwrap_or_else(|| "5m".to_owned()),
        install_retries: spec.install_retries.unwrap_or(3),
        upgrade_retries: spec.upgrade_retries.unwrap_or(3),
        images: spec
            .images
            .clone()
            .unwrap_or_default()
            .into_iter()
            .collect(),
    }
}

/// Whether a chart version names exactly one release (`16.4.5`, `v1.2.3-rc.1`), not a
/// range.
pub fn is_exact_version(version: &str) -> bool {
    let version = version.strip_prefix('v').unwrap_or(version);
    let (core, _) = version.split_once(['-', '+']).unwrap_or((version, ""));
    let parts: Vec<&str> = core.split('.').collect();
    parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
}

fn flux(settings: Option<&spec::FluxSettings>) -> Flux {
    let settings = settings.cloned().unwrap_or_default();
    Flux {
        interval: settings.interval.unwrap_or_else(|| "10m".to_owned()),
        timeout: settings.timeout.unwrap_or_else(|| "5m".to_owned()),
        prune: settings.prune.unwrap_or(true),
        wait: settings.wait.unwrap_or(true),
        source: settings.source.unwrap_or_else(|| "flux-system".to_owned()),
        source_namespace: settings
            .source_namespace
            .unwrap_or_else(|| crate::render::flux::DEFAULT_NAMESPACE.to_owned()),
        namespace: settings
            .namespace
            .unwrap_or_else(|| crate::render::flux::DEFAULT_NAMESPACE.to_owned()),
        prefix: settings.prefix.unwrap_or_default(),
        depends_on: settings.depends_on.unwrap_or_default(),
        path: settings.path.unwrap_or_else(|| "./generated".to_owned()),
    }
}

/// The hostname of an exposed service in an environment.
/// `name` is the service's or chart's; `explicit` a host the spec sets.
pub fn host(name: &str, explicit: Option<&str>, global: &Global, env: &str, tier: Tier) -> String {
    if let Some(host) = explicit {
        return host.to_owned();
    }
    let pattern = global
        .host_pattern
        .as_deref()
        .unwrap_or_else(|| hostname::default_pattern(tier));
    let domain = global.domain.as_deref().unwrap_or_default();
    hostname::expand(pattern, name, env, domain)
}

/// The container image of a service.
pub fn image(name: &str, spec: &spec::Service, global: &Global) -> ImageRef {
    let image = spec.image.clone().unwrap_or_default();
    let registry = global.image.as_ref().and_then(|i| i.registry.as_deref());
    ImageRef::new(
        image.registry.as_deref().or(registry),
        image.repository.as_deref().unwrap_or(name),
        image.tag.as_deref(),
        image.digest.as_deref(),
    )
}

/// The pod annotation whose value changes with the content of the declared ConfigMaps
/// a pod uses, so a change of content rolls exactly those pods.
pub const CONFIG_CHECKSUM_ANNOTATION: &str = "mcpstack.dev/config-checksum";

/// Completes an environment's ConfigMaps with the content of their files (read by
/// `load::config_files`) and marks each pod that uses a declared ConfigMap with
/// [`CONFIG_CHECKSUM_ANNOTATION`]: the sha256 over the name and content of every
/// declared ConfigMap it uses (in any of its containers), in name order.
pub fn config_files(env: &mut model::Environment, files: &crate::load::ConfigFiles) {
    for (name, contents) in files {
        if let Some(data) = env.config_maps.get_mut(name) {
            data.extend(contents.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
    }
    for service in &mut env.services {
        let used: std::collections::BTreeSet<&str> = config_maps_used(service)
            .into_iter()
            .filter(|name| env.config_maps.contains_key(*name))
            .collect();
        if used.is_empty() {
            continue;
        }
        let content: Vec<(&str, &BTreeMap<String, String>)> = used
            .iter()
            .filter_map(|name| env.config_maps.get(*name).map(|data| (*name, data)))
            .collect();
        let canonical = serde_json::to_vec(&content).unwrap_or_default();
        let checksum = {
            use sha2::{Digest, Sha256};
            Sha256::digest(&canonical)
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>()
        };
        service
            .pod_annotations
            .insert(CONFIG_CHECKSUM_ANNOTATION.to_owned(), checksum);
    }
}

/// The names of the ConfigMaps a service's pod reads, in any container.
pub fn config_maps_used(service: &model::Service) -> Vec<&str> {
    let mut names = Vec::new();
    let containers = std::iter::once((&service.env, &service.env_from, &service.mounts)).chain(
        service
            .extra_containers
            .iter()
            .map(|c| (&c.env, &c.env_from, &c.mounts)),
    );
    for (env, env_from, mounts) in containers {
        for var in env {
            if let model::EnvVarValue::ConfigMapKey { name, .. } = &var.value {
                names.push(name.as_str());
            }
        }
        for source in env_from {
            if let model::EnvSource::ConfigMap { name, .. } = source {
                names.push(name.as_str());
            }
        }
        for mount in mounts {
            if let model::MountSource::ConfigMap(name) = &mount.source {
                names.push(name.as_str());
            }
        }
    }
    names.sort_unstable();
    names.dedup();
    names
}

/// The image of an init container or sidecar (its repository is required, checked by
/// `validate`).
pub fn container_image(image: &spec::Image, global: &Global) -> ImageRef {
    let registry = global.image.as_ref().and_then(|i| i.registry.as_deref());
    ImageRef::new(
        image.registry.as_deref().or(registry),
        image.repository.as_deref().unwrap_or_default(),
        image.tag.as_deref(),
        image.digest.as_deref(),
    )
}

/// The TLS settings in force for a service's ingress, if TLS is on.
pub fn ingress_tls(ingress: &spec::Ingress, global: &Global) -> Option<spec::Tls> {
    let defaults = global.ingress.as_ref().and_then(|i| i.tls.as_ref());
    tls(ingress.tls.as_ref(), defaults)
}

/// The container port of a service.
pub fn port(service: &spec::Service, global: &Global) -> i64 {
    service.port.or(global.port).unwrap_or(DEFAULT_PORT)
}

/// One service, resolved for `scope`.
pub fn service(
    name: &str,
    spec: &spec::Service,
    global: &Global,
    stack: &str,
    scope: Scope<'_>,
) -> model::Service {
    let spec = &with_defaults(spec, global);
    let port = port(spec, global);
    let workload = workload(spec);
    let listens = !spec.worker.unwrap_or(false) && !workload.kind().runs_to_completion();
    let image_spec = spec.image.clone().unwrap_or_default();
    let global_image = global.image.clone().unwrap_or_default();
    let image = image(name, spec, global);
    let autoscaling = autoscaling(spec.autoscaling.as_ref());
    let replicas = match autoscaling {
        Some(_) => None,
        None => Some(spec.replicas.unwrap_or(1)),
    };
    let ingress = match scope {
        Scope::Base => None,
        Scope::Environment { name: env, tier } => ingress(name, spec, global, env, tier),
    };
    model::Service {
        name: name.to_owned(),
        component: spec.component.clone(),
        part_of: stack.to_owned(),
        depends_on: spec.depends_on.clone().unwrap_or_default(),
        workload,
        listens,
        image,
        pull_policy: image_spec
            .pull_policy
            .or(global_image.pull_policy)
            .unwrap_or(PullPolicy::IfNotPresent),
        pull_secrets: global_image.pull_secrets.unwrap_or_default(),
        port,
        replicas,
        command: spec.command.clone().unwrap_or_default(),
        args: spec.args.clone().unwrap_or_default(),
        env: env_vars(spec.env.as_ref()),
        env_from: env_sources(spec.env_from.as_deref()),
        // The stack's probes are for pods that listen; workers and jobs bring their own.
        probes: probes(
            spec.probes.as_ref(),
            global.probes.as_ref().filter(|_| listens),
            port,
        ),
        resources: resources(spec.resources.as_ref().or(global.resources.as_ref())),
        autoscaling,
        disruption_budget: disruption_budget(spec.disruption_budget.as_ref()),
        persistence: persistence(name, spec.persistence.as_ref()),
        service: service_port(spec.service.as_ref(), port),
        ingress,
        service_account: service_account(name, spec.service_account.as_ref()),
        node_selector: spec.node_selector.clone().unwrap_or_default(),
        tolerations: spec.tolerations.clone().unwrap_or_default(),
        affinity: spec.affinity.clone(),
        topology_spread: topology_spread(spec.topology_spread.as_deref()),
        pod_labels: spec.pod_labels.clone().unwrap_or_default(),
        pod_annotations: spec.pod_annotations.clone().unwrap_or_default(),
        metrics: spec
            .metrics
            .as_ref()
            .filter(|m| m.enabled.unwrap_or(true))
            .map(|m| model::Metrics {
                port: m.port.filter(|p| *p != port),
                path: m.path.clone().unwrap_or_else(|| "/metrics".to_owned()),
                interval: m.interval.clone().unwrap_or_else(|| "30s".to_owned()),
                scrape_timeout: m.scrape_timeout.clone(),
                labels: m.labels.clone().unwrap_or_default(),
            }),
        writable_paths: {
            let mut paths = spec.writable_paths.clone().unwrap_or_default();
            paths.sort();
            paths.dedup();
            paths
        },
        security: spec.security.clone().unwrap_or_default(),
        api_access: spec.api_access.clone().filter(|a| !a.rules.is_empty()),
        extra_containers: extra_containers(spec, global),
        mounts: mounts(spec.mounts.as_deref()),
    }
}

/// A block of a service's settings that `global` gives defaults for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Defaulted {
    Autoscaling,
    DisruptionBudget,
    Persistence,
    Metrics,
}

impl Defaulted {
    /// The block's key, under `services.NAME` and under `global`.
    pub fn key(self) -> &'static str {
        match self {
            Defaulted::Autoscaling => "autoscaling",
            Defaulted::DisruptionBudget => "disruptionBudget",
            Defaulted::Persistence => "persistence",
            Defaulted::Metrics => "metrics",
        }
    }
}

/// Whether `global`'s defaults of `block` apply to a service: autoscaling, disruption
/// budgets and persistence to Deployments and StatefulSets, metrics to services that
/// listen (not workers, Jobs or CronJobs).
pub fn takes_default(spec: &spec::Service, block: Defaulted) -> bool {
    let kind = spec.kind.unwrap_or_default();
    match block {
        Defaulted::Metrics => !spec.worker.unwrap_or(false) && !kind.runs_to_completion(),
        _ => !kind.runs_to_completion(),
    }
}

/// The service with its `autoscaling`, `disruptionBudget`, `persistence` and `metrics`
/// layered over `global`'s, where those apply (`takes_default`): each field is the
/// service's own, else the global one (`enabled` included); label and annotation maps
/// are merged key by key, the service's keys winning; `minAvailable` and
/// `maxUnavailable` are one choice, taken whole from the service when it makes it.
/// Metrics the service declares are on unless `enabled` says otherwise (its own, else
/// the global one); metrics only `global` declares are on only with
/// `global.metrics.enabled: true`. Validation and lowering both read this.
pub fn with_defaults(spec: &spec::Service, global: &Global) -> spec::Service {
    let mut out = spec.clone();
    if takes_default(spec, Defaulted::Autoscaling) {
        out.autoscaling = layer(
            spec.autoscaling.as_ref(),
            global.autoscaling.as_ref(),
            |own, global| spec::Autoscaling {
                enabled: own.enabled.or(global.enabled),
                min_replicas: own.min_replicas.or(global.min_replicas),
                max_replicas: own.max_replicas.or(global.max_replicas),
                target_cpu_utilization_percentage: own
                    .target_cpu_utilization_percentage
                    .or(global.target_cpu_utilization_percentage),
                target_memory_utilization_percentage: own
                    .target_memory_utilization_percentage
                    .or(global.target_memory_utilization_percentage),
                behavior: own.behavior.or(global.behavior),
                metrics: own.metrics.or(global.metrics),
            },
        );
    }
    if takes_default(spec, Defaulted::DisruptionBudget) {
        out.disruption_budget = layer(
            spec.disruption_budget.as_ref(),
            global.disruption_budget.as_ref(),
            |own, global| {
                let choice = match own.min_available.is_some() || own.max_unavailable.is_some() {
                    true => (own.min_available, own.max_unavailable),
                    false => (global.min_available, global.max_unavailable),
                };
                spec::DisruptionBudget {
                    enabled: own.enabled.or(global.enabled),
                    min_available: choice.0,
                    max_unavailable: choice.1,
                }
            },
        );
    }
    if takes_default(spec, Defaulted::Persistence) {
        out.persistence = layer(
            spec.persistence.as_ref(),
            global.persistence.as_ref(),
            |own, global| spec::Persistence {
                enabled: own.enabled.or(global.enabled),
                size: own.size.or(global.size),
                storage_class_name: own.storage_class_name.or(global.storage_class_name),
                access_modes: own.access_modes.or(global.access_modes),
                mount_path: own.mount_path.or(global.mount_path),
                labels: merged_maps(own.labels, global.labels),
                annotations: merged_maps(own.annotations, global.annotations),
            },
        );
    }
    if takes_default(spec, Defaulted::Metrics) {
        let declared = spec.metrics.is_some();
        out.metrics = layer(
            spec.metrics.as_ref(),
            global.metrics.as_ref(),
            |own, global| spec::Metrics {
                enabled: Some(own.enabled.or(global.enabled).unwrap_or(declared)),
                port: own.port.or(global.port),
                path: own.path.or(global.path),
                interval: own.interval.or(global.interval),
                scrape_timeout: own.scrape_timeout.or(global.scrape_timeout),
                labels: merged_maps(own.labels, global.labels),
            },
        );
    }
    out
}

/// A block layered over its default with `fields`; `None` when neither is written.
fn layer<T: Clone + Default>(
    own: Option<&T>,
    global: Option<&T>,
    fields: impl FnOnce(T, T) -> T,
) -> Option<T> {
    match (own, global) {
        (None, None) => None,
        (own, None) => own.cloned(),
        (own, Some(global)) => Some(fields(own.cloned().unwrap_or_default(), global.clone())),
    }
}

/// `global`'s entries, then `own`'s over them.
fn merged_maps(
    own: Option<BTreeMap<String, String>>,
    global: Option<BTreeMap<String, String>>,
) -> Option<BTreeMap<String, String>> {
    match (own, global) {
        (None, None) => None,
        (own, global) => {
            let mut out = global.unwrap_or_default();
            out.extend(own.unwrap_or_default());
            Some(out)
        }
    }
}

/// The workload kind of a service, with its settings defaulted.
fn workload(spec: &spec::Service) -> model::Workload {
    use spec::WorkloadKind;
    let job = || {
        let settings = spec.job.clone().unwrap_or_default();
        model::Job {
            backoff_limit: settings.backoff_limit,
            active_deadline_seconds: settings.active_deadline_seconds,
            ttl_seconds_after_finished: settings.ttl_seconds_after_finished,
            restart_policy: settings
                .restart_policy
                .unwrap_or(spec::JobRestartPolicy::Never),
        }
    };
    match spec.kind.unwrap_or_default() {
        WorkloadKind::Deployment => model::Workload::Deployment,
        WorkloadKind::StatefulSet => {
            let settings = spec.stateful_set.clone().unwrap_or_default();
            let retention = settings
                .persistent_volume_claim_retention_policy
                .unwrap_or_default();
            model::Workload::StatefulSet {
                pod_management_policy: settings
                    .pod_management_policy
                    .unwrap_or(spec::PodManagementPolicy::OrderedReady),
                when_deleted: retention
                    .when_deleted
                    .unwrap_or(spec::ClaimRetention::Retain),
                when_scaled: retention
                    .when_scaled
                    .unwrap_or(spec::ClaimRetention::Retain),
            }
        }
        WorkloadKind::Job => model::Workload::Job(job()),
        WorkloadKind::CronJob => model::Workload::CronJob {
            schedule: spec.cron_job.clone().unwrap_or_default(),
            job: job(),
        },
    }
}

/// Sidecars, then init containers, each in written order; enabled ones only.
fn extra_containers(spec: &spec::Service, global: &Global) -> Vec<model::Container> {
    let global_image = global.image.clone().unwrap_or_default();
    let lists = [
        (true, spec.sidecars.as_ref()),
        (false, spec.init_containers.as_ref()),
    ];
    lists
        .into_iter()
        .flat_map(|(sidecar, list)| list.into_iter().flatten().map(move |c| (sidecar, c)))
        .filter(|(_, (_, c))| c.enabled.unwrap_or(true))
        .map(|(sidecar, (name, c))| {
            let image_spec = c.image.clone().unwrap_or_default();
            model::Container {
                name: name.clone(),
                sidecar,
                image: container_image(&image_spec, global),
                pull_policy: image_spec
                    .pull_policy
                    .or(global_image.pull_policy)
                    .unwrap_or(PullPolicy::IfNotPresent),
                command: c.command.clone().unwrap_or_default(),
                args: c.args.clone().unwrap_or_default(),
                env: env_vars(c.env.as_ref()),
                env_from: env_sources(c.env_from.as_deref()),
                resources: resources(c.resources.as_ref().or(global.resources.as_ref())),
                mounts: mounts(c.mounts.as_deref()),
                writable_paths: {
                    let mut paths = c.writable_paths.clone().unwrap_or_default();
                    paths.sort();
                    paths.dedup();
                    paths
                },
            }
        })
        .collect()
}

/// ConfigMaps and Secrets mounted as files, with their default permissions (`0400`
/// for Secrets, `0444` for ConfigMaps).
fn mounts(spec: Option<&[spec::Mount]>) -> Vec<model::Mount> {
    spec.unwrap_or_default()
        .iter()
        .filter_map(|m| {
            let (source, default) = match (&m.config_map, &m.secret) {
                (Some(name), None) => (model::MountSource::ConfigMap(name.clone()), 0o444),
                (None, Some(name)) => (model::MountSource::Secret(name.clone()), 0o400),
                _ => return None,
            };
            let mode = m
                .default_mode
                .as_deref()
                .and_then(|mode| u32::from_str_radix(mode, 8).ok())
                .unwrap_or(default);
            Some(model::Mount {
                path: m.path.clone(),
                source,
                keys: m.keys.clone().unwrap_or_default(),
                default_mode: mode,
            })
        })
        .collect()
}

fn env_vars(env: Option<&spec::EnvVars>) -> Vec<EnvVar> {
    env.into_iter()
        .flatten()
        .filter_map(|(name, value)| {
            let value = match value {
                spec::EnvValue::Literal(text) => EnvVarValue::Literal(text.clone()),
                spec::EnvValue::Reference(reference) => {
                    match (&reference.secret_key_ref, &reference.config_map_key_ref) {
                        (Some(key), _) => EnvVarValue::SecretKey {
                            name: key.name.clone(),
                            key: key.key.clone(),
                            optional: key.optional,
                        },
                        (None, Some(key)) => EnvVarValue::ConfigMapKey {
                            name: key.name.clone(),
                            key: key.key.clone(),
                            optional: key.optional,
                        },
                        (None, None) => return None,
                    }
                }
            };
            Some(EnvVar {
                name: name.clone(),
                value,
            })
        })
        .collect()
}

fn env_sources(env_from: Option<&[spec::EnvFrom]>) -> Vec<EnvSource> {
    env_from
        .into_iter()
        .flatten()
        .filter_map(
            |source| match (&source.secret_ref, &source.config_map_ref) {
                (Some(name), _) => Some(EnvSource::Secret {
                    name: name.clone(),
                    prefix: source.prefix.clone(),
                }),
                (None, Some(name)) => Some(EnvSource::ConfigMap {
                    name: name.clone(),
                    prefix: source.prefix.clone(),
                }),
                (None, None) => None,
            },
        )
        .collect()
}

/// A service's probe of a kind replaces the global probe of that kind whole.
fn probes(service: Option<&spec::Probes>, global: Option<&spec::Probes>, port: i64) -> Vec<Probe> {
    let pick = |get: fn(&spec::Probes) -> Option<&spec::Probe>| {
        service
            .and_then(get)
            .or_else(|| global.and_then(get))
            .cloned()
    };
    [
        (ProbeKind::Liveness, pick(|p| p.liveness.as_ref())),
        (ProbeKind::Readiness, pick(|p| p.readiness.as_ref())),
        (ProbeKind::Startup, pick(|p| p.startup.as_ref())),
    ]
    .into_iter()
    .filter_map(|(kind, probe)| {
        probe
            .filter(|p| p.enabled.unwrap_or(true))
            .map(|p| (kind, p))
    })
    .filter_map(|(kind, probe)| {
        let handler = match (&probe.http_get, &probe.tcp_socket, &probe.exec) {
            (Some(http), _, _) => ProbeHandler::HttpGet {
                path: http.path.clone().unwrap_or_else(|| "/".to_owned()),
                port: http.port.unwrap_or(port),
            },
            (None, Some(tcp), _) => ProbeHandler::TcpSocket {
                port: tcp.port.unwrap_or(port),
            },
            (None, None, Some(exec)) => ProbeHandler::Exec {
                command: exec.command.clone(),
            },
            (None, None, None) => return None,
        };
        Some(Probe {
            kind,
            handler,
            initial_delay_seconds: probe.initial_delay_seconds,
            period_seconds: probe.period_seconds,
            timeout_seconds: probe.timeout_seconds,
            failure_threshold: probe.failure_threshold,
            success_threshold: probe.success_threshold,
        })
    })
    .collect()
}

fn resources(spec: Option<&spec::Resources>) -> Resources {
    let list = |list: Option<&spec::ResourceList>| {
        let mut out = BTreeMap::new();
        if let Some(list) = list {
            if let Some(cpu) = &list.cpu {
                out.insert("cpu".to_owned(), cpu.clone());
            }
            if let Some(memory) = &list.memory {
                out.insert("memory".to_owned(), memory.clone());
            }
        }
        out
    };
    Resources {
        requests: list(spec.and_then(|r| r.requests.as_ref())),
        limits: list(spec.and_then(|r| r.limits.as_ref())),
    }
}

fn autoscaling(spec: Option<&spec::Autoscaling>) -> Option<Autoscaling> {
    let spec = spec.filter(|a| a.enabled.unwrap_or(false))?;
    let min = spec.min_replicas.unwrap_or(1);
    let metrics = spec.metrics.clone().unwrap_or_default();
    // The 80% CPU default stands in for a target only when nothing else is one: with
    // custom metrics, the autoscaler scales on those alone.
    let (cpu, memory) = match (
        spec.target_cpu_utilization_percentage,
        spec.target_memory_utilization_percentage,
    ) {
        (None, None) if metrics.is_empty() => (Some(DEFAULT_CPU_TARGET), None),
        targets => targets,
    };
    Some(Autoscaling {
        min_replicas: min,
        max_replicas: spec.max_replicas.unwrap_or(min),
        cpu_utilization: cpu,
        memory_utilization: memory,
        behavior: spec.behavior.clone(),
        metrics,
    })
}

fn disruption_budget(spec: Option<&spec::DisruptionBudget>) -> Option<DisruptionBudget> {
    let spec = spec.filter(|b| b.enabled.unwrap_or(false))?;
    Some(match (&spec.min_available, &spec.max_unavailable) {
        (Some(min), _) => DisruptionBudget::MinAvailable(min.clone()),
        (None, Some(max)) => DisruptionBudget::MaxUnavailable(max.clone()),
        (None, None) => DisruptionBudget::MaxUnavailable(IntOrPercent::Count(1)),
    })
}

fn persistence(name: &str, spec: Option<&spec::Persistence>) -> Option<Persistence> {
    let spec = spec.filter(|p| p.enabled.unwrap_or(false))?;
    Some(Persistence {
        claim_name: format!("{name}-data"),
        size: spec.size.clone().unwrap_or_default(),
        storage_class_name: spec.storage_class_name.clone(),
        access_modes: spec
            .access_modes
            .clone()
            .unwrap_or_else(|| vec![spec::AccessMode::ReadWriteOnce]),
        mount_path: spec.mount_path.clone().unwrap_or_default(),
        labels: spec.labels.clone().unwrap_or_default(),
        annotations: spec.annotations.clone().unwrap_or_default(),
    })
}

fn service_port(spec: Option<&spec::ServicePort>, port: i64) -> ServicePort {
    let spec = spec.cloned().unwrap_or_default();
    ServicePort {
        kind: spec.kind.unwrap_or(ServiceType::ClusterIP),
        port: spec.port.unwrap_or(port),
        target_port: spec.target_port.unwrap_or(port),
    }
}

fn ingress(
    name: &str,
    spec: &spec::Service,
    global: &Global,
    env: &str,
    tier: Tier,
) -> Option<model::Ingress> {
    let ingress = spec
        .ingress
        .as_ref()
        .filter(|i| i.enabled.unwrap_or(false))?;
    let defaults = global.ingress.clone().unwrap_or_default();
    let mut annotations: BTreeMap<String, String> =
        defaults.annotations.clone().unwrap_or_default();
    annotations.extend(ingress.annotations.clone().unwrap_or_default());
    if ingress.sse.unwrap_or(false) {
        for (key, value) in SSE_ANNOTATIONS {
            annotations.insert(key.to_owned(), value.to_owned());
        }
    }
    let websocket = ingress.websocket.unwrap_or(false);
    if websocket {
        for (key, value) in WEBSOCKET_ANNOTATIONS {
            annotations.insert(key.to_owned(), value.to_owned());
        }
    }
    let strip_prefix = ingress.strip_prefix.unwrap_or(false);
    if strip_prefix {
        for (key, value) in STRIP_PREFIX_ANNOTATIONS {
            annotations.insert(key.to_owned(), value.to_owned());
        }
    }
    let tls = tls(ingress.tls.as_ref(), defaults.tls.as_ref());
    let tls_secret = tls.as_ref().map(|t| {
        t.secret_name
            .clone()
            .unwrap_or_else(|| format!("{name}-tls"))
    });
    if let Some(issuer) = tls.as_ref().and_then(|t| t.cluster_issuer.clone()) {
        annotations.insert("cert-manager.io/cluster-issuer".to_owned(), issuer);
    }
    let routing = routing(ingress, global);
    let tls_secret_default = tls.as_ref().is_some_and(|t| t.secret_name.is_none());
    let sse = ingress.sse.unwrap_or(false) || websocket;
    let request_timeout = match (&ingress.request_timeout, sse) {
        (Some(timeout), _) => Some(timeout.clone()),
        (None, true) => Some("0s".to_owned()),
        (None, false) => None,
    };
    let gateway = global.gateway.as_ref().map(|g| model::Gateway {
        name: g.name.clone().unwrap_or_default(),
        namespace: g.namespace.clone(),
        section_name: g.section_name.clone(),
    });
    if routing == Routing::GatewayApi {
        // The nginx annotations and the Ingress TLS block mean nothing to a Gateway:
        // it terminates TLS on its listener.
        annotations.retain(|key, _| {
            !key.starts_with("nginx.ingress.kubernetes.io/")
                && key != "cert-manager.io/cluster-issuer"
        });
    }
    Some(model::Ingress {
        routing,
        gateway,
        request_timeout: request_timeout.filter(|_| routing == Routing::GatewayApi),
        host: host(name, ingress.host.as_deref(), global, env, tier),
        path: ingress.path.clone().unwrap_or_else(|| "/".to_owned()),
        path_type: ingress.path_type.unwrap_or(PathType::Prefix),
        class_name: ingress.class_name.clone().or(defaults.class_name),
        annotations,
        tls_secret,
        tls_secret_default,
        strip_prefix,
    })
}

/// Ingresses sharing a host share its certificate: cert-manager's ingress-shim makes one
/// Certificate per Ingress and secret, so two Ingresses asking for one secret fight over
/// it. On a host several Ingresses serve, the one with the shortest path (ties: the
/// first by service name) is the host's: those of the others whose secret is the
/// default take its secret, and only it keeps the issuer annotation for that secret.
fn share_host_certificates(services: &mut [model::Service]) {
    let mut hosts: BTreeMap<String, (usize, &str, String)> = BTreeMap::new();
    for service in services.iter() {
        let Some(ingress) = &service.ingress else {
            continue;
        };
        let Some(secret) = &ingress.tls_secret else {
            continue;
        };
        if ingress.routing != Routing::Ingress {
            continue;
        }
        let rank = (route_key(&ingress.path).len(), service.name.as_str());
        let entry = hosts
            .entry(ingress.host.clone())
            .or_insert((rank.0, rank.1, secret.clone()));
        if rank < (entry.0, entry.1) {
            *entry = (rank.0, rank.1, secret.clone());
        }
    }
    let hosts: BTreeMap<String, (String, String)> = hosts
        .into_iter()
        .map(|(host, (_, owner, secret))| (host, (owner.to_owned(), secret)))
        .collect();
    for service in services.iter_mut() {
        let name = service.name.clone();
        let Some(ingress) = &mut service.ingress else {
            continue;
        };
        if ingress.routing != Routing::Ingress || ingress.tls_secret.is_none() {
            continue;
        }
        let Some((owner, secret)) = hosts.get(&ingress.host) else {
            continue;
        };
        if *owner == name {
            continue;
        }
        if ingress.tls_secret_default {
            ingress.tls_secret = Some(secret.clone());
        }
        if ingress.tls_secret.as_ref() == Some(secret) {
            ingress.annotations.remove("cert-manager.io/cluster-issuer");
        }
    }
}

/// The TLS settings in force: the service's fields over the global ones; on when either
/// block exists unless switched off.
fn tls(service: Option<&spec::Tls>, global: Option<&spec::Tls>) -> Option<spec::Tls> {
    if service.is_none() && global.is_none() {
        return None;
    }
    let service = service.cloned().unwrap_or_default();
    let global = global.cloned().unwrap_or_default();
    let merged = spec::Tls {
        enabled: service.enabled.or(global.enabled),
        cluster_issuer: service.cluster_issuer.or(global.cluster_issuer),
        secret_name: service.secret_name.or(global.secret_name),
    };
    merged.enabled.unwrap_or(true).then_some(merged)
}

fn service_account(name: &str, spec: Option<&spec::ServiceAccount>) -> ServiceAccount {
    let spec = spec.cloned().unwrap_or_default();
    let create = spec.create.unwrap_or(true);
    ServiceAccount {
        create,
        name: spec.name.unwrap_or_else(|| {
            if create {
                name.to_owned()
            } else {
                "default".to_owned()
            }
        }),
        annotations: spec.annotations.unwrap_or_default(),
    }
}

fn topology_spread(spec: Option<&[spec::TopologySpread]>) -> Vec<TopologySpread> {
    spec.into_iter()
        .flatten()
        .map(|t| TopologySpread {
            topology_key: t.topology_key.clone(),
            max_skew: t.max_skew.unwrap_or(1),
            when_unsatisfiable: t
                .when_unsatisfiable
                .unwrap_or(spec::WhenUnsatisfiable::ScheduleAnyway),
        })
        .collect()
}

/// How an exposed service is routed: its own choice, else the environment's, else an
/// Ingress.
pub fn routing(ingress: &spec::Ingress, global: &spec::Global) -> Routing {
    ingress
        .routing
        .or(global.routing)
        .unwrap_or(Routing::Ingress)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(yaml: &str) -> Values {
        serde_saphyr::from_str(yaml).expect("valid values")
    }

    #[test]
    fn defaults_fill_in() {
        let v = values(
            "global: {domain: example.com}\nservices:\n  api:\n    image: {repository: a/api, tag: '1.0'}\n    ingress: {enabled: true}\n",
        );
        let env = environment(
            "staging",
            &Values {
                tier: Some(Tier::Staging),
                ..v
            },
            vec![],
        );
        let api = &env.services[0];
        assert_eq!(api.port, DEFAULT_PORT);
        assert_eq!(api.replicas, Some(1));
        assert_eq!(env.namespace, "mcp-staging");
        assert_eq!(
            api.ingress.as_ref().map(|i| i.host.as_str()),
            Some("mcp-api.staging.example.com")
        );
        assert_eq!(api.pull_policy, PullPolicy::IfNotPresent);
    }

    #[test]
    fn autoscaling_takes_the_replica_count() {
        let v = values(
            "services:\n  api:\n    replicas: 3\n    autoscaling: {enabled: true, minReplicas: 2, maxReplicas: 5}\n",
        );
        let env = environment("production", &v, vec![]);
        let api = &env.services[0];
        assert_eq!(api.replicas, None);
        let hpa = api.autoscaling.as_ref().expect("hpa");
        assert_eq!(
            (hpa.min_replicas, hpa.max_replicas, hpa.cpu_utilization),
            (2, 5, Some(80))
        );
    }

    #[test]
    fn sse_adds_streaming_annotations() {
        let v = values(
            "global: {domain: example.com}\nservices:\n  api:\n    ingress: {enabled: true, sse: true, host: api.example.com}\n",
        );
        let env = environment(
            "production",
            &Values {
                tier: Some(Tier::Production),
                ..v
            },
            vec![],
        );
        let ingress = env.services[0].ingress.clone().expect("ingress");
        assert_eq!(ingress.host, "api.example.com");
        assert_eq!(
            ingress
                .annotations
                .get("nginx.ingress.kubernetes.io/proxy-buffering")
                .map(String::as_str),
            Some("off")
        );
        assert_eq!(ingress.tls_secret, None);
    }

    #[test]
    fn tls_from_global_defaults() {
        let v = values(
            "global:\n  domain: example.com\n  ingress: {tls: {clusterIssuer: le}}\nservices:\n  api:\n    ingress: {enabled: true}\n",
        );
        let env = environment(
            "production",
            &Values {
                tier: Some(Tier::Production),
                ..v
            },
            vec![],
        );
        let ingress = env.services[0].ingress.clone().expect("ingress");
        assert_eq!(ingress.host, "mcp-api.example.com");
        assert_eq!(ingress.tls_secret.as_deref(), Some("api-tls"));
        assert_eq!(
            ingress
                .annotations
                .get("cert-manager.io/cluster-issuer")
                .map(String::as_str),
            Some("le")
        );
    }

    #[test]
    fn a_shared_host_gets_one_certificate_from_the_shortest_path() {
        let v = values(concat!(
            "global:\n  domain: example.com\n  ingress: {tls: {clusterIssuer: le}}\n",
            "services:\n",
            "  web:\n    ingress: {enabled: true, host: a.example.com, path: /web, stripPrefix: true, websocket: true}\n",
            "  api:\n    ingress: {enabled: true, host: a.example.com}\n",
            "  own:\n    ingress: {enabled: true, host: a.example.com, path: /own, tls: {secretName: own-cert}}\n",
            "  solo:\n    ingress: {enabled: true}\n",
        ));
        let env = environment("staging", &v, vec![]);
        let ingress = |name: &str| {
            let service = env.services.iter().find(|s| s.name == name);
            service.and_then(|s| s.ingress.clone()).expect("ingress")
        };
        let issuer =
            |i: &model::Ingress| i.annotations.get("cert-manager.io/cluster-issuer").cloned();
        // `api` serves `/`, the shortest path: the host's certificate is its own.
        assert_eq!(ingress("api").tls_secret.as_deref(), Some("api-tls"));
        assert_eq!(issuer(&ingress("api")).as_deref(), Some("le"));
        assert_eq!(ingress("web").tls_secret.as_deref(), Some("api-tls"));
        assert_eq!(issuer(&ingress("web")), None);
        // A secret of its own keeps its own certificate and issuer.
        assert_eq!(ingress("own").tls_secret.as_deref(), Some("own-cert"));
        assert_eq!(issuer(&ingress("own")).as_deref(), Some("le"));
        assert_eq!(ingress("solo").tls_secret.as_deref(), Some("solo-tls"));
        let web = ingress("web");
        assert!(web.strip_prefix);
        for (key, value) in STRIP_PREFIX_ANNOTATIONS
            .iter()
            .chain(&WEBSOCKET_ANNOTATIONS)
        {
            assert_eq!(web.annotations.get(*key).map(String::as_str), Some(*value));
        }
        assert_eq!(strip_prefix_path("/web/"), "/web(/|$)(.*)");
    }

    #[test]
    fn exact_versions_are_told_from_ranges() {
        for exact in ["16.4.5", "v1.2.3", "1.0.0-rc.1", "2.3.4+build.5"] {
            assert!(is_exact_version(exact), "{exact}");
        }
        for range in [
            "16.x",
            "^16.4.0",
            ">=16.0.0 <17.0.0",
            "16",
            "16.4",
            "~1.2.3",
            "*",
            "",
        ] {
            assert!(!is_exact_version(range), "{range}");
        }
    }

    #[test]
    fn chart_hostnames_are_written_into_values() {
        let v = values(
            "global: {domain: example.com}\ncharts:\n  kube:\n    repository: https://charts.example.com\n    chart: mcp-kubernetes\n    version: 1.0.0\n    values: {ingress: {enabled: true}}\n    hostname: {valuePaths: [\"ingress.hosts[0].host\"]}\n",
        );
        let env = environment(
            "staging",
            &Values {
                tier: Some(Tier::Staging),
                ..v
            },
            vec![],
        );
        let chart = &env.charts[0];
        assert_eq!(
            chart.values["ingress"]["hosts"][0]["host"],
            "mcp-kube.staging.example.com"
        );
        assert_eq!(chart.values["ingress"]["enabled"], true);
        assert_eq!(
            chart.source,
            model::ChartSource::Https {
                url: "https://charts.example.com".into()
            }
        );
    }

    #[test]
    fn global_defaults_fill_in_field_by_field() {
        let v = values(
            "global:\n  autoscaling: {enabled: true, maxReplicas: 6, targetCPUUtilizationPercentage: 70}\n  disruptionBudget: {enabled: true, maxUnavailable: 1}\n  persistence: {size: 1Gi, mountPath: /data, storageClassName: fast, labels: {backup: daily, tier: gold}, annotations: {a.example.com/x: y}}\n  metrics: {enabled: true, interval: 1m, scrapeTimeout: 20s, labels: {release: prom, team: a}}\nservices:\n  api:\n    autoscaling: {maxReplicas: 9}\n    disruptionBudget: {minAvailable: 1}\n    persistence: {enabled: true, size: 5Gi, labels: {tier: silver}}\n    metrics: {interval: 30s, labels: {team: b}}\n  plain: {}\n",
        );
        let env = environment("staging", &v, vec![]);
        let api = &env.services[0];
        let hpa = api.autoscaling.as_ref().expect("inherited autoscaling");
        assert_eq!(
            (hpa.min_replicas, hpa.max_replicas, hpa.cpu_utilization),
            (1, 9, Some(70))
        );
        assert_eq!(api.replicas, None);
        assert_eq!(
            api.disruption_budget,
            Some(DisruptionBudget::MinAvailable(IntOrPercent::Count(1)))
        );
        let claim = api.persistence.as_ref().expect("persistence");
        assert_eq!(
            (claim.size.as_str(), claim.mount_path.as_str()),
            ("5Gi", "/data")
        );
        assert_eq!(claim.storage_class_name.as_deref(), Some("fast"));
        assert_eq!(
            claim.labels,
            BTreeMap::from([
                ("backup".to_owned(), "daily".to_owned()),
                ("tier".to_owned(), "silver".to_owned())
            ])
        );
        assert_eq!(claim.annotations.len(), 1);
        let metrics = api.metrics.as_ref().expect("metrics");
        assert_eq!(metrics.interval, "30s");
        assert_eq!(metrics.scrape_timeout.as_deref(), Some("20s"));
        assert_eq!(
            metrics.labels,
            BTreeMap::from([
                ("release".to_owned(), "prom".to_owned()),
                ("team".to_owned(), "b".to_owned())
            ])
        );
        // A service that says nothing takes every default, `enabled` included, except
        // persistence, which `global` does not switch on.
        let plain = &env.services[1];
        assert_eq!(plain.autoscaling.as_ref().map(|a| a.max_replicas), Some(6));
        assert!(plain.disruption_budget.is_some());
        assert!(plain.persistence.is_none());
        assert_eq!(
            plain.metrics.as_ref().map(|m| m.interval.as_str()),
            Some("1m")
        );
    }

    #[test]
    fn global_defaults_skip_what_they_do_not_apply_to() {
        let v = values(
            "global:\n  autoscaling: {enabled: true, maxReplicas: 4}\n  disruptionBudget: {enabled: true}\n  persistence: {enabled: true, size: 1Gi, mountPath: /data}\n  metrics: {enabled: true}\nservices:\n  migrate: {kind: Job}\n  nightly: {kind: CronJob, cronJob: {schedule: '0 3 * * *'}}\n  queue: {worker: true}\n  off: {autoscaling: {enabled: false}, metrics: {enabled: false}, persistence: {enabled: false}}\n",
        );
        let env = environment("staging", &v, vec![]);
        let by_name = |name: &str| {
            env.services
                .iter()
                .find(|s| s.name == name)
                .expect("service")
        };
        for name in ["migrate", "nightly"] {
            let job = by_name(name);
            assert!(job.autoscaling.is_none(), "{name}");
            assert!(job.disruption_budget.is_none(), "{name}");
            assert!(job.persistence.is_none(), "{name}");
            assert!(job.metrics.is_none(), "{name}");
        }
        // A worker scales and keeps data like any Deployment, but is not scraped.
        let queue = by_name("queue");
        assert!(queue.autoscaling.is_some());
        assert!(queue.persistence.is_some());
        assert!(queue.metrics.is_none());
        let off = by_name("off");
        assert!(off.autoscaling.is_none());
        assert!(off.metrics.is_none());
        assert!(off.persistence.is_none());
        assert!(off.disruption_budget.is_some());
    }

    #[test]
    fn metrics_of_global_alone_are_off_unless_enabled() {
        let v = values(
            "global:\n  metrics: {labels: {release: prom}}\nservices:\n  api: {}\n  web: {metrics: {path: /stats}}\n",
        );
        let env = environment("staging", &v, vec![]);
        assert!(env.services[0].metrics.is_none());
        let web = env.services[1].metrics.as_ref().expect("declared metrics");
        assert_eq!(web.path, "/stats");
        assert_eq!(web.labels.get("release").map(String::as_str), Some("prom"));
        let v = values(
            "global:\n  metrics: {enabled: false}\nservices:\n  web: {metrics: {path: /stats}}\n",
        );
        let env = environment("staging", &v, vec![]);
        assert!(env.services[0].metrics.is_none());
    }

    #[test]
    fn custom_metrics_replace_the_default_cpu_target() {
        let v = values(
            "services:\n  api:\n    autoscaling:\n      enabled: true\n      maxReplicas: 5\n      metrics: [{type: Pods, name: sessions, averageValue: '10'}]\n",
        );
        let env = environment("staging", &v, vec![]);
        let hpa = env.services[0].autoscaling.as_ref().expect("hpa");
        assert_eq!((hpa.cpu_utilization, hpa.memory_utilization), (None, None));
        assert_eq!(hpa.metrics.len(), 1);
    }

    #[test]
    fn disabled_services_are_left_out() {
        let v = values("services:\n  a: {enabled: false}\n  b: {}\n");
        let env = environment("staging", &v, vec![]);
        assert_eq!(
            env.services
                .iter()
                .map(|s| s.name.as_str())
                .collect::<Vec<_>>(),
            ["b"]
        );
    }
}
