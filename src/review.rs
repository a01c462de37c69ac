//! Review environments on demand: `mcpstack review add NAME` turns a branch or pull
//! request name into a valid environment name and creates its spec file from the review
//! template; `mcpstack review remove NAME` deletes a review environment's spec file.
//! The next `build` adds or removes its overlay and Flux objects.

use std::io::Write;
use std::path::Path;

use crate::Error;
use crate::compile;
use crate::diagnostic::{Code, Diagnostic, NoteLevel, Reporting, Summary, did_you_mean};
use crate::edit::{self, WriteMode};
use crate::exit;
use crate::expiry::{self, Date};
use crate::hostname;
use crate::load::{self, Document, Specs};
use crate::lower;
use crate::merge;
use crate::node::{FieldPath, Node, Value};
use crate::pin::{self, Target};
use crate::render::flux;
use crate::source::FileId;
use crate::spec::{Tier, Values};

/// The review template, relative to the project root. The loader reads only
/// `environments/*.yaml`, so `build` ignores it.
pub const TEMPLATE_PATH: &str = "environments/templates/review.yaml";
/// The longest Kubernetes name a Flux unit may have: kustomize-controller writes it into
/// a label on every object it applies.
const MAX_UNIT_NAME: usize = 63;
/// Prefix of environments named by a number alone (`42` -> `pr-42`).
const NUMBER_PREFIX: &str = "pr-";
/// Replaced by the environment's name in the template's values (as in `hostPattern`).
pub const ENV_PLACEHOLDER: &str = "{env}";
/// Hex digits of the hash that keeps shortened names apart.
const HASH_DIGITS: usize = 8;

/// What `review add` was asked to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddRequest {
    /// The raw name: a branch, a pull request, anything.
    pub name: String,
    /// `SERVICE=DIGEST` pins for the new environment.
    pub images: Vec<String>,
    /// Make an existing environment that `review add` created with this name again
    /// from the template and the pins.
    pub update: bool,
    /// `--ttl`: `Nd` or `Nw`; the new file expires that many days from today.
    pub ttl: Option<String>,
}

// ---------------------------------------------------------------------------------------
// Names.

/// Letters outside ASCII that have a plain ASCII spelling; any other character separates
/// words.
const FOLDS: [(&str, &str); 26] = [
    ("àáâãäåāăą", "a"),
    ("æ", "ae"),
    ("çćĉċč", "c"),
    ("ďđð", "d"),
    ("èéêëēĕėęě", "e"),
    ("ĝğġģ", "g"),
    ("ĥħ", "h"),
    ("ìíîïĩīĭįı", "i"),
    ("ĵ", "j"),
    ("ķ", "k"),
    ("ĺļľŀł", "l"),
    ("ñńņňŉ", "n"),
    ("òóôõöøōŏő", "o"),
    ("œ", "oe"),
    ("ŕŗř", "r"),
    ("śŝşš", "s"),
    ("ß", "ss"),
    ("ţťŧ", "t"),
    ("þ", "th"),
    ("ùúûüũūŭůűų", "u"),
    ("ŵ", "w"),
    ("ýÿŷ", "y"),
    ("źżž", "z"),
    ("ĳ", "ij"),
    ("ﬁ", "fi"),
    ("ﬂ", "fl"),
];

/// `raw` as a DNS label, not yet bounded in length: lowercase ASCII letters and digits,
/// accented Latin letters spelled in ASCII, every run of other characters one `-`, no
/// `-` at either end. Empty when `raw` has no letter or digit.
pub fn label(raw: &str) -> String {
    let mut out = String::new();
    let mut gap = false;
    for c in raw.chars().flat_map(char::to_lowercase) {
        let folded = match c {
            'a'..='z' | '0'..='9' => None,
            c => FOLDS
                .iter()
                .find(|(from, _)| from.contains(c))
                .map(|(_, to)| *to),
        };
        let letters = match (c, folded) {
            ('a'..='z' | '0'..='9', _) => c.encode_utf8(&mut [0; 4]).to_owned(),
            (_, Some(to)) => to.to_owned(),
            (_, None) => {
                gap = true;
                continue;
            }
        };
        if gap && !out.is_empty() {
            out.push('-');
        }
        gap = false;
        out.push_str(&letters);
    }
    out
}

/// FNV-1a, 32 bits: a small, stable hash for name suffixes.
pub fn fnv1a(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0x811c_9dc5, |hash: u32, byte| {
        (hash ^ u32::from(*byte)).wrapping_mul(0x0100_0193)
    })
}

