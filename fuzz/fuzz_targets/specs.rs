//! Fuzz the front half of the pipeline and the renderer: parse -> compile -> output.
//!
//! Input format (bytes, converted to text lossily, so invalid UTF-8 reaches the parser
//! as U+FFFD): the stack file, then one or more environment files, each introduced by a
//! separator line `====` optionally followed by the file's name:
//!
//! ```text
//! <environments/stack.yaml>
//! ==== production.yaml
//! <environments/production.yaml>
//! ====
//! <environments/staging.yaml>
//! ```
//!
//! A separator without a name names the file `staging.yaml`. Names are trimmed; a name
//! that could not be a file of `environments/*.yaml` on disk (empty, `stack`, with a
//! `/` or NUL, or repeated) drops that file, as `load::load` would never see it.
//!
//! The target crashes when anything panics, or when a diagnostic's span points outside
//! the file it names (line 0, column 0, or a line the file does not have; line 1 of an
//! empty file is allowed).

#![no_main]

use libfuzzer_sys::fuzz_target;
use mcpstack::command;
use mcpstack::compile::{self, Compiled};
use mcpstack::diagnostic::Diagnostic;
use mcpstack::load::{self, Document, Specs};
use mcpstack::source::Sources;

const SEPARATOR: &str = "====";
const DEFAULT_ENVIRONMENT: &str = "staging";
/// More environment files only repeat the same per-environment work.
const MAX_ENVIRONMENTS: usize = 4;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (stack, environments) = split(&text);

    // Like `load::load`: every file is added to `Sources` in file-name order, then
    // parsed; any syntax error stops the run before compiling.
    let mut files: Vec<(String, &str)> = vec![(load::STACK_FILE.to_owned(), stack)];
    files.extend(
        environments
            .into_iter()
            .map(|(name, text)| (format!("{name}.yaml"), text)),
    );
    files.sort_by(|a, b| a.0.cmp(&b.0));

    let mut sources = Sources::default();
    let mut syntax_errors = Vec::new();
    let mut stack_document = None;
    let mut environment_documents = Vec::new();
    for (name, text) in files {
        let file = sources.add(format!("{}/{name}", load::ENVIRONMENTS_DIR), text.to_owned());
        match load::parse(file, &sources.file(file).text) {
            Ok(root) => {
                let document = Document { file, root };
                match name.strip_suffix(".yaml") {
                    Some("stack") => stack_document = Some(document),
                    Some(env) => environment_documents.push((env.to_owned(), document)),
                    None => unreachable!("every name ends in .yaml"),
                }
            }
            Err(diagnostic) => syntax_errors.push(diagnostic),
        }
    }
    if !syntax_errors.is_empty() {
        check_all(&sources, &syntax_errors);
        return;
    }
    let stack = stack_document.expect("the stack parsed");
    let specs = Specs {
        sources,
        stack,
        environments: environment_documents,
    };
    match compile::compile_specs(specs) {
        Ok(compiled) => {
            check_all(&compiled.sources, &compiled.warnings);
            render(&compiled);
        }
        Err(invalid) => check_all(&invalid.sources, &invalid.diagnostics),
    }
});

/// The stack's text and the environments' names and texts.
fn split(text: &str) -> (&str, Vec<(String, &str)>) {
    // Byte offsets of separator lines: (start of the line, start of the next line, name).
    let mut separators = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let bare = line.strip_suffix('\n').unwrap_or(line);
        let bare = bare.strip_suffix('\r').unwrap_or(bare);
        if let Some(rest) = bare.strip_prefix(SEPARATOR) {
            if rest.is_empty() || rest.starts_with(' ') {
                separators.push((offset, offset + line.len(), rest.trim()));
            }
        }
        offset += line.len();
    }
    let stack_end = separators.first().map_or(text.len(), |s| s.0);
    let mut environments: Vec<(String, &str)> = Vec::new();
    for (i, &(_, body_start, name)) in separators.iter().enumerate() {
        let body_end = separators.get(i + 1).map_or(text.len(), |s| s.0);
        let name = if name.is_empty() {
            DEFAULT_ENVIRONMENT
        } else {
            name.strip_suffix(".yaml").unwrap_or(name)
        };
        let on_disk = !name.is_empty()
            && name != "stack"
            && !name.contains(['/', '\0'])
            && !environments.iter().any(|(n, _)| n == name);
        if on_disk && environments.len() < MAX_ENVIRONMENTS {
            environments.push((name.to_owned(), &text[body_start..body_end]));
        }
    }
    (&text[..stack_end], environments)
}

/// Every diagnostic points into the file it names, and renders without panicking.
fn check_all(sources: &Sources, diagnostics: &[Diagnostic]) {
    for diagnostic in diagnostics {
        if let Some(span) = diagnostic.span {
            let file = sources.file(span.file);
            assert!(
                span.line >= 1 && span.column >= 1,
                "diagnostic [{}] {:?} has a 0 line or column: {}:{}:{}",
                diagnostic.code,
                diagnostic.message,
                file.path,
                span.line,
                span.column,
            );
            // An empty file has no lines, but a finding about it (`empty-file`) still
            // points at 1:1 as editors do.
            let empty_file_start = file.text.is_empty() && span.line == 1;
            assert!(
                empty_file_start || sources.line(span.file, span.line).is_some(),
                "diagnostic [{}] {:?} points at line {} of {}, which has {} line(s)",
                diagnostic.code,
                diagnostic.message,
                span.line,
                file.path,
                file.text.lines().count(),
            );
        }
        let _ = diagnostic.render(sources);
        let _ = diagnostic.to_json(sources);
        let _ = diagnostic.github_annotation(sources);
    }
}

/// The whole output tree, in memory. Specs that compiled always render: an internal
/// error here is a bug, so it crashes like a panic.
fn render(compiled: &Compiled) {
    let tree = command::output(compiled).expect("compiled specs render");
    std::hint::black_box(tree);
}
