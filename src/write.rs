//! Writing the output tree: the only output IO. `build` and `check` share one plan:
//! compare the tree in memory with the disk, then write it or show the diff.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::Path;

use crate::Error;
use crate::tree::{GENERATED_DIR, HEADER_MARK, OutputTree};

/// How the disk differs from the tree.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Plan {
    /// Files whose bytes already match.
    pub unchanged: Vec<String>,
    /// Files to create: path -> new contents.
    pub missing: BTreeMap<String, String>,
    /// Files to rewrite: path -> (old, new).
    pub stale: BTreeMap<String, (String, String)>,
    /// Generated files the tree no longer has: path -> old contents.
    pub extra: BTreeMap<String, String>,
}

impl Plan {
    pub fn is_clean(&self) -> bool {
        self.missing.is_empty() && self.stale.is_empty() && self.extra.is_empty()
    }
}

/// What a build did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    pub written: usize,
    pub unchanged: usize,
    pub removed: usize,
}

/// Compare `tree` with the files under `root`. Files under `generated/` that do not
/// start with the generated header are not ours and are never touched.
pub fn plan(root: &Path, tree: &OutputTree) -> Result<Plan, Error> {
    plan_knowing(root, tree, &|_, _| false)
}

/// [`plan`], not reading back a file that `known(path, contents)` proves to hold
/// `contents` already (the build record does, from the file's stat data).
pub fn plan_knowing(
    root: &Path,
    tree: &OutputTree,
    known: &(dyn Fn(&str, &str) -> bool + Sync),
) -> Result<Plan, Error> {
    let mut plan = Plan::default();
    tree.check_paths()?;
    refuse_links(root)?;
    // Reading back every file is most of a no-op build's IO: done on every core, each
    // file compared as bytes, and only a differing one kept as text.
    // Before a first build there is no `generated/` to read back: a failed open per
    // file would be most of the planning's system calls.
    let no_generated = !root.join(GENERATED_DIR).exists();
    let files: Vec<(&String, &String)> = tree.files.iter().collect();
    let found = crate::parallel::map(&files, |(path, contents)| {
        match no_generated && in_generated(path) {
            true => Ok(Existing::Missing),
            false if known(path, contents) => Ok(Existing::Same),
            false => compare_existing(&root.join(path), contents),
        }
    });
    for ((path, contents), found) in files.into_iter().zip(found) {
        match found? {
            Existing::Same => plan.unchanged.push(path.clone()),
            Existing::Missing => {
                plan.missing.insert(path.clone(), contents.clone());
            }
            Existing::Differs(old) => {
                if path.starts_with(GENERATED_DIR) && !is_ours(&root.join(path))? {
                    return Err(Error::Unsafe {
                        path: root.join(path),
                        reason: format!(
                            "it does not start with `{HEADER_MARK}`, so mcpstack did not write it; move it away"
                        ),
                    });
                }
                plan.stale.insert(path.clone(), (old, contents.clone()));
            }
        }
    }
    for (path, key) in generated_files(root)? {
        if tree.files.contains_key(&key) {
            continue;
        }
        if let Some(old) = read_existing(&path)?
            && old.starts_with(HEADER_MARK)
        {
            plan.extra.insert(key, old);
        }
    }
    Ok(plan)
}

/// Every file under `generated/`, sorted: its path, and its key in the output tree
/// (`generated/...`).
fn generated_files(root: &Path) -> Result<Vec<(std::path::PathBuf, String)>, Error> {
    let generated = root.join(GENERATED_DIR);
    if !generated.is_dir() {
        return Ok(Vec::new());
    }
    let mut files = Vec::new();
    for entry in walkdir::WalkDir::new(&generated).sort_by_file_name() {
        let entry = entry.map_err(|e| Error::Io {
            path: generated.clone(),
            source: e.into(),
        })?;
        if !entry.file_type().is_file() {
            continue;
        }
        let relative = entry.path().strip_prefix(root).unwrap_or(entry.path());
        let key = crate::source::display_path(relative);
        files.push((entry.into_path(), key));
    }
    Ok(files)
}

