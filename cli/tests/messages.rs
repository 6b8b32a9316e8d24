//! Guards errors that misled (issue 17, items 20, 21 and 25): `create` on
//! an existing path advised a Rust API ("open it with Store::open"); an
//! impossible `--capacity` exited 1 with a message about growing;
//! `--help > /dev/full` exited 0; a 0-byte store was said to start with `[]`.

mod common;

use common::*;
use std::process::Command;

#[test]
fn create_on_an_existing_path_gives_advice_in_cli_terms() {
    let dir = tempfile::tempdir().unwrap();
    let store = filled(dir.path());
    let err = fails(
        1,
        &[&"create", &store, &"--schema", &schema()],
        &["already exists", "recstore import", "recstore info"],
    );
    assert!(!err.contains("Store::open"), "{err}");
    // Also when the path is not a store at all.
    let other = dir.path().join("notes.txt");
    std::fs::write(&other, "mine").unwrap();
    fails(
        1,
        &[&"create", &other, &"--schema", &schema()],
        &["already exists"],
    );
    assert_eq!(std::fs::read_to_string(&other).unwrap(), "mine");
}

#[test]
fn an_impossible_capacity_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s.recs");
    fails(
        2,
        &[
            &"create",
            &store,
            &"--schema",
            &schema(),
            &"--capacity",
            &"18446744073709551615",
        ],
        &[
            "--capacity 18446744073709551615 is too large",
            "smaller capacity",
        ],
    );
    assert!(!store.exists());
}

#[test]
fn help_that_cannot_be_written_is_an_error() {
    for args in [&["--help"][..], &["dump", "--help"], &["--version"]] {
        let o = Command::new(BIN)
            .args(args)
            .stdout(std::fs::File::create("/dev/full").unwrap())
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(3), "{args:?}: {o:?}");
        assert!(String::from_utf8_lossy(&o.stderr).contains("No space left"));
    }
    // And output that cannot be written, too.
    let dir = tempfile::tempdir().unwrap();
    let store = filled(dir.path());
    let o = Command::new(BIN)
        .arg("info")
        .arg(&store)
        .stdout(std::fs::File::create("/dev/full").unwrap())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(3), "{o:?}");
}

#[test]
fn an_empty_file_is_called_an_empty_file() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.recs");
    std::fs::write(&empty, b"").unwrap();
    for cmd in ["info", "verify", "dump"] {
        let err = fails(
            4,
            &[&cmd, &empty],
            &["is not a recstore file", "empty file"],
        );
        assert!(!err.contains("[]"), "{err}");
    }
}
