//! A build killed at any moment leaves `generated/` either the complete old tree or the
//! complete new one, and `schema/` either the old schema or the new one: builds of a
//! large stack are killed, and what they leave is compared with both.
//!
//! Some builds are killed at points known to straddle the swap of the staged tree with
//! `generated/`: a build started with `MCPSTACK_TEST_PAUSE_BEFORE_SWAP` (or `..._AFTER_SWAP`)
//! set to a file path creates that file right before (after) the swap and waits, and is
//! killed there. Those must leave the old tree (the new one). The other builds are killed
//! at spread-out moments over a measured build. Every kill must leave one whole tree,
//! both outcomes must occur, and the next build must finish the job and leave no staging
//! folder behind.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::{code, command, copy_dir, files, mcpstack, stderr};

/// Services in the generated stack: enough that a build takes a while to write.
const SERVICES: usize = 60;
/// Builds killed at each swap hook.
const KILLS_AT_EACH_HOOK: usize = 5;
/// Builds killed at spread-out moments. With the hooked ones, 50 kills in all.
const SPREAD_KILLS: u64 = 40;
/// The fewest kills that must leave each of the old and the new tree.
const MIN_EACH_OUTCOME: usize = KILLS_AT_EACH_HOOK;
/// The hooks of `src/write.rs`.
const BEFORE_SWAP: &str = "MCPSTACK_TEST_PAUSE_BEFORE_SWAP";
const AFTER_SWAP: &str = "MCPSTACK_TEST_PAUSE_AFTER_SWAP";
/// The name a build's staging folder starts with, beside `generated/`.
const STAGING_PREFIX: &str = ".generated.staging-";
/// What the project root holds after a complete build.
const PROJECT_ENTRIES: [&str; 4] = [
    mcpstack::record::RECORD_DIR,
    "environments",
    "generated",
    "schema",
];
/// The schema file, the only file under `schema/`.
const SCHEMA: &str = "schema/values.schema.json";
/// Prefix of the temporary file the schema is written through.
const SCHEMA_TEMP_PREFIX: &str = ".mcpstack-";
/// The schema an older mcpstack wrote, so that every build also replaces the schema.
const STALE_SCHEMA: &str = "{\"$comment\": \"the schema of an older mcpstack\"}\n";

fn stack(replicas: usize) -> String {
    let mut text = String::from(
        "# yaml-language-server: $schema=../schema/values.schema.json\nglobal:\n  domain: example.com\n  network: {ingressNamespace: ingress-nginx}\nservices:\n",
    );
    for i in 0..SERVICES {
        text.push_str(&format!(
            "  svc-{i:03}:\n    image: {{repository: acme/svc-{i:03}, tag: \"1.{i}.0\"}}\n    replicas: {replicas}\n    ingress: {{enabled: true, sse: true}}\n"
        ));
    }
    text
}

fn write_project(root: &Path, replicas: usize) {
    std::fs::create_dir_all(root.join("environments")).expect("mkdir");
    std::fs::write(root.join("environments/stack.yaml"), stack(replicas)).expect("stack");
    for (env, tier) in [("staging", "staging"), ("pr-7", "review")] {
        let text =
            format!("# yaml-language-server: $schema=../schema/values.schema.json\ntier: {tier}\n");
        std::fs::write(root.join(format!("environments/{env}.yaml")), text).expect("env");
    }
}

/// A project after a complete build at `replicas`.
fn built(replicas: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    write_project(dir.path(), replicas);
    let output = mcpstack(dir.path(), &["build"]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    dir
}

/// What a build may leave: `generated/` and `schema/`, file by file.
#[derive(Debug, PartialEq, Eq)]
struct Output {
    generated: BTreeMap<String, Vec<u8>>,
    schema: BTreeMap<String, Vec<u8>>,
}

fn output(root: &Path) -> Output {
    Output {
        generated: files(&root.join("generated")),
        schema: files(&root.join("schema")),
    }
}

/// The entries of the project root, sorted.
fn root_entries(root: &Path) -> Vec<String> {
    common::entries(root)
}

/// Deterministic spread-out delays (a linear congruential generator).
fn delays(count: u64, longest: Duration) -> Vec<Duration> {
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    (0..count)
        .map(|_| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let nanos = u128::from(state >> 11) % longest.as_nanos().max(1);
            Duration::from_nanos(u64::try_from(nanos).unwrap_or(0))
        })
        .collect()
}