/// Whether a file starts with the generated header.
fn is_ours(path: &Path) -> Result<bool, Error> {
    Ok(read_existing(path)?.is_some_and(|text| text.starts_with(HEADER_MARK)))
}

/// `generated/` must be a real folder holding no symbolic links: a link could make a
/// build write, or delete, outside the project.
fn refuse_links(root: &Path) -> Result<(), Error> {
    let generated = root.join(GENERATED_DIR);
    let metadata = match std::fs::symlink_metadata(&generated) {
        Ok(metadata) => metadata,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(Error::io(&generated, e)),
    };
    let link = |path: &Path| Error::Unsafe {
        path: path.to_path_buf(),
        reason: "it is a symbolic link; mcpstack writes only into a real generated/ folder"
            .to_owned(),
    };
    if metadata.file_type().is_symlink() {
        return Err(link(&generated));
    }
    for entry in walkdir::WalkDir::new(&generated) {
        let entry = entry.map_err(|e| Error::Io {
            path: generated.clone(),
            source: e.into(),
        })?;
        if entry.path_is_symlink() {
            return Err(link(entry.path()));
        }
    }
    Ok(())
}

/// Hold the project's build lock until the returned file is dropped: exclusive for a
/// build, shared for a check. A second build waits for the first, calling `waiting`
/// once before it does.
pub fn lock(
    root: &Path,
    exclusive: bool,
    waiting: &mut dyn FnMut(),
) -> Result<std::fs::File, Error> {
    let handle = std::fs::File::open(root).map_err(|e| Error::io(root, e))?;
    let attempt = match exclusive {
        true => handle.try_lock(),
        false => handle.try_lock_shared(),
    };
    match attempt {
        Ok(()) => return Ok(handle),
        Err(std::fs::TryLockError::Error(e)) => return Err(Error::io(root, e)),
        Err(std::fs::TryLockError::WouldBlock) => {}
    }
    waiting();
    let waited = match exclusive {
        true => handle.lock(),
        false => handle.lock_shared(),
    };
    waited.map_err(|e| Error::io(root, e))?;
    Ok(handle)
}

/// What a planned file's path holds now.
enum Existing {
    Same,
    Missing,
    Differs(String),
}

/// Compare the file at `path` with `contents` without making text of equal bytes.
fn compare_existing(path: &Path, contents: &str) -> Result<Existing, Error> {
    match std::fs::read(path) {
        Ok(bytes) if bytes == contents.as_bytes() => Ok(Existing::Same),
        Ok(bytes) => Ok(Existing::Differs(
            String::from_utf8_lossy(&bytes).into_owned(),
        )),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Existing::Missing),
        Err(e) => Err(Error::io(path, e)),
    }
}

fn read_existing(path: &Path) -> Result<Option<String>, Error> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(Some(String::from_utf8_lossy(&bytes).into_owned())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io(path, e)),
    }
}

/// Carry out a plan. `generated/` moves from the old tree to the new one as a whole:
/// the new tree is staged in a sibling folder (unchanged and hand-written files are
/// hard links to the old ones, so they keep their bytes and times), then swapped with
/// the old one in a single rename. A build killed at any moment leaves either the whole
/// old tree or the whole new one; a leftover staging folder is removed by the next
/// build. The replaced tree is kept aside in `.mcpstack/previous`, and the next build
/// stages in it, so a small change costs a few files rather than a link and an unlink
/// of every file. Files outside `generated/` (the schema) are each replaced atomically.
///
/// Nothing marked read-only is replaced: when the build would change `generated/`, the
/// project root, `generated/` and every folder in it must be writable, and so must every
/// file the plan rewrites or removes (see [`refuse_read_only`]); otherwise nothing is
/// written. Every failure after the staging folder was created removes it again.
pub fn apply(root: &Path, plan: &Plan) -> Result<Summary, Error> {
    apply_observed(root, plan, &mut |_| {})
}

