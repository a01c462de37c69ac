//! The YAML users write: serde and schemars types for every file in `environments/`.
//!
//! Every file (the shared `stack.yaml` and each environment file) has this one shape,
//! [`Values`], with every field optional, so that the editor schema never reports a
//! false error on a partial environment file. Layering (see `merge`) combines them;
//! what must be present after layering is checked by `validate`, and by the schema on
//! the layered tree: a field the schema requires in a mapping may come from either
//! file (fields of list items may not, since lists replace whole), so such fields are
//! `#[serde(default)]` for the types and `#[schemars(required)]` for the schema.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// One spec file: the shared stack file, or an environment's differences from it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(
    title = "mcpstack spec file",
    extend("$id" = "https://mcpstack.dev/schema/values.schema.json")
)]
pub struct Values {
    /// The tier of this environment; required in every environment file, not set in
    /// `stack.yaml`. Production refuses mutable image tags.
    pub tier: Option<Tier>,
    /// The last day a review environment is wanted (`YYYY-MM-DD`, UTC): from the next
    /// day on `check` warns about it and `mcpstack review prune` deletes its file. Only
    /// in `tier: review` environment files; `review add --ttl` writes it.
    #[schemars(
        regex(pattern = r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"),
        extend("examples" = ["2026-12-31"])
    )]
    pub expires: Option<String>,
    /// Name of the stack, used in the `app.kubernetes.io/part-of` and `instance` labels.
    #[schemars(extend("default" = "mcp-stack", "examples" = ["mcp-stack"]))]
    pub name: Option<String>,
    /// Settings every service inherits unless it overrides them.
    pub global: Option<Global>,
    /// The stack's first-party workloads, by name. The name becomes the Kubernetes object
    /// name and must be a DNS label. Environment files may only change services defined
    /// in `stack.yaml`.
    pub services: Option<BTreeMap<String, Service>>,
    /// Components installed from Helm charts, by name, as Flux HelmReleases. The name
    /// becomes the release and object name and must be a DNS label. Environment files
    /// may only change charts defined in `stack.yaml`.
    pub charts: Option<BTreeMap<String, Chart>>,
    /// Kubernetes Secrets synced from the secret store (`global.secretStore`) by the
    /// External Secrets Operator, by Secret name. Services use them through
    /// `secretKeyRef` or `envFrom`, charts through `valuesFrom` or their
    /// `existingSecret` settings; several may share one.
    pub secrets: Option<BTreeMap<String, ExternalSecret>>,
    /// ConfigMaps the stack declares, by name: settings as data, from literal values
    /// or from files kept beside the specs. Services use them through `envFrom`,
    /// `configMapKeyRef` or `mounts`; a change of content rolls the pods that use one.
    pub config_maps: Option<BTreeMap<String, ConfigMap>>,
}

/// Environment tier.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Tier {
    Staging,
    Production,
    Review,
}

impl Tier {
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Staging => "staging",
            Tier::Production => "production",
            Tier::Review => "review",
        }
    }
}

/// Global defaults.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Global {
    /// Base domain of the environment's hostnames.
    #[schemars(extend("examples" = ["example.com"]))]
    pub domain: Option<String>,
    /// Namespace every object of the environment is placed in. Default: `mcp-{env}`.
    #[schemars(extend("examples" = ["mcp-production"]))]
    pub namespace: Option<String>,
    /// Hostname pattern for exposed services. Placeholders: `{service}`, `{env}`,
    /// `{domain}`. Default: `mcp-{service}.{domain}` in production and
    /// `mcp-{service}.{env}.{domain}` elsewhere.
    #[schemars(extend("examples" = ["mcp-{service}.{env}.{domain}"]))]
    pub host_pattern: Option<String>,
    /// Default image settings.
    pub image: Option<GlobalImage>,
    /// Default container port of every service.
    #[schemars(range(min = 1, max = 65535), extend("default" = 8080))]
    pub port: Option<i64>,
    /// Default resources of every container.
    pub resources: Option<Resources>,
    /// Default probes of every container.
    pub probes: Option<Probes>,
    /// Default ingress settings.
    pub ingress: Option<GlobalIngress>,
    /// How exposed services are routed: an Ingress (any class) or a Gateway API
    /// HTTPRoute. Default: `ingress`.
    pub routing: Option<Routing>,
    /// The Gateway that HTTPRoutes attach to, when routing is `gateway-api`.
    pub gateway: Option<GatewayRef>,
    /// Registries production images may come from (`ghcr.io`, `docker.io`, ...). Required
    /// in production; an image from any other registry is refused there.
    #[schemars(extend("examples" = [["ghcr.io", "docker.io"]]))]
    pub allowed_registries: Option<Vec<String>>,
    /// Network policies of the environment.
    pub network: Option<NetworkSettings>,
    /// Where `secrets` come from: the default store of every secret that names no
    /// `store`.
    pub secret_store: Option<SecretStore>,
    /// More secret stores, by name, for secrets that name one with `store` (e.g. another
    /// Infisical environment, or a store that already exists in the cluster).
    pub secret_stores: Option<BTreeMap<String, SecretStore>>,
    /// Rules on how secret stores authenticate.
    pub secret_policy: Option<SecretPolicy>,
    /// How Flux reconciles this environment's units.
    pub flux: Option<FluxSettings>,
    /// Autoscaling defaults of every Deployment and StatefulSet; a service's own
    /// `autoscaling` fields win.
    pub autoscaling: Option<Autoscaling>,
    /// Disruption budget defaults of every Deployment and StatefulSet; a service's own
    /// `disruptionBudget` fields win.
    pub disruption_budget: Option<DisruptionBudget>,
    /// Persistence defaults (size, storage class, access modes, claim labels and
    /// annotations) of every service that enables `persistence`; `enabled` here turns
    /// it on for every Deployment and StatefulSet.
    pub persistence: Option<Persistence>,
    /// ServiceMonitor defaults (labels such as kube-prometheus-stack's `release`,
    /// interval, scrape timeout) of every service with `metrics`.
    pub metrics: Option<Metrics>,
}

/// How exposed services are routed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Routing {
    /// A `networking.k8s.io/v1` Ingress.
    Ingress,
    /// A `gateway.networking.k8s.io/v1` HTTPRoute attached to `global.gateway`.
    GatewayApi,
}

/// A Gateway that HTTPRoutes attach to (their `parentRefs`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct GatewayRef {
    /// Gateway name.
    #[schemars(extend("examples" = ["public"]))]
    pub name: Option<String>,
    /// Gateway namespace; default: the route's own.
    #[schemars(extend("examples" = ["gateway-system"]))]
    pub namespace: Option<String>,
    /// Listener to attach to, e.g. the HTTPS listener that terminates TLS.
    #[schemars(extend("examples" = ["https"]))]
    pub section_name: Option<String>,
}

/// Default image settings.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct GlobalImage {
    /// Registry prepended to every service image that names none.
    #[schemars(extend("examples" = ["ghcr.io"]))]
    pub registry: Option<String>,
    /// Default pull policy.
    pub pull_policy: Option<PullPolicy>,
    /// Names of Secrets holding registry credentials, for every pod.
    pub pull_secrets: Option<Vec<String>>,
}

/// Image pull policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum PullPolicy {
    Always,
    IfNotPresent,
    Never,
}

/// Default ingress settings.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct GlobalIngress {
    /// IngressClass name.
    #[schemars(extend("examples" = ["nginx"]))]
    pub class_name: Option<String>,
    /// Default TLS settings of every ingress.
    pub tls: Option<Tls>,
    /// Annotations added to every ingress.
    pub annotations: Option<BTreeMap<String, String>>,
}

/// TLS for an ingress: a certificate issued by cert-manager into a Secret.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Tls {
    /// Serve the host over TLS.
    #[schemars(extend("default" = true))]
    pub enabled: Option<bool>,
    /// cert-manager ClusterIssuer that issues the certificate
    /// (`cert-manager.io/cluster-issuer` annotation).
    #[schemars(extend("examples" = ["letsencrypt-prod"]))]
    pub cluster_issuer: Option<String>,
    /// Secret holding the certificate. Default: `{service}-tls`; on a host several
    /// Ingresses share, the default of the one serving the shortest path (ties: the
    /// first service by name), and only that one Ingress carries the cert-manager
    /// issuer annotation for the secret the host's Ingresses share.
    pub secret_name: Option<String>,
}

