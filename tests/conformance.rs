//! Conformance of the committed output with the real API schemas: every object of every
//! environment (`mcpstack render ENV`, which tests/cli.rs holds equal to `kubectl
//! kustomize generated/overlays/ENV`), checked by `kubernetes-validate` (Kubernetes
//! kinds) or against its CRD's JSON schema, and every Flux object under
//! `generated/flux/ENV/` checked against its CRD's JSON schema.
//!
//! A missing `kubernetes-validate` or missing CRD schemas fail these tests, unless
//! `MCPSTACK_ALLOW_SKIP` allows the skip (see tests/common/mod.rs).

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{Value as Json, json};

use common::{
    KUBERNETES_VALIDATE, Need, can_run, can_run_part, crd_schemas_dir, describe, environments,
    output_text, parse_stream, project_root, rendered_documents, subdirectories,
};

/// The Kubernetes release whose API schemas the objects must satisfy.
const KUBERNETES_VERSION: &str = "1.33.0";
/// The temporary file of custom objects' metadata, checked by `kubernetes-validate`.
const METADATA_PROBES: &str = "custom-objects.metadata.yaml";

// --- Tests ---------------------------------------------------------------------------

#[test]
fn overlay_objects_conform_to_their_schemas() {
    if !can_run(&[Need::KubernetesValidate]) {
        return;
    }
    // Without the CRD schemas, Kubernetes kinds and custom objects' metadata are still
    // checked.
    let mut crds = can_run_part(
        "the check of custom objects against their CRD schemas",
        &[Need::CrdSchemas],
    )
    .then(|| CrdSchemas::new(crd_schemas_dir()));
    let mut kubernetes = Batch::default();
    let mut failures = Vec::new();
    for env in &environments() {
        let documents = match rendered_documents(env) {
            Ok(documents) => documents,
            Err(error) => {
                failures.push(format!("{env}: {error}"));
                continue;
            }
        };
        assert!(!documents.is_empty(), "{env} renders no objects");
        let file = format!("{env}.yaml");
        for document in documents {
            if is_kubernetes_kind(&document.object) {
                kubernetes.add(&file, document.text);
                continue;
            }
            kubernetes.add(METADATA_PROBES, object_meta_probe(&document.object));
            let Some(crds) = crds.as_mut() else {
                continue;
            };
            match crds.schema_path(&document.object) {
                Ok(schema) => {
                    let place = format!("{env}: {}", describe(&document.object));
                    failures.extend(crds.validate(&schema, &document.object, &place));
                }
                Err(error) => failures.push(format!("{env}: {error}")),
            }
        }
    }
    failures.extend(kubernetes.validate().err());
    assert!(failures.is_empty(), "{}", report(&failures));
}

#[test]
fn flux_objects_conform_to_their_crd_schemas() {
    if !can_run(&[Need::CrdSchemas]) {
        return;
    }
    let mut crds = CrdSchemas::new(crd_schemas_dir());
    let mut metadata = Batch::default();
    let mut failures = Vec::new();
    let files = flux_files();
    assert!(!files.is_empty(), "no Flux objects under generated/flux");
    for file in &files {
        let name = relative(file);
        let objects = match flux_objects(file) {
            Ok(objects) => objects,
            Err(error) => {
                failures.push(format!("{name}: {error}"));
                continue;
            }
        };
        for object in objects {
            let place = format!("{name}: {}", describe(&object));
            match crds.schema_path(&object) {
                Ok(schema) => {
                    failures.extend(crds.validate(&schema, &object, &place));
                    metadata.add(METADATA_PROBES, object_meta_probe(&object));
                }
                Err(error) => failures.push(format!("{name}: {error}")),
            }
        }
    }
    if can_run_part(
        "the metadata check of custom objects",
        &[Need::KubernetesValidate],
    ) {
        failures.extend(metadata.validate().err());
    }
    assert!(failures.is_empty(), "{}", report(&failures));
}

// --- Self-checks: the checks above can fail ------------------------------------------

#[test]
fn crd_schema_names_follow_the_naming_rule() {
    let name = crd_schema_name;
    assert_eq!(
        name("kustomize.toolkit.fluxcd.io/v1", "Kustomization").as_deref(),
        Some("kustomize.toolkit.fluxcd.io/kustomization_v1.json")
    );
    assert_eq!(
        name("helm.toolkit.fluxcd.io/v2", "HelmRelease").as_deref(),
        Some("helm.toolkit.fluxcd.io/helmrelease_v2.json")
    );
    assert_eq!(
        name("apps/v1", "Deployment").as_deref(),
        Some("apps/deployment_v1.json")
    );
    assert_eq!(name("v1", "ConfigMap"), None, "the core group has no CRDs");
}

