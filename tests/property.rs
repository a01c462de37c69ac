//! Property test: random valid projects, drawn from a seeded deterministic generator,
//! build, check clean, and `kubectl kustomize generated/overlays/ENV` equals
//! `mcpstack render ENV` as a set of objects; their rendered objects pass the API
//! server's rules; and single-field hostile mutations of them are refused (exit 2) or
//! render objects that pass those rules, never crash and never write outside.
//!
//! Every seed is run and every failure reported together, each with its seed and spec.
//! Reproduce one seed with `MCPSTACK_PROPERTY_SEED=N cargo test --test property`.
//! Without kubectl the test fails, unless `MCPSTACK_ALLOW_SKIP` allows leaving out the
//! kustomize comparison (see tests/common/mod.rs).

mod common;

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::Path;

use serde_json::{Map, Value as Json, json};

use common::{
    Need, can_run_part, code, kustomize, mcpstack, objects_by_key, parse_stream, stderr, stdout,
};

/// Seeds run by default: 0..SEEDS.
const SEEDS: u64 = 24;
const MODELINE: &str = "# yaml-language-server: $schema=../schema/values.schema.json\n";

// --- Randomness ----------------------------------------------------------------------

/// xorshift64*, seeded through splitmix64 so that neighbouring seeds start far apart.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        Rng((z ^ (z >> 31)) | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// A number in `lo..=hi`.
    fn int(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next() % (hi - lo + 1) as u64) as i64
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }

    fn pick_ref<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            items.swap(i, self.below(i + 1));
        }
    }

    fn digest(&mut self) -> String {
        let mut out = String::from("sha256:");
        for _ in 0..64 {
            out.push(char::from(b"0123456789abcdef"[self.below(16)]));
        }
        out
    }

    fn alnum(&mut self, len: usize) -> String {
        (0..len)
            .map(|_| char::from(b"abcdefghijklmnopqrstuvwxyz0123456789"[self.below(36)]))
            .collect()
    }

    fn version(&mut self) -> String {
        format!("{}.{}.{}", self.int(0, 20), self.int(0, 30), self.int(0, 9))
    }
}

// --- YAML output ---------------------------------------------------------------------

/// Block-style YAML of a JSON value; every string double-quoted, so nothing is
/// ambiguous.
fn to_yaml(value: &Json) -> String {
    let mut out = String::new();
    match value {
        Json::Object(map) if !map.is_empty() => write_map(map, 0, &mut out),
        other => {
            out.push_str(&scalar(other));
            out.push('\n');
        }
    }
    out
}

fn scalar(value: &Json) -> String {
    match value {
        Json::Object(_) => "{}".to_owned(),
        Json::Array(_) => "[]".to_owned(),
        other => other.to_string(),
    }
}

fn is_block(value: &Json) -> bool {
    match value {
        Json::Object(map) => !map.is_empty(),
        Json::Array(items) => !items.is_empty(),
        _ => false,
    }
}

fn key(name: &str) -> String {
    let plain = name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_./-".contains(c))
        && !matches!(
            name.to_ascii_lowercase().as_str(),
            "y" | "n" | "yes" | "no" | "on" | "off" | "true" | "false" | "null"
        );
    if plain {
        name.to_owned()
    } else {
        Json::String(name.to_owned()).to_string()
    }
}

fn write_map(map: &Map<String, Json>, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    for (name, value) in map {
        if is_block(value) {
            let _ = writeln!(out, "{pad}{}:", key(name));
            write_block(value, indent + 2, out);
        } else {
            let _ = writeln!(out, "{pad}{}: {}", key(name), scalar(value));
        }
    }
}

fn write_block(value: &Json, indent: usize, out: &mut String) {
    match value {
        Json::Object(map) => write_map(map, indent, out),
        Json::Array(items) => {
            let pad = " ".repeat(indent);
            for item in items {
                if is_block(item) {
                    let mut nested = String::new();
                    write_block(item, indent + 2, &mut nested);
                    // The item's first line starts after `- `.
                    out.push_str(&pad);
                    out.push_str("- ");
                    out.push_str(&nested[indent + 2..]);
                } else {
                    let _ = writeln!(out, "{pad}- {}", scalar(item));
                }
            }
        }
        other => {
            let _ = writeln!(out, "{}{}", " ".repeat(indent), scalar(other));
        }
    }
}

// --- The generator -------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Service,
    Chart,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Tier {
    Staging,
    Review,
    Production,
}

/// One unit of the stack, with what environment files must know about it.
struct Unit {
    name: String,
    kind: Kind,
    enabled_in_stack: bool,
    /// Indices of earlier units: edges only point backwards, so there is no cycle.
    depends_on: Vec<usize>,
    connects_to: Vec<usize>,
    /// Port other units connect to.
    port: i64,
    service: Option<ServiceFacts>,
    chart: Option<ChartFacts>,
}

impl Unit {
    fn refers_to(&self, other: usize) -> bool {
        self.depends_on.contains(&other) || self.connects_to.contains(&other)
    }
}

/// What the stack says about a service, as far as environment overrides care.
struct ServiceFacts {
    /// Probes, `service.targetPort` or other settings name the port: it stays.
    port_pinned: bool,
    exposed: bool,
    sse: bool,
    request_timeout: bool,
    tls_disabled: bool,
    /// Registry of the stack's image.
    registry: String,
    /// The image takes its registry from `global.image.registry`.
    uses_global_registry: bool,
    has_digest: bool,
    /// `None`: no resources of its own; `Some(full)`: its own, all four set or not.
    own_resources: Option<bool>,
    own_probes: Vec<&'static str>,
    budget_key: Option<&'static str>,
    autoscaling: bool,
    persistence: bool,
}

struct ChartFacts {
    /// The images the chart runs: name -> registry it is pulled from.
    images: Vec<(String, String)>,
}

struct Globals {
    resources_full: bool,
    gateway_in_stack: bool,
    store: Option<&'static str>,
    global_registry: Option<&'static str>,
    secrets: Vec<String>,
}

/// A generated project: file name (under `environments/`) -> content.
struct Project {
    files: Vec<(String, Json)>,
    environments: Vec<String>,
}

impl Project {
    fn spec_text(&self) -> String {
        let mut out = String::new();
        for (name, value) in &self.files {
            let _ = write!(out, "--- environments/{name}\n{}", to_yaml(value));
        }
        out
    }

    fn write(&self, root: &Path) {
        let dir = root.join("environments");
        std::fs::create_dir_all(&dir).expect("mkdir environments");
        for (name, value) in &self.files {
            let text = format!("{MODELINE}{}", to_yaml(value));
            std::fs::write(dir.join(name), text).expect("write spec");
        }
    }
}