/// Flux reconciliation settings for the environment's Kustomizations.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct FluxSettings {
    /// How often Flux reconciles each unit.
    #[schemars(regex(pattern = r"^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$"), extend("default" = "10m"))]
    pub interval: Option<String>,
    /// How long Flux waits for a unit's objects to become ready.
    #[schemars(regex(pattern = r"^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$"), extend("default" = "5m"))]
    pub timeout: Option<String>,
    /// Delete objects that disappear from the output.
    #[schemars(extend("default" = true))]
    pub prune: Option<bool>,
    /// Wait for every object of a unit to be ready before the unit counts as ready.
    #[schemars(extend("default" = true))]
    pub wait: Option<bool>,
    /// Name of the Flux GitRepository holding this repository (in `sourceNamespace`).
    #[schemars(extend("default" = "flux-system"))]
    pub source: Option<String>,
    /// Namespace of that GitRepository. Written into each Kustomization's `sourceRef`
    /// only when it differs from `namespace`.
    #[schemars(
        regex(pattern = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"),
        length(max = 63),
        extend("default" = "flux-system")
    )]
    pub source_namespace: Option<String>,
    /// Namespace the environment's Flux Kustomizations live in.
    #[schemars(
        regex(pattern = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"),
        length(max = 63),
        extend("default" = "flux-system")
    )]
    pub namespace: Option<String>,
    /// Prepended to the name of every Flux Kustomization (`{prefix}{env}-{unit}`), so
    /// that two stacks can share a cluster's Flux namespace. Counts towards the
    /// 63-character limit of the names.
    #[schemars(
        regex(pattern = r"^([a-z0-9][-a-z0-9]*)?$"),
        extend("default" = ""),
        extend("examples" = ["shop-"])
    )]
    pub prefix: Option<String>,
    /// Flux Kustomizations (in `namespace`, named as they are, without `prefix`) that
    /// every environment's namespace unit waits for: the cluster's infrastructure, such
    /// as the controllers and CRDs the stack needs.
    #[schemars(extend("examples" = [["infrastructure"]]))]
    pub depends_on: Option<Vec<String>>,
    /// Path of the `generated/` folder inside that repository.
    #[schemars(extend("default" = "./generated"))]
    pub path: Option<String>,
}

/// One first-party workload.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Service {
    /// Deploy this service in the environment.
    #[schemars(extend("default" = true))]
    pub enabled: Option<bool>,
    /// Role of the service (`app.kubernetes.io/component`).
    #[schemars(extend("examples" = ["gateway", "mcp-server", "database", "cache"]))]
    pub component: Option<String>,
    /// Services this one needs running first; Flux applies it after them. A `Job`
    /// named here must complete first.
    pub depends_on: Option<Vec<String>>,
    /// The workload that runs the pods: a `Deployment`, a `StatefulSet` (a claim per
    /// pod from `persistence`, stable pod names behind a headless Service), a `Job`
    /// (run to completion once per content: its name carries a hash of it, and the
    /// services that depend on it start after it completed), or a `CronJob` (run on
    /// `cronJob.schedule`). Jobs and CronJobs listen on no port.
    #[schemars(extend("default" = "Deployment"))]
    pub kind: Option<WorkloadKind>,
    /// A background worker that listens on no port: no container port, no Service,
    /// route or ServiceMonitor, probes only by `exec`, and its network policy admits no
    /// ingress.
    #[schemars(extend("default" = false))]
    pub worker: Option<bool>,
    /// Settings of a `Job`, or of each job a `CronJob` starts.
    pub job: Option<JobSettings>,
    /// Schedule and history of a `CronJob`.
    pub cron_job: Option<CronJobSettings>,
    /// Settings of a `StatefulSet`.
    pub stateful_set: Option<StatefulSetSettings>,
    /// Containers run to completion, in order, before the main container starts (e.g.
    /// wait for the database), by container name. Each runs restricted, with its own
    /// image (pinned by digest in production), resources, env and mounts.
    pub init_containers: Option<Containers>,
    /// Containers that run beside the main container for the pod's whole life (native
    /// sidecars: init containers with `restartPolicy: Always`, started before the
    /// `initContainers`, so those may use them), by container name.
    pub sidecars: Option<Containers>,
    /// ConfigMaps and Secrets mounted read-only as files into the main container.
    pub mounts: Option<Vec<Mount>>,
    /// Container image.
    pub image: Option<Image>,
    /// Container port. Default: `global.port`.
    #[schemars(range(min = 1, max = 65535))]
    pub port: Option<i64>,
    /// Pod replicas when autoscaling is off.
    #[schemars(range(min = 0), extend("default" = 1))]
    pub replicas: Option<i64>,
    /// Container entrypoint.
    pub command: Option<Vec<String>>,
    /// Container arguments.
    pub args: Option<Vec<String>>,
    /// Environment variables: a literal string, or a reference to a Secret or ConfigMap
    /// key.
    pub env: Option<EnvVars>,
    /// Secrets and ConfigMaps whose keys all become environment variables.
    pub env_from: Option<Vec<EnvFrom>>,
    /// Health checks.
    pub probes: Option<Probes>,
    /// CPU and memory requests and limits.
    pub resources: Option<Resources>,
    /// Horizontal pod autoscaling.
    pub autoscaling: Option<Autoscaling>,
    /// PodDisruptionBudget.
    pub disruption_budget: Option<DisruptionBudget>,
    /// A PersistentVolumeClaim mounted into the container.
    pub persistence: Option<Persistence>,
    /// The Kubernetes Service in front of the pods.
    pub service: Option<ServicePort>,
    /// Exposure through an Ingress.
    pub ingress: Option<Ingress>,
    /// The pod's ServiceAccount.
    pub service_account: Option<ServiceAccount>,
    /// Node labels the pods must run on.
    pub node_selector: Option<BTreeMap<String, String>>,
    /// Taints the pods tolerate.
    pub tolerations: Option<Vec<Toleration>>,
    /// Kubernetes affinity of the pods, passed through as written
    /// (`nodeAffinity`, `podAffinity`, `podAntiAffinity`).
    pub affinity: Option<Affinity>,
    /// Spread of the pods across topology domains; the label selector is filled in with
    /// the service's own pod labels.
    pub topology_spread: Option<Vec<TopologySpread>>,
    /// Services and charts this one opens connections to, allowed through the
    /// network policies.
    pub connects_to: Option<Vec<Connection>>,
    /// Destinations outside the stack this service may reach.
    pub egress: Option<Vec<Egress>>,
    /// Prometheus metrics the service exposes, scraped through a ServiceMonitor.
    pub metrics: Option<Metrics>,
    /// Paths the container may write to (emptyDir volumes); the rest of its root
    /// filesystem is read-only.
    #[schemars(extend("examples" = [["/tmp"]]))]
    pub writable_paths: Option<Vec<String>>,
    /// Loosening of the restricted security defaults, for images that need it.
    pub security: Option<Security>,
    /// Kubernetes API access: the rules the service needs, granted through a Role (or a
    /// ClusterRole) bound to its ServiceAccount, whose token is then mounted.
    pub api_access: Option<ApiAccess>,
    /// Extra labels on the pods.
    pub pod_labels: Option<BTreeMap<String, String>>,
    /// Extra annotations on the pods.
    pub pod_annotations: Option<BTreeMap<String, String>>,
}

/// Container image. The reference is `registry/repository:tag`, or
/// `registry/repository@digest` when a digest is set.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Image {
    /// Registry host. Default: `global.image.registry`; none when the repository
    /// already names one.
    #[schemars(extend("examples" = ["ghcr.io"]))]
    pub registry: Option<String>,
    /// Repository path.
    #[schemars(extend("examples" = ["ibm/mcp-context-forge"]))]
    pub repository: Option<String>,
    /// Tag. Refused in production without a digest; `latest` is warned about elsewhere.
    #[schemars(extend("examples" = ["0.9.0"]))]
    pub tag: Option<String>,
    /// Content digest, `sha256:` and 64 lowercase hex digits. Required in production.
    #[schemars(
        regex(pattern = r"^sha256:[0-9a-f]{64}$"),
        extend("examples" = ["sha256:4c5f2b1e3d8a9f7c6b5a4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b"])
    )]
    pub digest: Option<String>,
    /// Pull policy. Default: `global.image.pullPolicy`, else `IfNotPresent`.
    pub pull_policy: Option<PullPolicy>,
}