/// What bounds an environment name: the names derived from it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Limits {
    /// Flux units of every environment: each service and chart, and the namespace unit.
    pub units: Vec<String>,
    /// Services and charts, whose default hostnames hold the name.
    pub hosted: Vec<String>,
    /// `global.hostPattern`, else the review tier's default.
    pub host_pattern: String,
    /// `global.domain`; without one no hostname is derived.
    pub domain: Option<String>,
    /// Whether `global.namespace` fixes the namespace (else it is `mcp-{name}`).
    pub fixed_namespace: bool,
    /// `global.flux.prefix`, which Flux unit names start with.
    pub flux_prefix: String,
}

impl Limits {
    /// The limits of a review environment of the stack, as the template layers over it.
    pub fn of(layered: &Node) -> Self {
        let keys = |section: &str| -> Vec<String> {
            layered
                .get(section)
                .and_then(Node::mapping)
                .into_iter()
                .flatten()
                .map(|(key, _)| key.clone())
                .collect()
        };
        let global = |key: &str| match layered.get("global").and_then(|g| g.get(key)) {
            Some(Node {
                value: Value::String(text),
                ..
            }) => Some(text.clone()),
            _ => None,
        };
        let hosted: Vec<String> = keys("services").into_iter().chain(keys("charts")).collect();
        let mut units = hosted.clone();
        units.push(flux::NAMESPACE_UNIT.to_owned());
        Self {
            units,
            hosted,
            host_pattern: global("hostPattern")
                .unwrap_or_else(|| hostname::default_pattern(Tier::Review).to_owned()),
            domain: global("domain"),
            fixed_namespace: global("namespace").is_some(),
            flux_prefix: match layered
                .get("global")
                .and_then(|g| g.get("flux"))
                .and_then(|f| f.get("prefix"))
            {
                Some(Node {
                    value: Value::String(text),
                    ..
                }) => text.clone(),
                _ => String::new(),
            },
        }
    }

    /// Why `name` cannot name an environment of this stack, if it cannot.
    pub fn problem(&self, name: &str) -> Option<String> {
        if let Some(problem) = hostname::label_problem(name) {
            return Some(format!("`{name}` {problem}"));
        }
        let namespace = lower::namespace(name, &Values::default());
        if !self.fixed_namespace
            && let Some(problem) = hostname::label_problem(&namespace)
        {
            return Some(format!("its namespace `{namespace}` {problem}"));
        }
        for unit in &self.units {
            let unit_name = flux::unit_name(&self.flux_prefix, name, unit);
            if unit_name.len() > MAX_UNIT_NAME {
                return Some(format!(
                    "its Flux unit `{unit_name}` is {} characters long, over the limit of {MAX_UNIT_NAME}",
                    unit_name.len()
                ));
            }
        }
        let domain = self.domain.as_deref()?;
        self.hosted.iter().find_map(|unit| {
            let host = hostname::expand(&self.host_pattern, unit, name, domain);
            hostname::hostname_problem(&host).map(|p| format!("its hostname `{host}`: {p}"))
        })
    }
}

/// The environment name for `raw` under `limits`: its [`label`]; a number alone gets the
/// prefix `pr-`; a label over the limits keeps as many leading characters as fit, then
/// `-` and 8 hex digits of the FNV-1a hash of `raw`, so that long names stay apart and
/// the same `raw` always gives the same name. `Err` says why no name fits.
pub fn environment_name(raw: &str, limits: &Limits) -> Result<String, String> {
    let mut name = label(raw);
    if name.is_empty() {
        return Err("it has no ASCII letter or digit to make a name of".to_owned());
    }
    if name.chars().all(|c| c.is_ascii_digit()) {
        name = format!("{NUMBER_PREFIX}{name}");
    }
    if limits.problem(&name).is_none() {
        return Ok(name);
    }
    let suffix = format!("{:0width$x}", fnv1a(raw.as_bytes()), width = HASH_DIGITS);
    for keep in (1..name.len()).rev() {
        let head = name[..keep].trim_end_matches('-');
        if head.is_empty() {
            continue;
        }
        let candidate = format!("{head}-{suffix}");
        if limits.problem(&candidate).is_none() {
            return Ok(candidate);
        }
    }
    let shortest = format!("{}-{suffix}", &name[..1]);
    Err(limits
        .problem(&shortest)
        .unwrap_or_else(|| "no shortened name fits".to_owned()))
}

