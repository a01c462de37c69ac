//! Reading `environments/`: the only input IO. Each file becomes a [`Document`], a YAML
//! tree with source positions; YAML syntax errors become diagnostics.

use std::path::{Path, PathBuf};

use crate::Error;
use crate::diagnostic::{Code, Diagnostic};
use crate::node::{self, Node, RawValue};
use crate::source::{FileId, Sources, Span};

/// Folder of spec files, relative to the project root.
pub const ENVIRONMENTS_DIR: &str = "environments";
/// The shared file every environment layers on.
pub const STACK_FILE: &str = "stack.yaml";
/// Larger spec files are refused before parsing.
pub const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// One parsed spec file.
#[derive(Debug, Clone)]
pub struct Document {
    pub file: FileId,
    pub root: Node,
}

/// Every spec file of the project, parsed. Environments are sorted by name.
#[derive(Debug, Clone)]
pub struct Specs {
    pub sources: Sources,
    pub stack: Document,
    pub environments: Vec<(String, Document)>,
}

/// What loading produced: the specs, or the syntax errors that stopped it.
pub enum Loaded {
    Specs(Specs),
    Invalid(Sources, Vec<Diagnostic>),
}

/// The project root for a command run in `start`: the nearest folder upwards that
/// holds `environments/`.
pub fn find_root(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .find(|dir| dir.join(ENVIRONMENTS_DIR).is_dir())
        .map(Path::to_path_buf)
}

/// Read and parse every `environments/*.yaml` under `root`.
pub fn load(root: &Path) -> Result<Loaded, Error> {
    let dir = root.join(ENVIRONMENTS_DIR);
    if !dir.is_dir() {
        return Err(Error::NotAProject {
            root: root.to_path_buf(),
        });
    }
    let mut sources = Sources::at(root);
    // Read in order, then parse every readable file on every core: the stack file and
    // the environment files are parsed at the same time.
    let mut read_files: Vec<(String, Result<FileId, Diagnostic>)> = Vec::new();
    for (path, kind) in spec_files(&dir)? {
        let name = file_name(&path);
        let display = format!("{ENVIRONMENTS_DIR}/{name}");
        if let Some(diagnostic) = refused_file(kind, &name) {
            let file = sources.add(display, String::new());
            read_files.push((name, Err(diagnostic.at(start(file)))));
            continue;
        }
        let readable = match read(&path)? {
            Contents::Text(text) => Ok(sources.add(display, text)),
            Contents::TooLarge(size) => {
                let file = sources.add(display, String::new());
                let message =
                    format!("spec file is {size} bytes, over the limit of {MAX_FILE_BYTES}");
                Err(Diagnostic::error(Code::FileTooLarge, message).at(start(file)))
            }
            Contents::NotUtf8 {
                lossy,
                line,
                column,
            } => {
                let file = sources.add(display, lossy);
                let span = Span { file, line, column };
                let help = "save the file as UTF-8";
                Err(
                    Diagnostic::error(Code::NotUtf8, "spec file is not valid UTF-8")
                        .at(span)
                        .help(help),
                )
            }
        };
        read_files.push((name, readable));
    }
    let parsed = crate::parallel::map(&read_files, |(_, readable)| {
        let file = readable.clone()?;
        parse(file, &sources.file(file).text).map(|root| Document { file, root })
    });
    let mut diagnostics = Vec::new();
    let mut stack = None;
    let mut environments = Vec::new();
    for ((name, _), parsed) in read_files.into_iter().zip(parsed) {
        let document = match parsed {
            Ok(document) => document,
            Err(diagnostic) => {
                diagnostics.push(diagnostic);
                continue;
            }
        };
        diagnostics.extend(yaml11_chart_values(&document, &sources));
        match name.strip_suffix(".yaml") {
            Some("stack") => stack = Some(document),
            Some(env) => environments.push((env.to_owned(), document)),
            None => {}
        }
    }
    if !diagnostics.is_empty() {
        return Ok(Loaded::Invalid(sources, diagnostics));
    }
    let Some(stack) = stack else {
        let message = format!("no {ENVIRONMENTS_DIR}/{STACK_FILE} in {}", root.display());
        let help =
            "create it with the stack's services; each environment file holds only what differs";
        return Ok(Loaded::Invalid(
            sources,
            vec![Diagnostic::error(Code::NoStack, message).help(help)],
        ));
    };
    Ok(Loaded::Specs(Specs {
        sources,
        stack,
        environments,
    }))
}

