//! End-to-end tests of `mcpstack review add` and `review remove` on temporary copies of
//! `tests/fixtures/review` and of the example project: awkward names become valid,
//! unique environments that `build` accepts (or clear errors), and adding then removing
//! an environment leaves `generated/` as it was.

mod common;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use common::{
    DIGEST, Need, can_run, code, copy_folders, files, mcpstack, project_root, stderr, stdout,
};

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
            "generated/clusters/review/kustomization.yaml".to_owned(),
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
    assert_eq!(environment_files(root), before);
}

#[test]
fn removing_an_absent_environment_succeeds_and_changes_nothing() {
    let project = fixture();
    let root = project.path();
    let before = files(root);
    for raw in ["pr-404", "feature/never-added", "!!!"] {
        let output = mcpstack(root, &["review", "remove", raw]);
        assert_eq!(code(&output), 0, "{raw}: {}", stderr(&output));
        assert_eq!(stdout(&output), "", "{raw}: no environment name on stdout");
        assert!(
            stderr(&output).contains(&format!(
                "no review environment for {raw:?}; nothing to remove"
            )),
            "{raw}: {}",
            stderr(&output)
        );
        assert!(!stderr(&output).contains("error"), "{}", stderr(&output));
    }
    assert_eq!(files(root), before);
    // Twice in a row, as a pipeline that closes a pull request may run it.
    let add = mcpstack(root, &["review", "add", "pr 77"]);
    assert_eq!(code(&add), 0, "{}", stderr(&add));
    for expected in ["pr-77\n", ""] {
        let remove = mcpstack(root, &["review", "remove", "pr 77"]);
        assert_eq!(code(&remove), 0, "{}", stderr(&remove));
        assert_eq!(stdout(&remove), expected);
    }
    assert_eq!(files(root), before);
}

