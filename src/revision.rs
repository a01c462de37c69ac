//! The specs as a git revision holds them, for `diff --base REV`: the project's
//! `environments/` folder read from the repository's objects (never from the working
//! tree or the index) into a temporary folder, where `load` reads it like any project.
//!
//! This runs the `git` command rather than linking a git library: the repository may
//! use any of git's formats and extensions (partial clones, alternates, sparse
//! checkouts, SHA-256 object names), and the `git` that made it reads it; CI machines
//! that check out a repository have it. Two processes read everything: `ls-tree` lists
//! the folder, one `cat-file --batch` streams every file.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::load::ENVIRONMENTS_DIR;

/// Why a revision's specs could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// Not a revision of the repository: bad input (exit 2).
    UnknownRevision { revision: String, detail: String },
    /// git is missing, the project is not in a repository, or git failed (exit 3).
    Git(String),
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Problem::UnknownRevision { revision, detail } => {
                write!(
                    f,
                    "`{revision}` is not a revision of this repository: {detail}"
                )
            }
            Problem::Git(message) => f.write_str(message),
        }
    }
}

/// A project root holding the specs of a revision; deleted when dropped.
pub struct Checkout {
    dir: tempfile::TempDir,
    /// Whether the revision has an `environments/` folder at the project's place.
    pub has_specs: bool,
}

impl Checkout {
    pub fn root(&self) -> &Path {
        self.dir.path()
    }
}

/// The project's `environments/` (the project root being `root`, inside a git work
/// tree) as `revision` holds it, written into a temporary project root. Symbolic links
/// stay links, so `load` refuses them as it would on disk.
pub fn specs_at(root: &Path, revision: &str) -> Result<Checkout, Problem> {
    if revision.starts_with('-') {
        return Err(Problem::UnknownRevision {
            revision: revision.to_owned(),
            detail: "a revision does not start with `-`".to_owned(),
        });
    }
    let commit = commit_of(root, revision)?;
    let prefix = git(root, &["rev-parse", "--show-prefix"])?;
    let folder = format!(
        "{}{ENVIRONMENTS_DIR}",
        String::from_utf8_lossy(&prefix).trim()
    );
    let listing = git(
        root,
        &["ls-tree", "-r", "-z", "--full-tree", &commit, "--", &folder],
    )?;
    let entries = entries(&listing, &folder)?;
    let dir = tempfile::Builder::new()
        .prefix("mcpstack-base-")
        .tempdir()
        .map_err(|e| Problem::Git(format!("cannot create a temporary folder: {e}")))?;
    let has_specs = !entries.is_empty();
    let specs = dir.path().join(ENVIRONMENTS_DIR);
    std::fs::create_dir_all(&specs).map_err(|e| io_problem(&specs, &e))?;
    let contents = contents(root, &entries)?;
    for (entry, bytes) in entries.iter().zip(contents) {
        let path = specs.join(&entry.relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| io_problem(parent, &e))?;
        }
        write_entry(&path, entry.link, &bytes)?;
    }
    Ok(Checkout { dir, has_specs })
}

/// The commit `revision` names.
fn commit_of(root: &Path, revision: &str) -> Result<String, Problem> {
    let spec = format!("{revision}^{{commit}}");
    let output = run(
        root,
        &[
            "rev-parse",
            "--verify",
            "--quiet",
            "--end-of-options",
            &spec,
        ],
    )?;
    if !output.status.success() {
        // Distinguish "not a repository" (a failure) from "no such revision" (input).
        git(root, &["rev-parse", "--git-dir"])?;
        return Err(Problem::UnknownRevision {
            revision: revision.to_owned(),
            detail:
                "git knows no commit by that name (fetch it first, e.g. `git fetch origin main`)"
                    .to_owned(),
        });
    }
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

/// One file of the listing.
struct Entry {
    /// Path below `environments/`.
    relative: PathBuf,
    object: String,
    link: bool,
}

/// Parse `ls-tree -r -z` output: `MODE TYPE OBJECT\tPATH\0`. Only blobs (files and
/// links) are kept; a submodule has nothing to read.
fn entries(listing: &[u8], folder: &str) -> Result<Vec<Entry>, Problem> {
    let mut out = Vec::new();
    for record in listing.split(|b| *b == 0).filter(|r| !r.is_empty()) {
        let text = String::from_utf8_lossy(record);
        let Some((meta, path)) = text.split_once('\t') else {
            return Err(Problem::Git(format!(
                "unexpected `git ls-tree` output: {text}"
            )));
        };
        let fields: Vec<&str> = meta.split(' ').collect();
        let [mode, kind, object] = fields.as_slice() else {
            return Err(Problem::Git(format!(
                "unexpected `git ls-tree` output: {text}"
            )));
        };
        if *kind != "blob" {
            continue;
        }
        let Some(relative) = path
            .strip_prefix(folder)
            .and_then(|rest| rest.strip_prefix('/'))
        else {
            continue;
        };
        let plain = relative
            .split('/')
            .all(|part| !part.is_empty() && part != "." && part != "..");
        if !plain {
            return Err(Problem::Git(format!(
                "refusing the path `{path}` of the revision"
            )));
        }
        out.push(Entry {
            relative: PathBuf::from(relative),
            object: (*object).to_owned(),
            link: *mode == "120000",
        });
    }
    Ok(out)
}

/// Every entry's bytes, in order, from one `git cat-file --batch`.
fn contents(root: &Path, entries: &[Entry]) -> Result<Vec<Vec<u8>>, Problem> {
    if entries.is_empty() {
        return Ok(Vec::new());
    }
    let mut child = Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["cat-file", "--batch"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| Problem::Git(format!("cannot run git: {e}")))?;
    let request: String = entries.iter().map(|e| format!("{}\n", e.object)).collect();
    let mut stdin = child
        .stdin
        .take()
        .ok_or_else(|| Problem::Git("git cat-file has no input".to_owned()))?;
    // Written from another thread: git answers while it reads, and a full pipe on both
    // sides would wait forever.
    let writer = std::thread::spawn(move || stdin.write_all(request.as_bytes()));
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| Problem::Git("git cat-file has no output".to_owned()))?;
    let mut reader = BufReader::new(stdout);
    let mut out = Vec::with_capacity(entries.len());
    for entry in entries {
        out.push(read_object(&mut reader, entry)?);
    }
    let _ = writer.join();
    let status = child
        .wait()
        .map_err(|e| Problem::Git(format!("git cat-file: {e}")))?;
    if !status.success() {
        return Err(Problem::Git(format!("git cat-file failed ({status})")));
    }
    Ok(out)
}