/// Kubernetes' limit on the data of one ConfigMap, in bytes.
pub const MAX_CONFIG_MAP_BYTES: u64 = 1024 * 1024;

/// The files of ConfigMaps, by ConfigMap and key: each file's text.
pub type ConfigFiles =
    std::collections::BTreeMap<String, std::collections::BTreeMap<String, String>>;

/// Read every file that the enabled ConfigMaps of one environment name (not those
/// marked `existing`), after layering. `root` is the project root (`None` for specs
/// that were not read from a project: every file is then missing). Paths are relative
/// to `environments/`; absolute paths, `..`, `.`, empty parts, backslashes, symbolic
/// links anywhere on the way, folders, non-UTF-8 text and missing files are refused,
/// and so is a ConfigMap whose data (literals and files) is over Kubernetes' 1 MiB.
/// Each refusal points at the spec value naming the file.
pub fn config_files(
    root: Option<&Path>,
    merged: &Node,
    values: &crate::spec::Values,
) -> (ConfigFiles, Vec<Diagnostic>) {
    let mut files = ConfigFiles::new();
    let mut out = Vec::new();
    let dir = root.map(|r| r.join(ENVIRONMENTS_DIR));
    let declared = values
        .config_maps
        .iter()
        .flatten()
        .filter(|(_, c)| c.enabled.unwrap_or(true) && !c.existing.unwrap_or(false));
    for (name, config_map) in declared {
        let at = node::FieldPath::root().key("configMaps").key(name);
        let literals: u64 = config_map
            .data
            .iter()
            .flatten()
            .map(|(_, v)| v.len() as u64)
            .sum();
        let mut total = literals;
        if literals > MAX_CONFIG_MAP_BYTES {
            let path = at.key("data");
            out.push(
                too_large(name, literals)
                    .at(merged.locate(&path).span)
                    .path(path),
            );
            continue;
        }
        let mut read_ok = BTreeMapStr::new();
        for (key, relative) in config_map.files.iter().flatten() {
            let path = at.key("files").key(key);
            let span = merged.locate(&path).span;
            match config_file(dir.as_deref(), relative, MAX_CONFIG_MAP_BYTES - total) {
                Ok(text) => {
                    total += text.len() as u64;
                    read_ok.insert(key.clone(), text);
                }
                Err(Refused::TooLarge(size)) => {
                    out.push(too_large(name, total + size).at(span).path(path));
                    break;
                }
                Err(Refused::Other {
                    message,
                    expected,
                    help,
                }) => {
                    out.push(
                        Diagnostic::error(Code::ConfigFile, message)
                            .at(span)
                            .path(path)
                            .expected(expected)
                            .help(help),
                    );
                }
            }
        }
        if !read_ok.is_empty() {
            files.insert(name.clone(), read_ok);
        }
    }
    (files, out)
}

type BTreeMapStr = std::collections::BTreeMap<String, String>;

fn too_large(name: &str, size: u64) -> Diagnostic {
    Diagnostic::error(
        Code::ConfigMapTooLarge,
        format!("ConfigMap `{name}` holds at least {size} bytes of data, over Kubernetes' limit of {MAX_CONFIG_MAP_BYTES}"),
    )
    .expected("at most 1 MiB (1048576 bytes) of data in one ConfigMap, literals and files together")
    .help("split the data into several ConfigMaps, or keep large files in the image or a volume")
}

/// Why a file a ConfigMap names was not read.
enum Refused {
    /// Its size, over what the ConfigMap still had room for.
    TooLarge(u64),
    Other {
        message: String,
        expected: &'static str,
        help: String,
    },
}

