//! End-to-end tests of `mcpstack review add` and `review remove` on temporary copies of
//! `tests/fixtures/review` and of the example project: awkward names become valid,
//! unique environments that `build` accepts (or clear errors), and adding then removing
//! an environment leaves `generated/` as it was.

mod common;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use common::{DIGEST, code, copy_folders, files, mcpstack, project_root, stderr, stdout};

/// A copy of the review fixture's specs.
fn fixture() -> tempfile::TempDir {
    copy_folders(
        &project_root().join("tests/fixtures/review"),
        &["environments"],
    )
}

/// The spec files (and the template) as text, for readable failures.
fn environment_files(root: &Path) -> BTreeMap<String, String> {
    files(&root.join("environments"))
        .into_iter()
        .map(|(path, bytes)| (path, String::from_utf8_lossy(&bytes).into_owned()))
        .collect()
}

/// The diagnostic code of the first error on stderr.
fn error_code(err: &str) -> &str {
    err.split("error[")
        .nth(1)
        .and_then(|rest| rest.split(']').next())
        .unwrap_or("none")
}

/// Whether `name` is a lowercase RFC 1123 label.
fn is_label(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 63
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.starts_with('-')
        && !name.ends_with('-')
}

#[test]
fn awkward_names_become_valid_unique_environments_or_clear_errors() {
    let project = fixture();
    let root = project.path();
    let long = format!("feature/{}", "x".repeat(92));
    let long_too = format!("feature/{}y", "x".repeat(91));
    let names: Vec<&str> = vec![
        "feature/Add_SSE-support!!",
        "Feature/Add_SSE-support",
        "PR 42",
        "42",
        "7",
        "123abc",
        "Ünïcödé/Straße",
        "日本語のブランチ",
        "",
        "!!!---???",
        "staging",
        "Staging",
        "  STAGING  ",
        "production!",
        "stack",
        "Stack",
        &long,
        &long_too,
        "release/v1.2.3",
        "user@example.com:fix#12",
        "emoji 🚀 launch",
        "-a-",
    ];
    let mut table = String::new();
    let mut created = Vec::new();
    for raw in &names {
        let before = environment_files(root);
        // `--`: a name may start with `-`, as scripts passing branch names must expect.
        let output = mcpstack(root, &["review", "add", "--", raw]);
        let err = stderr(&output);
        match code(&output) {
            0 => {
                let name = stdout(&output).trim_end().to_owned();
                assert_eq!(
                    stdout(&output),
                    format!("{name}\n"),
                    "only the name on stdout"
                );
                assert!(is_label(&name), "{raw:?} -> {name:?}");
                assert!(!created.contains(&name), "{raw:?} -> {name} is not unique");
                assert!(root.join(format!("environments/{name}.yaml")).is_file());
                assert!(
                    err.contains(&format!("created review environment `{name}`")),
                    "{err}"
                );
                let _ = writeln!(table, "{raw:?} -> {name}");
                created.push(name);
            }
            2 => {
                assert_eq!(stdout(&output), "", "{raw:?}");
                assert!(err.contains("nothing was written"), "{raw:?}: {err}");
                assert_eq!(environment_files(root), before, "{raw:?} changed files");
                let _ = writeln!(table, "{raw:?} -> error[{}]", error_code(&err));
            }
            other => panic!("{raw:?}: exit code {other}\n{err}"),
        }
    }
    insta::assert_snapshot!("names", table);

    let build = mcpstack(root, &["build"]);
    assert_eq!(code(&build), 0, "{}", stderr(&build));
    let units = ["namespace", "gateway", "streamable-http-server", "cache"];
    for name in &created {
        assert!(is_label(&format!("mcp-{name}")), "namespace of {name}");
        for unit in units {
            let unit_name = format!("{name}-{unit}");
            assert!(unit_name.len() <= 63, "{unit_name} is too long");
            let flux = root.join(format!("generated/flux/{name}/{unit}.yaml"));
            let text = std::fs::read_to_string(&flux).expect("a Flux unit per service");
            assert!(text.contains(&format!("name: {unit_name}\n")), "{text}");
        }
    }
    for (path, bytes) in files(&root.join("generated")) {
        let text = String::from_utf8(bytes).expect("utf-8");
        for host in text
            .lines()
            .filter_map(|l| l.trim().strip_prefix("- host: "))
        {
            assert!(host.len() <= 253, "{path}: {host}");
            assert!(host.split('.').all(is_label), "{path}: {host}");
        }
    }
}

#[test]
fn add_then_remove_leaves_generated_byte_identical() {
    let project = copy_folders(&project_root(), &["environments", "generated", "schema"]);
    let root = project.path();
    let build = mcpstack(root, &["build"]);
    assert_eq!(code(&build), 0, "{}", stderr(&build));
    let before = files(root);

    let add = mcpstack(root, &["review", "add", "feature/Add_SSE-support!!"]);
    assert_eq!(code(&add), 0, "{}", stderr(&add));
    let name = stdout(&add).trim_end().to_owned();
    assert_eq!(name, "feature-add-sse-support");
    let build = mcpstack(root, &["build"]);
    assert_eq!(code(&build), 0, "{}", stderr(&build));
    let during = files(root);
    for (path, bytes) in &during {
        if before.get(path) == Some(bytes) {
            continue;
        }
        let own = [
            format!("environments/{name}.yaml"),
            format!("generated/overlays/{name}/"),
            format!("generated/flux/{name}/"),
        ];
        assert!(
            own.iter().any(|prefix| path.starts_with(prefix.as_str())),
            "{path} changed, outside the new environment"
        );
    }
    assert!(during.contains_key(&format!("generated/flux/{name}/kustomization.yaml")));
    assert!(during.contains_key(&format!("generated/overlays/{name}/kustomization.yaml")));

    let remove = mcpstack(root, &["review", "remove", "feature/Add_SSE-support!!"]);
    assert_eq!(code(&remove), 0, "{}", stderr(&remove));
    assert_eq!(stdout(&remove), format!("{name}\n"));
    let build = mcpstack(root, &["build"]);
    assert_eq!(code(&build), 0, "{}", stderr(&build));
    assert!(
        files(root) == before,
        "generated/ differs after add, build, remove, build"
    );
    assert!(!root.join(format!("generated/overlays/{name}")).exists());
    assert!(!root.join(format!("generated/flux/{name}")).exists());
}