// ---------------------------------------------------------------------------------------
// The template.

/// The comment `review add` writes into each file it creates. It records the raw name,
/// so `review remove` finds the environment even when the naming rules (the stack's
/// services, its domain) have changed since: see [`marker`].
fn created_by(raw: &str, name: &str) -> String {
    format!(
        "{} `mcpstack review remove {name}` deletes it.",
        marker(raw)
    )
}

/// The start of the creation comment for `raw` (quoted and escaped as Rust does, so
/// no name can break the comment's line).
fn marker(raw: &str) -> String {
    format!("# Created by `mcpstack review add {raw:?}`;")
}

/// The new environment file from the template: every `{env}` outside comments replaced
/// by the name, the editor-schema modeline pointed one folder up, and the creation
/// comment after it.
pub fn instantiate(template: &str, name: &str, raw: &str) -> String {
    let newline = if template.contains("\r\n") {
        "\r\n"
    } else {
        "\n"
    };
    let comment = format!("{}{newline}", created_by(raw, name));
    let mut out = String::with_capacity(template.len() + comment.len());
    let mut commented = false;
    for line in template.split_inclusive('\n') {
        let bare = line.trim_start_matches('\u{feff}').trim_start();
        if !bare.starts_with('#') {
            out.push_str(&line.replace(ENV_PLACEHOLDER, name));
            continue;
        }
        if !bare.starts_with("# yaml-language-server:") {
            out.push_str(line);
            continue;
        }
        out.push_str(&line.replacen("$schema=../", "$schema=", 1));
        if !line.ends_with('\n') {
            out.push_str(newline);
        }
        if !commented {
            out.push_str(&comment);
            commented = true;
        }
    }
    if !commented {
        let at = usize::from(out.starts_with('\u{feff}')) * '\u{feff}'.len_utf8();
        out.insert_str(at, &comment);
    }
    out
}

/// The template's text; `None` when the project has none.
fn read_template(root: &Path) -> Result<Option<String>, Error> {
    let path = root.join(TEMPLATE_PATH);
    match std::fs::read_to_string(&path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io(&path, e)),
    }
}

fn no_template() -> Diagnostic {
    Diagnostic::error(Code::NoTemplate, format!("no review template {TEMPLATE_PATH}"))
        .expected("a partial environment file with at least `tier: review`")
        .help(format!(
            "create {TEMPLATE_PATH} with what review environments change, e.g. `tier: review` and one replica per service"
        ))
}

/// The limits of review environments of this project: the stack with the template
/// layered over it (the stack alone when there is no usable template).
fn limits(specs: &Specs, template: Option<&Node>) -> Limits {
    match template {
        Some(template) => Limits::of(&merge::layer(&specs.stack.root, template)),
        None => Limits::of(&specs.stack.root),
    }
}

// ---------------------------------------------------------------------------------------
// `review add`.