const WORDS: [&str; 16] = [
    "time", "search", "files", "git", "notes", "mail", "cal", "docs", "weather", "crm", "jira",
    "slack", "fetch", "memory", "sql", "browser",
];
const REGISTRIES: [&str; 4] = ["ghcr.io", "registry.example.com", "quay.io", "docker.io"];
const CPU: [&str; 5] = ["50m", "100m", "250m", "500m", "1"];
const MEMORY: [&str; 5] = ["64Mi", "128Mi", "256Mi", "512Mi", "1Gi"];
/// Literal env values, several of them ambiguous in YAML 1.1.
const ENV_VALUES: [&str; 12] = [
    "info", "debug", "0.0.0.0", "8", "true", "on", "no", "0755", "1e3", "null", "12:30", "a,b",
];
const ENV_NAMES: [&str; 10] = [
    "LOG_LEVEL",
    "MODE",
    "FEATURE_FLAGS",
    "CACHE_SIZE",
    "REGION",
    "TIMEOUT_SECONDS",
    "TOKEN_TTL_SECONDS",
    "MAX_CONNECTIONS",
    "LISTEN_ADDR",
    "WORKERS",
];
const WRITABLE: [&str; 4] = ["/tmp", "/var/cache/app", "/var/run/app", "/home/app"];

fn name(rng: &mut Rng, used: &mut BTreeSet<String>) -> String {
    loop {
        let candidate = match rng.below(3) {
            0 => rng.pick(&WORDS).to_owned(),
            1 => format!("{}-{}", rng.pick(&WORDS), rng.alnum(2)),
            _ => format!("{}{}", rng.pick(&WORDS), rng.int(1, 99)),
        };
        if used.insert(candidate.clone()) {
            return candidate;
        }
    }
}

/// Requests and limits, each limit at least its request.
fn resources(rng: &mut Rng) -> Json {
    let cpu = rng.below(CPU.len());
    let memory = rng.below(MEMORY.len());
    json!({
        "requests": {"cpu": CPU[cpu], "memory": MEMORY[memory]},
        "limits": {"cpu": rng.pick(&CPU[cpu..]), "memory": rng.pick(&MEMORY[memory..])},
    })
}

fn probe(rng: &mut Rng, port: i64, pin_port: bool) -> Json {
    let mut probe = Map::new();
    match rng.below(3) {
        0 => {
            let mut get = Map::new();
            get.insert("path".into(), json!(rng.pick(&["/health", "/ready", "/"])));
            if pin_port {
                get.insert("port".into(), json!(port));
            }
            probe.insert("httpGet".into(), Json::Object(get));
        }
        1 => {
            let mut tcp = Map::new();
            if pin_port {
                tcp.insert("port".into(), json!(port));
            }
            probe.insert("tcpSocket".into(), Json::Object(tcp));
        }
        _ => {
            probe.insert("exec".into(), json!({"command": ["cat", "/tmp/healthy"]}));
        }
    }
    for field in [
        "initialDelaySeconds",
        "periodSeconds",
        "timeoutSeconds",
        "failureThreshold",
    ] {
        if rng.chance(30) {
            probe.insert(field.into(), json!(rng.int(1, 30)));
        }
    }
    if rng.chance(5) {
        probe.insert("enabled".into(), json!(false));
    }
    Json::Object(probe)
}