/// [`apply`], calling `before_swap` with the staging folder once the new tree is
/// complete there and before it is swapped in (the build record takes the stat data of
/// the files the build wrote there, where nobody else writes).
pub fn apply_observed(
    root: &Path,
    plan: &Plan,
    before_swap: &mut dyn FnMut(&Path),
) -> Result<Summary, Error> {
    let writes: Vec<(&String, &String)> = plan
        .missing
        .iter()
        .chain(plan.stale.iter().map(|(path, (_, new))| (path, new)))
        .collect();
    let touches_generated = writes
        .iter()
        .map(|(p, _)| *p)
        .chain(plan.extra.keys())
        .any(|p| in_generated(p));
    refuse_read_only(root, plan, touches_generated)?;
    remove_leftovers(root)?;
    let mut old_tree_left = None;
    if touches_generated {
        let staging = root.join(format!("{STAGING_PREFIX}{}", std::process::id()));
        let swapped = staged(root, plan, &writes, &staging).and_then(|()| {
            before_swap(&staging);
            pause_for_tests(PAUSE_BEFORE_SWAP);
            swap(&staging, &root.join(GENERATED_DIR))?;
            pause_for_tests(PAUSE_AFTER_SWAP);
            Ok(())
        });
        // On success the staging folder holds the old tree, kept aside for the next
        // build to stage in; on failure, part of the new one, which goes.
        let cleared = match swapped {
            Ok(()) => keep_aside(root, &staging),
            Err(_) => remove_staging(&staging),
        };
        swapped?;
        old_tree_left = cleared.err();
    }
    for (path, contents) in writes.iter().filter(|(p, _)| !in_generated(p)) {
        write_atomic(&root.join(path), contents)?;
    }
    if let Some(error) = old_tree_left {
        return Err(error);
    }
    Ok(Summary {
        written: writes.len(),
        unchanged: plan.unchanged.len(),
        removed: plan.extra.len(),
    })
}

/// Test hooks for tests/kill.rs, never set otherwise: with the variable set to a file
/// path, a build creates that file just before (or just after) the swap and then
/// sleeps, so that the test kills it at a known point.
const PAUSE_BEFORE_SWAP: &str = "MCPSTACK_TEST_PAUSE_BEFORE_SWAP";
const PAUSE_AFTER_SWAP: &str = "MCPSTACK_TEST_PAUSE_AFTER_SWAP";

fn pause_for_tests(variable: &str) {
    if let Some(signal) = std::env::var_os(variable)
        && std::fs::write(&signal, b"").is_ok()
    {
        std::thread::sleep(std::time::Duration::from_secs(60));
    }
}

/// Name prefix of the folder a build stages `generated/` in, beside it.
pub const STAGING_PREFIX: &str = ".generated.staging-";

fn in_generated(path: &str) -> bool {
    path.strip_prefix(GENERATED_DIR)
        .is_some_and(|rest| rest.starts_with('/'))
}

/// Remove a staging folder, if there is one.
fn remove_staging(staging: &Path) -> Result<(), Error> {
    match std::fs::remove_dir_all(staging) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::Io {
            path: staging.to_path_buf(),
            source: std::io::Error::new(
                e.kind(),
                format!("could not remove this staging folder ({e}); remove it by hand"),
            ),
        }),
    }
}

