//! How mcpstack reaches its users besides `cargo install`: the container image
//! (`Dockerfile`), the composite GitHub Action (`action.yml`) and the README recipes for
//! both. Docker is not run here: the tests read the files and hold them consistent with
//! Cargo.toml and with each other. The workflows are linted with actionlint.

mod common;

use std::path::Path;
use std::process::Command;

use common::{ACTIONLINT, Need, can_run, output_text, project_root};
use serde_json::Value as Json;

fn read(relative: &str) -> String {
    let path = project_root().join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

fn yaml(relative: &str) -> Json {
    serde_saphyr::from_str(&read(relative)).unwrap_or_else(|e| panic!("{relative}: {e}"))
}

// --- Cargo.toml ----------------------------------------------------------------------

/// The value of `key = "..."` in the `[section]` of a manifest (every table of that
/// name, for `[[bin]]`).
fn manifest_values(manifest: &str, section: &str, key: &str) -> Vec<String> {
    let mut current = String::new();
    let mut values = Vec::new();
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            current = line.to_owned();
        } else if current == section
            && let Some((k, v)) = line.split_once('=')
            && k.trim() == key
        {
            values.push(v.trim().trim_matches('"').to_owned());
        }
    }
    values
}

/// The binaries the package builds: the `[[bin]]` targets, or the package's own name
/// for `src/main.rs`.
fn cargo_binaries() -> Vec<String> {
    let manifest = read("Cargo.toml");
    let bins = manifest_values(&manifest, "[[bin]]", "name");
    if !bins.is_empty() {
        return bins;
    }
    assert!(project_root().join("src/main.rs").is_file(), "no binary");
    manifest_values(&manifest, "[package]", "name")
}

// --- Dockerfile ----------------------------------------------------------------------

/// One instruction: its keyword (upper case) and the rest of it, continuation lines
/// joined.
struct Instruction {
    keyword: String,
    args: String,
}

/// The stages of a Dockerfile, each its instructions from its `FROM` on.
fn dockerfile_stages(text: &str) -> Vec<Vec<Instruction>> {
    let mut logical = Vec::new();
    let mut pending = String::new();
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('#') || (trimmed.is_empty() && pending.is_empty()) {
            continue;
        }
        match trimmed.strip_suffix('\\') {
            Some(start) => {
                pending.push_str(start);
                pending.push(' ');
            }
            None => {
                pending.push_str(trimmed);
                logical.push(std::mem::take(&mut pending));
            }
        }
    }
    assert!(pending.is_empty(), "the Dockerfile ends in a continuation");
    let mut stages: Vec<Vec<Instruction>> = Vec::new();
    for line in logical {
        let (keyword, args) = line.split_once(char::is_whitespace).unwrap_or((&line, ""));
        let instruction = Instruction {
            keyword: keyword.to_uppercase(),
            args: args.trim().to_owned(),
        };
        if instruction.keyword == "FROM" {
            stages.push(Vec::new());
        }
        stages
            .last_mut()
            .expect("the Dockerfile starts with FROM")
            .push(instruction);
    }
    stages
}

fn args_of<'a>(stage: &'a [Instruction], keyword: &str) -> Vec<&'a str> {
    stage
        .iter()
        .filter(|i| i.keyword == keyword)
        .map(|i| i.args.as_str())
        .collect()
}

/// What the README's recipe must agree with.
struct Image {
    binary: String,
    workdir: String,
}

