//! `mcpstack diff` on temporary git repositories: what a change deploys, object by
//! object, against a revision read from git's objects.

mod common;

use std::path::Path;
use std::process::Command;

use common::{code, copy_dir, mcpstack, project_root, stderr, stdout};
use serde_json::Value as Json;

/// Run git in `dir`, as a fixed author, and require success.
fn git(dir: &Path, args: &[&str]) -> String {
    let output = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("GIT_AUTHOR_NAME", "test")
        .env("GIT_AUTHOR_EMAIL", "test@example.com")
        .env("GIT_COMMITTER_NAME", "test")
        .env("GIT_COMMITTER_EMAIL", "test@example.com")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .expect("git runs");
    assert!(
        output.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// A git repository holding `fixture`'s environments/, committed.
fn repository(fixture: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    copy_dir(
        &project_root().join(fixture).join("environments"),
        &dir.path().join("environments"),
    );
    git(dir.path(), &["init", "-q", "-b", "main"]);
    commit(dir.path(), "specs");
    dir
}

fn commit(dir: &Path, message: &str) {
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", message]);
}

fn edit(root: &Path, file: &str, from: &str, to: &str) {
    let path = root.join("environments").join(file);
    let text = std::fs::read_to_string(&path).expect("spec");
    assert!(text.contains(from), "{file} has {from:?}");
    std::fs::write(&path, text.replacen(from, to, 1)).expect("write");
}

/// `diff --format json ARGS` as a document; exits 0.
fn json_diff(root: &Path, args: &[&str]) -> Json {
    let mut all = vec!["diff", "--format", "json"];
    all.extend(args);
    let output = mcpstack(root, &all);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    serde_json::from_str(&stdout(&output)).expect("one JSON document")
}

fn environment<'a>(diff: &'a Json, name: &str) -> &'a Json {
    diff["environments"]
        .as_array()
        .expect("environments")
        .iter()
        .find(|e| e["name"] == name)
        .unwrap_or_else(|| panic!("environment {name} in {diff:#}"))
}

fn changes(env: &Json) -> &Vec<Json> {
    env["changes"].as_array().expect("changes")
}

const FIXTURE: &str = "tests/fixtures/diff";

#[test]
fn a_production_replica_change_is_one_field_of_one_object() {
    let repo = repository(FIXTURE);
    let root = repo.path();
    edit(
        root,
        "production.yaml",
        "  web:\n",
        "  web:\n    replicas: 3\n",
    );
    let diff = json_diff(root, &[]);
    assert_eq!(diff["changes"], true);
    assert_eq!(environment(&diff, "staging")["status"], "unchanged");
    let production = environment(&diff, "production");
    let list = changes(production);
    assert_eq!(list.len(), 1, "{production:#}");
    let change = &list[0];
    assert_eq!(
        (&change["change"], &change["kind"], &change["name"]),
        (&"changed".into(), &"Deployment".into(), &"web".into())
    );
    assert_eq!(
        change["fields"],
        serde_json::json!([{"path": "spec.replicas", "old": 2, "new": 3}])
    );
}

#[test]
fn a_new_service_is_added_in_every_environment() {
    let repo = repository(FIXTURE);
    let root = repo.path();
    edit(
        root,
        "stack.yaml",
        "  web:\n",
        "  worker:\n    image: {repository: team/worker, tag: \"1.0\"}\n  web:\n",
    );
    edit(
        root,
        "production.yaml",
        "  web:\n",
        "  worker:\n    image: {digest: \"sha256:3333333333333333333333333333333333333333333333333333333333333333\"}\n  web:\n",
    );
    let diff = json_diff(root, &[]);
    for name in ["staging", "production"] {
        let env = environment(&diff, name);
        let list = changes(env);
        assert!(
            list.iter()
                .any(|c| c["kind"] == "Deployment" && c["name"] == "worker"),
            "{env:#}"
        );
        let worker_unit: Vec<&Json> = list.iter().filter(|c| c["unit"] == "worker").collect();
        assert!(
            worker_unit.len() >= 3 && worker_unit.iter().all(|c| c["change"] == "added"),
            "the worker's Deployment, Service, ServiceAccount...: {env:#}"
        );
        let flux = list
            .iter()
            .find(|c| c["kind"] == "Kustomization" && c["unit"] == "flux")
            .expect("the worker's Flux unit is added");
        assert_eq!(flux["change"], "added");
    }
}

