//! Guards `dump` on big stores and wide fields (issue 17, items 3 and 8):
//! `--format json` and `--format table` built their whole output in memory
//! (2 M records: 2.3 GB and 560 MB) and the table panicked ("Formatting
//! argument out of range") on a cell wider than 65535 characters. Every
//! format now streams; the peak resident memory of the child process is
//! measured with `wait4` and must stay under a bound that the old code
//! exceeded many times over.

mod common;

use common::*;
use std::process::{Command, Stdio};

/// Runs the binary with stdout to /dev/null; returns its exit code and
/// its peak resident set size in KiB.
// The child is reaped by `wait4`, which clippy does not see.
#[allow(clippy::zombie_processes)]
fn peak_rss_kib(args: &[&std::ffi::OsStr]) -> (i32, i64) {
    let child = Command::new(BIN)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value for wait4 to overwrite.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `pid` is our own child, not yet waited for; both pointers are
    // to live locals.
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(waited, pid);
    assert!(libc::WIFEXITED(status));
    // ru_maxrss is in KiB on Linux.
    (libc::WEXITSTATUS(status), usage.ru_maxrss)
}

#[test]
fn json_and_table_dumps_stream_in_bounded_memory() {
    const RECORDS: usize = 300_000;
    // Old code at this size: some 340 MB (json) and 85 MB (table); now
    // about 15 MB, of which the mapped store is 6 MB.
    const BOUND_KIB: i64 = 40 * 1024;
    let dir = tempfile::tempdir().unwrap();
    let store = zeros(dir.path(), RECORDS);
    for format in ["json", "table"] {
        let (code, kib) = peak_rss_kib(&[
            "dump".as_ref(),
            store.as_os_str(),
            "--format".as_ref(),
            format.as_ref(),
        ]);
        eprintln!("dump --format {format} of {RECORDS} records: peak RSS {kib} KiB");
        assert_eq!(code, 0, "{format}");
        assert!(kib < BOUND_KIB, "{format}: {kib} KiB");
    }
}

#[test]
fn a_table_cell_wider_than_65535_characters_is_printed() {
    let dir = tempfile::tempdir().unwrap();
    let schema = dir.path().join("wide.toml");
    std::fs::write(
        &schema,
        "name = \"Wide\"\nfields = [{ name = \"bytes\", type = \"u8\", count = 30000 }]\n",
    )
    .unwrap();
    let store = dir.path().join("wide.recs");
    ok(&[&"create", &store, &"--schema", &schema]);
    let values: Vec<String> = (0..30000).map(|i| (100 + i % 100).to_string()).collect();
    let jsonl = dir.path().join("wide.jsonl");
    std::fs::write(&jsonl, format!("{{\"bytes\":[{}]}}\n", values.join(","))).unwrap();
    ok(&[&"import", &store, &jsonl]);
    let out = ok(&[&"dump", &store]).stdout;
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3, "header, one row, the count");
    let cell = format!("[{}]", values.join(", "));
    assert!(cell.len() > 65535);
    assert_eq!(lines[1], format!("0  {cell}"));
    // The header is right-aligned to the cell's width.
    assert_eq!(lines[0].len(), lines[1].len());
    assert!(lines[0].ends_with(" bytes"));
}