/// Environment variables by name, in the order they were written (after layering:
/// the stack file's first, then those an environment file adds). Kubernetes expands
/// `$(VAR)` only from variables defined earlier in the list, so the order is kept.
pub type EnvVars = InOrder<EnvValue>;

/// An environment variable's value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum EnvValue {
    /// A literal value (quote numbers and booleans).
    Literal(String),
    /// A key of a Secret or ConfigMap.
    Reference(EnvReference),
}

/// A reference to one key of a Secret or ConfigMap; set exactly one of the two.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct EnvReference {
    /// Key of a Secret.
    pub secret_key_ref: Option<KeyRef>,
    /// Key of a ConfigMap.
    pub config_map_key_ref: Option<KeyRef>,
}

/// A key of a named Secret or ConfigMap.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(transform = |s: &mut schemars::Schema| required_after_layering(s, &["name", "key"]))]
pub struct KeyRef {
    /// Object name.
    #[serde(default)]
    pub name: String,
    /// Key within it.
    #[serde(default)]
    pub key: String,
    /// Start the container even when the key is missing.
    pub optional: Option<bool>,
}

/// A Secret or ConfigMap whose keys all become environment variables; set exactly one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct EnvFrom {
    /// Secret name.
    pub secret_ref: Option<String>,
    /// ConfigMap name.
    pub config_map_ref: Option<String>,
    /// Prefix added to every variable name.
    pub prefix: Option<String>,
}

/// Liveness, readiness and startup probes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Probes {
    /// Restart the container when this fails.
    pub liveness: Option<Probe>,
    /// Take the pod out of the Service while this fails.
    pub readiness: Option<Probe>,
    /// Hold the other probes until this succeeds once (slow starters).
    pub startup: Option<Probe>,
}

/// One probe: set exactly one of `httpGet`, `tcpSocket` and `exec`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Probe {
    /// Run this probe.
    #[schemars(extend("default" = true))]
    pub enabled: Option<bool>,
    /// HTTP GET against the container.
    pub http_get: Option<HttpGet>,
    /// TCP connect to the container.
    pub tcp_socket: Option<TcpSocket>,
    /// Command run in the container.
    pub exec: Option<Exec>,
    /// Seconds after start before the first probe.
    #[schemars(range(min = 0))]
    pub initial_delay_seconds: Option<i64>,
    /// Seconds between probes.
    #[schemars(range(min = 1))]
    pub period_seconds: Option<i64>,
    /// Seconds before a probe times out.
    #[schemars(range(min = 1))]
    pub timeout_seconds: Option<i64>,
    /// Failures in a row that count as failed.
    #[schemars(range(min = 1))]
    pub failure_threshold: Option<i64>,
    /// Successes in a row that count as succeeded.
    #[schemars(range(min = 1))]
    pub success_threshold: Option<i64>,
}

/// HTTP GET probe.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct HttpGet {
    /// Request path.
    #[schemars(extend("examples" = ["/health"]))]
    pub path: Option<String>,
    /// Port; default: the container port.
    #[schemars(range(min = 1, max = 65535))]
    pub port: Option<i64>,
}

/// TCP probe.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TcpSocket {
    /// Port; default: the container port.
    #[schemars(range(min = 1, max = 65535))]
    pub port: Option<i64>,
}

/// Command probe.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(transform = |s: &mut schemars::Schema| required_after_layering(s, &["command"]))]
pub struct Exec {
    /// Command and arguments.
    #[serde(default)]
    #[schemars(extend("examples" = [["cat", "/tmp/healthy"]]))]
    pub command: Vec<String>,
}

/// CPU and memory requests and limits.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Resources {
    /// What the scheduler reserves.
    pub requests: Option<ResourceList>,
    /// The most the container may use.
    pub limits: Option<ResourceList>,
}

/// CPU and memory quantities.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ResourceList {
    /// CPU, e.g. `250m` or `1`.
    #[schemars(regex(pattern = r"^([0-9]+m|[0-9]+(\.[0-9]+)?)$"), extend("examples" = ["250m"]))]
    pub cpu: Option<String>,
    /// Memory, e.g. `512Mi`.
    #[schemars(
        regex(pattern = r"^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$"),
        extend("examples" = ["512Mi"])
    )]
    pub memory: Option<String>,
}

/// Horizontal pod autoscaling. With it on, the Deployment carries no replica count.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Autoscaling {
    /// Scale the Deployment with a HorizontalPodAutoscaler.
    #[schemars(extend("default" = false))]
    pub enabled: Option<bool>,
    /// Fewest replicas.
    #[schemars(range(min = 1), extend("default" = 1))]
    pub min_replicas: Option<i64>,
    /// Most replicas.
    #[schemars(range(min = 1))]
    pub max_replicas: Option<i64>,
    /// Target average CPU utilization, percent of requests. Default when neither target
    /// nor any of `metrics` is set: 80.
    #[serde(rename = "targetCPUUtilizationPercentage")]
    #[schemars(range(min = 1, max = 1000))]
    pub target_cpu_utilization_percentage: Option<i64>,
    /// Target average memory utilization, percent of requests.
    #[schemars(range(min = 1, max = 1000))]
    pub target_memory_utilization_percentage: Option<i64>,
    /// Scaling behavior.
    pub behavior: Option<ScalingBehavior>,
    /// Metrics beyond CPU and memory: per-pod metrics (`Pods`) and metrics of objects
    /// outside the cluster (`External`), served by a metrics adapter.
    pub metrics: Option<Vec<ScalingMetric>>,
}

/// A custom autoscaling metric.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ScalingMetric {
    /// `Pods`: the average over the pods of a metric each pod reports; `External`: a
    /// metric from outside the cluster, such as a queue's length.
    #[serde(rename = "type")]
    pub kind: ScalingMetricType,
    /// Metric name.
    #[schemars(extend("examples" = ["mcp_sessions_active"]))]
    pub name: String,
    /// Labels selecting among the metric's series.
    pub selector: Option<BTreeMap<String, String>>,
    /// Target average value per pod, a quantity such as `100` or `500m`.
    #[schemars(regex(pattern = r"^[0-9]+(\.[0-9]+)?(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$"))]
    pub average_value: Option<String>,
    /// `External` only: target total value, a quantity.
    #[schemars(regex(pattern = r"^[0-9]+(\.[0-9]+)?(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$"))]
    pub value: Option<String>,
}

/// Source of a custom autoscaling metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum ScalingMetricType {
    Pods,
    External,
}

/// How fast the autoscaler scales up and down.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ScalingBehavior {
    /// Scaling up.
    pub scale_up: Option<ScalingRules>,
    /// Scaling down.
    pub scale_down: Option<ScalingRules>,
}

/// Scaling rules for one direction.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ScalingRules {
    /// Seconds of past recommendations considered.
    #[schemars(range(min = 0, max = 3600))]
    pub stabilization_window_seconds: Option<i64>,
    /// Which policy wins.
    pub select_policy: Option<SelectPolicy>,
    /// Scaling policies.
    pub policies: Option<Vec<ScalingPolicy>>,
}

/// Which scaling policy wins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum SelectPolicy {
    Max,
    Min,
    Disabled,
}

/// One scaling policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ScalingPolicy {
    /// `Pods` or `Percent`.
    #[serde(rename = "type")]
    pub kind: ScalingPolicyType,
    /// Pods or percent per period.
    #[schemars(range(min = 1))]
    pub value: i64,
    /// Period length in seconds.
    #[schemars(range(min = 1, max = 1800))]
    pub period_seconds: i64,
}

/// Unit of a scaling policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum ScalingPolicyType {
    Pods,
    Percent,
}

