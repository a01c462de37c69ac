//! `cargo bench --bench build`: how long mcpstack takes on a large stack, and how
//! long each Kustomize build of its output takes.
//!
//! The bench writes a generated stack of 1,000 services across three environments
//! (`staging`, `production` with every image pinned by digest, and the review
//! environment `pr-42`) into fresh temporary project directories, then:
//!
//! 1. times `build` in-process through the library, phase by phase (compile, output,
//!    plan, apply into an empty `generated/`; one fresh project per iteration), then a
//!    no-change `build` and `check` of the last project, and `diff` of a one-line
//!    change in it (a production image's digest) against its committed specs, as a ratio to that `check` (the target
//!    is at most 2x; needs `git`);
//! 2. runs `kubectl kustomize` on every unit Flux reconciles
//!    (`generated/overlays/<env>/<unit>/`), in parallel on the available cores, and
//!    once on a whole environment for comparison.
//!
//! Environment variables:
//! - `MCPSTACK_BENCH_ITERATIONS=N`: timed iterations of each in-process path (default 5).
//! - `MCPSTACK_BENCH_UNITS=N`: build only N units, spread evenly over all of them, and
//!   the namespace unit of each environment (the largest)
//!   (default: every unit). `0` skips the Kustomize part.
//! - `MCPSTACK_BENCH_WHOLE_ENV=0`: skip the whole-environment `kubectl kustomize`, which
//!   takes minutes on this stack.
//!
//! Without `kubectl` on the `PATH`, the Kustomize part is skipped with a note.

mod common;

use std::path::Path;
use std::process::{Command as Process, Stdio};
use std::time::{Duration, Instant};

use common::{
    env_count, kib, kubectl_version, kustomize, kustomize_in_parallel, median, ms, print_unit_runs,
    spread, unit_dirs_on_disk,
};

use mcpstack::command::{self, Command, Config};
use mcpstack::compile::{self, Compiled};
use mcpstack::render;
use mcpstack::tree::OutputTree;
use mcpstack::write;
use tempfile::TempDir;

/// The allocator the `mcpstack` binary uses, so the figures are the binary's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Services in the generated stack.
const SERVICES: usize = 1_000;
/// Services repeat in blocks: a gateway, its database and cache, then MCP servers.
const BLOCK: usize = 20;
/// The review environment's name.
const REVIEW: &str = "pr-42";
/// The environment built whole with `kubectl kustomize`, for comparison.
const WHOLE_ENVIRONMENT: &str = "production";
const DEFAULT_ITERATIONS: usize = 5;
const ITERATIONS_VAR: &str = "MCPSTACK_BENCH_ITERATIONS";
const UNITS_VAR: &str = "MCPSTACK_BENCH_UNITS";
const WHOLE_VAR: &str = "MCPSTACK_BENCH_WHOLE_ENV";

fn main() {
    let iterations = env_count(ITERATIONS_VAR)
        .unwrap_or(DEFAULT_ITERATIONS)
        .max(1);
    let workers = std::thread::available_parallelism().map_or(1, usize::from);
    let specs = spec_files();
    let spec_bytes: usize = specs.iter().map(|(_, text)| text.len()).sum();
    let environments = specs.len() - 1;
    println!(
        "mcpstack build bench: {SERVICES} services, {environments} environments, {iterations} iteration(s), {workers} core(s)"
    );
    println!("spec files: {}", kib(spec_bytes));

    // One fresh project per full build: nothing is deleted while timing (ext4 creates
    // files slowly right after many were deleted). They are removed when main returns.
    let projects: Vec<TempDir> = (0..iterations).map(|_| new_project(&specs)).collect();
    let root = projects.last().expect("at least one project").path();
    let compiled = compile_or_panic(root);
    let tree = command::output(&compiled).expect("render the output tree");
    print_counts(&compiled, &tree);
    let timings = time_in_process(&projects);
    print_timings(&timings);
    diff_section(root, iterations, &timings);

    match env_count(UNITS_VAR) {
        Some(0) => println!("\nkubectl kustomize: skipped ({UNITS_VAR}=0)"),
        limit => kustomize_section(root, &compiled, limit, workers),
    }
}

// ---------------------------------------------------------------------------------
// The generated stack
// ---------------------------------------------------------------------------------

/// What a generated service looks like; see [`BLOCK`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Profile {
    Gateway,
    Database,
    Cache,
    McpServer,
}