/// The text of the file at `relative` under `environments/` (`dir`), if it is a
/// regular UTF-8 file reached through no symbolic link, of at most `room` bytes.
fn config_file(dir: Option<&Path>, relative: &str, room: u64) -> Result<String, Refused> {
    const EXPECTED: &str =
        "a relative path of plain names under environments/, e.g. `files/gateway/proxies.yaml`";
    let shown = crate::diagnostic::printable(relative);
    let bad_path = |why: &str| {
        Refused::Other {
        message: format!("`{shown}` {why}"),
        expected: EXPECTED,
        help: "paths are relative to environments/; keep the file in a folder there, e.g. `environments/files/gateway/proxies.yaml` named `files/gateway/proxies.yaml`".to_owned(),
    }
    };
    if relative.is_empty() {
        return Err(bad_path("is an empty path"));
    }
    if relative.starts_with('/') {
        return Err(bad_path("is an absolute path"));
    }
    if relative.contains('\\') {
        return Err(bad_path("holds a backslash; separate folders with `/`"));
    }
    let parts: Vec<&str> = relative.split('/').collect();
    if parts.iter().any(|p| p.is_empty()) {
        return Err(bad_path("has an empty part (`//` or a trailing `/`)"));
    }
    if parts.contains(&"..") {
        return Err(bad_path("leaves environments/ with `..`"));
    }
    if parts.contains(&".") {
        return Err(bad_path("has a `.` part; write the path without it"));
    }
    let missing = || Refused::Other {
        message: format!("file `{ENVIRONMENTS_DIR}/{shown}` does not exist"),
        expected: "an existing file under environments/",
        help: "create the file, or fix the path (relative to environments/)".to_owned(),
    };
    let Some(dir) = dir else {
        return Err(missing());
    };
    let mut current = dir.to_path_buf();
    for (index, part) in parts.iter().enumerate() {
        current.push(part);
        let metadata = match std::fs::symlink_metadata(&current) {
            Ok(metadata) => metadata,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Err(missing()),
            Err(error) => {
                return Err(Refused::Other {
                    message: format!("file `{ENVIRONMENTS_DIR}/{shown}` cannot be read: {error}"),
                    expected: "a readable file under environments/",
                    help: "check the file's permissions".to_owned(),
                });
            }
        };
        let walked = parts[..=index].join("/");
        if metadata.file_type().is_symlink() {
            return Err(Refused::Other {
                message: format!("`{ENVIRONMENTS_DIR}/{}` is a symbolic link", crate::diagnostic::printable(&walked)),
                expected: "a regular file reached through folders under environments/, no link on the way",
                help: "a link could make a build read files outside the project; copy the file instead".to_owned(),
            });
        }
        let last = index + 1 == parts.len();
        if last && metadata.is_dir() {
            return Err(Refused::Other {
                message: format!("`{ENVIRONMENTS_DIR}/{shown}` is a folder, not a file"),
                expected: "a file: each key of `files` is one file",
                help: "name each file of the folder under its own key".to_owned(),
            });
        }
        if last && !metadata.is_file() {
            return Err(Refused::Other {
                message: format!("`{ENVIRONMENTS_DIR}/{shown}` is not a regular file"),
                expected: "a regular file under environments/",
                help: "copy the content into a regular file".to_owned(),
            });
        }
        if last && metadata.len() > room {
            return Err(Refused::TooLarge(metadata.len()));
        }
    }
    let read_error = |error: std::io::Error| Refused::Other {
        message: format!("file `{ENVIRONMENTS_DIR}/{shown}` cannot be read: {error}"),
        expected: "a readable file under environments/",
        help: "check the file's permissions".to_owned(),
    };
    let bytes = std::fs::read(&current).map_err(read_error)?;
    if bytes.len() as u64 > room {
        return Err(Refused::TooLarge(bytes.len() as u64));
    }
    String::from_utf8(bytes).map_err(|error| {
        let valid = &error.as_bytes()[..error.utf8_error().valid_up_to()];
        let before = String::from_utf8_lossy(valid);
        let line = before.matches('\n').count() + 1;
        Refused::Other {
            message: format!(
                "file `{ENVIRONMENTS_DIR}/{shown}` is not valid UTF-8 text (line {line})"
            ),
            expected: "UTF-8 text: a ConfigMap's `data` holds text",
            help: "save the file as UTF-8; binary files belong in the image or a volume".to_owned(),
        }
    })
}

