//! Helpers shared by the integration tests: running the `mcpstack` binary, temporary
//! project copies, file listings, YAML streams, and the tools some tests need.

// Each test binary compiles this module on its own and uses only some of it; the rest
// would be reported as dead code in every binary that does not use it.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value as Json;

/// A well-formed image digest, for pins.
pub const DIGEST: &str = "sha256:abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789";
pub const KUBECTL: &str = "kubectl";

// --- The binary ----------------------------------------------------------------------

/// The project root: the folder of `Cargo.toml`.
pub fn project_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `mcpstack -C root ARGS...`, not yet run. Outside GitHub Actions' annotation mode,
/// so that output compares the same on every CI.
pub fn command(root: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_mcpstack"));
    command
        .arg("-C")
        .arg(root)
        .args(args)
        .env_remove("GITHUB_ACTIONS");
    command
}

/// Run `mcpstack -C root ARGS...` and wait for it.
pub fn mcpstack(root: &Path, args: &[&str]) -> Output {
    command(root, args).output().expect("mcpstack runs")
}

/// Run `mcpstack ARGS...` without a project folder, as for `--help`.
pub fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mcpstack"))
        .args(args)
        .output()
        .expect("mcpstack runs")
}

/// The exit code of a run; a run ended by a signal fails the test.
pub fn code(output: &Output) -> i32 {
    output.status.code().expect("exit code")
}

/// What a run printed on stdout.
pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// What a run printed on stderr.
pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// What a run printed, stdout then stderr, for messages.
pub fn output_text(output: &Output) -> String {
    format!("{}{}", stdout(output), stderr(output))
}

// --- Files ---------------------------------------------------------------------------

/// Copy the tree at `from` into `to`, creating folders as needed.
pub fn copy_dir(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.expect("walk");
        let target = to.join(entry.path().strip_prefix(from).expect("prefix"));
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).expect("mkdir");
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// A temporary project holding a copy of `folders` of the project at `from`.
pub fn copy_folders(from: &Path, folders: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for folder in folders {
        copy_dir(&from.join(folder), &dir.path().join(folder));
    }
    dir
}

/// Every file under `dir`: its path relative to `dir` (with `/`) -> its bytes.
pub fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .map(|e| e.expect("walk"))
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let relative = e.path().strip_prefix(dir).expect("prefix");
            let bytes = std::fs::read(e.path()).expect("read");
            (relative.to_string_lossy().replace('\\', "/"), bytes)
        })
        .collect()
}

/// The names of the folders directly under `dir`, sorted.
pub fn subdirectories(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("read a folder")
        .map(|entry| entry.expect("folder entry"))
        .filter(|entry| entry.path().is_dir())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

// --- Tools ---------------------------------------------------------------------------

/// Whether `tool` is a file in one of the folders on PATH.
pub fn on_path(tool: &str) -> bool {
    let file = format!("{tool}{}", std::env::consts::EXE_SUFFIX);
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(&file).is_file()))
}

/// One line for each of `tools` that is not on PATH.
pub fn missing_tools(tools: &[&str]) -> Vec<String> {
    tools
        .iter()
        .filter(|tool| !on_path(tool))
        .map(|tool| format!("`{tool}` is not on PATH"))
        .collect()
}

/// Whether `test` can run: true when nothing is `missing`. Otherwise the test fails in
/// CI (`CI` set and non-empty) and elsewhere is skipped with a note on stderr.
pub fn can_run(test: &str, missing: &[String]) -> bool {
    if missing.is_empty() {
        return true;
    }
    let missing = missing.join("; ");
    let in_ci = std::env::var("CI").is_ok_and(|v| !v.is_empty());
    assert!(
        !in_ci,
        "{test}: {missing}; CI is set, so this cannot be skipped"
    );
    // Written to stderr directly: the test harness captures `eprintln!` of passing tests.
    let _ = writeln!(std::io::stderr(), "note: skipping {test}: {missing}");
    false
}

/// Whether `tools` are all on PATH, as [`can_run`] decides for `test`.
pub fn tools_ready(test: &str, tools: &[&str]) -> bool {
    can_run(test, &missing_tools(tools))
}

