//! The build record: what this machine's last full `build` proved, so that the next
//! `check`, no-op `build` or `validate` of the same inputs can skip compiling and reading
//! back every generated file. It lives in `.mcpstack/record` under the project root (the
//! folder holds its own `.gitignore`, so it is never committed), and only `build` writes
//! it, once the tree is on disk and read back. Any doubt means the full path.
//!
//! What a run trusts (docs/design.md, decision (y)):
//!
//! - The inputs: a SHA-256 over every entry under `environments/` (names, kinds, bytes),
//!   the binary (version, size, modification time, inode) and today's date (expiry rules
//!   depend on it) must equal the record's.
//! - Each file under `generated/`, and the schema: its inode, size, modification and
//!   change times must equal the record's, and the change time must have been settled
//!   when the record was taken (at least [`SETTLED`] older; a file changed within the same
//!   clock tick after the record was taken would otherwise look unchanged). Any other file
//!   is read, and its SHA-256 must equal the record's.
//! - The set of files: each folder under `generated/` keeps its inode and times (adding,
//!   removing or renaming an entry changes them); a folder changed too recently is listed
//!   and its entries compared.
//!
//! A change time cannot be set back (`touch -d` sets it to now), so a hand edit, a `git
//! checkout` or a restore from a backup is always noticed.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write as _;
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sha2::{Digest, Sha256};

use crate::diagnostic::Diagnostic;
use crate::load::ENVIRONMENTS_DIR;
use crate::source::Sources;
use crate::tree::{GENERATED_DIR, HEADER_MARK, OutputTree};

/// The record's folder under the project root.
pub const RECORD_DIR: &str = ".mcpstack";
const RECORD_FILE: &str = "record";
const FORMAT: &str = "mcpstack-record 1";
/// How much older than the record a change time must be to be trusted: a coarse file
/// system clock ticks at most every 10 ms.
pub const SETTLED: Duration = Duration::from_millis(50);
/// The same, for file systems that keep whole seconds (no nanoseconds in the times).
const SETTLED_COARSE: Duration = Duration::from_secs(2);
/// A record larger than this is not read (about 1,500 bytes per file at 100,000 files).
const MAX_RECORD_BYTES: u64 = 256 * 1024 * 1024;
/// Inputs larger than this are not hashed: the full path reads them anyway.
const MAX_INPUT_BYTES: usize = 64 * 1024 * 1024;

/// The inputs of a run: their hash, and the bytes of each file for replaying warnings.
#[derive(Debug)]
pub struct Inputs {
    key: String,
    files: BTreeMap<String, Vec<u8>>,
}

/// What the record proves about the project: what a full run would have found.
#[derive(Debug)]
pub struct Replay {
    pub sources: Sources,
    pub warnings: Vec<Diagnostic>,
    pub environments: usize,
    /// Every file of the output tree, each unchanged on disk.
    pub files: Vec<String>,
    /// The record with the stat data of now, when some file had to be read (or folder
    /// listed) to prove it unchanged: taking it again saves the next run that work.
    refreshed: Option<Record>,
}

/// The inputs of the project at `root`; `None` when they cannot be fingerprinted (an
/// unreadable entry, an unknown binary), and the run takes the full path.
pub fn inputs(root: &Path) -> Option<Inputs> {
    let mut hasher = Sha256::new();
    field(&mut hasher, FORMAT.as_bytes());
    field(&mut hasher, env!("CARGO_PKG_VERSION").as_bytes());
    field(&mut hasher, binary_identity()?.as_bytes());
    field(
        &mut hasher,
        format!("{:?}", crate::expiry::today().ok()?).as_bytes(),
    );
    let mut files = BTreeMap::new();
    let mut total = 0;
    let dir = root.join(ENVIRONMENTS_DIR);
    for entry in walkdir::WalkDir::new(&dir).sort_by_file_name() {
        let entry = entry.ok()?;
        let relative = entry.path().strip_prefix(root).ok()?;
        let name = relative.to_str()?.replace(std::path::MAIN_SEPARATOR, "/");
        let kind = entry.file_type();
        field(&mut hasher, name.as_bytes());
        if kind.is_symlink() {
            let target = std::fs::read_link(entry.path()).ok()?;
            field(&mut hasher, b"link");
            field(&mut hasher, target.to_str()?.as_bytes());
        } else if kind.is_dir() {
            field(&mut hasher, b"folder");
        } else if kind.is_file() {
            let bytes = std::fs::read(entry.path()).ok()?;
            total += bytes.len();
            if total > MAX_INPUT_BYTES {
                return None;
            }
            field(&mut hasher, b"file");
            field(&mut hasher, &bytes);
            files.insert(name, bytes);
        } else {
            field(&mut hasher, b"other");
        }
    }
    Some(Inputs {
        key: hex(&hasher.finalize()),
        files,
    })
}