#[allow(clippy::too_many_lines)]
fn service(
    rng: &mut Rng,
    units: &[Unit],
    index: usize,
    globals: &Globals,
    secrets: &[String],
) -> (Json, ServiceFacts) {
    let unit = &units[index];
    let port = unit.port;
    let mut s = Map::new();
    if !unit.enabled_in_stack {
        s.insert("enabled".into(), json!(false));
    }
    if rng.chance(60) {
        s.insert(
            "component".into(),
            json!(rng.pick(&["mcp-server", "gateway", "worker"])),
        );
    }
    relations(&mut s, unit, units);

    // Image.
    let mut image = Map::new();
    let mut repository_names_registry = false;
    let uses_global_registry = rng.below(2) == 0;
    let registry = match rng.below(5) {
        _ if uses_global_registry => globals.global_registry.unwrap_or("docker.io").to_owned(),
        0..=3 => {
            let r = rng.pick(&REGISTRIES);
            image.insert("registry".into(), json!(r));
            r.to_owned()
        }
        _ => {
            repository_names_registry = true;
            "quay.io".to_owned()
        }
    };
    let repository = if repository_names_registry {
        format!("quay.io/org/{}", unit.name)
    } else {
        format!("org-{}/{}", rng.alnum(3), unit.name)
    };
    image.insert("repository".into(), json!(repository));
    image.insert("tag".into(), json!(rng.version()));
    let has_digest = rng.chance(20);
    if has_digest {
        image.insert("digest".into(), json!(rng.digest()));
    }
    if rng.chance(20) {
        image.insert(
            "pullPolicy".into(),
            json!(rng.pick(&["Always", "IfNotPresent"])),
        );
    }
    s.insert("image".into(), Json::Object(image));

    let mut port_pinned = false;
    if port != 8080 || rng.chance(30) {
        s.insert("port".into(), json!(port));
    }
    if rng.chance(60) {
        s.insert("replicas".into(), json!(rng.int(0, 3)));
    }
    if rng.chance(20) {
        s.insert("command".into(), json!(["/bin/server"]));
    }
    if rng.chance(30) {
        s.insert(
            "args".into(),
            json!([format!("--port={port}"), "--transport=sse"]),
        );
    }

    // Environment.
    let mut env = Map::new();
    for _ in 0..rng.int(0, 3) {
        env.insert(rng.pick(&ENV_NAMES).into(), json!(rng.pick(&ENV_VALUES)));
    }
    if rng.chance(20) {
        env.insert("SECRET_NAME".into(), json!("app-credentials"));
    }
    if !secrets.is_empty() && rng.chance(50) {
        env.insert(
            "DATABASE_URL".into(),
            json!({"secretKeyRef": {"name": rng.pick_ref(secrets), "key": "url"}}),
        );
    }
    if rng.chance(20) {
        let mut reference = json!({"name": "app-config", "key": "mode"});
        if rng.chance(50) {
            reference["optional"] = json!(true);
        }
        env.insert("APP_MODE".into(), json!({ "configMapKeyRef": reference }));
    }
    if !env.is_empty() {
        s.insert("env".into(), Json::Object(env));
    }
    if rng.chance(25) {
        let mut list = Vec::new();
        if !secrets.is_empty() && rng.chance(60) {
            list.push(json!({"secretRef": rng.pick_ref(secrets)}));
        }
        if rng.chance(50) {
            list.push(json!({"configMapRef": "app-config", "prefix": "CFG_"}));
        }
        if !list.is_empty() {
            s.insert("envFrom".into(), Json::Array(list));
        }
    }

    // Probes.
    let mut own_probes = Vec::new();
    let mut probes = Map::new();
    for kind in ["liveness", "readiness", "startup"] {
        if rng.chance(45) {
            let pin = rng.chance(20);
            port_pinned |= pin;
            probes.insert(kind.into(), probe(rng, port, pin));
            own_probes.push(kind);
        }
    }
    if !probes.is_empty() {
        s.insert("probes".into(), Json::Object(probes));
    }

    // Resources.
    let own_resources = match rng.below(10) {
        0..=3 => {
            s.insert("resources".into(), resources(rng));
            Some(true)
        }
        4..=5 => {
            s.insert(
                "resources".into(),
                json!({"requests": {"cpu": rng.pick(&CPU), "memory": rng.pick(&MEMORY)}}),
            );
            Some(false)
        }
        _ => None,
    };

    // Scaling.
    let autoscaling = rng.chance(30);
    if autoscaling || rng.chance(10) {
        let min = rng.int(1, 3);
        let mut a = Map::new();
        a.insert("enabled".into(), json!(autoscaling));
        if rng.chance(70) {
            a.insert("minReplicas".into(), json!(min));
        }
        a.insert("maxReplicas".into(), json!(min + rng.int(0, 5)));
        if rng.chance(50) {
            a.insert(
                "targetCPUUtilizationPercentage".into(),
                json!(rng.int(50, 90)),
            );
        }
        if rng.chance(30) {
            a.insert(
                "targetMemoryUtilizationPercentage".into(),
                json!(rng.int(50, 90)),
            );
        }
        if rng.chance(20) {
            a.insert(
                "behavior".into(),
                json!({"scaleDown": {
                    "stabilizationWindowSeconds": rng.int(0, 600),
                    "selectPolicy": "Max",
                    "policies": [{"type": "Pods", "value": 1, "periodSeconds": 60}],
                }}),
            );
        }
        s.insert("autoscaling".into(), Json::Object(a));
    }
    let mut budget_key = None;
    if rng.chance(35) {
        let mut b = Map::new();
        b.insert("enabled".into(), json!(rng.chance(80)));
        match rng.below(3) {
            0 => {
                // Any higher count could exceed the replicas an environment runs, and a
                // budget that allows no eviction is refused.
                budget_key = Some("minAvailable");
                b.insert("minAvailable".into(), json!(0));
            }
            1 => {
                budget_key = Some("maxUnavailable");
                b.insert("maxUnavailable".into(), json!("50%"));
            }
            _ => {}
        }
        s.insert("disruptionBudget".into(), Json::Object(b));
    }

    // Storage and filesystem.
    let persistence = rng.chance(20);
    if persistence {
        let mut p = Map::new();
        p.insert("enabled".into(), json!(true));
        p.insert("size".into(), json!(rng.pick(&["1Gi", "5Gi", "500Mi"])));
        p.insert("mountPath".into(), json!("/data"));
        if rng.chance(40) {
            p.insert("storageClassName".into(), json!("fast-ssd"));
        }
        // Environments may run several replicas: a ReadWriteOnce volume would be
        // refused with more than one.
        p.insert("accessModes".into(), json!(["ReadWriteMany"]));
        s.insert("persistence".into(), Json::Object(p));
    }
    if rng.chance(40) {
        let mut paths: Vec<&str> = WRITABLE
            .iter()
            .copied()
            .filter(|_| rng.chance(40))
            .collect();
        if paths.is_empty() {
            paths.push("/tmp");
        }
        s.insert("writablePaths".into(), json!(paths));
    }

    if rng.chance(20) {
        port_pinned = true;
        s.insert(
            "service".into(),
            json!({"type": rng.pick(&["ClusterIP", "NodePort"]), "port": 80, "targetPort": port}),
        );
    }

    // Exposure.
    let exposed = rng.chance(55);
    let mut sse = false;
    let mut request_timeout = false;
    let mut tls_disabled = false;
    if exposed || rng.chance(10) {
        let mut i = Map::new();
        i.insert("enabled".into(), json!(exposed));
        // An explicit host in the stack file would be every environment's: hosts are
        // set per environment (below), never shared.
        if rng.chance(30) {
            i.insert("path".into(), json!(rng.pick(&["/", "/mcp", "/api/v1"])));
        }
        // A service's own routing; Gateway API only where the stack names a Gateway.
        let service_routing = if rng.chance(30) {
            let r = if globals.gateway_in_stack {
                rng.pick(&["ingress", "gateway-api"])
            } else {
                "ingress"
            };
            i.insert("routing".into(), json!(r));
            Some(r)
        } else {
            None
        };
        if rng.chance(30) {
            let types: &[&str] = if service_routing == Some("ingress") {
                &["Prefix", "Exact", "ImplementationSpecific"]
            } else {
                &["Prefix", "Exact"]
            };
            i.insert("pathType".into(), json!(rng.pick(types)));
        }
        if rng.chance(15) {
            i.insert("className".into(), json!("internal"));
        }
        if rng.chance(20) {
            i.insert(
                "annotations".into(),
                json!({"nginx.ingress.kubernetes.io/proxy-body-size": "8m"}),
            );
        }
        match rng.below(5) {
            0 => {
                tls_disabled = true;
                i.insert("tls".into(), json!({"enabled": false}));
            }
            1 => {
                i.insert(
                    "tls".into(),
                    json!({"secretName": format!("{}-cert", unit.name)}),
                );
            }
            _ => {}
        }
        sse = rng.chance(50);
        if sse {
            i.insert("sse".into(), json!(true));
            if rng.chance(20) {
                i.insert("requestTimeout".into(), json!("0s"));
            }
        } else if rng.chance(20) {
            request_timeout = true;
            i.insert("requestTimeout".into(), json!("30s"));
        }
        s.insert("ingress".into(), Json::Object(i));
    }

    if rng.chance(20) {
        let mut account = json!({"create": true});
        if rng.chance(50) {
            account["annotations"] =
                json!({"eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/app"});
        }
        s.insert("serviceAccount".into(), account);
    }
    if rng.chance(15) {
        s.insert("nodeSelector".into(), json!({"kubernetes.io/os": "linux"}));
    }
    if rng.chance(15) {
        s.insert(
            "tolerations".into(),
            json!([{"key": "dedicated", "operator": "Equal", "value": "mcp", "effect": "NoSchedule"}]),
        );
    }
    if rng.chance(15) {
        s.insert(
            "topologySpread".into(),
            json!([{"topologyKey": "topology.kubernetes.io/zone", "maxSkew": 1, "whenUnsatisfiable": "ScheduleAnyway"}]),
        );
    }
    if rng.chance(15) {
        s.insert("podLabels".into(), json!({"team": "platform"}));
    }
    if rng.chance(15) {
        s.insert(
            "podAnnotations".into(),
            json!({"example.com/owner": "platform"}),
        );
    }
    if rng.chance(25) {
        s.insert(
            "security".into(),
            json!({"runAsUser": 10001, "runAsGroup": 10001}),
        );
    }
    if rng.chance(15) {
        s.insert(
            "apiAccess".into(),
            json!({"clusterWide": rng.chance(30), "rules": [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "list"]}]}),
        );
    }
    if rng.chance(30) {
        let mut m = Map::new();
        if rng.chance(50) {
            m.insert("path".into(), json!("/metrics"));
        }
        if rng.chance(50) {
            m.insert("port".into(), json!(9090));
        }
        if rng.chance(20) {
            m.insert("interval".into(), json!("15s"));
        }
        s.insert("metrics".into(), Json::Object(m));
    }
    if rng.chance(20) {
        s.insert(
            "egress".into(),
            json!([{"cidr": "203.0.113.0/24", "ports": [443]}]),
        );
    }

    let facts = ServiceFacts {
        port_pinned,
        exposed,
        sse,
        request_timeout,
        tls_disabled,
        registry,
        uses_global_registry,
        has_digest,
        own_resources,
        own_probes,
        budget_key,
        autoscaling,
        persistence,
    };
    (Json::Object(s), facts)
}