// --- kubectl kustomize ---------------------------------------------------------------

/// The YAML stream `kubectl kustomize DIR` prints, run in the project root (so `dir`
/// may be relative to it).
pub fn kustomize(dir: &Path) -> Result<String, String> {
    let output = Command::new(KUBECTL)
        .arg("kustomize")
        .arg(dir)
        .current_dir(project_root())
        .output()
        .map_err(|e| format!("kubectl kustomize could not run: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "kubectl kustomize failed: {}",
            output_text(&output)
        ));
    }
    String::from_utf8(output.stdout).map_err(|e| format!("kubectl kustomize output: {e}"))
}

/// The environments of the committed output: the folders under `generated/overlays`,
/// sorted; at least one.
pub fn overlay_environments() -> Vec<String> {
    let names = subdirectories(&project_root().join("generated/overlays"));
    assert!(
        !names.is_empty(),
        "no environments under generated/overlays"
    );
    names
}

/// The YAML stream `kubectl kustomize generated/overlays/ENV` prints.
pub fn kustomize_overlay(env: &str) -> Result<String, String> {
    kustomize(&Path::new("generated/overlays").join(env))
}

/// The documents `kubectl kustomize generated/overlays/ENV` builds.
pub fn overlay_documents(env: &str) -> Result<Vec<Document>, String> {
    documents(&kustomize_overlay(env)?)
}

// --- YAML ----------------------------------------------------------------------------

/// One object of a YAML stream, with the text of its document as written and the line
/// (from 1) that document starts on.
pub struct Document {
    pub line: usize,
    pub text: String,
    pub object: Json,
}

/// The objects of a stream, split at `---` lines so that each keeps its own text (for
/// tools that read it with YAML 1.1 rules, like the API server) and its first line.
pub fn documents(stream: &str) -> Result<Vec<Document>, String> {
    let mut texts = vec![(1, String::new())];
    for (index, line) in stream.split_inclusive('\n').enumerate() {
        if line.trim_end() == "---" {
            texts.push((index + 2, String::new()));
        } else if let Some((_, text)) = texts.last_mut() {
            text.push_str(line);
        }
    }
    let mut documents = Vec::new();
    for (line, text) in texts {
        for object in parse_stream(&text).map_err(|e| format!("line {line}: {e}"))? {
            documents.push(Document {
                line,
                text: text.clone(),
                object,
            });
        }
    }
    Ok(documents)
}

/// The non-empty documents of a YAML stream. Read as Kubernetes reads YAML (1.1 rules:
/// `on` is a boolean, `0755` octal), so an unquoted ambiguous scalar in a string field
/// fails schema validation; duplicate keys are errors.
pub fn parse_stream(text: &str) -> Result<Vec<Json>, String> {
    let options = serde_saphyr::options! {
        legacy_octal_numbers: true,
        duplicate_keys: serde_saphyr::DuplicateKeyPolicy::Error,
    };
    let values: Vec<Json> = serde_saphyr::from_str_multiple_with_options(text, options)
        .map_err(|e| format!("invalid YAML: {e}"))?;
    Ok(values.into_iter().filter(|v| !v.is_null()).collect())
}

/// `apiVersion Kind namespace/name` of an object, for messages.
pub fn describe(object: &Json) -> String {
    let field = |value: &Json| value.as_str().unwrap_or("?").to_owned();
    let metadata = &object["metadata"];
    let name = match metadata["namespace"].as_str() {
        Some(namespace) => format!("{namespace}/{}", field(&metadata["name"])),
        None => field(&metadata["name"]),
    };
    format!(
        "{} {} {name}",
        field(&object["apiVersion"]),
        field(&object["kind"])
    )
}

/// Whether `kubectl` runs (`kubectl version --client`); when it does not, [`can_run`]
/// fails `test` in CI and skips it elsewhere.
pub fn kubectl_ready(test: &str) -> bool {
    let runs = Command::new(KUBECTL)
        .args(["version", "--client"])
        .output()
        .is_ok_and(|o| o.status.success());
    let missing = if runs {
        vec![]
    } else {
        vec![format!("`{KUBECTL} version --client` does not run")]
    };
    can_run(test, &missing)
}
