//! `init`: a new project whose specs build as they are. The starter (one service, a
//! staging and a production environment, a review template) or, with `--example`, the
//! repository's example stack; and a workflow that runs `mcpstack check` on pull
//! requests. `command` builds the project once the files are written.

use std::io::Write;
use std::path::Path;

use crate::Error;
use crate::diagnostic::{Code, Diagnostic, Reporting};
use crate::edit;
use crate::load;
use crate::source::Sources;

/// What `init` is asked for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Request {
    /// Start from the full example stack instead of the minimal starter.
    pub example: bool,
}

/// The GitHub Actions workflow written into the new project.
pub const WORKFLOW_PATH: &str = ".github/workflows/mcpstack.yml";

/// Folders whose presence means a project is already there.
const TAKEN: [&str; 2] = [load::ENVIRONMENTS_DIR, "generated"];

const STARTER: &[(&str, &str)] = &[
    ("environments/stack.yaml", include_str!("init/stack.yaml")),
    (
        "environments/staging.yaml",
        include_str!("init/staging.yaml"),
    ),
    (
        "environments/production.yaml",
        include_str!("init/production.yaml"),
    ),
    (
        "environments/templates/review.yaml",
        include_str!("init/templates/review.yaml"),
    ),
];

const EXAMPLE: &[(&str, &str)] = &[
    (
        "environments/stack.yaml",
        include_str!("../environments/stack.yaml"),
    ),
    (
        "environments/staging.yaml",
        include_str!("../environments/staging.yaml"),
    ),
    (
        "environments/production.yaml",
        include_str!("../environments/production.yaml"),
    ),
    (
        "environments/pr-42.yaml",
        include_str!("../environments/pr-42.yaml"),
    ),
    (
        "environments/templates/review.yaml",
        include_str!("../environments/templates/review.yaml"),
    ),
    (
        "environments/files/gateway/mcp-catalog.yaml",
        include_str!("../environments/files/gateway/mcp-catalog.yaml"),
    ),
];

const WORKFLOW: &str = include_str!("init/mcpstack.yml");

/// Every file `init` writes (the build writes `generated/` and the schema after it):
/// path relative to the project root, and text.
pub fn files(request: &Request) -> Vec<(&'static str, &'static str)> {
    let specs = match request.example {
        true => EXAMPLE,
        false => STARTER,
    };
    let mut files = specs.to_vec();
    files.push((WORKFLOW_PATH, WORKFLOW));
    files
}

/// Write the new project's files into `root` (created if needed). `Ok(Err(code))` when
/// a project is already there (or a file `init` would write exists): the refusal is
/// reported and nothing is written. `Ok(Ok(n))`: `n` files written.
pub fn create(
    root: &Path,
    request: &Request,
    reporting: &Reporting,
    err: &mut dyn Write,
) -> Result<Result<usize, u8>, Error> {
    let files = files(request);
    let mut refusals = Vec::new();
    for folder in TAKEN {
        if root.join(folder).symlink_metadata().is_ok() {
            refusals.push(
                Diagnostic::error(
                    Code::ProjectExists,
                    format!("{} already holds {folder}/", root.display()),
                )
                .help(
                    "run `mcpstack build` there, or `mcpstack init` into a folder without environments/ or generated/",
                ),
            );
        }
    }
    if refusals.is_empty() {
        for (path, _) in &files {
            if root.join(path).symlink_metadata().is_ok() {
                refusals.push(
                    Diagnostic::error(
                        Code::ProjectExists,
                        format!("{} already holds {path}", root.display()),
                    )
                    .help("move it away; `mcpstack init` never overwrites a file"),
                );
            }
        }
    }
    if !refusals.is_empty() {
        let (code, _) = edit::refuse(&Sources::default(), &refusals, reporting, err);
        return Ok(Err(code));
    }
    for (path, text) in &files {
        let path = root.join(path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
        }
        // `create_new`: a file that appeared since the check is never overwritten.
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .and_then(|mut file| file.write_all(text.as_bytes()))
            .map_err(|e| Error::io(&path, e))?;
    }
    Ok(Ok(files.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spec_file_names_the_editor_schema() {
        for example in [false, true] {
            for (path, text) in files(&Request { example }) {
                // Spec files, not the config files ConfigMaps read (environments/files/).
                if path.starts_with("environments/") && !path.starts_with("environments/files/") {
                    let depth = path.matches('/').count();
                    let modeline = format!(
                        "# yaml-language-server: $schema={}schema/values.schema.json",
                        "../".repeat(depth)
                    );
                    assert_eq!(text.lines().next(), Some(modeline.as_str()), "{path}");
                }
            }
        }
    }

    #[test]
    fn the_workflow_only_reads_and_runs_check_on_pull_requests() {
        assert!(WORKFLOW.contains("permissions:\n  contents: read\n"));
        assert!(WORKFLOW.contains("on:\n  pull_request:\n"));
        assert!(WORKFLOW.contains("run: mcpstack check\n"));
    }
}
