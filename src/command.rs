//! The commands of the command-line contract, as library calls: each takes a resolved
//! [`Config`] and writers, and returns the exit code.

use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use crate::Error;
use crate::compile::{self, Compiled, Invalid};
use crate::diagnostic::{Code, Diagnostic, NoteLevel, Reporting, Summary, did_you_mean};
use crate::exit;
use crate::init;
use crate::pin;
use crate::record::{self, Replay};
use crate::registry;
use crate::render;
use crate::review;
use crate::schema;
use crate::tree::{self, OutputTree};
use crate::write;

/// What to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Build,
    Check,
    Validate,
    Render {
        environment: String,
    },
    Schema,
    /// Set an image digest in an environment file.
    Pin(pin::Request),
    /// Create a review environment's spec file from the review template.
    ReviewAdd(review::AddRequest),
    /// Delete a review environment's spec file.
    ReviewRemove {
        name: String,
    },
    /// Delete the review environments whose `expires` date has passed.
    ReviewPrune,
    /// Start a new project in the root, then build it.
    Init(init::Request),
    /// Compare the objects of a revision's specs with the working tree's.
    Diff(crate::diff::Request),
}

/// A resolved invocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The project root (`-C DIR`).
    pub root: PathBuf,
    pub command: Command,
    /// How diagnostics are shown, and whether warnings fail the run.
    pub reporting: Reporting,
}

/// Run one command; errors of the environment are reported on `err` with exit code 3.
pub fn run(config: &Config, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    let result = match &config.command {
        Command::Build => build(config, err, true),
        Command::Check => build(config, err, false).and_then(|(code, diff)| {
            out.write_all(diff.as_bytes()).map_err(stdout_error)?;
            Ok((code, String::new()))
        }),
        Command::Validate => validate(config, err).map(|code| (code, String::new())),
        Command::Render { environment } => {
            render_environment(config, environment, err).map(|(code, text)| {
                let _ = out.write_all(text.as_bytes());
                (code, String::new())
            })
        }
        Command::Schema => out
            .write_all(schema::text().as_bytes())
            .map(|()| (exit::OK, String::new()))
            .map_err(stdout_error),
        Command::Pin(request) => {
            let settings = match request.resolve {
                true => registry::Settings::from_env(),
                false => registry::Settings::default(),
            };
            pin::run(&config.root, request, &settings, &config.reporting, err)
                .and_then(|r| print(r, out))
        }
        Command::ReviewAdd(request) => {
            review::add(&config.root, request, &config.reporting, err).and_then(|r| print(r, out))
        }
        Command::ReviewRemove { name } => {
            review::remove(&config.root, name, &config.reporting, err).and_then(|r| print(r, out))
        }
        Command::ReviewPrune => {
            review::prune(&config.root, &config.reporting, err).and_then(|r| print(r, out))
        }
        Command::Init(request) => init_project(config, request, err),
        Command::Diff(request) => crate::diff::run(&config.root, request, &config.reporting, err)
            .and_then(|r| print(r, out)),
    };
    match result {
        Ok((code, _)) => code,
        Err(error) => {
            config
                .reporting
                .summary(err, &Summary::failure(exit::FAILURE, error.to_string()));
            exit::FAILURE
        }
    }
}

/// `init`: write the new project's files, then do the work of `build` on it.
fn init_project(
    config: &Config,
    request: &init::Request,
    err: &mut dyn Write,
) -> Result<(u8, String), Error> {
    let count = match init::create(&config.root, request, &config.reporting, err)? {
        Ok(count) => count,
        Err(code) => return Ok((code, String::new())),
    };
    let text = format!(
        "created {count} file(s) in {} (environments/ and {}); building it",
        config.root.display(),
        init::WORKFLOW_PATH
    );
    config.reporting.note(err, NoteLevel::Info, &text);
    build(config, err, true)
}

/// Write a command's stdout text; the exit code passes through.
fn print((code, text): (u8, String), out: &mut dyn Write) -> Result<(u8, String), Error> {
    out.write_all(text.as_bytes()).map_err(stdout_error)?;
    Ok((code, String::new()))
}

