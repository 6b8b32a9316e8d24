//! The harness the CLI test files share: run the real binary, check its
//! exit code and its one-line error, build a filled store.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

pub const BIN: &str = env!("CARGO_BIN_EXE_recstore");

pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

pub struct Out {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

pub type Args<'a> = [&'a dyn AsRef<std::ffi::OsStr>];

pub fn run(args: &Args) -> Out {
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

/// Runs a command that must succeed with no error or warning; returns it.
pub fn ok(args: &Args) -> Out {
    let o = run(args);
    assert_eq!(o.code, 0, "stdout: {}\nstderr: {}", o.stdout, o.stderr);
    assert!(
        !o.stderr.contains("error") && !o.stderr.contains("warning"),
        "{}",
        o.stderr
    );
    o
}

/// Runs a command that must fail with `code`, with one line on stderr
/// containing every word of `words`; returns that line.
pub fn fails(code: i32, args: &Args, words: &[&str]) -> String {
    let o = run(args);
    assert_eq!(o.code, code, "stdout: {}\nstderr: {}", o.stdout, o.stderr);
    assert_eq!(o.stderr.lines().count(), 1, "one line: {}", o.stderr);
    assert!(o.stderr.starts_with("error: "), "{}", o.stderr);
    for w in words {
        assert!(o.stderr.contains(w), "{w:?} missing from: {}", o.stderr);
    }
    o.stderr
}

pub fn schema() -> PathBuf {
    root().join("schemas/colored_vertex.toml")
}

pub fn sample() -> PathBuf {
    root().join("samples/colored_vertex.csv")
}

/// A store filled with the bundled sample (1000 records).
pub fn filled(dir: &Path) -> PathBuf {
    let store = dir.join("s.recs");
    ok(&[&"create", &store, &"--schema", &schema()]);
    ok(&[&"import", &store, &sample()]);
    store
}

/// A store of `n` zeroed records of the bundled vertex schema, built
/// through the library (quicker than importing text).
pub fn zeros(dir: &Path, n: usize) -> PathBuf {
    let store = dir.join("zeros.recs");
    let schema = recstore::schema_file::load(schema()).unwrap();
    let mut raw = recstore::OpenOptions::new()
        .create_new(true)
        .open_raw(&store, Some(&schema))
        .unwrap();
    raw.extend_from_bytes(&vec![0u8; n * schema.stride() as usize])
        .unwrap();
    raw.close().unwrap();
    store
}
