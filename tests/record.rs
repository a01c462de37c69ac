//! The build record (`.mcpstack/record`): after a build, `check`, a no-op `build` and
//! `validate` replay what the record proves instead of compiling, and every way the
//! project can differ from it sends them down the full path. Whether a run replayed is
//! told by a marker: the tests rewrite a recorded warning's message, which only a replay
//! shows.

mod common;

use std::path::Path;

use common::{code, mcpstack, stderr, stdout};
use mcpstack::record::RECORD_DIR;

const MARKER: &str = "REPLAYED FROM THE RECORD";

const STACK: &str = "services:
  fast-time:
    image: {repository: ibm/fast-time-server, tag: latest}
    port: 8080
";

/// A project whose build has one warning (a mutable tag in staging), built.
fn built() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let environments = dir.path().join("environments");
    std::fs::create_dir_all(&environments).expect("environments/");
    std::fs::write(environments.join("stack.yaml"), STACK).expect("stack");
    std::fs::write(environments.join("staging.yaml"), "tier: staging\n").expect("staging");
    let build = mcpstack(dir.path(), &["build"]);
    assert_eq!(code(&build), 0, "{}", stderr(&build));
    assert!(stderr(&build).contains("warning[mutable-tag]"));
    dir
}

fn record_path(root: &Path) -> std::path::PathBuf {
    root.join(RECORD_DIR).join("record")
}

/// Rewrite the recorded warning's message, so that a replay can be told from a compile.
fn mark(root: &Path) {
    let path = record_path(root);
    let text = std::fs::read_to_string(&path).expect("a build leaves a record");
    let marked = text.replace("runs the mutable tag", MARKER);
    assert_ne!(text, marked, "the record holds the warning");
    std::fs::write(&path, marked).expect("write the record");
}

fn replayed(output: &std::process::Output) -> bool {
    stderr(output).contains(MARKER)
}

/// stderr without the run's duration.
fn timeless(output: &std::process::Output) -> String {
    let text = stderr(output);
    let Some((head, _)) = text.rsplit_once(" in ") else {
        return text;
    };
    head.to_owned()
}

fn a_generated_file(root: &Path) -> std::path::PathBuf {
    walkdir::WalkDir::new(root.join("generated"))
        .sort_by_file_name()
        .into_iter()
        .map(|e| e.expect("walk").into_path())
        .find(|p| p.ends_with("deployment.yaml"))
        .expect("a generated Deployment")
}

#[test]
fn an_up_to_date_project_is_replayed_with_the_same_findings() {
    let project = built();
    let root = project.path();
    let ignore = std::fs::read_to_string(root.join(RECORD_DIR).join(".gitignore"));
    assert!(
        ignore.is_ok_and(|text| text.lines().any(|l| l == "*")),
        "the record's folder ignores itself in git"
    );
    let full_check = mcpstack(root, &["check"]);
    let full_json = mcpstack(root, &["--message-format", "json", "validate"]);
    mark(root);
    for args in [&["check"][..], &["build"], &["validate"]] {
        let output = mcpstack(root, args);
        assert_eq!(code(&output), 0, "{args:?}: {}", stderr(&output));
        assert!(replayed(&output), "{args:?} replays: {}", stderr(&output));
    }
    let record = std::fs::read_to_string(record_path(root)).expect("record");
    std::fs::write(
        record_path(root),
        record.replace(MARKER, "runs the mutable tag"),
    )
    .expect("unmark");
    assert_eq!(timeless(&mcpstack(root, &["check"])), timeless(&full_check));
    let json = mcpstack(root, &["--message-format", "json", "validate"]);
    assert_eq!(stderr(&json), stderr(&full_json));
    let denied = mcpstack(root, &["--deny-warnings", "check"]);
    assert_eq!(code(&denied), 2, "{}", stderr(&denied));
    assert!(stderr(&denied).contains("1 warning(s) denied"));
}

#[test]
fn render_of_proven_inputs_renders_the_same_objects() {
    let project = built();
    let root = project.path();
    let full = mcpstack(root, &["render", "staging"]);
    assert_eq!(code(&full), 0, "{}", stderr(&full));
    mark(root);
    let proven = mcpstack(root, &["render", "staging"]);
    assert_eq!(code(&proven), 0, "{}", stderr(&proven));
    assert!(replayed(&proven), "{}", stderr(&proven));
    assert_eq!(stdout(&proven), stdout(&full));

    // An unknown environment is reported by the full path, with its diagnostic.
    let unknown = mcpstack(root, &["render", "stagin"]);
    assert_eq!(code(&unknown), 2, "{}", stderr(&unknown));
    assert!(stderr(&unknown).contains("did you mean `staging`?"));
    assert!(!replayed(&unknown));

    // Changed inputs: compiled and checked in full.
    let staging = root.join("environments").join("staging.yaml");
    std::fs::write(
        &staging,
        "tier: staging\nservices:\n  fast-time:\n    replicas: 0\n",
    )
    .expect("edit");
    let changed = mcpstack(root, &["render", "staging"]);
    assert!(!replayed(&changed), "{}", stderr(&changed));
}