fn stdout_error(source: std::io::Error) -> Error {
    Error::io(std::path::Path::new("<stdout>"), source)
}

/// Compile, reporting diagnostics; `None` when the specs are invalid.
fn compiled(config: &Config, err: &mut dyn Write) -> Result<Option<Compiled>, Error> {
    match compile::compile(&config.root)? {
        Ok(compiled) => {
            let reported = warnings_allowed(config, &compiled.sources, &compiled.warnings, err);
            Ok(reported.then_some(compiled))
        }
        Err(Invalid {
            sources,
            diagnostics,
        }) => {
            config.reporting.emit(&sources, &diagnostics, err);
            let errors = diagnostics.iter().filter(|d| d.is_error()).count();
            let text = format!("{errors} error(s); nothing was written");
            config
                .reporting
                .summary(err, &Summary::new(exit::INVALID, text));
            Ok(None)
        }
    }
}

/// Show a valid stack's warnings; `false` (with the summary said) when
/// `--deny-warnings` turns them into a failure.
fn warnings_allowed(
    config: &Config,
    sources: &crate::source::Sources,
    warnings: &[Diagnostic],
    err: &mut dyn Write,
) -> bool {
    config.reporting.emit(sources, warnings, err);
    if !config.reporting.deny_warnings || warnings.is_empty() {
        return true;
    }
    let count = warnings.len();
    let text = format!("{count} warning(s) denied (--deny-warnings); nothing was written");
    config
        .reporting
        .summary(err, &Summary::new(exit::INVALID, text));
    false
}

/// The build lock, saying so when the run has to wait for another one.
fn lock(config: &Config, apply: bool, err: &mut dyn Write) -> Result<std::fs::File, Error> {
    write::lock(&config.root, apply, &mut || {
        let text = format!(
            "waiting for another mcpstack run on {}",
            config.root.display()
        );
        config.reporting.note(err, NoteLevel::Info, &text);
    })
}

/// The whole output: `generated/` and the schema. `Err` is an internal error: the
/// compiled model breaks an invariant rendering relies on.
pub fn output(compiled: &Compiled) -> Result<OutputTree, Error> {
    let stack_source = compiled
        .sources
        .paths()
        .find(|p| p.ends_with("/stack.yaml"))
        .unwrap_or("environments/stack.yaml");
    let mut tree = render::generated(&compiled.stack, stack_source)?;
    tree.insert(schema::SCHEMA_PATH.to_owned(), schema::text());
    Ok(tree)
}

/// `build` (write) or `check` (compare and return the diff). When the build record
/// proves that the inputs and `generated/` are what the last build left, the findings
/// are replayed from it instead (see [`record`]).
fn build(config: &Config, err: &mut dyn Write, apply: bool) -> Result<(u8, String), Error> {
    let started = Instant::now();
    let inputs = record::inputs(&config.root);
    if let Some(inputs) = &inputs {
        let lock = lock(config, apply, err)?;
        if let Some(replay) = record::replay(&config.root, inputs) {
            return replayed(config, err, apply, replay, started);
        }
        drop(lock);
    }
    let Some(compiled) = compiled(config, err)? else {
        return Ok((exit::INVALID, String::new()));
    };
    let tree = output(&compiled)?;
    // Held until the build is written (or the check compared): two runs at once wait
    // for each other instead of interleaving.
    let _lock = lock(config, apply, err)?;
    let proof = record::Proof::read(&config.root);
    let root = config.root.as_path();
    let known = |path: &str, contents: &str| {
        proof
            .as_ref()
            .is_some_and(|p| p.holds(root, path, contents))
    };
    let plan = write::plan_knowing(&config.root, &tree, &known)?;
    let environments = compiled.stack.environments.len();
    if apply {
        let written: Vec<&String> = plan.missing.keys().chain(plan.stale.keys()).collect();
        let mut staged = record::Staged::default();
        let summary = write::apply_observed(&config.root, &plan, &mut |staging| {
            staged = record::Staged::of(staging, &written);
        })?;
        if let Some(inputs) = &inputs {
            let proof = proof.as_ref();
            record::take(&config.root, inputs, &compiled, &tree, proof, &staged);
        }
        built(config, err, environments, summary, started);
        return Ok((exit::OK, String::new()));
    }
    let diff = if plan.is_clean() {
        String::new()
    } else {
        write::diff(&plan)
    };
    Ok((checked(config, err, environments, &plan, started), diff))
}