impl Inputs {
    /// Whether the inputs still are what they were when `self` was read.
    pub fn unchanged(&self, root: &Path) -> bool {
        inputs(root).is_some_and(|now| now.key == self.key)
    }
}

/// One length-prefixed field of a hash, so that no two different inputs hash alike.
fn field(hasher: &mut Sha256, bytes: &[u8]) {
    hasher.update((bytes.len() as u64).to_le_bytes());
    hasher.update(bytes);
}

/// The running binary: version, size, modification time and inode. A rebuilt or
/// reinstalled binary (which may compile differently) never reuses a record.
fn binary_identity() -> Option<String> {
    let exe = std::env::current_exe().ok()?;
    let stat = Stat::of(&exe)?;
    Some(format!(
        "{} {} {}",
        stat.size,
        stat.modified.line(),
        stat.inode
    ))
}

/// The warnings and environment count of the record, when it was taken from these
/// inputs: what `validate` would find, without looking at `generated/`.
pub fn known(root: &Path, inputs: &Inputs) -> Option<Replay> {
    let record = Record::read_head(root)?;
    if record.key != inputs.key {
        return None;
    }
    record.replay(root, inputs)
}

/// What a full `check` or `build` would find, when the record was taken from these
/// inputs and `generated/` is still what it recorded; `None` otherwise. Call it holding
/// the build lock.
pub fn replay(root: &Path, inputs: &Inputs) -> Option<Replay> {
    let record = Record::read(root)?;
    if record.key != inputs.key {
        return None;
    }
    let (entries, taken, unsettled) = record.verify(root)?;
    let mut replay = record.replay(root, inputs)?;
    if unsettled {
        replay.refreshed = Some(Record {
            entries,
            taken,
            ..record
        });
    }
    Some(replay)
}

/// Take the refreshed record of a replayed build, if it has one (`build` only: a check
/// writes nothing).
pub fn retake(root: &Path, replay: &mut Replay) {
    if let Some(record) = replay.refreshed.take() {
        let _ = record.write(root);
    }
}

/// The stat data of the files a build wrote, taken in its staging folder before the
/// swap, where nobody else writes: such a file needs no reading back once it is in
/// `generated/` with the same stat data (a swap changes no file's).
#[derive(Debug, Default)]
pub struct Staged {
    taken: Option<Time>,
    stats: BTreeMap<String, Stat>,
}

impl Staged {
    /// The stat data of `written` (output paths, `generated/...`) in `staging`.
    pub fn of(staging: &Path, written: &[&String]) -> Staged {
        let taken = Time::of(SystemTime::now());
        let inside: Vec<(&String, &str)> = written
            .iter()
            .filter_map(|p| Some((*p, p.strip_prefix(&format!("{GENERATED_DIR}/"))?)))
            .collect();
        let stats = crate::parallel::map(&inside, |(path, inside)| {
            Stat::of(&staging.join(inside)).map(|stat| ((*path).clone(), stat))
        });
        Staged {
            taken: Some(taken),
            stats: stats.into_iter().flatten().collect(),
        }
    }

    /// The hash of `ours` when the file at `path`, now `now`, is the one the build wrote
    /// and its change time was settled when it was staged.
    fn hash(&self, path: &str, now: &Stat, ours: Option<&str>) -> Option<String> {
        let (staged, ours) = (self.stats.get(path)?, ours?);
        let settled = self.taken.is_some_and(|t| staged.settled_at(t));
        (staged == now && settled).then(|| content_hash(ours.as_bytes()))
    }
}

