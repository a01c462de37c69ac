//! `mcpstack pin`: set an image's digest in an environment file by editing its text at
//! the place the YAML tree's positions name, so every comment, blank line, key order and
//! quoting style of the rest of the file stays; then validate the whole project with the
//! edited text in memory and write the file (atomically) only if it passes. The editing
//! steps (edit, validate in memory, write) are shared with `review`.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::Error;
use crate::command::exit;
use crate::compile;
use crate::diagnostic::{Code, Diagnostic, NoteLevel, Reporting, Severity, Summary, did_you_mean};
use crate::image::{self, ImageRef};
use crate::load::{self, Document, Loaded, Specs};
use crate::lower::{self, Scope};
use crate::merge;
use crate::node::{FieldPath, Node, Value};
use crate::registry;
use crate::source::{self, FileId, Sources, Span};
use crate::spec::Values;

/// What `pin` was asked to do, as given on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// Environment name: a file name in `environments/` without `.yaml`.
    pub environment: String,
    /// `NAME=DIGEST` arguments, or the pair `NAME DIGEST`; with `resolve`, names.
    pub args: Vec<String>,
    /// Ask each image's registry for the digest of the tag the environment runs.
    pub resolve: bool,
    /// With `resolve`: every image of the environment that has no digest.
    pub all: bool,
}

/// The images a [`Request`] names, and where their digests come from.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Wanted {
    /// `(NAME, DIGEST)` pairs given on the command line.
    Given(Vec<(String, String)>),
    /// Names whose digests the registry gives.
    Resolve(Vec<String>),
    /// Every image of the environment without a digest, from the registry.
    All,
}

impl Request {
    /// What the arguments ask for, and whether stdout shows the bare digest (one image
    /// named without `=`, as in `pin ENV NAME DIGEST`) rather than `NAME=DIGEST` lines.
    fn wanted(&self) -> Result<(Wanted, bool), Vec<Diagnostic>> {
        let args = &self.args;
        if self.resolve {
            if self.all {
                return match args.is_empty() {
                    true => Ok((Wanted::All, false)),
                    false => Err(vec![argument_error(
                        "`--all` pins every unpinned image; name no images with it",
                        "`pin --resolve ENV --all` or `pin --resolve ENV NAME...`",
                    )]),
                };
            }
            let problems: Vec<Diagnostic> = args
                .iter()
                .filter(|arg| arg.contains('='))
                .map(|arg| {
                    argument_error(
                        format!("`{arg}` gives a digest, but --resolve asks the registry for it"),
                        "image names only with --resolve, e.g. `pin --resolve ENV gateway`",
                    )
                })
                .collect();
            return match problems.is_empty() {
                true => Ok((Wanted::Resolve(args.clone()), args.len() == 1)),
                false => Err(problems),
            };
        }
        if let [name, digest] = args.as_slice()
            && !name.contains('=')
            && !digest.contains('=')
        {
            return Ok((Wanted::Given(vec![(name.clone(), digest.clone())]), true));
        }
        let mut pairs = Vec::new();
        let mut problems = Vec::new();
        for arg in args {
            match arg.split_once('=') {
                Some((name, digest)) => pairs.push((name.to_owned(), digest.to_owned())),
                None => problems.push(
                    argument_error(
                        format!("`{arg}` is not NAME=DIGEST"),
                        "`NAME=sha256:<64 hex digits>` for each image, or `NAME DIGEST` for one",
                    )
                    .help("give the digest after `=`, or ask the registry with `--resolve`"),
                ),
            }
        }
        match problems.is_empty() {
            true => Ok((Wanted::Given(pairs), false)),
            false => Err(problems),
        }
    }
}

fn argument_error(message: impl Into<String>, expected: &str) -> Diagnostic {
    Diagnostic::error(Code::InvalidArgument, message).expected(expected)
}

/// Something whose image `pin` can set a digest on. Today a service of the stack; chart
/// images would be one more variant here, with its own field path and image reference,
/// and one more source of candidates in [`targets`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Service(String),
    /// An image of a chart, named `CHART/IMAGE` (the image as the chart renders it).
    ChartImage {
        chart: String,
        image: String,
    },
}

impl Target {
    /// The field path of the digest in a spec file, as keys.
    pub fn digest_keys(&self) -> Vec<String> {
        match self {
            Target::Service(name) => ["services", name, "image", "digest"]
                .map(str::to_owned)
                .to_vec(),
            Target::ChartImage { chart, image } => ["charts", chart, "images", image, "digest"]
                .map(str::to_owned)
                .to_vec(),
        }
    }

    /// The field path of the image's tag, for diagnostics about it.
    fn tag_path(&self) -> FieldPath {
        match self {
            Target::Service(name) => service_image(name).key("tag"),
            Target::ChartImage { chart, image } => FieldPath::root()
                .key("charts")
                .key(chart)
                .key("images")
                .key(image)
                .key("tag"),
        }
    }

    fn describe(&self) -> String {
        match self {
            Target::Service(name) => format!("service `{name}`"),
            Target::ChartImage { chart, image } => format!("image `{image}` of chart `{chart}`"),
        }
    }
}

fn service_image(name: &str) -> FieldPath {
    FieldPath::root().key("services").key(name).key("image")
}

fn path_of(keys: &[String]) -> FieldPath {
    keys.iter()
        .fold(FieldPath::root(), |path, key| path.key(key))
}

/// Every target the stack file defines, by the name `pin` takes.
pub fn targets(stack: &Node) -> BTreeMap<String, Target> {
    stack
        .get("services")
        .and_then(Node::mapping)
        .into_iter()
        .flatten()
        .map(|(name, _)| (name.clone(), Target::Service(name.clone())))
        .collect()
}

/// The target named `name`, or a diagnostic listing the candidates.
pub fn find_target(stack: &Node, name: &str) -> Result<Target, Diagnostic> {
    let targets = targets(stack);
    if let Some(target) = targets.get(name) {
        return Ok(target.clone());
    }
    // `CHART/IMAGE`: any image of a chart the stack defines (a chart's images are
    // often listed only in the environments that pin them).
    if let Some((chart, image)) = name.split_once('/')
        && !image.is_empty()
        && stack.get("charts").and_then(|c| c.get(chart)).is_some()
    {
        return Ok(Target::ChartImage {
            chart: chart.to_owned(),
            image: image.to_owned(),
        });
    }
    if let Some((chart, _)) = name.split_once('/') {
        let charts: Vec<&str> = stack
            .get("charts")
            .and_then(Node::mapping)
            .into_iter()
            .flatten()
            .map(|(n, _)| n.as_str())
            .collect();
        let mut diagnostic = Diagnostic::error(
            Code::UnknownChart,
            format!("chart `{chart}` is not defined in the stack file"),
        )
        .expected(one_of(
            charts.iter().copied(),
            "a chart defined in environments/stack.yaml",
        ));
        if let Some(near) = did_you_mean(chart, charts.iter().copied()) {
            diagnostic = diagnostic.help(format!("did you mean `{near}/…`?"));
        }
        return Err(diagnostic);
    }
    let mut diagnostic = Diagnostic::error(
        Code::UnknownService,
        format!("service `{name}` is not defined in the stack file"),
    )
    .expected(one_of(
        targets.keys().map(String::as_str),
        "a service defined in environments/stack.yaml",
    ));
    diagnostic = match did_you_mean(name, targets.keys().map(String::as_str)) {
        Some(near) => diagnostic.help(format!("did you mean `{near}`?")),
        None => diagnostic.help("pin a service defined in environments/stack.yaml"),
    };
    Err(diagnostic)
}

