//! Guards against commands that hang or misreport on files that are not
//! regular files (issue 17, items 7 and 21): `info`, `verify`, `dump`,
//! `inspect` and `export` on a FIFO blocked forever in `open`; a directory
//! given as the input of `import` exited 6 (invalid input) instead of 3.
//! The type is now checked before anything is opened. A dangling symbolic
//! link is named as one (the library's `DanglingSymlink`): `create` said
//! it "already exists" and told to import into it, the reading commands
//! said "no such file".

mod common;

use common::*;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Runs the binary, killing it if it is still running after a minute (a
/// blocked `open`), which fails the test instead of hanging it.
fn run_unless_blocked(args: &[&std::ffi::OsStr]) -> (i32, String) {
    let mut child = Command::new(BIN)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("{args:?} blocked");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let o = child.wait_with_output().unwrap();
    (
        o.status.code().unwrap(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn a_fifo_as_a_store_is_refused_without_blocking() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("pipe.recs");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    let out = dir.path().join("out.csv");
    let f = fifo.as_os_str();
    let sample = common::sample();
    for args in [
        vec!["info".as_ref(), f],
        vec!["verify".as_ref(), f],
        vec!["dump".as_ref(), f],
        vec!["inspect".as_ref(), f],
        vec!["export".as_ref(), f, out.as_os_str()],
        vec!["import".as_ref(), f, sample.as_os_str()],
    ] {
        let (code, stderr) = run_unless_blocked(&args);
        assert_eq!(code, 3, "{args:?}: {stderr}");
        assert!(
            stderr.contains("named pipe (FIFO), not a store"),
            "{stderr}"
        );
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
    }
    assert!(!out.exists());
}

#[test]
fn a_directory_where_a_file_is_needed_exits_3() {
    let dir = tempfile::tempdir().unwrap();
    let store = filled(dir.path());
    let d = dir.path();
    for cmd in ["info", "verify", "dump", "inspect"] {
        fails(3, &[&cmd, &d], &["is a directory, not a store"]);
    }
    fails(
        3,
        &[&"import", &store, &d, &"--format", &"csv"],
        &["is a directory, not a file to import"],
    );
    fails(
        3,
        &[&"export", &store, &d, &"--format", &"csv"],
        &["is a directory"],
    );
    fails(
        3,
        &[&"create", &d.join("new.recs"), &"--schema", &d],
        &["is a directory, not a schema file"],
    );
    // Not "already exists; add records to it with `recstore import`".
    fails(
        3,
        &[&"create", &d, &"--schema", &schema()],
        &["is a directory, not a store"],
    );
}

#[test]
fn a_dangling_symlink_is_named_as_one() {
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("link.recs");
    std::os::unix::fs::symlink("nowhere.recs", &link).unwrap();
    let said = ["link.recs is a symbolic link to nowhere.recs, which does not exist"];
    fails(3, &[&"create", &link, &"--schema", &schema()], &said);
    for cmd in ["info", "verify", "dump", "inspect"] {
        fails(3, &[&cmd, &link], &said);
    }
    fails(3, &[&"import", &link, &sample()], &said);
    // Nothing was created, at the link or its target.
    assert!(std::fs::read_link(&link).is_ok());
    assert!(!dir.path().join("nowhere.recs").exists());
}