/// `build` or `check` of a project the build record proves up to date: the same
/// warnings and summary as the full run, nothing compiled or read back. A build also
/// removes a killed build's leftovers, and takes the record again when some file had to
/// be read to prove it unchanged.
fn replayed(
    config: &Config,
    err: &mut dyn Write,
    apply: bool,
    mut replay: Replay,
    started: Instant,
) -> Result<(u8, String), Error> {
    if !warnings_allowed(config, &replay.sources, &replay.warnings, err) {
        return Ok((exit::INVALID, String::new()));
    }
    let plan = write::Plan {
        unchanged: std::mem::take(&mut replay.files),
        ..write::Plan::default()
    };
    if !apply {
        let code = checked(config, err, replay.environments, &plan, started);
        return Ok((code, String::new()));
    }
    let summary = write::apply(&config.root, &plan)?;
    record::retake(&config.root, &mut replay);
    built(config, err, replay.environments, summary, started);
    Ok((exit::OK, String::new()))
}

/// Say what a build did.
fn built(
    config: &Config,
    err: &mut dyn Write,
    environments: usize,
    summary: write::Summary,
    started: Instant,
) {
    // Taken once the files are written: the time the build took, writing included.
    let elapsed = started.elapsed().as_secs_f64();
    let text = format!(
        "built {environments} environment(s): {} file(s) written, {} unchanged, {} removed in {elapsed:.2}s",
        summary.written, summary.unchanged, summary.removed
    );
    let summary = Summary::new(exit::OK, text)
        .field("environments", environments)
        .field("written", summary.written)
        .field("unchanged", summary.unchanged)
        .field("removed", summary.removed)
        .field("seconds", seconds(elapsed));
    config.reporting.summary(err, &summary);
}

/// Say what a check found; its exit code.
fn checked(
    config: &Config,
    err: &mut dyn Write,
    environments: usize,
    plan: &write::Plan,
    started: Instant,
) -> u8 {
    let elapsed = started.elapsed().as_secs_f64();
    let code = match plan.is_clean() {
        true => exit::OK,
        false => exit::DRIFT,
    };
    let text = format!(
        "checked {environments} environment(s): {} stale, {} missing, {} extra, {} up to date in {elapsed:.2}s",
        plan.stale.len(),
        plan.missing.len(),
        plan.extra.len(),
        plan.unchanged.len()
    );
    let mut summary = Summary::new(code, text)
        .field("environments", environments)
        .field("stale", plan.stale.len())
        .field("missing", plan.missing.len())
        .field("extra", plan.extra.len())
        .field("unchanged", plan.unchanged.len())
        .field("seconds", seconds(elapsed));
    if !plan.is_clean() {
        summary = summary.help("run `mcpstack build` and commit the result");
    }
    if config.reporting.github_annotations {
        for line in stale_annotations(plan) {
            let _ = writeln!(err, "{line}");
        }
    }
    config.reporting.summary(err, &summary);
    code
}

