//! What the benches share: reading counts from the environment, printing durations,
//! and running `kubectl kustomize` on the units of a generated tree the way Flux does.
//!
//! Each bench includes this module with `mod common;` and uses part of it.
#![allow(dead_code)]

use std::path::Path;
use std::process::{Command as Process, Stdio};
use std::time::{Duration, Instant};

/// One `kubectl kustomize` run.
pub struct Kustomized {
    pub dir: String,
    pub elapsed: Duration,
    pub objects: usize,
}

/// `kubectl`'s client version line, or `None` when it cannot run.
pub fn kubectl_version() -> Option<String> {
    let output = Process::new("kubectl")
        .args(["version", "--client"])
        .stderr(Stdio::null())
        .output()
        .ok()
        .filter(|output| output.status.success())?;
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    Some(text.lines().next().unwrap_or("kubectl").trim().to_owned())
}

/// Every `generated/overlays/<env>/<unit>` directory on disk, sorted.
pub fn unit_dirs_on_disk(root: &Path) -> Vec<String> {
    let mut units = Vec::new();
    for env in sorted_subdirs(&root.join("generated/overlays")) {
        for unit in sorted_subdirs(&root.join("generated/overlays").join(&env)) {
            units.push(format!("generated/overlays/{env}/{unit}"));
        }
    }
    units
}

pub fn sorted_subdirs(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("list a generated directory")
        .map(|entry| entry.expect("read a directory entry"))
        .filter(|entry| entry.path().is_dir())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// `count` items spread evenly over `all` (every item when `count` covers them).
pub fn spread(all: &[String], count: usize) -> Vec<String> {
    if count >= all.len() {
        return all.to_vec();
    }
    (0..count)
        .map(|i| all[i * all.len() / count].clone())
        .collect()
}

/// Build every unit, `workers` at a time; each worker takes the next unbuilt unit.
pub fn kustomize_in_parallel(root: &Path, units: &[String], workers: usize) -> Vec<Kustomized> {
    let next = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                scope.spawn(|| {
                    let mut runs = Vec::new();
                    loop {
                        let index = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(unit) = units.get(index) else {
                            return runs;
                        };
                        runs.push(kustomize(root, unit));
                    }
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|handle| handle.join().expect("a kustomize worker panicked"))
            .collect()
    })
}

/// `kubectl kustomize DIR`, run from `root`; panics when the build fails.
pub fn kustomize(root: &Path, dir: &str) -> Kustomized {
    let started = Instant::now();
    let output = Process::new("kubectl")
        .args(["kustomize", dir])
        .current_dir(root)
        .output()
        .expect("run kubectl kustomize");
    let elapsed = started.elapsed();
    assert!(
        output.status.success(),
        "kubectl kustomize {dir} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let objects = String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter(|line| *line == "---")
        .count()
        + usize::from(!output.stdout.is_empty());
    Kustomized {
        dir: dir.to_owned(),
        elapsed,
        objects,
    }
}

/// Per-unit figures; `runs` is sorted by time.
pub fn print_unit_runs(runs: &[Kustomized], wall: Duration) {
    let Some(slowest) = runs.last() else {
        println!("no units built");
        return;
    };
    let times: Vec<Duration> = runs.iter().map(|run| run.elapsed).collect();
    let objects: Vec<usize> = runs.iter().map(|run| run.objects).collect();
    let p95 = times[(times.len() * 95 / 100).min(times.len() - 1)];
    println!("{:<36} {:>10}", "per unit", "time");
    println!("{:<36} {:>10}", "  fastest", ms(times[0]));
    println!("{:<36} {:>10}", "  median", ms(median(&times)));
    println!("{:<36} {:>10}", "  95th percentile", ms(p95));
    println!("{:<36} {:>10}", "  slowest", ms(slowest.elapsed));
    let largest = runs
        .iter()
        .max_by_key(|run| (run.objects, run.elapsed))
        .unwrap_or(slowest);
    println!(
        "slowest unit: {} ({} objects); objects per unit: {} to {}",
        slowest.dir,
        slowest.objects,
        objects.iter().min().unwrap_or(&0),
        objects.iter().max().unwrap_or(&0)
    );
    println!(
        "largest unit: {} ({} objects) in {}",
        largest.dir,
        largest.objects,
        ms(largest.elapsed)
    );
    println!(
        "all {} units: {:.1} s wall clock",
        runs.len(),
        wall.as_secs_f64()
    );
}

/// A count from the environment; panics with the variable's name when it is not one.
pub fn env_count(var: &str) -> Option<usize> {
    let value = std::env::var(var).ok()?;
    Some(
        value
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{var} must be a whole number, not `{value}`")),
    )
}

pub fn median(samples: &[Duration]) -> Duration {
    let mut sorted = samples.to_vec();
    sorted.sort();
    match sorted.len() {
        0 => Duration::ZERO,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2,
    }
}

pub fn ms(duration: Duration) -> String {
    format!("{:.1} ms", duration.as_secs_f64() * 1000.0)
}

pub fn kib(bytes: usize) -> String {
    format!("{:.0} KiB", bytes as f64 / 1024.0)
}