/// "one of `a`, `b`" for `expected:` lines; `none` when there is no name.
pub(crate) fn one_of<'a>(names: impl Iterator<Item = &'a str>, none: &str) -> String {
    let names: Vec<String> = names.map(|n| format!("`{n}`")).collect();
    match names.is_empty() {
        true => none.to_owned(),
        false => format!("one of {}", names.join(", ")),
    }
}

/// The environment named `name`, or a diagnostic with a did-you-mean.
fn find_environment<'a>(specs: &'a Specs, name: &str) -> Result<&'a Document, Diagnostic> {
    if let Some((_, document)) = specs.environments.iter().find(|(n, _)| n == name) {
        return Ok(document);
    }
    let names = specs.environments.iter().map(|(n, _)| n.as_str());
    let mut diagnostic =
        Diagnostic::error(Code::UnknownEnvironment, format!("no environment `{name}`")).expected(
            one_of(names.clone(), "an environment file in environments/"),
        );
    if let Some(near) = did_you_mean(name, names) {
        diagnostic = diagnostic.help(format!("did you mean `{near}`?"));
    }
    Err(diagnostic)
}

/// The diagnostic of a malformed digest given on the command line.
pub(crate) fn digest_problem(digest: &str) -> Option<Diagnostic> {
    if image::is_digest(digest) {
        return None;
    }
    Some(
        Diagnostic::error(
            Code::InvalidDigest,
            format!("`{digest}` is not an image digest"),
        )
        .expected("`sha256:` followed by 64 lowercase hex digits")
        .help("copy the digest from your registry, or use `mcpstack pin --resolve ENV NAME`"),
    )
}

/// Run `pin`: the exit code and what goes to stdout (the digests set).
pub fn run(
    root: &Path,
    request: &Request,
    settings: &registry::Settings,
    reporting: &Reporting,
    err: &mut dyn Write,
) -> Result<(u8, String), Error> {
    let project = match Project::load(root, &request.environment)? {
        Ok(project) => project,
        Err((sources, diagnostics)) => return Ok(refuse(&sources, &diagnostics, reporting, err)),
    };
    let specs = &project.specs;
    let (wanted, bare) = match request.wanted() {
        Ok(wanted) => wanted,
        Err(problems) => return Ok(refuse(&specs.sources, &problems, reporting, err)),
    };
    let document = match find_environment(specs, &request.environment) {
        Ok(document) => document,
        Err(problem) => return Ok(refuse(&specs.sources, &[problem], reporting, err)),
    };
    let chosen = match choose(specs, document, &wanted) {
        Ok(chosen) => chosen,
        Err(problems) => return Ok(refuse(&specs.sources, &problems, reporting, err)),
    };
    if chosen.is_empty() {
        let text = format!(
            "every image of `{}` is pinned; nothing to do",
            request.environment
        );
        reporting.summary(err, &Summary::new(exit::OK, text).field("pinned", 0));
        return Ok((exit::OK, String::new()));
    }
    let mut pins = Vec::new();
    for (name, target, digest) in chosen {
        let digest = match digest {
            Some(digest) => digest,
            None => match resolve(specs, document, &target, settings, reporting, err) {
                Ok(digest) => digest,
                Err(code) => return Ok((code, String::new())),
            },
        };
        pins.push(Pin {
            name,
            target,
            digest,
        });
    }
    let code = apply(
        root,
        &project,
        &request.environment,
        document,
        &pins,
        reporting,
        err,
    )?;
    let out = match (code, bare) {
        (exit::OK, true) => pins.iter().map(|p| format!("{}\n", p.digest)).collect(),
        (exit::OK, false) => pins
            .iter()
            .map(|p| format!("{}={}\n", p.name, p.digest))
            .collect(),
        _ => String::new(),
    };
    Ok((code, out))
}

/// One digest to write: the image by the name it was given, where it goes, the digest.
struct Pin {
    name: String,
    target: Target,
    digest: String,
}

/// An image to pin, with its digest when it was given.
type Chosen = (String, Target, Option<String>);

/// The images to pin, each with its digest when given; every problem with them.
fn choose(
    specs: &Specs,
    document: &Document,
    wanted: &Wanted,
) -> Result<Vec<Chosen>, Vec<Diagnostic>> {
    let named: Vec<(String, Option<String>)> = match wanted {
        Wanted::Given(pairs) => pairs
            .iter()
            .map(|(name, digest)| (name.trim().to_owned(), Some(digest.trim().to_owned())))
            .collect(),
        Wanted::Resolve(names) => names.iter().map(|n| (n.trim().to_owned(), None)).collect(),
        Wanted::All => {
            let merged = merge::layer(&specs.stack.root, &document.root);
            let Some(unpinned) = unpinned(&merged) else {
                let what = "cannot tell the images of the environment";
                return Err(environment_errors(specs, document, what));
            };
            return Ok(unpinned
                .into_iter()
                .map(|(name, target)| (name, target, None))
                .collect());
        }
    };
    let mut chosen: Vec<Chosen> = Vec::new();
    let mut problems = Vec::new();
    for (name, digest) in named {
        let target = find_target(&specs.stack.root, &name);
        let digest_problem = digest.as_deref().and_then(digest_problem);
        match (target, digest_problem) {
            (Ok(target), None) if chosen.iter().any(|(_, t, _)| *t == target) => problems.push(
                argument_error(format!("`{name}` is named twice"), "each image once")
                    .help("give one digest per image"),
            ),
            (Ok(target), None) => chosen.push((name, target, digest)),
            (target, digest_problem) => {
                problems.extend(target.err());
                problems.extend(digest_problem);
            }
        }
    }
    match problems.is_empty() {
        true => Ok(chosen),
        false => Err(problems),
    }
}

/// The images an environment runs without a digest, by the name `pin` takes: enabled
/// services, then the images enabled charts list, in the order of the layered spec.
/// `None` when the layered spec does not fit the types.
fn unpinned(merged: &Node) -> Option<Vec<(String, Target)>> {
    let values = serde_json::from_value::<Values>(merged.to_json()).ok()?;
    let mut out = Vec::new();
    for (name, service) in values.services.iter().flatten() {
        let digest = service.image.as_ref().and_then(|i| i.digest.as_ref());
        if service.enabled.unwrap_or(true) && digest.is_none() {
            out.push((name.clone(), Target::Service(name.clone())));
        }
    }
    for (chart, spec) in values.charts.iter().flatten() {
        if !spec.enabled.unwrap_or(true) {
            continue;
        }
        for (image, pin) in spec.images.iter().flatten() {
            if pin.digest.is_none() {
                let target = Target::ChartImage {
                    chart: chart.clone(),
                    image: image.clone(),
                };
                out.push((format!("{chart}/{image}"), target));
            }
        }
    }
    Some(out)
}

/// Why an environment's layered spec cannot be read: the errors of the environment
/// alone with the stack, or `what` when it has none.
fn environment_errors(specs: &Specs, document: &Document, what: &str) -> Vec<Diagnostic> {
    let name = specs
        .environments
        .iter()
        .find(|(_, d)| d.file == document.file)
        .map_or("", |(name, _)| name.as_str());
    let mut errors: Vec<Diagnostic> = match compile::compile_specs(alone(specs, name)) {
        Err(invalid) => invalid
            .diagnostics
            .into_iter()
            .filter(Diagnostic::is_error)
            .collect(),
        Ok(_) => Vec::new(),
    };
    if errors.is_empty() {
        errors.push(Diagnostic::error(Code::MissingImage, what));
    }
    errors
}

/// The project as `pin` needs it: every spec file that parses, and how many errors
/// loading found in the others (and in YAML 1.1 chart values). Errors elsewhere do not
/// block a pin; a stack or environment file that does not parse does.
struct Project {
    specs: Specs,
    load_errors: usize,
}