fn profile(index: usize) -> Profile {
    match index % BLOCK {
        0 => Profile::Gateway,
        1 => Profile::Database,
        2 => Profile::Cache,
        _ => Profile::McpServer,
    }
}

/// A DNS label starting with a letter, unique per index.
fn service_name(index: usize) -> String {
    let prefix = match profile(index) {
        Profile::Gateway => "gateway",
        Profile::Database => "postgres",
        Profile::Cache => "redis",
        Profile::McpServer => "mcp-tool",
    };
    format!("{prefix}-{index:04}")
}

/// A deterministic `sha256:` digest for `name`: four rounds of FNV-1a, as hex.
fn digest(name: &str) -> String {
    let mut hex = String::from("sha256:");
    for round in 0u8..4 {
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for byte in name.bytes().chain([round]) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
        hex.push_str(&format!("{hash:016x}"));
    }
    hex
}

/// The spec files of the generated stack: file name without `.yaml`, and text.
fn spec_files() -> Vec<(String, String)> {
    vec![
        ("stack".to_owned(), stack_file()),
        ("staging".to_owned(), staging_file()),
        ("production".to_owned(), production_file()),
        (REVIEW.to_owned(), review_file()),
    ]
}

/// A fresh temporary project holding `specs` in `environments/`.
fn new_project(specs: &[(String, String)]) -> TempDir {
    let project = tempfile::tempdir().expect("create a temporary project directory");
    let dir = project.path().join("environments");
    std::fs::create_dir_all(&dir).expect("create environments/");
    for (name, text) in specs {
        std::fs::write(dir.join(format!("{name}.yaml")), text).expect("write a spec file");
    }
    project
}

const STACK_HEADER: &str = "\
# A generated stack for the build bench.
name: bench-stack

global:
  domain: example.com
  image:
    registry: ghcr.io
    pullPolicy: IfNotPresent
  port: 8080
  resources:
    requests: {cpu: 50m, memory: 64Mi}
    limits: {cpu: 250m, memory: 256Mi}
  ingress:
    className: nginx
    tls:
      clusterIssuer: letsencrypt-staging
  secretStore:
    infisical:
      hostAPI: https://infisical.example.com
      projectSlug: bench-stack
      environmentSlug: staging
      credentialsSecret: infisical-credentials
  network:
    ingressNamespace: ingress-nginx
    monitoringNamespace: monitoring

services:
";

fn stack_file() -> String {
    let mut out = String::from(STACK_HEADER);
    for index in 0..SERVICES {
        out.push_str(&match profile(index) {
            Profile::Gateway => gateway(index),
            Profile::Database => database(index),
            Profile::Cache => cache(index),
            Profile::McpServer => mcp_server(index),
        });
    }
    out.push_str("\nsecrets:\n");
    for index in 0..SERVICES {
        out.push_str(&secrets(index));
    }
    out
}

/// The Secrets a service reads, synced from the store: every `secretKeyRef` and
/// `envFrom` of the stack names one of them.
fn secrets(index: usize) -> String {
    let name = service_name(index);
    match profile(index) {
        Profile::Gateway => format!(
            "  {name}-database:\n    keys: {{url: {name}_DATABASE_URL}}\n  {name}-auth:\n    keys: {{jwt-secret-key: {name}_JWT_SECRET_KEY}}\n"
        ),
        Profile::Database | Profile::Cache => {
            format!("  {name}-credentials:\n    keys: {{password: {name}_PASSWORD}}\n")
        }
        Profile::McpServer => {
            let mut out = String::new();
            if index.is_multiple_of(3) {
                out.push_str(&format!(
                    "  {name}-credentials:\n    keys: {{token: {name}_TOKEN}}\n"
                ));
            }
            if index.is_multiple_of(4) {
                out.push_str(&format!("  {name}-env:\n    path: /{name}\n"));
            }
            out
        }
    }
}

