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
        .map(|line| serde_json::from_str::<Json>(line).expect("each line is JSON"))
        .filter(|object| object.get("code").is_some())
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

// --- JSON output: nothing but JSON lines, the last one a summary ------------------------

/// Every stderr line of a JSON-mode run as an object; fails on any line that is not.
fn json_lines(stderr: &str) -> Vec<Json> {
    stderr
        .lines()
        .map(|line| {
            let value: Json = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("not a JSON line ({e}): {line:?}\n{stderr}"));
            assert!(value.is_object(), "not an object: {line}");
            value
        })
        .collect()
}

/// The summary: the last line, the only one with `summary`, whose `exit` is the run's
/// exit code and whose counts match the diagnostics shown.
fn summary(output: &std::process::Output) -> Json {
    let text = stderr(output);
    let lines = json_lines(&text);
    let summaries: Vec<&Json> = lines
        .iter()
        .filter(|l| l.get("summary").is_some())
        .collect();
    assert_eq!(summaries.len(), 1, "one summary:\n{text}");
    let last = lines.last().expect("a line");
    assert!(
        last.get("summary").is_some(),
        "the summary is last:\n{text}"
    );
    assert_eq!(last["exit"], code(output), "{text}");
    for severity in ["error", "warning"] {
        let shown = lines.iter().filter(|l| l["severity"] == severity).count();
        assert_eq!(last[format!("{severity}s")], shown, "{severity}s:\n{text}");
    }
    last.clone()
}

fn json(root: &std::path::Path, args: &[&str]) -> std::process::Output {
    let mut all = vec!["--message-format", "json"];
    all.extend_from_slice(args);
    command(root, &all).output().expect("runs")
}

#[test]
fn json_mode_prints_only_json_lines_for_build_and_check() {
    let project = project_with_a_warning();
    let root = project.path();
    let build = json(root, &["build"]);
    assert_eq!(code(&build), 0, "{}", stderr(&build));
    let last = summary(&build);
    assert!(
        last["summary"]
            .as_str()
            .is_some_and(|s| s.starts_with("built 3 environment(s)")),
        "{last}"
    );
    assert_eq!(last["environments"], 3);
    assert_eq!(last["warnings"], 1, "the mutable tag: {last}");
    assert!(last["written"].as_u64().is_some_and(|n| n > 0), "{last}");
    assert!(last["seconds"].is_number(), "{last}");

    let check = json(root, &["check"]);
    assert_eq!(code(&check), 0, "{}", stderr(&check));
    let last = summary(&check);
    assert_eq!(
        (last["stale"].as_u64(), last["missing"].as_u64()),
        (Some(0), Some(0))
    );

    // Drift: the summary carries the help, and the diff stays on stdout.
    let staging = root.join("environments/staging.yaml");
    let text = std::fs::read_to_string(&staging).expect("staging");
    std::fs::write(
        &staging,
        text.replace("tier: staging", "tier: staging\nname: other"),
    )
    .expect("edit");
    let drift = json(root, &["check"]);
    assert_eq!(code(&drift), 1, "{}", stderr(&drift));
    let last = summary(&drift);
    assert!(last["stale"].as_u64().is_some_and(|n| n > 0), "{last}");
    assert!(
        last["help"]
            .as_str()
            .is_some_and(|h| h.contains("mcpstack build"))
    );
    assert!(
        common::stdout(&drift).starts_with("--- "),
        "the diff on stdout"
    );
}

#[test]
fn json_mode_prints_only_json_lines_for_an_invalid_project() {
    let project = invalid_case("unknown-key-near-miss");
    for args in [&["build"][..], &["check"], &["validate"]] {
        // Under GitHub Actions too: workflow commands are for the human format.
        let output = command(
            project.path(),
            &[&["--message-format", "json"][..], args].concat(),
        )
        .env("GITHUB_ACTIONS", "true")
        .output()
        .expect("runs");
        assert_eq!(code(&output), 2, "{args:?}: {}", stderr(&output));
        let last = summary(&output);
        assert_eq!(last["errors"], 1, "{args:?}: {last}");
        assert_eq!(
            last["summary"], "1 error(s); nothing was written",
            "{args:?}: {last}"
        );
    }
    // A failure of the environment is a summary too.
    let empty = tempfile::tempdir().expect("temp dir");
    let output = json(empty.path(), &["build"]);
    assert_eq!(code(&output), 3);
    let last = summary(&output);
    assert!(
        last["summary"]
            .as_str()
            .is_some_and(|s| s.contains("environments")),
        "{last}"
    );
}

#[test]
fn json_mode_prints_only_json_lines_for_pin_and_review() {
    let project = copy_folders(&project_root(), &["environments"]);
    let root = project.path();
    let digest = format!("gateway={}", common::DIGEST);
    for (args, exit) in [
        (vec!["pin", "production", digest.as_str()], 0),
        (vec!["pin", "production", "gatewy=sha256:0"], 2),
        (vec!["review", "add", "feature/json"], 0),
        (vec!["review", "add", "feature/json"], 0),
        (vec!["review", "remove", "feature/json"], 0),
        (vec!["review", "remove", "feature/json"], 0),
        (vec!["review", "remove", "staging"], 2),
    ] {
        let output = json(root, &args);
        assert_eq!(code(&output), exit, "{args:?}: {}", stderr(&output));
        summary(&output);
    }
}

// --- Colour --------------------------------------------------------------------------

/// An ANSI escape sequence.
const ESCAPE: &str = "\u{1b}[";

#[test]
fn colour_only_when_asked_and_never_in_json() {
    let project = invalid_case("unknown-key-near-miss");
    let root = project.path();
    let run = |args: &[&str], no_color: Option<&str>| {
        let mut command = command(root, args);
        command.env_remove("NO_COLOR");
        if let Some(value) = no_color {
            command.env("NO_COLOR", value);
        }
        let output = command.output().expect("runs");
        assert_eq!(code(&output), 2, "{args:?}: {}", stderr(&output));
        stderr(&output)
    };
    let always = run(&["--color", "always", "validate"], None);
    assert!(
        always.contains(&format!("{ESCAPE}1;31merror[unknown-key]{ESCAPE}0m: ")),
        "{always:?}"
    );
    // The flag is explicit: it wins over NO_COLOR.
    let forced = run(&["--color", "always", "validate"], Some("1"));
    assert!(forced.contains(ESCAPE), "{forced:?}");
    for args in [
        &["--color", "never", "validate"][..],
        // auto: stderr is a pipe here, not a terminal
        &["validate"],
        &["--color", "auto", "validate"],
        &["--color", "always", "--message-format", "json", "validate"],
    ] {
        let text = run(args, None);
        assert!(!text.contains(ESCAPE), "{args:?}: {text:?}");
        assert!(text.contains("error"), "{args:?}: {text}");
    }
    // Colour changes only the label: the text is the same without the escapes.
    let never = run(&["--color", "never", "validate"], None);
    assert_eq!(
        always
            .replace(&format!("{ESCAPE}1;31m"), "")
            .replace(&format!("{ESCAPE}0m"), ""),
        never
    );
}

#[test]
fn warnings_are_coloured_yellow() {
    let project = project_with_a_warning();
    let output = command(project.path(), &["--color", "always", "validate"])
        .output()
        .expect("runs");
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    assert!(
        stderr(&output).contains(&format!("{ESCAPE}1;33mwarning[mutable-tag]{ESCAPE}0m: ")),
        "{:?}",
        stderr(&output)
    );
}