/// Take the record of a build: `tree` is on disk under `root`, compiled from `inputs`
/// with `warnings`. A file is read back (one changed by someone else since the build
/// wrote it must not be recorded as the build's) unless the last record proves it
/// unchanged (`proof`, read before the build) or `staged` shows it is the file the
/// build wrote; nothing is recorded when
/// a file differs, when the inputs changed meanwhile, or when the record cannot be
/// written, and the next run takes the full path.
pub fn take(
    root: &Path,
    inputs: &Inputs,
    compiled: &crate::compile::Compiled,
    tree: &OutputTree,
    proof: Option<&Proof>,
    staged: &Staged,
) {
    let _ = remove(root);
    let taken = SystemTime::now();
    let Some(entries) = entries_on_disk(root, tree, proof, staged) else {
        return;
    };
    if !inputs.unchanged(root) {
        return;
    }
    let record = Record {
        key: inputs.key.clone(),
        environments: compiled.stack.environments.len(),
        sources: compiled.sources.paths().map(str::to_owned).collect(),
        warnings: compiled.warnings.clone(),
        taken: Time::of(taken),
        entries,
    };
    let _ = record.write(root);
}

/// What the last record proves about the files on disk, whatever inputs it was taken
/// from: a file whose stat data is still the recorded (and was settled) holds the
/// recorded bytes. A build whose inputs changed reads back only the other files.
#[derive(Debug)]
pub struct Proof {
    taken: Time,
    entries: BTreeMap<String, Entry>,
}

impl Proof {
    /// The proof of the project's record, if it has one.
    pub fn read(root: &Path) -> Option<Proof> {
        let record = Record::read(root)?;
        let entries = record
            .entries
            .into_iter()
            .filter(|e| !e.stat.folder)
            .map(|e| (e.path.clone(), e))
            .collect();
        Some(Proof {
            taken: record.taken,
            entries,
        })
    }

    /// Whether the file at `path` (from the project root) is proved to hold `contents`.
    pub fn holds(&self, root: &Path, path: &str, contents: &str) -> bool {
        Stat::of(&root.join(path))
            .is_some_and(|now| self.hash(path, &now, Some(contents)).is_some())
    }

    /// The recorded hash of the file at `path`, when its stat data `now` proves it
    /// unchanged since the record, and it is the tree's file holding `ours` (or, for
    /// `None`, a hand-written file).
    fn hash(&self, path: &str, now: &Stat, ours: Option<&str>) -> Option<String> {
        let entry = self.entries.get(path)?;
        if entry.stat != *now || !now.settled_at(self.taken) {
            return None;
        }
        let hash = entry.hash.clone()?;
        let matches = match ours {
            Some(contents) => entry.ours && content_hash(contents.as_bytes()) == hash,
            None => !entry.ours,
        };
        matches.then_some(hash)
    }
}