#[test]
fn a_removed_persistent_service_is_a_data_deletion_risk() {
    let repo = repository(FIXTURE);
    let root = repo.path();
    edit(
        root,
        "production.yaml",
        "  api:\n",
        "  api:\n    enabled: false\n",
    );
    let diff = json_diff(root, &["production"]);
    let risks = diff["risks"].as_array().expect("risks");
    let deleted: Vec<&Json> = risks
        .iter()
        .filter(|r| r["risk"] == "data-deleted")
        .collect();
    assert_eq!(deleted.len(), 1, "{risks:#?}");
    assert_eq!(deleted[0]["kind"], "PersistentVolumeClaim");
    assert_eq!(deleted[0]["name"], "api-data");
    let human = mcpstack(root, &["diff", "--color", "never"]);
    let text = stdout(&human);
    let risks_at = text.find("Risks:").expect("a risk section");
    let first_object = text.find("  - ").expect("removed objects are listed");
    assert!(risks_at < first_object, "risks come first:\n{text}");
    assert!(
        text.contains("  ! production: PersistentVolumeClaim mcp-production/api-data is deleted\n"),
        "{text}"
    );
}

#[test]
fn reordering_env_is_one_change_of_order() {
    let repo = repository(FIXTURE);
    let root = repo.path();
    edit(
        root,
        "stack.yaml",
        "      A: \"1\"\n      B: \"2\"\n      C: \"3\"\n",
        "      C: \"3\"\n      A: \"1\"\n      B: \"2\"\n",
    );
    let diff = json_diff(root, &["staging"]);
    let list = changes(environment(&diff, "staging"));
    assert_eq!(list.len(), 1);
    let fields = list[0]["fields"].as_array().expect("fields");
    assert_eq!(fields.len(), 1, "{fields:#?}");
    assert_eq!(
        fields[0]["path"],
        "spec.template.spec.containers[api].env (order)"
    );
    assert_eq!(fields[0]["new"], serde_json::json!(["C", "A", "B"]));
}

#[test]
fn exit_code_tells_whether_anything_differs() {
    let repo = repository(FIXTURE);
    let root = repo.path();
    let same = mcpstack(root, &["diff", "--exit-code"]);
    assert_eq!(code(&same), 0, "{}", stderr(&same));
    assert!(stdout(&same).contains("0 of 2 environment(s) differ"));
    edit(
        root,
        "staging.yaml",
        "tier: staging\n",
        "tier: staging\nservices:\n  web: {replicas: 3}\n",
    );
    let differ = mcpstack(root, &["diff", "--exit-code"]);
    assert_eq!(code(&differ), 1, "{}", stderr(&differ));
    let plain = mcpstack(root, &["diff"]);
    assert_eq!(
        code(&plain),
        0,
        "without --exit-code a difference is not a failure"
    );
    commit(root, "three web replicas in staging");
    let base = mcpstack(
        root,
        &["diff", "--exit-code", "--base", "HEAD~1", "--names-only"],
    );
    assert_eq!(code(&base), 1, "{}", stderr(&base));
    assert!(stdout(&base).contains("~ Deployment"), "{}", stdout(&base));
    assert!(!stdout(&base).contains("spec.replicas"), "names only");
}

