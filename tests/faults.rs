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
    std::fs::read_dir(root)
        .expect("read the project root")
        .map(|entry| {
            entry
                .expect("entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
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
