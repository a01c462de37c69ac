//! `cargo bench --bench peers`: mcpstack beside `helm template` on the peer kit's
//! workload (S services x 3 environments, 8 objects per service per environment), the
//! figures issue 12's targets are stated in.
//!
//! The peer kit is the directory named by `MCPSTACK_PEER_KIT`, else `../shared/bench/peers`
//! beside this crate; without either the bench says it skipped and exits 0. The kit is
//! only read: its generators and checkers are copied into a temporary directory and run
//! there with `python3` (with PyYAML). For each S the bench:
//!
//! 1. writes the workload (`gen.py`) and the mcpstack project (`mcpstack_gen.py`), builds
//!    the project once, renders every environment and compares the objects with the
//!    kit's reference (`mcpstack_check.py`; the bench stops when they differ);
//! 2. times interleaved rounds of whole processes, each from spawn to `wait4` (start-up
//!    included; user+sys CPU and peak RSS from the same `wait4`): the floors `true` and
//!    reading every generated file once, `helm template` of each environment, `mcpstack
//!    validate`, `render production`, `check` (up to date), `build` (no change), both
//!    again with the build record (`.mcpstack/`) removed first (the full path a clean
//!    clone takes) and `build` into a fresh copy holding only `environments/`; then, as
//!    many times, a no-change `build` paired with a `build` after a one-line change (one
//!    production image digest, two values in turn);
//! 3. prints medians, spreads, CPU, cores busy, peak RSS, cost per service and the
//!    ratios, each computed per round and quoted as the median over rounds (a peak RSS
//!    includes the bench's own few MiB, as `floor: true` shows);
//! 4. runs `kubectl kustomize` on every namespace unit, the 20 largest units of each
//!    environment and a sample spread over all units, two at a time.
//!
//! Fresh copies are made before the rounds and no tree is deleted until the bench ends:
//! on ext4, creating files right after many were deleted is slow.
//!
//! Environment variables:
//! - `MCPSTACK_PEER_KIT=DIR`: the peer kit.
//! - `MCPSTACK_BENCH_SIZES=1000,3000`: the values of S.
//! - `MCPSTACK_BENCH_ROUNDS=N`: counted rounds (default 5, and 3 from S=3000, where no
//!   warm-up round runs; below it one warm-up round runs first).
//! - `HELM=PATH`: the helm binary (default `helm` on the `PATH`; without one the helm
//!   rows and ratios are skipped, and the bench says so).
//! - `MCPSTACK_BENCH_UNITS=N`: units sampled for `kubectl kustomize` besides the
//!   namespace and largest units (default 100; `0` skips the Kustomize part).
//! - `MCPSTACK_BENCH_JSON=FILE`: also append the raw figures to FILE as JSON lines.
//! - `MCPSTACK_BENCH_CHECK_MAX_S=N`: compare the objects with the kit's reference only
//!   up to S=N (default 3000; the kit's checker is slow beyond, and the bench says so).

mod common;

use std::collections::BTreeSet;
use std::ffi::OsStr;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command as Process, Stdio};
use std::time::Instant;

use common::{env_count, kubectl_version, kustomize_in_parallel, ms, print_unit_runs, spread};

const ENVS: [&str; 3] = ["staging", "production", "review"];
/// Above this S the kit's object comparison is skipped unless asked for: its Python
/// checker took over ten minutes at S=10,000.
const CHECK_MAX_S: usize = 3000;
/// From this S on: fewer rounds and no warm-up, as in the kit.
const BIG_S: usize = 3000;
const DEFAULT_SIZES: &str = "1000,3000";
const DEFAULT_UNITS: usize = 100;
/// The largest units built per environment, besides the sample.
const LARGEST_PER_ENV: usize = 20;
/// What the bench copies out of the kit: `gen.py` also copies the other tools' sources.
const KIT_FILES: [&str; 9] = [
    "gen.py",
    "workload.py",
    "mcpstack_gen.py",
    "check.py",
    "mcpstack_check.py",
    "helm",
    "kapitan",
    "kcl",
    "cdk8s",
];
// The labels the ratios refer to.
const HELM_ALL: &str = "helm 3 envs";
const HELM_PRODUCTION: &str = "helm production";
const READ_GENERATED: &str = "floor: read generated/";
const RENDER: &str = "render production";
const CHECK: &str = "check";
const CHECK_FULL: &str = "check, no record";
const NOOP: &str = "build, no change";
const NOOP_FULL: &str = "build, no change, no record";
const FRESH: &str = "build, fresh";
const ONE_LINE: &str = "build, one-line change";
const NOOP_BEFORE: &str = "build, no change (paired)";
/// Ratios between two commands of the same round: numerator, denominator.
const RATIOS: [(&str, &str); 9] = [
    (HELM_ALL, CHECK),
    (HELM_ALL, NOOP),
    (HELM_ALL, FRESH),
    (HELM_ALL, CHECK_FULL),
    (HELM_ALL, NOOP_FULL),
    (HELM_PRODUCTION, RENDER),
    (ONE_LINE, NOOP_BEFORE),
    (CHECK_FULL, CHECK),
    (CHECK, READ_GENERATED),
];