/// Remove the record, if there is one.
fn remove(root: &Path) -> std::io::Result<()> {
    let Some(dir) = local_folder(root, false) else {
        return Ok(());
    };
    match std::fs::remove_file(dir.join(RECORD_FILE)) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// `.mcpstack/` under `root`, the folder of what mcpstack keeps on this machine (the
/// record, the tree the last build replaced), made with its `.gitignore` when `create`
/// is set. `None` when it is absent (and not made), or anything but a real folder: a
/// symbolic link there could make a build write outside the project.
pub fn local_folder(root: &Path, create: bool) -> Option<std::path::PathBuf> {
    let dir = root.join(RECORD_DIR);
    match std::fs::symlink_metadata(&dir) {
        Ok(metadata) if metadata.is_dir() => {}
        Ok(_) => return None,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && create => {
            std::fs::create_dir(&dir).ok()?;
        }
        Err(_) => return None,
    }
    let ignore = dir.join(".gitignore");
    if create && std::fs::symlink_metadata(&ignore).is_err() {
        let text = "# What mcpstack keeps on this machine: never committed\n*\n";
        std::fs::write(&ignore, text).ok()?;
    }
    Some(dir)
}

/// Remove what a build killed while writing the record left: `record.PID` files.
fn remove_temporaries(dir: &Path) {
    let Ok(listing) = std::fs::read_dir(dir) else {
        return;
    };
    let prefix = format!("{RECORD_FILE}.");
    for entry in listing.flatten() {
        let name = entry.file_name();
        let temporary = name
            .to_str()
            .and_then(|n| n.strip_prefix(&prefix))
            .is_some_and(|pid| !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()));
        if temporary {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// A file's or folder's stat data, as far as the record compares it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stat {
    folder: bool,
    inode: u64,
    size: u64,
    modified: Time,
    changed: Time,
}

impl Stat {
    #[cfg(unix)]
    fn of(path: &Path) -> Option<Stat> {
        use std::os::unix::fs::MetadataExt;
        let metadata = std::fs::symlink_metadata(path).ok()?;
        let kind = metadata.file_type();
        if !(kind.is_file() || kind.is_dir()) {
            return None;
        }
        Some(Stat {
            folder: kind.is_dir(),
            inode: metadata.ino(),
            size: metadata.size(),
            modified: Time::from_parts(metadata.mtime(), metadata.mtime_nsec())?,
            changed: Time::from_parts(metadata.ctime(), metadata.ctime_nsec())?,
        })
    }

    /// Elsewhere there is no change time to trust: no record.
    #[cfg(not(unix))]
    fn of(_path: &Path) -> Option<Stat> {
        None
    }

    /// The stat data of `name` in the open folder `dir`: one name to look up instead
    /// of a whole path (looking paths up was most of a replay's time).
    #[cfg(unix)]
    fn in_folder(dir: &rustix::fd::OwnedFd, name: &str) -> Option<Stat> {
        use rustix::fs::{AtFlags, FileType, statat};
        let stat = statat(dir, name, AtFlags::SYMLINK_NOFOLLOW).ok()?;
        let kind = FileType::from_raw_mode(stat.st_mode);
        if !matches!(kind, FileType::RegularFile | FileType::Directory) {
            return None;
        }
        Some(Stat {
            folder: kind == FileType::Directory,
            inode: whole(stat.st_ino)?,
            size: whole(stat.st_size)?,
            modified: Time::from_raw(stat.st_mtime, stat.st_mtime_nsec)?,
            changed: Time::from_raw(stat.st_ctime, stat.st_ctime_nsec)?,
        })
    }

    /// Whether the change time was settled at `taken`: a later change gets a later time.
    fn settled_at(&self, taken: Time) -> bool {
        let margin = match self.changed.nanos {
            0 => SETTLED_COARSE,
            _ => SETTLED,
        };
        let changed = Duration::new(self.changed.seconds, self.changed.nanos);
        let taken = Duration::new(taken.seconds, taken.nanos);
        taken.checked_sub(changed).is_some_and(|age| age >= margin)
    }
}

/// A time as seconds and nanoseconds since 1970.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Time {
    seconds: u64,
    nanos: u32,
}

impl Time {
    fn of(time: SystemTime) -> Time {
        let since = time.duration_since(UNIX_EPOCH).unwrap_or_default();
        Time {
            seconds: since.as_secs(),
            nanos: since.subsec_nanos(),
        }
    }

    fn from_parts(seconds: i64, nanos: i64) -> Option<Time> {
        Some(Time {
            seconds: u64::try_from(seconds).ok()?,
            nanos: u32::try_from(nanos).ok()?,
        })
    }

    /// From a platform's `stat` fields, whatever their integer types.
    fn from_raw(seconds: impl TryInto<u64>, nanos: impl TryInto<u32>) -> Option<Time> {
        Some(Time {
            seconds: seconds.try_into().ok()?,
            nanos: nanos.try_into().ok()?,
        })
    }

    fn line(&self) -> String {
        format!("{}.{:09}", self.seconds, self.nanos)
    }

    fn parse(text: &str) -> Option<Time> {
        let (seconds, nanos) = text.split_once('.')?;
        Some(Time {
            seconds: seconds.parse().ok()?,
            nanos: nanos.parse().ok().filter(|n| *n < 1_000_000_000)?,
        })
    }
}

/// One recorded file or folder.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    /// Relative to the project root, `/`-separated.
    path: String,
    stat: Stat,
    /// Files: SHA-256 of the bytes (hex, first 128 bits).
    hash: Option<String>,
    /// A file of the output tree (others are hand-written files `generated/` keeps).
    ours: bool,
}

