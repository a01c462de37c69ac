//! Faults of the environment and of unusual input: a build that may not write fails
//! cleanly (exit 3, nothing changed, no staging folder left), and input deep enough to
//! exhaust a recursive walk gets a diagnostic instead of a crash.

mod common;

use std::path::Path;

use common::{code, copy_folders, files, mcpstack, project_root, stderr};

/// Name prefix of a build's staging folder (`write::STAGING_PREFIX`).
const STAGING_PREFIX: &str = ".generated.staging-";

/// A copy of the example project whose `generated/` is stale: one generated file has a
/// line the build will take out again.
fn stale_project() -> tempfile::TempDir {
    let project = copy_folders(&project_root(), &["environments", "generated", "schema"]);
    let stale = files(&project.path().join("generated"))
        .into_keys()
        .next()
        .expect("a generated file");
    let path = project.path().join("generated").join(stale);
    let mut text = std::fs::read_to_string(&path).expect("read");
    text.push_str("# edited by hand\n");
    std::fs::write(&path, text).expect("write");
    project
}

/// The staging folders in `root`.
fn staging_folders(root: &Path) -> Vec<String> {
    common::entries(root)
        .into_iter()
        .filter(|name| name.starts_with(STAGING_PREFIX))
        .collect()
}

#[cfg(unix)]
mod read_only {
    use super::*;
    use std::os::unix::fs::PermissionsExt as _;
    use std::path::PathBuf;

    /// `path`'s permission bits, set to `mode` for as long as the guard lives: the
    /// temporary project must be writable again to be removed.
    struct Mode {
        path: PathBuf,
        old: u32,
    }

    impl Mode {
        fn set(path: &Path, mode: u32) -> Self {
            let old = mode_of(path);
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
            Self {
                path: path.to_path_buf(),
                old,
            }
        }
    }

    impl Drop for Mode {
        fn drop(&mut self) {
            let _ = std::fs::set_permissions(&self.path, std::fs::Permissions::from_mode(self.old));
        }
    }

    fn mode_of(path: &Path) -> u32 {
        std::fs::metadata(path)
            .expect("metadata")
            .permissions()
            .mode()
            & 0o7777
    }

    /// A build with `read_only` made read-only (0555) exits 3 naming it, and changes
    /// nothing: `generated/` keeps its files and its folder (not swapped for a new one),
    /// and no staging folder remains.
    fn refused(project: &Path, read_only: &Path) {
        let before = files(project);
        let generated_mode = mode_of(&project.join("generated"));
        let guard = Mode::set(read_only, 0o555);
        let output = mcpstack(project, &["build"]);
        let err = stderr(&output);
        assert_eq!(code(&output), 3, "{err}");
        assert!(
            err.contains(&format!("refusing to write {}", read_only.display())),
            "names the read-only folder: {err}"
        );
        assert!(err.contains("read-only"), "{err}");
        assert_eq!(staging_folders(project), Vec::<String>::new());
        drop(guard);
        assert_eq!(files(project), before, "nothing changed");
        assert_eq!(
            mode_of(&project.join("generated")),
            generated_mode,
            "generated/ is the same folder"
        );
    }

    #[test]
    fn a_read_only_generated_folder_fails_the_build() {
        let project = stale_project();
        let root = project.path();
        let generated = root.join("generated");
        refused(root, &generated);

        // `check` writes nothing, so it still compares (and finds the drift).
        let guard = Mode::set(&generated, 0o555);
        let output = mcpstack(root, &["check"]);
        assert_eq!(code(&output), 1, "{}", stderr(&output));
        drop(guard);

        // Writable again, the build goes through and leaves no staging folder.
        let output = mcpstack(root, &["build"]);
        assert_eq!(code(&output), 0, "{}", stderr(&output));
        assert_eq!(staging_folders(root), Vec::<String>::new());
        assert_eq!(code(&mcpstack(root, &["check"])), 0);
    }

    #[test]
    fn a_read_only_folder_inside_generated_fails_the_build() {
        let project = stale_project();
        let root = project.path();
        refused(root, &root.join("generated/base"));
    }

    #[test]
    fn a_read_only_project_root_fails_the_build() {
        let project = stale_project();
        let root = project.path();
        refused(root, root);
    }

