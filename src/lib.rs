//! mcpstack: compile a stack of MCP workloads, described once with per-environment
//! differences, into committed Kustomize bases and overlays and Flux objects.
//!
//! The pipeline, one module per phase: `load` (read and parse) -> `merge` (layer each
//! environment over the stack) -> `validate` (schema, then semantic rules) -> `lower`
//! (resolve defaults into the `model`) -> `render` (objects and files) -> `tree` (the
//! whole output in memory) -> `write` (compare, write or diff). Only `load` reads the
//! disk and only `write` changes it, besides the build `record`, which lets a run on an
//! up-to-date project skip the pipeline.

pub mod command;
pub mod compile;
pub mod diagnostic;
pub mod diff;
pub mod edit;
pub mod exit;
pub mod expiry;
pub mod helm_values;
pub mod hostname;
pub mod image;
pub mod init;
pub mod load;
pub mod lower;
pub mod merge;
pub mod model;
pub mod network;
pub mod node;
pub mod parallel;
pub mod pin;
pub mod placement;
pub mod plaintext;
pub mod record;
pub mod registry;
pub mod render;
pub mod review;
pub mod revision;
pub mod schema;
pub mod source;
pub mod spec;
pub mod tree;
pub mod validate;
pub mod write;

use std::path::{Path, PathBuf};

/// A failure of the environment rather than of the specs: exit code 3.
#[derive(Debug)]
pub enum Error {
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// Writing would destroy something that is not ours, or leave `generated/`.
    Unsafe {
        path: PathBuf,
        reason: String,
    },
    Internal(String),
    /// No `environments/` where a project was looked for.
    NotAProject {
        root: PathBuf,
    },
}

impl Error {
    pub fn io(path: &Path, source: std::io::Error) -> Self {
        Error::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Io { path, source } => write!(f, "{}: {source}", path.display()),
            Error::Unsafe { path, reason } => {
                write!(f, "refusing to write {}: {reason}", path.display())
            }
            Error::Internal(message) => write!(f, "internal error: {message}"),
            Error::NotAProject { root } => write!(
                f,
                "no {}/ folder in {}: a project keeps its specs in environments/, a \
                 stack.yaml and one file per environment such as staging.yaml; mcpstack looks \
                 in the current folder and those above it, or in -C DIR; start a project by \
                 creating environments/stack.yaml",
                crate::load::ENVIRONMENTS_DIR,
                root.display()
            ),
        }
    }
}

impl std::error::Error for Error {}