/// Checks the Dockerfile and returns what the image runs and where.
fn image() -> Image {
    let stages = dockerfile_stages(&read("Dockerfile"));
    assert!(
        stages.len() >= 2,
        "a multi-stage build: {} stage(s)",
        stages.len()
    );
    let (last, builds) = stages.split_last().expect("stages");

    // The build stage: a cargo build of the package's binary, as the lock file says.
    let from: Vec<&str> = builds[0][0].args.split_whitespace().collect();
    assert!(
        from[0].starts_with("rust:") && from[0].contains("alpine"),
        "the build stage is a Rust image on Alpine (musl, a static binary): {from:?}"
    );
    let stage_name = match from.as_slice() {
        [_, as_, name] if as_.eq_ignore_ascii_case("as") => *name,
        _ => panic!("the build stage is named (FROM IMAGE AS NAME): {from:?}"),
    };
    let build_runs: Vec<Vec<&str>> = builds
        .iter()
        .flat_map(|stage| args_of(stage, "RUN"))
        .filter(|run| run.contains("cargo build"))
        .map(|run| run.split_whitespace().collect())
        .collect();
    assert_eq!(build_runs.len(), 1, "one `cargo build` RUN");
    let build = &build_runs[0];
    for flag in ["--release", "--locked"] {
        assert!(build.contains(&flag), "cargo build {flag}: {build:?}");
    }
    let bin = build
        .windows(2)
        .find(|pair| pair[0] == "--bin")
        .map(|pair| pair[1].to_owned())
        .expect("cargo build --bin NAME");
    let binaries = cargo_binaries();
    assert!(
        binaries.contains(&bin),
        "--bin {bin} is not a binary of Cargo.toml ({binaries:?})"
    );
    let copied: Vec<&str> = args_of(&builds[0], "COPY")
        .into_iter()
        .flat_map(str::split_whitespace)
        .collect();
    for file in ["Cargo.toml", "Cargo.lock", "src"] {
        assert!(copied.contains(&file), "the build stage copies {file}");
    }

    // The final stage: the binary alone on an empty or distroless base.
    let base = last[0].args.as_str();
    assert!(
        base == "scratch" || base.starts_with("gcr.io/distroless/static"),
        "the final stage is FROM scratch or a static distroless image, not {base}"
    );
    let copies = args_of(last, "COPY");
    assert_eq!(copies.len(), 1, "the final stage copies the binary only");
    let copy: Vec<&str> = copies[0].split_whitespace().collect();
    let [from_flag, source, target] = copy.as_slice() else {
        panic!("COPY --from=STAGE SOURCE TARGET: {copy:?}")
    };
    assert_eq!(*from_flag, format!("--from={stage_name}"));
    assert!(
        source.ends_with(&format!("/release/{bin}")),
        "the final stage copies the release build of {bin}, not {source}"
    );
    let entrypoints = args_of(last, "ENTRYPOINT");
    assert_eq!(entrypoints.len(), 1, "one ENTRYPOINT");
    let entrypoint: Vec<String> = serde_json::from_str(entrypoints[0])
        .unwrap_or_else(|e| panic!("ENTRYPOINT in exec form (a JSON array): {e}"));
    assert_eq!(
        entrypoint,
        vec![target.to_string()],
        "the entrypoint runs the copied binary, with no arguments"
    );
    let workdirs = args_of(last, "WORKDIR");
    let workdir = workdirs.last().expect("the final stage sets WORKDIR");
    assert!(workdir.starts_with('/'), "an absolute WORKDIR: {workdir}");
    Image {
        binary: bin,
        workdir: workdir.to_string(),
    }
}

#[test]
fn dockerfile_builds_the_package_binary_into_a_static_image() {
    let image = image();
    assert_eq!(image.binary, "mcpstack");
    assert_eq!(image.workdir, "/work");
}

#[test]
fn dockerignore_keeps_build_outputs_and_history_out_of_the_context() {
    let ignored: Vec<String> = read(".dockerignore")
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(|line| line.trim_end_matches('/').to_owned())
        .collect();
    for path in ["target", ".git"] {
        assert!(ignored.iter().any(|i| i == path), "{path} in .dockerignore");
    }
    // The build stage copies these; ignoring one would break the build.
    for needed in ["src", "Cargo.toml", "Cargo.lock", "benches"] {
        assert!(!ignored.iter().any(|i| i == needed), "{needed} is ignored");
    }
}

/// The README's lines that start with `prefix` (in code blocks or not), trimmed.
fn readme_lines(readme: &str, prefix: &str) -> Vec<String> {
    readme
        .lines()
        .map(str::trim)
        .filter(|line| line.starts_with(prefix))
        .map(str::to_owned)
        .collect()
}

#[test]
fn readme_docker_recipe_matches_the_dockerfile() {
    let image = image();
    let readme = read("README.md");
    let builds = readme_lines(&readme, "docker build ");
    assert_eq!(
        builds,
        ["docker build -t mcpstack ."],
        "README's docker build"
    );
    let tag = "mcpstack";
    let runs = readme_lines(&readme, "docker run ");
    assert!(runs.len() >= 2, "README's docker run lines: {runs:?}");
    let mount = format!("-v \"$PWD:{}\"", image.workdir);
    for run in &runs {
        let words: Vec<&str> = run.split_whitespace().collect();
        assert!(words.contains(&"--rm"), "{run}: --rm");
        assert!(words.contains(&tag), "{run}: runs the image built as {tag}");
        // Arguments after the image go to the entrypoint: the image is the first word
        // that is neither an option nor an option's value.
        let image_at = words.iter().position(|w| *w == tag).expect("tag");
        assert!(
            words[image_at + 1..]
                .iter()
                .all(|w| *w != "mcpstack" && *w != "/mcpstack"),
            "{run}: the entrypoint is mcpstack already; do not repeat it"
        );
        if words.contains(&"-v") {
            assert!(
                run.contains(&mount),
                "{run}: mounts the project at the image's WORKDIR ({mount})"
            );
        }
    }
    let ending = |end: &str| runs.iter().any(|run| run.ends_with(end));
    assert!(ending(&format!("{mount} {tag} check")), "{runs:?}: check");
    assert!(ending(&format!("{tag} --version")), "{runs:?}: --version");
}

