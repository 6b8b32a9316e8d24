//! Guards the page cache from appends' write-behind (`fadvise` `DONTNEED`
//! every 8 MiB appended or pushed): it may only touch the pages the
//! handle itself wrote to the file. Records already in the store before it
//! was opened, read through the page cache by other programs, must stay
//! cached, and a copy-on-write handle, which writes no file, touches none.
#![cfg(target_os = "linux")]

mod common;

use common::{vertex, Vertex};
use recstore::{OpenOptions, Store};
use std::path::Path;
use std::process::Command;

/// Bytes of `path` in the page cache, from util-linux's `fincore`.
fn cached(path: &Path) -> u64 {
    let out = Command::new("fincore")
        .args(["--bytes", "--noheadings", "--raw", "--output", "RES"])
        .arg(path)
        .output()
        .expect("fincore (util-linux) runs");
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout)
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

/// Writes 1 M records (20 MB) through a handle `open` gives on a store of
/// 1 M records just read by another program, by `extend_from_slice` or
/// one `push` at a time, and says whether the old records stay cached.
fn old_records_stay_cached(open: fn(&Path) -> Store<Vertex>, by_push: bool) -> bool {
    // Beside the build, not in /tmp: a tmpfs ignores the advice.
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let path = common::vertex_store(dir.path(), "old.recs", 1_000_000);
    let old = std::fs::read(&path).unwrap().len() as u64;
    assert!(cached(&path) >= old * 9 / 10, "the store was just read");
    let mut s = open(&path);
    let batch: Vec<Vertex> = (0..1_000_000).map(|i| vertex(i + 7)).collect();
    if by_push {
        for v in &batch {
            s.push(v).unwrap();
        }
    } else {
        s.extend_from_slice(&batch).unwrap();
    }
    assert_eq!(s[s.len() - batch.len()..], batch[..]);
    drop(s);
    cached(&path) >= old * 9 / 10
}

fn writer(path: &Path) -> Store<Vertex> {
    Store::open(path).unwrap()
}

/// A copy-on-write handle over all the old records.
fn copy_on_write(path: &Path) -> Store<Vertex> {
    let mut s = OpenOptions::new().copy_on_write().open(path).unwrap();
    s.truncate(0).unwrap();
    s
}

#[test]
fn a_large_append_leaves_the_older_records_cached() {
    assert!(
        old_records_stay_cached(writer, false),
        "a 20 MB append dropped the records before it from the page cache"
    );
}

#[test]
fn pushes_leave_the_older_records_cached() {
    assert!(
        old_records_stay_cached(writer, true),
        "20 MB of pushes dropped the records before them from the page cache"
    );
}

#[test]
fn a_copy_on_write_handle_leaves_the_file_cached() {
    assert!(
        old_records_stay_cached(copy_on_write, false),
        "a copy-on-write handle's append dropped the file's records from the page cache"
    );
    assert!(
        old_records_stay_cached(copy_on_write, true),
        "a copy-on-write handle's pushes dropped the file's records from the page cache"
    );
}