/// Under GitHub Actions, one workflow command per file `check` found out of date, so the
/// drift shows on the pull request's diff: a stale file at its first differing line.
fn stale_annotations(plan: &write::Plan) -> Vec<String> {
    let title = "mcpstack check";
    let help = "run `mcpstack build` and commit the result";
    let annotate = |file: &str, line: Option<usize>, what: &str| {
        crate::diagnostic::github_file_annotation(
            crate::diagnostic::Severity::Error,
            file,
            line,
            title,
            &format!("{what}; {help}"),
        )
    };
    let stale = plan.stale.iter().map(|(path, (old, new))| {
        let line = old
            .lines()
            .zip(new.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| old.lines().count().min(new.lines().count()))
            + 1;
        annotate(path, Some(line), "generated file is out of date")
    });
    let missing = plan
        .missing
        .keys()
        .map(|path| annotate(path, None, "generated file is missing"));
    let extra = plan
        .extra
        .keys()
        .map(|path| annotate(path, None, "generated file is no longer produced"));
    stale.chain(missing).chain(extra).collect()
}

/// Seconds rounded to milliseconds, for JSON summaries.
fn seconds(elapsed: f64) -> f64 {
    (elapsed * 1000.0).round() / 1000.0
}

fn validate(config: &Config, err: &mut dyn Write) -> Result<u8, Error> {
    let known = record::inputs(&config.root).and_then(|i| record::known(&config.root, &i));
    let (environments, warnings) = match known {
        Some(replay) => {
            if !warnings_allowed(config, &replay.sources, &replay.warnings, err) {
                return Ok(exit::INVALID);
            }
            (replay.environments, replay.warnings.len())
        }
        None => {
            let Some(compiled) = compiled(config, err)? else {
                return Ok(exit::INVALID);
            };
            (compiled.stack.environments.len(), compiled.warnings.len())
        }
    };
    let text = format!("{environments} environment(s) valid, {warnings} warning(s)");
    let summary = Summary::new(exit::OK, text).field("environments", environments);
    config.reporting.summary(err, &summary);
    Ok(exit::OK)
}

fn render_environment(
    config: &Config,
    name: &str,
    err: &mut dyn Write,
) -> Result<(u8, String), Error> {
    if let Some(rendered) = render_proven(config, name, err)? {
        return Ok(rendered);
    }
    let Some(compiled) = compiled(config, err)? else {
        return Ok((exit::INVALID, String::new()));
    };
    let Some(env) = compiled.stack.environments.iter().find(|e| e.name == name) else {
        let names: Vec<&str> = compiled
            .stack
            .environments
            .iter()
            .map(|e| e.name.as_str())
            .collect();
        let mut diagnostic =
            Diagnostic::error(Code::UnknownEnvironment, format!("no environment `{name}`"))
                .expected(format!(
                    "one of {}",
                    names
                        .iter()
                        .map(|n| format!("`{n}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
        if let Some(near) = did_you_mean(name, names.iter().copied()) {
            diagnostic = diagnostic.help(format!("did you mean `{near}`?"));
        }
        config.reporting.emit(&compiled.sources, &[diagnostic], err);
        return Ok((exit::INVALID, String::new()));
    };
    let objects = render::environment_objects(&compiled.stack, env);
    Ok((exit::OK, tree::to_yaml_stream(&objects)))
}

/// `render ENV` of a project whose inputs the build record proves valid: the
/// environment is layered and lowered alone, without the checks every environment
/// passed when the record was taken, and the recorded warnings are shown. `None` when
/// the record does not prove it, or the inputs changed while they were read.
fn render_proven(
    config: &Config,
    name: &str,
    err: &mut dyn Write,
) -> Result<Option<(u8, String)>, Error> {
    let Some(inputs) = record::inputs(&config.root) else {
        return Ok(None);
    };
    let Some(known) = record::known(&config.root, &inputs) else {
        return Ok(None);
    };
    let Some(stack) = compile::proven_environment(&config.root, name)? else {
        return Ok(None);
    };
    if !inputs.unchanged(&config.root) {
        return Ok(None);
    }
    if !warnings_allowed(config, &known.sources, &known.warnings, err) {
        return Ok(Some((exit::INVALID, String::new())));
    }
    let objects = stack
        .environments
        .iter()
        .flat_map(|env| render::environment_objects(&stack, env))
        .collect::<Vec<_>>();
    Ok(Some((exit::OK, tree::to_yaml_stream(&objects))))
}