fn gateway(index: usize) -> String {
    let name = service_name(index);
    let database = service_name(index + 1);
    let cache = service_name(index + 2);
    format!(
        "  {name}:
    component: gateway
    dependsOn: [{database}, {cache}]
    image:
      repository: ibm/mcp-context-forge
      tag: \"0.9.0\"
    port: 4444
    replicas: 2
    env:
      HOST: \"0.0.0.0\"
      PORT: \"4444\"
      CACHE_TYPE: redis
      REDIS_URL: redis://{cache}:6379/0
      DATABASE_URL:
        secretKeyRef: {{name: {name}-database, key: url}}
      JWT_SECRET_KEY:
        secretKeyRef: {{name: {name}-auth, key: jwt-secret-key}}
    probes:
      liveness:
        httpGet: {{path: /health}}
        initialDelaySeconds: 10
        periodSeconds: 15
      readiness:
        httpGet: {{path: /ready}}
        periodSeconds: 10
      startup:
        httpGet: {{path: /health}}
        periodSeconds: 5
        failureThreshold: 30
    resources:
      requests: {{cpu: 100m, memory: 512Mi}}
      limits: {{cpu: 200m, memory: 1Gi}}
    autoscaling:
      enabled: false
      minReplicas: 2
      maxReplicas: 10
      targetCPUUtilizationPercentage: 80
    disruptionBudget:
      enabled: true
      maxUnavailable: 1
    metrics:
      path: /metrics/prometheus
    ingress:
      enabled: true
      sse: true
"
    )
}