/// PodDisruptionBudget; set at most one of `minAvailable` and `maxUnavailable`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct DisruptionBudget {
    /// Create a PodDisruptionBudget.
    #[schemars(extend("default" = false))]
    pub enabled: Option<bool>,
    /// Pods that must stay available, a count or a percentage such as `50%`.
    pub min_available: Option<IntOrPercent>,
    /// Pods that may be down, a count or a percentage. Default when neither is set: 1.
    pub max_unavailable: Option<IntOrPercent>,
}

/// A count or a percentage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum IntOrPercent {
    /// A count.
    Count(#[schemars(range(min = 0))] i64),
    /// A percentage such as `50%`.
    Percent(#[schemars(regex(pattern = r"^[0-9]{1,3}%$"))] String),
}

/// A PersistentVolumeClaim mounted into the container.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Persistence {
    /// Create and mount the claim.
    #[schemars(extend("default" = false))]
    pub enabled: Option<bool>,
    /// Requested size.
    #[schemars(
        regex(pattern = r"^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$"),
        extend("examples" = ["10Gi"])
    )]
    pub size: Option<String>,
    /// StorageClass; default: the cluster's default class.
    pub storage_class_name: Option<String>,
    /// Access modes. Default: `[ReadWriteOnce]`.
    pub access_modes: Option<Vec<AccessMode>>,
    /// Where the volume is mounted in the container.
    #[schemars(extend("examples" = ["/data"]))]
    pub mount_path: Option<String>,
    /// Labels on the claim (backup tools select claims by them).
    pub labels: Option<BTreeMap<String, String>>,
    /// Annotations on the claim, e.g. `backup.velero.io/backup-volumes`.
    pub annotations: Option<BTreeMap<String, String>>,
}

/// Volume access mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum AccessMode {
    ReadWriteOnce,
    ReadOnlyMany,
    ReadWriteMany,
    ReadWriteOncePod,
}

/// The Kubernetes Service in front of the pods.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ServicePort {
    /// Service type.
    #[serde(rename = "type")]
    pub kind: Option<ServiceType>,
    /// Port the Service listens on. Default: the container port.
    #[schemars(range(min = 1, max = 65535))]
    pub port: Option<i64>,
    /// Container port the Service forwards to. Default: the container port.
    #[schemars(range(min = 1, max = 65535))]
    pub target_port: Option<i64>,
}

/// Service type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum ServiceType {
    ClusterIP,
    NodePort,
    LoadBalancer,
}

/// Exposure through an Ingress.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Ingress {
    /// Create an Ingress.
    #[schemars(extend("default" = false))]
    pub enabled: Option<bool>,
    /// Hostname; default: from `global.hostPattern`.
    #[schemars(extend("examples" = ["mcp.example.com"]))]
    pub host: Option<String>,
    /// Request path.
    #[schemars(extend("default" = "/"))]
    pub path: Option<String>,
    /// How the path matches.
    pub path_type: Option<PathType>,
    /// IngressClass; default: `global.ingress.className`.
    pub class_name: Option<String>,
    /// Extra annotations.
    pub annotations: Option<BTreeMap<String, String>>,
    /// TLS; default: `global.ingress.tls`.
    pub tls: Option<Tls>,
    /// The service streams Server-Sent Events or streamable HTTP. With an Ingress:
    /// proxy buffering off, hour-long reads and sends, HTTP/1.1 to the pods. With a
    /// Gateway API route: no request timeout (`timeouts.request: 0s`).
    #[schemars(extend("default" = false))]
    pub sse: Option<bool>,
    /// The service takes WebSocket connections. With an Ingress: hour-long reads and
    /// sends and HTTP/1.1 to the pods, so ingress-nginx keeps idle sockets open. With a
    /// Gateway API route: no request timeout (`timeouts.request: 0s`), like `sse`.
    #[schemars(extend("default" = false))]
    pub websocket: Option<bool>,
    /// Strip `path` from requests before they reach the service, for a backend that
    /// serves at `/` (e.g. `path: /fast-time` sends `/fast-time/sse` on as `/sse`).
    /// With an Ingress: ingress-nginx's `rewrite-target` with a regular-expression
    /// path; with a Gateway API route: a `URLRewrite` filter replacing the prefix with
    /// `/`. Needs a `Prefix` path other than `/` made of letters, digits, `/`, `-`
    /// and `_`. Note that ingress-nginx then reads every path of the host as a
    /// case-insensitive regular expression.
    #[schemars(extend("default" = false))]
    pub strip_prefix: Option<bool>,
    /// Routing of this service; default: `global.routing`.
    pub routing: Option<Routing>,
    /// Gateway API only: the HTTPRoute's request timeout, e.g. `30s`; `0s` means none.
    /// Default: `0s` for `sse` and `websocket` services, the gateway's own default
    /// otherwise.
    #[schemars(regex(pattern = r"^([0-9]{1,5}(h|m|s|ms)){1,4}$"))]
    pub request_timeout: Option<String>,
}

/// Ingress path matching.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum PathType {
    Prefix,
    Exact,
    ImplementationSpecific,
}

/// The pod's ServiceAccount.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ServiceAccount {
    /// Create a ServiceAccount for the service.
    #[schemars(extend("default" = true))]
    pub create: Option<bool>,
    /// Name; default: the service name.
    pub name: Option<String>,
    /// Annotations, e.g. for cloud workload identity.
    pub annotations: Option<BTreeMap<String, String>>,
}

/// A taint toleration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Toleration {
    /// Taint key; empty with `Exists` matches every taint.
    pub key: Option<String>,
    /// `Equal` or `Exists`.
    pub operator: Option<TolerationOperator>,
    /// Taint value.
    pub value: Option<String>,
    /// Taint effect.
    pub effect: Option<TaintEffect>,
    /// Seconds a `NoExecute` taint is tolerated.
    pub toleration_seconds: Option<i64>,
}

/// Toleration operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum TolerationOperator {
    Equal,
    Exists,
}

/// Taint effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum TaintEffect {
    NoSchedule,
    PreferNoSchedule,
    NoExecute,
}

/// Kubernetes affinity, passed through as written.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Affinity {
    /// Kubernetes `NodeAffinity`.
    pub node_affinity: Option<serde_json::Map<String, serde_json::Value>>,
    /// Kubernetes `PodAffinity`.
    pub pod_affinity: Option<serde_json::Map<String, serde_json::Value>>,
    /// Kubernetes `PodAntiAffinity`.
    pub pod_anti_affinity: Option<serde_json::Map<String, serde_json::Value>>,
}

/// One topology spread constraint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TopologySpread {
    /// Node label naming the domain, e.g. `topology.kubernetes.io/zone`.
    pub topology_key: String,
    /// Largest allowed difference in pod count between domains.
    #[schemars(range(min = 1), extend("default" = 1))]
    pub max_skew: Option<i64>,
    /// What to do when the spread cannot be met.
    pub when_unsatisfiable: Option<WhenUnsatisfiable>,
}

/// What to do when a spread constraint cannot be met.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum WhenUnsatisfiable {
    DoNotSchedule,
    ScheduleAnyway,
}