/// Run `review add`: the exit code and what goes to stdout (the environment name).
pub fn add(
    root: &Path,
    request: &AddRequest,
    reporting: &Reporting,
    err: &mut dyn Write,
) -> Result<(u8, String), Error> {
    let Some(specs) = edit::loaded(root, reporting, err)? else {
        return Ok((exit::INVALID, String::new()));
    };
    let Some(template) = read_template(root)? else {
        return Ok(edit::refuse(
            &specs.sources,
            &[no_template()],
            reporting,
            err,
        ));
    };
    let expires = match request.ttl.as_deref().map(expiry_date).transpose() {
        Ok(expires) => expires,
        Err(why) => {
            let refusal = Diagnostic::error(Code::InvalidArgument, why)
                .expected("`--ttl Nd` (days) or `--ttl Nw` (weeks), e.g. `--ttl 7d`");
            return Ok(edit::refuse(&specs.sources, &[refusal], reporting, err));
        }
    };
    let mut sources = specs.sources.clone();
    let template_file = sources.add(TEMPLATE_PATH.to_owned(), template.clone());
    let template_root = match load::parse(template_file, &template) {
        Ok(root) => root,
        Err(diagnostic) => return Ok(edit::refuse(&sources, &[diagnostic], reporting, err)),
    };
    let name = match environment_name(&request.name, &limits(&specs, Some(&template_root))) {
        Ok(name) => name,
        Err(why) => {
            return Ok(edit::refuse(
                &specs.sources,
                &[bad_name(&request.name, &why)],
                reporting,
                err,
            ));
        }
    };
    let existing = match taken(root, &specs, &name, &request.name) {
        Ok(existing) => existing,
        Err(refusal) => return Ok(edit::refuse(&specs.sources, &[refusal], reporting, err)),
    };
    let pins = match image_pins(&specs.stack.root, &request.images) {
        Ok(pins) => pins,
        Err(problems) => return Ok(edit::refuse(&specs.sources, &problems, reporting, err)),
    };
    let display = format!("{}/{name}.yaml", load::ENVIRONMENTS_DIR);
    if let Some(document) = existing
        && !request.update
    {
        let differing = other_pins(&name, document, &pins);
        if !differing.is_empty() {
            return Ok(edit::refuse(&specs.sources, &differing, reporting, err));
        }
        let text = format!("review environment `{name}` exists ({display}); unchanged");
        let summary = Summary::new(exit::OK, text)
            .field("environment", name.as_str())
            .field("changed", false);
        reporting.summary(err, &summary);
        return Ok((exit::OK, format!("{name}\n")));
    }
    let file = existing.map_or(FileId(specs.sources.paths().count()), |d| d.file);
    let mut text = instantiate(&template, &name, &request.name);
    if let Some(date) = expires {
        text = match with_expiry(file, &text, date) {
            Ok(edited) => edited,
            Err(diagnostic) => {
                let shown =
                    edit::onto_disk(vec![diagnostic], file, &text, template_file, &template);
                return Ok(edit::refuse(&sources, &shown, reporting, err));
            }
        };
    }
    for (target, digest) in &pins {
        text = match edit::set_scalar(file, &text, &target.digest_keys(), digest) {
            Ok(edited) => edited,
            Err(diagnostic) => {
                let shown =
                    edit::onto_disk(vec![diagnostic], file, &text, template_file, &template);
                return Ok(edit::refuse(&sources, &shown, reporting, err));
            }
        };
    }
    if let Some(document) = existing
        && specs.sources.file(document.file).text == text
    {
        let text = format!(
            "review environment `{name}` is as the template and pins make it ({display}); unchanged"
        );
        let summary = Summary::new(exit::OK, text)
            .field("environment", name.as_str())
            .field("changed", false);
        reporting.summary(err, &summary);
        return Ok((exit::OK, format!("{name}\n")));
    }
    let candidate = match edit::with_environment(&specs, &name, text.clone()) {
        Ok(candidate) => candidate,
        Err((_, diagnostic)) => {
            let shown = edit::onto_disk(vec![diagnostic], file, &text, template_file, &template);
            return Ok(edit::refuse(&sources, &shown, reporting, err));
        }
    };
    if tier(&candidate, &name) != Some(Tier::Review) {
        return Ok(edit::refuse(
            &sources,
            &[not_review_template()],
            reporting,
            err,
        ));
    }
    let candidate_sources = candidate.sources.clone();
    let warnings = match compile::compile_specs(candidate) {
        Ok(compiled) => compiled
            .warnings
            .into_iter()
            .filter(|d| d.span.is_some_and(|s| s.file == file))
            .collect::<Vec<_>>(),
        Err(invalid) => {
            // Shown at the template's lines: the new file is not on disk.
            let shown = edit::onto_disk(invalid.diagnostics, file, &text, template_file, &template);
            let help = format!(
                "the new file comes from {TEMPLATE_PATH}; fix it or the stack, then run `mcpstack review add` again"
            );
            return Ok(edit::refuse_with_help(
                &sources, &shown, &help, reporting, err,
            ));
        }
    };
    let path = edit::environment_path(root, &name);
    let (mode, done) = match existing {
        Some(_) => (WriteMode::Replace, "updated"),
        None => (WriteMode::Create, "created"),
    };
    edit::write_spec(&path, &text, mode)?;
    // Shown once written: the lines they quote are on disk.
    reporting.emit(&candidate_sources, &warnings, err);
    let text = format!(
        "{done} review environment `{name}` ({display}) from {:?}; run `mcpstack build` to generate it",
        request.name
    );
    let summary = Summary::new(exit::OK, text)
        .field("environment", name.as_str())
        .field("changed", true);
    reporting.summary(err, &summary);
    Ok((exit::OK, format!("{name}\n")))
}

/// Today plus a `--ttl`.
fn expiry_date(ttl: &str) -> Result<Date, String> {
    let days = expiry::parse_ttl(ttl)?;
    Ok(expiry::today()?.plus_days(days))
}

