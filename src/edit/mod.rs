//! Editing spec files, shared by `pin` and `review`: load the project, change a file's
//! text in memory ([`text::set_scalar`]), validate the project with the edited text
//! ([`with_environment`]), show diagnostics about unwritten text on the lines on disk
//! ([`onto_disk`]), and write the file atomically ([`write_spec`]) only when the edit
//! passed; or refuse, writing nothing ([`refuse`]).

pub mod text;

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::Error;
use crate::diagnostic::{Diagnostic, Reporting, Summary};
use crate::exit;
use crate::load::{self, Document, Loaded, Specs};
use crate::source::{self, FileId, Sources, Span};

pub use text::set_scalar;

/// Diagnostics about `edited`, the text of file `from` that is not on disk, moved to
/// the lines of `disk`, the text of file `to` it was made from, so that no diagnostic
/// quotes a line that is not on disk: a line kept from `disk` is shown where it is
/// there; an added or changed line as the line of `disk` it replaced or follows.
pub fn onto_disk(
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
pub fn loaded(
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
pub fn refuse(
    sources: &Sources,
    diagnostics: &[Diagnostic],
    reporting: &Reporting,
    err: &mut dyn Write,
) -> (u8, String) {
    refused(sources, diagnostics, None, reporting, err)
}

/// [`refuse`], with what to do next in the summary.
pub fn refuse_with_help(
    sources: &Sources,
    diagnostics: &[Diagnostic],
    help: &str,
    reporting: &Reporting,
    err: &mut dyn Write,
) -> (u8, String) {
    refused(sources, diagnostics, Some(help), reporting, err)
}

fn refused(
    sources: &Sources,
    diagnostics: &[Diagnostic],
    help: Option<&str>,
    reporting: &Reporting,
    err: &mut dyn Write,
) -> (u8, String) {
    reporting.emit(sources, diagnostics, err);
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    let text = format!("{errors} error(s); nothing was written");
    let summary = Summary::new(exit::INVALID, text);
    let summary = match help {
        Some(help) => summary.help(help),
        None => summary,
    };
    reporting.summary(err, &summary);
    (exit::INVALID, String::new())
}

/// The path of an environment's spec file.
pub fn environment_path(root: &Path, environment: &str) -> PathBuf {
    root.join(load::ENVIRONMENTS_DIR)
        .join(format!("{environment}.yaml"))
}

/// `specs` with environment `name` holding `text`: its file replaced, or a new file
/// added. Every other file keeps its id, so spans stay valid. A `text` that does not
/// parse comes back as its diagnostic, with the sources to render it.
pub fn with_environment(
    specs: &Specs,
    name: &str,
    text: String,
) -> Result<Specs, (Sources, Diagnostic)> {
    let display = format!("{}/{name}.yaml", load::ENVIRONMENTS_DIR);
    // The same project root, so the files ConfigMaps name are read from it.
    let mut sources = match specs.sources.root() {
        Some(root) => Sources::at(root),
        None => Sources::default(),
    };
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
pub enum WriteMode {
    /// Replace it, keeping its permissions.
    Replace,
    /// Fail if it exists: never overwrite.
    Create,
}

/// Write a spec file atomically: a temporary file beside it, renamed over it.
pub fn write_spec(path: &Path, text: &str, mode: WriteMode) -> Result<(), Error> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::Code;

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
}