#[test]
fn removing_a_near_miss_names_the_environment_it_may_have_meant() {
    let project = fixture();
    let root = project.path();
    let add = mcpstack(root, &["review", "add", "feature/login-form"]);
    assert_eq!(code(&add), 0, "{}", stderr(&add));
    let before = files(root);
    let output = mcpstack(root, &["review", "remove", "feature/login-from"]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    assert!(
        stderr(&output).contains("warning: review environment `feature-login-form` exists"),
        "{}",
        stderr(&output)
    );
    assert_eq!(files(root), before, "the other environment stays");
}

/// Each file under `dir` with its modification time.
fn mtimes(dir: &Path) -> BTreeMap<String, std::time::SystemTime> {
    files(dir)
        .into_keys()
        .map(|path| {
            let modified = std::fs::metadata(dir.join(&path))
                .and_then(|m| m.modified())
                .expect("mtime");
            (path, modified)
        })
        .collect()
}

#[test]
fn adding_the_same_environment_again_changes_nothing() {
    let project = fixture();
    let root = project.path();
    let image = format!("gateway={DIGEST}");
    let args = [
        "review",
        "add",
        "feature/Add_SSE-support!!",
        "--image",
        &image,
    ];
    let first = mcpstack(root, &args);
    assert_eq!(code(&first), 0, "{}", stderr(&first));
    assert_eq!(stdout(&first), "feature-add-sse-support\n");
    let bytes = files(root);
    let times = mtimes(root);
    // The file system's clock must be able to tell a rewrite apart.
    std::thread::sleep(std::time::Duration::from_millis(20));
    for args in [&args[..], &args[..3]] {
        let again = mcpstack(root, args);
        assert_eq!(code(&again), 0, "{args:?}: {}", stderr(&again));
        assert_eq!(stdout(&again), "feature-add-sse-support\n", "{args:?}");
        assert!(
            stderr(&again)
                .contains("exists (environments/feature-add-sse-support.yaml); unchanged"),
            "{args:?}: {}",
            stderr(&again)
        );
        assert!(files(root) == bytes, "{args:?}: bytes changed");
        assert_eq!(mtimes(root), times, "{args:?}: a file was rewritten");
    }
}

#[test]
fn adding_again_with_other_pins_needs_update() {
    let project = fixture();
    let root = project.path();
    let path = root.join("environments/pr-5.yaml");
    let first = mcpstack(
        root,
        &[
            "review",
            "add",
            "5",
            "--image",
            &format!("gateway={DIGEST}"),
        ],
    );
    assert_eq!(code(&first), 0, "{}", stderr(&first));
    let created = std::fs::read_to_string(&path).expect("created");

    let other = format!("sha256:{}", "e".repeat(64));
    let image = format!("gateway={other}");
    let refused = mcpstack(root, &["review", "add", "5", "--image", &image]);
    assert_eq!(code(&refused), 2, "{}", stderr(&refused));
    assert_eq!(error_code(&stderr(&refused)), "environment-exists");
    assert!(
        stderr(&refused).contains("--update"),
        "{}",
        stderr(&refused)
    );
    assert_eq!(std::fs::read_to_string(&path).expect("kept"), created);

    let updated = mcpstack(root, &["review", "add", "--update", "5", "--image", &image]);
    assert_eq!(code(&updated), 0, "{}", stderr(&updated));
    assert_eq!(stdout(&updated), "pr-5\n");
    assert!(
        stderr(&updated).contains("updated review environment `pr-5`"),
        "{}",
        stderr(&updated)
    );
    assert_eq!(
        std::fs::read_to_string(&path).expect("updated"),
        created.replace(DIGEST, &other),
        "made again from the template, with the new pin"
    );
    // Updating to what the file already holds writes nothing.
    let times = mtimes(root);
    std::thread::sleep(std::time::Duration::from_millis(20));
    let again = mcpstack(root, &["review", "add", "--update", "5", "--image", &image]);
    assert_eq!(code(&again), 0, "{}", stderr(&again));
    assert!(stderr(&again).contains("unchanged"), "{}", stderr(&again));
    assert_eq!(mtimes(root), times);
    let validate = mcpstack(root, &["validate"]);
    assert_eq!(code(&validate), 0, "{}", stderr(&validate));
}

#[test]
fn update_refreshes_an_environment_from_a_changed_template() {
    let project = fixture();
    let root = project.path();
    let add = mcpstack(root, &["review", "add", "pr-8"]);
    assert_eq!(code(&add), 0, "{}", stderr(&add));
    let template = root.join("environments/templates/review.yaml");
    let mut text = std::fs::read_to_string(&template).expect("template");
    text.push_str("# a new last line of the template\n");
    std::fs::write(&template, text).expect("edit template");
    let plain = mcpstack(root, &["review", "add", "pr-8"]);
    assert_eq!(code(&plain), 0, "{}", stderr(&plain));
    let path = root.join("environments/pr-8.yaml");
    let kept = std::fs::read_to_string(&path).expect("kept");
    assert!(
        !kept.contains("a new last line"),
        "without --update, unchanged"
    );
    let update = mcpstack(root, &["review", "add", "--update", "pr-8"]);
    assert_eq!(code(&update), 0, "{}", stderr(&update));
    let updated = std::fs::read_to_string(&path).expect("updated");
    assert!(
        updated.ends_with("# a new last line of the template\n"),
        "{updated}"
    );
}

#[test]
fn add_and_update_never_touch_environments_they_did_not_create() {
    let project = copy_folders(&project_root(), &["environments"]);
    let root = project.path();
    let before = files(root);
    // staging and production, the hand-written pr-42, and a branch whose name becomes
    // that of another branch's environment.
    for args in [
        &["review", "add", "staging"][..],
        &["review", "add", "--update", "staging"],
        &["review", "add", "--update", "Production"],
        &["review", "add", "42"],
        &["review", "add", "--update", "42"],
    ] {
        let output = mcpstack(root, args);
        assert_eq!(code(&output), 2, "{args:?}: {}", stderr(&output));
        assert_eq!(
            error_code(&stderr(&output)),
            "environment-exists",
            "{args:?}"
        );
        assert_eq!(files(root), before, "{args:?}");
    }
    let add = mcpstack(root, &["review", "add", "feature/x"]);
    assert_eq!(code(&add), 0, "{}", stderr(&add));
    let after_add = files(root);
    for raw in ["Feature/X", "feature-x"] {
        let output = mcpstack(root, &["review", "add", "--update", raw]);
        assert_eq!(code(&output), 2, "{raw}: {}", stderr(&output));
        assert_eq!(error_code(&stderr(&output)), "environment-exists", "{raw}");
    }
    assert_eq!(files(root), after_add);
}

#[test]
fn an_invalid_new_file_is_shown_at_the_templates_lines() {
    let project = fixture();
    let root = project.path();
    let template = root.join("environments/templates/review.yaml");
    let mut text = std::fs::read_to_string(&template).expect("template");
    text.push_str("  gone:\n    replicas: 1\n");
    std::fs::write(&template, &text).expect("edit template");
    let output = mcpstack(root, &["review", "add", "pr-9"]);
    assert_eq!(code(&output), 2, "{}", stderr(&output));
    let err = stderr(&output);
    assert!(
        err.contains("--> environments/templates/review.yaml:"),
        "{err}"
    );
    assert!(
        !err.contains("environments/pr-9.yaml"),
        "not on disk: {err}"
    );
    common::assert_quoted_lines_are_on_disk(root, &err);
    assert!(
        err.contains(" |   gone:\n"),
        "the template's own line: {err}"
    );
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

/// The `resources` of `generated/clusters/review/kustomization.yaml` under `root`, and
/// what `kubectl kustomize` builds from it (when kubectl can run): the environment
/// label of each Flux Kustomization.
fn review_entry_point(root: &Path) -> (Vec<String>, Option<Vec<String>>) {
    let dir = root.join("generated/clusters/review");
    let text = std::fs::read_to_string(dir.join("kustomization.yaml"))
        .expect("the review entry point exists");
    let parsed = common::parse_stream(&text).expect("YAML");
    let resources = parsed[0]["resources"]
        .as_array()
        .expect("resources")
        .iter()
        .map(|r| r.as_str().expect("a path").to_owned())
        .collect();
    if !can_run(&[Need::Kubectl]) {
        return (resources, None);
    }
    let output = std::process::Command::new(common::KUBECTL)
        .arg("kustomize")
        .arg(&dir)
        .output()
        .expect("kubectl runs");
    assert!(
        output.status.success(),
        "kubectl kustomize {}: {}",
        dir.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    let objects = common::parse_stream(&String::from_utf8_lossy(&output.stdout)).expect("YAML");
    let mut envs: Vec<String> = objects
        .iter()
        .map(|o| {
            o["metadata"]["labels"]["mcpstack.dev/environment"]
                .as_str()
                .expect("an environment label")
                .to_owned()
        })
        .collect();
    envs.sort();
    envs.dedup();
    (resources, Some(envs))
}

#[test]
fn the_review_entry_point_outlives_its_environments() {
    let project = copy_folders(&project_root(), &["environments", "generated", "schema"]);
    let root = project.path();
    let add = mcpstack(root, &["review", "add", "pr 77"]);
    assert_eq!(code(&add), 0, "{}", stderr(&add));
    let build = mcpstack(root, &["build"]);
    assert_eq!(code(&build), 0, "{}", stderr(&build));
    let (resources, built) = review_entry_point(root);
    assert_eq!(resources, ["../../flux/pr-42", "../../flux/pr-77"]);
    if let Some(envs) = built {
        assert_eq!(envs, ["pr-42", "pr-77"]);
    }

    let remove = mcpstack(root, &["review", "remove", "pr 77"]);
    assert_eq!(code(&remove), 0, "{}", stderr(&remove));
    let build = mcpstack(root, &["build"]);
    assert_eq!(code(&build), 0, "{}", stderr(&build));
    let (resources, built) = review_entry_point(root);
    assert_eq!(resources, ["../../flux/pr-42"]);
    if let Some(envs) = built {
        assert_eq!(envs, ["pr-42"]);
    }
    assert!(!root.join("generated/flux/pr-77").exists());

    // With no review environment left, the entry point stays, empty, and still builds.
    let remove = mcpstack(root, &["review", "remove", "pr-42"]);
    assert_eq!(code(&remove), 0, "{}", stderr(&remove));
    let build = mcpstack(root, &["build"]);
    assert_eq!(code(&build), 0, "{}", stderr(&build));
    let (resources, built) = review_entry_point(root);
    assert!(resources.is_empty(), "{resources:?}");
    if let Some(envs) = built {
        assert!(envs.is_empty(), "{envs:?}");
    }
    assert!(!root.join("generated/flux/pr-42").exists());
    // The other tiers' entry points are untouched.
    for tier in ["production", "staging"] {
        let path = format!("generated/clusters/{tier}/kustomization.yaml");
        assert_eq!(
            std::fs::read(root.join(&path)).expect("entry point"),
            std::fs::read(project_root().join(&path)).expect("committed entry point"),
            "{path}"
        );
    }
}

// ---------------------------------------------------------------------------------------
// Environments that expire.

/// `mcpstack -C root ARGS...` on a fixed day.
fn on_day(root: &Path, today: &str, args: &[&str]) -> std::process::Output {
    common::command(root, args)
        .env("MCPSTACK_TODAY", today)
        .output()
        .expect("mcpstack runs")
}

/// A copy of the example project that builds as it is.
fn example_project() -> tempfile::TempDir {
    copy_folders(&project_root(), &["environments", "generated", "schema"])
}

#[test]
fn a_ttl_writes_the_expiry_date_right_after_the_tier() {
    let project = fixture();
    let root = project.path();
    let add = on_day(root, "2026-12-28", &["review", "add", "x", "--ttl", "7d"]);
    assert_eq!(code(&add), 0, "{}", stderr(&add));
    assert_eq!(stdout(&add), "x\n");
    let with_ttl = std::fs::read_to_string(root.join("environments/x.yaml")).expect("x.yaml");
    assert!(
        with_ttl.contains("\ntier: review\nexpires: 2027-01-04\n"),
        "{with_ttl}"
    );
    assert_eq!(with_ttl.matches("expires:").count(), 1, "{with_ttl}");

    // The rest of the file is the template's, as without --ttl.
    let plain = fixture();
    let add = on_day(plain.path(), "2026-12-28", &["review", "add", "x"]);
    assert_eq!(code(&add), 0, "{}", stderr(&add));
    let without = std::fs::read_to_string(plain.path().join("environments/x.yaml")).expect("x");
    assert!(!without.contains("expires:"), "{without}");
    assert_eq!(with_ttl.replace("expires: 2027-01-04\n", ""), without);

    let weeks = on_day(root, "2026-12-28", &["review", "add", "y", "--ttl", "2w"]);
    assert_eq!(code(&weeks), 0, "{}", stderr(&weeks));
    let y = std::fs::read_to_string(root.join("environments/y.yaml")).expect("y.yaml");
    assert!(y.contains("\ntier: review\nexpires: 2027-01-11\n"), "{y}");

    let before = environment_files(root);
    for bad in ["7h", "0d", "d", "-1d"] {
        let flag = format!("--ttl={bad}");
        let add = on_day(root, "2026-12-28", &["review", "add", "z", &flag]);
        assert_eq!(code(&add), 2, "--ttl {bad}: {}", stderr(&add));
        assert_eq!(error_code(&stderr(&add)), "invalid-argument", "--ttl {bad}");
    }
    let bad_day = on_day(root, "2026-02-30", &["review", "add", "z", "--ttl", "7d"]);
    assert_eq!(code(&bad_day), 2, "{}", stderr(&bad_day));
    assert!(
        stderr(&bad_day).contains("MCPSTACK_TODAY"),
        "{}",
        stderr(&bad_day)
    );
    assert_eq!(
        environment_files(root),
        before,
        "a refused --ttl wrote something"
    );
}

#[test]
fn check_warns_about_expired_review_environments_only() {
    let project = example_project();
    let root = project.path();
    for (name, ttl) in [("old", "1d"), ("fresh", "30d")] {
        let add = on_day(root, "2026-03-01", &["review", "add", name, "--ttl", ttl]);
        assert_eq!(code(&add), 0, "{}", stderr(&add));
    }
    let build = on_day(root, "2026-03-01", &["build"]);
    assert_eq!(code(&build), 0, "{}", stderr(&build));
    assert!(
        !stderr(&build).contains("expired-environment"),
        "{}",
        stderr(&build)
    );

    // `old` expires on 2026-03-02: still wanted that day, expired the day after.
    let on_the_day = on_day(root, "2026-03-02", &["check"]);
    assert_eq!(code(&on_the_day), 0, "{}", stderr(&on_the_day));
    assert!(!stderr(&on_the_day).contains("expired-environment"));

    let check = on_day(root, "2026-03-03", &["check"]);
    let err = stderr(&check);
    assert_eq!(code(&check), 0, "{err}");
    assert_eq!(
        err.matches("warning[expired-environment]").count(),
        1,
        "{err}"
    );
    assert!(
        err.contains("review environment `old` expired on 2026-03-02"),
        "{err}"
    );
    assert!(err.contains("environments/old.yaml:"), "{err}");
    assert!(!err.contains("`fresh`"), "{err}");
}

#[test]
fn expires_belongs_to_review_environments_only() {
    let project = fixture();
    let root = project.path();
    let staging = root.join("environments/staging.yaml");
    let text = std::fs::read_to_string(&staging).expect("staging.yaml");
    std::fs::write(&staging, format!("{text}expires: 2099-01-01\n")).expect("write");
    let validate = on_day(root, "2026-03-01", &["validate"]);
    assert_eq!(code(&validate), 2, "{}", stderr(&validate));
    assert_eq!(error_code(&stderr(&validate)), "invalid-value");
    assert!(stderr(&validate).contains("environments/staging.yaml:"));
    std::fs::write(&staging, text).expect("write");

    let stack = root.join("environments/stack.yaml");
    let text = std::fs::read_to_string(&stack).expect("stack.yaml");
    std::fs::write(&stack, format!("{text}expires: 2099-01-01\n")).expect("write");
    let validate = on_day(root, "2026-03-01", &["validate"]);
    assert_eq!(code(&validate), 2, "{}", stderr(&validate));
    assert_eq!(error_code(&stderr(&validate)), "invalid-value");
    assert!(stderr(&validate).contains("environments/stack.yaml:"));
}

#[test]
fn prune_removes_exactly_the_expired_review_environments() {
    let project = example_project();
    let root = project.path();
    for (name, ttl) in [
        ("old-one", Some("1d")),
        ("old-two", Some("1w")),
        ("fresh", Some("2w")),
        ("kept", None),
    ] {
        let mut args = vec!["review", "add", name];
        args.extend(ttl.iter().flat_map(|ttl| ["--ttl", ttl]));
        let add = on_day(root, "2026-03-01", &args);
        assert_eq!(code(&add), 0, "{}", stderr(&add));
    }
    let build = on_day(root, "2026-03-01", &["build"]);
    assert_eq!(code(&build), 0, "{}", stderr(&build));

    // Nothing has expired yet: nothing changes.
    let before = files(root);
    let prune = on_day(root, "2026-03-02", &["review", "prune"]);
    assert_eq!(code(&prune), 0, "{}", stderr(&prune));
    assert_eq!(stdout(&prune), "");
    assert!(
        files(root) == before,
        "prune changed files with nothing expired"
    );

    // old-one (2026-03-02) and old-two (2026-03-08) have expired; fresh (2026-03-15),
    // kept (no date), the pull request environment, staging and production have not.
    let before = environment_files(root);
    let prune = on_day(root, "2026-03-09", &["review", "prune"]);
    assert_eq!(code(&prune), 0, "{}", stderr(&prune));
    assert_eq!(stdout(&prune), "old-one\nold-two\n");
    let after = environment_files(root);
    let mut expected = before.clone();
    expected.remove("old-one.yaml");
    expected.remove("old-two.yaml");
    assert_eq!(
        after.keys().collect::<Vec<_>>(),
        expected.keys().collect::<Vec<_>>()
    );
    assert!(after == expected, "prune changed a file it did not remove");
    assert_eq!(before.len(), after.len() + 2, "{:?}", before.keys());

    let build = on_day(root, "2026-03-09", &["build"]);
    assert_eq!(code(&build), 0, "{}", stderr(&build));
    for name in ["old-one", "old-two"] {
        assert!(!root.join(format!("generated/overlays/{name}")).exists());
        assert!(!root.join(format!("generated/flux/{name}")).exists());
    }
    for name in ["fresh", "kept", "pr-42"] {
        assert!(root.join(format!("generated/overlays/{name}")).exists());
    }

    let again = on_day(root, "2026-03-09", &["review", "prune"]);
    assert_eq!(code(&again), 0, "{}", stderr(&again));
    assert_eq!(stdout(&again), "");
}