/// A component installed from a Helm chart, as a Flux HelmRelease.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Chart {
    /// Install this chart in the environment.
    #[schemars(extend("default" = true))]
    pub enabled: Option<bool>,
    /// Role of the component (`app.kubernetes.io/component` on the Flux objects).
    #[schemars(extend("examples" = ["database", "cache", "mcp-server"]))]
    pub component: Option<String>,
    /// Where the chart comes from: an `oci://` registry path or an `https://` Helm
    /// repository.
    #[schemars(extend("examples" = ["oci://registry-1.docker.io/bitnamicharts", "https://giantswarm.github.io/helm-charts"]))]
    pub repository: Option<String>,
    /// Chart name within the repository.
    #[schemars(extend("examples" = ["postgresql"]))]
    pub chart: Option<String>,
    /// Chart version: an exact version such as `16.4.5`; a semver range such as
    /// `16.x` or `>=16.0.0 <17.0.0` is refused in production.
    #[schemars(extend("examples" = ["16.4.5"]))]
    pub version: Option<String>,
    /// Helm values.
    pub values: Option<serde_json::Map<String, serde_json::Value>>,
    /// Values read from Secrets or ConfigMaps, merged over `values`.
    pub values_from: Option<Vec<ValuesFrom>>,
    /// Charts or services this one needs running first; Flux applies it after them.
    pub depends_on: Option<Vec<String>>,
    /// Namespace the chart's objects are installed into; default: the environment's.
    pub target_namespace: Option<String>,
    /// How often Flux reconciles the release. Default: `global.flux.interval`.
    #[schemars(regex(pattern = r"^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$"))]
    pub interval: Option<String>,
    /// How long Helm may take to install or upgrade. Default: `5m`.
    #[schemars(regex(pattern = r"^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$"))]
    pub timeout: Option<String>,
    /// Retries when an install fails. Default: 3.
    #[schemars(range(min = 0, max = 100))]
    pub install_retries: Option<i64>,
    /// Retries when an upgrade fails, rolling back between tries. Default: 3.
    #[schemars(range(min = 0, max = 100))]
    pub upgrade_retries: Option<i64>,
    /// Images the chart runs, by the name the chart renders (`docker.io/bitnami/redis`),
    /// pinned per environment by Flux's post-renderer whatever the chart's values look
    /// like. Production requires a digest for every one.
    pub images: Option<BTreeMap<String, ChartImage>>,
    /// The chart's hostname, computed like a service's and written into its values.
    pub hostname: Option<ChartHostname>,
    /// Services and charts the chart's pods open connections to.
    pub connects_to: Option<Vec<Connection>>,
    /// Destinations outside the stack the chart's pods may reach.
    pub egress: Option<Vec<Egress>>,
}

/// One Secret or ConfigMap key whose content becomes Helm values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ValuesFrom {
    /// `Secret` or `ConfigMap`.
    pub kind: ValuesSourceKind,
    /// Object name, in the release's namespace.
    pub name: String,
    /// Key holding the values. Default: `values.yaml`.
    pub values_key: Option<String>,
    /// Put the key's content at this values path instead of merging it at the root.
    pub target_path: Option<String>,
    /// Install even when the object or key is missing.
    pub optional: Option<bool>,
}

/// Kind of a values source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum ValuesSourceKind {
    Secret,
    ConfigMap,
}

/// A chart image pinned per environment.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ChartImage {
    /// Run the image from another repository (a mirror).
    pub new_name: Option<String>,
    /// Run this tag instead of the chart's.
    pub tag: Option<String>,
    /// Content digest, `sha256:` and 64 lowercase hex digits. Required in production.
    #[schemars(regex(pattern = r"^sha256:[0-9a-f]{64}$"))]
    pub digest: Option<String>,
}

/// Where a chart takes its hostname.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(transform = |s: &mut schemars::Schema| required_after_layering(s, &["valuePaths"]))]
pub struct ChartHostname {
    /// Values paths the hostname is written to, e.g. `ingress.hosts[0].host`.
    #[serde(default)]
    #[schemars(extend("examples" = [["ingress.hosts[0].host", "ingress.tls[0].hosts[0]"]]))]
    pub value_paths: Vec<String>,
    /// Hostname; default: from `global.hostPattern` with the chart's name as service.
    pub host: Option<String>,
}

/// Prometheus metrics of a service.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Metrics {
    /// Create a ServiceMonitor (`monitoring.coreos.com/v1`).
    #[schemars(extend("default" = true))]
    pub enabled: Option<bool>,
    /// Port serving metrics; default: the container port.
    #[schemars(range(min = 1, max = 65535))]
    pub port: Option<i64>,
    /// HTTP path of the metrics.
    #[schemars(extend("default" = "/metrics"))]
    pub path: Option<String>,
    /// Scrape interval.
    #[schemars(regex(pattern = r"^[0-9]+(ms|s|m|h)$"), extend("default" = "30s"))]
    pub interval: Option<String>,
    /// How long a scrape may take; at most `interval`.
    #[schemars(regex(pattern = r"^[0-9]+(ms|s|m|h)$"), extend("examples" = ["10s"]))]
    pub scrape_timeout: Option<String>,
    /// Labels on the ServiceMonitor, e.g. the `release` label kube-prometheus-stack's
    /// Prometheus selects ServiceMonitors by.
    #[schemars(extend("examples" = [{"release": "kube-prometheus-stack"}]))]
    pub labels: Option<BTreeMap<String, String>>,
}

/// Loosening of the restricted defaults. Each field is an explicit, reviewed exception.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Security {
    /// Let the container write anywhere in its root filesystem. Default: false (only
    /// `writablePaths` are writable).
    #[schemars(extend("default" = false))]
    pub writable_root_filesystem: Option<bool>,
    /// User ID the container runs as (never 0).
    #[schemars(range(min = 1))]
    pub run_as_user: Option<i64>,
    /// Group ID the container runs as (never 0).
    #[schemars(range(min = 1))]
    pub run_as_group: Option<i64>,
    /// Group that owns mounted volumes (never 0).
    #[schemars(range(min = 1))]
    pub fs_group: Option<i64>,
}

/// Kubernetes API access of a service.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(transform = |s: &mut schemars::Schema| required_after_layering(s, &["rules"]))]
pub struct ApiAccess {
    /// Grant the rules in every namespace (ClusterRole) instead of the environment's
    /// own (Role).
    #[schemars(extend("default" = false))]
    pub cluster_wide: Option<bool>,
    /// RBAC rules.
    #[serde(default)]
    pub rules: Vec<ApiRule>,
}

/// One RBAC rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ApiRule {
    /// API groups (`""` for the core group).
    pub api_groups: Vec<String>,
    /// Resources, e.g. `pods`.
    pub resources: Vec<String>,
    /// Verbs, e.g. `get`, `list`, `watch`.
    pub verbs: Vec<String>,
}

/// Network policies of an environment: every pod denies all traffic but DNS, except
/// what the spec declares.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct NetworkSettings {
    /// Generate network policies.
    #[schemars(extend("default" = true))]
    pub policies: Option<bool>,
    /// Namespace of the ingress controller (or of the Gateway, for Gateway API
    /// routing), allowed to reach exposed services.
    #[schemars(extend("examples" = ["ingress-nginx"]))]
    pub ingress_namespace: Option<String>,
    /// Namespace of Prometheus, allowed to scrape metrics.
    #[schemars(extend("examples" = ["monitoring"]))]
    pub monitoring_namespace: Option<String>,
    /// What enforces the policies: `kubernetes` renders plain NetworkPolicies only;
    /// `cilium` adds a CiliumNetworkPolicy to a unit for the egress plain
    /// NetworkPolicy cannot express (the API server, hostnames).
    #[schemars(extend("default" = "kubernetes"))]
    pub engine: Option<NetworkEngine>,
}

/// The network policy engine of a cluster.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum NetworkEngine {
    /// Plain Kubernetes NetworkPolicy, enforced by any network plugin.
    #[default]
    Kubernetes,
    /// Cilium: NetworkPolicy plus CiliumNetworkPolicy (`cilium.io/v2`) for the API
    /// server and hostnames.
    Cilium,
}

/// A connection a workload opens to a service or chart of the stack.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Connection {
    /// Service or chart name.
    pub to: String,
    /// Port connected to.
    #[schemars(range(min = 1, max = 65535))]
    pub port: i64,
}

