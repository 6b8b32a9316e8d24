//! Guards the shell completions and the man page generated from the clap
//! definitions (issue 17, item 24): `recstore completions SHELL` and
//! `recstore man` print them, so they can be installed after `cargo
//! install` as the README says, and they know every subcommand and flag.

mod common;

use common::*;

#[test]
fn completions_for_each_shell_know_the_subcommands() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let out = ok(&[&"completions", &shell]).stdout;
        for word in ["export", "dump", "force", "quiet", "fields"] {
            assert!(out.contains(word), "{shell}: {word} missing");
        }
    }
    fails_usage(&[&"completions", &"tcsh"]);
}

#[test]
fn bash_completion_loads_in_bash() {
    let script = ok(&[&"completions", &"bash"]).stdout;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("recstore.bash");
    std::fs::write(&file, script).unwrap();
    let o = std::process::Command::new("bash")
        .arg("-c")
        .arg("source \"$0\" && complete -p recstore")
        .arg(&file)
        .output()
        .unwrap();
    assert!(o.status.success(), "{o:?}");
    assert!(String::from_utf8_lossy(&o.stdout).contains("recstore"));
}

#[test]
fn the_man_page_is_roff_with_every_command() {
    let page = ok(&[&"man"]).stdout;
    assert!(page.contains(".TH recstore 1"), "{page}");
    for word in ["create", "import", "export", "verify", "Exit codes"] {
        assert!(page.contains(word), "{word} missing");
    }
    // The hidden helpers are not advertised in the help.
    let help = ok(&[&"--help"]).stdout;
    assert!(!help.contains("completions"), "{help}");
}

fn fails_usage(args: &Args) {
    let o = run(args);
    assert_eq!(o.code, 2, "{}", o.stderr);
}
