//! Workload kinds, end to end on `tests/fixtures/workloads`: a migration Job ordered
//! before the gateway, a database as a StatefulSet, a nightly CronJob and a port-less
//! worker. The real binary builds a copy of the stack; the tests read what it wrote and
//! what `render` prints.

mod common;

use std::fs;
use std::path::Path;
use std::process::Command;

use common::{
    KUBECTL, KUBERNETES_VALIDATE, Need, can_run, code, copy_dir, mcpstack, parse_stream,
    project_root, stderr, stdout,
};
use serde_json::Value as Json;

const ENVIRONMENTS: [&str; 2] = ["production", "staging"];

/// A built copy of the fixture stack, after `edit` changed its spec files.
fn built(edit: impl FnOnce(&Path)) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary folder");
    copy_dir(&project_root().join("tests/fixtures/workloads"), dir.path());
    edit(dir.path());
    let output = mcpstack(dir.path(), &["build"]);
    assert_eq!(code(&output), 0, "build fails: {}", stderr(&output));
    dir
}

fn yaml(path: &Path) -> Json {
    let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    parse_stream(&text).expect("YAML").swap_remove(0)
}

fn rendered(root: &Path, env: &str) -> Vec<Json> {
    let output = mcpstack(root, &["render", env]);
    assert_eq!(code(&output), 0, "render fails: {}", stderr(&output));
    parse_stream(&stdout(&output)).expect("rendered YAML")
}

fn find<'a>(objects: &'a [Json], kind: &str, name: &str) -> Option<&'a Json> {
    objects
        .iter()
        .find(|o| o["kind"] == kind && o["metadata"]["name"] == name)
}

fn job_name(root: &Path, env: &str) -> String {
    let objects = rendered(root, env);
    let jobs: Vec<&Json> = objects.iter().filter(|o| o["kind"] == "Job").collect();
    assert_eq!(jobs.len(), 1, "one Job in {env}");
    jobs[0]["metadata"]["name"]
        .as_str()
        .expect("a name")
        .to_owned()
}

fn append(root: &Path, file: &str, text: &str) {
    let path = root.join("environments").join(file);
    let mut content = fs::read_to_string(&path).expect("spec file");
    content.push_str(text);
    fs::write(path, content).expect("spec file written");
}

#[test]
fn the_job_unit_comes_before_the_gateway_and_always_waits() {
    // Even when the environment's units do not wait, the Job's does.
    let dir = built(|root| append(root, "staging.yaml", "global:\n  flux: {wait: false}\n"));
    for env in ENVIRONMENTS {
        let flux = dir.path().join("generated/flux").join(env);
        let gateway = yaml(&flux.join("gateway.yaml"));
        let needs: Vec<&str> = gateway["spec"]["dependsOn"]
            .as_array()
            .expect("dependsOn")
            .iter()
            .filter_map(|d| d["name"].as_str())
            .collect();
        assert!(
            needs.contains(&format!("{env}-migrate").as_str()),
            "{needs:?}"
        );
        let migrate = yaml(&flux.join("migrate.yaml"));
        assert_eq!(migrate["spec"]["wait"], true, "{env}");
        // The Job may run 600 s: Flux waits that long and a minute more, not 5m.
        assert_eq!(migrate["spec"]["timeout"], "660s", "{env}");
        assert_eq!(gateway["spec"]["timeout"], "5m", "{env}");
        assert_eq!(gateway["spec"]["wait"], env == "production", "{env}");
    }
}

