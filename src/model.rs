//! The lowered model: every default applied, every name and hostname computed, every
//! reference resolved. Rendering reads only this.

use std::collections::BTreeMap;

use crate::image::ImageRef;
use crate::spec::{
    AccessMode, Affinity, ClaimRetention, CronJobSettings, IntOrPercent, JobRestartPolicy,
    PathType, PodManagementPolicy, PullPolicy, ScalingBehavior, ScalingMetric, ServiceType, Tier,
    Toleration, WhenUnsatisfiable,
};

/// The whole compiled stack.
#[derive(Debug, Clone, PartialEq)]
pub struct Stack {
    pub name: String,
    /// Each service as the stack file alone describes it: the Kustomize bases.
    /// Invariant: sorted by name; holds every service enabled in some environment.
    pub base: Vec<Service>,
    /// Each chart as the stack file alone describes it. Invariant: sorted by name; holds
    /// every chart enabled in some environment; no chart shares a service's name.
    pub base_charts: Vec<Chart>,
    /// Invariant: sorted by name.
    pub environments: Vec<Environment>,
}

/// One environment, fully resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct Environment {
    pub name: String,
    pub tier: Tier,
    pub namespace: String,
    /// Spec files this environment is compiled from, for generated headers.
    pub sources: Vec<String>,
    pub flux: Flux,
    /// Enabled services only. Invariant: sorted by name; every `depends_on` names an
    /// enabled service or chart; hostnames are valid and unique.
    pub services: Vec<Service>,
    /// Enabled charts only. Invariant: sorted by name; as for services.
    pub charts: Vec<Chart>,
    /// The store `secrets` are read from.
    pub secret_store: Option<crate::spec::SecretStore>,
    /// The named stores of `global.secretStores`, by name.
    pub secret_stores: BTreeMap<String, crate::spec::SecretStore>,
    /// Secrets synced from the store, by Secret name (enabled ones only).
    pub secrets: BTreeMap<String, crate::spec::ExternalSecret>,
    /// ConfigMaps the stack declares (enabled ones only), by name: each key's value,
    /// files already read.
    pub config_maps: BTreeMap<String, BTreeMap<String, String>>,
    /// The unit each Secret and ConfigMap used by exactly one unit lives in; the others
    /// live in the namespace unit.
    pub homes: crate::placement::Homes,
    /// Whether the environment denies all traffic but DNS to every pod by default.
    pub default_deny: bool,
    /// The network policy of each unit, by unit name; empty when the environment
    /// generates no policies.
    pub network_policies: BTreeMap<String, NetworkPolicy>,
}

/// What one unit's pods may send and receive; everything else is denied.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NetworkPolicy {
    /// Labels selecting the unit's pods.
    pub pods: BTreeMap<String, String>,
    pub ingress: Vec<NetworkRule>,
    pub egress: Vec<NetworkRule>,
}

/// Traffic from (ingress) or to (egress) `peer` on `ports` (TCP).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct NetworkRule {
    pub peer: Peer,
    pub ports: Vec<i64>,
}

/// The other end of allowed traffic.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Peer {
    /// Pods of the environment with these labels.
    Pods(BTreeMap<String, String>),
    /// Every pod of a namespace.
    Namespace(String),
    /// An address range.
    Cidr { cidr: String, except: Vec<String> },
    /// Pods with these labels in another namespace (egress beyond the stack).
    NamespacePods {
        namespace: String,
        pods: BTreeMap<String, String>,
    },
    /// The Kubernetes API server, by name: only a CiliumNetworkPolicy can say it.
    ApiServer,
    /// A hostname (`api.github.com`) or pattern (`*.github.com`): only a
    /// CiliumNetworkPolicy can say it.
    Host(String),
}

impl Peer {
    /// Whether a plain NetworkPolicy can express this peer.
    pub fn is_plain(&self) -> bool {
        !matches!(self, Peer::ApiServer | Peer::Host(_))
    }
}

