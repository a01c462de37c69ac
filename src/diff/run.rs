//! The `diff` command: read the base revision's specs, compile both sides, compare,
//! print.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use super::format::{self, Options, Sides};
use super::{Rendered, compare, rendered};
use crate::Error;
use crate::compile::{self, Invalid};
use crate::diagnostic::{Code, Diagnostic, NoteLevel, Reporting, Summary, did_you_mean};
use crate::exit;
use crate::revision::{self, Problem};
use crate::source::Sources;

/// What `diff` was asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The git revision to compare the working tree with.
    pub base: String,
    /// Only these environments; empty: all.
    pub environments: Vec<String>,
    pub format: Format,
    pub names_only: bool,
    /// Exit 1 when anything differs.
    pub exit_code: bool,
    /// Colour in the human format.
    pub color: bool,
}

/// How the diff is printed on stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Human,
    Markdown,
    Json,
}

/// What the working tree side is called.
const HEAD_SIDE: &str = "the working tree";

/// Run `diff`: the exit code and the text for stdout.
pub fn run(
    root: &Path,
    request: &Request,
    reporting: &Reporting,
    err: &mut dyn Write,
) -> Result<(u8, String), Error> {
    let head = match side(root, "the working tree's specs", reporting, err)? {
        Ok(head) => head,
        Err(code) => return Ok((code, String::new())),
    };
    let checkout = match revision::specs_at(root, &request.base) {
        Ok(checkout) => checkout,
        Err(Problem::UnknownRevision { revision, detail }) => {
            let diagnostic = Diagnostic::error(
                Code::UnknownRevision,
                format!("`{revision}` is not a revision of this repository"),
            )
            .expected("a commit, branch or tag git knows, e.g. `HEAD`, `origin/main`")
            .help(detail);
            return Ok(refused(
                &Sources::default(),
                &[diagnostic],
                "arguments",
                reporting,
                err,
            ));
        }
        Err(Problem::Git(message)) => {
            reporting.summary(err, &Summary::failure(exit::FAILURE, message));
            return Ok((exit::FAILURE, String::new()));
        }
    };
    let base_side = format!("the specs at `{}`", request.base);
    let base = match checkout.has_specs {
        false => {
            let text = format!(
                "`{}` has no environments/ folder here: every environment is new",
                request.base
            );
            reporting.note(err, NoteLevel::Info, &text);
            BTreeMap::new()
        }
        true => match side(checkout.root(), &base_side, reporting, err)? {
            Ok(base) => base,
            Err(code) => return Ok((code, String::new())),
        },
    };
    if let Some(unknown) = unknown_environment(&request.environments, &base, &head) {
        return Ok(refused(
            &Sources::default(),
            &[unknown],
            "arguments",
            reporting,
            err,
        ));
    }
    let diff = compare(&base, &head, &request.environments);
    let sides = Sides {
        base: request.base.clone(),
        head: HEAD_SIDE.to_owned(),
    };
    let options = Options {
        names_only: request.names_only,
        color: request.color,
    };
    let text = match request.format {
        Format::Human => format::human(&diff, &sides, options),
        Format::Markdown => format::markdown(&diff, &sides, options),
        Format::Json => format::json(&diff, &sides, options),
    };
    let differing = diff
        .environments
        .iter()
        .filter(|e| e.status != super::Status::Unchanged)
        .count();
    let code = match (diff.has_changes(), request.exit_code) {
        (true, true) => exit::DRIFT,
        _ => exit::OK,
    };
    let summary = Summary::new(
        code,
        format!(
            "{differing} of {} environment(s) differ from `{}`, {} risk(s)",
            diff.environments.len(),
            request.base,
            diff.risks.len()
        ),
    )
    .field("environments_changed", differing)
    .field("risks", diff.risks.len());
    reporting.summary(err, &summary);
    Ok((code, text))
}

/// One side compiled and rendered, or the exit code after its errors were reported.
fn side(
    root: &Path,
    name: &str,
    reporting: &Reporting,
    err: &mut dyn Write,
) -> Result<Result<BTreeMap<String, Rendered>, u8>, Error> {
    match compile::compile(root)? {
        Ok(compiled) => Ok(Ok(rendered(&compiled.stack))),
        Err(Invalid {
            sources,
            diagnostics,
        }) => Ok(Err(refused(&sources, &diagnostics, name, reporting, err).0)),
    }
}

/// Report errors of one side (or of the arguments): exit 2.
fn refused(
    sources: &Sources,
    diagnostics: &[Diagnostic],
    side: &str,
    reporting: &Reporting,
    err: &mut dyn Write,
) -> (u8, String) {
    reporting.emit(sources, diagnostics, err);
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    let text = match side {
        "arguments" => format!("{errors} error(s) in the arguments; nothing was compared"),
        side => format!("{side} are invalid: {errors} error(s); nothing was compared"),
    };
    reporting.summary(err, &Summary::new(exit::INVALID, text));
    (exit::INVALID, String::new())
}

/// The first requested environment that neither side has.
fn unknown_environment(
    wanted: &[String],
    base: &BTreeMap<String, Rendered>,
    head: &BTreeMap<String, Rendered>,
) -> Option<Diagnostic> {
    let known: Vec<&str> = base.keys().chain(head.keys()).map(String::as_str).collect();
    let name = wanted.iter().find(|w| !known.contains(&w.as_str()))?;
    let mut diagnostic = Diagnostic::error(
        Code::UnknownEnvironment,
        format!("no environment `{name}` on either side"),
    )
    .expected(format!(
        "one of {}",
        known
            .iter()
            .map(|n| format!("`{n}`"))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    if let Some(near) = did_you_mean(name, known.iter().copied()) {
        diagnostic = diagnostic.help(format!("did you mean `{near}`?"));
    }
    Some(diagnostic)
}