#[test]
fn readme_install_section_names_the_package_and_repository() {
    let readme = read("README.md");
    let manifest = read("Cargo.toml");
    let repository = &manifest_values(&manifest, "[package]", "repository")[0];
    let package = &manifest_values(&manifest, "[package]", "name")[0];
    assert!(readme.contains("\n## Install\n"), "an Install section");
    assert!(readme.contains("cargo install --locked --path ."));
    let pinned = format!("cargo install --locked --git {repository} --tag vX.Y.Z {package}");
    assert!(readme.contains(&pinned), "README: {pinned}");
}

// --- action.yml ----------------------------------------------------------------------

/// The names of the action's inputs, sorted.
fn action_inputs(action: &Json) -> Vec<String> {
    let mut names: Vec<String> = action["inputs"]
        .as_object()
        .expect("action inputs")
        .keys()
        .cloned()
        .collect();
    names.sort();
    names
}

#[test]
fn action_is_composite_and_takes_inputs_through_the_environment_only() {
    let action = yaml("action.yml");
    assert_eq!(action["runs"]["using"], "composite");
    let steps = action["runs"]["steps"].as_array().expect("steps");
    let inputs = action_inputs(&action);
    assert_eq!(inputs, ["command", "version", "working-directory"]);
    assert_eq!(action["inputs"]["command"]["default"], "check");
    assert_eq!(action["inputs"]["working-directory"]["default"], ".");

    let mut used = Vec::new();
    for step in steps {
        if let Some(run) = step["run"].as_str() {
            // No expression inside a script: an input value would become shell code.
            assert!(!run.contains("${{"), "an expression in a script: {run}");
            assert_eq!(step["shell"], "bash", "{run}");
            assert!(run.contains("set -euo pipefail"), "{run}");
        }
        for (name, value) in step["env"].as_object().into_iter().flatten() {
            let value = value.as_str().unwrap_or_default();
            if let Some(input) = value
                .strip_prefix("${{ inputs.")
                .and_then(|v| v.strip_suffix(" }}"))
            {
                assert!(
                    inputs.iter().any(|i| i == input),
                    "{name}: no input {input}"
                );
                used.push(input.to_owned());
            }
        }
        // Anywhere else (`with`, `if`), an input is not expected at all.
        let mut rest = step.clone();
        rest.as_object_mut().expect("a step").remove("env");
        assert!(
            !rest.to_string().contains("inputs."),
            "an input outside env: {rest}"
        );
    }
    used.sort();
    used.dedup();
    assert_eq!(used, inputs, "every input is passed to a script");

    let scripts: String = steps.iter().filter_map(|s| s["run"].as_str()).collect();
    assert!(scripts.contains("cargo install --locked --path \"$GITHUB_ACTION_PATH\""));
    assert!(scripts.contains("mcpstack -C \"$MCPSTACK_DIRECTORY\" \"${args[@]}\""));
    assert!(scripts.contains("$GITHUB_STEP_SUMMARY"));
}

#[test]
fn action_and_workflow_pin_the_same_rust_cache_release() {
    let uses = |json: &Json| -> Vec<String> {
        let mut found = Vec::new();
        let mut stack = vec![json];
        while let Some(value) = stack.pop() {
            match value {
                Json::Object(map) => {
                    if let Some(uses) = map.get("uses").and_then(Json::as_str) {
                        found.push(uses.to_owned());
                    }
                    stack.extend(map.values());
                }
                Json::Array(items) => stack.extend(items),
                _ => {}
            }
        }
        found
            .into_iter()
            .filter(|u| u.starts_with("Swatinem/rust-cache@"))
            .collect()
    };
    let in_action = uses(&yaml("action.yml"));
    let in_ci = uses(&yaml(".github/workflows/ci.yml"));
    assert_eq!(in_action.len(), 1, "{in_action:?}");
    assert!(!in_ci.is_empty());
    assert!(in_ci.iter().all(|u| *u == in_action[0]), "{in_ci:?}");
}