#[test]
fn invalid_specs_on_either_side_exit_2_naming_the_side() {
    let repo = repository(FIXTURE);
    let root = repo.path();
    edit(
        root,
        "staging.yaml",
        "tier: staging\n",
        "tier: staging\nservices:\n  web: {replicas: -1}\n",
    );
    commit(root, "a broken staging");
    edit(
        root,
        "staging.yaml",
        "  web: {replicas: -1}\n",
        "  web: {replicas: 1}\n",
    );
    let output = mcpstack(root, &["diff"]);
    assert_eq!(code(&output), 2, "{}", stderr(&output));
    let err = stderr(&output);
    assert!(err.contains("the specs at `HEAD` are invalid"), "{err}");
    assert!(err.contains("environments/staging.yaml:"), "{err}");
    // The working tree is the other side.
    edit(
        root,
        "staging.yaml",
        "  web: {replicas: 1}\n",
        "  web: {replicas: x}\n",
    );
    let output = mcpstack(root, &["diff", "--base", "HEAD~1"]);
    assert_eq!(code(&output), 2);
    assert!(
        stderr(&output).contains("the working tree's specs are invalid"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn unknown_revisions_and_environments_are_input_errors() {
    let repo = repository(FIXTURE);
    let root = repo.path();
    let output = mcpstack(root, &["diff", "--base", "no-such-branch"]);
    assert_eq!(code(&output), 2, "{}", stderr(&output));
    assert!(
        stderr(&output).contains("error[unknown-revision]"),
        "{}",
        stderr(&output)
    );
    let output = mcpstack(root, &["diff", "--base", "--upload-pack=x"]);
    assert_eq!(
        code(&output),
        2,
        "an option is never passed to git as a revision"
    );
    let output = mcpstack(root, &["diff", "prodution"]);
    assert_eq!(code(&output), 2);
    assert!(
        stderr(&output).contains("did you mean `production`?"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn the_working_tree_is_not_touched_and_a_subfolder_project_works() {
    let dir = tempfile::tempdir().expect("temp dir");
    let project = dir.path().join("infra");
    copy_dir(
        &project_root().join(FIXTURE).join("environments"),
        &project.join("environments"),
    );
    git(dir.path(), &["init", "-q", "-b", "main"]);
    commit(dir.path(), "specs");
    edit(
        &project,
        "staging.yaml",
        "tier: staging\n",
        "tier: staging\nservices:\n  web: {replicas: 4}\n",
    );
    let before = git(dir.path(), &["status", "--porcelain"]);
    let diff = json_diff(&project, &["staging"]);
    let list = changes(environment(&diff, "staging"));
    assert_eq!(list.len(), 1, "{diff:#}");
    assert_eq!(git(dir.path(), &["status", "--porcelain"]), before);
}

/// One realistic change to the example stack (a production release of the gateway,
/// a new log level, one more fast-time replica), in each format.
#[test]
fn formats_of_a_realistic_change() {
    let repo = repository(".");
    let root = repo.path();
    // The gateway and its init container run the same image: both move.
    let production = root.join("environments/production.yaml");
    let text = std::fs::read_to_string(&production).expect("spec");
    let released = text.replacen(
        "sha256:3c1bd4c27e7a8c4b7d1a6d0e4c2f9b8a7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c2b",
        "sha256:4d2ce5d38f8b9d5c8e2b7e1f5d3a0c9b8f7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c",
        2,
    );
    std::fs::write(&production, released).expect("write");
    edit(
        root,
        "production.yaml",
        "    replicas: 3\n",
        "    replicas: 4\n",
    );
    edit(
        root,
        "stack.yaml",
        "      LOG_LEVEL: info\n",
        "      LOG_LEVEL: debug\n",
    );
    for (format, name) in [
        ("human", "human"),
        ("markdown", "markdown"),
        ("json", "json"),
    ] {
        let output = mcpstack(root, &["diff", "--format", format, "--color", "never"]);
        assert_eq!(code(&output), 0, "{}", stderr(&output));
        insta::assert_snapshot!(format!("realistic_change_{name}"), stdout(&output));
    }
}

#[test]
fn check_annotates_each_stale_file_under_github_actions() {
    let repo = repository(FIXTURE);
    let root = repo.path();
    let build = mcpstack(root, &["build"]);
    assert_eq!(code(&build), 0, "{}", stderr(&build));
    edit(
        root,
        "staging.yaml",
        "tier: staging\n",
        "tier: staging\nservices:\n  web: {replicas: 5}\n",
    );
    let output = common::command(root, &["check"])
        .env("GITHUB_ACTIONS", "true")
        .output()
        .expect("mcpstack runs");
    assert_eq!(code(&output), 1);
    let err = stderr(&output);
    let annotations: Vec<&str> = err.lines().filter(|l| l.starts_with("::error ")).collect();
    assert_eq!(annotations.len(), 1, "{err}");
    let line = annotations[0];
    assert!(
        line.starts_with("::error file=generated/overlays/staging/web/kustomization.yaml,line=")
            || line.starts_with("::error file=generated/overlays/staging/web/"),
        "{line}"
    );
    assert!(
        line.contains("generated file is out of date; run `mcpstack build`"),
        "{line}"
    );
    let quiet = mcpstack(root, &["check"]);
    assert!(
        !stderr(&quiet).contains("::error"),
        "only under GitHub Actions"
    );
}

/// The project's own workflow publishes the object diff of every pull request.
#[test]
fn the_workflow_publishes_the_markdown_diff_on_pull_requests() {
    let text =
        std::fs::read_to_string(project_root().join(".github/workflows/ci.yml")).expect("workflow");
    let workflow: Json = serde_saphyr::from_str(&text).expect("YAML");
    let job = &workflow["jobs"]["review-diff"];
    assert_eq!(job["if"], "github.event_name == 'pull_request'");
    let steps = job["steps"].as_array().expect("steps");
    let checkout = steps
        .iter()
        .find(|s| {
            s["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with("actions/checkout@"))
        })
        .expect("a checkout");
    assert_eq!(
        checkout["with"]["fetch-depth"], 0,
        "the base branch is fetched"
    );
    let run: String = steps.iter().filter_map(|s| s["run"].as_str()).collect();
    assert!(
        run.contains("diff --base \"origin/${BASE_REF}\" --format markdown")
            && run.contains(">> \"$GITHUB_STEP_SUMMARY\""),
        "{run}"
    );
    let env = steps
        .iter()
        .find_map(|s| s["env"]["BASE_REF"].as_str())
        .expect("the base branch from the event");
    assert_eq!(env, "${{ github.base_ref }}");
}

/// README's "Reviewing a change" shows the real output of the realistic change.
#[test]
fn the_readme_example_is_the_snapshot() {
    let readme = std::fs::read_to_string(project_root().join("README.md")).expect("README");
    let snapshot = std::fs::read_to_string(
        project_root().join("tests/snapshots/diff__realistic_change_human.snap"),
    )
    .expect("snapshot");
    let body = snapshot.splitn(3, "---\n").nth(2).expect("a snapshot body");
    let block = format!("```text\n{}\n```", body.trim_end());
    assert!(
        readme.contains(&block),
        "README's example differs from the snapshot"
    );
}