/// `text` expiring on `date`: a line `expires: DATE` right after the top-level
/// `tier:` line, so the template's layout stays as it is; an `expires` the template
/// already sets, or a layout without a one-line `tier:`, is edited as a scalar instead.
pub fn with_expiry(file: FileId, text: &str, date: Date) -> Result<String, Diagnostic> {
    let value = date.to_string();
    let has_expires = load::parse(file, text)
        .map(|root| root.get("expires").is_some())
        .unwrap_or(false);
    let tier_line = text.split_inclusive('\n').scan(0, |at, line| {
        let start = *at;
        *at += line.len();
        Some((start, line))
    });
    let found = tier_line
        .map(|(start, line)| (start, line, line.trim_start_matches('\u{feff}')))
        .find(|(_, _, bare)| bare.starts_with("tier:"));
    let simple = found.filter(|(_, _, bare)| {
        let rest = bare["tier:".len()..].split('#').next().unwrap_or("");
        !rest.trim().is_empty() && !rest.contains(['{', '[', '&', '*', '|', '>'])
    });
    match simple {
        Some((start, line, _)) if !has_expires => {
            let newline = if line.ends_with("\r\n") { "\r\n" } else { "\n" };
            let end = start + line.len();
            let mut out = String::with_capacity(text.len() + 24);
            out.push_str(&text[..end]);
            if !line.ends_with('\n') {
                out.push_str(newline);
            }
            out.push_str(&format!("expires: {value}{newline}"));
            out.push_str(&text[end..]);
            Ok(out)
        }
        _ => edit::set_scalar(file, text, &["expires".to_owned()], &value),
    }
}

/// The `--image` pins an existing environment does not hold, as errors: without
/// `--update`, `review add` leaves the file as it is only when it already runs them.
fn other_pins(name: &str, document: &Document, pins: &[(Target, String)]) -> Vec<Diagnostic> {
    pins.iter()
        .filter_map(|(target, digest)| {
            let path = target
                .digest_keys()
                .iter()
                .fold(FieldPath::root(), |path, key| path.key(key));
            let current = match document.root.at(&path).map(|n| &n.value) {
                Some(Value::String(current)) if current == digest => return None,
                Some(Value::String(current)) => format!("pins {current}"),
                _ => "pins no digest".to_owned(),
            };
            let located = document.root.locate(&path);
            Some(
                Diagnostic::error(
                    Code::EnvironmentExists,
                    format!("review environment `{name}` exists and {current} at `{path}`"),
                )
                .at(located.span)
                .path(path)
                .expected(format!("`{digest}`, as `--image` asks"))
                .help("add `--update` to make the environment again from the template with these pins"),
            )
        })
        .collect()
}

/// `review remove` deletes only review environments, so `review add` creates only those.
fn not_review_template() -> Diagnostic {
    Diagnostic::error(
        Code::TemplateTier,
        format!("{TEMPLATE_PATH} does not make a review environment"),
    )
    .path(FieldPath::root().key("tier"))
    .expected("`tier: review` in the template")
}

fn bad_name(raw: &str, why: &str) -> Diagnostic {
    Diagnostic::error(
        Code::InvalidName,
        format!("{raw:?} cannot name a review environment: {why}"),
    )
    .expected("a name with ASCII letters or digits, e.g. a branch name or a pull request number")
}

/// The environment `review add` made for `raw` under `name`, if it exists (`Ok(None)`
/// when no environment has the name); `Err` when the name is reserved, or an
/// environment that `review add` did not create for `raw` has it: staging, production,
/// a hand-written environment, or another branch's whose name became the same.
fn taken<'a>(
    root: &Path,
    specs: &'a Specs,
    name: &str,
    raw: &str,
) -> Result<Option<&'a Document>, Diagnostic> {
    let stack = load::STACK_FILE.trim_end_matches(".yaml");
    let from = match raw == name {
        true => String::new(),
        false => format!("{raw:?} becomes `{name}`, and "),
    };
    if name == stack {
        return Err(Diagnostic::error(
            Code::ReservedName,
            format!("{from}`{stack}` names the shared stack file, not an environment"),
        )
        .help("choose another name"));
    }
    let document = specs
        .environments
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, d)| d);
    if document.is_none() && !edit::environment_path(root, name).exists() {
        return Ok(None);
    }
    if let Some(document) = document
        && tier(specs, name) == Some(Tier::Review)
        && created_for(&specs.sources.file(document.file).text, raw)
    {
        return Ok(Some(document));
    }
    let mut diagnostic = Diagnostic::error(
        Code::EnvironmentExists,
        format!("{from}environment `{name}` already exists"),
    )
    .expected(format!(
        "a name no environment has; `review add` re-uses only an environment it created for {raw:?}"
    ));
    diagnostic = match tier(specs, name) {
        Some(Tier::Review) => diagnostic.help(format!(
            "use it as it is, or run `mcpstack review remove {name}` first"
        )),
        _ => diagnostic.help("choose another name"),
    };
    Err(diagnostic)
}