impl Project {
    fn load(
        root: &Path,
        environment: &str,
    ) -> Result<Result<Self, (Sources, Vec<Diagnostic>)>, Error> {
        let (sources, diagnostics) = match load::load(root)? {
            Loaded::Specs(specs) => {
                return Ok(Ok(Self {
                    specs,
                    load_errors: 0,
                }));
            }
            Loaded::Invalid(sources, diagnostics) => (sources, diagnostics),
        };
        // Files that did not parse (or were refused); YAML 1.1 values do not stop one.
        let broken: Vec<FileId> = diagnostics
            .iter()
            .filter(|d| d.code != Code::Yaml11Value)
            .filter_map(|d| d.span.map(|s| s.file))
            .collect();
        let stack_path = format!("{}/{}", load::ENVIRONMENTS_DIR, load::STACK_FILE);
        let own_path = format!("{}/{environment}.yaml", load::ENVIRONMENTS_DIR);
        let mut stack = None;
        let mut environments = Vec::new();
        let mut blocked = diagnostics.iter().any(|d| d.span.is_none());
        for (index, path) in sources.paths().enumerate() {
            let file = FileId(index);
            if broken.contains(&file) {
                blocked |= path == stack_path || path == own_path;
                continue;
            }
            let Some(name) = path
                .strip_prefix(load::ENVIRONMENTS_DIR)
                .and_then(|p| p.strip_prefix('/'))
                .and_then(|p| p.strip_suffix(".yaml"))
            else {
                continue;
            };
            let Ok(root) = load::parse(file, &sources.file(file).text) else {
                blocked |= path == stack_path || path == own_path;
                continue;
            };
            let document = Document { file, root };
            match path == stack_path {
                true => stack = Some(document),
                false => environments.push((name.to_owned(), document)),
            }
        }
        let Some(stack) = stack.filter(|_| !blocked) else {
            return Ok(Err((sources, diagnostics)));
        };
        environments.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(Ok(Self {
            load_errors: diagnostics.iter().filter(|d| d.is_error()).count(),
            specs: Specs {
                sources,
                stack,
                environments,
            },
        }))
    }
}

/// Edit, check the edit, write.
fn apply(
    root: &Path,
    project: &Project,
    environment: &str,
    document: &Document,
    pins: &[Pin],
    reporting: &Reporting,
    err: &mut dyn Write,
) -> Result<u8, Error> {
    let specs = &project.specs;
    let file = specs.sources.file(document.file);
    let mut edited = file.text.clone();
    for pin in pins {
        edited = match set_scalar(
            document.file,
            &edited,
            &pin.target.digest_keys(),
            &pin.digest,
        ) {
            Ok(text) => text,
            Err(diagnostic) => {
                let shown = onto_disk(
                    vec![diagnostic],
                    document.file,
                    &edited,
                    document.file,
                    &file.text,
                );
                return Ok(refuse(&specs.sources, &shown, reporting, err).0);
            }
        };
    }
    let what = match pins {
        [pin] => pin.target.describe(),
        _ => format!("{} images", pins.len()),
    };
    if edited == file.text {
        let text = format!(
            "{what} in `{environment}` already pinned to the digest(s) given; {} unchanged",
            file.path
        );
        let summary = Summary::new(exit::OK, text)
            .field("pinned", 0)
            .field("unchanged", pins.len());
        reporting.summary(err, &summary);
        return Ok(exit::OK);
    }
    let checked = match check_edit(project, environment, document.file, edited.clone()) {
        Ok(checked) => checked,
        Err(problems) => {
            let shown = onto_disk(problems, document.file, &edited, document.file, &file.text);
            return Ok(refuse(&specs.sources, &shown, reporting, err).0);
        }
    };
    write_spec(
        &environment_path(root, environment),
        &edited,
        WriteMode::Replace,
    )?;
    // Shown once written: the lines they quote are on disk.
    reporting.emit(&checked.sources, &checked.warnings, err);
    if checked.other_errors > 0 {
        let written = match pins.len() {
            1 => "the pin was written",
            _ => "the pins were written",
        };
        let warning = Diagnostic::warning(
            Code::ProjectErrors,
            format!(
                "the project has {} other error(s); {written}",
                checked.other_errors
            ),
        )
        .help(
            "run `mcpstack validate` to see them; `build` refuses the project until they are fixed",
        );
        reporting.emit(&checked.sources, &[warning], err);
    }
    let text = format!(
        "pinned {what} in `{environment}` ({}); run `mcpstack build` to regenerate",
        file.path
    );
    let summary = Summary::new(exit::OK, text)
        .field("pinned", pins.len())
        .field("other_errors", checked.other_errors);
    reporting.summary(err, &summary);
    Ok(exit::OK)
}

/// An edit that is correct: the warnings about the edited file, and how many errors the
/// project has that the edit did not cause.
struct Checked {
    sources: Sources,
    warnings: Vec<Diagnostic>,
    other_errors: usize,
}

/// Check an environment file's edited text. The edit is refused (`Err`, with the errors
/// it causes) only for errors that appear with it and not without it, in the edited
/// file; checked both in the whole project and in the environment alone with the
/// stack, since an error elsewhere may stop the whole project's check before it reaches
/// the environment's rules. Other errors are counted, not shown.
fn check_edit(
    project: &Project,
    environment: &str,
    file: FileId,
    edited: String,
) -> Result<Checked, Vec<Diagnostic>> {
    let candidate =
        with_environment(&project.specs, environment, edited).map_err(|(_, d)| vec![d])?;
    let own = |d: &Diagnostic| d.span.is_some_and(|s| s.file == file);
    let whole = compile::compile_specs(candidate.clone());
    let (after, warnings): (Vec<Diagnostic>, Vec<Diagnostic>) = match whole {
        Ok(compiled) => {
            return Ok(Checked {
                sources: candidate.sources,
                warnings: compiled.warnings.into_iter().filter(own).collect(),
                other_errors: project.load_errors,
            });
        }
        Err(invalid) => {
            let alone_after = compile::compile_specs(alone(&candidate, environment));
            let alone_before = compile::compile_specs(alone(&project.specs, environment));
            let before = compile::compile_specs(project.specs.clone());
            let mut caused = introduced(&invalid.diagnostics, &before);
            let mut after = invalid.diagnostics.clone();
            let alone_after = match alone_after {
                Ok(compiled) => compiled.warnings,
                Err(invalid) => invalid.diagnostics,
            };
            caused.extend(introduced(&alone_after, &alone_before));
            after.extend(alone_after.iter().cloned());
            caused.retain(|d| d.span.is_none_or(|s| s.file == file));
            if !caused.is_empty() {
                return Err(distinct(caused));
            }
            let warnings = alone_after
                .into_iter()
                .filter(|d| !d.is_error() && own(d))
                .collect();
            (after, warnings)
        }
    };
    let errors = distinct(after.into_iter().filter(Diagnostic::is_error).collect());
    Ok(Checked {
        sources: candidate.sources,
        warnings,
        other_errors: errors.len() + project.load_errors,
    })
}

/// The stack with one environment: the rules of that environment alone.
fn alone(specs: &Specs, environment: &str) -> Specs {
    Specs {
        sources: specs.sources.clone(),
        stack: specs.stack.clone(),
        environments: specs
            .environments
            .iter()
            .filter(|(name, _)| name == environment)
            .cloned()
            .collect(),
    }
}

/// What identifies a diagnostic across two versions of a file: everything but its
/// position, which an edit moves.
fn identity(
    d: &Diagnostic,
) -> (
    Severity,
    Code,
    Option<FileId>,
    String,
    String,
    Option<String>,
) {
    let path = d.path.as_ref().map(ToString::to_string).unwrap_or_default();
    (
        d.severity,
        d.code,
        d.span.map(|s| s.file),
        path,
        d.message.clone(),
        d.expected.clone(),
    )
}