fn main() {
    let Some(kit) = peer_kit() else {
        println!("peers bench: skipped: no peer kit (set MCPSTACK_PEER_KIT)");
        return;
    };
    let python = python_version();
    let helm = helm();
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    println!(
        "peers bench: kit {}, {python}, {cores} core(s)",
        kit.display()
    );
    match &helm {
        Some(helm) => println!("helm: {} ({})", helm.path.display(), helm.version),
        None => println!("helm: not found (set HELM): the helm rows and ratios are skipped"),
    }
    // Everything the bench writes lives here and is deleted only when main returns.
    let scratch = tempfile::Builder::new()
        .prefix("mcpstack-peers-")
        .tempdir()
        .expect("create a temporary directory");
    let copy = scratch.path().join("kit");
    for name in KIT_FILES {
        copy_tree(&kit.join(name), &copy.join(name));
    }
    let mut json = std::env::var_os("MCPSTACK_BENCH_JSON").map(|path| JsonLines::open(&path));
    let started = Instant::now();
    for services in sizes() {
        let size_started = Instant::now();
        let workload = Workload::prepare(&copy, scratch.path(), services);
        let rounds = workload.time_rounds(helm.as_ref());
        print_rounds(services, &rounds, helm.is_some(), json.as_mut());
        if helm.is_some() {
            workload.check_helm_output();
        }
        match env_count("MCPSTACK_BENCH_UNITS").unwrap_or(DEFAULT_UNITS) {
            0 => println!("\nkubectl kustomize: skipped (MCPSTACK_BENCH_UNITS=0)"),
            sample => kustomize_section(&workload, sample, json.as_mut()),
        }
        println!(
            "\nS={services}: {:.0} s in all (generation, checks, rounds, kustomize)",
            size_started.elapsed().as_secs_f64()
        );
    }
    println!(
        "\npeers bench: {:.0} s in all",
        started.elapsed().as_secs_f64()
    );
}

// ---------------------------------------------------------------------------------
// Setup: the kit, python3, helm, S
// ---------------------------------------------------------------------------------

fn peer_kit() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("MCPSTACK_PEER_KIT") {
        let dir = PathBuf::from(dir);
        assert!(
            dir.join("gen.py").is_file(),
            "MCPSTACK_PEER_KIT={}: no gen.py there",
            dir.display()
        );
        return Some(dir);
    }
    let beside = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/bench/peers");
    let beside = beside.canonicalize().ok()?;
    beside.join("gen.py").is_file().then_some(beside)
}