const CHARTS: [(&str, &str, &[&str]); 3] = [
    (
        "oci://registry-1.docker.io/bitnamicharts",
        "postgresql",
        &["docker.io/bitnami/postgresql"],
    ),
    (
        "oci://ghcr.io/example/charts",
        "redis",
        &[
            "docker.io/bitnami/redis",
            "docker.io/bitnami/redis-exporter",
        ],
    ),
    (
        "https://charts.example.com/stable",
        "mcp-upstream",
        &["ghcr.io/example/mcp-upstream"],
    ),
];

/// A unit's `dependsOn` and `connectsTo`, naming earlier units by index.
fn relations(spec: &mut Map<String, Json>, unit: &Unit, units: &[Unit]) {
    if !unit.depends_on.is_empty() {
        let names: Vec<&str> = unit
            .depends_on
            .iter()
            .map(|i| units[*i].name.as_str())
            .collect();
        spec.insert("dependsOn".into(), json!(names));
    }
    if !unit.connects_to.is_empty() {
        let list: Vec<Json> = unit
            .connects_to
            .iter()
            .map(|i| json!({"to": units[*i].name, "port": units[*i].port}))
            .collect();
        spec.insert("connectsTo".into(), Json::Array(list));
    }
}

fn chart(rng: &mut Rng, units: &[Unit], index: usize, secrets: &[String]) -> (Json, ChartFacts) {
    let unit = &units[index];
    let (repository, chart, images) = rng.pick(&CHARTS);
    let mut c = Map::new();
    if !unit.enabled_in_stack {
        c.insert("enabled".into(), json!(false));
    }
    if rng.chance(60) {
        c.insert(
            "component".into(),
            json!(rng.pick(&["database", "cache", "mcp-server"])),
        );
    }
    c.insert("repository".into(), json!(repository));
    c.insert("chart".into(), json!(chart));
    c.insert("version".into(), json!(rng.version()));
    let mut values = Map::new();
    values.insert("replicaCount".into(), json!(rng.int(1, 3)));
    if rng.chance(50) {
        values.insert(
            "primary".into(),
            json!({"persistence": {"size": "5Gi"}, "resources": {"requests": {"cpu": "100m"}}}),
        );
    }
    if !secrets.is_empty() && rng.chance(50) {
        values.insert(
            "auth".into(),
            json!({"existingSecret": rng.pick_ref(secrets), "existingSecretPasswordKey": "password"}),
        );
    }
    if rng.chance(30) {
        values.insert("flags".into(), json!({"mode": "on", "umask": "0755"}));
    }
    let hostname = rng.chance(30);
    if hostname {
        values.insert(
            "ingress".into(),
            json!({"enabled": true, "hosts": [{"paths": [{"path": "/", "pathType": "Prefix"}]}]}),
        );
    }
    c.insert("values".into(), Json::Object(values));
    if !secrets.is_empty() && rng.chance(30) {
        c.insert(
            "valuesFrom".into(),
            json!([{"kind": "Secret", "name": rng.pick_ref(secrets), "valuesKey": "values.yaml"}]),
        );
    }
    relations(&mut c, unit, units);
    if rng.chance(20) {
        c.insert("interval".into(), json!("15m"));
    }
    if rng.chance(20) {
        c.insert("timeout".into(), json!("10m"));
    }
    if rng.chance(20) {
        c.insert("installRetries".into(), json!(rng.int(0, 5)));
        c.insert("upgradeRetries".into(), json!(rng.int(0, 5)));
    }
    // Images: where each is pulled from, a mirror in the stack's registry sometimes.
    let mut facts = Vec::new();
    let mut pins = Map::new();
    for image in images {
        let mut pin = Map::new();
        let mut runs = (*image).to_owned();
        if rng.chance(25) {
            runs = format!(
                "registry.example.com/mirror/{}",
                image.rsplit('/').next().unwrap_or(image)
            );
            pin.insert("newName".into(), json!(runs));
        }
        if rng.chance(30) {
            pin.insert("tag".into(), json!(rng.version()));
        }
        if rng.chance(30) {
            pin.insert("digest".into(), json!(rng.digest()));
        }
        let registry = runs.split('/').next().unwrap_or_default().to_owned();
        facts.push(((*image).to_owned(), registry));
        pins.insert((*image).to_owned(), Json::Object(pin));
    }
    if rng.chance(60) {
        c.insert("images".into(), Json::Object(pins));
    } else {
        // Not listed in the stack: images run as the chart renders them.
        for fact in &mut facts {
            fact.1 = fact.0.split('/').next().unwrap_or_default().to_owned();
        }
    }
    if hostname {
        let mut h = Map::new();
        h.insert(
            "valuePaths".into(),
            json!(["ingress.hosts[0].host", "ingress.tls[0].hosts[0]"]),
        );
        // A chart's explicit host in the stack file would be every environment's.
        c.insert("hostname".into(), Json::Object(h));
    }
    if rng.chance(15) {
        c.insert(
            "egress".into(),
            json!([{"cidr": "10.96.0.1/32", "ports": [443]}]),
        );
    }
    (Json::Object(c), ChartFacts { images: facts })
}

fn secret_store(rng: &mut Rng) -> (&'static str, Json) {
    let mut store = Map::new();
    if rng.chance(30) {
        store.insert("name".into(), json!("store"));
    }
    if rng.chance(20) {
        store.insert("clusterWide".into(), json!(true));
    }
    let provider = rng.pick(&["infisical", "vault", "aws"]);
    let settings = match provider {
        "infisical" => json!({
            "hostAPI": "https://infisical.example.com",
            "projectSlug": "mcp",
            "environmentSlug": "staging",
            "credentialsSecret": "infisical-credentials",
        }),
        "vault" => json!({"server": "https://vault.example.com", "role": "mcp"}),
        _ => json!({"region": "eu-west-1"}),
    };
    store.insert(provider.into(), settings);
    (provider, Json::Object(store))
}