/// The errors of `after` that `before` does not have.
fn introduced(
    after: &[Diagnostic],
    before: &Result<compile::Compiled, compile::Invalid>,
) -> Vec<Diagnostic> {
    let known: BTreeSet<_> = match before {
        Ok(_) => BTreeSet::new(),
        Err(invalid) => invalid.diagnostics.iter().map(identity).collect(),
    };
    after
        .iter()
        .filter(|d| d.is_error() && !known.contains(&identity(d)))
        .cloned()
        .collect()
}

/// `diagnostics` without repeats, in order.
fn distinct(diagnostics: Vec<Diagnostic>) -> Vec<Diagnostic> {
    let mut seen = BTreeSet::new();
    diagnostics
        .into_iter()
        .filter(|d| seen.insert(identity(d)))
        .collect()
}

/// Diagnostics about `edited`, the text of file `from` that is not on disk, moved to
/// the lines of `disk`, the text of file `to` it was made from, so that no diagnostic
/// quotes a line that is not on disk: a line kept from `disk` is shown where it is
/// there; an added or changed line as the line of `disk` it replaced or follows.
pub(crate) fn onto_disk(
    diagnostics: Vec<Diagnostic>,
    from: FileId,
    edited: &str,
    to: FileId,
    disk: &str,
) -> Vec<Diagnostic> {
    let old: Vec<&str> = source::lines(disk).collect();
    let new: Vec<&str> = source::lines(edited).collect();
    let ops = similar::capture_diff_slices(similar::Algorithm::Myers, &old, &new);
    let map = |line: u32, column: u32| -> (u32, u32) {
        let index = usize::try_from(line.saturating_sub(1)).unwrap_or(usize::MAX);
        let found = ops
            .iter()
            .map(similar::DiffOp::as_tag_tuple)
            .find(|(_, _, n)| n.contains(&index));
        let (old_index, kept) = match found {
            Some((similar::DiffTag::Equal, o, n)) => (o.start + (index - n.start), true),
            Some((similar::DiffTag::Replace, o, n)) => (
                o.start + (index - n.start).min(o.len().saturating_sub(1)),
                false,
            ),
            Some((_, o, _)) => (o.start.saturating_sub(1), false),
            None => (old.len().saturating_sub(1), false),
        };
        let text = old.get(old_index).copied().unwrap_or_default();
        let column = match kept {
            true => column,
            false => {
                let width = text.chars().count() + 1;
                let indent = text.chars().take_while(|c| *c == ' ').count() + 1;
                if usize::try_from(column).unwrap_or(usize::MAX) > width {
                    u32::try_from(indent).unwrap_or(1)
                } else {
                    column
                }
            }
        };
        (u32::try_from(old_index + 1).unwrap_or(u32::MAX), column)
    };
    diagnostics
        .into_iter()
        .map(|mut d| {
            if let Some(span) = d.span.as_mut().filter(|s| s.file == from) {
                let (line, column) = map(span.line, span.column);
                *span = Span {
                    file: to,
                    line,
                    column,
                };
            }
            d
        })
        .collect()
}

/// Load the project, reporting why it cannot be loaded.
pub(crate) fn loaded(
    root: &Path,
    reporting: &Reporting,
    err: &mut dyn Write,
) -> Result<Option<Specs>, Error> {
    match load::load(root)? {
        Loaded::Specs(specs) => Ok(Some(specs)),
        Loaded::Invalid(sources, diagnostics) => {
            refuse(&sources, &diagnostics, reporting, err);
            Ok(None)
        }
    }
}

/// Report errors and the promise that nothing changed: exit code 2.
pub(crate) fn refuse(
    sources: &Sources,
    diagnostics: &[Diagnostic],
    reporting: &Reporting,
    err: &mut dyn Write,
) -> (u8, String) {
    reporting.emit(sources, diagnostics, err);
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    let text = format!("{errors} error(s); nothing was written");
    reporting.summary(err, &Summary::new(exit::INVALID, text));
    (exit::INVALID, String::new())
}

/// [`refuse`], with what to do next in the summary.
pub(crate) fn refuse_with_help(
    sources: &Sources,
    diagnostics: &[Diagnostic],
    help: &str,
    reporting: &Reporting,
    err: &mut dyn Write,
) -> (u8, String) {
    reporting.emit(sources, diagnostics, err);
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    let text = format!("{errors} error(s); nothing was written");
    reporting.summary(err, &Summary::new(exit::INVALID, text).help(help));
    (exit::INVALID, String::new())
}

/// The path of an environment's spec file.
pub(crate) fn environment_path(root: &Path, environment: &str) -> PathBuf {
    root.join(load::ENVIRONMENTS_DIR)
        .join(format!("{environment}.yaml"))
}

/// `specs` with environment `name` holding `text`: its file replaced, or a new file
/// added. Every other file keeps its id, so spans stay valid. A `text` that does not
/// parse comes back as its diagnostic, with the sources to render it.
pub(crate) fn with_environment(
    specs: &Specs,
    name: &str,
    text: String,
) -> Result<Specs, (Sources, Diagnostic)> {
    let display = format!("{}/{name}.yaml", load::ENVIRONMENTS_DIR);
    let mut sources = Sources::default();
    let mut file = None;
    for (index, path) in specs.sources.paths().enumerate() {
        let id = if path == display {
            let id = sources.add(path.to_owned(), text.clone());
            file = Some(id);
            id
        } else {
            sources.add(
                path.to_owned(),
                specs.sources.file(FileId(index)).text.clone(),
            )
        };
        debug_assert_eq!(id, FileId(index));
    }
    let file = file.unwrap_or_else(|| sources.add(display, text.clone()));
    let root = match load::parse(file, &text) {
        Ok(root) => root,
        Err(diagnostic) => return Err((sources, diagnostic)),
    };
    let mut environments: Vec<(String, Document)> = specs
        .environments
        .iter()
        .filter(|(n, _)| n != name)
        .cloned()
        .collect();
    environments.push((name.to_owned(), Document { file, root }));
    environments.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(Specs {
        sources,
        stack: specs.stack.clone(),
        environments,
    })
}

/// How [`write_spec`] may treat an existing file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WriteMode {
    /// Replace it, keeping its permissions.
    Replace,
    /// Fail if it exists: never overwrite.
    Create,
}

/// Write a spec file atomically: a temporary file beside it, renamed over it.
pub(crate) fn write_spec(path: &Path, text: &str, mode: WriteMode) -> Result<(), Error> {
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    let mut file = tempfile::NamedTempFile::new_in(dir).map_err(|e| Error::io(dir, e))?;
    file.write_all(text.as_bytes())
        .map_err(|e| Error::io(file.path(), e))?;
    let permissions = match mode {
        WriteMode::Replace => std::fs::metadata(path).ok().map(|m| m.permissions()),
        WriteMode::Create => new_file_permissions(),
    };
    if let Some(permissions) = permissions {
        file.as_file()
            .set_permissions(permissions)
            .map_err(|e| Error::io(path, e))?;
    }
    let persisted = match mode {
        WriteMode::Replace => file.persist(path),
        WriteMode::Create => file.persist_noclobber(path),
    };
    persisted.map(|_| ()).map_err(|e| Error::io(path, e.error))
}

#[cfg(unix)]
fn new_file_permissions() -> Option<std::fs::Permissions> {
    use std::os::unix::fs::PermissionsExt;
    Some(std::fs::Permissions::from_mode(0o644))
}

#[cfg(not(unix))]
fn new_file_permissions() -> Option<std::fs::Permissions> {
    None
}