/// A component installed from a Helm chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    pub name: String,
    pub component: Option<String>,
    pub part_of: String,
    pub source: ChartSource,
    /// The chart name within its repository.
    pub chart: String,
    pub version: String,
    /// The hostname the chart serves in the environment, written into its values.
    pub host: Option<String>,
    /// Helm values, with the environment's hostname written in.
    pub values: serde_json::Map<String, serde_json::Value>,
    pub values_from: Vec<crate::spec::ValuesFrom>,
    /// Services and charts to apply first (Flux Kustomization ordering).
    pub depends_on: Vec<String>,
    /// The charts among `depends_on` (HelmRelease ordering).
    pub release_depends_on: Vec<String>,
    pub target_namespace: Option<String>,
    pub interval: String,
    pub timeout: String,
    pub install_retries: i64,
    pub upgrade_retries: i64,
    /// Image pins by the name the chart renders. Sorted by name.
    pub images: Vec<(String, crate::spec::ChartImage)>,
}

/// Where a chart comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChartSource {
    /// An OCI registry path (`oci://host/path`); the chart is `{url}/{chart}`.
    Oci { url: String },
    /// An `https://` Helm repository.
    Https { url: String },
}

/// How Flux reconciles the environment's units.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flux {
    pub interval: String,
    pub timeout: String,
    pub prune: bool,
    pub wait: bool,
    /// Name of the GitRepository.
    pub source: String,
    /// Namespace of the GitRepository.
    pub source_namespace: String,
    /// Namespace of the Flux Kustomizations.
    pub namespace: String,
    /// Prepended to every Flux Kustomization's name.
    pub prefix: String,
    /// Kustomizations in `namespace` the namespace unit waits for.
    pub depends_on: Vec<String>,
    pub path: String,
}

/// One workload, fully resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct Service {
    pub name: String,
    pub component: Option<String>,
    pub part_of: String,
    pub depends_on: Vec<String>,
    /// The workload kind that runs the pods, with its settings.
    pub workload: Workload,
    /// Whether the main container listens on `port`: false for workers, Jobs and
    /// CronJobs, which then have no Service, route, ServiceMonitor or ingress.
    pub listens: bool,
    pub image: ImageRef,
    pub pull_policy: PullPolicy,
    pub pull_secrets: Vec<String>,
    /// Meaningful only when `listens`.
    pub port: i64,
    /// `None` when an autoscaler owns the replica count.
    pub replicas: Option<i64>,
    pub command: Vec<String>,
    pub args: Vec<String>,
    pub env: Vec<EnvVar>,
    pub env_from: Vec<EnvSource>,
    pub probes: Vec<Probe>,
    pub resources: Resources,
    pub autoscaling: Option<Autoscaling>,
    pub disruption_budget: Option<DisruptionBudget>,
    pub persistence: Option<Persistence>,
    pub service: ServicePort,
    pub ingress: Option<Ingress>,
    pub service_account: ServiceAccount,
    pub node_selector: BTreeMap<String, String>,
    pub tolerations: Vec<Toleration>,
    pub affinity: Option<Affinity>,
    pub topology_spread: Vec<TopologySpread>,
    pub pod_labels: BTreeMap<String, String>,
    pub pod_annotations: BTreeMap<String, String>,
    pub metrics: Option<Metrics>,
    /// Sorted, without duplicates.
    pub writable_paths: Vec<String>,
    pub security: crate::spec::Security,
    pub api_access: Option<crate::spec::ApiAccess>,
    /// Native sidecars, then init containers, in the order they start (enabled only).
    pub extra_containers: Vec<Container>,
    /// ConfigMaps and Secrets mounted into the main container.
    pub mounts: Vec<Mount>,
}

/// The workload kind that runs a service's pods.
#[derive(Debug, Clone, PartialEq)]
pub enum Workload {
    Deployment,
    StatefulSet {
        pod_management_policy: PodManagementPolicy,
        when_deleted: ClaimRetention,
        when_scaled: ClaimRetention,
    },
    Job(Job),
    CronJob {
        schedule: CronJobSettings,
        job: Job,
    },
}

impl Workload {
    pub fn kind(&self) -> crate::spec::WorkloadKind {
        use crate::spec::WorkloadKind;
        match self {
            Workload::Deployment => WorkloadKind::Deployment,
            Workload::StatefulSet { .. } => WorkloadKind::StatefulSet,
            Workload::Job(_) => WorkloadKind::Job,
            Workload::CronJob { .. } => WorkloadKind::CronJob,
        }
    }
}

