//! Life in a shell: completion scripts and the manual page on stdout, and commands run
//! from any folder inside a project (the root is found upwards, without `-C`).

mod common;

use common::{SUBCOMMANDS, code, command_in, copy_folders, project_root, run, stderr, stdout};

#[test]
fn completions_name_every_subcommand() {
    for (shell, marker) in [
        // What identifies each shell's script: bash's completion function, zsh's
        // `#compdef` header, fish's `complete -c` commands.
        ("bash", "complete -F _mcpstack"),
        ("zsh", "#compdef mcpstack"),
        ("fish", "complete -c mcpstack"),
    ] {
        let output = run(&["completions", shell]);
        assert_eq!(code(&output), 0, "{shell}: {}", stderr(&output));
        assert_eq!(stderr(&output), "", "{shell}: nothing on stderr");
        let script = stdout(&output);
        assert!(script.contains(marker), "{shell}: no `{marker}`:\n{script}");
        for subcommand in SUBCOMMANDS {
            assert!(
                script.contains(subcommand),
                "{shell}: `{subcommand}` is not completed:\n{script}"
            );
        }
        // Options with fixed values complete to them.
        assert!(script.contains("json"), "{shell}: --message-format values");
    }
}

#[test]
fn completions_exist_for_elvish_and_powershell_and_nothing_else() {
    for shell in ["elvish", "powershell"] {
        let output = run(&["completions", shell]);
        assert_eq!(code(&output), 0, "{shell}: {}", stderr(&output));
        assert!(stdout(&output).contains("mcpstack"), "{shell}");
    }
    let output = run(&["completions", "tcsh"]);
    assert_eq!(code(&output), 2, "an unknown shell is a usage error");
    assert_eq!(stdout(&output), "");
}

#[test]
fn the_manual_page_is_roff_naming_every_subcommand() {
    let output = run(&["man"]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let page = stdout(&output);
    assert!(
        page.lines().any(|l| l.starts_with(".TH mcpstack 1")),
        "a section 1 title line:\n{page}"
    );
    assert!(page.contains(".SH NAME"), "{page}");
    assert!(page.contains(".SH SYNOPSIS"), "{page}");
    for subcommand in SUBCOMMANDS {
        assert!(
            page.contains(&format!("mcpstack\\-{subcommand}")),
            "`{subcommand}` is not in the manual page:\n{page}"
        );
    }
    assert!(page.contains("\\-\\-message\\-format"), "global options");
}

#[test]
fn check_finds_the_project_root_from_inside_the_project() {
    let project = copy_folders(&project_root(), &["environments", "generated", "schema"]);
    let root = project.path();
    for folder in [
        "environments",
        "generated/overlays",
        "generated/overlays/staging",
    ] {
        let output = command_in(&root.join(folder), &["check"])
            .output()
            .expect("runs");
        assert_eq!(code(&output), 0, "from {folder}: {}", stderr(&output));
        assert!(
            stderr(&output).contains("checked 3 environment(s)"),
            "from {folder}: {}",
            stderr(&output)
        );
        assert_eq!(stdout(&output), "", "from {folder}: no drift");
    }
    // Without a project above it, the folder itself is taken, and it is not a project.
    let outside = tempfile::tempdir().expect("temp dir");
    if outside
        .path()
        .ancestors()
        .any(|dir| dir.join("environments").is_dir())
    {
        return; // the temporary folder is inside some project: nothing to check
    }
    let output = command_in(outside.path(), &["check"])
        .output()
        .expect("runs");
    assert_eq!(code(&output), 3, "{}", stderr(&output));
    assert!(
        stderr(&output).contains("no environments/ folder"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn a_build_from_a_subfolder_writes_at_the_root() {
    let project = copy_folders(&project_root(), &["environments", "schema"]);
    let root = project.path();
    let output = command_in(&root.join("environments"), &["build"])
        .output()
        .expect("runs");
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    assert!(root.join("generated/overlays/staging").is_dir());
    assert!(
        !root.join("environments/generated").exists(),
        "nothing is written in the current folder"
    );
}