/// Ask the registry for the digest of the target's configured tag. `Err` carries the
/// exit code after the failure was reported.
fn resolve(
    specs: &Specs,
    document: &Document,
    target: &Target,
    settings: &registry::Settings,
    reporting: &Reporting,
    err: &mut dyn Write,
) -> Result<String, u8> {
    let merged = merge::layer(&specs.stack.root, &document.root);
    let Some(image) = effective_image(&merged, target) else {
        // The layered spec does not fit the types: let the compiler say why.
        let what = format!("cannot tell the image of {}", target.describe());
        let diagnostics = environment_errors(specs, document, &what);
        refuse(&specs.sources, &diagnostics, reporting, err);
        return Err(exit::INVALID);
    };
    let tag = image.tag.clone().unwrap_or_else(|| {
        let text = format!("{} names no tag; resolving `latest`", target.describe());
        reporting.note(err, NoteLevel::Warning, &text);
        "latest".to_owned()
    });
    let reference = registry::Reference::new(&image.name, &tag);
    let text = format!(
        "asking {} for the digest of {}",
        reference.registry, reference
    );
    reporting.note(err, NoteLevel::Info, &text);
    match registry::resolve(&reference, settings) {
        Ok(digest) => {
            reporting.note(err, NoteLevel::Info, &format!("{reference} is {digest}"));
            Ok(digest)
        }
        Err(registry::Failure::NotFound) => {
            let path = target.tag_path();
            let diagnostic = Diagnostic::error(
                Code::UnknownTag,
                format!("the registry has no image {reference}"),
            )
            .at(merged.locate(&path).span)
            .path(path)
            .expected(format!(
                "a tag that exists in {}",
                reference.repository_url()
            ))
            .help("push the image first, or correct `image.tag` (or the repository)");
            refuse(&specs.sources, &[diagnostic], reporting, err);
            Err(exit::INVALID)
        }
        Err(failure) => {
            let text = format!("cannot resolve {reference}: {failure}; nothing was written");
            reporting.summary(err, &Summary::failure(exit::FAILURE, text));
            Err(exit::FAILURE)
        }
    }
}

/// The image a target runs in an environment, defaults applied as `build` applies them.
fn effective_image(merged: &Node, target: &Target) -> Option<ImageRef> {
    let values: Values = serde_json::from_value(merged.to_json()).ok()?;
    let global = values.global.clone().unwrap_or_default();
    match target {
        Target::Service(name) => {
            let spec = values.services.as_ref()?.get(name)?;
            let stack = lower::stack_name(&values);
            Some(lower::service(name, spec, &global, &stack, Scope::Base).image)
        }
        Target::ChartImage { chart, image } => {
            let pin = values
                .charts
                .as_ref()?
                .get(chart)?
                .images
                .as_ref()
                .and_then(|i| i.get(image))
                .cloned()
                .unwrap_or_default();
            let name = pin.new_name.unwrap_or_else(|| image.clone());
            Some(ImageRef {
                name,
                tag: pin.tag,
                digest: None,
            })
        }
    }
}

// ---------------------------------------------------------------------------------------
// The text edit.

/// `text` with the scalar at `keys` set to `value`: the old scalar's text replaced, or
/// the missing mappings and key inserted where the file's layout puts them. The result is
/// parsed again and must equal the old tree with only that value changed; a layout this
/// edit cannot handle safely (anchors, block scalars, ...) is a diagnostic, never a
/// broken file.
pub fn set_scalar(
    file: FileId,
    text: &str,
    keys: &[String],
    value: &str,
) -> Result<String, Diagnostic> {
    let (bom, body) = match text.strip_prefix('\u{feff}') {
        Some(body) => ("\u{feff}", body),
        None => ("", text),
    };
    let root = load::parse(file, body)?;
    let editor = Editor::new(body, indent_step(&root));
    let splice = editor.splice(&root, keys, value)?;
    let edited = splice.apply(body);
    verify(file, &root, &edited, keys, value)?;
    Ok(format!("{bom}{edited}"))
}

/// Replace `start..end` with `text`.
#[derive(Debug)]
struct Splice {
    start: usize,
    end: usize,
    text: String,
}

impl Splice {
    fn insert(at: usize, text: String) -> Self {
        Self {
            start: at,
            end: at,
            text,
        }
    }

    fn apply(&self, body: &str) -> String {
        let mut out = String::with_capacity(body.len() + self.text.len());
        out.push_str(&body[..self.start]);
        out.push_str(&self.text);
        out.push_str(&body[self.end..]);
        out
    }
}

/// The edit could not be made: the file is left for a person to change.
fn unsupported(span: Span, keys: &[String], why: &str) -> Diagnostic {
    let path = path_of(keys);
    Diagnostic::error(
        Code::UnsupportedLayout,
        format!("cannot set `{path}` here: {why}"),
    )
    .at(span)
    .path(path)
    .help("set the value by hand; mcpstack edits only plain, quoted and flow values")
}

/// The file's text with line positions, and how new lines are written in it.
struct Editor<'a> {
    body: &'a str,
    /// Byte offset where each line starts.
    starts: Vec<usize>,
    newline: &'static str,
    /// Indentation of a nested block mapping, in spaces.
    step: usize,
}

/// The deepest existing node on a path, and what is known about where it sits.
#[derive(Clone, Copy)]
struct Place<'a> {
    node: &'a Node,
    /// The span of the key that introduces `node` (`None` at the root).
    key: Option<Span>,
    /// Whether `node` sits inside a flow collection.
    in_flow: bool,
    depth: usize,
}

impl<'a> Editor<'a> {
    fn new(body: &'a str, step: usize) -> Self {
        let starts = std::iter::once(0)
            .chain(body.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        let newline = if body.contains("\r\n") { "\r\n" } else { "\n" };
        Self {
            body,
            starts,
            newline,
            step,
        }
    }

    /// Text of line `line` (1-based) without its line break.
    fn line(&self, line: u32) -> Option<&'a str> {
        let index = usize::try_from(line).ok()?.checked_sub(1)?;
        let start = *self.starts.get(index)?;
        let end = self
            .starts
            .get(index + 1)
            .copied()
            .unwrap_or(self.body.len());
        let text = &self.body[start..end];
        Some(text.trim_end_matches('\n').trim_end_matches('\r'))
    }

    fn line_count(&self) -> u32 {
        u32::try_from(self.starts.len()).unwrap_or(u32::MAX)
    }

    /// Byte offset of a span (columns count characters).
    fn offset(&self, span: Span) -> Option<usize> {
        let index = usize::try_from(span.line).ok()?.checked_sub(1)?;
        let start = *self.starts.get(index)?;
        let text = self.line(span.line)?;
        let column = usize::try_from(span.column).ok()?.checked_sub(1)?;
        let within = text
            .char_indices()
            .map(|(i, _)| i)
            .chain(std::iter::once(text.len()))
            .nth(column)?;
        Some(start + within)
    }

    /// Offset just past line `line`'s break (the end of the text on the last line).
    fn after_line(&self, line: u32) -> usize {
        usize::try_from(line)
            .ok()
            .and_then(|l| self.starts.get(l).copied())
            .unwrap_or(self.body.len())
    }

    fn char_at(&self, offset: usize) -> Option<char> {
        self.body.get(offset..)?.chars().next()
    }

    /// Whether the collection at `span` is written in flow style (`{...}`).
    fn is_flow(&self, span: Span) -> bool {
        self.offset(span)
            .and_then(|o| self.char_at(o))
            .is_some_and(|c| c == '{' || c == '[')
    }