#[allow(clippy::too_many_lines)]
fn generate(seed: u64) -> Project {
    let mut rng = Rng::new(seed);
    let mut used = BTreeSet::new();
    used.insert("namespace".to_owned());

    // Units, in an order where edges only point backwards.
    let service_count = rng.int(1, 8) as usize;
    let chart_count = rng.int(0, 2) as usize;
    let mut units: Vec<Unit> = Vec::new();
    for i in 0..service_count + chart_count {
        let kind = if i < service_count {
            Kind::Service
        } else {
            Kind::Chart
        };
        let port = match kind {
            Kind::Service if rng.chance(50) => rng.int(1024, 9999),
            Kind::Service => 8080,
            Kind::Chart => 5432,
        };
        units.push(Unit {
            name: name(&mut rng, &mut used),
            kind,
            enabled_in_stack: true,
            depends_on: Vec::new(),
            connects_to: Vec::new(),
            port,
            service: None,
            chart: None,
        });
    }
    rng.shuffle(&mut units);
    for (i, unit) in units.iter_mut().enumerate() {
        for j in 0..i {
            if rng.chance(20) {
                unit.depends_on.push(j);
            }
            if rng.chance(20) {
                unit.connects_to.push(j);
            }
        }
    }
    // Units may be off in the stack when no unit on in the stack refers to them.
    for j in (0..units.len()).rev() {
        let referred =
            (j + 1..units.len()).any(|i| units[i].enabled_in_stack && units[i].refers_to(j));
        if !referred && rng.chance(10) {
            units[j].enabled_in_stack = false;
        }
    }

    // The stack's globals.
    let mut global = Map::new();
    global.insert("domain".into(), json!("example.com"));
    let global_registry = rng.chance(70).then(|| rng.pick(&REGISTRIES[..2]));
    let mut image = Map::new();
    if let Some(registry) = global_registry {
        image.insert("registry".into(), json!(registry));
    }
    if rng.chance(30) {
        image.insert("pullPolicy".into(), json!("IfNotPresent"));
    }
    if rng.chance(20) {
        image.insert("pullSecrets".into(), json!(["registry-credentials"]));
    }
    if !image.is_empty() {
        global.insert("image".into(), Json::Object(image));
    }
    let resources_full = rng.chance(50);
    if resources_full {
        global.insert("resources".into(), resources(&mut rng));
    } else if rng.chance(30) {
        global.insert(
            "resources".into(),
            json!({"limits": {"memory": rng.pick(&MEMORY)}}),
        );
    }
    if rng.chance(20) {
        global.insert(
            "probes".into(),
            json!({"readiness": {"tcpSocket": {}, "periodSeconds": 10}}),
        );
    }
    let mut ingress = json!({"className": "nginx"});
    if rng.chance(60) {
        ingress["tls"] = json!({"clusterIssuer": "letsencrypt-staging"});
    }
    if rng.chance(20) {
        ingress["annotations"] = json!({"example.com/team": "platform"});
    }
    global.insert("ingress".into(), ingress);
    let gateway_in_stack = rng.chance(30);
    if gateway_in_stack {
        global.insert(
            "gateway".into(),
            json!({"name": "public", "namespace": "gateway-system", "sectionName": "https"}),
        );
    }
    let mut network = json!({"ingressNamespace": "ingress-nginx"});
    if rng.chance(60) {
        network["monitoringNamespace"] = json!("monitoring");
    }
    global.insert("network".into(), network);
    if rng.chance(20) {
        global.insert(
            "flux".into(),
            json!({"interval": "5m", "timeout": "3m", "prune": true, "wait": rng.chance(50)}),
        );
    }

    // Secrets.
    let secret_count = rng.int(0, 3);
    let mut secrets = Vec::new();
    let mut secret_specs = Map::new();
    for n in 0..secret_count {
        let secret_name = format!("app-secret-{n}");
        let mut secret = Map::new();
        if rng.chance(70) {
            secret.insert(
                "keys".into(),
                                json!({"url": format!("APP_{n}_URL"), "password": format!("APP_{n}_PASSWORD"), "values.yaml": format!("APP_{n}_VALUES")}),
            );
        }
        if !secret.contains_key("keys") || rng.chance(30) {
            secret.insert("path".into(), json!(format!("/app-{n}")));
        }
        if rng.chance(20) {
            secret.insert("refreshInterval".into(), json!("30m"));
        }
        secret_specs.insert(secret_name.clone(), Json::Object(secret));
        secrets.push(secret_name);
    }
    let store = if !secrets.is_empty() || rng.chance(20) {
        let (provider, store) = secret_store(&mut rng);
        global.insert("secretStore".into(), store);
        Some(provider)
    } else {
        None
    };
    // Pull secrets name declared Secrets: a `.dockerconfigjson` synced from the store
    // when there is one, else Secrets made outside the stack.
    let pull = match store {
        Some(_) => json!({
            "keys": {"username": "REGISTRY_USER", "pull-token": "REGISTRY_TOKEN"},
            "dockerConfig": {"server": "ghcr.io", "username": "username", "password": "pull-token"},
        }),
        None => json!({"existing": true}),
    };
    secret_specs.insert("registry-credentials".into(), pull);
    secret_specs.insert("other-credentials".into(), json!({"existing": true}));
    let globals = Globals {
        resources_full,
        gateway_in_stack,
        store,
        global_registry,
        secrets: secrets.clone(),
    };

    // Services and charts.
    let mut services = Map::new();
    let mut charts = Map::new();
    for index in 0..units.len() {
        match units[index].kind {
            Kind::Service => {
                let (spec, facts) = service(&mut rng, &units, index, &globals, &secrets);
                services.insert(units[index].name.clone(), spec);
                units[index].service = Some(facts);
            }
            Kind::Chart => {
                let (spec, facts) = chart(&mut rng, &units, index, &secrets);
                charts.insert(units[index].name.clone(), spec);
                units[index].chart = Some(facts);
            }
        }
    }

    let mut stack = Map::new();
    if rng.chance(40) {
        stack.insert("name".into(), json!(format!("stack-{}", rng.alnum(4))));
    }
    stack.insert("global".into(), Json::Object(global));
    stack.insert("services".into(), Json::Object(services));
    if !charts.is_empty() {
        stack.insert("charts".into(), Json::Object(charts));
    }
    if !secret_specs.is_empty() {
        stack.insert("secrets".into(), Json::Object(secret_specs));
    }
    // The ConfigMap services read (`configMapKeyRef`, `envFrom`).
    stack.insert(
        "configMaps".into(),
        json!({"app-config": {"data": {"mode": "fast", "LEVEL": "info"}}}),
    );

    // Environments.
    let mut files = vec![("stack.yaml".to_owned(), Json::Object(stack))];
    let mut environments = Vec::new();
    let mut env_names = BTreeSet::new();
    for _ in 0..rng.int(1, 3) {
        let tier = rng.pick(&[Tier::Staging, Tier::Review, Tier::Production]);
        let env = loop {
            let candidate = match (tier, rng.below(2)) {
                (Tier::Staging, 0) => "staging".to_owned(),
                (Tier::Staging, _) => format!("stg-{}", rng.alnum(3)),
                (Tier::Production, 0) => "production".to_owned(),
                (Tier::Production, _) => format!("prod-{}", rng.alnum(2)),
                (Tier::Review, _) => format!("pr-{}", rng.int(1, 9999)),
            };
            if env_names.insert(candidate.clone()) {
                break candidate;
            }
        };
        let spec = environment(&mut rng, tier, &env, &units, &globals);
        files.push((format!("{env}.yaml"), spec));
        environments.push(env);
    }
    Project {
        files,
        environments,
    }
}