#[test]
fn kubernetes_kinds_are_told_from_custom_objects() {
    let kubernetes = |api_version: &str| {
        is_kubernetes_kind(&json!({"apiVersion": api_version, "kind": "Sample"}))
    };
    for api_version in ["v1", "apps/v1", "networking.k8s.io/v1", "policy/v1"] {
        assert!(
            kubernetes(api_version),
            "{api_version} is a Kubernetes group"
        );
    }
    for api_version in [
        "gateway.networking.k8s.io/v1",
        "helm.toolkit.fluxcd.io/v2",
        "example.com/v1",
        "",
    ] {
        assert!(!kubernetes(api_version), "{api_version} is not");
    }
}

#[test]
fn crd_schema_lookup_rejects_a_group_without_schemas() {
    if !can_run(&[Need::CrdSchemas]) {
        return;
    }
    let crds = CrdSchemas::new(crd_schemas_dir());
    let widget = json!({"apiVersion": "example.com/v1", "kind": "Widget"});
    let error = crds
        .schema_path(&widget)
        .expect_err("example.com has no CRD schemas");
    assert!(
        error.contains("no CRD schemas for the group example.com"),
        "{error}"
    );
}

#[test]
fn crd_schema_rejects_an_unknown_field() {
    if !can_run(&[Need::CrdSchemas]) {
        return;
    }
    let mut crds = CrdSchemas::new(crd_schemas_dir());
    let mut object = flux_kustomization();
    let schema = crds
        .schema_path(&object)
        .expect("a Flux Kustomization schema");
    let valid = crds.validate(&schema, &object, "valid");
    assert!(valid.is_empty(), "the sample must be valid: {valid:?}");

    object["spec"]["bogus"] = json!(true);
    let errors = crds.validate(&schema, &object, "broken");
    assert!(
        errors
            .iter()
            .any(|e| e.contains("/spec") && e.contains("bogus")),
        "spec.bogus must be rejected, got {errors:?}"
    );
}

#[test]
fn crd_schema_lookup_rejects_an_unserved_version() {
    if !can_run(&[Need::CrdSchemas]) {
        return;
    }
    let crds = CrdSchemas::new(crd_schemas_dir());
    let mut object = flux_kustomization();
    object["apiVersion"] = json!("kustomize.toolkit.fluxcd.io/v1beta2");
    let error = crds
        .schema_path(&object)
        .expect_err("v1beta2 is not served, so it has no schema");
    assert!(error.contains("kustomization_v1beta2.json"), "{error}");
}

#[test]
fn kubernetes_validate_rejects_an_unknown_field() {
    if !can_run(&[Need::KubernetesValidate]) {
        return;
    }
    let mut deployment = deployment();
    let valid = run_batch(&[("valid.yaml", &deployment)]);
    assert!(
        valid.status.success(),
        "the sample must be valid: {}",
        output_text(&valid)
    );

    deployment["spec"]["bogus"] = json!(1);
    let broken = run_batch(&[("broken.yaml", &deployment)]);
    let text = output_text(&broken);
    assert!(
        !broken.status.success(),
        "spec.bogus must be rejected: {text}"
    );
    assert!(text.contains("'bogus' was unexpected"), "{text}");
}

#[test]
fn kubernetes_validate_check_rejects_kinds_it_has_no_schema_for() {
    if !can_run(&[Need::KubernetesValidate]) {
        return;
    }
    let widget = json!({
        "apiVersion": "example.com/v1",
        "kind": "Widget",
        "metadata": {"name": "w"},
    });
    let output = run_batch(&[("widget.yaml", &widget)]);
    // The tool only warns about a kind it has no schema for and exits 0, so the check
    // must count what it reports as passed.
    assert!(output.status.success(), "{}", output_text(&output));
    let error = check_validation(&output, 1).expect_err("an unchecked object is a failure");
    assert!(error.contains("Couldn't find schema"), "{error}");
}

// --- Generated output ----------------------------------------------------------------

/// Every Flux object file: `generated/flux/ENV/*.yaml` except `kustomization.yaml`.
fn flux_files() -> Vec<PathBuf> {
    let flux = project_root().join("generated/flux");
    let mut files = Vec::new();
    for env in subdirectories(&flux) {
        let entries = std::fs::read_dir(flux.join(env)).expect("read a Flux folder");
        files.extend(
            entries
                .map(|entry| entry.expect("folder entry").path())
                .filter(|path| path.extension().is_some_and(|e| e == "yaml"))
                .filter(|path| path.file_name().is_some_and(|n| n != "kustomization.yaml")),
        );
    }
    files.sort();
    files
}