    fn splice(&self, root: &'a Node, keys: &[String], value: &str) -> Result<Splice, Diagnostic> {
        let mut place = Place {
            node: root,
            key: None,
            in_flow: self.is_flow(root.span),
            depth: 0,
        };
        for (depth, key) in keys.iter().enumerate() {
            let Some(entry) = place.node.mapping().and_then(|m| m.get(key)) else {
                return self.insert(place, keys, value);
            };
            let in_flow = place.in_flow || self.is_flow(entry.node.span);
            place = Place {
                node: &entry.node,
                key: Some(entry.key_span),
                in_flow,
                depth: depth + 1,
            };
        }
        self.replace(place, keys, value)
    }

    /// Replace the scalar at `place` with `value`, in the same quoting style.
    fn replace(
        &self,
        place: Place<'_>,
        keys: &[String],
        value: &str,
    ) -> Result<Splice, Diagnostic> {
        let span = place.node.span;
        let fail = |why: &str| unsupported(span, keys, why);
        if matches!(place.node.value, Value::Mapping(_) | Value::Sequence(_)) {
            return Err(fail(&format!("it holds a {}", place.node.kind_name())));
        }
        let start = self
            .offset(span)
            .ok_or_else(|| fail("its position is outside the file"))?;
        if place.node.value == Value::Null && self.char_at(start) == Some(':') {
            let text = format!(" {}", scalar(value, place.in_flow));
            return Ok(Splice::insert(start + 1, text));
        }
        let rest = &self.body[start..];
        let end = match rest.chars().next() {
            Some('"') => double_quoted_len(rest),
            Some('\'') => single_quoted_len(rest),
            Some('|' | '>') => return Err(fail("it is a block scalar")),
            Some('*' | '&' | '!') => return Err(fail("it has an anchor, alias or tag")),
            _ => Some(plain_len(rest, place.in_flow)),
        }
        .ok_or_else(|| fail("its quotes are not closed"))?;
        // Keep the style: a plain value stays plain where the file wrote one.
        let text = match rest.chars().next() {
            Some('"') => double_quoted(value),
            Some('\'') if !value.contains('\'') => format!("'{value}'"),
            _ if place.node.value != Value::Null => scalar(value, false),
            _ => scalar(value, place.in_flow),
        };
        Ok(Splice {
            start,
            end: start + end,
            text,
        })
    }

    /// Insert `keys[place.depth..]` with `value` into the node at `place`.
    fn insert(&self, place: Place<'_>, keys: &[String], value: &str) -> Result<Splice, Diagnostic> {
        let rest = &keys[place.depth..];
        let span = place.node.span;
        let fail = |why: &str| unsupported(span, keys, why);
        let start = self
            .offset(span)
            .ok_or_else(|| fail("its position is outside the file"))?;
        match &place.node.value {
            Value::Mapping(_) if self.is_flow(span) => self.insert_flow(start, rest, value, &fail),
            Value::Mapping(map) => self.insert_block(map, place.depth == 0, rest, value, &fail),
            Value::Null if self.char_at(start) == Some(':') && place.in_flow => Ok(Splice::insert(
                start + 1,
                format!(" {{{}}}", flow_entry(rest, value)),
            )),
            Value::Null if self.char_at(start) == Some(':') => {
                let key = place.key.ok_or_else(|| fail("the document is empty"))?;
                let indent = self
                    .indent_of_key(key)
                    .ok_or_else(|| fail("its key is not at the start of a line"))?;
                let at = self.after_line(key.line);
                let lines = self.block_lines(indent + self.step, self.step, rest, value);
                Ok(Splice::insert(at, self.terminated(at, lines)))
            }
            Value::Null => {
                let end = start + plain_len(&self.body[start..], place.in_flow);
                Ok(Splice {
                    start,
                    end,
                    text: format!("{{{}}}", flow_entry(rest, value)),
                })
            }
            _ => Err(fail(&format!(
                "`{}` holds a {}, not a mapping",
                path_of(&keys[..place.depth]),
                place.node.kind_name()
            ))),
        }
    }

    /// Add `key: ...` before the closing brace of the flow mapping starting at `start`.
    fn insert_flow(
        &self,
        start: usize,
        rest: &[String],
        value: &str,
        fail: &dyn Fn(&str) -> Diagnostic,
    ) -> Result<Splice, Diagnostic> {
        let last = last_significant(&self.body[start..])
            .ok_or_else(|| fail("its closing brace was not found"))?;
        let at = start + last;
        let separator = match self.body[..at].chars().next_back() {
            Some('{') => "",
            Some(',') => " ",
            _ => ", ",
        };
        Ok(Splice::insert(
            at,
            format!("{separator}{}", flow_entry(rest, value)),
        ))
    }

    /// Add lines after the last entry of a block mapping, at its indentation.
    fn insert_block(
        &self,
        map: &BTreeMap<String, crate::node::Entry>,
        top_level: bool,
        rest: &[String],
        value: &str,
        fail: &dyn Fn(&str) -> Diagnostic,
    ) -> Result<Splice, Diagnostic> {
        let last = map
            .values()
            .map(|e| e.key_span)
            .max_by_key(|s| (s.line, s.column))
            .ok_or_else(|| fail("the mapping is empty"))?;
        let indent = self
            .indent_of_key(last)
            .ok_or_else(|| fail("its keys are not at the start of a line"))?;
        let end_line = self.last_line_of_entry(last.line, indent);
        let at = self.after_line(end_line);
        let step = step_in(map).unwrap_or(self.step);
        let mut lines = self.block_lines(indent, step, rest, value);
        if top_level && self.line(end_line + 1).is_none_or(|l| !l.trim().is_empty()) {
            lines.insert_str(0, self.newline);
        }
        Ok(Splice::insert(at, self.terminated(at, lines)))
    }

    /// `lines`, preceded by a line break when inserted at the end of a last line that
    /// has none.
    fn terminated(&self, at: usize, lines: String) -> String {
        match at == self.body.len() && !self.body.is_empty() && !self.body.ends_with('\n') {
            true => format!("{}{lines}", self.newline),
            false => lines,
        }
    }

    /// The indentation of a key that starts its line, in spaces.
    fn indent_of_key(&self, key: Span) -> Option<usize> {
        let line = self.line(key.line)?;
        let indent = usize::try_from(key.column).ok()?.checked_sub(1)?;
        let before: String = line.chars().take(indent).collect();
        (before.chars().all(|c| c == ' ') && before.chars().count() == indent).then_some(indent)
    }

    /// The last line of the entry whose key is on `line`: the lines after it that are
    /// indented deeper than `indent` (blank and comment lines only count when followed
    /// by such a line).
    fn last_line_of_entry(&self, line: u32, indent: usize) -> u32 {
        let mut last = line;
        for next in line + 1..=self.line_count() {
            let Some(text) = self.line(next) else { break };
            let trimmed = text.trim_start_matches(' ');
            if trimmed.trim().is_empty() || trimmed.starts_with('#') {
                continue;
            }
            if text.len() - trimmed.len() <= indent {
                break;
            }
            last = next;
        }
        last
    }

    /// Block lines for `keys` nested from `indent` by `step`, the last holding `value`.
    fn block_lines(&self, indent: usize, step: usize, keys: &[String], value: &str) -> String {
        let mut out = String::new();
        for (depth, key) in keys.iter().enumerate() {
            out.push_str(&" ".repeat(indent + depth * step));
            out.push_str(&key_text(key));
            out.push(':');
            if depth + 1 == keys.len() {
                out.push(' ');
                out.push_str(&scalar(value, false));
            }
            out.push_str(self.newline);
        }
        out
    }
}

/// The indentation step the file uses for nested block mappings (default 2).
fn indent_step(root: &Node) -> usize {
    fn find(node: &Node) -> Option<usize> {
        let map = node.mapping()?;
        step_in(map).or_else(|| map.values().find_map(|e| find(&e.node)))
    }
    find(root).unwrap_or(2)
}