#[test]
fn a_hand_edit_is_found_whatever_its_times() {
    let project = built();
    let root = project.path();
    mark(root);
    let path = a_generated_file(root);
    let before = std::fs::metadata(&path).expect("metadata");
    let text = std::fs::read_to_string(&path).expect("read");
    // The same size, written at once and given back its modification time.
    let edited = text.replacen("fast-time", "fast-tim3", 1);
    assert_eq!(edited.len(), text.len());
    std::fs::write(&path, &edited).expect("edit");
    let file = std::fs::File::options()
        .write(true)
        .open(&path)
        .expect("open");
    file.set_modified(before.modified().expect("mtime"))
        .expect("set mtime");
    drop(file);

    let check = mcpstack(root, &["check"]);
    assert_eq!(code(&check), 1, "{}", stderr(&check));
    assert!(!replayed(&check));
    assert!(stdout(&check).contains("fast-tim3"), "{}", stdout(&check));

    // Put back by hand, byte for byte: proved by its bytes, replayed again.
    std::fs::write(&path, &text).expect("restore");
    let check = mcpstack(root, &["check"]);
    assert_eq!(code(&check), 0, "{}", stderr(&check));
    assert!(replayed(&check), "{}", stderr(&check));
}

#[test]
fn added_and_removed_files_are_found() {
    let project = built();
    let root = project.path();
    mark(root);
    let path = a_generated_file(root);
    let text = std::fs::read_to_string(&path).expect("read");

    let copy = path.with_file_name("copy.yaml");
    std::fs::write(&copy, &text).expect("copy");
    let check = mcpstack(root, &["check"]);
    assert_eq!(code(&check), 1, "{}", stderr(&check));
    assert!(stderr(&check).contains("1 extra"), "{}", stderr(&check));
    std::fs::remove_file(&copy).expect("remove the copy");

    // A hand-written file is kept, as by the full path; one that claims to be
    // generated is extra.
    let notes = root.join("generated").join("NOTES.md");
    std::fs::write(&notes, "hand-written\n").expect("notes");
    let check = mcpstack(root, &["check"]);
    assert_eq!(code(&check), 0, "{}", stderr(&check));
    let build = mcpstack(root, &["build"]);
    assert!(stderr(&build).contains(" 0 file(s) written"));
    mark(root);
    let check = mcpstack(root, &["check"]);
    assert!(replayed(&check), "{}", stderr(&check));
    std::fs::write(&notes, "# Generated by mcpstack\n").expect("notes");
    let check = mcpstack(root, &["check"]);
    assert_eq!(code(&check), 1, "{}", stderr(&check));
    std::fs::remove_file(&notes).expect("remove notes");

    std::fs::remove_file(&path).expect("remove");
    let check = mcpstack(root, &["check"]);
    assert_eq!(code(&check), 1, "{}", stderr(&check));
    assert!(stderr(&check).contains("1 missing"), "{}", stderr(&check));
}

#[test]
fn changed_inputs_take_the_full_path_and_leave_the_record() {
    let project = built();
    let root = project.path();
    mark(root);
    let staging = root.join("environments").join("staging.yaml");
    std::fs::write(&staging, "tier: staging\n# a comment\n").expect("edit");
    let check = mcpstack(root, &["check"]);
    assert_eq!(code(&check), 0, "{}", stderr(&check));
    assert!(!replayed(&check), "{}", stderr(&check));

    // Invalid input: the errors, and the record is left as it was.
    let record = std::fs::read(record_path(root)).expect("record");
    std::fs::write(&staging, "tier: staging\nreplicas: many\n").expect("break");
    let build = mcpstack(root, &["build"]);
    assert_eq!(code(&build), 2, "{}", stderr(&build));
    assert_eq!(std::fs::read(record_path(root)).expect("record"), record);

    // The inputs of the record again: replayed.
    std::fs::write(&staging, "tier: staging\n").expect("restore");
    assert!(replayed(&mcpstack(root, &["check"])));

    // Another day (expiry rules depend on it), a new file under environments/, or
    // another binary: the full path.
    let other_day = common::command(root, &["check"])
        .env("MCPSTACK_TODAY", "2031-01-01")
        .output()
        .expect("runs");
    assert!(!replayed(&other_day), "{}", stderr(&other_day));
    let files = root.join("environments").join("files");
    std::fs::create_dir_all(&files).expect("files/");
    std::fs::write(files.join("notes.txt"), "x\n").expect("a file");
    assert!(!replayed(&mcpstack(root, &["check"])));
    std::fs::remove_dir_all(&files).expect("remove files/");
    assert!(replayed(&mcpstack(root, &["check"])));

    let bin = tempfile::tempdir().expect("temp dir");
    let copy = bin.path().join("mcpstack");
    std::fs::copy(env!("CARGO_BIN_EXE_mcpstack"), &copy).expect("copy the binary");
    let other_binary = std::process::Command::new(&copy)
        .arg("-C")
        .arg(root)
        .arg("check")
        .output()
        .expect("runs");
    assert_eq!(code(&other_binary), 0, "{}", stderr(&other_binary));
    assert!(!replayed(&other_binary));
}

