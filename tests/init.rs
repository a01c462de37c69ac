//! `mcpstack init`: a new project that builds, checks and kustomizes as it is; the
//! example stack with `--example`; and the refusal to start over an existing project.

mod common;

use std::path::Path;

use common::{
    Need, can_run, code, command_in, files, kustomize, mcpstack, output_text, project_root, stderr,
    subdirectories,
};

/// Run `mcpstack ARGS...` in `dir`, without `-C`.
fn run_in(dir: &Path, args: &[&str]) -> std::process::Output {
    command_in(dir, args).output().expect("mcpstack runs")
}

#[test]
fn init_in_an_empty_folder_builds_and_checks_clean() {
    let dir = tempfile::tempdir().expect("temp dir");
    let output = run_in(dir.path(), &["init"]);
    assert_eq!(code(&output), 0, "{}", output_text(&output));
    let written = files(dir.path());
    for path in [
        "environments/stack.yaml",
        "environments/staging.yaml",
        "environments/production.yaml",
        "environments/templates/review.yaml",
        ".github/workflows/mcpstack.yml",
        "schema/values.schema.json",
        "generated/overlays/staging/kustomization.yaml",
        "generated/overlays/production/kustomization.yaml",
        "generated/flux/production/kustomization.yaml",
    ] {
        assert!(written.contains_key(path), "init did not write {path}");
    }
    assert_eq!(
        subdirectories(&dir.path().join("generated/overlays")),
        ["production", "staging"]
    );

    let build = mcpstack(dir.path(), &["build"]);
    assert_eq!(code(&build), 0, "{}", output_text(&build));
    assert_eq!(files(dir.path()), written, "build after init changed files");
    // No warnings either: the starter is an example to copy.
    let check = mcpstack(dir.path(), &["--deny-warnings", "check"]);
    assert_eq!(code(&check), 0, "{}", output_text(&check));

    // The review template makes an environment that builds.
    let review = mcpstack(dir.path(), &["review", "add", "feature/Try-It"]);
    assert_eq!(code(&review), 0, "{}", output_text(&review));
    let build = mcpstack(dir.path(), &["build"]);
    assert_eq!(code(&build), 0, "{}", output_text(&build));
    assert!(
        dir.path()
            .join("generated/overlays/feature-try-it/kustomization.yaml")
            .is_file()
    );
}

#[test]
fn init_creates_the_folder_it_is_given_relative_to_dash_c() {
    let dir = tempfile::tempdir().expect("temp dir");
    let output = mcpstack(dir.path(), &["init", "infra/mcp"]);
    assert_eq!(code(&output), 0, "{}", output_text(&output));
    let project = dir.path().join("infra/mcp");
    assert!(project.join("environments/stack.yaml").is_file());
    assert!(project.join("generated").is_dir());
    assert_eq!(files(dir.path()).len(), files(&project).len());
    let check = mcpstack(&project, &["check"]);
    assert_eq!(code(&check), 0, "{}", output_text(&check));
}

#[test]
fn every_unit_of_a_new_project_kustomizes() {
    if !can_run(&[Need::Kubectl]) {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let output = run_in(dir.path(), &["init"]);
    assert_eq!(code(&output), 0, "{}", output_text(&output));
    let generated = dir.path().join("generated");
    let mut built = 0;
    for tree in ["overlays", "flux"] {
        for env in subdirectories(&generated.join(tree)) {
            let folder = generated.join(tree).join(&env);
            let mut folders = vec![folder.clone()];
            folders.extend(
                subdirectories(&folder)
                    .into_iter()
                    .map(|unit| folder.join(unit)),
            );
            for folder in folders {
                let stream = kustomize(&folder).unwrap_or_else(|e| panic!("{e}"));
                assert!(
                    stream.contains("kind: "),
                    "{} builds to no object",
                    folder.display()
                );
                built += 1;
            }
        }
    }
    // Per environment: the overlay, its namespace and fast-time units, its Flux folder.
    assert_eq!(built, 8);
}

#[test]
fn init_example_is_the_repository_example() {
    let dir = tempfile::tempdir().expect("temp dir");
    let output = run_in(dir.path(), &["init", "--example"]);
    assert_eq!(code(&output), 0, "{}", output_text(&output));
    let root = project_root();
    for folder in ["environments", "generated", "schema"] {
        let ours = files(&dir.path().join(folder));
        assert!(!ours.is_empty(), "{folder}/ is empty");
        assert!(
            ours == files(&root.join(folder)),
            "{folder}/ differs from the repository's"
        );
    }
    assert!(dir.path().join(".github/workflows/mcpstack.yml").is_file());
    let check = mcpstack(dir.path(), &["check"]);
    assert_eq!(code(&check), 0, "{}", output_text(&check));
}

#[test]
fn init_over_a_project_exits_2_and_changes_nothing() {
    for (folder, file) in [
        ("environments", "environments/stack.yaml"),
        ("generated", "generated/README"),
        (".github/workflows", ".github/workflows/mcpstack.yml"),
    ] {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir_all(dir.path().join(folder)).expect("mkdir");
        std::fs::write(dir.path().join(file), "name: mine\n").expect("write");
        let before = files(dir.path());
        let folders = subdirectories(dir.path());
        for args in [&["init"][..], &["init", "--example"]] {
            let output = run_in(dir.path(), args);
            assert_eq!(code(&output), 2, "{folder}: {}", output_text(&output));
            let err = stderr(&output);
            assert!(err.contains("error[project-exists]"), "{err}");
            assert!(err.contains(folder), "{err}");
            assert!(err.contains("nothing was written"), "{err}");
            assert_eq!(files(dir.path()), before, "{folder}: init changed files");
            assert_eq!(subdirectories(dir.path()), folders, "{folder}");
        }
    }
}

#[test]
fn init_refusal_in_json_ends_with_its_summary() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir(dir.path().join("environments")).expect("mkdir");
    let output = run_in(dir.path(), &["--message-format", "json", "init"]);
    assert_eq!(code(&output), 2);
    let err = stderr(&output);
    let last: serde_json::Value =
        serde_json::from_str(err.lines().last().expect("a line")).expect("JSON");
    assert_eq!(last["exit"], 2, "{err}");
    assert_eq!(last["errors"], 1, "{err}");
    assert_eq!(
        std::fs::read_dir(dir.path()).expect("read").count(),
        1,
        "only environments/ is there"
    );
}

/// The new project's workflow checks generated/ and publishes the object diff.
#[test]
fn the_new_workflow_runs_check_and_the_review_diff() {
    let dir = tempfile::tempdir().expect("temp dir");
    let output = run_in(dir.path(), &["init"]);
    assert_eq!(code(&output), 0, "{}", output_text(&output));
    let text = std::fs::read_to_string(dir.path().join(".github/workflows/mcpstack.yml"))
        .expect("workflow");
    let workflow: serde_json::Value = serde_saphyr::from_str(&text).expect("YAML");
    let steps = workflow["jobs"]["check"]["steps"]
        .as_array()
        .expect("steps");
    assert_eq!(steps[0]["with"]["fetch-depth"], 0, "{text}");
    let runs: Vec<&str> = steps.iter().filter_map(|s| s["run"].as_str()).collect();
    assert!(runs.contains(&"mcpstack check"), "{runs:?}");
    assert!(
        runs.iter().any(|r| r.starts_with(
            "mcpstack diff --base \"origin/${BASE_REF}\" --format markdown >> \"$GITHUB_STEP_SUMMARY\""
        )),
        "{runs:?}"
    );
}