#[allow(clippy::too_many_lines)]
fn environment(rng: &mut Rng, tier: Tier, env: &str, units: &[Unit], globals: &Globals) -> Json {
    let production = tier == Tier::Production;
    let mut root = Map::new();
    root.insert(
        "tier".into(),
        json!(match tier {
            Tier::Staging => "staging",
            Tier::Review => "review",
            Tier::Production => "production",
        }),
    );

    // Which units run: a unit may be off only when every unit referring to it is off.
    let mut enabled = vec![true; units.len()];
    for j in (0..units.len()).rev() {
        let referred = (j + 1..units.len()).any(|i| enabled[i] && units[i].refers_to(j));
        enabled[j] = referred
            || if units[j].enabled_in_stack {
                !rng.chance(15)
            } else {
                rng.chance(50)
            };
    }

    if rng.chance(10) {
        root.insert("name".into(), json!(format!("stack-{env}")));
    }
    let mut global = Map::new();
    let mut image = Map::new();
    let global_registry = if rng.chance(15) {
        let registry = rng.pick(&REGISTRIES[..3]);
        image.insert("registry".into(), json!(registry));
        Some(registry)
    } else {
        globals.global_registry
    };
    if rng.chance(10) {
        image.insert("pullSecrets".into(), json!(["other-credentials"]));
    }
    if rng.chance(10) {
        image.insert("pullPolicy".into(), json!("Always"));
    }
    if !image.is_empty() {
        global.insert("image".into(), Json::Object(image));
    }
    let mut resources_full = globals.resources_full;
    if rng.chance(10) {
        resources_full = true;
        global.insert("resources".into(), resources(rng));
    }
    let gateway_routing = rng.chance(35);
    if gateway_routing {
        global.insert("routing".into(), json!("gateway-api"));
        if !globals.gateway_in_stack {
            let mut gateway = json!({"name": "public"});
            if rng.chance(60) {
                gateway["namespace"] = json!("gateway-system");
            }
            if rng.chance(60) {
                gateway["sectionName"] = json!("https");
            }
            global.insert("gateway".into(), gateway);
        }
    } else if rng.chance(15) {
        global.insert("routing".into(), json!("ingress"));
    }
    if rng.chance(20) {
        global.insert("namespace".into(), json!(format!("ns-{env}")));
    }
    if rng.chance(15) {
        global.insert("hostPattern".into(), json!("{service}-{env}.{domain}"));
    }
    if rng.chance(15) {
        global.insert(
            "flux".into(),
            json!({"interval": "2m", "prune": false, "source": "platform", "path": "./deploy/generated"}),
        );
    }
    if rng.chance(10) {
        global.insert("network".into(), json!({"policies": false}));
    }
    if let Some(provider) = globals.store
        && rng.chance(40)
    {
        let settings = match provider {
            "infisical" => json!({"environmentSlug": env}),
            "vault" => json!({"path": format!("kv-{env}")}),
            _ => json!({"role": format!("arn:aws:iam::123456789012:role/{env}")}),
        };
        global.insert("secretStore".into(), json!({ provider: settings }));
    }

    let mut services = Map::new();
    let mut charts = Map::new();
    let mut registries = BTreeSet::new();
    for (index, unit) in units.iter().enumerate() {
        let mut o = Map::new();
        if enabled[index] != unit.enabled_in_stack {
            o.insert("enabled".into(), json!(enabled[index]));
        } else if enabled[index] && rng.chance(5) {
            o.insert("enabled".into(), json!(true));
        }
        if let Some(facts) = &unit.service {
            service_overrides(
                rng,
                production,
                (env, &unit.name),
                facts,
                resources_full,
                &mut o,
            );
            if enabled[index] {
                let registry = match global_registry {
                    Some(registry) if facts.uses_global_registry => registry.to_owned(),
                    None if facts.uses_global_registry => "docker.io".to_owned(),
                    _ => facts.registry.clone(),
                };
                registries.insert(registry);
            }
            if !o.is_empty() {
                services.insert(unit.name.clone(), Json::Object(o));
            }
        } else if let Some(facts) = &unit.chart {
            if rng.chance(30) {
                o.insert("values".into(), json!({"replicaCount": rng.int(1, 4)}));
            }
            if rng.chance(15) {
                o.insert("version".into(), json!(rng.version()));
            }
            if rng.chance(10) {
                o.insert("targetNamespace".into(), json!(format!("apps-{env}")));
            }
            if rng.chance(10) {
                o.insert("timeout".into(), json!("7m30s"));
            }
            let mut pins = Map::new();
            for (image, registry) in &facts.images {
                if production {
                    pins.insert(image.clone(), json!({"digest": rng.digest()}));
                } else if rng.chance(20) {
                    pins.insert(image.clone(), json!({"tag": rng.version()}));
                }
                if enabled[index] {
                    registries.insert(registry.clone());
                }
            }
            if !pins.is_empty() {
                o.insert("images".into(), Json::Object(pins));
            }
            if !o.is_empty() {
                charts.insert(unit.name.clone(), Json::Object(o));
            }
        }
    }
    if production {
        let mut allowed: Vec<String> = registries.into_iter().collect();
        if rng.chance(30) {
            allowed.push("mirror.example.org".to_owned());
        }
        global.insert("allowedRegistries".into(), json!(allowed));
        global.insert(
            "ingress".into(),
            json!({"tls": {"clusterIssuer": "letsencrypt-prod"}}),
        );
    }
    if !global.is_empty() {
        root.insert("global".into(), Json::Object(global));
    }
    let mut secrets = Map::new();
    for name in &globals.secrets {
        if rng.chance(10) {
            // Services may reference it: here the Secret is made outside the stack.
            secrets.insert(name.clone(), json!({"existing": true}));
        } else if rng.chance(15) {
            secrets.insert(
                name.clone(),
                json!({"keys": {"extra": "APP_EXTRA"}, "refreshInterval": "5m"}),
            );
        }
    }
    if !secrets.is_empty() {
        root.insert("secrets".into(), Json::Object(secrets));
    }
    if !services.is_empty() {
        root.insert("services".into(), Json::Object(services));
    }
    if !charts.is_empty() {
        root.insert("charts".into(), Json::Object(charts));
    }
    Json::Object(root)
}