/// The README's workflow that uses the action: the YAML code block naming
/// `mcpstack/mcpstack@`.
fn readme_workflow() -> String {
    let readme = read("README.md");
    readme
        .split("```yaml\n")
        .skip(1)
        .filter_map(|block| block.split_once("\n```").map(|(yaml, _)| yaml))
        .find(|block| block.contains("uses: mcpstack/mcpstack@"))
        .expect("a README workflow using mcpstack/mcpstack@")
        .to_owned()
}

#[test]
fn readme_workflow_passes_only_the_action_inputs() {
    let action = yaml("action.yml");
    let inputs = action_inputs(&action);
    let workflow: Json = serde_saphyr::from_str(&readme_workflow()).expect("README workflow");
    let steps: Vec<&Json> = workflow["jobs"]
        .as_object()
        .expect("jobs")
        .values()
        .flat_map(|job| job["steps"].as_array().expect("steps"))
        .filter(|step| {
            step["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with("mcpstack/mcpstack@v"))
        })
        .collect();
    assert!(
        !steps.is_empty(),
        "the README uses mcpstack/mcpstack@vX.Y.Z"
    );
    for step in steps {
        for key in step["with"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, _)| k)
        {
            assert!(inputs.contains(key), "README passes {key}, not an input");
        }
    }
}

// --- actionlint ----------------------------------------------------------------------

fn actionlint(dir: &Path, files: &[&str]) -> std::process::Output {
    Command::new(ACTIONLINT)
        .args(["-no-color", "-oneline"])
        .args(files)
        .current_dir(dir)
        .output()
        .expect("actionlint runs")
}

#[test]
fn workflows_pass_actionlint() {
    if !can_run(&[Need::Actionlint]) {
        return;
    }
    // The fixture uses the action as `./`, which actionlint checks against action.yml.
    let output = actionlint(
        &project_root(),
        &[
            ".github/workflows/ci.yml",
            "tests/fixtures/workflows/uses-action.yml",
            // The workflow `init` writes into a new project.
            "src/init/mcpstack.yml",
        ],
    );
    assert!(output.status.success(), "{}", output_text(&output));
}

#[test]
fn actionlint_checks_workflows_against_the_action_inputs() {
    if !can_run(&[Need::Actionlint]) {
        return;
    }
    // A project of its own (actionlint finds the root by `.git`) with action.yml and
    // two workflows using it: the README's, and one passing an input that does not exist.
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir_all(dir.path().join(".git")).expect("mkdir");
    std::fs::create_dir_all(dir.path().join(".github/workflows")).expect("mkdir");
    std::fs::write(dir.path().join("action.yml"), read("action.yml")).expect("write");
    let readme = readme_workflow();
    let local = readme
        .lines()
        .map(|line| match line.split_once("uses: mcpstack/mcpstack@") {
            Some((indent, _)) => format!("{indent}uses: ./"),
            None => line.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("\n");
    assert_ne!(local, readme);
    std::fs::write(dir.path().join(".github/workflows/readme.yml"), &local).expect("write");
    let output = actionlint(dir.path(), &[".github/workflows/readme.yml"]);
    assert!(
        output.status.success(),
        "the README's workflow: {}",
        output_text(&output)
    );

    let wrong = read("tests/fixtures/workflows/uses-action.yml")
        .replace("working-directory: infra", "workdir: infra");
    std::fs::write(dir.path().join(".github/workflows/wrong.yml"), wrong).expect("write");
    let output = actionlint(dir.path(), &[".github/workflows/wrong.yml"]);
    let text = output_text(&output);
    assert!(!output.status.success(), "an unknown input passes: {text}");
    assert!(
        text.contains("input \"workdir\" is not defined"),
        "actionlint names the unknown input: {text}"
    );
}

#[test]
fn the_workflow_init_writes_passes_actionlint() {
    if !can_run(&[Need::Actionlint]) {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let project = dir.path().join("project");
    let init = common::mcpstack(dir.path(), &["init", "project"]);
    assert_eq!(common::code(&init), 0, "{}", common::stderr(&init));
    let workflow = ".github/workflows/mcpstack.yml";
    assert!(project.join(workflow).is_file(), "init writes {workflow}");
    // actionlint finds the repository root by `.git`.
    std::fs::create_dir_all(project.join(".git")).expect("mkdir");
    let output = actionlint(&project, &[workflow]);
    assert!(output.status.success(), "{}", output_text(&output));
}
