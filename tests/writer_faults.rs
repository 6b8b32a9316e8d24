//! Guards what a writer does when something goes wrong (issue 12): a failed
//! disk sync poisons the handle until it is reopened (after a failed fsync
//! the kernel may have dropped the written pages, so a retried commit must
//! not report success); a refused write changes nothing, not even `len()`;
//! no write turns bytes that fail their checksum into bytes that pass; and a
//! panicking writer commits nothing on its way out.

mod common;

use common::{patch, vertex, vertex_store, Vertex};
use recstore::{Error, OpenOptions, RawStore, Store};

fn poisoned<T: std::fmt::Debug>(r: Result<T, Error>) -> bool {
    matches!(r, Err(Error::Poisoned { .. }))
}

/// Every failed commit sync, the first (records) or the second (slot) of a
/// two-sync commit, or the one sync of a one-sync commit, poisons the
/// handle: nothing more is written or committed, however often retried.
#[test]
fn a_failed_sync_poisons_the_writer_until_it_is_reopened() {
    for failing in 0..5u64 {
        let dir = tempfile::tempdir().unwrap();
        let path = vertex_store(dir.path(), "v.recs", 100);
        let mut s = OpenOptions::new()
            .fail_sync(failing)
            .open::<Vertex>(&path)
            .unwrap();
        // Sync 0: a one-sync flush of appends. Syncs 1 and 2: the update in
        // place re-commits that flush with two syncs first. Syncs 3 and 4:
        // a two-sync flush (the update rules out one sync).
        s.extend((100..200).map(vertex)).unwrap();
        let results = [s.flush(), s.get_mut(3).map(|v| v.color = [9; 3]), s.flush()];
        let failed = results.into_iter().find(Result::is_err).unwrap();
        assert!(
            matches!(failed, Err(Error::Io { op: "sync", .. })),
            "sync {failing}: {failed:?}"
        );
        let msg = s.flush().unwrap_err().to_string();
        assert!(msg.contains("open the store again"), "{msg}");
        assert!(poisoned(s.push(&vertex(1))), "push after sync {failing}");
        assert!(poisoned(s.extend_from_slice(&[vertex(1); 2000])));
        assert!(poisoned(s.publish()));
        assert!(poisoned(s.get_mut(0)));
        assert!(poisoned(s.truncate(1)));
        assert!(poisoned(s.reserve(1 << 20)));
        assert!(poisoned(s.close()));
        // Reopened, it starts from what is on disk: consistent and writable.
        // An update whose commit failed before its slot was written (sync 3)
        // is in the page cache but not committed, as after a kill: `verify`
        // names it. (A slot written before its sync failed is in the page
        // cache too, and this boot trusts it.)
        let mut s = Store::<Vertex>::open(&path).unwrap();
        assert!(s.len() >= 100);
        match s.verify() {
            Ok(()) => {
                assert!(failing != 3, "sync {failing}: the update is not reported");
                s.push(&vertex(5)).unwrap();
                s.close().unwrap();
            }
            Err(Error::ChecksumMismatch { records, .. }) => {
                assert!(failing == 3 && records.contains(&3), "sync {failing}")
            }
            Err(e) => panic!("sync {failing}: {e}"),
        }
    }
}

/// Issue 12, item 13: a push refused on a read-only store used to grow
/// `len()`, showing bytes past the commit (perhaps a writer's unpublished
/// records).
#[test]
fn a_refused_write_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = vertex_store(dir.path(), "v.recs", 3);
    let mut s = Store::<Vertex>::open_read_only(&path).unwrap();
    for _ in 0..3 {
        assert!(matches!(s.push(&vertex(9)), Err(Error::ReadOnly { .. })));
    }
    assert!(matches!(
        s.extend_from_slice(&[vertex(9); 2]),
        Err(Error::ReadOnly { .. })
    ));
    assert!(matches!(
        s.extend((0..2).map(vertex)),
        Err(Error::ReadOnly { .. })
    ));
    assert_eq!(s.len(), 3);
    assert_eq!(s[..].len(), 3);
    let mut raw = RawStore::open_read_only(&path).unwrap();
    assert!(matches!(raw.push(&[0u8; 20]), Err(Error::ReadOnly { .. })));
    assert!(matches!(
        raw.extend_from_bytes(&[0u8; 40]),
        Err(Error::ReadOnly { .. })
    ));
    assert_eq!(raw.len(), 3);
    // A write refused for a wrong length changes nothing either.
    let mut w = RawStore::open(&path).unwrap();
    assert!(matches!(
        w.extend_from_bytes(&[0u8; 21]),
        Err(Error::RecordLength {
            len: 21,
            stride: 20
        })
    ));
    assert_eq!(w.len(), 3);
}

/// Issue 12, item 10: record 5 is damaged; appending into its chunk, or
/// updating beside it, or truncating into it, would checksum the chunk anew
/// and hide the damage. Each is refused, and `verify` still finds it.
#[test]
fn no_write_launders_a_damaged_chunk() {
    let dir = tempfile::tempdir().unwrap();
    let path = vertex_store(dir.path(), "v.recs", 1000);
    let data_offset = {
        let s = RawStore::open_read_only(&path).unwrap();
        s.info().data_offset as usize
    };
    patch(&path, data_offset + 5 * 20, &[0xff; 4]);
    let mut s = Store::<Vertex>::open(&path).unwrap();
    let damaged = |r: Result<(), Error>| match r {
        Err(Error::ChecksumMismatch { records, .. }) => records.contains(&5),
        other => panic!("{other:?}"),
    };
    assert!(damaged(s.push(&vertex(1000))));
    assert!(damaged(s.extend_from_slice(&[vertex(1000)])));
    assert!(damaged(s.extend_from_slice(&vec![vertex(1000); 5000])));
    assert!(damaged(s.get_mut(7).map(|_| ())));
    assert!(damaged(s.truncate(500)));
    assert_eq!(s.len(), 1000);
    s.close().unwrap();
    let s = Store::<Vertex>::open_read_only(&path).unwrap();
    assert!(damaged(s.verify()));
    assert_eq!(s.len(), 1000);
}

/// Issue 12, item 14: a writer that panics after an in-place update and a
/// push commits neither on its way out (`Drop` during unwinding): reopened,
/// the store is at its last flush, and the half-done update (in the page
/// cache, as after a kill) is what `verify` reports.
#[test]
fn a_panicking_writer_commits_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = vertex_store(dir.path(), "v.recs", 10);
    let result = std::panic::catch_unwind(|| {
        let mut s = Store::<Vertex>::open(&path).unwrap();
        s.push(&vertex(10)).unwrap();
        s.flush().unwrap();
        s.get_mut(3).unwrap().color = [7; 3];
        s.push(&vertex(11)).unwrap();
        panic!("the application fails mid-way");
    });
    let payload = result.unwrap_err();
    assert_eq!(
        payload.downcast_ref::<&str>(),
        Some(&"the application fails mid-way")
    );
    let s = Store::<Vertex>::open_read_only(&path).unwrap();
    assert_eq!(s.len(), 11, "the push after the flush was not committed");
    assert!(
        matches!(s.verify(), Err(Error::ChecksumMismatch { ref records, .. }) if records.contains(&3)),
        "the uncommitted update is reported"
    );
}