impl Entry {
    /// This entry as the disk holds it now (`now`: its stat data), when it still holds
    /// what was recorded: the stat data of now, and whether telling took reading the
    /// file. `None` for a file that differs, and for a folder whose times changed or
    /// are recent (its listing decides, see [`Record::same_listing`]).
    fn refreshed(&self, root: &Path, now: Option<Stat>, taken: Time) -> Option<(Entry, bool)> {
        let now = now?;
        if now == self.stat && self.stat.settled_at(taken) {
            return Some((self.clone(), false));
        }
        if now.folder || self.stat.folder || now.size != self.stat.size {
            return None;
        }
        let bytes = std::fs::read(root.join(&self.path)).ok()?;
        if Some(content_hash(&bytes)) != self.hash {
            return None;
        }
        let entry = Entry {
            stat: now,
            ..self.clone()
        };
        Some((entry, true))
    }

    /// The folder holding this entry and the entry's name in it.
    fn folder_and_name(&self) -> (&str, &str) {
        self.path.rsplit_once('/').unwrap_or(("", &self.path))
    }
}

/// The stat data of each of `entries` (all in one folder under `root`), the folder
/// opened once.
#[cfg(unix)]
fn stats_in_folder(root: &Path, folder: &str, entries: &[&Entry]) -> Vec<Option<Stat>> {
    use rustix::fs::{Mode, OFlags, open};
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    let Ok(dir) = open(root.join(folder), flags, Mode::empty()) else {
        return vec![None; entries.len()];
    };
    entries
        .iter()
        .map(|entry| Stat::in_folder(&dir, entry.folder_and_name().1))
        .collect()
}

/// A `stat` field as `u64`, whatever its integer type on the platform.
#[cfg(unix)]
fn whole(value: impl TryInto<u64>) -> Option<u64> {
    value.try_into().ok()
}

#[cfg(not(unix))]
fn stats_in_folder(_root: &Path, _folder: &str, entries: &[&Entry]) -> Vec<Option<Stat>> {
    vec![None; entries.len()]
}

fn content_hash(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes)[..16])
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Every folder and file under `generated/`, and the tree's files outside it, with stat
/// data taken before each file is read back. `None` when a file of the tree differs from
/// it, a hand-written file starts with the generated header, or a path cannot be kept.
/// A file that the last record proves unchanged since it was taken (`proof`) is not
/// read: its recorded hash must equal the tree's.
fn entries_on_disk(
    root: &Path,
    tree: &OutputTree,
    proof: Option<&Proof>,
    staged: &Staged,
) -> Option<Vec<Entry>> {
    let mut found: Vec<(String, bool)> = Vec::new();
    let generated = root.join(GENERATED_DIR);
    for entry in walkdir::WalkDir::new(&generated).sort_by_file_name() {
        let entry = entry.ok()?;
        let relative = entry.path().strip_prefix(root).ok()?;
        let path = relative.to_str()?.replace(std::path::MAIN_SEPARATOR, "/");
        found.push((path, entry.file_type().is_dir()));
    }
    let outside = tree
        .files
        .keys()
        .filter(|p| !p.starts_with(&format!("{GENERATED_DIR}/")));
    found.extend(outside.map(|p| (p.clone(), false)));
    if found.iter().any(|(p, _)| p.contains(['\n', '\r'])) {
        return None;
    }
    let entries = crate::parallel::map(&found, |(path, folder)| {
        let ours = tree.files.get(path).map(String::as_str);
        entry_on_disk(root, path, *folder, ours, proof, staged)
    });
    entries.into_iter().collect()
}

fn entry_on_disk(
    root: &Path,
    path: &str,
    folder: bool,
    ours: Option<&str>,
    proof: Option<&Proof>,
    staged: &Staged,
) -> Option<Entry> {
    let stat = Stat::of(&root.join(path))?;
    if stat.folder != folder {
        return None;
    }
    let entry = |hash| Entry {
        path: path.to_owned(),
        stat,
        hash,
        ours: ours.is_some(),
    };
    if folder {
        return Some(entry(None));
    }
    let known = proof
        .and_then(|p| p.hash(path, &stat, ours))
        .or_else(|| staged.hash(path, &stat, ours));
    if let Some(hash) = known {
        return Some(entry(Some(hash)));
    }
    let bytes = std::fs::read(root.join(path)).ok()?;
    let matches = match ours {
        Some(contents) => bytes == contents.as_bytes(),
        None => !bytes.starts_with(HEADER_MARK.as_bytes()),
    };
    matches.then(|| entry(Some(content_hash(&bytes))))
}