/// An environment's changes to one service; in production, what the policy requires.
fn service_overrides(
    rng: &mut Rng,
    production: bool,
    (env, service): (&str, &str),
    facts: &ServiceFacts,
    global_resources_full: bool,
    o: &mut Map<String, Json>,
) {
    let mut image = Map::new();
    if production {
        if !facts.has_digest || rng.chance(30) {
            image.insert("digest".into(), json!(rng.digest()));
        }
    } else if rng.chance(25) {
        image.insert("tag".into(), json!(format!("{}-rc.1", rng.version())));
    }
    if !image.is_empty() {
        o.insert("image".into(), Json::Object(image));
    }
    if !facts.port_pinned && rng.chance(10) {
        o.insert("port".into(), json!(rng.int(1024, 9999)));
    }
    let mut autoscaling = facts.autoscaling;
    if rng.chance(15) {
        autoscaling = !autoscaling;
        if autoscaling {
            let min = rng.int(1, 3);
            o.insert(
                "autoscaling".into(),
                json!({"enabled": true, "minReplicas": min, "maxReplicas": min + rng.int(0, 4)}),
            );
        } else {
            o.insert("autoscaling".into(), json!({"enabled": false}));
        }
    }
    let mut exposed = facts.exposed;
    let mut ingress = Map::new();
    if rng.chance(10) {
        exposed = !exposed;
        ingress.insert("enabled".into(), json!(exposed));
    }
    if rng.chance(15) {
        ingress.insert(
            "host".into(),
            json!(format!("{service}.{env}.override.example.net")),
        );
    }
    if !facts.request_timeout && rng.chance(15) {
        ingress.insert("sse".into(), json!(!facts.sse));
    }
    if rng.chance(10) {
        ingress.insert("className".into(), json!("public"));
        ingress.insert("annotations".into(), json!({"example.com/env": env}));
    }
    if production && facts.tls_disabled {
        ingress.insert("tls".into(), json!({"enabled": true}));
    }
    if rng.chance(20) {
        o.insert("replicas".into(), json!(rng.int(1, 4)));
    }
    if rng.chance(15) {
        o.insert(
            "env".into(),
            json!({"ENVIRONMENT": env, "LOG_LEVEL": rng.pick(&ENV_VALUES)}),
        );
    }
    if !facts.own_probes.is_empty() && rng.chance(15) {
        let kind = rng.pick(&facts.own_probes);
        o.insert(
            "probes".into(),
            json!({ kind: {"periodSeconds": rng.int(5, 60)} }),
        );
    }
    if facts.persistence && rng.chance(30) {
        o.insert("persistence".into(), json!({"size": "20Gi"}));
    } else if facts.persistence && rng.chance(10) {
        o.insert("persistence".into(), json!({"enabled": false}));
    } else if !facts.persistence && rng.chance(10) {
        o.insert(
            "persistence".into(),
                        json!({"enabled": true, "size": "2Gi", "mountPath": "/data", "accessModes": ["ReadWriteMany"]}),
        );
    }
    if rng.chance(10) {
        o.insert("args".into(), json!(["--verbose"]));
    }
    if rng.chance(10) {
        o.insert("service".into(), json!({"type": "LoadBalancer"}));
    }
    if rng.chance(10) {
        o.insert(
            "tolerations".into(),
            json!([{"operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300}]),
        );
    }
    if rng.chance(10) {
        o.insert(
            "serviceAccount".into(),
            json!({"annotations": {"example.com/env": env}}),
        );
    }
    if rng.chance(10) {
        o.insert("podLabels".into(), json!({"env": env}));
    }
    if rng.chance(15) {
        o.insert("writablePaths".into(), json!(["/tmp"]));
    }
    if rng.chance(10) {
        o.insert("metrics".into(), json!({"enabled": false}));
    } else if rng.chance(10) {
        o.insert(
            "metrics".into(),
            json!({"path": "/stats", "interval": "1m"}),
        );
    }
    let mut budget = Map::new();
    if !production && rng.chance(15) {
        budget.insert("enabled".into(), json!(rng.chance(50)));
        if let Some(key) = facts.budget_key {
            budget.insert(
                key.into(),
                json!(if key == "minAvailable" {
                    json!("0%")
                } else {
                    json!("25%")
                }),
            );
        }
    }
    let resources_full = match facts.own_resources {
        Some(full) => full,
        None => global_resources_full,
    };
    if (production && !resources_full) || rng.chance(15) {
        o.insert("resources".into(), resources(rng));
    }
    if production && exposed {
        budget.insert("enabled".into(), json!(true));
        if !autoscaling {
            o.insert("replicas".into(), json!(rng.int(2, 4)));
        }
    }
    if !budget.is_empty() {
        o.insert("disruptionBudget".into(), Json::Object(budget));
    }
    if !ingress.is_empty() {
        o.insert("ingress".into(), Json::Object(ingress));
    }
}

// --- The property --------------------------------------------------------------------

/// Build, check and compare one seed's project; the failure, if any.
fn run_seed(seed: u64, kubectl: bool) -> Result<(), String> {
    let project = generate(seed);
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    project.write(root);

    let build = mcpstack(root, &["build"]);
    if code(&build) != 0 {
        return Err(format!(
            "`mcpstack build` exited {}:\n{}",
            code(&build),
            stderr(&build)
        ));
    }
    let check = mcpstack(root, &["check"]);
    if code(&check) != 0 {
        return Err(format!(
            "`mcpstack check` right after a build exited {}:\n{}{}",
            code(&check),
            stdout(&check),
            stderr(&check)
        ));
    }
    for env in &project.environments {
        rendered_objects_pass_the_api_rules(root, env)?;
    }
    if !kubectl {
        return Ok(());
    }
    // Every environment when there are few, else the first and the last.
    let mut sample = project.environments.clone();
    if sample.len() > 2 {
        sample = vec![sample[0].clone(), sample[sample.len() - 1].clone()];
    }
    for env in sample {
        let rendered = mcpstack(root, &["render", &env]);
        if code(&rendered) != 0 {
            return Err(format!(
                "`mcpstack render {env}` exited {}:\n{}",
                code(&rendered),
                stderr(&rendered)
            ));
        }
        let expected =
            objects_by_key(&stdout(&rendered)).map_err(|e| format!("render {env}: {e}"))?;
        let overlay = root.join("generated/overlays").join(&env);
        let built = kustomize(&overlay)
            .and_then(|stream| objects_by_key(&stream))
            .map_err(|e| format!("kubectl kustomize generated/overlays/{env}: {e}"))?;
        let only_built: Vec<_> = built
            .keys()
            .filter(|k| !expected.contains_key(*k))
            .collect();
        let only_rendered: Vec<_> = expected
            .keys()
            .filter(|k| !built.contains_key(*k))
            .collect();
        if !only_built.is_empty() || !only_rendered.is_empty() {
            return Err(format!(
                "{env}: objects differ\n  only in kubectl kustomize: {only_built:?}\n  only in mcpstack render: {only_rendered:?}"
            ));
        }
        for (key, object) in &expected {
            if &built[key] != object {
                return Err(format!(
                    "{env}: {key:?} differs\n  kubectl kustomize: {}\n  mcpstack render:   {}",
                    built[key], object
                ));
            }
        }
    }
    Ok(())
}

#[test]
fn random_valid_projects_build_check_and_match_kustomize() {
    let seeds: Vec<u64> = match std::env::var("MCPSTACK_PROPERTY_SEED") {
        Ok(seed) => vec![seed.parse().expect("MCPSTACK_PROPERTY_SEED is a number")],
        Err(_) => (0..SEEDS).collect(),
    };
    let kubectl = can_run_part("the kustomize comparison", &[Need::Kubectl]);
    let mut failures = Vec::new();
    for seed in seeds {
        if let Err(problem) = run_seed(seed, kubectl) {
            failures.push(format!(
                "seed {seed} (reproduce: MCPSTACK_PROPERTY_SEED={seed} cargo test --test property)\n{problem}\nspec:\n{}",
                generate(seed).spec_text()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} seed(s) failed:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

/// `mcpstack render ENV` succeeds and every object it prints passes the API server's
/// rules and holds no credential: checked here with the library's rules, on the
/// binary's output, independently of the build that ran them.
fn rendered_objects_pass_the_api_rules(root: &Path, env: &str) -> Result<(), String> {
    let rendered = mcpstack(root, &["render", env]);
    if code(&rendered) != 0 {
        return Err(format!(
            "`mcpstack render {env}` exited {}:\n{}",
            code(&rendered),
            stderr(&rendered)
        ));
    }
    let objects = parse_stream(&stdout(&rendered)).map_err(|e| format!("render {env}: {e}"))?;
    for object in &objects {
        let violations = mcpstack::validate::api::check(object);
        if !violations.is_empty() {
            return Err(format!(
                "{env}: {} {} breaks the API rules: {violations:?}",
                object["kind"], object["metadata"]["name"]
            ));
        }
        let secrets = mcpstack::plaintext::in_object(object);
        if !secrets.is_empty() {
            return Err(format!(
                "{env}: {} {} holds credentials: {secrets:?}",
                object["kind"], object["metadata"]["name"]
            ));
        }
    }
    Ok(())
}

/// Values a careless or hostile edit puts in a spec.
const HOSTILE: [&str; 28] = [
    "\"\"",
    "../escape",
    "a/b",
    ".hidden",
    "UPPER_case",
    "-1",
    "0",
    "70000",
    "3000000000",
    "99999999999999999999",
    "1.5",
    "true",
    "no",
    "0755",
    "5GB",
    "1.5.5",
    "10.0.0.1/33",
    "\"x\\n::error::injected\"",
    "\"$(UNDEFINED)\"",
    "a b",
    "\"https://user:hunter2@example.com\"",
    "latest",
    "\"*\"",
    "[]",
    "{}",
    "[a, b]",
    "\"-----BEGIN PRIVATE KEY-----\"",
    "kube-system",
];

/// Every field of a spec value: the paths of its scalars, and of its mapping keys.
fn fields(value: &Json, path: &mut Vec<String>, out: &mut Vec<(Vec<String>, bool)>) {
    match value {
        Json::Object(map) => {
            for (key, child) in map {
                path.push(key.clone());
                out.push((path.clone(), true));
                fields(child, path, out);
                path.pop();
            }
        }
        Json::Array(items) => {
            for (index, child) in items.iter().enumerate() {
                path.push(index.to_string());
                fields(child, path, out);
                path.pop();
            }
        }
        _ => out.push((path.clone(), false)),
    }
}

/// `value` with the field at `path` replaced by `hostile` (parsed as YAML), or, for a
/// mapping key, the key renamed to it.
fn mutate(value: &mut Json, path: &[String], rename: bool, hostile: &str) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut parent = value;
    for step in parents {
        parent = match parent {
            Json::Object(map) => map.get_mut(step).expect("the path exists"),
            Json::Array(items) => &mut items[step.parse::<usize>().expect("an index")],
            _ => return,
        };
    }
    let replacement: Json =
        serde_saphyr::from_str(hostile).unwrap_or(Json::String(hostile.to_owned()));
    match parent {
        Json::Object(map) if rename => {
            let key = replacement
                .as_str()
                .map(str::to_owned)
                .unwrap_or_else(|| hostile.to_owned());
            if let Some(child) = map.remove(last) {
                map.insert(key, child);
            }
        }
        Json::Object(map) => {
            map.insert(last.clone(), replacement);
        }
        Json::Array(items) => {
            items[last.parse::<usize>().expect("an index")] = replacement;
        }
        _ => {}
    }
}

/// One field of one valid project changed to a hostile value: the build refuses it
/// (exit 2) or builds objects that pass the API server's rules. Never a crash, never
/// an internal error, never a file outside the project's folders.
fn run_mutation(seed: u64, round: u64) -> Result<(), String> {
    let mut project = generate(seed);
    let mut rng = Rng::new(seed * 1000 + round);
    let file = rng.below(project.files.len());
    let mut candidates = Vec::new();
    fields(&project.files[file].1, &mut Vec::new(), &mut candidates);
    if candidates.is_empty() {
        return Ok(());
    }
    let (path, is_key) = candidates[rng.below(candidates.len())].clone();
    let hostile = HOSTILE[rng.below(HOSTILE.len())];
    let rename = is_key && rng.chance(30);
    mutate(&mut project.files[file].1, &path, rename, hostile);
    let what = format!(
        "{} `{}` of environments/{} -> {hostile}",
        if rename { "key" } else { "value" },
        path.join("."),
        project.files[file].0
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().join("project");
    project.write(&root);
    std::fs::write(dir.path().join("beside.txt"), "sentinel").expect("sentinel");
    let build = mcpstack(&root, &["build"]);
    let outside: Vec<String> = std::fs::read_dir(dir.path())
        .expect("read the temp dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n != "project" && n != "beside.txt")
        .collect();
    if !outside.is_empty() {
        return Err(format!(
            "{what}: the build wrote beside the project: {outside:?}"
        ));
    }
    match code(&build) {
        2 => Ok(()),
        0 => {
            for env in &project.environments {
                rendered_objects_pass_the_api_rules(&root, env)
                    .map_err(|e| format!("{what}: {e}"))?;
            }
            Ok(())
        }
        other => Err(format!(
            "{what}: `mcpstack build` exited {other}:\n{}",
            stderr(&build)
        )),
    }
}

#[test]
fn single_field_mutations_are_refused_or_render_valid_objects() {
    let seeds: Vec<u64> = match std::env::var("MCPSTACK_PROPERTY_SEED") {
        Ok(seed) => vec![seed.parse().expect("MCPSTACK_PROPERTY_SEED is a number")],
        Err(_) => (0..SEEDS).collect(),
    };
    let mut failures = Vec::new();
    let mut outcomes = 0;
    for seed in seeds {
        for round in 0..MUTATIONS {
            outcomes += 1;
            if let Err(problem) = run_mutation(seed, round) {
                failures.push(format!(
                    "seed {seed}, mutation {round} (reproduce: MCPSTACK_PROPERTY_SEED={seed} cargo test --test property single_field)\n{problem}"
                ));
            }
        }
    }
    assert!(outcomes > 0, "no mutation ran");
    assert!(
        failures.is_empty(),
        "{} of {outcomes} mutation(s) failed:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

/// Mutations tried per seed.
const MUTATIONS: u64 = 12;

#[test]
fn the_generator_is_deterministic() {
    for seed in 0..4 {
        assert_eq!(generate(seed).spec_text(), generate(seed).spec_text());
    }
}