/// The indentation step of the block mappings nested in `map`, if it has one.
fn step_in(map: &BTreeMap<String, crate::node::Entry>) -> Option<usize> {
    map.values().find_map(|entry| {
        let child = &entry.node;
        let block = child.mapping().is_some() && child.span.line > entry.key_span.line;
        let step = child.span.column.checked_sub(entry.key_span.column)?;
        usize::try_from(step).ok().filter(|s| block && *s > 0)
    })
}

/// `k1: {k2: value}` for a flow mapping.
fn flow_entry(keys: &[String], value: &str) -> String {
    match keys {
        [] => String::new(),
        [last] => format!("{}: {}", key_text(last), scalar(value, true)),
        [first, rest @ ..] => format!("{}: {{{}}}", key_text(first), flow_entry(rest, value)),
    }
}

/// A scalar written plain when YAML reads it back as the same string, else quoted.
fn scalar(value: &str, in_flow: bool) -> String {
    match is_plain_safe(value, in_flow) {
        true => value.to_owned(),
        false => double_quoted(value),
    }
}

fn key_text(key: &str) -> String {
    scalar(key, true)
}

/// Whether `value` reads back as the same string when written plain: it starts with a
/// letter or digit that cannot make it a number, boolean or null, and holds only
/// characters without meaning to YAML (`:` only outside flow collections).
fn is_plain_safe(value: &str, in_flow: bool) -> bool {
    let Some(first) = value.chars().next() else {
        return false;
    };
    let special = ["true", "false", "yes", "no", "on", "off", "y", "n", "null"];
    first.is_ascii_alphabetic()
        && !special.contains(&value.to_ascii_lowercase().as_str())
        && value.chars().all(|c| {
            c.is_ascii_alphanumeric()
                || matches!(c, '-' | '_' | '.' | '/' | '@' | '+')
                || (c == ':' && !in_flow)
        })
}

fn double_quoted(value: &str) -> String {
    let mut out = String::from("\"");
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Length of a double-quoted scalar at the start of `text`, quotes included.
fn double_quoted_len(text: &str) -> Option<usize> {
    let mut escaped = false;
    for (i, c) in text.char_indices().skip(1) {
        match (escaped, c) {
            (true, _) => escaped = false,
            (false, '\\') => escaped = true,
            (false, '"') => return Some(i + 1),
            _ => {}
        }
    }
    None
}

/// Length of a single-quoted scalar at the start of `text` (`''` is a quote).
fn single_quoted_len(text: &str) -> Option<usize> {
    let mut chars = text.char_indices().skip(1).peekable();
    while let Some((i, c)) = chars.next() {
        if c != '\'' {
            continue;
        }
        if chars.peek().is_some_and(|(_, n)| *n == '\'') {
            chars.next();
            continue;
        }
        return Some(i + 1);
    }
    None
}

/// Length of a plain scalar on one line: up to a comment, the line's end or, in a flow
/// collection, a flow indicator; trailing blanks excluded.
fn plain_len(text: &str, in_flow: bool) -> usize {
    let mut end = 0;
    let mut after_blank = false;
    for (i, c) in text.char_indices() {
        let stop = matches!(c, '\n' | '\r')
            || (c == '#' && after_blank)
            || (in_flow && matches!(c, ',' | '}' | ']'));
        if stop {
            break;
        }
        after_blank = c == ' ' || c == '\t';
        if !after_blank {
            end = i + c.len_utf8();
        }
    }
    end
}

/// For a flow collection at the start of `text`: the offset just past its last
/// character that is neither blank, comment nor the closing bracket.
fn last_significant(text: &str) -> Option<usize> {
    let mut depth = 0usize;
    let mut last = 0;
    let mut previous = ' ';
    let mut chars = text.char_indices();
    while let Some((i, c)) = chars.next() {
        let quote_may_open = matches!(previous, '{' | '[' | ',' | ':' | ' ' | '\t' | '\n');
        match c {
            '#' if matches!(previous, ' ' | '\t' | '\n' | '\r') => {
                for (_, c) in chars.by_ref() {
                    if c == '\n' {
                        break;
                    }
                }
                previous = '\n';
                continue;
            }
            '"' | '\'' if quote_may_open => {
                let len = match c {
                    '"' => double_quoted_len(&text[i..])?,
                    _ => single_quoted_len(&text[i..])?,
                };
                last = i + len;
                for _ in text[i + 1..i + len].chars() {
                    chars.next();
                }
                previous = c;
                continue;
            }
            '{' | '[' => depth += 1,
            '}' | ']' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(last);
                }
            }
            _ => {}
        }
        if !c.is_whitespace() {
            last = i + c.len_utf8();
        }
        previous = c;
    }
    None
}

/// The edited text must parse to the old tree with only `keys` set to `value`.
fn verify(
    file: FileId,
    before: &Node,
    edited: &str,
    keys: &[String],
    value: &str,
) -> Result<(), Diagnostic> {
    let span = before.locate(&path_of(keys)).span;
    let why = "the edited file would not read back as intended";
    let after = load::parse(file, edited).map_err(|_| unsupported(span, keys, why))?;
    let mut expected = before.to_json();
    set_json(&mut expected, keys, value);
    match after.to_json() == expected {
        true => Ok(()),
        false => Err(unsupported(span, keys, why)),
    }
}