/// A destination outside the stack a workload may reach: exactly one kind of
/// destination per entry (an address range `cidr`; pods by `namespace` and/or
/// `podLabels`; the Kubernetes API server `apiServer`; a hostname `host`), and its
/// ports. Beside `apiServer` or `host`, `cidr` is the fallback plain NetworkPolicy
/// uses (the `kubernetes` engine); the `cilium` engine names the destination instead.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Egress {
    /// Address range, e.g. `203.0.113.0/24` or `0.0.0.0/0`; beside `apiServer` or
    /// `host`, the range plain NetworkPolicy opens for them.
    #[schemars(extend("examples" = ["0.0.0.0/0"]))]
    pub cidr: Option<String>,
    /// Ranges within `cidr` that stay closed.
    pub except: Option<Vec<String>>,
    /// Namespace outside the stack whose pods may be reached (selected by its
    /// `kubernetes.io/metadata.name` label); with `podLabels`, only those pods.
    #[schemars(extend("examples" = ["observability"]))]
    pub namespace: Option<String>,
    /// Labels of the pods that may be reached, in `namespace` (or, without it, in the
    /// environment's own namespace).
    #[schemars(extend("examples" = [{"app.kubernetes.io/name": "opentelemetry-collector"}]))]
    pub pod_labels: Option<BTreeMap<String, String>>,
    /// The Kubernetes API server. Plain NetworkPolicy cannot select it: give its
    /// address as `cidr` too, or use `global.network.engine: cilium`
    /// (`toEntities: [kube-apiserver]`).
    #[schemars(extend("examples" = [true]))]
    pub api_server: Option<bool>,
    /// A hostname outside the cluster, exact (`api.github.com`) or every name under a
    /// domain (`*.github.com`). Needs `global.network.engine: cilium` (`toFQDNs`), or a
    /// `cidr` beside it for plain NetworkPolicy.
    #[schemars(extend("examples" = ["api.github.com", "*.googleapis.com"]))]
    pub host: Option<String>,
    /// TCP ports; at least one (a rule without ports would open every port).
    #[schemars(length(min = 1), extend("examples" = [[443]]))]
    pub ports: Vec<i64>,
}

/// The secret store `secrets` are read from: set exactly one provider (a provider
/// section with `enabled: false` does not count, so an environment can switch provider),
/// or `existing: true`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SecretStore {
    /// Name of the store object. Default: `secret-store` for `global.secretStore`, the
    /// entry's name in `global.secretStores`.
    pub name: Option<String>,
    /// Use a `ClusterSecretStore` (shared by namespaces) instead of a `SecretStore` in
    /// the environment's namespace.
    #[schemars(extend("default" = false))]
    pub cluster_wide: Option<bool>,
    /// The store already exists in the cluster (a `SecretStore` in the environment's
    /// namespace, or with `clusterWide` a `ClusterSecretStore`, named `name`): nothing
    /// is rendered for it and no provider is set; ExternalSecrets refer to it by name.
    #[schemars(extend("default" = false))]
    pub existing: Option<bool>,
    /// Infisical, with universal-auth machine identity credentials.
    pub infisical: Option<InfisicalStore>,
    /// HashiCorp Vault's key-value engine, with Kubernetes or JWT auth by a service
    /// account.
    pub vault: Option<VaultStore>,
    /// AWS Secrets Manager, by a service account (IRSA), by access keys in a Secret, or
    /// by the operator's own identity.
    pub aws: Option<AwsStore>,
}

impl SecretStore {
    /// Whether the store is created outside the stack.
    pub fn is_existing(&self) -> bool {
        self.existing.unwrap_or(false)
    }

    /// The Infisical provider, unless absent or disabled.
    pub fn infisical(&self) -> Option<&InfisicalStore> {
        self.infisical
            .as_ref()
            .filter(|p| p.enabled.unwrap_or(true))
    }

    /// The Vault provider, unless absent or disabled.
    pub fn vault(&self) -> Option<&VaultStore> {
        self.vault.as_ref().filter(|p| p.enabled.unwrap_or(true))
    }

    /// The AWS provider, unless absent or disabled.
    pub fn aws(&self) -> Option<&AwsStore> {
        self.aws.as_ref().filter(|p| p.enabled.unwrap_or(true))
    }

    /// The static credentials the store authenticates with (the provider's field and
    /// the Secret holding them), if any.
    pub fn static_credentials(&self) -> Option<(&'static str, &'static str)> {
        if self.is_existing() {
            return None;
        }
        if self.infisical().is_some() {
            return Some(("infisical", "credentialsSecret"));
        }
        if self.aws().is_some_and(|a| a.credentials_secret.is_some()) {
            return Some(("aws", "credentialsSecret"));
        }
        None
    }
}

/// Rules on how the environment's secret stores authenticate.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SecretPolicy {
    /// Every store a synced secret reads from must authenticate by a service account
    /// (Vault `kubernetes` or `jwt` auth, AWS IRSA with `serviceAccount`): static
    /// credentials (Infisical's universal auth, AWS access keys) are refused. Stores
    /// that already exist in the cluster are the cluster's business and pass.
    #[schemars(extend("default" = false))]
    pub require_workload_identity: Option<bool>,
}

/// Infisical (seed 001).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct InfisicalStore {
    /// Use this provider; `false` lets an environment switch to another one.
    #[schemars(extend("default" = true))]
    pub enabled: Option<bool>,
    /// Infisical API URL. Default: Infisical Cloud.
    #[serde(rename = "hostAPI")]
    #[schemars(extend("examples" = ["https://infisical.example.com"]))]
    pub host_api: Option<String>,
    /// Project slug.
    pub project_slug: Option<String>,
    /// Environment slug, e.g. `staging` or `prod`.
    pub environment_slug: Option<String>,
    /// Folder of the secrets. Default: `/`.
    pub secrets_path: Option<String>,
    /// Secret (in the store's namespace) holding the machine identity's `clientId` and
    /// `clientSecret`.
    #[schemars(extend("examples" = ["infisical-credentials"]))]
    pub credentials_secret: Option<String>,
}

/// HashiCorp Vault.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct VaultStore {
    /// Use this provider; `false` lets an environment switch to another one.
    #[schemars(extend("default" = true))]
    pub enabled: Option<bool>,
    /// Vault address.
    #[schemars(extend("examples" = ["https://vault.example.com"]))]
    pub server: Option<String>,
    /// Mount path of the key-value engine. Default: `secret`.
    pub path: Option<String>,
    /// Vault role the service account's token logs in as.
    pub role: Option<String>,
    /// How the store logs in: `kubernetes` (the Kubernetes auth method) or `jwt` (a
    /// service account token checked against the cluster's OIDC issuer). Default:
    /// `kubernetes`.
    pub auth: Option<VaultAuth>,
    /// Mount path of the auth method. Default: `kubernetes`, or `jwt` with `auth: jwt`.
    pub auth_mount_path: Option<String>,
    /// Service account (in the environment's namespace) whose token the store presents.
    /// Required with `auth: jwt`; with `kubernetes`, default: the operator's own.
    #[schemars(extend("examples" = ["vault-auth"]))]
    pub service_account: Option<String>,
}

/// Vault auth method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum VaultAuth {
    /// Vault's Kubernetes auth method.
    Kubernetes,
    /// Vault's JWT/OIDC auth method, with a service account token.
    Jwt,
}

/// AWS Secrets Manager.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AwsStore {
    /// Use this provider; `false` lets an environment switch to another one.
    #[schemars(extend("default" = true))]
    pub enabled: Option<bool>,
    /// Region, e.g. `eu-west-1`.
    pub region: Option<String>,
    /// IAM role to assume.
    pub role: Option<String>,
    /// IRSA: the service account (in the environment's namespace, annotated with its
    /// IAM role) whose token the store exchanges for AWS credentials.
    #[schemars(extend("examples" = ["secrets-reader"]))]
    pub service_account: Option<String>,
    /// Static credentials: a Secret (in the store's namespace) with `access-key-id`
    /// and `secret-access-key`. Refused under `global.secretPolicy.requireWorkloadIdentity`.
    #[schemars(extend("examples" = ["aws-credentials"]))]
    pub credentials_secret: Option<String>,
}

