//! Guards `recstore export|import` of Parquet, Arrow IPC and .npy and
//! `create --like`, run as the real binary: the round trip of the bundled
//! sample gives the same records, `--range`/`--fields`/`--format` do what
//! they say, and bad input is one line on stderr with exit code 6 and the
//! store untouched.

#![cfg(feature = "columnar")]

use std::path::{Path, PathBuf};
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_recstore");

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn run(args: &[&dyn AsRef<std::ffi::OsStr>]) -> (i32, String, String) {
    let o = Command::new(BIN)
        .args(args.iter().map(|a| a.as_ref()))
        .output()
        .unwrap();
    (
        o.status.code().expect("exited"),
        String::from_utf8(o.stdout).unwrap(),
        String::from_utf8(o.stderr).unwrap(),
    )
}

/// Runs a command that must succeed; returns (stdout, stderr: its status lines).
fn both(args: &[&dyn AsRef<std::ffi::OsStr>]) -> (String, String) {
    let (code, out, err) = run(args);
    assert_eq!(code, 0, "stderr: {err}");
    assert!(!err.contains("error") && !err.contains("warning"), "{err}");
    (out, err)
}

/// Runs a command that must succeed; returns its stdout.
fn ok(args: &[&dyn AsRef<std::ffi::OsStr>]) -> String {
    both(args).0
}

/// Runs a command that must succeed and print nothing on stdout; returns its status lines.
fn status(args: &[&dyn AsRef<std::ffi::OsStr>]) -> String {
    let (out, err) = both(args);
    assert!(out.is_empty(), "status goes to stderr: {out}");
    err
}

fn fails(code: i32, args: &[&dyn AsRef<std::ffi::OsStr>], words: &[&str]) {
    let (got, out, err) = run(args);
    assert_eq!(got, code, "stdout: {out}\nstderr: {err}");
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    for w in words {
        assert!(err.contains(w), "{w:?} missing from: {err}");
    }
}

/// A store filled with the bundled sample (1000 colour vertices).
fn filled(dir: &Path, name: &str) -> PathBuf {
    let store = dir.join(name);
    ok(&[
        &"create",
        &store,
        &"--schema",
        &root().join("schemas/colored_vertex.toml"),
    ]);
    ok(&[
        &"import",
        &store,
        &root().join("samples/colored_vertex.csv"),
    ]);
    store
}

fn csv_of(store: &Path) -> String {
    ok(&[&"dump", &store, &"--format", &"csv"])
}

#[test]
fn each_format_round_trips_through_create_like_and_import() {
    let dir = tempfile::tempdir().unwrap();
    let a = filled(dir.path(), "a.recs");
    for ext in ["parquet", "arrow", "npy"] {
        let file = dir.path().join(format!("a.{ext}"));
        let said = status(&[&"export", &a, &file]);
        assert!(said.starts_with("exported 1000 records to"), "{said}");
        let b = dir.path().join(format!("b-{ext}.recs"));
        ok(&[&"create", &b, &"--like", &file]);
        let said = status(&[&"import", &b, &file]);
        assert!(said.starts_with("imported 1000 records into"), "{said}");
        assert_eq!(csv_of(&a), csv_of(&b), "{ext}");
        // The same bytes: the .npy exports (header + raw records) agree.
        let (x, y) = (
            dir.path().join(format!("x-{ext}.npy")),
            dir.path().join(format!("y-{ext}.npy")),
        );
        ok(&[&"export", &a, &x]);
        ok(&[&"export", &b, &y]);
        assert_eq!(
            std::fs::read(&x).unwrap(),
            std::fs::read(&y).unwrap(),
            "{ext}"
        );
        ok(&[&"verify", &b]);
    }
    // Parquet and Arrow carry the schema itself: even the record name comes back.
    let info = ok(&[&"info", &dir.path().join("b-parquet.recs")]);
    assert!(info.contains("ColoredVertex (20 bytes"), "{info}");
}