#[test]
fn check_never_writes_a_record() {
    let project = built();
    let root = project.path();
    std::fs::remove_dir_all(root.join(RECORD_DIR)).expect("remove the record");
    let check = mcpstack(root, &["check"]);
    assert_eq!(code(&check), 0, "{}", stderr(&check));
    assert!(!root.join(RECORD_DIR).exists());
    let validate = mcpstack(root, &["validate"]);
    assert_eq!(code(&validate), 0, "{}", stderr(&validate));
    assert!(!root.join(RECORD_DIR).exists());
}

#[test]
fn a_corrupt_record_is_ignored() {
    let project = built();
    let root = project.path();
    for garbage in ["", "mcpstack-record 1\nkey\n", "not a record\n\u{0}\u{1}"] {
        std::fs::write(record_path(root), garbage).expect("corrupt");
        let check = mcpstack(root, &["check"]);
        assert_eq!(code(&check), 0, "{}", stderr(&check));
        let build = mcpstack(root, &["build"]);
        assert_eq!(code(&build), 0, "{}", stderr(&build));
        mark(root);
        assert!(replayed(&mcpstack(root, &["check"])));
    }
}

/// Every file of `generated/` and the schema.
fn output(root: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    let mut files = common::files(&root.join("generated"));
    files.extend(common::files(&root.join("schema")));
    files
}

/// A fresh build of `root`'s specs, elsewhere.
fn fresh_output(root: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    let fresh = common::copy_folders(root, &["environments"]);
    let build = mcpstack(fresh.path(), &["build"]);
    assert_eq!(code(&build), 0, "{}", stderr(&build));
    output(fresh.path())
}

#[test]
fn a_build_stages_in_the_tree_it_replaced_last_time() {
    let project = built();
    let root = project.path();
    let staging = root.join("environments").join("staging.yaml");
    let previous = root.join(RECORD_DIR).join("previous");
    for replicas in [2, 3, 2, 4] {
        std::fs::write(
            &staging,
            format!("tier: staging\nservices:\n  fast-time:\n    replicas: {replicas}\n"),
        )
        .expect("edit");
        let build = mcpstack(root, &["build"]);
        assert_eq!(code(&build), 0, "{}", stderr(&build));
        assert!(previous.is_dir(), "the replaced tree is kept aside");
        assert_eq!(output(root), fresh_output(root), "replicas {replicas}");
    }

    // Whatever the kept tree holds, the build's tree is the specs' tree.
    let deployment = walkdir::WalkDir::new(&previous)
        .into_iter()
        .map(|e| e.expect("walk").into_path())
        .find(|p| p.ends_with("deployment.yaml"))
        .expect("a kept Deployment");
    std::fs::remove_file(&deployment).expect("unlink");
    std::fs::write(&deployment, "# Generated by mcpstack\nkind: Tampered\n").expect("tamper");
    std::fs::write(previous.join("stray.yaml"), "# Generated by mcpstack\n").expect("stray");
    std::fs::create_dir_all(previous.join("overlays/ghost")).expect("ghost");
    #[cfg(unix)]
    std::os::unix::fs::symlink("/etc", previous.join("overlays/link")).expect("link");
    std::fs::write(
        &staging,
        "tier: staging\nservices:\n  fast-time:\n    replicas: 5\n",
    )
    .expect("edit");
    let build = mcpstack(root, &["build"]);
    assert_eq!(code(&build), 0, "{}", stderr(&build));
    assert_eq!(output(root), fresh_output(root));
    assert!(!root.join("generated/stray.yaml").exists());
}

#[cfg(unix)]
#[test]
fn a_linked_local_folder_is_never_written_through() {
    let project = built();
    let root = project.path();
    let elsewhere = tempfile::tempdir().expect("temp dir");
    std::fs::remove_dir_all(root.join(RECORD_DIR)).expect("remove the folder");
    std::os::unix::fs::symlink(elsewhere.path(), root.join(RECORD_DIR)).expect("link");
    let staging = root.join("environments").join("staging.yaml");
    std::fs::write(
        &staging,
        "tier: staging\nservices:\n  fast-time:\n    replicas: 3\n",
    )
    .expect("edit");
    let build = mcpstack(root, &["build"]);
    assert_eq!(code(&build), 0, "{}", stderr(&build));
    assert_eq!(output(root), fresh_output(root));
    assert!(
        common::entries(elsewhere.path()).is_empty(),
        "nothing written through the link: {:?}",
        common::entries(elsewhere.path())
    );
    let check = mcpstack(root, &["check"]);
    assert_eq!(code(&check), 0, "{}", stderr(&check));
}