/// One `OBJECT TYPE SIZE\nBYTES\n` answer of `cat-file --batch`.
fn read_object(reader: &mut impl BufRead, entry: &Entry) -> Result<Vec<u8>, Problem> {
    let mut header = String::new();
    reader
        .read_line(&mut header)
        .map_err(|e| Problem::Git(format!("git cat-file: {e}")))?;
    let size = header
        .split_whitespace()
        .nth(2)
        .and_then(|s| s.parse::<usize>().ok())
        .ok_or_else(|| {
            Problem::Git(format!(
                "git cat-file: no object {} ({})",
                entry.object,
                header.trim()
            ))
        })?;
    let mut bytes = vec![0; size + 1];
    reader
        .read_exact(&mut bytes)
        .map_err(|e| Problem::Git(format!("git cat-file: {e}")))?;
    bytes.truncate(size);
    Ok(bytes)
}

#[cfg(unix)]
fn write_entry(path: &Path, link: bool, bytes: &[u8]) -> Result<(), Problem> {
    if link {
        let target = String::from_utf8_lossy(bytes).into_owned();
        return std::os::unix::fs::symlink(target, path).map_err(|e| io_problem(path, &e));
    }
    std::fs::write(path, bytes).map_err(|e| io_problem(path, &e))
}

#[cfg(not(unix))]
fn write_entry(path: &Path, _link: bool, bytes: &[u8]) -> Result<(), Problem> {
    std::fs::write(path, bytes).map_err(|e| io_problem(path, &e))
}

fn io_problem(path: &Path, error: &std::io::Error) -> Problem {
    Problem::Git(format!("{}: {error}", path.display()))
}

/// Run git in `root`; its stdout when it succeeds.
fn git(root: &Path, args: &[&str]) -> Result<Vec<u8>, Problem> {
    let output = run(root, args)?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(Problem::Git(format!(
            "`git {}` failed: {}",
            args.first().copied().unwrap_or_default(),
            stderr.trim()
        )));
    }
    Ok(output.stdout)
}

fn run(root: &Path, args: &[&str]) -> Result<std::process::Output, Problem> {
    Command::new("git")
        .arg("-C")
        .arg(root)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| Problem::Git(format!("cannot run git (is it installed?): {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listings_keep_files_and_links_below_the_folder() {
        let listing = b"100644 blob aaa\tenvironments/stack.yaml\x00120000 blob bbb\tenvironments/link.yaml\x00160000 commit ccc\tenvironments/sub\x00100644 blob ddd\tenvironments/files/a.txt\x00";
        let entries = entries(listing, "environments").expect("parsed");
        let shown: Vec<(String, &str, bool)> = entries
            .iter()
            .map(|e| (e.relative.display().to_string(), e.object.as_str(), e.link))
            .collect();
        assert_eq!(
            shown,
            vec![
                ("stack.yaml".to_owned(), "aaa", false),
                ("link.yaml".to_owned(), "bbb", true),
                ("files/a.txt".to_owned(), "ddd", false),
            ]
        );
    }

    #[test]
    fn odd_paths_are_refused() {
        let listing = b"100644 blob aaa\tenvironments/../x.yaml\x00";
        assert!(entries(listing, "environments").is_err());
    }
}
