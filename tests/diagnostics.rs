//! How diagnostics reach people and machines: `--message-format json`, GitHub Actions
//! annotations, and `--deny-warnings`.

mod common;

use common::{code, command, copy_folders, files, project_root, stderr};
use serde_json::Value as Json;

/// A copy of one case of the invalid-spec corpus.
fn invalid_case(name: &str) -> tempfile::TempDir {
    copy_folders(
        &project_root().join("tests/fixtures/invalid").join(name),
        &["environments"],
    )
}

#[test]
fn json_diagnostics_are_one_object_per_line() {
    let project = invalid_case("unknown-key-near-miss");
    let output = command(project.path(), &["--message-format", "json", "validate"])
        .output()
        .expect("runs");
    assert_eq!(code(&output), 2);
    let objects: Vec<Json> = stderr(&output)
        .lines()
        .filter(|line| line.starts_with('{'))
        .map(|line| serde_json::from_str(line).expect("each diagnostic line is JSON"))
        .collect();
    assert_eq!(objects.len(), 1, "{}", stderr(&output));
    let diagnostic = &objects[0];
    assert_eq!(diagnostic["severity"], "error");
    assert_eq!(diagnostic["code"], "unknown-key");
    assert_eq!(diagnostic["file"], "environments/staging.yaml");
    assert_eq!(diagnostic["line"], 6);
    assert!(
        diagnostic["help"]
            .as_str()
            .is_some_and(|h| h.contains("replicas")),
        "{diagnostic}"
    );
}

#[test]
fn github_actions_get_annotations_at_the_file_and_line() {
    let project = invalid_case("unknown-key-near-miss");
    let output = command(project.path(), &["validate"])
        .env("GITHUB_ACTIONS", "true")
        .output()
        .expect("runs");
    assert_eq!(code(&output), 2);
    let stderr = stderr(&output);
    let annotation = stderr
        .lines()
        .find(|l| l.starts_with("::error "))
        .expect("an annotation");
    assert!(
        annotation.starts_with("::error file=environments/staging.yaml,line=6,col="),
        "{annotation}"
    );
    assert!(
        annotation.contains("title=mcpstack unknown-key::"),
        "{annotation}"
    );

    let plain = command(project.path(), &["validate"])
        .env_remove("GITHUB_ACTIONS")
        .output()
        .expect("runs");
    assert!(
        !common::stderr(&plain).contains("::error"),
        "no annotations outside GitHub Actions"
    );
}

/// The example stack with a staging service on a mutable tag: valid, with a warning.
fn project_with_a_warning() -> tempfile::TempDir {
    let project = copy_folders(&project_root(), &["environments", "generated", "schema"]);
    let staging = project.path().join("environments/staging.yaml");
    let mut spec = std::fs::read_to_string(&staging).expect("staging");
    spec = spec.replace("      tag: \"1.1.0-rc.1\"", "      tag: latest");
    std::fs::write(&staging, spec).expect("edit");
    project
}

#[test]
fn warnings_fail_the_run_only_when_denied() {
    let project = project_with_a_warning();
    let root = project.path();
    let before = files(&root.join("generated"));
    let denied = command(root, &["--deny-warnings", "build"])
        .output()
        .expect("runs");
    assert_eq!(code(&denied), 2, "{}", stderr(&denied));
    assert!(
        stderr(&denied).contains("warning[mutable-tag]"),
        "{}",
        stderr(&denied)
    );
    assert!(stderr(&denied).contains("denied"), "{}", stderr(&denied));
    assert_eq!(files(&root.join("generated")), before, "nothing is written");

    let allowed = command(root, &["build"]).output().expect("runs");
    assert_eq!(code(&allowed), 0, "{}", stderr(&allowed));
    assert!(
        stderr(&allowed).contains("warning[mutable-tag]"),
        "{}",
        stderr(&allowed)
    );
}