/// When to kill a build.
#[derive(Debug, Clone, Copy)]
enum Kill {
    /// When it signals that it reached the hook named by this variable.
    At(&'static str),
    /// After this long.
    After(Duration),
}

/// Start a build of `root` and kill it as `kill` says.
fn kill_build(root: &Path, kill: Kill) {
    let signals = tempfile::tempdir().expect("temp dir");
    let signal = signals.path().join("paused");
    let mut build = command(root, &["build"]);
    build.stdout(Stdio::null()).stderr(Stdio::null());
    if let Kill::At(hook) = kill {
        build.env(hook, &signal);
    }
    let mut child = build.spawn().expect("build starts");
    match kill {
        Kill::At(hook) => {
            let started = Instant::now();
            while !signal.exists() {
                if let Some(status) = child.try_wait().expect("poll the build") {
                    panic!("the build ended ({status}) without reaching {hook}");
                }
                assert!(
                    started.elapsed() < Duration::from_secs(60),
                    "the build did not reach {hook} within a minute"
                );
                std::thread::sleep(Duration::from_millis(1));
            }
        }
        Kill::After(delay) => std::thread::sleep(delay),
    }
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn a_killed_build_leaves_the_old_tree_or_the_new_one() {
    let old_project = built(1);
    std::fs::write(old_project.path().join(SCHEMA), STALE_SCHEMA).expect("stale schema");
    let old = output(old_project.path());
    let new = output(built(2).path());
    assert_ne!(old.generated, new.generated, "the two builds differ");
    assert_ne!(
        old.schema, new.schema,
        "the build replaces the stale schema"
    );
    assert_eq!(
        new.schema.keys().collect::<Vec<_>>(),
        ["values.schema.json"]
    );

    // A fresh copy of the old project whose specs say replicas: 2.
    let project = || {
        let dir = tempfile::tempdir().expect("temp dir");
        copy_dir(old_project.path(), dir.path());
        write_project(dir.path(), 2);
        dir
    };

    // How long one rebuild from the old tree takes, to spread the kills over it; a
    // third past the end, so that some kills come after a finished build too.
    let probe = project();
    let started = Instant::now();
    assert_eq!(code(&mcpstack(probe.path(), &["build"])), 0);
    let longest = started.elapsed() * 4 / 3 + Duration::from_millis(5);

    let hooked =
        (0..KILLS_AT_EACH_HOOK).flat_map(|_| [Kill::At(BEFORE_SWAP), Kill::At(AFTER_SWAP)]);
    let spread = delays(SPREAD_KILLS, longest).into_iter().map(Kill::After);
    let mut outcomes = BTreeMap::from([("old", 0), ("new", 0)]);
    for (attempt, kill) in hooked.chain(spread).enumerate() {
        let project = project();
        let root = project.path();
        kill_build(root, kill);
        let left = output(root);
        let generated = match () {
            _ if left.generated == old.generated => "old",
            _ if left.generated == new.generated => "new",
            _ => panic!(
                "attempt {attempt}, killed {kill:?}: generated/ is neither the old tree nor the new one"
            ),
        };
        // A build killed while writing the schema may leave its temporary file beside
        // it (the next build removes it, as the check below the next build shows).
        let schema: BTreeMap<String, Vec<u8>> = left
            .schema
            .iter()
            .filter(|(name, _)| !name.starts_with(SCHEMA_TEMP_PREFIX))
            .map(|(name, bytes)| (name.clone(), bytes.clone()))
            .collect();
        assert!(
            schema == old.schema || schema == new.schema,
            "attempt {attempt}, killed {kill:?}: schema/ is neither the old schema nor the new \
             one, or holds more: {:?}",
            left.schema.keys().collect::<Vec<_>>()
        );
        match kill {
            Kill::At(BEFORE_SWAP) => assert_eq!(
                generated, "old",
                "attempt {attempt}: killed just before the swap, the old tree must remain"
            ),
            Kill::At(AFTER_SWAP) => assert_eq!(
                generated, "new",
                "attempt {attempt}: killed just after the swap, the new tree must be in place"
            ),
            Kill::At(hook) => unreachable!("no such hook: {hook}"),
            Kill::After(_) => {}
        }
        *outcomes.entry(generated).or_default() += 1;
        // Besides the project, a killed build may leave only its staging folder.
        let strays: Vec<String> = root_entries(root)
            .into_iter()
            .filter(|name| !PROJECT_ENTRIES.contains(&name.as_str()))
            .filter(|name| !(name.starts_with(STAGING_PREFIX) && root.join(name).is_dir()))
            .collect();
        assert!(
            strays.is_empty(),
            "attempt {attempt}, killed {kill:?}: the build left {strays:?}"
        );

        // The next build finishes the job from whatever the kill left, and clears up.
        let output_of_next = mcpstack(root, &["build"]);
        assert_eq!(code(&output_of_next), 0, "{}", stderr(&output_of_next));
        assert!(
            output(root) == new,
            "attempt {attempt}: the next build ends at the new tree"
        );
        assert_eq!(
            root_entries(root),
            PROJECT_ENTRIES,
            "attempt {attempt}: after the next build, no staging folder remains"
        );
    }
    eprintln!("kills: {outcomes:?}");
    for (outcome, count) in &outcomes {
        assert!(
            *count >= MIN_EACH_OUTCOME,
            "only {count} kill(s) left the {outcome} tree, fewer than {MIN_EACH_OUTCOME}: \
             the kills did not straddle the swap ({outcomes:?})"
        );
    }
}