/// Refuse a build that would change something marked read-only: the project root and
/// `generated/` with every folder in it (the swap creates and renames folders in the
/// root, and removes the old tree), when `generated/` changes at all, and any file the
/// plan rewrites or removes, with the folder it is written in.
///
/// Permission bits are read explicitly rather than left to the failing system call: a
/// folder can be renamed as a whole although it is read-only, and root may write into
/// anything. So a folder or file counts as read-only when its owner's write bit is off
/// (`chmod u-w`, `chmod a-w`), or when the running user may not write it (another
/// user's folder, a read-only mount).
fn refuse_read_only(root: &Path, plan: &Plan, touches_generated: bool) -> Result<(), Error> {
    let changed = plan.stale.keys().chain(plan.extra.keys());
    let written = plan.missing.keys().chain(plan.stale.keys());
    let mut paths: Vec<std::path::PathBuf> = Vec::new();
    if touches_generated {
        paths.push(root.to_path_buf());
        let generated = root.join(GENERATED_DIR);
        if generated.exists() {
            for entry in walkdir::WalkDir::new(&generated).sort_by_file_name() {
                let entry = entry.map_err(|e| Error::Io {
                    path: generated.clone(),
                    source: e.into(),
                })?;
                if entry.file_type().is_dir() {
                    paths.push(entry.into_path());
                }
            }
        }
    }
    for path in changed.filter(|p| !in_generated(p)) {
        paths.push(root.join(path));
    }
    for path in written.filter(|p| !in_generated(p)) {
        // The nearest existing folder: the one the file, or its first new folder, goes in.
        let mut dir = root.join(path);
        while dir.pop() && !dir.exists() {}
        paths.push(dir);
    }
    for path in plan.stale.keys().chain(plan.extra.keys()) {
        if in_generated(path) {
            paths.push(root.join(path));
        }
    }
    for path in paths {
        if is_read_only(&path)? {
            return Err(Error::Unsafe {
                path,
                reason: "it is read-only, and mcpstack does not replace what is marked read-only; \
                         make it writable (e.g. `chmod -R u+w`) to build"
                    .to_owned(),
            });
        }
    }
    Ok(())
}

/// Whether `path` is marked read-only: see [`refuse_read_only`].
fn is_read_only(path: &Path) -> Result<bool, Error> {
    let metadata = match std::fs::symlink_metadata(path) {
        Ok(metadata) => metadata,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(Error::io(path, e)),
    };
    #[cfg(unix)]
    {
        use rustix::fs::{Access, AtFlags, CWD, accessat};
        use std::os::unix::fs::PermissionsExt as _;
        let owner_may_not_write = metadata.permissions().mode() & 0o200 == 0;
        let we_may_not_write = accessat(CWD, path, Access::WRITE_OK, AtFlags::EACCESS).is_err();
        Ok(owner_may_not_write || we_may_not_write)
    }
    #[cfg(not(unix))]
    {
        Ok(metadata.permissions().readonly())
    }
}

/// Staging folders left by a build that was killed. Only called under the build lock.
fn remove_leftovers(root: &Path) -> Result<(), Error> {
    let entries = std::fs::read_dir(root).map_err(|e| Error::io(root, e))?;
    for entry in entries.flatten() {
        let leftover = entry
            .file_name()
            .to_string_lossy()
            .starts_with(STAGING_PREFIX);
        if leftover && entry.path().is_dir() {
            std::fs::remove_dir_all(entry.path()).map_err(|e| Error::io(&entry.path(), e))?;
        }
    }
    Ok(())
}

/// Where the tree a build replaced is kept, under the local folder (`.mcpstack/`): the
/// next build stages in it, changing only what differs, instead of linking every file
/// into a new folder and removing the old tree's every file.
const PREVIOUS_TREE: &str = "previous";

/// The complete new `generated/` in `staging`: made in the tree the last build kept
/// aside when there is one, else in a new folder (see [`fill`]).
fn staged(
    root: &Path,
    plan: &Plan,
    writes: &[(&String, &String)],
    staging: &Path,
) -> Result<(), Error> {
    let previous = crate::record::local_folder(root, false).map(|d| d.join(PREVIOUS_TREE));
    let reused = previous.is_some_and(|previous| {
        std::fs::symlink_metadata(&previous).is_ok_and(|m| m.is_dir())
            && std::fs::rename(&previous, staging).is_ok()
    });
    if reused && fill(root, plan, writes, staging, Start::Kept).is_ok() {
        return Ok(());
    }
    if reused {
        remove_staging(staging)?;
    }
    std::fs::create_dir(staging).map_err(|e| Error::io(staging, e))?;
    fill(root, plan, writes, staging, Start::Empty)
}