fn python_version() -> String {
    let output = Process::new("python3")
        .args(["-c", "import sys, yaml; print('python', sys.version.split()[0], '+ PyYAML', yaml.__version__)"])
        .output()
        .expect("the peers bench needs python3 on the PATH to run the kit's generators");
    assert!(
        output.status.success(),
        "the peers bench needs python3 with PyYAML: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

struct Helm {
    path: PathBuf,
    version: String,
}

/// `HELM`, else `helm` on the `PATH`, when it runs.
fn helm() -> Option<Helm> {
    let path = std::env::var_os("HELM").map_or_else(|| PathBuf::from("helm"), PathBuf::from);
    let output = Process::new(&path)
        .args(["version", "--short"])
        .output()
        .ok()?;
    output.status.success().then(|| Helm {
        version: String::from_utf8_lossy(&output.stdout).trim().to_owned(),
        path,
    })
}

fn sizes() -> Vec<usize> {
    let text = std::env::var("MCPSTACK_BENCH_SIZES").unwrap_or_else(|_| DEFAULT_SIZES.to_owned());
    text.split(',')
        .map(|s| {
            s.trim()
                .parse()
                .unwrap_or_else(|_| panic!("MCPSTACK_BENCH_SIZES: `{s}` is not a number"))
        })
        .collect()
}

/// Copies a file, or a directory's files, from the kit into `to`.
fn copy_tree(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.expect("read the peer kit");
        let relative = entry
            .path()
            .strip_prefix(from)
            .expect("a path under the kit");
        let target = if relative.as_os_str().is_empty() {
            to.to_owned()
        } else {
            to.join(relative)
        };
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).expect("create a directory");
        } else if entry.file_type().is_file() {
            let parent = target.parent().expect("a file's directory");
            std::fs::create_dir_all(parent).expect("create a directory");
            std::fs::copy(entry.path(), &target).expect("copy a kit file");
        }
    }
}

/// Runs a command to completion; panics with its output when it fails.
fn run(what: &str, command: &mut Process) -> String {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("{what}: cannot run: {e}"));
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{what} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

// ---------------------------------------------------------------------------------
// One workload size
// ---------------------------------------------------------------------------------

/// The files of one S: `work` = the kit's `work/S<S>/` layout, `project` inside it.
struct Workload {
    services: usize,
    kit: PathBuf,
    work: PathBuf,
    project: PathBuf,
    out: PathBuf,
    fresh: Vec<PathBuf>,
    warmup: usize,
    rounds: usize,
    /// The production spec line the one-line change edits, and its other value.
    digest_line: (String, String),
}

fn mcpstack() -> Process {
    Process::new(env!("CARGO_BIN_EXE_mcpstack"))
}

impl Workload {
    /// Generates the inputs, builds and checks the project, and makes the fresh copies.
    fn prepare(kit: &Path, scratch: &Path, services: usize) -> Workload {
        let work = scratch.join(format!("S{services}"));
        let project = work.join("mcpstack");
        let out = work.join("out");
        let started = Instant::now();
        let python = |script: &str, args: &[&OsStr]| {
            run(
                script,
                Process::new("python3")
                    .arg(kit.join(script))
                    .args(args)
                    .env("PYTHONDONTWRITEBYTECODE", "1"),
            );
        };
        let s = services.to_string();
        python("gen.py", &[s.as_ref(), scratch.as_os_str()]);
        python("mcpstack_gen.py", &[s.as_ref(), project.as_os_str()]);
        std::fs::create_dir_all(&out).expect("create out/");
        println!(
            "\n== S={services}: inputs written in {:.1} s",
            started.elapsed().as_secs_f64()
        );

        let started = Instant::now();
        run(
            "mcpstack build",
            mcpstack().arg("-C").arg(&project).arg("build"),
        );
        println!("first build: {:.2} s", started.elapsed().as_secs_f64());
        // Straight to files: a child's peak RSS as wait4 reports it includes this
        // process's own peak (the child starts as a vfork of it), so the bench holds
        // no large data (`floor: true` shows what it adds).
        for env in ENVS {
            let file = File::create(out.join(format!("mcpstack-render-{env}.yaml")))
                .expect("create a rendering");
            let mut render = mcpstack();
            render.arg("-C").arg(&project).args(["render", env]);
            run("mcpstack render", render.stdout(file));
        }
        let checked_up_to = env_count("MCPSTACK_BENCH_CHECK_MAX_S").unwrap_or(CHECK_MAX_S);
        if services <= checked_up_to {
            let report = run(
                "mcpstack_check.py",
                Process::new("python3")
                    .arg(kit.join("mcpstack_check.py"))
                    .arg(&work),
            );
            println!(
                "objects against the kit's reference: {}",
                report.lines().last().unwrap_or("")
            );
        } else {
            println!(
                "objects against the kit's reference: skipped above S={checked_up_to} (the \
                 kit's checker takes over ten minutes at S=10,000; set \
                 MCPSTACK_BENCH_CHECK_MAX_S to run it)"
            );
        }

        let (rounds, warmup) = match env_count("MCPSTACK_BENCH_ROUNDS") {
            Some(n) => (n.max(1), usize::from(services < BIG_S)),
            None if services >= BIG_S => (3, 0),
            None => (5, 1),
        };
        let fresh = (0..warmup + rounds)
            .map(|round| {
                let dir = work.join(format!("fresh-{round}"));
                copy_tree(&project.join("environments"), &dir.join("environments"));
                dir
            })
            .collect();
        run("sync", &mut Process::new("sync"));
        let digest_line = one_line_change(&project.join("environments/production.yaml"));
        Workload {
            services,
            kit: kit.to_owned(),
            work,
            project,
            out,
            fresh,
            warmup,
            rounds,
            digest_line,
        }
    }