/// How much of the record to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    Whole,
    Head,
}

/// Whether a record line is an entry (the entries come last).
fn is_entry(line: &str) -> bool {
    ["folder ", "file ", "kept "]
        .iter()
        .any(|kind| line.starts_with(kind))
}

/// The record as kept on disk.
#[derive(Debug)]
struct Record {
    key: String,
    environments: usize,
    /// The paths of the compile's sources, in order: warnings' spans index them.
    sources: Vec<String>,
    warnings: Vec<Diagnostic>,
    taken: Time,
    entries: Vec<Entry>,
}

impl Record {
    /// The record of the project at `root`, if it has a readable one.
    fn read(root: &Path) -> Option<Record> {
        Record::read_part(root, Part::Whole)
    }

    /// The record's lines before its entries: what `validate` needs, without reading
    /// the entries of every generated file.
    fn read_head(root: &Path) -> Option<Record> {
        Record::read_part(root, Part::Head)
    }

    fn read_part(root: &Path, part: Part) -> Option<Record> {
        use std::io::BufRead as _;
        let path = local_folder(root, false)?.join(RECORD_FILE);
        let size = std::fs::symlink_metadata(&path)
            .ok()
            .filter(|m| m.is_file())?
            .len();
        if size > MAX_RECORD_BYTES {
            return None;
        }
        if part == Part::Whole {
            return Record::parse(&std::fs::read_to_string(&path).ok()?);
        }
        let file = std::fs::File::open(&path).ok()?;
        let mut lines = std::io::BufReader::with_capacity(1 << 20, file).lines();
        let mut text = String::new();
        for line in lines.by_ref() {
            let line = line.ok()?;
            if is_entry(&line) {
                break;
            }
            text.push_str(&line);
            text.push('\n');
        }
        Record::parse(&text)
    }

    /// Text format: a first line naming the format, then one line per item: `key HEX`,
    /// `environments N`, `taken TIME`, `source PATH` (in order), `warning JSON`, then
    /// `KIND INODE SIZE MTIME CTIME HASH PATH` for each entry, KIND `folder` (hash `-`),
    /// `file` (of the tree) or `kept` (a hand-written file under `generated/`).
    fn parse(text: &str) -> Option<Record> {
        let mut lines = text.lines();
        if lines.next()? != FORMAT {
            return None;
        }
        let mut record = Record {
            key: String::new(),
            environments: 0,
            sources: Vec::new(),
            warnings: Vec::new(),
            taken: Time {
                seconds: 0,
                nanos: 0,
            },
            entries: Vec::new(),
        };
        for line in lines {
            let (kind, rest) = line.split_once(' ')?;
            match kind {
                "key" => record.key = rest.to_owned(),
                "environments" => record.environments = rest.parse().ok()?,
                "taken" => record.taken = Time::parse(rest)?,
                "source" => record.sources.push(rest.to_owned()),
                "warning" => record.warnings.push(serde_json::from_str(rest).ok()?),
                "folder" | "file" | "kept" => record.entries.push(parse_entry(kind, rest)?),
                _ => return None,
            }
        }
        (!record.key.is_empty()).then_some(record)
    }

    fn write(&self, root: &Path) -> std::io::Result<()> {
        let Some(dir) = local_folder(root, true) else {
            return Err(std::io::Error::other("no folder for the record"));
        };
        remove_temporaries(&dir);
        let mut text = String::with_capacity(self.entries.len() * 120);
        let _ = self.write_text(&mut text);
        let temporary = dir.join(format!("{RECORD_FILE}.{}", std::process::id()));
        let mut file = std::fs::File::create(&temporary)?;
        file.write_all(text.as_bytes())?;
        drop(file);
        std::fs::rename(&temporary, dir.join(RECORD_FILE)).inspect_err(|_| {
            let _ = std::fs::remove_file(&temporary);
        })
    }

