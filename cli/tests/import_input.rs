//! Guards `recstore import` against hostile CSV and JSON Lines input, as
//! the real binary meets it (issue 17): duplicate columns and keys refused
//! by name, line numbers right whatever the line ends, number errors that
//! say what is wrong with the text as written, a byte order mark treated
//! alike in both formats, a huge bad cell quoted short, and a record of
//! 65536 columns re-imported from the tool's own export.

use std::path::{Path, PathBuf};
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_recstore");

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(args: &[&dyn AsRef<std::ffi::OsStr>]) -> Out {
    let o = Command::new(BIN)
        .args(args.iter().map(|a| a.as_ref()))
        .output()
        .unwrap();
    Out {
        code: o.status.code().expect("exited, not killed"),
        stdout: String::from_utf8(o.stdout).unwrap(),
        stderr: String::from_utf8(o.stderr).unwrap(),
    }
}

fn ok(args: &[&dyn AsRef<std::ffi::OsStr>]) -> String {
    let o = run(args);
    assert_eq!(o.code, 0, "stderr: {}", o.stderr);
    o.stdout
}

/// An import that must fail with exit 6 and one line on stderr holding
/// every word of `words`; returns that line.
fn refused(store: &Path, input: &Path, words: &[&str]) -> String {
    let o = run(&[&"import", &store, &input]);
    // A failure shows the start of stderr only: it may be huge when broken.
    let shown: String = o.stderr.chars().take(600).collect();
    assert_eq!(o.code, 6, "stdout: {}\nstderr: {shown}", o.stdout);
    assert_eq!(o.stderr.lines().count(), 1, "one line: {shown}");
    for w in words {
        assert!(o.stderr.contains(w), "{w:?} missing from: {shown}");
    }
    o.stderr
}

/// A new store of `schema` (TOML text) in `dir`.
fn store(dir: &Path, name: &str, schema: &str) -> PathBuf {
    let toml = dir.join(format!("{name}.toml"));
    std::fs::write(&toml, schema).unwrap();
    let store = dir.join(format!("{name}.recs"));
    ok(&[&"create", &store, &"--schema", &toml]);
    store
}

const PAIR: &str = r#"
name = "Pair"
fields = [{ name = "a", type = "u8" }, { name = "b", type = "u16", endian = "big" }]
"#;

fn write(dir: &Path, name: &str, text: impl AsRef<[u8]>) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn dump_csv(store: &Path) -> String {
    ok(&[&"dump", &store, &"--format", &"csv"])
}

#[test]
fn duplicate_csv_columns_and_json_keys_are_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(dir.path(), "pair", PAIR);
    let csv = write(dir.path(), "dup.csv", "a,b,a\n1,2,3\n");
    refused(&s, &csv, &["line 1", "field a", "duplicate column"]);
    // Header names are trimmed, so " a" is the same column as "a".
    let csv = write(dir.path(), "dup2.csv", "a,b, a\n1,2,3\n");
    refused(&s, &csv, &["line 1", "field a", "duplicate column"]);
    let jsonl = write(
        dir.path(),
        "dup.jsonl",
        "{\"a\":1,\"b\":2}\n{\"a\":1,\"b\":2,\"a\":3}\n",
    );
    refused(&s, &jsonl, &["line 2", "field a", "duplicate key"]);
    assert_eq!(dump_csv(&s), "a,b\n");
}

#[test]
fn csv_errors_name_the_line_whatever_the_line_ends() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(dir.path(), "pair", PAIR);
    for (name, text, line) in [
        ("crlf.csv", "a,b\r\n1,2\r\n3,4\r\nx,5\r\n", 4),
        ("blank.csv", "a,b\n1,2\n\n\n300,5\n", 5),
        ("cr.csv", "a,b\r1,2\rx,3\r", 3),
        ("mixed.csv", "\r\na,b\r\n\r\n1,2\r\r\n7,8,9\n", 6),
        ("quoted.csv", "a,b\n\"1\",\"2\n\"\n1,x\n", 4),
        ("last.csv", "a,b\n1,2\n\n1", 4),
    ] {
        let path = write(dir.path(), name, text);
        let error = refused(&s, &path, &["nothing was imported"]);
        assert!(
            error.contains(&format!("line {line}:")) || error.contains(&format!("line {line},")),
            "{name}: not line {line}: {error}"
        );
    }
    // A bad header after blank lines is named where it is.
    let path = write(dir.path(), "head.csv", "\n\na,c\n1,2\n");
    refused(&s, &path, &["line 3", "unknown column"]);
    assert_eq!(dump_csv(&s), "a,b\n");
}