/// One Kubernetes Secret synced from the store; set `keys`, `path`, or both.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ExternalSecret {
    /// Sync this Secret in the environment.
    #[schemars(extend("default" = true))]
    pub enabled: Option<bool>,
    /// Secret keys and the remote secret each is read from: its key, or `{key,
    /// property, version}` to read one property of a JSON secret.
    #[schemars(extend("examples" = [{"url": "DATABASE_URL", "password": {"key": "mcp/postgres", "property": "password"}}]))]
    pub keys: Option<BTreeMap<String, RemoteKey>>,
    /// Read every secret under this remote path (Infisical folder, Vault path, AWS
    /// name prefix).
    pub path: Option<String>,
    /// The store to read from: a name in `global.secretStores`. Default:
    /// `global.secretStore`.
    #[schemars(extend("examples" = ["shared"]))]
    pub store: Option<String>,
    /// The Secret's type, e.g. `kubernetes.io/tls`. Default: `Opaque`
    /// (`kubernetes.io/dockerconfigjson` with `dockerConfig`).
    #[serde(rename = "type")]
    #[schemars(extend("examples" = ["kubernetes.io/tls"]))]
    pub secret_type: Option<String>,
    /// The Secret's data as templates over `keys` (External Secrets template engine
    /// v2: `{{ .KEY }}`, `{{ index . "KEY-WITH-DASH" }}`): the Secret holds these keys
    /// instead of `keys`.
    #[schemars(extend("examples" = [{"config.json": "{\"token\": \"{{ .token }}\"}"}]))]
    pub template: Option<BTreeMap<String, String>>,
    /// Make an image pull secret: a `.dockerconfigjson` for one registry from two of
    /// `keys`, of type `kubernetes.io/dockerconfigjson`.
    pub docker_config: Option<DockerConfig>,
    /// How often the Secret is refreshed. Default: `1h`.
    #[schemars(regex(pattern = r"^([0-9]+(ms|s|m|h))+$"))]
    pub refresh_interval: Option<String>,
    /// Who owns the Secret: `Owner` (the ExternalSecret; deleted with it), `Orphan`
    /// (kept), `Merge` (into a Secret that exists), `None`. Default: `Owner`.
    pub creation_policy: Option<CreationPolicy>,
    /// What happens to the Secret when its remote secret is gone: `Retain`, `Delete`,
    /// `Merge`. Default: the operator's (`Retain`).
    pub deletion_policy: Option<DeletionPolicy>,
    /// The Secret is created outside the stack (by hand, by a chart, by another
    /// controller): mcpstack renders nothing for it, and services and charts may
    /// reference it and any key of it.
    #[schemars(extend("default" = false))]
    pub existing: Option<bool>,
}

/// Where one key of a synced Secret comes from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum RemoteKey {
    /// The remote secret's key (name or path).
    Key(String),
    /// A remote secret and, in a JSON secret, one property of it.
    Ref(RemoteRef),
}

impl RemoteKey {
    /// The remote secret's key.
    pub fn key(&self) -> &str {
        match self {
            RemoteKey::Key(key) => key,
            RemoteKey::Ref(reference) => &reference.key,
        }
    }
}

/// A remote secret, one property of it, one version of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(transform = |s: &mut schemars::Schema| required_after_layering(s, &["key"]))]
pub struct RemoteRef {
    /// The remote secret's key (name or path).
    #[serde(default)]
    #[schemars(extend("examples" = ["mcp/postgres"]))]
    pub key: String,
    /// The property of a JSON secret (a dotted path for nested ones).
    #[schemars(extend("examples" = ["password"]))]
    pub property: Option<String>,
    /// The version to read. Default: the latest.
    pub version: Option<String>,
}

/// The registry credentials of an image pull secret, as keys of the secret.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(transform = |s: &mut schemars::Schema| required_after_layering(s, &["server", "username", "password"]))]
pub struct DockerConfig {
    /// Registry host, e.g. `ghcr.io`.
    #[serde(default)]
    #[schemars(extend("examples" = ["ghcr.io"]))]
    pub server: String,
    /// The key of `keys` holding the user name.
    #[serde(default)]
    #[schemars(extend("examples" = ["username"]))]
    pub username: String,
    /// The key of `keys` holding the password or token.
    #[serde(default)]
    #[schemars(extend("examples" = ["password"]))]
    pub password: String,
}

/// Who owns a synced Secret (External Secrets' `creationPolicy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum CreationPolicy {
    Owner,
    Orphan,
    Merge,
    None,
}

/// What happens to a synced Secret when its remote secret is gone (External Secrets'
/// `deletionPolicy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum DeletionPolicy {
    Retain,
    Delete,
    Merge,
}

/// The type of an image pull secret.
pub const DOCKER_CONFIG_JSON: &str = "kubernetes.io/dockerconfigjson";

impl ExternalSecret {
    /// Whether mcpstack syncs this Secret from the store (rather than it existing).
    pub fn synced(&self) -> bool {
        self.enabled.unwrap_or(true) && !self.existing.unwrap_or(false)
    }

    /// The Secret's type, when not `Opaque`.
    pub fn target_type(&self) -> Option<&str> {
        self.secret_type
            .as_deref()
            .or(self.docker_config.as_ref().map(|_| DOCKER_CONFIG_JSON))
    }

    /// The data templates of the Secret: `template`, and `.dockerconfigjson` built from
    /// `dockerConfig`.
    pub fn templates(&self) -> BTreeMap<String, String> {
        let mut out = self.template.clone().unwrap_or_default();
        if let Some(docker) = &self.docker_config {
            out.insert(".dockerconfigjson".to_owned(), docker.template());
        }
        out
    }

    /// The keys the Secret holds, when known: the templates' keys if there are any,
    /// else `keys` (unknown with a `path`).
    pub fn held_keys(&self) -> Option<Vec<String>> {
        let templates = self.templates();
        if !templates.is_empty() {
            return Some(templates.into_keys().collect());
        }
        if self.path.is_some() {
            return None;
        }
        Some(self.keys.iter().flatten().map(|(k, _)| k.clone()).collect())
    }
}

impl DockerConfig {
    /// The `.dockerconfigjson` template: one registry, with the `auth` field registries
    /// read (base64 of `user:password`).
    pub fn template(&self) -> String {
        let user = template_key(&self.username);
        let password = template_key(&self.password);
        format!(
            "{{\"auths\":{{\"{server}\":{{\"username\":\"{{{{ {user} }}}}\",\"password\":\"{{{{ {password} }}}}\",\"auth\":\"{{{{ printf \"%s:%s\" {user} {password} | b64enc }}}}\"}}}}}}",
            server = self.server
        )
    }
}

/// A key of the secret as a template expression: `.KEY`, or `(index . "KEY")` when the
/// key is not an identifier.
fn template_key(key: &str) -> String {
    let identifier = key
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    match identifier {
        true => format!(".{key}"),
        false => format!("(index . \"{key}\")"),
    }
}

/// The Kubernetes workload that runs a service's pods.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
pub enum WorkloadKind {
    /// Long-running, interchangeable pods.
    #[default]
    Deployment,
    /// Pods with stable names, each with its own claim from `persistence`.
    StatefulSet,
    /// Pods run to completion once (a migration).
    Job,
    /// Jobs run on a schedule.
    CronJob,
}

impl WorkloadKind {
    pub fn as_str(self) -> &'static str {
        match self {
            WorkloadKind::Deployment => "Deployment",
            WorkloadKind::StatefulSet => "StatefulSet",
            WorkloadKind::Job => "Job",
            WorkloadKind::CronJob => "CronJob",
        }
    }

    /// Whether pods of this kind run to completion (and so listen on no port).
    pub fn runs_to_completion(self) -> bool {
        matches!(self, WorkloadKind::Job | WorkloadKind::CronJob)
    }
}

/// Settings of a Job (or of each job of a CronJob).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct JobSettings {
    /// Retries before the job counts as failed.
    #[schemars(range(min = 0, max = 100), extend("default" = 6))]
    pub backoff_limit: Option<i64>,
    /// Seconds the job may run, retries included, before it is stopped and fails.
    #[schemars(range(min = 1), extend("examples" = [600]))]
    pub active_deadline_seconds: Option<i64>,
    /// Seconds a finished job is kept before Kubernetes deletes it. On a `Job` managed
    /// by Flux this makes it run again at the next reconciliation (Flux re-creates what
    /// is missing), so it is meant for CronJobs.
    #[schemars(range(min = 0))]
    pub ttl_seconds_after_finished: Option<i64>,
    /// Restart a failed container in the same pod (`OnFailure`) or start a new pod
    /// (`Never`).
    #[schemars(extend("default" = "Never"))]
    pub restart_policy: Option<JobRestartPolicy>,
}

/// How a job's failed container is retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum JobRestartPolicy {
    Never,
    OnFailure,
}