/// Whether `text` is a file `review add` created for `raw`: it holds the creation
/// comment naming `raw`.
fn created_for(text: &str, raw: &str) -> bool {
    let comment = marker(raw);
    text.lines().any(|line| line.starts_with(&comment))
}

/// `SERVICE=DIGEST` arguments as targets and digests, or every problem with them.
fn image_pins(stack: &Node, images: &[String]) -> Result<Vec<(Target, String)>, Vec<Diagnostic>> {
    let mut pins: Vec<(Target, String)> = Vec::new();
    let mut problems = Vec::new();
    for image in images {
        let Some((name, digest)) = image.split_once('=') else {
            problems.push(
                Diagnostic::error(
                    Code::InvalidArgument,
                    format!("`--image {image}` is not SERVICE=DIGEST"),
                )
                .expected("`--image SERVICE=sha256:<64 hex digits>`"),
            );
            continue;
        };
        let target = pin::find_target(stack, name.trim());
        let digest_problem = pin::digest_problem(digest.trim());
        match (target, digest_problem) {
            (Ok(target), None) if pins.iter().any(|(t, _)| *t == target) => problems.push(
                Diagnostic::error(Code::InvalidArgument, format!("`{name}` is pinned twice"))
                    .help("give one `--image` per service"),
            ),
            (Ok(target), None) => pins.push((target, digest.trim().to_owned())),
            (target, digest_problem) => {
                problems.extend(target.err());
                problems.extend(digest_problem);
            }
        }
    }
    match problems.is_empty() {
        true => Ok(pins),
        false => Err(problems),
    }
}

// ---------------------------------------------------------------------------------------
// `review remove`.

/// Run `review remove`: the exit code and what goes to stdout (the environment name).
pub fn remove(
    root: &Path,
    raw: &str,
    reporting: &Reporting,
    err: &mut dyn Write,
) -> Result<(u8, String), Error> {
    let Some(specs) = edit::loaded(root, reporting, err)? else {
        return Ok((exit::INVALID, String::new()));
    };
    let name = match find_review(root, &specs, raw)? {
        Ok(name) => name,
        Err(near) => {
            if let Some(near) = near {
                let text = format!(
                    "review environment `{near}` exists; remove it with `mcpstack review remove {near}` if that was meant"
                );
                reporting.note(err, NoteLevel::Warning, &text);
            }
            let text = format!("no review environment for {raw:?}; nothing to remove");
            let summary = Summary::new(exit::OK, text).field("removed", false);
            reporting.summary(err, &summary);
            return Ok((exit::OK, String::new()));
        }
    };
    if let Some(refusal) = not_review(&specs, &name) {
        return Ok(edit::refuse(&specs.sources, &[refusal], reporting, err));
    }
    let path = edit::environment_path(root, &name);
    std::fs::remove_file(&path).map_err(|e| Error::io(&path, e))?;
    let text = format!(
        "removed review environment `{name}` ({}/{name}.yaml); run `mcpstack build` to remove its output",
        load::ENVIRONMENTS_DIR
    );
    let summary = Summary::new(exit::OK, text)
        .field("environment", name.as_str())
        .field("removed", true);
    reporting.summary(err, &summary);
    Ok((exit::OK, format!("{name}\n")))
}

// ---------------------------------------------------------------------------------------
// `review prune`.