/// What a YAML file in `environments/` is, as far as loading goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum SpecFile {
    /// A `.yaml` file: a spec.
    Spec,
    /// A `.yml` file: meant as a spec, but never read.
    OtherExtension,
    /// A symbolic link: it could make a build read files outside the project.
    Link,
    /// A folder named like a spec file.
    Folder,
}

/// `environments/*.yaml` (and `*.yml`, to be refused), sorted by name.
fn spec_files(dir: &Path) -> Result<Vec<(PathBuf, SpecFile)>, Error> {
    let entries = std::fs::read_dir(dir).map_err(|source| Error::io(dir, source))?;
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|source| Error::io(dir, source))?;
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().to_ascii_lowercase();
        // Any spelling of a YAML file is looked at, so that none is silently left out.
        if !(name.ends_with(".yaml") || name.ends_with(".yml")) {
            continue;
        }
        let exact = entry
            .file_name()
            .to_str()
            .is_some_and(|n| n.ends_with(".yaml") && n.len() > ".yaml".len());
        let file_type = entry
            .file_type()
            .map_err(|source| Error::io(&path, source))?;
        let kind = match (file_type.is_symlink(), exact) {
            (true, _) => SpecFile::Link,
            (false, _) if file_type.is_dir() => SpecFile::Folder,
            (false, _) if !file_type.is_file() => continue,
            (false, false) => SpecFile::OtherExtension,
            (false, true) => SpecFile::Spec,
        };
        files.push((path, kind));
    }
    files.sort();
    Ok(files)
}

/// Why a file of `environments/` is not read, if it is not.
fn refused_file(kind: SpecFile, name: &str) -> Option<Diagnostic> {
    match kind {
        SpecFile::Spec => None,
                SpecFile::Folder => Some(
            Diagnostic::error(Code::SpecFileName, format!("`{name}` is a folder, not a spec file"))
                .help("environments/ holds spec files (`NAME.yaml`) only; move the folder elsewhere"),
        ),
                SpecFile::OtherExtension => Some(
            Diagnostic::error(
                Code::SpecFileName,
                match name.rsplit_once('.') {
                    Some(("", _)) => format!("`{name}` names no environment"),
                    _ => format!("`{name}` is not read: spec files end in `.yaml`"),
                },
            )
                                .help(format!(
                    "rename it to `{}.yaml`",
                    crate::hostname::suggest_label(name.rsplit_once('.').map_or(name, |(stem, _)| stem))
                )),
        ),
        SpecFile::Link => Some(
            Diagnostic::error(Code::SpecFileLink, format!("`{name}` is a symbolic link"))
                .expected("a regular file inside environments/")
                .help("a link could make a build read files outside the project; copy the file instead"),
        ),
    }
}