fn database(index: usize) -> String {
    let name = service_name(index);
    format!(
        "  {name}:
    component: database
    image:
      registry: docker.io
      repository: bitnami/postgresql
      tag: \"17.2.0\"
    port: 5432
    env:
      POSTGRESQL_DATABASE: mcp
      POSTGRESQL_USERNAME: admin
      POSTGRESQL_PASSWORD:
        secretKeyRef: {{name: {name}-credentials, key: password}}
    probes:
      liveness:
        exec:
          command: [\"pg_isready\", \"-U\", \"admin\", \"-d\", \"mcp\"]
        initialDelaySeconds: 30
      readiness:
        tcpSocket: {{}}
        periodSeconds: 5
    resources:
      requests: {{cpu: 500m, memory: 256Mi}}
      limits: {{cpu: \"1\", memory: 1Gi}}
    persistence:
      enabled: true
      size: 5Gi
      mountPath: /bitnami/postgresql
"
    )
}

fn cache(index: usize) -> String {
    let name = service_name(index);
    format!(
        "  {name}:
    component: cache
    image:
      registry: docker.io
      repository: bitnami/redis
      tag: \"7.4.1\"
    port: 6379
    env:
      ALLOW_EMPTY_PASSWORD: \"no\"
      REDIS_PASSWORD:
        secretKeyRef: {{name: {name}-credentials, key: password}}
    probes:
      liveness:
        exec:
          command: [\"redis-cli\", \"ping\"]
      readiness:
        tcpSocket: {{}}
    resources:
      requests: {{cpu: 50m, memory: 16Mi}}
      limits: {{cpu: 100m, memory: 256Mi}}
    persistence:
      enabled: true
      size: 1Gi
      mountPath: /bitnami/redis/data
"
    )
}

/// Most of the stack: MCP servers with a varying mix of optional features.
fn mcp_server(index: usize) -> String {
    let name = service_name(index);
    let mut out = format!(
        "  {name}:
    component: mcp-server
    image:
      repository: mcp/tool-{index:04}
      tag: \"1.{minor}.0\"
    replicas: 2
    disruptionBudget: {{enabled: true}}
    args: [\"-transport=sse\", \"-port=8080\", \"-listen=0.0.0.0\"]
",
        minor = index % 7
    );
    if index.is_multiple_of(3) {
        out.push_str(&format!(
            "    env:
      LOG_LEVEL: info
      MCP_TRANSPORT: streamable-http
      API_TOKEN:
        secretKeyRef: {{name: {name}-credentials, key: token}}
"
        ));
    }
    if index.is_multiple_of(4) {
        out.push_str(&format!("    envFrom:\n      - secretRef: {name}-env\n"));
    }
    out.push_str(
        "    probes:
      liveness:
        httpGet: {path: /health}
      readiness:
        httpGet: {path: /health/ready}
    resources:
      requests: {cpu: 25m, memory: 32Mi}
      limits: {cpu: 100m, memory: 128Mi}
",
    );
    if index % 10 == 5 {
        out.push_str(
            "    autoscaling:\n      enabled: false\n      minReplicas: 2\n      maxReplicas: 6\n",
        );
    }
    if index % 10 == 7 {
        out.push_str(
            "    persistence:\n      enabled: true\n      size: 1Gi\n      mountPath: /data\n      accessModes: [ReadWriteMany]\n",
        );
    }
    if index % 8 != 6 {
        out.push_str("    ingress:\n      enabled: true\n      sse: true\n");
    }
    out
}

/// Staging differs little: some release candidates, and the gateways on one replica.
fn staging_file() -> String {
    let mut out = String::from("tier: staging\n\nservices:\n");
    for index in 0..SERVICES {
        let name = service_name(index);
        match profile(index) {
            Profile::Gateway => out.push_str(&format!("  {name}:\n    replicas: 1\n")),
            Profile::McpServer if index % 10 == 3 => out.push_str(&format!(
                "  {name}:\n    image:\n      tag: \"1.{}.1-rc.1\"\n",
                index % 7
            )),
            _ => {}
        }
    }
    out
}

/// Production pins every image by digest and scales the busy services.
fn production_file() -> String {
    let mut out = String::from(
        "tier: production\n\nglobal:\n  allowedRegistries: [ghcr.io, docker.io]\n  ingress:\n    tls:\n      clusterIssuer: letsencrypt-prod\n\nservices:\n",
    );
    for index in 0..SERVICES {
        let name = service_name(index);
        out.push_str(&format!(
            "  {name}:\n    image:\n      digest: {}\n",
            digest(&name)
        ));
        out.push_str(&production_extras(index));
    }
    out
}

fn production_extras(index: usize) -> String {
    match profile(index) {
        Profile::Gateway => "    autoscaling:
      enabled: true
      minReplicas: 3
      maxReplicas: 10
    resources:
      requests: {cpu: 200m, memory: 512Mi}
      limits: {cpu: \"1\", memory: 1Gi}
    topologySpread:
      - topologyKey: topology.kubernetes.io/zone
"
        .to_owned(),
        Profile::Database => "    persistence:
      size: 50Gi
      storageClassName: premium-ssd
"
        .to_owned(),
        Profile::McpServer if index % 10 == 5 => {
            "    autoscaling:\n      enabled: true\n".to_owned()
        }
        Profile::McpServer if index.is_multiple_of(4) => "    replicas: 3\n".to_owned(),
        _ => String::new(),
    }
}

/// The review environment: one replica, the branch's gateway build, small volumes, and
/// the last MCP server of each block left out (only gateways have dependencies, and
/// they depend on their block's database and cache).
fn review_file() -> String {
    let mut out = String::from("tier: review\n\nservices:\n");
    for index in 0..SERVICES {
        let name = service_name(index);
        let body = match profile(index) {
            Profile::Gateway => format!(
                "    image:\n      tag: {REVIEW}\n    replicas: 1\n    disruptionBudget:\n      enabled: false\n"
            ),
            Profile::Database => "    persistence:\n      size: 1Gi\n".to_owned(),
            Profile::McpServer if index % BLOCK == BLOCK - 1 => "    enabled: false\n".to_owned(),
            Profile::McpServer => "    replicas: 1\n".to_owned(),
            Profile::Cache => String::new(),
        };
        if !body.is_empty() {
            out.push_str(&format!("  {name}:\n{body}"));
        }
    }
    out
}

// ---------------------------------------------------------------------------------
// In-process timings
// ---------------------------------------------------------------------------------

/// Compile the generated stack, or print its diagnostics and panic: an invalid stack
/// means the generator (or the compiler) is wrong, and no timing would mean anything.
fn compile_or_panic(root: &Path) -> Compiled {
    match compile::compile(root).expect("read the generated spec files") {
        Ok(compiled) => {
            assert!(
                compiled.warnings.is_empty(),
                "the generated stack should compile without warnings, got {}",
                compiled.warnings.len()
            );
            compiled
        }
        Err(invalid) => {
            for diagnostic in invalid.diagnostics.iter().take(20) {
                eprintln!("{}", diagnostic.render(&invalid.sources));
            }
            panic!(
                "the generated stack is invalid: {} diagnostic(s)",
                invalid.diagnostics.len()
            );
        }
    }
}

/// Compile, build the output tree, plan and apply: `mcpstack build`, phase by phase.
fn build(root: &Path) -> ([Duration; 4], write::Summary) {
    let started = Instant::now();
    let compiled = compile::compile(root)
        .expect("read the spec files")
        .expect("the generated stack is valid");
    let compiled_at = Instant::now();
    let tree = command::output(&compiled).expect("render the output tree");
    let output_at = Instant::now();
    let plan = write::plan(root, &tree).expect("plan the build");
    let planned_at = Instant::now();
    let summary = write::apply(root, &plan).expect("apply the plan");
    let applied_at = Instant::now();
    let phases = [
        compiled_at - started,
        output_at - compiled_at,
        planned_at - output_at,
        applied_at - planned_at,
    ];
    (phases, summary)
}

/// `mcpstack check` through the command layer; the tree on disk must be up to date. The
/// bench builds phase by phase, which leaves no build record, so this is the full path
/// (compile and read back), as on a fresh clone; `benches/peers.rs` times both.
fn check(root: &Path) -> Duration {
    let config = Config {
        root: root.to_path_buf(),
        command: Command::Check,
        reporting: Default::default(),
    };
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let started = Instant::now();
    let code = command::run(&config, &mut out, &mut err);
    let elapsed = started.elapsed();
    assert_eq!(
        code,
        mcpstack::exit::OK,
        "check after build should find no drift: {}",
        String::from_utf8_lossy(&err)
    );
    elapsed
}

/// Timings of one in-process path: a label and one duration per iteration.
struct Series {
    label: &'static str,
    samples: Vec<Duration>,
}

impl Series {
    fn new(label: &'static str) -> Self {
        Self {
            label,
            samples: Vec::new(),
        }
    }

    fn min(&self) -> Duration {
        self.samples.iter().copied().min().unwrap_or_default()
    }

    fn median(&self) -> Duration {
        median(&self.samples)
    }
}

/// Every in-process timing: one full build into each project, then no-change builds
/// and checks in the last one, which is left with an up-to-date build.
fn time_in_process(projects: &[TempDir]) -> Vec<Series> {
    let labels = [
        "  compile (load, validate, lower)",
        "  output (render the tree)",
        "  plan (compare with disk)",
        "  apply (write files)",
    ];
    let mut phases: Vec<Series> = labels.into_iter().map(Series::new).collect();
    let mut full = Series::new("build, empty generated/ (total)");
    for project in projects {
        let (times, summary) = build(project.path());
        assert!(
            summary.written > 0 && summary.unchanged == 0,
            "a first build should write every file"
        );
        for (series, time) in phases.iter_mut().zip(times) {
            series.samples.push(time);
        }
        full.samples.push(times.iter().sum());
    }
    let root = projects.last().expect("at least one project").path();
    let mut unchanged = Series::new("build, no change");
    let mut checks = Series::new("check, up to date, full path");
    for _ in projects {
        let (times, summary) = build(root);
        assert_eq!(
            (summary.written, summary.removed),
            (0, 0),
            "a second build should change nothing"
        );
        unchanged.samples.push(times.iter().sum());
        checks.samples.push(check(root));
    }
    let mut all = vec![full];
    all.extend(phases);
    all.extend([unchanged, checks]);
    all
}

/// `mcpstack diff` of a one-line change (one production image's digest) against
/// the committed specs, through the command layer, as a ratio to the up-to-date check
/// of the same run. The project becomes a git repository for it.
fn diff_section(root: &Path, iterations: usize, timings: &[Series]) {
    let git = |args: &[&str]| {
        Process::new("git")
            .arg("-C")
            .arg(root)
            .args(args)
            .env("GIT_AUTHOR_NAME", "bench")
            .env("GIT_AUTHOR_EMAIL", "bench@example.com")
            .env("GIT_COMMITTER_NAME", "bench")
            .env("GIT_COMMITTER_EMAIL", "bench@example.com")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    let ready = git(&["init", "-q"])
        && git(&["add", "environments"])
        && git(&["commit", "-q", "-m", "specs"]);
    if !ready {
        println!("\ndiff: skipped (git is not available)");
        return;
    }
    let production = root.join("environments/production.yaml");
    let text = std::fs::read_to_string(&production).expect("production spec");
    let changed = text.replacen(
        "      digest: sha256:",
        "      digest: sha256:0000000000000000000000000000000000000000000000000000000000000000\n      # was: ",
        1,
    );
    std::fs::write(&production, changed).expect("edit production");
    let request = mcpstack::diff::Request {
        base: "HEAD".to_owned(),
        environments: Vec::new(),
        format: mcpstack::diff::Format::Json,
        names_only: false,
        exit_code: true,
        color: false,
    };
    let config = Config {
        root: root.to_path_buf(),
        command: Command::Diff(request),
        reporting: Default::default(),
    };
    let mut diffs = Series::new("diff, one-line change (vs HEAD)");
    for _ in 0..iterations {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let started = Instant::now();
        let code = command::run(&config, &mut out, &mut err);
        diffs.samples.push(started.elapsed());
        assert_eq!(
            code,
            mcpstack::exit::DRIFT,
            "the diff should find the change: {}",
            String::from_utf8_lossy(&err)
        );
    }
    std::fs::write(&production, text).expect("restore production");
    print_timings(std::slice::from_ref(&diffs));
    if let Some(check) = timings
        .iter()
        .find(|s| s.label == "check, up to date, full path")
    {
        let ratio = diffs.median().as_secs_f64() / check.median().as_secs_f64().max(1e-9);
        println!("diff / up-to-date check (medians): {ratio:.2}x (target: at most 2x)");
    }
}

fn print_counts(compiled: &Compiled, tree: &OutputTree) {
    let bytes: usize = tree.files.values().map(String::len).sum();
    let objects: usize = compiled
        .stack
        .environments
        .iter()
        .map(|env| render::environment_objects(&compiled.stack, env).len())
        .sum();
    let units = unit_dirs_in(tree).len();
    println!("output: {} files, {}", tree.files.len(), kib(bytes));
    println!("Kubernetes objects across all environments: {objects}");
    println!("Kustomize units = Flux Kustomizations: {units}");
    for env in &compiled.stack.environments {
        let objects = render::environment_objects(&compiled.stack, env).len();
        println!(
            "  {:<12} {:>5} services, {:>5} objects",
            env.name,
            env.services.len(),
            objects
        );
    }
}

/// `generated/overlays/<env>/<unit>` of every unit in the tree.
fn unit_dirs_in(tree: &OutputTree) -> Vec<String> {
    tree.files
        .keys()
        .filter_map(|path| {
            let unit = path
                .strip_prefix("generated/overlays/")?
                .strip_suffix("/kustomization.yaml")?;
            unit.contains('/')
                .then(|| format!("generated/overlays/{unit}"))
        })
        .collect()
}

fn print_timings(all: &[Series]) {
    println!(
        "\n{:<36} {:>10} {:>10}",
        "in-process (release)", "min", "median"
    );
    for series in all {
        println!(
            "{:<36} {:>10} {:>10}",
            series.label,
            ms(series.min()),
            ms(series.median())
        );
    }
}

// ---------------------------------------------------------------------------------
// kubectl kustomize
// ---------------------------------------------------------------------------------
fn kustomize_section(root: &Path, compiled: &Compiled, limit: Option<usize>, workers: usize) {
    let Some(version) = kubectl_version() else {
        println!("\nkubectl kustomize: skipped, `kubectl` is not on the PATH");
        return;
    };
    let all = unit_dirs_on_disk(root);
    let mut units = spread(&all, limit.unwrap_or(all.len()));
    // Each environment's namespace unit holds all of its ExternalSecrets: the largest
    // units, so a sample always includes them.
    for unit in all.iter().filter(|unit| unit.ends_with("/namespace")) {
        if !units.contains(unit) {
            units.push(unit.clone());
        }
    }
    println!(
        "\nkubectl kustomize ({version}): {} of {} units, {workers} in parallel",
        units.len(),
        all.len()
    );
    let started = Instant::now();
    let mut runs = kustomize_in_parallel(root, &units, workers);
    let wall = started.elapsed();
    runs.sort_by_key(|run| run.elapsed);
    print_unit_runs(&runs, wall);
    if env_count(WHOLE_VAR) == Some(0) {
        println!("whole environment: skipped ({WHOLE_VAR}=0)");
        return;
    }
    let whole = format!("generated/overlays/{WHOLE_ENVIRONMENT}");
    let run = kustomize(root, &whole);
    let expected = compiled
        .stack
        .environments
        .iter()
        .find(|env| env.name == WHOLE_ENVIRONMENT)
        .map(|env| render::environment_objects(&compiled.stack, env).len())
        .expect("the whole environment exists");
    println!(
        "whole environment: kubectl kustomize {whole}: {} ({} objects, mcpstack renders {expected})",
        ms(run.elapsed),
        run.objects
    );
}