/// Run `review prune`: delete every review environment file whose `expires` date has
/// passed; the exit code and what goes to stdout (the deleted environments' names).
pub fn prune(
    root: &Path,
    reporting: &Reporting,
    err: &mut dyn Write,
) -> Result<(u8, String), Error> {
    let Some(specs) = edit::loaded(root, reporting, err)? else {
        return Ok((exit::INVALID, String::new()));
    };
    let today = match expiry::today() {
        Ok(today) => today,
        Err(why) => {
            let refusal = Diagnostic::error(Code::InvalidArgument, why).expected(format!(
                "{} unset, or a date `YYYY-MM-DD`",
                expiry::TODAY_VAR
            ));
            return Ok(edit::refuse(&specs.sources, &[refusal], reporting, err));
        }
    };
    let expired: Vec<&String> = specs
        .environments
        .iter()
        .filter(|(name, document)| {
            tier(&specs, name) == Some(Tier::Review) && expired(&document.root, today)
        })
        .map(|(name, _)| name)
        .collect();
    let mut out = String::new();
    for name in &expired {
        let path = edit::environment_path(root, name);
        std::fs::remove_file(&path).map_err(|e| Error::io(&path, e))?;
        out.push_str(&format!("{name}\n"));
    }
    let text = match expired.len() {
        0 => format!("no review environment has expired (today is {today}); nothing to remove"),
        n => format!(
            "removed {n} expired review environment(s) (today is {today}); run `mcpstack build` to remove their output"
        ),
    };
    let summary = Summary::new(exit::OK, text).field(
        "removed",
        expired.iter().map(|n| n.as_str()).collect::<Vec<_>>(),
    );
    reporting.summary(err, &summary);
    Ok((exit::OK, out))
}

/// Whether an environment file's `expires` is a date before `today`. A file without a
/// valid date never expires (`check` reports an invalid one).
fn expired(root: &Node, today: Date) -> bool {
    match root.get("expires").map(|n| &n.value) {
        Some(Value::String(text)) => Date::parse(text).is_some_and(|date| today > date),
        _ => false,
    }
}

/// The environment `raw` names: itself, the name `review add` gives it, or the review
/// environment whose creation comment records it. `Err` when there is none, with the
/// name of a review environment it may have been meant for.
fn find_review(
    root: &Path,
    specs: &Specs,
    raw: &str,
) -> Result<Result<String, Option<String>>, Error> {
    let exists = |name: &str| specs.environments.iter().any(|(n, _)| n == name);
    if exists(raw) {
        return Ok(Ok(raw.to_owned()));
    }
    let template =
        read_template(root)?.and_then(|text| load::parse(FileId(usize::MAX), &text).ok());
    if let Ok(name) = environment_name(raw, &limits(specs, template.as_ref()))
        && exists(&name)
    {
        return Ok(Ok(name));
    }
    let comment = marker(raw);
    let recorded = specs.environments.iter().find(|(_, document)| {
        let text = &specs.sources.file(document.file).text;
        text.lines().any(|line| line.starts_with(&comment))
    });
    if let Some((name, _)) = recorded {
        return Ok(Ok(name.clone()));
    }
    let reviews: Vec<&str> = specs
        .environments
        .iter()
        .map(|(n, _)| n.as_str())
        .filter(|n| tier(specs, n) == Some(Tier::Review))
        .collect();
    Ok(Err(
        did_you_mean(&label(raw), reviews.iter().copied()).map(str::to_owned)
    ))
}

/// The tier an environment file states.
fn tier(specs: &Specs, name: &str) -> Option<Tier> {
    let (_, document) = specs.environments.iter().find(|(n, _)| n == name)?;
    let json = document.root.get("tier")?.to_json();
    serde_json::from_value(json).ok()
}