/// Plain (unquoted) scalars in chart values that YAML 1.1 reads differently from YAML
/// 1.2. mcpstack reads specs as YAML 1.2, where `no`, `on` and `0755` are strings; Helm
/// reads values files as YAML 1.1, where they are `false`, `true` and 493. A chart
/// handed the string `"no"` treats it as true, the opposite of what was meant.
fn yaml11_chart_values(document: &Document, sources: &Sources) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let charts = document.root.get("charts").and_then(Node::mapping);
    for (chart, entry) in charts.into_iter().flatten() {
        let Some(values) = entry.node.get("values") else {
            continue;
        };
        let path = node::FieldPath::root()
            .key("charts")
            .key(chart)
            .key("values");
        let mut stack = vec![(values, path)];
        while let Some((node, path)) = stack.pop() {
            match &node.value {
                node::Value::Mapping(map) => {
                    if let Some(entry) = map.get("<<") {
                        out.push(
                            Diagnostic::error(Code::Yaml11Value, "`<<` is a YAML 1.1 merge key, which mcpstack reads as a plain key and Kustomize drops")
                                .at(entry.key_span)
                                .path(path.key("<<"))
                                .expected("the values written out")
                                .help("write the merged values in full; YAML 1.2 has no merge keys"),
                        );
                    }
                    stack.extend(map.iter().map(|(k, e)| (&e.node, path.key(k))));
                }
                node::Value::Sequence(items) => {
                    stack.extend(items.iter().enumerate().map(|(i, n)| (n, path.index(i))));
                }
                // The meaning first: finding the scalar's line to see its quotes walks
                // the file, so it is done only for the few scalars that need it.
                node::Value::String(text) => {
                    if let Some((meaning, fix)) =
                        yaml11_meaning(text).filter(|_| !quoted(node.span, sources))
                    {
                        out.push(
                            Diagnostic::error(
                                Code::Yaml11Value,
                                format!("`{text}` is a string to mcpstack, but Helm reads it as {meaning}"),
                            )
                            .at(node.span)
                            .path(path)
                            .expected("a value that means the same in YAML 1.1 and 1.2")
                            .help(fix),
                        );
                    }
                }
                _ => {}
            }
        }
    }
    out
}

/// Whether the scalar at `span` is written in quotes.
fn quoted(span: Span, sources: &Sources) -> bool {
    sources
        .line(span.file, span.line)
        .and_then(|line| line.chars().nth(span.column.saturating_sub(1) as usize))
        .is_some_and(|c| c == '"' || c == '\'')
}

