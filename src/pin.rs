//! `mcpstack pin`: set an image's digest in an environment file by editing its text at
//! the place the YAML tree's positions name, so every comment, blank line, key order and
//! quoting style of the rest of the file stays; then validate the whole project with the
//! edited text in memory and write the file (atomically) only if it passes. The editing
//! steps (edit, validate in memory, write) are shared with `review`.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::Path;

use crate::Error;
use crate::compile;
use crate::diagnostic::{Code, Diagnostic, NoteLevel, Reporting, Severity, Summary, did_you_mean};
use crate::edit::{
    WriteMode, environment_path, onto_disk, refuse, set_scalar, with_environment, write_spec,
};
use crate::exit;
use crate::image::{self, ImageRef};
use crate::load::{self, Document, Loaded, Specs};
use crate::lower::{self, Scope};
use crate::merge;
use crate::node::{FieldPath, Node};
use crate::registry;
use crate::source::{FileId, Sources};
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

/// Something whose image `pin` can set a digest on: a service, an init container or
/// sidecar of a service, or an image a chart runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Service(String),
    /// An init container or sidecar of a service, named `SERVICE/CONTAINER`.
    Container {
        service: String,
        /// `initContainers` or `sidecars`.
        list: &'static str,
        container: String,
    },
    /// An image of a chart, named `CHART/IMAGE` (the image as the chart renders it).
    ChartImage {
        chart: String,
        image: String,
    },
}

/// The spec lists of extra containers, as they are keyed.
const CONTAINER_LISTS: [&str; 2] = ["initContainers", "sidecars"];

impl Target {
    /// The field path of the digest in a spec file, as keys.
    pub fn digest_keys(&self) -> Vec<String> {
        match self {
            Target::Service(name) => ["services", name, "image", "digest"]
                .map(str::to_owned)
                .to_vec(),
            Target::Container {
                service,
                list,
                container,
            } => ["services", service, list, container, "image", "digest"]
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
            Target::Container {
                service,
                list,
                container,
            } => FieldPath::root()
                .key("services")
                .key(service)
                .key(list)
                .key(container)
                .key("image")
                .key("tag"),
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
            Target::Container {
                service,
                list,
                container,
            } => {
                let what = match *list {
                    "sidecars" => "sidecar",
                    _ => "init container",
                };
                format!("{what} `{container}` of service `{service}`")
            }
            Target::ChartImage { chart, image } => format!("image `{image}` of chart `{chart}`"),
        }
    }
}

fn service_image(name: &str) -> FieldPath {
    FieldPath::root().key("services").key(name).key("image")
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
    // `SERVICE/CONTAINER`: an init container or sidecar the stack file defines.
    if let Some((service, container)) = name.split_once('/')
        && let Some(spec) = stack.get("services").and_then(|s| s.get(service))
    {
        let found = CONTAINER_LISTS
            .into_iter()
            .find(|list| spec.get(list).and_then(|l| l.get(container)).is_some());
        return match found {
            Some(list) => Ok(Target::Container {
                service: service.to_owned(),
                list,
                container: container.to_owned(),
            }),
            None => Err(unknown_container(spec, service, container)),
        };
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

/// A `SERVICE/CONTAINER` whose service has no such init container or sidecar.
fn unknown_container(spec: &Node, service: &str, container: &str) -> Diagnostic {
    let names: Vec<&str> = CONTAINER_LISTS
        .into_iter()
        .filter_map(|list| spec.get(list).and_then(Node::mapping))
        .flatten()
        .map(|(n, _)| n.as_str())
        .collect();
    let mut diagnostic = Diagnostic::error(
        Code::UnknownService,
        format!("service `{service}` has no init container or sidecar `{container}`"),
    )
    .expected(one_of(
        names.iter().copied(),
        "an init container or sidecar of the service in environments/stack.yaml",
    ));
    if let Some(near) = did_you_mean(container, names.iter().copied()) {
        diagnostic = diagnostic.help(format!("did you mean `{service}/{near}`?"));
    }
    diagnostic
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
        if !service.enabled.unwrap_or(true) {
            continue;
        }
        let lists = [
            ("initContainers", service.init_containers.as_ref()),
            ("sidecars", service.sidecars.as_ref()),
        ];
        for (list, containers) in lists {
            for (container, spec) in containers.into_iter().flatten() {
                let digest = spec.image.as_ref().and_then(|i| i.digest.as_ref());
                if spec.enabled.unwrap_or(true) && digest.is_none() {
                    let target = Target::Container {
                        service: name.clone(),
                        list,
                        container: container.clone(),
                    };
                    out.push((format!("{name}/{container}"), target));
                }
            }
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
    if reporting.deny_warnings && !checked.warnings.is_empty() {
        // Shown at the lines on disk: the edit is not written.
        let shown = onto_disk(
            checked.warnings,
            document.file,
            &edited,
            document.file,
            &file.text,
        );
        reporting.emit(&specs.sources, &shown, err);
        let text = format!(
            "{} warning(s) about the edit denied (--deny-warnings); nothing was written",
            shown.len()
        );
        reporting.summary(err, &Summary::new(exit::INVALID, text));
        return Ok(exit::INVALID);
    }
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
        Target::Container {
            service,
            list,
            container,
        } => {
            let spec = values.services.as_ref()?.get(service)?;
            let containers = match *list {
                "sidecars" => spec.sidecars.as_ref(),
                _ => spec.init_containers.as_ref(),
            }?;
            let (_, container) = containers.iter().find(|(n, _)| *n == container)?;
            let image = container.image.clone().unwrap_or_default();
            Some(lower::container_image(&image, &global))
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