/// Schedule and history of a CronJob.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(transform = |s: &mut schemars::Schema| required_after_layering(s, &["schedule"]))]
pub struct CronJobSettings {
    /// Cron schedule: five fields (minute, hour, day of month, month, day of week) or
    /// a macro such as `@daily`.
    #[serde(default)]
    #[schemars(extend("examples" = ["0 3 * * *"]))]
    pub schedule: String,
    /// Time zone of the schedule, an IANA name. Default: the controller's (UTC).
    #[schemars(extend("examples" = ["Europe/Berlin"]))]
    pub time_zone: Option<String>,
    /// What to do when a run is due while the last one still runs.
    #[schemars(extend("default" = "Forbid"))]
    pub concurrency_policy: Option<ConcurrencyPolicy>,
    /// Start no new runs.
    #[schemars(extend("default" = false))]
    pub suspend: Option<bool>,
    /// Seconds after a missed start time within which the run still starts.
    #[schemars(range(min = 1))]
    pub starting_deadline_seconds: Option<i64>,
    /// Finished runs kept.
    #[schemars(range(min = 0, max = 100), extend("default" = 3))]
    pub successful_jobs_history_limit: Option<i64>,
    /// Failed runs kept.
    #[schemars(range(min = 0, max = 100), extend("default" = 1))]
    pub failed_jobs_history_limit: Option<i64>,
}

/// What a CronJob does when a run is due while the last one still runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum ConcurrencyPolicy {
    Allow,
    Forbid,
    Replace,
}

/// Settings of a StatefulSet.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct StatefulSetSettings {
    /// Start and stop pods one at a time in order (`OrderedReady`) or all at once
    /// (`Parallel`).
    #[schemars(extend("default" = "OrderedReady"))]
    pub pod_management_policy: Option<PodManagementPolicy>,
    /// What happens to the claims when the StatefulSet is deleted or scaled down.
    /// Default: both `Retain`, so data outlives the workload.
    pub persistent_volume_claim_retention_policy: Option<ClaimRetentionPolicy>,
}

/// How a StatefulSet starts and stops its pods.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum PodManagementPolicy {
    OrderedReady,
    Parallel,
}

/// What happens to a StatefulSet's claims.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ClaimRetentionPolicy {
    /// When the StatefulSet is deleted.
    #[schemars(extend("default" = "Retain"))]
    pub when_deleted: Option<ClaimRetention>,
    /// When it is scaled down.
    #[schemars(extend("default" = "Retain"))]
    pub when_scaled: Option<ClaimRetention>,
}

/// Keep or delete a claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum ClaimRetention {
    Retain,
    Delete,
}

/// Extra containers by name, in the order they were written (after layering: the
/// stack file's first, then those an environment file adds); they start in that order.
pub type Containers = InOrder<Container>;

/// An init container or a sidecar. It runs with the pod's restricted security context
/// and the same read-only root filesystem as the main container.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Container {
    /// Run this container in the environment.
    #[schemars(extend("default" = true))]
    pub enabled: Option<bool>,
    /// Container image; registry and pull policy default as for services. Production
    /// requires a digest.
    pub image: Option<Image>,
    /// Container entrypoint.
    #[schemars(extend("examples" = [["sh", "-c", "until nc -z postgres 5432; do sleep 2; done"]]))]
    pub command: Option<Vec<String>>,
    /// Container arguments.
    pub args: Option<Vec<String>>,
    /// Environment variables, as for services.
    pub env: Option<EnvVars>,
    /// Secrets and ConfigMaps whose keys all become environment variables.
    pub env_from: Option<Vec<EnvFrom>>,
    /// CPU and memory requests and limits. Default: `global.resources`.
    pub resources: Option<Resources>,
    /// ConfigMaps and Secrets mounted read-only as files.
    pub mounts: Option<Vec<Mount>>,
    /// Paths the container may write to (emptyDir volumes of its own).
    pub writable_paths: Option<Vec<String>>,
}

/// A ConfigMap or a Secret mounted read-only as files: each key a file in `path`.
/// Set exactly one of `configMap` and `secret`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Mount {
    /// Absolute folder the files appear in.
    #[schemars(extend("examples" = ["/etc/mcp-gateway"]))]
    pub path: String,
    /// A ConfigMap of `configMaps`.
    pub config_map: Option<String>,
    /// A Secret of `secrets`.
    pub secret: Option<String>,
    /// Only these keys, each a file of the same name. Default: every key.
    pub keys: Option<Vec<String>>,
    /// Permission bits of the files, in octal. Default: `"0400"` for Secrets, `"0444"`
    /// for ConfigMaps.
    #[schemars(regex(pattern = r"^0[0-7]{3}$"), extend("examples" = ["0440"]))]
    pub default_mode: Option<String>,
}

/// A ConfigMap declared by the stack; set `data`, `files`, or both (keys distinct), or
/// mark it `existing`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ConfigMap {
    /// Create this ConfigMap in the environment.
    #[schemars(extend("default" = true))]
    pub enabled: Option<bool>,
    /// Literal keys and values (quote numbers and booleans).
    #[schemars(extend("examples" = [{"LOG_LEVEL": "info"}]))]
    pub data: Option<BTreeMap<String, String>>,
    /// Keys whose value is the content of a file, by the file's path relative to
    /// `environments/` (e.g. `files/gateway/proxies.yaml`); UTF-8 text, at most 1 MiB
    /// in all.
    #[schemars(extend("examples" = [{"proxies.yaml": "files/gateway/proxies.yaml"}]))]
    pub files: Option<BTreeMap<String, String>>,
    /// The ConfigMap is created outside the stack (by hand, by a chart, by another
    /// controller): mcpstack renders nothing for it, and services and charts may
    /// reference it and any key of it.
    #[schemars(extend("default" = false))]
    pub existing: Option<bool>,
}

/// A mapping that keeps the order its keys were written in (`BTreeMap` would sort
/// them), for things whose order means something: environment variables (Kubernetes
/// expands `$(VAR)` only from variables defined earlier) and extra containers (they
/// start in order).
#[derive(Debug, Clone, PartialEq)]
pub struct InOrder<V>(pub Vec<(String, V)>);

impl<V> Default for InOrder<V> {
    fn default() -> Self {
        InOrder(Vec::new())
    }
}

impl<V> InOrder<V> {
    pub fn iter(&self) -> impl Iterator<Item = (&String, &V)> {
        self.0.iter().map(|(name, value)| (name, value))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<'a, V> IntoIterator for &'a InOrder<V> {
    type Item = (&'a String, &'a V);
    type IntoIter = std::iter::Map<
        std::slice::Iter<'a, (String, V)>,
        fn(&'a (String, V)) -> (&'a String, &'a V),
    >;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter().map(|(name, value)| (name, value))
    }
}

impl<V: Serialize> Serialize for InOrder<V> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.iter())
    }
}

impl<'de, V: Deserialize<'de>> Deserialize<'de> for InOrder<V> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visit<V>(std::marker::PhantomData<V>);
        impl<'de, V: Deserialize<'de>> serde::de::Visitor<'de> for Visit<V> {
            type Value = InOrder<V>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a mapping")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<InOrder<V>, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = map.next_entry::<String, V>()? {
                    entries.push(entry);
                }
                Ok(InOrder(entries))
            }
        }
        deserializer.deserialize_map(Visit(std::marker::PhantomData))
    }
}

impl<V: JsonSchema> JsonSchema for InOrder<V> {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> std::borrow::Cow<'static, str> {
        format!("InOrder_{}", V::schema_name()).into()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        <BTreeMap<String, V>>::json_schema(generator)
    }
}

/// Marks `fields` required in a type's schema although the type defaults them: the
/// field must be set once layered, but either file may set it (the schema is checked
/// per file without these, and on the layered tree with them; see `schema`).
fn required_after_layering(schema: &mut schemars::Schema, fields: &[&str]) {
    if let Some(properties) = schema
        .get_mut("properties")
        .and_then(serde_json::Value::as_object_mut)
    {
        for field in fields {
            if let Some(property) = properties.get_mut(*field).and_then(|p| p.as_object_mut()) {
                property.remove("default");
            }
        }
    }
    let required: Vec<serde_json::Value> = fields.iter().map(|f| (*f).into()).collect();
    schema.insert("required".into(), required.into());
}