/// What a staging folder holds before [`fill`] makes it the new tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Start {
    /// Nothing: a new folder.
    Empty,
    /// The tree the last build replaced, which shares with `generated/` the files that
    /// build did not change.
    Kept,
}

/// Keep the tree the swap put in `staging` aside for the next build; remove it when it
/// cannot be kept.
fn keep_aside(root: &Path, staging: &Path) -> Result<(), Error> {
    if !staging.exists() {
        return Ok(());
    }
    let kept = crate::record::local_folder(root, true)
        .is_some_and(|dir| std::fs::rename(staging, dir.join(PREVIOUS_TREE)).is_ok());
    match kept {
        true => Ok(()),
        false => remove_staging(staging),
    }
}

/// Make `staging` the complete new `generated/`: the old files that stay, linked, and
/// the new and changed ones, written, each folder made once and the files linked and
/// written on every core. In a kept tree, first remove what the new tree does not have,
/// link a file that stays only when it is not already the same file, and write new and
/// changed files as new files (never into a file, which may be shared with
/// `generated/`). A failure leaves `staging` to be removed.
fn fill(
    root: &Path,
    plan: &Plan,
    writes: &[(&String, &String)],
    staging: &Path,
    start: Start,
) -> Result<(), Error> {
    let inside = |key: &str| key[GENERATED_DIR.len() + 1..].to_owned();
    let kept: Vec<(std::path::PathBuf, String)> = generated_files(root)?
        .into_iter()
        .filter(|(_, key)| !plan.extra.contains_key(key) && !plan.stale.contains_key(key))
        .map(|(path, key)| (path, inside(&key)))
        .collect();
    let written: Vec<(String, &String)> = writes
        .iter()
        .filter(|(p, _)| in_generated(p))
        .map(|(path, contents)| (inside(path), *contents))
        .collect();
    let files: std::collections::BTreeSet<&str> = kept
        .iter()
        .map(|(_, p)| p.as_str())
        .chain(written.iter().map(|(p, _)| p.as_str()))
        .collect();
    if start == Start::Kept {
        remove_unwanted(staging, &files, &folders_of(&files))?;
    }
    let targets: Vec<std::path::PathBuf> = files.iter().map(|f| staging.join(f)).collect();
    create_folders(targets.iter())?;
    let linked = crate::parallel::map(&kept, |(path, inside)| {
        let target = staging.join(inside);
        if start == Start::Kept {
            if same_file(path, &target) {
                return Ok(());
            }
            remove_file_if_there(&target)?;
        }
        if std::fs::hard_link(path, &target).is_err() {
            std::fs::copy(path, &target).map_err(|e| Error::io(&target, e))?;
        }
        Ok(())
    });
    let written = crate::parallel::map(&written, |(inside, contents)| {
        let target = staging.join(inside);
        if start == Start::Kept {
            remove_file_if_there(&target)?;
        }
        std::fs::write(&target, contents.as_bytes()).map_err(|e| Error::io(&target, e))
    });
    // The first failure in path order, so that the message does not depend on timing.
    linked.into_iter().chain(written).collect()
}

/// Every folder that holds one of `files` (paths with `/`), at any depth.
fn folders_of<'a>(
    files: &std::collections::BTreeSet<&'a str>,
) -> std::collections::BTreeSet<&'a str> {
    let mut folders = std::collections::BTreeSet::new();
    for file in files {
        let mut rest = *file;
        while let Some((parent, _)) = rest.rsplit_once('/') {
            folders.insert(parent);
            rest = parent;
        }
    }
    folders
}