    fn write_text(&self, out: &mut String) -> std::fmt::Result {
        use std::fmt::Write as _;
        writeln!(out, "{FORMAT}")?;
        writeln!(out, "key {}", self.key)?;
        writeln!(out, "environments {}", self.environments)?;
        writeln!(out, "taken {}", self.taken.line())?;
        for source in &self.sources {
            writeln!(out, "source {source}")?;
        }
        for warning in &self.warnings {
            let json = serde_json::to_string(warning).map_err(|_| std::fmt::Error)?;
            writeln!(out, "warning {json}")?;
        }
        for entry in &self.entries {
            let stat = &entry.stat;
            let kind = match (stat.folder, entry.ours) {
                (true, _) => "folder",
                (false, true) => "file",
                (false, false) => "kept",
            };
            writeln!(
                out,
                "{kind} {} {} {} {} {} {}",
                stat.inode,
                stat.size,
                stat.modified.line(),
                stat.changed.line(),
                entry.hash.as_deref().unwrap_or("-"),
                entry.path
            )?;
        }
        Ok(())
    }

    /// The record refreshed from the disk, when `generated/` and the schema still hold
    /// what was recorded; `None` when anything differs. The refreshed record has the
    /// stat data of now, and says whether some entry had to be read or listed to tell.
    fn verify(&self, root: &Path) -> Option<(Vec<Entry>, Time, bool)> {
        let now = Time::of(SystemTime::now());
        let mut folders: BTreeMap<&str, Vec<&Entry>> = BTreeMap::new();
        for entry in &self.entries {
            folders
                .entry(entry.folder_and_name().0)
                .or_default()
                .push(entry);
        }
        let folders: Vec<(&str, Vec<&Entry>)> = folders.into_iter().collect();
        let checked = crate::parallel::map(&folders, |(folder, entries)| {
            let stats = stats_in_folder(root, folder, entries);
            entries
                .iter()
                .zip(stats)
                .map(|(entry, stat)| (entry.path.as_str(), entry.refreshed(root, stat, self.taken)))
                .collect::<Vec<_>>()
        });
        let mut held: BTreeMap<&str, Option<(Entry, bool)>> =
            checked.into_iter().flatten().collect();
        let mut unsettled = false;
        let mut entries = Vec::with_capacity(self.entries.len());
        for entry in &self.entries {
            match held.remove(entry.path.as_str()).flatten() {
                Some((entry, read)) => {
                    unsettled |= read;
                    entries.push(entry);
                }
                None if entry.stat.folder => {
                    let stat = self.same_listing(root, &entry.path)?;
                    unsettled = true;
                    entries.push(Entry {
                        stat,
                        ..entry.clone()
                    });
                }
                None => return None,
            }
        }
        Some((entries, now, unsettled))
    }

    /// The stat data of the folder at `path` (one that changed, or changed too recently
    /// to trust its times), taken before listing it, when it still lists exactly the
    /// recorded entries.
    fn same_listing(&self, root: &Path, path: &str) -> Option<Stat> {
        let now = Stat::of(&root.join(path)).filter(|s| s.folder)?;
        let mut names = BTreeSet::new();
        for entry in std::fs::read_dir(root.join(path)).ok()? {
            names.insert(entry.ok()?.file_name().to_str()?.to_owned());
        }
        let prefix = format!("{path}/");
        let recorded: BTreeSet<String> = self
            .entries
            .iter()
            .filter_map(|e| e.path.strip_prefix(&prefix))
            .filter(|rest| !rest.contains('/'))
            .map(str::to_owned)
            .collect();
        (names == recorded).then_some(now)
    }

    /// The replayed findings, with the sources their spans point into.
    fn replay(&self, root: &Path, inputs: &Inputs) -> Option<Replay> {
        let mut sources = Sources::at(root);
        for path in &self.sources {
            let text = String::from_utf8(inputs.files.get(path)?.clone()).ok()?;
            sources.add(path.clone(), text);
        }
        let span_ok = |d: &Diagnostic| d.span.is_none_or(|s| s.file.0 < self.sources.len());
        if !self.warnings.iter().all(span_ok) {
            return None;
        }
        let files = self
            .entries
            .iter()
            .filter(|e| e.ours)
            .map(|e| e.path.clone())
            .collect();
        Some(Replay {
            sources,
            warnings: self.warnings.clone(),
            environments: self.environments,
            files,
            refreshed: None,
        })
    }
}

