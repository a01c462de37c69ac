//! Monitoring and scaling extras on the stack in `tests/fixtures/monitoring/`: the
//! ServiceMonitor's labels (kube-prometheus-stack's `release`) and scrape timeout,
//! `Pods` and `External` autoscaling metrics, claim labels and annotations, and the
//! stack-wide defaults (`global.autoscaling`, `global.disruptionBudget`,
//! `global.persistence`, `global.metrics`) that services inherit, override, and that
//! Jobs and workers do not take where they mean nothing. The objects must pass
//! `kubernetes-validate --strict` and the Prometheus Operator's CRD schema.

mod common;

use std::path::PathBuf;
use std::process::Command;

use serde_json::{Value as Json, json};

use common::{
    KUBERNETES_VALIDATE, Need, can_run, can_run_part, code, crd_schemas_dir, documents, mcpstack,
    project_root, stderr,
};

/// The Kubernetes release whose API schemas the objects must satisfy.
const KUBERNETES_VERSION: &str = "1.33.0";

fn fixture() -> PathBuf {
    project_root().join("tests/fixtures/monitoring")
}

/// The objects `mcpstack render ENV` prints for the fixture.
fn render(env: &str) -> Vec<Json> {
    let output = mcpstack(&fixture(), &["render", env]);
    assert_eq!(code(&output), 0, "render {env}: {}", stderr(&output));
    let text = String::from_utf8(output.stdout).expect("UTF-8 output");
    documents(&text)
        .expect("a YAML stream")
        .into_iter()
        .map(|d| d.object)
        .collect()
}

fn find<'a>(objects: &'a [Json], kind: &str, name: &str) -> Option<&'a Json> {
    objects
        .iter()
        .find(|o| o["kind"] == kind && o["metadata"]["name"] == name)
}

fn get<'a>(objects: &'a [Json], kind: &str, name: &str) -> &'a Json {
    find(objects, kind, name).unwrap_or_else(|| panic!("no {kind} `{name}`"))
}

#[test]
fn service_monitors_carry_labels_and_scrape_timeouts() {
    let objects = render("staging");
    let api = get(&objects, "ServiceMonitor", "api");
    // Inherited from `global.metrics`: the service declares no metrics of its own.
    assert_eq!(
        api["metadata"]["labels"]["release"], "kube-prometheus-stack",
        "{api:#}"
    );
    assert_eq!(api["metadata"]["labels"]["app.kubernetes.io/name"], "api");
    assert_eq!(
        api["spec"]["endpoints"],
        json!([{"interval": "30s", "path": "/metrics", "port": "main", "scrapeTimeout": "10s"}])
    );
    // The service's own label and timeout win over the global ones.
    let store = get(&objects, "ServiceMonitor", "store");
    assert_eq!(store["metadata"]["labels"]["release"], "team-prometheus");
    assert_eq!(store["spec"]["endpoints"][0]["scrapeTimeout"], "5s");
    assert_eq!(store["spec"]["endpoints"][0]["port"], "metrics");
}

