//! Guards `--range` through a window (issue 16, item 3): `dump`, `inspect`
//! and `export` (CSV, raw, Parquet) of a range open only those records
//! (`OpenOptions::window`; without `--range`, a window of every record, not
//! the file's capacity), so that they work under an address-space limit
//! (`ulimit -v`) that the whole file exceeds, where a command that maps the
//! whole file fails; and their output is what it was, record numbers
//! counted from the store's start.

mod common;

use common::{filled, ok, BIN};

/// Runs the binary under `ulimit -v` of 1 GiB; returns (exit code, stdout,
/// stderr).
fn limited(args: &[&dyn AsRef<std::ffi::OsStr>]) -> (i32, String, String) {
    let o = std::process::Command::new("sh")
        .arg("-c")
        .arg("ulimit -v 1048576 && exec \"$0\" \"$@\"")
        .arg(BIN)
        .args(args.iter().map(|a| a.as_ref()))
        .output()
        .unwrap();
    (
        o.status.code().expect("exited"),
        String::from_utf8(o.stdout).unwrap(),
        String::from_utf8(o.stderr).unwrap(),
    )
}

#[test]
fn range_commands_work_under_an_address_limit_the_store_exceeds() {
    let dir = tempfile::tempdir().unwrap();
    let store = filled(dir.path());
    let expected_dump = ok(&[&"dump", &store, &"--range", &"100..110"]).stdout;
    let expected_inspect = ok(&[&"inspect", &store, &"--range", &"998..1000"]).stdout;
    let expected_csv = ok(&[
        &"export",
        &store,
        &"-",
        &"--format",
        &"csv",
        &"--range",
        &"5..9",
    ])
    .stdout;
    // 4 GiB long (sparse, no disk taken): a reader of the whole store maps it all.
    std::fs::OpenOptions::new()
        .write(true)
        .open(&store)
        .unwrap()
        .set_len(4 << 30)
        .unwrap();

    let (code, out, err) = limited(&[&"dump", &store, &"--range", &"100..110"]);
    assert_eq!((code, err.as_str()), (0, ""));
    assert_eq!(out, expected_dump);
    assert!(out.contains("(10 of 1000 records)"), "{out}");
    let (code, out, err) = limited(&[&"inspect", &store, &"--range", &"998..1000"]);
    assert_eq!((code, err.as_str()), (0, ""));
    assert_eq!(out, expected_inspect);
    let (code, out, _) = limited(&[
        &"export",
        &store,
        &"-",
        &"--format",
        &"csv",
        &"--range",
        &"5..9",
    ]);
    assert_eq!(code, 0);
    assert_eq!(out, expected_csv);
    // A range past the end is clamped, as before.
    let (code, out, _) = limited(&[&"dump", &store, &"--range", &"995..2000"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("(5 of 1000 records)"), "{out}");

    // Raw and Parquet exports of a range.
    let bin = dir.path().join("part.bin");
    let (code, _, err) = limited(&[&"export", &store, &bin, &"--range", &"10..20"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(std::fs::metadata(&bin).unwrap().len(), 10 * 20);
    let pq = dir.path().join("part.parquet");
    let (code, _, err) = limited(&[&"export", &store, &pq, &"--range", &"10..20"]);
    assert_eq!(code, 0, "{err}");
    let back = dir.path().join("back.recs");
    ok(&[&"create", &back, &"--like", &pq]);
    ok(&[&"import", &back, &pq]);
    let (a, b) = (
        ok(&[&"dump", &back, &"--format", &"csv"]).stdout,
        ok(&[&"dump", &store, &"--format", &"csv", &"--range", &"10..20"]).stdout,
    );
    assert_eq!(a, b);

    // Without a range: a window of every record, not of the whole file.
    let (code, out, _) = limited(&[&"dump", &store, &"--format", &"csv"]);
    assert_eq!(code, 0);
    assert_eq!(out, ok(&[&"dump", &store, &"--format", &"csv"]).stdout);
    // The limit is real: a command that maps the whole file fails under it.
    let (code, _, err) = limited(&[&"verify", &store]);
    assert_ne!(code, 0);
    assert!(err.contains("memory"), "{err}");
}