/// Whether `path` names something under the project root: plain names joined by `/`
/// (a record is only read, but one written by hand must not point anywhere else).
fn is_plain_relative(path: &str) -> bool {
    path.split('/')
        .all(|part| !part.is_empty() && part != "." && part != ".." && !part.contains('\\'))
}

fn parse_entry(kind: &str, rest: &str) -> Option<Entry> {
    let mut parts = rest.splitn(6, ' ');
    let inode = parts.next()?.parse().ok()?;
    let size = parts.next()?.parse().ok()?;
    let modified = Time::parse(parts.next()?)?;
    let changed = Time::parse(parts.next()?)?;
    let hash = Some(parts.next()?.to_owned()).filter(|h| h != "-");
    let path = parts.next()?.to_owned();
    if !is_plain_relative(&path) {
        return None;
    }
    Some(Entry {
        path,
        stat: Stat {
            folder: kind == "folder",
            inode,
            size,
            modified,
            changed,
        },
        hash,
        ours: kind == "file",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn time(seconds: u64, nanos: u32) -> Time {
        Time { seconds, nanos }
    }

    fn stat(changed: Time) -> Stat {
        Stat {
            folder: false,
            inode: 7,
            size: 10,
            modified: changed,
            changed,
        }
    }

    #[test]
    fn only_change_times_older_than_the_record_by_a_tick_are_trusted() {
        let taken = time(100, 500_000_000);
        assert!(stat(time(100, 400_000_000)).settled_at(taken));
        assert!(!stat(time(100, 480_000_000)).settled_at(taken));
        assert!(
            !stat(time(101, 1)).settled_at(taken),
            "a time after the record"
        );
        // Whole-second file systems: two seconds.
        assert!(!stat(time(99, 0)).settled_at(taken));
        assert!(stat(time(98, 0)).settled_at(taken));
    }

    #[test]
    fn a_record_reads_back_as_written() {
        let record = Record {
            key: "abc".to_owned(),
            environments: 2,
            sources: vec!["environments/stack.yaml".to_owned()],
            warnings: vec![
                Diagnostic::warning(crate::diagnostic::Code::MutableTag, "runs `latest`")
                    .at(crate::source::Span {
                        file: crate::source::FileId(0),
                        line: 3,
                        column: 9,
                    })
                    .path(crate::node::FieldPath::root().key("services").index(0))
                    .help("pin it"),
            ],
            taken: time(5, 6),
            entries: vec![
                Entry {
                    path: "generated".to_owned(),
                    stat: Stat {
                        folder: true,
                        ..stat(time(1, 2))
                    },
                    hash: None,
                    ours: false,
                },
                Entry {
                    path: "generated/a b.yaml".to_owned(),
                    stat: stat(time(3, 4)),
                    hash: Some("00ff".to_owned()),
                    ours: true,
                },
                Entry {
                    path: "generated/NOTES.md".to_owned(),
                    stat: stat(time(3, 4)),
                    hash: Some("11ee".to_owned()),
                    ours: false,
                },
            ],
        };
        let mut text = String::new();
        record.write_text(&mut text).expect("text");
        let read = Record::parse(&text).expect("parses");
        assert_eq!(read.key, record.key);
        assert_eq!(read.environments, 2);
        assert_eq!(read.sources, record.sources);
        assert_eq!(read.warnings, record.warnings);
        assert_eq!(read.taken, record.taken);
        assert_eq!(read.entries, record.entries);
        assert!(Record::parse(&text.replace("mcpstack-record 1", "mcpstack-record 0")).is_none());
        assert!(Record::parse(&format!("{text}surprise 1\n")).is_none());
        for outside in [
            "/etc/passwd",
            "generated/../../x",
            "./generated",
            "generated//a",
        ] {
            let line = format!("{text}file 1 2 3.000000000 4.000000000 00 {outside}\n");
            assert!(Record::parse(&line).is_none(), "{outside}");
        }
    }
}