/// The objects of one Flux file: at least one.
fn flux_objects(file: &Path) -> Result<Vec<Json>, String> {
    let text = std::fs::read_to_string(file).expect("read a Flux file");
    let objects = parse_stream(&text)?;
    if objects.is_empty() {
        return Err("no objects".into());
    }
    Ok(objects)
}

fn relative(path: &Path) -> String {
    let path = path.strip_prefix(project_root()).unwrap_or(path);
    path.to_string_lossy().replace('\\', "/")
}

fn report(failures: &[String]) -> String {
    format!(
        "{} conformance failure(s):\n\n{}",
        failures.len(),
        failures.join("\n\n")
    )
}

// --- CRD schemas ---------------------------------------------------------------------

/// The API groups of the Kubernetes kinds mcpstack emits, checked by
/// `kubernetes-validate`; `""` is the core group (`apiVersion: v1`). Objects of every
/// other group are custom objects, checked against their CRD's schema. A Kubernetes
/// kind of a group missing here is reported as having no CRD schema: add its group.
const KUBERNETES_GROUPS: &[&str] = &[
    "",
    "apps",
    "autoscaling",
    "batch",
    "policy",
    "networking.k8s.io",
    "rbac.authorization.k8s.io",
];

/// Whether an object is of a Kubernetes kind rather than a custom one.
fn is_kubernetes_kind(object: &Json) -> bool {
    let api_version = object["apiVersion"].as_str().unwrap_or_default();
    let group = api_version.rsplit_once('/').map_or("", |(group, _)| group);
    !api_version.is_empty() && KUBERNETES_GROUPS.contains(&group)
}

/// The CRD schema file of a kind, relative to the schema folder, by the folder's naming
/// rule `{group}/{kind lowercased}_{version}.json`; `None` for the core group (`v1`).
fn crd_schema_name(api_version: &str, kind: &str) -> Option<String> {
    let (group, version) = api_version.split_once('/')?;
    Some(format!("{group}/{}_{version}.json", kind.to_lowercase()))
}

/// The CRD schemas under `../shared/schemas/crds`, each validator built once.
struct CrdSchemas {
    dir: PathBuf,
    validators: BTreeMap<PathBuf, jsonschema::Validator>,
}

impl CrdSchemas {
    fn new(dir: PathBuf) -> Self {
        CrdSchemas {
            dir,
            validators: BTreeMap::new(),
        }
    }

    /// The schema file of a custom object's kind; an error when there is none.
    fn schema_path(&self, object: &Json) -> Result<PathBuf, String> {
        let api_version = object["apiVersion"].as_str().unwrap_or_default();
        let kind = object["kind"].as_str().unwrap_or_default();
        let Some(name) = crd_schema_name(api_version, kind) else {
            return Err(format!(
                "{}: a core kind has no CRD schema",
                describe(object)
            ));
        };
        let path = self.dir.join(&name);
        let group = path.parent().expect("a schema file has a group folder");
        if path.is_file() {
            Ok(path)
        } else if group.is_dir() {
            Err(format!(
                "{}: no CRD schema {name}; the group has {}",
                describe(object),
                json_files(group).join(", ")
            ))
        } else {
            Err(format!(
                "{}: no CRD schemas for the group {} (a Kubernetes group must be listed in \
                 KUBERNETES_GROUPS)",
                describe(object),
                api_version.rsplit_once('/').map_or("", |(group, _)| group)
            ))
        }
    }

    /// Every schema error of `object`, each prefixed with `place`.
    fn validate(&mut self, schema: &Path, object: &Json, place: &str) -> Vec<String> {
        let validator = self
            .validators
            .entry(schema.to_path_buf())
            .or_insert_with(|| compile(schema));
        validator
            .iter_errors(object)
            .map(|error| {
                let path = error.instance_path().as_str();
                let path = if path.is_empty() { "/" } else { path };
                format!("{place}: {path}: {error}")
            })
            .collect()
    }
}

fn compile(schema: &Path) -> jsonschema::Validator {
    let text = std::fs::read_to_string(schema).expect("read a CRD schema");
    let schema_json: Json = serde_json::from_str(&text).expect("a CRD schema is JSON");
    jsonschema::draft202012::new(&schema_json).expect("a CRD schema compiles")
}

fn json_files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("read a CRD schema group")
        .map(|entry| entry.expect("folder entry").file_name())
        .map(|name| name.to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".json"))
        .collect();
    names.sort();
    names
}

/// A ConfigMap carrying a custom object's metadata: the CRD schemas leave root
/// `metadata` open, so `kubernetes-validate` checks it as an ObjectMeta this way.
fn object_meta_probe(object: &Json) -> String {
    let probe = json!({
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": object["metadata"],
    });
    serde_json::to_string(&probe).expect("serialize a probe") + "\n"
}