/// The refusal to remove an environment that is not a review environment.
fn not_review(specs: &Specs, name: &str) -> Option<Diagnostic> {
    let tier = tier(specs, name);
    if tier == Some(Tier::Review) {
        return None;
    }
    let (_, document) = specs.environments.iter().find(|(n, _)| n == name)?;
    let path = FieldPath::root().key("tier");
    let what = tier.map_or("an environment without a review tier".to_owned(), |t| {
        format!("a {} environment", t.as_str())
    });
    Some(
        Diagnostic::error(
            Code::NotAReviewEnvironment,
            format!("`{name}` is {what}; `review remove` deletes only review environments"),
        )
        .at(document.root.locate(&path).span)
        .path(path)
        .expected("`tier: review`")
        .help(format!(
            "delete {}/{name}.yaml by hand if you really mean to remove it",
            load::ENVIRONMENTS_DIR
        )),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(services: &[&str]) -> Limits {
        let hosted: Vec<String> = services.iter().map(|s| (*s).to_owned()).collect();
        let mut units = hosted.clone();
        units.push(flux::NAMESPACE_UNIT.to_owned());
        Limits {
            units,
            hosted,
            host_pattern: hostname::default_pattern(Tier::Review).to_owned(),
            domain: Some("example.com".to_owned()),
            fixed_namespace: false,
            flux_prefix: String::new(),
        }
    }

    fn name(raw: &str) -> Result<String, String> {
        environment_name(raw, &limits(&["gateway", "fast-time"]))
    }

    #[test]
    fn labels_are_lowercase_words_joined_by_dashes() {
        for (raw, expected) in [
            ("feature/Add_SSE-support!!", "feature-add-sse-support"),
            ("PR 42", "pr-42"),
            ("  --Hello,   World--  ", "hello-world"),
            ("Ünïcödé café", "unicode-cafe"),
            ("Straße", "strasse"),
            ("naïve/日本語/fix", "naive-fix"),
            ("emoji 🚀 launch", "emoji-launch"),
            ("release/1.2.3", "release-1-2-3"),
            ("日本語", ""),
            ("!!!", ""),
        ] {
            assert_eq!(label(raw), expected, "{raw:?}");
        }
    }

    #[test]
    fn numbers_alone_name_pull_requests() {
        assert_eq!(name("42"), Ok("pr-42".to_owned()));
        assert_eq!(name("#42"), Ok("pr-42".to_owned()));
        assert_eq!(name("PR 42"), Ok("pr-42".to_owned()));
        assert_eq!(name("3d-viewer"), Ok("3d-viewer".to_owned()));
    }

    #[test]
    fn empty_names_are_refused() {
        for raw in ["", "   ", "---", "日本語"] {
            assert!(name(raw).is_err(), "{raw:?}");
        }
    }

    #[test]
    fn long_names_are_shortened_with_a_stable_hash() {
        let raw = format!("feature/{}", "very-long-branch-name-".repeat(5));
        let shortened = name(&raw).expect("a name");
        let limits = limits(&["gateway", "fast-time"]);
        assert_eq!(limits.problem(&shortened), None);
        assert_eq!(name(&raw), Ok(shortened.clone()), "stable");
        let hash = format!("{:08x}", fnv1a(raw.as_bytes()));
        assert!(shortened.ends_with(&format!("-{hash}")), "{shortened}");
        assert!(
            shortened.starts_with("feature-very-long-branch"),
            "{shortened}"
        );
        // The longest unit name is exactly at the limit: as much of the name as fits.
        assert_eq!(flux::unit_name("", &shortened, "namespace").len(), 63);
        let other = name(&format!("{raw}x")).expect("a name");
        assert_ne!(shortened, other, "different raw names stay apart");
    }

    #[test]
    fn every_derived_name_bounds_the_length() {
        let long_service = "a-service-with-a-rather-long-name-for-testing-limits";
        let limits = limits(&[long_service]);
        let name = environment_name("feature/one-two-three", &limits).expect("a name");
        assert!(
            flux::unit_name("", &name, long_service).len() <= 63,
            "{name}"
        );
        let tight = Limits {
            domain: Some(format!("{}.example.com", "d".repeat(60))),
            ..limits.clone()
        };
        let name = environment_name("feature/one-two-three", &tight).expect("a name");
        assert_eq!(tight.problem(&name), None);
        let impossible = limits_with_units(&["x".repeat(62)]);
        assert!(environment_name("anything", &impossible).is_err());
    }

    fn limits_with_units(units: &[String]) -> Limits {
        Limits {
            units: units.to_vec(),
            ..Limits::default()
        }
    }

    #[test]
    fn fnv1a_matches_the_reference_vectors() {
        assert_eq!(fnv1a(b""), 0x811c_9dc5);
        assert_eq!(fnv1a(b"a"), 0xe40c_292c);
        assert_eq!(fnv1a(b"foobar"), 0xbf9c_f968);
    }

    #[test]
    fn the_template_is_copied_with_its_modeline_one_folder_up() {
        let template = "# yaml-language-server: $schema=../../schema/values.schema.json\n#\n# Review: {env} stays in comments.\ntier: review\nservices:\n  gateway:\n    ingress: {host: gateway.{env}.example.com}\n";
        let text = instantiate(template, "pr-7", "PR 7");
        assert_eq!(
            text,
            "# yaml-language-server: $schema=../schema/values.schema.json\n# Created by `mcpstack review add \"PR 7\"`; `mcpstack review remove pr-7` deletes it.\n#\n# Review: {env} stays in comments.\ntier: review\nservices:\n  gateway:\n    ingress: {host: gateway.pr-7.example.com}\n"
        );
        let bare = instantiate("tier: review\n", "x", "a\nb");
        assert_eq!(
            bare,
            "# Created by `mcpstack review add \"a\\nb\"`; `mcpstack review remove x` deletes it.\ntier: review\n"
        );
    }
}