    /// Every round, in order; the warm-up rounds are left out of the result.
    ///
    /// The one-line changes run last, as a series of their own: such a build replaces
    /// the whole tree and unlinks the old one today, and ext4 creates files slowly for
    /// a while after mass deletions, which would slow the next round's fresh build.
    fn time_rounds(&self, helm: Option<&Helm>) -> Vec<Round> {
        let total = self.warmup + self.rounds;
        println!("rounds: {} counted, {} warm-up", self.rounds, self.warmup);
        let errors = File::create(self.out.join("bench.err")).expect("create the error log");
        let mut rounds: Vec<Round> = (0..total)
            .map(|index| self.log(index, self.round(index, helm, &errors)))
            .collect();
        for (index, round) in rounds.iter_mut().enumerate() {
            let series = self.log(index, self.one_line_round(index, &errors));
            round.0.extend(series.0);
        }
        rounds.split_off(self.warmup)
    }

    /// Prints one round's wall times to stderr, as it ends.
    fn log(&self, index: usize, round: Round) -> Round {
        let total = self.warmup + self.rounds;
        let walls: Vec<String> = round
            .iter()
            .map(|(label, t)| format!("{label} {:.3}", t.wall))
            .collect();
        let warm = if index < self.warmup {
            " (warm-up)"
        } else {
            ""
        };
        let (services, round_number) = (self.services, index + 1);
        eprintln!(
            "S={services} round {round_number}/{total}{warm}: {}",
            walls.join(", ")
        );
        round
    }

    /// A no-change build, then a build after a one-line change.
    fn one_line_round(&self, index: usize, errors: &File) -> Round {
        let mut round = Round(Vec::new());
        let mut build = mcpstack();
        build.arg("-C").arg(&self.project).arg("build");
        round.push(NOOP_BEFORE, time(errors, &mut build, None));
        self.change_one_line(index);
        round.push(ONE_LINE, time(errors, &mut build, None));
        round
    }

    fn round(&self, index: usize, helm: Option<&Helm>, errors: &File) -> Round {
        let mut round = Round(Vec::new());
        let mut timed = |label: &str, command: &mut Process, output: Option<&Path>| {
            round.push(label, time(errors, command, output));
        };
        let project = |args: &[&str]| {
            let mut command = mcpstack();
            command.arg("-C").arg(&self.project).args(args);
            command
        };
        timed("floor: true", &mut Process::new("true"), None);
        let script = "find generated -type f -print0 | xargs -0 cat";
        let mut read = Process::new("sh");
        read.args(["-c", script]).current_dir(&self.project);
        timed(READ_GENERATED, &mut read, None);
        if let Some(helm) = helm {
            for env in ENVS {
                let mut command = Process::new(&helm.path);
                command
                    .args(["template", "mcp"])
                    .arg(self.kit.join("helm/mcp"));
                command
                    .arg("-f")
                    .arg(self.work.join(format!("helm/values-{env}.yaml")));
                let output = self.out.join(format!("helm-{env}.yaml"));
                timed(&format!("helm {env}"), &mut command, Some(&output));
            }
        }
        timed("validate", &mut project(&["validate"]), None);
        let rendered = self.out.join("render-production.yaml");
        timed(
            RENDER,
            &mut project(&["render", "production"]),
            Some(&rendered),
        );
        timed(CHECK, &mut project(&["check"]), None);
        timed(NOOP, &mut project(&["build"]), None);
        self.drop_record();
        timed(CHECK_FULL, &mut project(&["check"]), None);
        self.drop_record();
        timed(NOOP_FULL, &mut project(&["build"]), None);
        let fresh = &self.fresh[index];
        timed(FRESH, mcpstack().arg("-C").arg(fresh).arg("build"), None);
        run("sync", &mut Process::new("sync"));
        if helm.is_some() {
            round.sum(HELM_ALL, &ENVS.map(|env| format!("helm {env}")));
        }
        round
    }