#[test]
fn a_jobs_name_follows_its_content_in_each_environment() {
    let dir = built(|_| {});
    let before: Vec<String> = ENVIRONMENTS
        .iter()
        .map(|e| job_name(dir.path(), e))
        .collect();
    for name in &before {
        let hash = name
            .strip_prefix("migrate-")
            .expect("named after the service");
        assert!(
            hash.len() == 8 && hash.chars().all(|c| c.is_ascii_hexdigit()),
            "{name}"
        );
    }
    // The same content renders the same name: builds are reproducible.
    let again = built(|_| {});
    assert_eq!(job_name(again.path(), "staging"), before[1]);
    // A new image in production: a new Job there, the same one in staging.
    let image = built(|root| {
        let path = root.join("environments/production.yaml");
        let text = fs::read_to_string(&path).expect("production.yaml");
        fs::write(&path, text.replacen("1111111111", "9999999999", 1)).expect("written");
    });
    assert_ne!(job_name(image.path(), "production"), before[0]);
    assert_eq!(job_name(image.path(), "staging"), before[1]);
    // A new command in staging only.
    let command = built(|root| {
        append(
            root,
            "staging.yaml",
            "services:\n  migrate:\n    command: [gateway, migrate, --verbose]\n",
        )
    });
    assert_eq!(job_name(command.path(), "production"), before[0]);
    assert_ne!(job_name(command.path(), "staging"), before[1]);
}

#[test]
fn a_stateful_sets_claims_come_from_its_templates() {
    let dir = built(|_| {});
    for env in ENVIRONMENTS {
        let objects = rendered(dir.path(), env);
        assert!(
            !objects.iter().any(|o| o["kind"] == "PersistentVolumeClaim"),
            "no standalone claim in {env}"
        );
        let db = find(&objects, "StatefulSet", "db").expect("the StatefulSet");
        assert_eq!(db["spec"]["serviceName"], "db-headless");
        let claims = db["spec"]["volumeClaimTemplates"]
            .as_array()
            .expect("claims");
        assert_eq!(claims.len(), 1);
        assert_eq!(claims[0]["metadata"]["name"], "data");
        assert_eq!(claims[0]["metadata"]["labels"]["backup"], "nightly");
        assert_eq!(
            claims[0]["metadata"]["annotations"]["backup.velero.io/backup-volumes"],
            "data"
        );
        let volumes = db["spec"]["template"]["spec"]["volumes"]
            .as_array()
            .expect("volumes");
        assert!(!volumes.iter().any(|v| v["name"] == "data"), "{volumes:?}");
        assert_eq!(
            db["spec"]["persistentVolumeClaimRetentionPolicy"],
            serde_json::json!({"whenDeleted": "Retain", "whenScaled": "Retain"})
        );
        let headless = find(&objects, "Service", "db-headless").expect("headless Service");
        assert_eq!(headless["spec"]["clusterIP"], "None");
        assert_eq!(headless["spec"]["publishNotReadyAddresses"], true);
        assert!(find(&objects, "Service", "db").is_some());
        let pdb = find(&objects, "PodDisruptionBudget", "db").expect("budget");
        assert_eq!(pdb["spec"]["selector"], db["spec"]["selector"]);
    }
    let production = rendered(dir.path(), "production");
    let db = find(&production, "StatefulSet", "db").expect("the StatefulSet");
    assert_eq!(db["spec"]["replicas"], 2);
    let claim = &db["spec"]["volumeClaimTemplates"][0]["spec"];
    assert_eq!(claim["storageClassName"], "premium-ssd");
    assert_eq!(claim["resources"]["requests"]["storage"], "50Gi");
}

#[test]
fn a_worker_has_no_service_no_port_and_admits_no_ingress() {
    let dir = built(|_| {});
    for env in ENVIRONMENTS {
        let objects = rendered(dir.path(), env);
        for name in ["indexer", "migrate", "report"] {
            let services = objects
                .iter()
                .filter(|o| o["kind"] == "Service" && o["metadata"]["name"] == name);
            assert_eq!(services.count(), 0, "{env}: {name} has a Service");
            assert!(find(&objects, "ServiceMonitor", name).is_none());
            let policy = find(&objects, "NetworkPolicy", name).expect("a policy");
            assert!(policy["spec"].get("ingress").is_none(), "{env}: {policy}");
            assert_eq!(
                policy["spec"]["policyTypes"],
                serde_json::json!(["Ingress", "Egress"])
            );
        }
        let worker = find(&objects, "Deployment", "indexer").expect("the worker");
        let container = &worker["spec"]["template"]["spec"]["containers"][0];
        assert!(container.get("ports").is_none(), "{container}");
        // The stack's httpGet probe is not applied; its own exec probe is.
        assert!(
            container["livenessProbe"].get("exec").is_some(),
            "{container}"
        );
        let cron = find(&objects, "CronJob", "report").expect("the CronJob");
        assert_eq!(cron["spec"]["concurrencyPolicy"], "Forbid");
        assert_eq!(cron["spec"]["timeZone"], "Europe/Berlin");
        let job = &cron["spec"]["jobTemplate"]["spec"];
        assert_eq!(job["template"]["spec"]["restartPolicy"], "OnFailure");
        assert_eq!(job["ttlSecondsAfterFinished"], 3600);
    }
}

