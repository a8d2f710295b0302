//! Shell completions and the man page come from the clap definitions: they know every
//! subcommand, flag and value the command line accepts.

use std::process::Command;

fn run(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_puppet-preflight"))
        .args(args)
        .output()
        .expect("run");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn completions_know_subcommands_flags_and_values() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let (code, out, err) = run(&["completions", shell]);
        assert_eq!(code, 0, "{shell}: {err}");
        for word in [
            "puppet-preflight",
            "check",
            "resources",
            "--worktree",
            "--format",
        ] {
            assert!(out.contains(word), "{shell} completion lacks {word}");
        }
    }
    // Values of value enums, the new formats included.
    let (_, bash, _) = run(&["completions", "bash"]);
    assert!(bash.contains("html") && bash.contains("dot") && bash.contains("sarif"));
    let (code, _, err) = run(&["completions", "tcsh"]);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn man_pages_for_the_tool_and_each_subcommand() {
    let (code, page, err) = run(&["man"]);
    assert_eq!(code, 0, "{err}");
    assert!(page.contains(".TH puppet-preflight 1"), "{page}");
    assert!(page.contains("install\\-hook"), "{page}");
    let (code, check, err) = run(&["man", "check"]);
    assert_eq!(code, 0, "{err}");
    assert!(check.contains(".TH puppet-preflight-check 1"), "{check}");
    assert!(check.contains("\\-\\-worktree"), "{check}");
    let (code, _, err) = run(&["man", "nosuch"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("no subcommand `nosuch`; one of: check"),
        "{err}"
    );
}