#[test]
fn number_errors_quote_the_text_as_written() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(
        dir.path(),
        "nums",
        r#"
name = "Nums"
fields = [{ name = "u", type = "u8" }, { name = "big", type = "i64", endian = "big" }]
"#,
    );
    // -0 is 0, for an unsigned type too.
    let csv = write(dir.path(), "zero.csv", "u,big\n-0,-0\n");
    ok(&[&"import", &s, &csv]);
    assert_eq!(dump_csv(&s), "u,big\n0,0\n");
    let jsonl = write(dir.path(), "e.jsonl", "{\"u\": 1e1, \"big\": 1}\n");
    refused(&s, &jsonl, &["field u", "\"1e1\" is not an integer"]);
    let jsonl = write(
        dir.path(),
        "low.jsonl",
        "{\"u\": 1, \"big\": -9223372036854775809}\n",
    );
    refused(
        &s,
        &jsonl,
        &[
            "field big",
            "\"-9223372036854775809\" is out of range for i64",
        ],
    );
    let csv = write(dir.path(), "high.csv", "u,big\n256,1\n");
    refused(
        &s,
        &csv,
        &["field u", "\"256\" is out of range for u8 (0..=255)"],
    );
    let csv = write(
        dir.path(),
        "huge.csv",
        "u,big\n1,123456789012345678901234567890123456789012\n",
    );
    refused(&s, &csv, &["field big", "is out of range for i64"]);
    assert_eq!(dump_csv(&s), "u,big\n0,0\n");
}

#[test]
fn a_byte_order_mark_is_ignored_in_csv_and_json_lines_alike() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(dir.path(), "pair", PAIR);
    let csv = write(dir.path(), "bom.csv", "\u{feff}a,b\n1,2\n");
    ok(&[&"import", &s, &csv]);
    let jsonl = write(dir.path(), "bom.jsonl", "\u{feff}{\"a\":3,\"b\":4}\n");
    ok(&[&"import", &s, &jsonl]);
    assert_eq!(dump_csv(&s), "a,b\n1,2\n3,4\n");
    // Only at the start: elsewhere it is not JSON.
    let jsonl = write(
        dir.path(),
        "bom2.jsonl",
        "{\"a\":3,\"b\":4}\n\u{feff}{\"a\":3,\"b\":4}\n",
    );
    refused(&s, &jsonl, &["line 2", "not JSON"]);
}

#[test]
fn a_huge_bad_cell_is_quoted_short() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(dir.path(), "pair", PAIR);
    let cell = "9x".repeat(4 << 20);
    let csv = write(dir.path(), "huge.csv", format!("a,b\n1,{cell}\n"));
    let line = refused(
        &s,
        &csv,
        &["line 2", "field b", "is not a number", "8388608 bytes"],
    );
    assert!(line.len() < 300, "{} bytes of error", line.len());
    let jsonl = write(
        dir.path(),
        "huge.jsonl",
        format!("{{\"a\":1,\"b\":\"{cell}\"}}\n"),
    );
    let line = refused(&s, &jsonl, &["line 1", "field b", "is not a number"]);
    assert!(line.len() < 300, "{} bytes of error", line.len());
    let csv = write(dir.path(), "name.csv", format!("a,b,{cell}\n1,2,3\n"));
    let line = refused(&s, &csv, &["line 1", "unknown column"]);
    assert!(line.len() < 300, "{} bytes of error", line.len());
}

#[test]
fn the_own_csv_export_of_a_65536_column_record_imports_again() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(
        dir.path(),
        "wide",
        r#"
name = "Wide"
fields = [{ name = "bytes", type = "u8", count = 65536 }]
"#,
    );
    let row: Vec<String> = (0..65536).map(|i| (i % 251).to_string()).collect();
    let jsonl = write(
        dir.path(),
        "wide.jsonl",
        format!("{{\"bytes\":[{}]}}\n", row.join(",")),
    );
    ok(&[&"import", &s, &jsonl]);
    let csv = dir.path().join("wide.csv");
    ok(&[&"export", &s, &csv]);
    let again = store(
        dir.path(),
        "again",
        r#"
name = "Wide"
fields = [{ name = "bytes", type = "u8", count = 65536 }]
"#,
    );
    ok(&[&"import", &again, &csv]);
    assert_eq!(dump_csv(&again), dump_csv(&s));
    assert!(dump_csv(&again).ends_with(&format!("{}\n", row.join(","))));
}