/// Remove from `staging` every entry that is not one of `files` or `folders` (paths
/// inside it), and everything that is neither a plain file nor a folder.
fn remove_unwanted(
    staging: &Path,
    files: &std::collections::BTreeSet<&str>,
    folders: &std::collections::BTreeSet<&str>,
) -> Result<(), Error> {
    let mut entries = Vec::new();
    for entry in walkdir::WalkDir::new(staging)
        .min_depth(1)
        .contents_first(true)
    {
        let entry = entry.map_err(|e| Error::Io {
            path: staging.to_path_buf(),
            source: e.into(),
        })?;
        entries.push(entry);
    }
    for entry in entries {
        let Ok(inside) = entry.path().strip_prefix(staging) else {
            continue;
        };
        let inside = crate::source::display_path(inside);
        let kind = entry.file_type();
        let removed = match (kind.is_dir(), kind.is_file()) {
            (true, _) if folders.contains(inside.as_str()) => continue,
            (false, true) if files.contains(inside.as_str()) => continue,
            (true, _) => std::fs::remove_dir(entry.path()),
            _ => std::fs::remove_file(entry.path()),
        };
        removed.map_err(|e| Error::io(entry.path(), e))?;
    }
    Ok(())
}

/// Whether two paths name the same file (not through a link).
fn same_file(a: &Path, b: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        match (std::fs::symlink_metadata(a), std::fs::symlink_metadata(b)) {
            (Ok(a), Ok(b)) => b.is_file() && a.dev() == b.dev() && a.ino() == b.ino(),
            _ => false,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = (a, b);
        false
    }
}

fn remove_file_if_there(path: &Path) -> Result<(), Error> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(Error::io(path, e)),
        _ => Ok(()),
    }
}

/// The folders that hold `files`, each made once, parents first.
fn create_folders<'a>(files: impl Iterator<Item = &'a std::path::PathBuf>) -> Result<(), Error> {
    let folders: std::collections::BTreeSet<&Path> =
        files.filter_map(|file| file.parent()).collect();
    for dir in folders {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    }
    Ok(())
}

/// Put the staged tree in place of `generated/` in one step; afterwards `staging`
/// holds the old tree (or nothing, on the first build).
fn swap(staging: &Path, generated: &Path) -> Result<(), Error> {
    if !generated.exists() {
        return std::fs::rename(staging, generated).map_err(|e| Error::io(generated, e));
    }
    exchange(staging, generated).map_err(|e| Error::io(generated, e))
}

#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
    use rustix::fs::{CWD, RenameFlags, renameat_with};
    renameat_with(CWD, a, CWD, b, RenameFlags::EXCHANGE).map_err(std::io::Error::from)
}

/// Without an atomic exchange: two renames, with a moment in which the old tree is
/// already at the staging path.
#[cfg(not(target_os = "linux"))]
fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
    let aside = a.with_extension("old");
    std::fs::rename(b, &aside)?;
    std::fs::rename(a, b)?;
    std::fs::rename(&aside, a)
}

/// Prefix of the temporary file a file outside `generated/` is written through.
const TEMP_PREFIX: &str = ".mcpstack-";

fn write_atomic(path: &Path, contents: &str) -> Result<(), Error> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    remove_temporary_files(dir)?;
    let mut file = tempfile::Builder::new()
        .prefix(TEMP_PREFIX)
        .tempfile_in(dir)
        .map_err(|e| Error::io(dir, e))?;
    file.write_all(contents.as_bytes())
        .map_err(|e| Error::io(path, e))?;
    file.persist(path).map_err(|e| Error::io(path, e.error))?;
    Ok(())
}

/// Temporary files a killed build left in `dir`. Builds hold the project's lock, so
/// no other build is writing one.
fn remove_temporary_files(dir: &Path) -> Result<(), Error> {
    let entries = std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(dir, e))?;
        let leftover = entry.file_name().to_string_lossy().starts_with(TEMP_PREFIX)
            && entry.file_type().is_ok_and(|t| t.is_file());
        if leftover {
            std::fs::remove_file(entry.path()).map_err(|e| Error::io(&entry.path(), e))?;
        }
    }
    Ok(())
}