    /// Removes the build record, so the next command takes the full path.
    fn drop_record(&self) {
        let record = self.project.join(".mcpstack");
        if record.exists() {
            std::fs::remove_dir_all(&record).expect("remove the build record");
        }
    }

    /// Round 0, 2, ... writes the changed digest; round 1, 3, ... the original one.
    fn change_one_line(&self, index: usize) {
        let path = self.project.join("environments/production.yaml");
        let text = std::fs::read_to_string(&path).expect("read production.yaml");
        let (original, changed) = &self.digest_line;
        let (from, to) = if index.is_multiple_of(2) {
            (original, changed)
        } else {
            (changed, original)
        };
        assert!(
            text.contains(from.as_str()),
            "production.yaml lost the line the bench edits"
        );
        std::fs::write(&path, text.replacen(from.as_str(), to, 1)).expect("write production.yaml");
    }

    /// The kit's own data check of the last helm outputs against the reference.
    fn check_helm_output(&self) {
        for env in ENVS {
            let expected = self.work.join(format!("expected/{env}.yaml"));
            let helm = self.out.join(format!("helm-{env}.yaml"));
            run(
                "check.py (helm)",
                Process::new("python3")
                    .arg(self.kit.join("check.py"))
                    .arg(expected)
                    .arg(helm),
            );
        }
        println!("helm output checked against the kit's reference: OK");
    }
}

/// The first image digest line of production.yaml and the same line with another digest.
fn one_line_change(production: &Path) -> (String, String) {
    let text = std::fs::read_to_string(production).expect("read production.yaml");
    let line = text
        .lines()
        .find(|line| line.contains("digest: \"sha256:"))
        .expect("production.yaml pins an image by digest")
        .to_owned();
    let (head, digest) = line.split_once("sha256:").expect("a sha256 digest");
    let flipped = if digest.starts_with('0') { "1" } else { "0" };
    let changed = format!("{head}sha256:{flipped}{}", &digest[1..]);
    (line, changed)
}

// ---------------------------------------------------------------------------------
// Timing whole processes
// ---------------------------------------------------------------------------------

/// One whole process, timed from outside.
#[derive(Debug, Clone, Copy)]
struct Timing {
    /// Seconds from spawn to the end of `wait4`.
    wall: f64,
    /// User + system CPU seconds.
    cpu: f64,
    /// Peak resident set size, MiB.
    rss: f64,
}

/// Runs `command` once (stdin empty, stdout to `output` or nowhere, stderr to the
/// error log); panics when it fails.
fn time(errors: &File, command: &mut Process, output: Option<&Path>) -> Timing {
    let stdout = output.map_or_else(Stdio::null, |path| {
        File::create(path).expect("create an output file").into()
    });
    let stderr = errors.try_clone().expect("share the error log");
    let started = Instant::now();
    #[expect(clippy::zombie_processes, reason = "wait4 below reaps it")]
    let child = command
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(stderr)
        .spawn()
        .expect("spawn a timed command");
    let (status, usage) = wait4(child.id());
    let wall = started.elapsed().as_secs_f64();
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "{command:?} failed (wait status {status}); see the error log in the bench's out/"
    );
    let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    Timing {
        wall,
        cpu: seconds(usage.ru_utime) + seconds(usage.ru_stime),
        rss: usage.ru_maxrss as f64 / 1024.0,
    }
}

/// Waits for the child `pid`: its wait status and resource usage.
fn wait4(pid: u32) -> (libc::c_int, libc::rusage) {
    let pid = libc::pid_t::try_from(pid).expect("a process id");
    let mut status = 0;
    // SAFETY: rusage is plain data, so all zeros is a valid value for wait4 to fill in.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: both pointers are to live locals; pid is our own unwaited child.
        let reaped = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if reaped == pid {
            return (status, usage);
        }
        let error = std::io::Error::last_os_error();
        assert!(
            error.kind() == std::io::ErrorKind::Interrupted,
            "wait4: {error}"
        );
    }
}