#[test]
fn every_pod_template_is_restricted() {
    let dir = built(|_| {});
    let mut templates = 0;
    for env in ENVIRONMENTS {
        for object in rendered(dir.path(), env) {
            let template = match object["kind"].as_str() {
                Some("Deployment" | "StatefulSet" | "Job") => &object["spec"]["template"],
                Some("CronJob") => &object["spec"]["jobTemplate"]["spec"]["template"],
                _ => continue,
            };
            templates += 1;
            let pod = &template["spec"];
            assert_eq!(pod["securityContext"]["runAsNonRoot"], true, "{object}");
            assert_eq!(
                pod["securityContext"]["seccompProfile"]["type"],
                "RuntimeDefault"
            );
            for container in pod["containers"].as_array().expect("containers") {
                let context = &container["securityContext"];
                assert_eq!(context["allowPrivilegeEscalation"], false);
                assert_eq!(context["capabilities"]["drop"], serde_json::json!(["ALL"]));
            }
        }
    }
    assert_eq!(templates, 10, "five workloads in each environment");
}

#[test]
fn kustomize_builds_what_render_prints() {
    if !can_run(&[Need::Kubectl]) {
        return;
    }
    let dir = built(|_| {});
    for env in ENVIRONMENTS {
        let output = Command::new(KUBECTL)
            .arg("kustomize")
            .arg(dir.path().join("generated/overlays").join(env))
            .output()
            .expect("kubectl runs");
        assert!(output.status.success(), "{}", stderr(&output));
        let built = parse_stream(&stdout(&output)).expect("kustomize output");
        assert_eq!(built, rendered(dir.path(), env), "{env}");
    }
}

#[test]
fn every_kubernetes_object_passes_strict_validation() {
    if !can_run(&[Need::KubernetesValidate]) {
        return;
    }
    let dir = built(|_| {});
    for env in ENVIRONMENTS {
        let output = mcpstack(dir.path(), &["render", env]);
        let file = dir.path().join(format!("{env}-render.yaml"));
        fs::write(&file, stdout(&output)).expect("written");
        let objects = parse_stream(&stdout(&output)).expect("YAML");
        // Kubernetes kinds only; custom objects are checked by tests/conformance.rs's
        // kinds on the example stack.
        let kinds: Vec<Json> = objects
            .into_iter()
            .filter(|o| {
                let api = o["apiVersion"].as_str().unwrap_or_default();
                !api.contains(".coreos.com") && !api.contains("gateway.networking.k8s.io")
            })
            .collect();
        let text: String = kinds
            .iter()
            .map(|o| format!("---\n{}\n", serde_json::to_string(o).expect("JSON")))
            .collect();
        fs::write(&file, text).expect("written");
        let result = Command::new(KUBERNETES_VALIDATE)
            .args(["-k", "1.33.0", "--strict"])
            .arg(&file)
            .output()
            .expect("kubernetes-validate runs");
        let report = String::from_utf8_lossy(&result.stdout).into_owned();
        let passed = report
            .lines()
            .filter(|l| l.contains(" passed for resource "))
            .count();
        assert!(
            result.status.success() && passed == kinds.len(),
            "{env}: {passed} of {} passed\n{report}{}",
            kinds.len(),
            stderr(&result)
        );
    }
}