/// Settings of a Job, or of a CronJob's jobs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    pub backoff_limit: Option<i64>,
    pub active_deadline_seconds: Option<i64>,
    pub ttl_seconds_after_finished: Option<i64>,
    pub restart_policy: JobRestartPolicy,
}

/// An init container or a native sidecar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Container {
    pub name: String,
    /// A sidecar: runs for the pod's whole life (`restartPolicy: Always`).
    pub sidecar: bool,
    pub image: ImageRef,
    pub pull_policy: PullPolicy,
    pub command: Vec<String>,
    pub args: Vec<String>,
    pub env: Vec<EnvVar>,
    pub env_from: Vec<EnvSource>,
    pub resources: Resources,
    pub mounts: Vec<Mount>,
    /// Sorted, without duplicates.
    pub writable_paths: Vec<String>,
}

/// A ConfigMap or Secret mounted read-only as files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mount {
    pub path: String,
    pub source: MountSource,
    /// Only these keys; empty: every key.
    pub keys: Vec<String>,
    /// Permission bits of the files.
    pub default_mode: u32,
}

/// What a mount shows as files.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum MountSource {
    ConfigMap(String),
    Secret(String),
}

/// A ServiceMonitor's endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Metrics {
    /// `None` when metrics are served on the container port.
    pub port: Option<i64>,
    pub path: String,
    pub interval: String,
    pub scrape_timeout: Option<String>,
    pub labels: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvVar {
    pub name: String,
    pub value: EnvVarValue,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnvVarValue {
    Literal(String),
    SecretKey {
        name: String,
        key: String,
        optional: Option<bool>,
    },
    ConfigMapKey {
        name: String,
        key: String,
        optional: Option<bool>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnvSource {
    Secret {
        name: String,
        prefix: Option<String>,
    },
    ConfigMap {
        name: String,
        prefix: Option<String>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProbeKind {
    Liveness,
    Readiness,
    Startup,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probe {
    pub kind: ProbeKind,
    pub handler: ProbeHandler,
    pub initial_delay_seconds: Option<i64>,
    pub period_seconds: Option<i64>,
    pub timeout_seconds: Option<i64>,
    pub failure_threshold: Option<i64>,
    pub success_threshold: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProbeHandler {
    HttpGet { path: String, port: i64 },
    TcpSocket { port: i64 },
    Exec { command: Vec<String> },
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Resources {
    pub requests: BTreeMap<String, String>,
    pub limits: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Autoscaling {
    pub min_replicas: i64,
    pub max_replicas: i64,
    pub cpu_utilization: Option<i64>,
    pub memory_utilization: Option<i64>,
    pub behavior: Option<ScalingBehavior>,
    pub metrics: Vec<ScalingMetric>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum DisruptionBudget {
    MinAvailable(IntOrPercent),
    MaxUnavailable(IntOrPercent),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Persistence {
    pub claim_name: String,
    pub size: String,
    pub storage_class_name: Option<String>,
    pub access_modes: Vec<AccessMode>,
    pub mount_path: String,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServicePort {
    pub kind: ServiceType,
    pub port: i64,
    pub target_port: i64,
}

/// How a service is exposed: its hostname and path, through an Ingress or a Gateway
/// API HTTPRoute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ingress {
    pub routing: crate::spec::Routing,
    /// The Gateway an HTTPRoute attaches to.
    pub gateway: Option<Gateway>,
    /// HTTPRoute request timeout (`0s`: none).
    pub request_timeout: Option<String>,
    pub host: String,
    pub path: String,
    pub path_type: PathType,
    pub class_name: Option<String>,
    /// Including the streaming settings when `sse` is on and the TLS issuer.
    pub annotations: BTreeMap<String, String>,
    /// Secret of the certificate, when TLS is on.
    pub tls_secret: Option<String>,
    /// The secret name is the default one (`{service}-tls`), not written in the spec.
    pub tls_secret_default: bool,
    /// Requests reach the service with `path` stripped (`ingress.stripPrefix`).
    pub strip_prefix: bool,
}

/// A Gateway's reference, as an HTTPRoute's `parentRefs` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gateway {
    pub name: String,
    pub namespace: Option<String>,
    pub section_name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceAccount {
    pub create: bool,
    pub name: String,
    pub annotations: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopologySpread {
    pub topology_key: String,
    pub max_skew: i64,
    pub when_unsatisfiable: WhenUnsatisfiable,
}