/// A unified diff of every difference, as `check` prints it.
pub fn diff(plan: &Plan) -> String {
    let mut out = String::new();
    for (path, new) in &plan.missing {
        out.push_str(&unified("/dev/null", &format!("b/{path}"), "", new));
    }
    for (path, (old, new)) in &plan.stale {
        out.push_str(&unified(
            &format!("a/{path}"),
            &format!("b/{path}"),
            old,
            new,
        ));
    }
    for (path, old) in &plan.extra {
        out.push_str(&unified(&format!("a/{path}"), "/dev/null", old, ""));
    }
    out
}

fn unified(from: &str, to: &str, old: &str, new: &str) -> String {
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(from, to)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(files: &[(&str, &str)]) -> OutputTree {
        let mut out = OutputTree::default();
        for (path, contents) in files {
            out.insert((*path).to_owned(), (*contents).to_owned());
        }
        out
    }

    #[test]
    fn the_tree_is_swapped_whole_and_unchanged_files_keep_their_times() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        let first = tree(&[
            ("generated/a.yaml", "# Generated by mcpstack\na: 1\n"),
            ("generated/b/c.yaml", "# Generated by mcpstack\nc: 1\n"),
            ("schema/values.schema.json", "{}\n"),
        ]);
        apply(root, &plan(root, &first).expect("plan")).expect("first build");
        let kept = std::fs::metadata(root.join("generated/b/c.yaml"))
            .expect("meta")
            .modified()
            .expect("mtime");
        // A killed build left its staging folder behind.
        std::fs::create_dir_all(root.join(format!("{STAGING_PREFIX}1/x"))).expect("leftover");
        std::thread::sleep(std::time::Duration::from_millis(20));
        let second = tree(&[
            ("generated/a.yaml", "# Generated by mcpstack\na: 2\n"),
            ("generated/b/c.yaml", "# Generated by mcpstack\nc: 1\n"),
            ("schema/values.schema.json", "{}\n"),
        ]);
        let summary = apply(root, &plan(root, &second).expect("plan")).expect("second build");
        assert_eq!((summary.written, summary.unchanged), (1, 2));
        assert_eq!(
            std::fs::read_to_string(root.join("generated/a.yaml")).expect("read"),
            "# Generated by mcpstack\na: 2\n"
        );
        let after = std::fs::metadata(root.join("generated/b/c.yaml"))
            .expect("meta")
            .modified()
            .expect("mtime");
        assert_eq!(after, kept, "an unchanged file is linked, not rewritten");
        let leftovers: Vec<_> = std::fs::read_dir(root)
            .expect("root")
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with(STAGING_PREFIX))
            .collect();
        assert!(leftovers.is_empty(), "no staging folder remains");
    }

    #[test]
    fn hand_written_files_are_never_overwritten() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        std::fs::create_dir_all(root.join("generated")).expect("mkdir");
        std::fs::write(root.join("generated/a.yaml"), "kind: Mine\n").expect("write");
        let tree = tree(&[("generated/a.yaml", "# Generated by mcpstack\nkind: Ours\n")]);
        let error = plan(root, &tree).expect_err("refused");
        assert!(matches!(error, Error::Unsafe { .. }), "{error}");
        assert_eq!(
            std::fs::read_to_string(root.join("generated/a.yaml")).expect("read"),
            "kind: Mine\n"
        );
    }

    #[cfg(unix)]
    #[test]
    fn symbolic_links_in_generated_are_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let outside = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        std::fs::create_dir_all(root.join("generated")).expect("mkdir");
        std::os::unix::fs::symlink(outside.path(), root.join("generated/base")).expect("link");
        let tree = tree(&[("generated/base/x.yaml", "# Generated by mcpstack\n")]);
        assert!(matches!(plan(root, &tree), Err(Error::Unsafe { .. })));

        let linked = tempfile::tempdir().expect("tempdir");
        std::os::unix::fs::symlink(outside.path(), linked.path().join("generated")).expect("link");
        assert!(matches!(
            plan(linked.path(), &tree),
            Err(Error::Unsafe { .. })
        ));
    }

    #[cfg(unix)]
    #[test]
    fn read_only_files_and_folders_are_not_replaced() {
        use std::os::unix::fs::PermissionsExt as _;
        let chmod = |path: &Path, mode: u32| {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod")
        };
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        let first = tree(&[
            ("generated/a/x.yaml", "# Generated by mcpstack\nx: 1\n"),
            ("schema/values.schema.json", "{}\n"),
        ]);
        apply(root, &plan(root, &first).expect("plan")).expect("first build");
        let second = tree(&[
            ("generated/a/x.yaml", "# Generated by mcpstack\nx: 1\n"),
            ("schema/values.schema.json", "{\"changed\": true}\n"),
        ]);
        // A read-only file the build would rewrite, even outside generated/.
        let schema = root.join("schema/values.schema.json");
        chmod(&schema, 0o444);
        let refused = apply(root, &plan(root, &second).expect("plan"));
        assert!(
            matches!(&refused, Err(Error::Unsafe { path, .. }) if *path == schema),
            "{refused:?}"
        );
        assert_eq!(std::fs::read_to_string(&schema).expect("read"), "{}\n");
        chmod(&schema, 0o644);
        // A read-only folder in generated/ only matters when generated/ changes.
        chmod(&root.join("generated/a"), 0o555);
        apply(root, &plan(root, &second).expect("plan")).expect("schema only");
        let third = tree(&[("generated/b.yaml", "# Generated by mcpstack\n")]);
        let refused = apply(root, &plan(root, &third).expect("plan"));
        assert!(
            matches!(&refused, Err(Error::Unsafe { path, .. }) if path.ends_with("generated/a")),
            "{refused:?}"
        );
        chmod(&root.join("generated/a"), 0o755);
        assert!(root.join("generated/a/x.yaml").exists());
        assert!(!root.join("generated/b.yaml").exists());
    }

    #[test]
    fn a_build_lock_excludes_a_second_build() {
        let dir = tempfile::tempdir().expect("tempdir");
        let held = lock(dir.path(), true, &mut || {}).expect("first lock");
        let second = std::fs::File::open(dir.path()).expect("open");
        assert!(matches!(
            second.try_lock(),
            Err(std::fs::TryLockError::WouldBlock)
        ));
        assert!(matches!(
            second.try_lock_shared(),
            Err(std::fs::TryLockError::WouldBlock)
        ));
        drop(held);
        assert!(second.try_lock().is_ok(), "released when the build ends");
    }

    #[test]
    fn build_then_plan_is_clean_and_foreign_files_stay() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        std::fs::create_dir_all(root.join("generated")).expect("mkdir");
        std::fs::write(root.join("generated/README.md"), "hand-written").expect("write");
        let first = tree(&[
            ("generated/a/x.yaml", "# Generated by mcpstack\nx: 1\n"),
            ("generated/b.yaml", "# Generated by mcpstack\n"),
        ]);
        let summary = apply(root, &plan(root, &first).expect("plan")).expect("apply");
        assert_eq!(summary.written, 2);
        assert!(plan(root, &first).expect("plan").is_clean());

        let second = tree(&[("generated/b.yaml", "# Generated by mcpstack\nb: 2\n")]);
        let p = plan(root, &second).expect("plan");
        assert_eq!(p.extra.keys().collect::<Vec<_>>(), ["generated/a/x.yaml"]);
        assert_eq!(p.stale.len(), 1);
        assert!(diff(&p).contains("+b: 2"));
        apply(root, &p).expect("apply");
        assert!(
            !root.join("generated/a").exists(),
            "emptied folders are removed"
        );
        assert!(
            root.join("generated/README.md").exists(),
            "files without the header stay"
        );
    }
}