#[test]
fn autoscalers_take_pods_and_external_metrics() {
    let objects = render("staging");
    let hpa = get(&objects, "HorizontalPodAutoscaler", "api");
    assert_eq!(hpa["spec"]["maxReplicas"], 4, "from global.autoscaling");
    assert_eq!(
        hpa["spec"]["metrics"],
        json!([
            {"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 75}}},
            {"type": "Pods", "pods": {
                "metric": {"name": "mcp_sessions_active", "selector": {"matchLabels": {"route": "sse"}}},
                "target": {"type": "AverageValue", "averageValue": "100"}}},
            {"type": "External", "external": {
                "metric": {"name": "queue_depth"},
                "target": {"type": "Value", "value": "30"}}},
            {"type": "External", "external": {
                "metric": {"name": "queue_age_seconds"},
                "target": {"type": "AverageValue", "averageValue": "500m"}}},
        ])
    );
    assert_eq!(
        hpa["spec"]["behavior"],
        json!({"scaleDown": {"stabilizationWindowSeconds": 300}})
    );
    let api = get(&objects, "Deployment", "api");
    assert!(
        api["spec"].get("replicas").is_none(),
        "the autoscaler owns the count"
    );
}

#[test]
fn claims_carry_labels_and_annotations() {
    let objects = render("staging");
    let claim = get(&objects, "PersistentVolumeClaim", "store-data");
    let labels = &claim["metadata"]["labels"];
    assert_eq!(labels["backup"], "daily", "from global.persistence");
    assert_eq!(labels["tier"], "gold");
    assert_eq!(labels["app.kubernetes.io/name"], "store");
    assert_eq!(
        claim["metadata"]["annotations"],
        json!({"backup.velero.io/backup-volumes": "data"})
    );
    assert_eq!(claim["spec"]["storageClassName"], "fast-ssd");
    assert_eq!(claim["spec"]["resources"]["requests"]["storage"], "2Gi");
    // Persistence is switched on per service: the others keep no claim.
    for name in ["api-data", "queue-data", "migrate-data"] {
        assert!(
            find(&objects, "PersistentVolumeClaim", name).is_none(),
            "{name}"
        );
    }
}

#[test]
fn global_defaults_are_inherited_overridden_and_skipped() {
    let objects = render("staging");
    // `store` switches autoscaling off and picks its own budget.
    assert!(find(&objects, "HorizontalPodAutoscaler", "store").is_none());
    let budget = get(&objects, "PodDisruptionBudget", "store");
    assert_eq!(budget["spec"]["minAvailable"], 0);
    assert!(budget["spec"].get("maxUnavailable").is_none());
    assert_eq!(
        get(&objects, "PodDisruptionBudget", "api")["spec"]["maxUnavailable"],
        1
    );
    // A worker listens on no port: no ServiceMonitor, whatever `global.metrics` says.
    assert!(find(&objects, "ServiceMonitor", "queue").is_none());
    assert!(find(&objects, "HorizontalPodAutoscaler", "queue").is_none());
    // A Job takes none of the defaults.
    for kind in [
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
        "ServiceMonitor",
    ] {
        assert!(find(&objects, kind, "migrate").is_none(), "{kind} migrate");
    }
    // Another environment changes the defaults for every service at once.
    let qa = render("qa");
    assert!(
        !qa.iter().any(|o| o["kind"] == "ServiceMonitor"),
        "global.metrics.enabled: false"
    );
    assert_eq!(
        get(&qa, "HorizontalPodAutoscaler", "api")["spec"]["maxReplicas"],
        8
    );
}

/// The objects this file is about, checked against the real schemas: Kubernetes kinds
/// with `kubernetes-validate --strict`, ServiceMonitors against their CRD schema.
#[test]
fn objects_conform_to_their_schemas() {
    if !can_run(&[Need::KubernetesValidate]) {
        return;
    }
    let mut kinds = Vec::new();
    let mut monitors = Vec::new();
    for env in ["staging", "qa"] {
        for object in render(env) {
            match object["kind"].as_str().unwrap_or_default() {
                "HorizontalPodAutoscaler" | "PodDisruptionBudget" | "PersistentVolumeClaim" => {
                    kinds.push(object)
                }
                "ServiceMonitor" => monitors.push(object),
                _ => {}
            }
        }
    }
    assert!(kinds.len() >= 5 && monitors.len() >= 2);
    let dir = tempfile::tempdir().expect("temp dir");
    let text: String = kinds
        .iter()
        .map(|o| format!("---\n{}\n", serde_json::to_string(o).expect("JSON")))
        .collect();
    std::fs::write(dir.path().join("objects.yaml"), text).expect("write objects");
    let output = Command::new(KUBERNETES_VALIDATE)
        .args(["-k", KUBERNETES_VERSION, "--strict", "objects.yaml"])
        .current_dir(dir.path())
        .output()
        .expect("kubernetes-validate runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let passed = stdout
        .lines()
        .filter(|l| l.starts_with("INFO ") && l.contains(" passed for resource "))
        .count();
    assert!(
        output.status.success() && passed == kinds.len(),
        "{passed} of {} passed:\n{stdout}{}",
        kinds.len(),
        String::from_utf8_lossy(&output.stderr)
    );
    if !can_run_part(
        "the check of ServiceMonitors against their CRD schema",
        &[Need::CrdSchemas],
    ) {
        return;
    }
    let path = crd_schemas_dir().join("monitoring.coreos.com/servicemonitor_v1.json");
    let schema: Json =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("read the CRD schema"))
            .expect("a JSON schema");
    let validator = jsonschema::draft202012::new(&schema).expect("a CRD schema compiles");
    for monitor in &monitors {
        let errors: Vec<String> = validator
            .iter_errors(monitor)
            .map(|e| format!("{}: {e}", e.instance_path().as_str()))
            .collect();
        assert!(errors.is_empty(), "{monitor:#}: {errors:?}");
    }
}