    #[test]
    fn an_up_to_date_read_only_generated_folder_is_left_alone() {
        let project = copy_folders(&project_root(), &["environments", "generated", "schema"]);
        let root = project.path();
        let _guard = Mode::set(&root.join("generated"), 0o555);
        let output = mcpstack(root, &["build"]);
        assert_eq!(code(&output), 0, "nothing to write: {}", stderr(&output));
        assert_eq!(mode_of(&root.join("generated")), 0o555);
    }
}

// --- Deep input ------------------------------------------------------------------------

/// Services in the long `dependsOn` chain: a recursive search over it overflowed the
/// stack of a worker thread (2 MiB) at about this length.
const CHAIN: usize = 11_000;

/// A project of `CHAIN` services, each depending on the next; the last depends on
/// `last_depends_on` (the first, to close a cycle, or nothing). Two environments, so
/// that they are checked on worker threads, whose stacks are smaller than the main one.
fn chain(last_depends_on: Option<&str>) -> tempfile::TempDir {
    let project = tempfile::tempdir().expect("temp dir");
    let environments = project.path().join("environments");
    std::fs::create_dir_all(&environments).expect("mkdir");
    let mut stack = String::from(
        "name: chain\nglobal: {domain: example.com, network: {policies: false}}\nservices:\n",
    );
    for i in 0..CHAIN {
        let next = match i + 1 < CHAIN {
            true => format!("s{}", i + 1),
            false => last_depends_on.unwrap_or_default().to_owned(),
        };
        stack.push_str(&format!(
            "  s{i}: {{image: {{repository: team/app, tag: \"1.0\"}}, dependsOn: [{next}]}}\n"
        ));
    }
    std::fs::write(environments.join("stack.yaml"), stack).expect("write");
    std::fs::write(environments.join("staging.yaml"), "tier: staging\n").expect("write");
    std::fs::write(environments.join("pr-1.yaml"), "tier: review\n").expect("write");
    project
}

#[test]
fn a_long_dependency_cycle_is_a_diagnostic_not_a_crash() {
    let project = chain(Some("s0"));
    let output = mcpstack(project.path(), &["validate"]);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert_eq!(
        err.matches("error[dependency-cycle]").count(),
        1,
        "one cycle, reported once: {}",
        &err[..err.len().min(2000)]
    );
    assert!(
        err.contains(&format!("s{} -> s0", CHAIN - 1)),
        "the cycle closes at the last service"
    );
    assert!(
        err.contains("mcpstack: 1 error(s)"),
        "{}",
        &err[err.len().saturating_sub(500)..]
    );
}

#[test]
fn a_long_acyclic_dependency_chain_validates() {
    let project = chain(None);
    let output = mcpstack(project.path(), &["validate"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
}

/// A project whose chart writes its hostname at a values path of `steps` keys.
fn deep_value_path(steps: usize) -> tempfile::TempDir {
    let project = tempfile::tempdir().expect("temp dir");
    let environments = project.path().join("environments");
    std::fs::create_dir_all(&environments).expect("mkdir");
    let path = vec!["a"; steps].join(".");
    let stack = format!(
        "global: {{domain: example.com, network: {{policies: false}}}}\n\
         charts:\n  app:\n    repository: oci://registry.example.com/charts\n    chart: app\n    \
         version: 1.0.0\n    hostname: {{valuePaths: [\"{path}\"]}}\n"
    );
    std::fs::write(environments.join("stack.yaml"), stack).expect("write");
    std::fs::write(environments.join("staging.yaml"), "tier: staging\n").expect("write");
    std::fs::write(environments.join("pr-1.yaml"), "tier: review\n").expect("write");
    project
}

#[test]
fn a_values_path_too_deep_to_write_is_a_diagnostic_not_a_crash() {
    // Writing the hostname 1,000 levels deep overflowed a worker thread's stack in
    // `build`; 100,000 levels overflowed the main thread's in `validate`.
    for (steps, command) in [(1_000, "build"), (100_000, "validate")] {
        let project = deep_value_path(steps);
        let output = mcpstack(project.path(), &[command]);
        let err = stderr(&output);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{steps}: {}",
            &err[err.len().saturating_sub(500)..]
        );
        assert!(err.contains("error[invalid-value-path]"), "{steps}");
        assert!(err.contains("more than 64 steps"), "{steps}");
        let headline = err.lines().next().unwrap_or_default();
        assert!(
            headline.len() < 300,
            "the message shortens the path: {headline}"
        );
        assert!(!project.path().join("generated").exists(), "{steps}");
    }
    let project = deep_value_path(64);
    let output = mcpstack(project.path(), &["build"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
}
