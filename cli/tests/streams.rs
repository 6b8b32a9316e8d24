//! Guards stdout as a data channel (issue 17, items 4, 9 and 24): a reader
//! that closes the pipe early (`| head -1`) ends the output quietly with
//! exit 0, even with stderr in the same pipe (the error print panicked,
//! exit 101); `-` is stdin or stdout; status lines and warnings go to
//! stderr (`export ... /dev/stdout > out.csv` had the status line inside
//! the data); `--quiet` leaves only the output asked for.

mod common;

use common::*;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

/// Reads one line of a `dump` of a large store, then closes the pipe.
fn dump_closed_early(format: &str, stderr_too: bool) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    let store = zeros(dir.path(), 100_000);
    let (reader, writer) = std::io::pipe().unwrap();
    let mut cmd = Command::new(BIN);
    cmd.args(["dump", "--format", format])
        .arg(&store)
        .stdout(writer.try_clone().unwrap());
    if stderr_too {
        cmd.stderr(writer);
    } else {
        cmd.stderr(Stdio::piped());
        drop(writer);
    }
    let child = cmd.spawn().unwrap();
    drop(cmd);
    let mut first = String::new();
    BufReader::new(reader).read_line(&mut first).unwrap();
    // The reader is dropped: the pipe is closed with most output unwritten.
    let o = child.wait_with_output().unwrap();
    assert!(!first.is_empty());
    (
        o.status.code().expect("exited, not killed"),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn a_closed_pipe_ends_output_quietly() {
    for format in ["table", "csv", "jsonl", "json"] {
        let (code, stderr) = dump_closed_early(format, false);
        assert_eq!(code, 0, "{format}: {stderr}");
        assert!(stderr.is_empty(), "{format}: {stderr}");
        let (code, stderr) = dump_closed_early(format, true);
        assert_eq!(code, 0, "{format} with 2>&1: {stderr}");
    }
}

#[test]
fn dash_is_stdout_for_export_and_status_goes_to_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let store = filled(dir.path());
    let o = ok(&[&"export", &store, &"-", &"--format", &"csv"]);
    assert_eq!(o.stdout, std::fs::read_to_string(sample()).unwrap());
    assert!(o.stderr.contains("exported 1000 records"), "{}", o.stderr);
    // Without --format, `-` has no extension to go by.
    fails(2, &[&"export", &store, &"-"], &["--format"]);
    // `export ... /dev/stdout > out.csv`: the file holds the data alone.
    let out = dir.path().join("out.csv");
    let o = Command::new(BIN)
        .args(["export"])
        .arg(&store)
        .args(["/dev/stdout", "--format", "csv"])
        .stdout(std::fs::File::create(&out).unwrap())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    assert_eq!(
        std::fs::read(&out).unwrap(),
        std::fs::read(sample()).unwrap()
    );
    assert!(String::from_utf8_lossy(&o.stderr).contains("exported 1000 records"));
}

#[test]
fn dash_is_stdin_for_import_and_schema() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s.recs");
    let feed = |args: &[&std::ffi::OsStr], input: &[u8]| {
        let mut child = Command::new(BIN)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(input).unwrap();
        child.wait_with_output().unwrap()
    };
    let o = feed(
        &[
            "create".as_ref(),
            store.as_os_str(),
            "--schema".as_ref(),
            "-".as_ref(),
        ],
        &std::fs::read(schema()).unwrap(),
    );
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    assert!(o.stdout.is_empty());
    assert!(String::from_utf8_lossy(&o.stderr).contains("created"));
    let o = feed(
        &[
            "import".as_ref(),
            store.as_os_str(),
            "-".as_ref(),
            "--format".as_ref(),
            "csv".as_ref(),
        ],
        &std::fs::read(sample()).unwrap(),
    );
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    assert!(o.stdout.is_empty(), "status goes to stderr");
    assert!(String::from_utf8_lossy(&o.stderr).contains("imported 1000 records"));
    let again = ok(&[&"export", &store, &"-", &"--format", &"csv"]);
    assert_eq!(again.stdout, std::fs::read_to_string(sample()).unwrap());
}