// --- kubernetes-validate -------------------------------------------------------------

/// Files of YAML documents for one `kubernetes-validate` run, by file name.
#[derive(Default)]
struct Batch {
    files: BTreeMap<String, Vec<String>>,
}

impl Batch {
    fn add(&mut self, file: &str, document: String) {
        self.files
            .entry(file.to_owned())
            .or_default()
            .push(document);
    }

    /// Write the files to a temporary folder and validate them in one run.
    fn validate(&self) -> Result<(), String> {
        if self.files.is_empty() {
            return Ok(());
        }
        let dir = tempfile::tempdir().expect("temp dir");
        for (name, documents) in &self.files {
            let text: String = documents.iter().map(|d| format!("---\n{d}")).collect();
            std::fs::write(dir.path().join(name), text).expect("write a temp file");
        }
        let names: Vec<&str> = self.files.keys().map(String::as_str).collect();
        let output = kubernetes_validate(dir.path(), &names);
        let documents = self.files.values().map(Vec::len).sum();
        check_validation(&output, documents).map_err(|error| self.explain(error))
    }

    /// The error, with a word on the metadata probes when the run had them.
    fn explain(&self, error: String) -> String {
        if !self.files.contains_key(METADATA_PROBES) {
            return error;
        }
        format!(
            "{error}({METADATA_PROBES} holds each custom object's metadata as a ConfigMap's, \
             to check it as an ObjectMeta)"
        )
    }
}

/// `kubernetes-validate -k VERSION --strict FILE...` run in `dir`, so that its report
/// names the files, not the temporary folder. Options must come before the files: the
/// tool reads every later argument, `--quiet` included, as a file name.
fn kubernetes_validate(dir: &Path, files: &[&str]) -> Output {
    Command::new(KUBERNETES_VALIDATE)
        .args(["-k", KUBERNETES_VERSION, "--strict"])
        .args(files)
        .current_dir(dir)
        .output()
        .expect("kubernetes-validate runs")
}

/// Whether a run checked and passed all of its `documents`. Exit code 0 alone is not
/// enough: a kind the tool has no schema for is a `WARN` line and still exits 0.
fn check_validation(output: &Output, documents: usize) -> Result<(), String> {
    let stdout = String::from_utf8_lossy(&output.stdout);
    let passed = stdout
        .lines()
        .filter(|line| line.starts_with("INFO ") && line.contains(" passed for resource "))
        .count();
    let complaints = stdout.lines().any(|line| !line.starts_with("INFO "));
    if output.status.success() && passed == documents && !complaints {
        return Ok(());
    }
    Err(format!(
        "kubernetes-validate -k {KUBERNETES_VERSION} --strict: {}, {passed} of {documents} \
         documents passed (INFO lines left out):\n{}",
        output.status,
        complaints_text(output)
    ))
}

/// A run's output without its `INFO ... passed` lines.
fn complaints_text(output: &Output) -> String {
    let stdout = String::from_utf8_lossy(&output.stdout);
    let complaints: String = stdout
        .lines()
        .filter(|line| !line.starts_with("INFO "))
        .map(|line| format!("{line}\n"))
        .collect();
    format!("{complaints}{}", String::from_utf8_lossy(&output.stderr))
}

// --- Samples for the self-checks -----------------------------------------------------

/// Validate each `(file, object)` in one `kubernetes-validate` run.
fn run_batch(files: &[(&str, &Json)]) -> Output {
    let dir = tempfile::tempdir().expect("temp dir");
    for (name, object) in files {
        let text = serde_json::to_string(object).expect("serialize a sample");
        std::fs::write(dir.path().join(name), text).expect("write a sample");
    }
    let names: Vec<&str> = files.iter().map(|(name, _)| *name).collect();
    kubernetes_validate(dir.path(), &names)
}

fn flux_kustomization() -> Json {
    json!({
        "apiVersion": "kustomize.toolkit.fluxcd.io/v1",
        "kind": "Kustomization",
        "metadata": {"name": "sample", "namespace": "flux-system"},
        "spec": {
            "interval": "10m",
            "path": "./generated/overlays/sample/app",
            "prune": true,
            "sourceRef": {"kind": "GitRepository", "name": "flux-system"},
        },
    })
}

fn deployment() -> Json {
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "sample", "namespace": "default"},
        "spec": {
            "selector": {"matchLabels": {"app": "sample"}},
            "template": {
                "metadata": {"labels": {"app": "sample"}},
                "spec": {"containers": [{"name": "app", "image": "example/app:1"}]},
            },
        },
    })
}