#[test]
fn range_fields_and_format_select_what_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let a = filled(dir.path(), "a.recs");
    let out = dir.path().join("part.bin");
    ok(&[
        &"export",
        &a,
        &out,
        &"--format",
        &"parquet",
        &"--range",
        &"10..20",
        &"--fields",
        &"color",
    ]);
    let c = dir.path().join("c.recs");
    fails(
        2,
        &[&"create", &c, &"--like", &out],
        &["name it .parquet, .arrow or .npy"],
    );
    let pq = dir.path().join("part.parquet");
    std::fs::rename(&out, &pq).unwrap();
    ok(&[&"create", &c, &"--like", &pq]);
    ok(&[&"import", &c, &pq]);
    let want: Vec<String> = ok(&[
        &"dump",
        &a,
        &"--format",
        &"csv",
        &"--range",
        &"10..20",
        &"--fields",
        &"color",
    ])
    .lines()
    .map(String::from)
    .collect();
    let got: Vec<String> = csv_of(&c).lines().map(String::from).collect();
    assert_eq!(got, want);
    // A .npy of a range holds those records (copied from the store's file
    // at their offset, not from its start).
    let npy = dir.path().join("part.npy");
    ok(&[&"export", &a, &npy, &"--range", &"10..20"]);
    let data = recstore::RawStore::open_read_only(&a)
        .unwrap()
        .data()
        .to_vec();
    let file = std::fs::read(&npy).unwrap();
    assert!(file.ends_with(&data[10 * 20..20 * 20]), "records 10..20");
    assert_eq!(file.len() % 64, 10 * 20 % 64);
    // --fields works for the text formats too.
    let csv = dir.path().join("c.csv");
    ok(&[
        &"export",
        &a,
        &csv,
        &"--range",
        &"0..1",
        &"--fields",
        &"position",
    ]);
    assert_eq!(
        std::fs::read_to_string(&csv).unwrap().lines().next(),
        Some("position[0],position[1],position[2]")
    );
    fails(
        2,
        &[&"export", &a, &pq, &"--fields", &"_pad"],
        &["no field \"_pad\""],
    );
    fails(
        2,
        &[&"export", &a, &dir.path().join("a.xyz")],
        &[".parquet, .arrow or .npy"],
    );
    // One element of an array has no column of its own.
    fails(
        2,
        &[
            &"export",
            &a,
            &dir.path().join("e.arrow"),
            &"--fields",
            &"color[1]",
        ],
        &["whole fields"],
    );
    // An existing output is replaced only with --force, and never half-written.
    let before = std::fs::read(&pq).unwrap();
    fails(1, &[&"export", &a, &pq], &["--force"]);
    assert_eq!(std::fs::read(&pq).unwrap(), before);
    status(&[&"export", &a, &pq, &"--force"]);
    assert_ne!(
        std::fs::read(&pq).unwrap(),
        before,
        "the whole store this time"
    );
    // `-` is stdout, with --format: the same bytes as a file.
    let o = Command::new(BIN)
        .args([
            "export".as_ref(),
            a.as_os_str(),
            "-".as_ref(),
            "--format".as_ref(),
            "npy".as_ref(),
        ])
        .output()
        .unwrap();
    assert!(o.status.success());
    let file = dir.path().join("same.npy");
    status(&[&"export", &a, &file]);
    assert_eq!(o.stdout, std::fs::read(&file).unwrap());
}

#[test]
fn bad_input_is_exit_6_and_appends_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let a = filled(dir.path(), "a.recs");
    let before = csv_of(&a);
    // A file of other records: columns that are not the store's fields.
    let other = dir.path().join("tri.recs");
    ok(&[
        &"create",
        &other,
        &"--schema",
        &root().join("schemas/triangle.toml"),
    ]);
    let tri = dir.path().join("tri.parquet");
    ok(&[&"export", &other, &tri]);
    fails(
        6,
        &[&"import", &a, &tri],
        &["nothing was imported from", "column position", "missing"],
    );
    // A truncated Parquet file and a file that is not .npy.
    let pq = dir.path().join("a.parquet");
    ok(&[&"export", &a, &pq]);
    let bytes = std::fs::read(&pq).unwrap();
    let cut = dir.path().join("cut.parquet");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    fails(
        6,
        &[&"import", &a, &cut],
        &["nothing was imported from", "Parquet"],
    );
    fails(
        6,
        &[&"create", &dir.path().join("z.recs"), &"--like", &cut],
        &["Parquet"],
    );
    let junk = dir.path().join("junk.npy");
    std::fs::write(&junk, b"not numpy at all").unwrap();
    fails(6, &[&"import", &a, &junk], &["not a .npy file"]);
    // A missing input is an I/O error.
    fails(
        3,
        &[&"import", &a, &dir.path().join("none.arrow")],
        &["cannot open"],
    );
    assert_eq!(csv_of(&a), before, "the store is untouched");
    // A lossy value names its row: the sample's colours do not fit i8.
    let small = dir.path().join("small.toml");
    std::fs::write(
        &small,
        "name = \"Small\"\nfields = [{ name = \"position\", type = \"f32\", count = 3 }, { name = \"color\", type = \"i8\", count = 3 }, { name = \"_pad\", padding = 1 }]\n",
    )
    .unwrap();
    let s = dir.path().join("s.recs");
    ok(&[&"create", &s, &"--schema", &small]);
    fails(
        6,
        &[&"import", &s, &pq],
        &["row 1, field color[0]: 7281 is out of range for i8"],
    );
}