fn set_json(json: &mut serde_json::Value, keys: &[String], value: &str) {
    let Some((first, rest)) = keys.split_first() else {
        *json = serde_json::Value::String(value.to_owned());
        return;
    };
    if !json.is_object() {
        *json = serde_json::Value::Object(serde_json::Map::new());
    }
    if let Some(map) = json.as_object_mut() {
        let child = map.entry(first.clone()).or_insert(serde_json::Value::Null);
        set_json(child, rest, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIGEST: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    fn keys(path: &str) -> Vec<String> {
        path.split('.').map(str::to_owned).collect()
    }

    fn edit(text: &str, path: &str) -> String {
        set_scalar(FileId(0), text, &keys(path), DIGEST).expect("edit")
    }

    fn refused(text: &str, path: &str) -> Diagnostic {
        set_scalar(FileId(0), text, &keys(path), DIGEST).expect_err("refused")
    }

    const PATH: &str = "services.api.image.digest";

    #[test]
    fn replaces_a_value_in_its_quoting_style() {
        for (old, new) in [
            (
                "digest: sha256:aa  # old",
                format!("digest: {DIGEST}  # old"),
            ),
            ("digest: \"sha256:aa\"", format!("digest: \"{DIGEST}\"")),
            ("digest: 'sha256:aa'", format!("digest: '{DIGEST}'")),
            ("digest: ~", format!("digest: {DIGEST}")),
            ("digest:   # empty", format!("digest: {DIGEST}   # empty")),
        ] {
            let text = format!("tier: x\nservices:\n  api:\n    image:\n      {old}\n");
            let expected = format!("tier: x\nservices:\n  api:\n    image:\n      {new}\n");
            assert_eq!(edit(&text, PATH), expected, "{old}");
        }
    }

    #[test]
    fn replaces_a_one_line_block_scalar() {
        let text = "services:\n  api:\n    image:\n      digest: >-\n        sha256:aa\n";
        let expected =
            format!("services:\n  api:\n    image:\n      digest: >-\n        {DIGEST}\n");
        assert_eq!(edit(text, PATH), expected);
    }

    #[test]
    fn replaces_a_value_in_a_flow_mapping() {
        let text = "services:\n  api: {image: {digest: sha256:aa, tag: x}}\n";
        let expected = format!("services:\n  api: {{image: {{digest: {DIGEST}, tag: x}}}}\n");
        assert_eq!(edit(text, PATH), expected);
    }

    #[test]
    fn inserts_into_a_block_mapping_after_its_last_entry() {
        let text = "services:\n  api:\n    image:\n      tag: \"1.0\"   # release\n\n      # trailing comment\n    replicas: 1\n";
        let expected = format!(
            "services:\n  api:\n    image:\n      tag: \"1.0\"   # release\n      digest: {DIGEST}\n\n      # trailing comment\n    replicas: 1\n"
        );
        assert_eq!(edit(text, PATH), expected);
    }

    #[test]
    fn inserts_into_flow_mappings() {
        for (old, new) in [
            (
                "{tag: \"1.0\"}",
                format!("{{tag: \"1.0\", digest: \"{DIGEST}\"}}"),
            ),
            ("{}", format!("{{digest: \"{DIGEST}\"}}")),
            ("{tag: x,}", format!("{{tag: x, digest: \"{DIGEST}\"}}")),
            (
                "{\n      tag: x  # c, }\n    }",
                format!("{{\n      tag: x, digest: \"{DIGEST}\"  # c, }}\n    }}"),
            ),
        ] {
            let text = format!("services:\n  api:\n    image: {old}\n");
            let expected = format!("services:\n  api:\n    image: {new}\n");
            assert_eq!(edit(&text, PATH), expected, "{old}");
        }
    }

    #[test]
    fn creates_missing_mappings_with_the_files_indentation() {
        let text = "tier: x\nservices:\n    api:\n        replicas: 1\n";
        let expected = format!(
            "tier: x\nservices:\n    api:\n        replicas: 1\n        image:\n            digest: {DIGEST}\n"
        );
        assert_eq!(edit(text, PATH), expected);
        let text = "tier: x  # no newline at the end";
        let expected = format!(
            "tier: x  # no newline at the end\n\nservices:\n  api:\n    image:\n      digest: {DIGEST}\n"
        );
        assert_eq!(edit(text, PATH), expected);
        let text = "services:\n  api:\n  other: {}\n";
        let expected =
            format!("services:\n  api:\n    image:\n      digest: {DIGEST}\n  other: {{}}\n");
        assert_eq!(edit(text, PATH), expected);
    }

    #[test]
    fn keeps_crlf_line_breaks_and_a_byte_order_mark() {
        let text = "\u{feff}tier: x\r\nservices:\r\n  api:\r\n    replicas: 1\r\n";
        let expected = format!(
            "\u{feff}tier: x\r\nservices:\r\n  api:\r\n    replicas: 1\r\n    image:\r\n      digest: {DIGEST}\r\n"
        );
        assert_eq!(edit(text, PATH), expected);
    }

    #[test]
    fn counts_columns_in_characters() {
        let text = "services:\n  api: {image: {tag: \"é—ü\", digest: \"sha256:aa\"}}\n";
        let expected =
            format!("services:\n  api: {{image: {{tag: \"é—ü\", digest: \"{DIGEST}\"}}}}\n");
        assert_eq!(edit(text, PATH), expected);
    }

    #[test]
    fn refuses_what_it_cannot_edit_safely() {
        let folded =
            "services:\n  api:\n    image:\n      digest: >-\n        sha256:aa\n        bb\n";
        assert_eq!(refused(folded, PATH).code, Code::UnsupportedLayout);
        let anchored =
            "services:\n  api:\n    image: &img\n      tag: x\n  web:\n    image: *img\n";
        assert_eq!(refused(anchored, PATH).code, Code::UnsupportedLayout);
        let scalar_image = "services:\n  api:\n    image: ghcr.io/a:1\n";
        assert_eq!(refused(scalar_image, PATH).code, Code::UnsupportedLayout);
    }

    fn request(args: &[&str], resolve: bool, all: bool) -> Request {
        Request {
            environment: "production".to_owned(),
            args: args.iter().map(|a| (*a).to_owned()).collect(),
            resolve,
            all,
        }
    }

    #[test]
    fn arguments_name_images_in_three_forms() {
        let pair = |n: &str, d: &str| (n.to_owned(), d.to_owned());
        assert_eq!(
            request(&["api", "sha256:x"], false, false).wanted(),
            Ok((Wanted::Given(vec![pair("api", "sha256:x")]), true)),
            "the pair form prints the bare digest"
        );
        assert_eq!(
            request(&["api=sha256:x"], false, false).wanted(),
            Ok((Wanted::Given(vec![pair("api", "sha256:x")]), false))
        );
        assert_eq!(
            request(&["a=1", "b=2", "c=3"], false, false).wanted(),
            Ok((
                Wanted::Given(vec![pair("a", "1"), pair("b", "2"), pair("c", "3")]),
                false
            ))
        );
        assert_eq!(
            request(&["api"], true, false).wanted(),
            Ok((Wanted::Resolve(vec!["api".to_owned()]), true))
        );
        assert_eq!(
            request(&["api", "web"], true, false).wanted(),
            Ok((
                Wanted::Resolve(vec!["api".to_owned(), "web".to_owned()]),
                false
            ))
        );
        assert_eq!(request(&[], true, true).wanted(), Ok((Wanted::All, false)));
        for (args, resolve, all) in [
            (&["api"][..], false, false),
            (&["a=1", "b"], false, false),
            (&["a", "b", "c"], false, false),
            (&["a=1"], true, false),
            (&["a"], true, true),
        ] {
            let problems = request(args, resolve, all).wanted().expect_err("refused");
            assert!(
                problems.iter().all(|d| d.code == Code::InvalidArgument),
                "{args:?}: {problems:?}"
            );
        }
    }

    fn at(line: u32, column: u32) -> Diagnostic {
        Diagnostic::error(Code::InvalidValue, "x").at(Span {
            file: FileId(1),
            line,
            column,
        })
    }

    fn moved(disk: &str, edited: &str, line: u32, column: u32) -> (u32, u32) {
        let shown = onto_disk(vec![at(line, column)], FileId(1), edited, FileId(2), disk);
        let span = shown[0].span.expect("a span");
        assert_eq!(span.file, FileId(2));
        (span.line, span.column)
    }

    #[test]
    fn diagnostics_move_onto_the_lines_on_disk() {
        let disk = "a: 1\nb:\n  c: 2\nd: 4\n";
        let edited = "a: 1\nb:\n  c: 2\n  new: 3\nd: 4\n";
        assert_eq!(moved(disk, edited, 1, 4), (1, 4), "kept before the edit");
        assert_eq!(moved(disk, edited, 5, 1), (4, 1), "kept after the edit");
        assert_eq!(
            moved(disk, edited, 4, 3),
            (3, 3),
            "added: the line it follows"
        );
        assert_eq!(
            moved(disk, edited, 4, 9),
            (3, 3),
            "a column past that line's end"
        );
        let replaced = "a: 1\nb:\n  c: 22\nd: 4\n";
        assert_eq!(
            moved(disk, replaced, 3, 6),
            (3, 6),
            "changed: the line it replaced"
        );
        assert_eq!(
            moved(disk, edited, 9, 1),
            (4, 1),
            "past the end: the last line"
        );
        let elsewhere = at(2, 1).at(Span {
            file: FileId(7),
            line: 2,
            column: 1,
        });
        let shown = onto_disk(vec![elsewhere.clone()], FileId(1), edited, FileId(2), disk);
        assert_eq!(shown, vec![elsewhere], "other files stay as they are");
    }

    #[test]
    fn plain_scalars_are_written_only_when_they_read_back() {
        assert!(is_plain_safe(DIGEST, false));
        assert!(!is_plain_safe(DIGEST, true));
        assert!(!is_plain_safe("yes", false));
        assert!(!is_plain_safe("1.0", false));
        assert!(!is_plain_safe("a b", false));
        assert_eq!(
            key_text("docker.io/bitnami/redis"),
            "docker.io/bitnami/redis"
        );
        assert_eq!(key_text("on"), "\"on\"");
    }
}
