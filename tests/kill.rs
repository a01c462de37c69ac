//! A build killed at any moment leaves `generated/` either the complete old tree or the
//! complete new one: builds of a large stack are killed at spread-out moments and the
//! tree is compared with both.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use common::{code, command, copy_dir, files, mcpstack, stderr};

/// Services in the generated stack: enough that a build takes a while to write.
const SERVICES: usize = 60;
/// Kills: the issue asks for at least 50.
const KILLS: u64 = 50;

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

/// `generated/` after a complete build of the project at `replicas`.
fn built(replicas: usize) -> (tempfile::TempDir, BTreeMap<String, Vec<u8>>) {
    let dir = tempfile::tempdir().expect("temp dir");
    write_project(dir.path(), replicas);
    let output = mcpstack(dir.path(), &["build"]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let tree = files(&dir.path().join("generated"));
    (dir, tree)
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

#[test]
fn a_killed_build_leaves_the_old_tree_or_the_new_one() {
    let (old_project, old) = built(1);
    let (_new_project, new) = built(2);
    assert_ne!(old, new, "the two builds differ");

    // How long one rebuild from the old tree takes, to spread the kills over it.
    let probe = tempfile::tempdir().expect("temp dir");
    copy_dir(old_project.path(), probe.path());
    write_project(probe.path(), 2);
    let started = Instant::now();
    assert_eq!(code(&mcpstack(probe.path(), &["build"])), 0);
    // A third past the end, so that some kills come after a finished build too.
    let longest = started.elapsed() * 4 / 3 + Duration::from_millis(5);

    let mut outcomes = BTreeMap::from([("old", 0), ("new", 0)]);
    for (attempt, delay) in delays(KILLS, longest).into_iter().enumerate() {
        let project = tempfile::tempdir().expect("temp dir");
        copy_dir(old_project.path(), project.path());
        write_project(project.path(), 2);
        let mut child = command(project.path(), &["build"])
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("build starts");
        std::thread::sleep(delay);
        let _ = child.kill();
        let _ = child.wait();
        let tree = files(&project.path().join("generated"));
        let outcome = match () {
            _ if tree == old => "old",
            _ if tree == new => "new",
            _ => panic!(
                "attempt {attempt}, killed after {delay:?}: generated/ is neither the old tree nor the new one"
            ),
        };
        *outcomes.entry(outcome).or_default() += 1;
        // The next build finishes the job from whatever the kill left.
        let output = mcpstack(project.path(), &["build"]);
        assert_eq!(code(&output), 0, "{}", stderr(&output));
        assert_eq!(files(&project.path().join("generated")), new);
    }
    eprintln!("kills: {outcomes:?}");
}