/// One round: each command's timing, in the order they ran.
struct Round(Vec<(String, Timing)>);

impl Round {
    fn push(&mut self, label: &str, timing: Timing) {
        self.0.push((label.to_owned(), timing));
    }

    /// A row adding up `parts`' wall and CPU, placed after the last of them; its peak
    /// RSS is the largest of theirs.
    fn sum(&mut self, label: &str, parts: &[String]) {
        let at = self.0.iter().rposition(|(l, _)| parts.contains(l));
        let parts: Vec<Timing> = parts.iter().filter_map(|part| self.get(part)).collect();
        let total = Timing {
            wall: parts.iter().map(|t| t.wall).sum(),
            cpu: parts.iter().map(|t| t.cpu).sum(),
            rss: parts.iter().map(|t| t.rss).fold(0.0, f64::max),
        };
        let at = at.map_or(self.0.len(), |at| at + 1);
        self.0.insert(at, (label.to_owned(), total));
    }

    fn get(&self, label: &str) -> Option<Timing> {
        self.0.iter().find(|(l, _)| l == label).map(|(_, t)| *t)
    }

    fn iter(&self) -> impl Iterator<Item = &(String, Timing)> {
        self.0.iter()
    }
}

// ---------------------------------------------------------------------------------
// Reporting
// ---------------------------------------------------------------------------------

