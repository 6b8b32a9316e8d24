//! Guards what a durable commit costs in system calls. A `flush` after the
//! file grew must make the records, the slot and the grown length durable;
//! on Linux one `fsync` does all three (the page cache is unified, so it
//! writes back what was written through the mapping as `msync` would). An
//! `msync` followed by an `fsync` made two journal commits on ext4, twice
//! the time of `ndarray.tofile` + `fsync` for appends of up to a few MB
//! (BENCHMARKS.md, the Python append table).

mod common;

use common::{vertex, Vertex};
use recstore::{OpenOptions, SyncLog};

/// The system calls of the syncs logged from event `from` on.
fn calls_since(log: &SyncLog, from: usize) -> Vec<&'static str> {
    let events = log.0.lock().unwrap();
    events[from..]
        .iter()
        .flat_map(|e| e.calls.clone())
        .collect()
}

#[test]
fn a_flush_after_growth_is_one_fsync_and_without_growth_one_msync() {
    let dir = tempfile::tempdir().unwrap();
    let log = SyncLog::default();
    let mut store = OpenOptions::new()
        .create_new(true)
        .record_syncs(log.clone())
        .open::<Vertex>(dir.path().join("s.recs"))
        .unwrap();
    let capacity = store.capacity();
    // Past the initial capacity: the file grows (twice), then one flush.
    store.extend((0..capacity as u64 * 3).map(vertex)).unwrap();
    assert!(store.capacity() > capacity);
    let before = log.0.lock().unwrap().len();
    store.flush().unwrap();
    let grown = calls_since(&log, before);
    if cfg!(target_os = "linux") {
        assert_eq!(grown, ["fsync"], "a one-sync commit after growth");
    } else {
        assert_eq!(grown, ["msync", "fsync"]);
    }
    // Appends that fit: the length is unchanged, a data msync is enough.
    store.extend((0..3).map(vertex)).unwrap();
    let before = log.0.lock().unwrap().len();
    store.flush().unwrap();
    assert_eq!(calls_since(&log, before), ["msync"]);
    let n = store.len();
    drop(store);
    let reopened = recstore::Store::<Vertex>::open_read_only(dir.path().join("s.recs")).unwrap();
    assert_eq!(reopened.len(), n);
    assert_eq!(reopened.get(n - 1), Some(&vertex(2)));
}