#[test]
fn dash_is_stdin_for_a_store_to_read() {
    let dir = tempfile::tempdir().unwrap();
    let store = filled(dir.path());
    let from_stdin = |args: &[&str], input: &std::path::Path| {
        Command::new(BIN)
            .args(args)
            .stdin(std::fs::File::open(input).unwrap())
            .output()
            .unwrap()
    };
    let o = from_stdin(&["verify", "-"], &store);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    assert!(String::from_utf8_lossy(&o.stdout).starts_with("ok: 1000 records in <stdin>"));
    let o = from_stdin(&["info", "-", "--json"], &store);
    let info: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(info["count"], 1000);
    let o = from_stdin(&["export", "-", "-", "--format", "csv"], &store);
    assert_eq!(o.stdout, std::fs::read(sample()).unwrap());
    let o = from_stdin(
        &["dump", "-", "--range", "0..2", "--format", "jsonl"],
        &store,
    );
    assert_eq!(String::from_utf8_lossy(&o.stdout).lines().count(), 2);
    let o = from_stdin(&["inspect", "-"], &store);
    assert!(String::from_utf8_lossy(&o.stdout).contains("records (1000 in all"));
    // Not a store: the message says where it came from.
    let o = from_stdin(&["info", "-"], &sample());
    assert_eq!(o.status.code(), Some(4), "{o:?}");
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(stderr.contains("the store read from stdin"), "{stderr}");
}

#[test]
fn status_lines_go_to_stderr_and_quiet_silences_them() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s.recs");
    let out = dir.path().join("out.jsonl");
    for args in [
        &[
            &"create" as &dyn AsRef<std::ffi::OsStr>,
            &store,
            &"--schema",
            &schema(),
        ][..],
        &[&"import", &store, &sample()],
        &[&"export", &store, &out],
    ] {
        let o = ok(args);
        assert!(o.stdout.is_empty(), "{}", o.stdout);
        assert!(!o.stderr.is_empty());
    }
    let out2 = dir.path().join("out2.jsonl");
    for args in [
        &[
            &"--quiet" as &dyn AsRef<std::ffi::OsStr>,
            &"import",
            &store,
            &sample(),
        ][..],
        &[&"export", &store, &out2, &"-q"],
        &[&"verify", &store, &"--quiet"],
    ] {
        let o = ok(args);
        assert!(o.stdout.is_empty(), "{}", o.stdout);
        assert!(o.stderr.is_empty(), "{}", o.stderr);
    }
    assert!(out2.is_file());
    // The output asked for is still printed.
    let o = ok(&[
        &"dump",
        &store,
        &"-q",
        &"--range",
        &"0..1",
        &"--format",
        &"csv",
    ]);
    assert_eq!(o.stdout.lines().count(), 2);
}

#[test]
fn dash_is_stdin_for_mesh_import() {
    let dir = tempfile::tempdir().unwrap();
    let obj = dir.path().join("tri.obj");
    std::fs::write(&obj, "v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n").unwrap();
    let mesh = dir.path().join("tri.mesh");
    let o = Command::new(BIN)
        .args(["mesh", "import", "-"])
        .arg(&mesh)
        .args(["--format", "obj"])
        .stdin(std::fs::File::open(&obj).unwrap())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    assert!(
        o.stdout.is_empty(),
        "the import report is status, on stderr"
    );
    assert!(String::from_utf8_lossy(&o.stderr).contains("3 vertices, 1 triangles"));
    let info = ok(&[&"mesh", &"info", &mesh]).stdout;
    assert!(info.contains("triangles:  1"), "{info}");
    // Without --format, `-` has no extension to go by.
    fails(
        2,
        &[&"mesh", &"import", &"-", &dir.path().join("x.mesh")],
        &["--format"],
    );
}