fn median_of(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    match sorted.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

fn min_max(values: &[f64]) -> (f64, f64) {
    let min = values.iter().copied().fold(f64::INFINITY, f64::min);
    let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    (min, max)
}

fn print_rounds(services: usize, rounds: &[Round], helm: bool, mut json: Option<&mut JsonLines>) {
    let Some(first) = rounds.first() else { return };
    println!(
        "\nS={services} x 3 environments, {} round(s), whole processes (median over rounds)",
        rounds.len()
    );
    println!(
        "| {:<28} | {:>8} | {:>15} | {:>6} | {:>8} | {:>9} | {:>10} |",
        "command", "wall s", "min-max s", "CPU s", "CPU/wall", "peak RSS", "ms/service"
    );
    println!(
        "|{:-<30}|{:->10}|{:->17}|{:->8}|{:->10}|{:->11}|{:->12}|",
        "", ":", ":", ":", ":", ":", ":"
    );
    for (label, _) in first.iter() {
        let timings: Vec<Timing> = rounds.iter().filter_map(|round| round.get(label)).collect();
        let walls: Vec<f64> = timings.iter().map(|t| t.wall).collect();
        let cpu = median_of(&timings.iter().map(|t| t.cpu).collect::<Vec<_>>());
        let busy = median_of(&timings.iter().map(|t| t.cpu / t.wall).collect::<Vec<_>>());
        let rss = timings.iter().map(|t| t.rss).fold(0.0, f64::max);
        let (min, max) = min_max(&walls);
        let wall = median_of(&walls);
        let per_service = 1000.0 * wall / services as f64;
        println!(
            "| {label:<28} | {wall:>8.3} | {:>15} | {cpu:>6.2} | {busy:>8.2} | {:>5.0} MiB | {per_service:>10.4} |",
            format!("{min:.3}-{max:.3}"),
            rss
        );
        if let Some(json) = json.as_deref_mut() {
            json.line(&serde_json::json!({
                "S": services, "label": label, "runs": walls.len(), "wall_s": walls,
                "wall_s_median": wall, "cpu_s_median": cpu, "cpu_per_wall_median": busy,
                "peak_rss_mib_max": rss, "ms_per_service": per_service,
            }));
        }
    }
    if !helm {
        println!("(helm rows and ratios skipped: no helm)");
    }
    println!(
        "\n| {:<50} | {:>8} | {:>15} |",
        "ratio of wall times (per round)", "median", "min-max"
    );
    println!("|{:-<52}|{:->10}|{:->17}|", "", ":", ":");
    for (numerator, denominator) in RATIOS {
        let name = format!("{numerator} / {denominator}");
        let per_round: Vec<f64> = rounds
            .iter()
            .filter_map(|round| Some(round.get(numerator)?.wall / round.get(denominator)?.wall))
            .collect();
        if per_round.is_empty() {
            continue;
        }
        let (min, max) = min_max(&per_round);
        let median = median_of(&per_round);
        println!(
            "| {name:<50} | {median:>7.2}x | {:>15} |",
            format!("{min:.2}-{max:.2}")
        );
        if let Some(json) = json.as_deref_mut() {
            json.line(&serde_json::json!({"S": services, "ratio": name, "per_round": per_round, "median": median}));
        }
    }
}

/// `MCPSTACK_BENCH_JSON`: raw figures, one JSON object a line, appended.
struct JsonLines(File);

impl JsonLines {
    fn open(path: &OsStr) -> Self {
        let file = File::options()
            .create(true)
            .append(true)
            .open(path)
            .expect("open MCPSTACK_BENCH_JSON");
        JsonLines(file)
    }

    fn line(&mut self, value: &serde_json::Value) {
        writeln!(self.0, "{value}").expect("write MCPSTACK_BENCH_JSON");
    }
}

// ---------------------------------------------------------------------------------
// kubectl kustomize per unit
// ---------------------------------------------------------------------------------

/// Every namespace unit, the largest units of each environment and `sample` units
/// spread over all of them, built two at a time.
fn kustomize_section(workload: &Workload, sample: usize, json: Option<&mut JsonLines>) {
    let Some(version) = kubectl_version() else {
        println!("\nkubectl kustomize: skipped, `kubectl` is not on the PATH");
        return;
    };
    let root = &workload.project;
    let all = common::unit_dirs_on_disk(root);
    let mut units: BTreeSet<String> = spread(&all, sample).into_iter().collect();
    units.extend(
        all.iter()
            .filter(|unit| unit.ends_with("/namespace"))
            .cloned(),
    );
    for env in ENVS {
        let mut sized: Vec<(usize, &String)> = all
            .iter()
            .filter(|unit| unit.starts_with(&format!("generated/overlays/{env}/")))
            .map(|unit| (unit_objects(&root.join(unit)), unit))
            .collect();
        sized.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(b.1)));
        units.extend(
            sized
                .into_iter()
                .take(LARGEST_PER_ENV)
                .map(|(_, unit)| unit.clone()),
        );
    }
    let units: Vec<String> = units.into_iter().collect();
    println!(
        "\nkubectl kustomize ({version}), S={}: {} of {} units (namespace units, {LARGEST_PER_ENV} largest per environment, {sample} spread), 2 in parallel",
        workload.services,
        units.len(),
        all.len()
    );
    let started = Instant::now();
    let mut runs = kustomize_in_parallel(root, &units, 2);
    let wall = started.elapsed();
    runs.sort_by_key(|run| run.elapsed);
    print_unit_runs(&runs, wall);
    for run in runs.iter().filter(|run| run.dir.ends_with("/namespace")) {
        println!(
            "namespace unit: {} ({} objects) in {}",
            run.dir,
            run.objects,
            ms(run.elapsed)
        );
    }
    if let Some(json) = json {
        let unit = |run: &common::Kustomized| serde_json::json!({"unit": run.dir, "objects": run.objects, "s": run.elapsed.as_secs_f64()});
        let largest = runs.iter().max_by_key(|run| (run.objects, run.elapsed));
        json.line(&serde_json::json!({
            "S": workload.services, "label": "kubectl kustomize per unit",
            "units": runs.iter().map(unit).collect::<Vec<_>>(),
            "largest": largest.map(unit),
        }));
    }
}

/// Objects a Kustomize directory yields: the documents of each file in its
/// `resources:` list, and the objects of each directory listed there.
fn unit_objects(dir: &Path) -> usize {
    let Ok(text) = std::fs::read_to_string(dir.join("kustomization.yaml")) else {
        return 0;
    };
    let resources = text
        .lines()
        .skip_while(|line| *line != "resources:")
        .skip(1)
        .map_while(|line| line.strip_prefix("- "));
    resources
        .map(|resource| {
            let path = dir.join(resource);
            if path.is_dir() {
                return unit_objects(&path);
            }
            let file = std::fs::read_to_string(&path).unwrap_or_default();
            file.lines()
                .filter(|line| line.starts_with("kind:"))
                .count()
        })
        .sum()
}