#[test]
fn the_new_file_comes_from_the_template_with_pinned_images() {
    let project = fixture();
    let root = project.path();
    let image = format!("gateway={DIGEST}");
    let output = mcpstack(
        root,
        &[
            "review",
            "add",
            "feature/Add_SSE-support!!",
            "--image",
            &image,
        ],
    );
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let text = std::fs::read_to_string(root.join("environments/feature-add-sse-support.yaml"))
        .expect("created");
    insta::assert_snapshot!("created_file", text);
    let validate = mcpstack(root, &["validate"]);
    assert_eq!(code(&validate), 0, "{}", stderr(&validate));
}

#[test]
fn bad_image_pins_create_nothing() {
    let project = fixture();
    let root = project.path();
    let before = environment_files(root);
    for (image, expected) in [
        ("gateway=sha256:abc", "invalid-digest"),
        ("gatewy=sha256:abc", "unknown-service"),
        ("gateway", "invalid-argument"),
    ] {
        let output = mcpstack(root, &["review", "add", "pr 9", "--image", image]);
        assert_eq!(code(&output), 2, "{image}: {}", stderr(&output));
        assert_eq!(
            error_code(&stderr(&output)),
            expected,
            "{}",
            stderr(&output)
        );
        assert_eq!(environment_files(root), before);
    }
    let output = mcpstack(
        root,
        &["review", "add", "pr 9", "--image", "gatewy=sha256:abc"],
    );
    assert!(
        stderr(&output).contains("did you mean `gateway`?"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn a_template_the_stack_refuses_creates_nothing() {
    let project = fixture();
    let root = project.path();
    let template = root.join("environments/templates/review.yaml");
    let mut text = std::fs::read_to_string(&template).expect("template");
    text.push_str("  gone:\n    replicas: 1\n");
    std::fs::write(&template, text).expect("edit template");
    let before = environment_files(root);
    let output = mcpstack(root, &["review", "add", "pr-9"]);
    assert_eq!(code(&output), 2, "{}", stderr(&output));
    assert_eq!(error_code(&stderr(&output)), "unknown-service");
    assert_eq!(environment_files(root), before);

    std::fs::write(&template, "tier: staging\n").expect("a staging template");
    let before = environment_files(root);
    let output = mcpstack(root, &["review", "add", "pr-9"]);
    assert_eq!(code(&output), 2, "{}", stderr(&output));
    assert_eq!(error_code(&stderr(&output)), "template-tier");
    assert_eq!(environment_files(root), before);

    std::fs::remove_file(&template).expect("remove template");
    let output = mcpstack(root, &["review", "add", "pr-9"]);
    assert_eq!(code(&output), 2, "{}", stderr(&output));
    assert_eq!(error_code(&stderr(&output)), "no-template");
}

#[test]
fn remove_refuses_environments_that_are_not_review_environments() {
    let project = fixture();
    let root = project.path();
    let before = environment_files(root);
    for name in ["staging", "Staging", "production"] {
        let output = mcpstack(root, &["review", "remove", name]);
        assert_eq!(code(&output), 2, "{name}: {}", stderr(&output));
        let err = stderr(&output);
        assert_eq!(error_code(&err), "not-a-review-environment", "{err}");
        assert!(err.contains("deletes only review environments"), "{err}");
    }
    let output = mcpstack(root, &["review", "remove", "pr-404"]);
    assert_eq!(code(&output), 2);
    assert_eq!(error_code(&stderr(&output)), "unknown-environment");
    assert_eq!(environment_files(root), before);
}

#[test]
fn remove_finds_an_environment_by_its_raw_name_after_the_rules_change() {
    let project = fixture();
    let root = project.path();
    let raw = format!("feature/{}", "long-branch-name-".repeat(4));
    let add = mcpstack(root, &["review", "add", &raw]);
    assert_eq!(code(&add), 0, "{}", stderr(&add));
    let name = stdout(&add).trim_end().to_owned();
    // A service with a longer name shortens every new environment name from now on.
    let stack = root.join("environments/stack.yaml");
    let mut text = std::fs::read_to_string(&stack).expect("stack");
    text.push_str(
        "  an-even-longer-streamable-http-server:\n    image: {repository: team/x, tag: \"1\"}\n",
    );
    std::fs::write(&stack, text).expect("edit stack");
    let remove = mcpstack(root, &["review", "remove", &raw]);
    assert_eq!(code(&remove), 0, "{}", stderr(&remove));
    assert_eq!(stdout(&remove), format!("{name}\n"));
    assert!(!root.join(format!("environments/{name}.yaml")).exists());
}