/// What YAML 1.1 reads a plain scalar as, when that differs from a string, and the fix.
fn yaml11_meaning(text: &str) -> Option<(String, String)> {
    let boolean = match text {
        "y" | "Y" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" => Some(true),
        "n" | "N" | "no" | "No" | "NO" | "off" | "Off" | "OFF" => Some(false),
        _ => None,
    };
    if let Some(value) = boolean {
        return Some((
            format!("the boolean {value}"),
            format!(
                "write `{value}` for the boolean, or quote it (`\"{text}\"`) to keep the string"
            ),
        ));
    }
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    let octal =
        digits.len() > 1 && digits.starts_with('0') && digits.chars().all(|c| c.is_ascii_digit());
    if octal && digits.chars().all(|c| ('0'..='7').contains(&c)) {
        let value = i64::from_str_radix(digits, 8).unwrap_or_default();
        return Some((
            format!("the octal number {value}"),
            format!(
                "write `{value}` for the number, or quote it (`\"{text}\"`) to keep the string"
            ),
        ));
    }
    // Helm's YAML reader (go-yaml) takes Go's number syntax: `0b1010` is a number, and
    // so is `1_000`; base-60 `1:30` it leaves a string, as YAML 1.2 does.
    let binary = digits.strip_prefix("0b").is_some_and(|rest| {
        !rest.is_empty() && rest.chars().all(|c| c == '0' || c == '1' || c == '_')
    });
    let underscored = digits.contains('_')
        && digits.chars().all(|c| c.is_ascii_digit() || c == '_')
        && digits.starts_with(|c: char| c.is_ascii_digit());
    if binary || underscored || octal {
        return Some((
            "a number".to_owned(),
            format!("quote it (`\"{text}\"`) to keep the string, or write the number you mean"),
        ));
    }
    None
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// What a spec file holds, as far as loading cares.
enum Contents {
    Text(String),
    TooLarge(u64),
    /// The text with invalid bytes replaced, and where the first one is.
    NotUtf8 {
        lossy: String,
        line: u32,
        column: u32,
    },
}

/// Read a file, refusing oversized ones before reading them.
fn read(path: &Path) -> Result<Contents, Error> {
    let metadata = std::fs::metadata(path).map_err(|source| Error::io(path, source))?;
    if metadata.len() > MAX_FILE_BYTES {
        return Ok(Contents::TooLarge(metadata.len()));
    }
    let bytes = std::fs::read(path).map_err(|source| Error::io(path, source))?;
    match String::from_utf8(bytes) {
        Ok(text) => Ok(Contents::Text(text)),
        Err(error) => {
            let bytes = error.as_bytes();
            let valid = &bytes[..error.utf8_error().valid_up_to()];
            let before = String::from_utf8_lossy(valid);
            let line = before.matches('\n').count() + 1;
            let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            Ok(Contents::NotUtf8 {
                lossy: String::from_utf8_lossy(bytes).into_owned(),
                line: u32::try_from(line).unwrap_or(u32::MAX),
                column: u32::try_from(column).unwrap_or(u32::MAX),
            })
        }
    }
}

/// A parser position clamped to the text: an error at the very end of a file that
/// ends with a line break is reported at the end of its last line.
fn within(span: Span, text: &str) -> Span {
    let lines: Vec<&str> = crate::source::lines(text).collect();
    let count = u32::try_from(lines.len().max(1)).unwrap_or(u32::MAX);
    if span.line <= count {
        return span;
    }
    let last = lines.last().map_or(0, |l| l.chars().count());
    Span {
        line: count,
        column: u32::try_from(last + 1).unwrap_or(u32::MAX),
        ..span
    }
}

fn start(file: FileId) -> Span {
    Span {
        file,
        line: 1,
        column: 1,
    }
}

/// Parse YAML text into a tree. YAML 1.1 spellings (`on`, `no`, `0755`, `1_000`) stay
/// strings, duplicate keys are errors, and aliases are budgeted against alias bombs.
pub fn parse(file: FileId, text: &str) -> Result<Node, Diagnostic> {
    let options = serde_saphyr::options! {
        strict_booleans: true,
        leading_zero_numbers_as_strings: true,
        underscored_numbers_as_strings: true,
        duplicate_keys: serde_saphyr::DuplicateKeyPolicy::Error,
        with_snippet: false,
        budget: Some(budget(text.len())),
    };
    let body = text.strip_prefix('\u{feff}').unwrap_or(text);
    if body
        .trim()
        .lines()
        .all(|line| line.trim().is_empty() || line.trim_start().starts_with('#'))
    {
        let message = "spec file has no content";
        let help =
            "an environment file needs at least `tier:`; delete the file to remove the environment";
        return Err(Diagnostic::error(Code::EmptyFile, message)
            .at(start(file))
            .help(help));
    }
    match serde_saphyr::from_str_with_options::<serde_saphyr::Spanned<RawValue>>(body, options) {
        Ok(raw) => Ok(node::from_raw(file, raw)),
        Err(error) => {
            let span = error
                .location()
                .map(|l| Span {
                    file,
                    line: u32::try_from(l.line()).unwrap_or(1).max(1),
                    column: u32::try_from(l.column()).unwrap_or(1).max(1),
                })
                .unwrap_or_else(|| start(file));
            Err(syntax_error(&error.to_string()).at(within(span, body)))
        }
    }
}

/// The parser's budget for a text of `bytes` bytes: the parser's own defaults (250,000
/// nodes, 1,000,000 events) up to 1 MB, and for larger files one node per four bytes and
/// one event per byte. Written-out YAML takes about ten bytes per node (a stack of
/// 10,000 services is 6.8 MB and 640,000 nodes), while an alias bomb is a few lines that
/// expand without end: it stays bounded by the text it fits in.
fn budget(bytes: usize) -> serde_saphyr::Budget {
    let mut budget = serde_saphyr::Budget::default();
    budget.max_nodes = budget.max_nodes.max(bytes / 4);
    budget.max_events = budget.max_events.max(bytes);
    budget
}

/// A parser error as a diagnostic, in our words: no position (the `-->` line has it)
/// and no advice about parser options.
fn syntax_error(message: &str) -> Diagnostic {
    let message = message.lines().next().unwrap_or(message);
    let message = match message.rfind(" at line ") {
        Some(at) => &message[..at],
        None => message,
    };
    if let Some(rest) = message.strip_prefix("duplicate mapping key: ") {
        let key = rest.split(',').next().unwrap_or(rest).trim();
        return Diagnostic::error(
            Code::DuplicateKey,
            format!("key `{key}` appears twice in one mapping"),
        )
        .help("keep one of the two entries; YAML does not merge repeated keys");
    }
    if message.starts_with("budget breached: Depth")
        || message.starts_with("recursion limit exceeded")
    {
        return Diagnostic::error(
            Code::YamlTooDeep,
            "the document nests deeper than a spec can",
        )
        .help("a spec nests a few levels; check for unbalanced `[` or `{`");
    }
    if message.starts_with("budget breached") {
        return Diagnostic::error(
            Code::YamlTooLarge,
            "the document expands to too many nodes (an alias bomb?)",
        )
        .help("a spec file needs no deeply repeated aliases; write the values out");
    }
    if message.starts_with("multiple YAML documents") {
        return Diagnostic::error(
            Code::YamlDocuments,
            "a spec file holds one YAML document; this `---` starts a second",
        )
        .help("split the documents into files of their own, or remove the `---`");
    }
    Diagnostic::error(Code::YamlSyntax, format!("invalid YAML: {message}"))
        .help("check the indentation and the `key: value` structure around this line")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::node::Value;

    fn parsed(text: &str) -> Node {
        parse(FileId(0), text).expect("valid YAML")
    }

    #[test]
    fn records_positions_of_values_and_keys() {
        let root = parsed("a:\n  b: 1\n  c: [x, y]\n");
        let b = root.get("a").and_then(|a| a.get("b")).expect("a.b");
        assert_eq!((b.span.line, b.span.column), (2, 6));
        let a = root.mapping().and_then(|m| m.get("a")).expect("a");
        assert_eq!((a.key_span.line, a.key_span.column), (1, 1));
    }

    #[test]
    fn yaml_11_spellings_stay_strings() {
        let root = parsed("a: on\nb: no\nc: 0755\nd: true\n");
        assert_eq!(
            root.get("a").map(|n| &n.value),
            Some(&Value::String("on".into()))
        );
        assert_eq!(
            root.get("b").map(|n| &n.value),
            Some(&Value::String("no".into()))
        );
        assert_eq!(
            root.get("c").map(|n| &n.value),
            Some(&Value::String("0755".into()))
        );
        assert_eq!(root.get("d").map(|n| &n.value), Some(&Value::Bool(true)));
    }

    #[test]
    fn duplicate_keys_are_errors() {
        let error = parse(FileId(0), "a: 1\na: 2\n").expect_err("duplicate");
        assert_eq!(error.code, Code::DuplicateKey);
        assert_eq!(error.message, "key `a` appears twice in one mapping");
        assert_eq!(error.span.map(|s| s.line), Some(2));
    }

    #[test]
    fn hostile_documents_get_clear_errors() {
        let mut bomb = vec!["a0: &a0 [x, x, x, x, x, x, x, x, x, x]".to_owned()];
        for i in 1..=10 {
            bomb.push(format!(
                "a{i}: &a{i} [{}]",
                vec![format!("*a{}", i - 1); 10].join(", ")
            ));
        }
        let error = parse(FileId(0), &bomb.join("\n")).expect_err("bomb");
        assert_eq!(error.code, Code::YamlTooLarge);
        let deep = format!("x: {}{}", "[".repeat(10_000), "]".repeat(10_000));
        assert_eq!(
            parse(FileId(0), &deep).expect_err("deep").code,
            Code::YamlTooDeep
        );
        let mut nested = String::from("a:\n");
        for level in 1..=70 {
            nested.push_str(&format!("{}b{level}:\n", "  ".repeat(level)));
        }
        nested.push_str(&format!("{}x: 1\n", "  ".repeat(71)));
        // The parser recurses per level: give it the main thread's stack, as the binary
        // does, rather than a test thread's 2 MiB.
        let code = std::thread::Builder::new()
            .stack_size(8 << 20)
            .spawn(move || parse(FileId(0), &nested).expect_err("nested").code)
            .expect("spawn")
            .join()
            .expect("no panic");
        assert_eq!(code, Code::YamlTooDeep);
        assert_eq!(
            parse(FileId(0), "a: 1\n---\nb: 2\n").expect_err("two").code,
            Code::YamlDocuments
        );
        assert_eq!(
            parse(FileId(0), "a:\n\tb: 1\n").expect_err("tab").code,
            Code::YamlSyntax
        );
    }

    #[test]
    fn large_written_out_files_parse_and_padded_bombs_do_not() {
        // 40,000 services of eight nodes each: more than the parser's default budget of
        // 250,000 nodes, in a file of about 2 MB.
        let mut large = String::from("services:\n");
        for i in 0..40_000 {
            large.push_str(&format!(
                "  svc-{i:05}:\n    image: {{tag: \"1.{i}\"}}\n    replicas: 2\n"
            ));
        }
        assert!(large.len() > 1_000_000);
        let parsed = parse(FileId(0), &large).expect("a large written-out file parses");
        assert_eq!(
            parsed
                .mapping()
                .and_then(|m| m.get("services"))
                .map(|e| match &e.node.value {
                    Value::Mapping(services) => services.len(),
                    _ => 0,
                }),
            Some(40_000)
        );
        // The same bomb as above, padded with 2 MB of comments to raise its budget.
        let mut bomb = vec!["a0: &a0 [x, x, x, x, x, x, x, x, x, x]".to_owned()];
        for i in 1..=10 {
            bomb.push(format!(
                "a{i}: &a{i} [{}]",
                vec![format!("*a{}", i - 1); 10].join(", ")
            ));
        }
        let padded = format!("{}\n{}", "# padding\n".repeat(200_000), bomb.join("\n"));
        assert_eq!(
            parse(FileId(0), &padded).expect_err("bomb").code,
            Code::YamlTooLarge
        );
    }

    #[test]
    fn errors_point_inside_the_file() {
        // What the fuzzer found: an error at the end of the input, and lone carriage
        // returns as line breaks.
        for text in ["r: '\n", "\r\0", "a: 1\r\rb: [\n"] {
            let error = parse(FileId(0), text).expect_err("invalid");
            let span = error.span.expect("placed");
            let lines = crate::source::lines(text).count().max(1);
            assert!(
                span.line as usize <= lines,
                "{text:?}: line {} of {lines}",
                span.line
            );
        }
    }

    #[test]
    fn empty_files_are_errors() {
        assert_eq!(
            parse(FileId(0), "# only a comment\n")
                .expect_err("empty")
                .code,
            Code::EmptyFile
        );
    }
}

#[cfg(test)]
mod yaml11_tests {
    use super::*;

    /// Line and field of every YAML 1.1 finding in chart values, sorted.
    fn findings(values: &str) -> Vec<(u32, String)> {
        let text = format!("charts:\n  redis:\n    values:\n{values}");
        let mut sources = Sources::default();
        let file = sources.add("environments/stack.yaml".into(), text.clone());
        let document = Document {
            file,
            root: parse(file, &text).expect("parses"),
        };
        let mut found: Vec<(u32, String)> = yaml11_chart_values(&document, &sources)
            .into_iter()
            .map(|d| {
                (
                    d.span.expect("placed").line,
                    d.path.expect("field").to_string(),
                )
            })
            .collect();
        found.sort();
        found
    }

    #[test]
    fn chart_values_that_helm_reads_otherwise_are_refused_unless_quoted() {
        let values = "      a: no\n      b: \"no\"\n      c: 'on'\n      d: [off, y]\n      e: 0755\n      f: '0755'\n      g: 1_000\n      h: 1:30\n      i: false\n";
        let field = |name: &str| format!("charts.redis.values.{name}");
        assert_eq!(
            findings(values),
            [
                (4, field("a")),
                (7, field("d[0]")),
                (7, field("d[1]")),
                (8, field("e")),
                (10, field("g")),
            ]
        );
    }
}
