//! Guards the sharing rule (issue 11): no safe code may change the bytes
//! behind a live `&T`. While a reader (a `Reader`, or a read-only or
//! copy-on-write handle) has the file open, in this process, the writer's
//! in-place changes (`get_mut`, `as_mut_slice`, `record_mut`, `truncate`
//! and the appends over truncated records) are refused and change nothing,
//! while appends keep flowing; without readers they work and persist, and a
//! reader opening while one is uncommitted is refused, but a change refused
//! for another reason does not keep readers out. A copy-on-write handle is
//! a snapshot. (The same across processes: `tests/processes.rs`.)

mod common;

use common::{patch, vertex, vertex_store, Vertex, DATA};
use recstore::{Error, OpenOptions, RawStore, Reader, Store};

fn readers_present(e: Error) -> &'static str {
    match e {
        Error::ReadersPresent { op, .. } => op,
        other => panic!("expected ReadersPresent, got {other:?}"),
    }
}

#[test]
fn get_mut_is_refused_while_a_reader_borrows_and_works_after() {
    let dir = tempfile::tempdir().unwrap();
    let path = vertex_store(dir.path(), "v.recs", 10);
    let mut store = Store::<Vertex>::open(&path).unwrap();
    let reader = Reader::<Vertex>::open(&path).unwrap();
    let borrowed: &Vertex = reader.get(3).unwrap();

    let e = store.get_mut(3).unwrap_err();
    assert!(e.to_string().contains("close them"), "{e}");
    assert_eq!(readers_present(e), "update a record");
    let e = store.as_mut_slice().unwrap_err();
    assert_eq!(readers_present(e), "update records");
    assert_eq!(*borrowed, vertex(3));
    // The store stays usable: appends past the readers' records still work.
    store.push(&vertex(10)).unwrap();
    store.flush().unwrap();
    assert_eq!(*borrowed, vertex(3));
    drop(reader);

    store.get_mut(3).unwrap().color = [9, 9, 9];
    store.close().unwrap();
    let after = Store::<Vertex>::open_read_only(&path).unwrap();
    assert_eq!(after[3].color, [9, 9, 9]);
    assert_eq!(after.len(), 11);
    after.verify().unwrap();
}

#[test]
fn truncate_is_refused_while_a_reader_is_open_and_appends_go_on() {
    let dir = tempfile::tempdir().unwrap();
    let path = vertex_store(dir.path(), "v.recs", 10);
    let mut store = Store::<Vertex>::open(&path).unwrap();
    let mut reader = Reader::<Vertex>::open(&path).unwrap();
    let all: Vec<Vertex> = reader.to_vec();

    assert_eq!(readers_present(store.truncate(4).unwrap_err()), "truncate");
    assert_eq!(readers_present(store.clear().unwrap_err()), "truncate");
    assert_eq!(store.len(), 10);
    store
        .extend_from_slice(&(10..20).map(vertex).collect::<Vec<_>>())
        .unwrap();
    store.publish().unwrap();
    assert_eq!(reader[..10], all[..]);
    assert!(reader.refresh().unwrap());
    assert_eq!(reader.len(), 20);
    assert!(reader
        .iter()
        .enumerate()
        .all(|(i, v)| *v == vertex(i as u64)));
    drop(reader);

    // Without readers: truncate and append over the old records, persisted.
    store.truncate(4).unwrap();
    store.push(&vertex(100)).unwrap();
    store.flush().unwrap();
    // Both commit slots now hold the truncated count: a new reader may
    // open, and appends go on without asking again.
    let reader = Reader::<Vertex>::open(&path).unwrap();
    assert_eq!(reader.len(), 5);
    store.push(&vertex(101)).unwrap();
    store.extend_from_slice(&[vertex(102)]).unwrap();
    store.close().unwrap();
    drop(reader);
    let after = Store::<Vertex>::open_read_only(&path).unwrap();
    let expected: Vec<Vertex> = (0..4).chain(100..103).map(vertex).collect();
    assert_eq!(&after[..], &expected[..]);
    after.verify().unwrap();
}

#[test]
fn a_reader_opening_during_an_uncommitted_update_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = vertex_store(dir.path(), "v.recs", 10);
    let mut store = Store::<Vertex>::open(&path).unwrap();
    store.get_mut(0).unwrap().color = [1, 2, 3];
    for e in [
        Reader::<Vertex>::open(&path).map(drop).unwrap_err(),
        Store::<Vertex>::open_read_only(&path)
            .map(drop)
            .unwrap_err(),
        OpenOptions::new()
            .copy_on_write()
            .open::<Vertex>(&path)
            .map(drop)
            .unwrap_err(),
    ] {
        assert!(matches!(e, Error::UpdateInProgress { .. }), "{e:?}");
        assert!(e.to_string().contains("in place"), "{e}");
    }
    store.publish().unwrap();
    let reader = Reader::<Vertex>::open(&path).unwrap();
    assert_eq!(reader[0].color, [1, 2, 3]);
}

#[test]
fn a_truncate_keeps_readers_out_until_it_is_flushed() {
    let dir = tempfile::tempdir().unwrap();
    let path = vertex_store(dir.path(), "v.recs", 10);
    let mut store = Store::<Vertex>::open(&path).unwrap();
    store.truncate(2).unwrap();
    store.publish().unwrap();
    // The durable commit still refers to records 2..10, which appends will
    // overwrite: a reader falling back to it would see them change.
    assert!(matches!(
        Reader::<Vertex>::open(&path).map(drop),
        Err(Error::UpdateInProgress { .. })
    ));
    store.push(&vertex(50)).unwrap();
    store.flush().unwrap();
    let reader = Reader::<Vertex>::open(&path).unwrap();
    assert_eq!(&reader[..], &[vertex(0), vertex(1), vertex(50)]);
}

#[test]
fn read_only_and_copy_on_write_handles_are_readers() {
    let dir = tempfile::tempdir().unwrap();
    let path = vertex_store(dir.path(), "v.recs", 10);
    let mut store = Store::<Vertex>::open(&path).unwrap();
    let read_only = Store::<Vertex>::open_read_only(&path).unwrap();
    readers_present(store.get_mut(1).unwrap_err());
    drop(read_only);
    let raw = RawStore::open_read_only(&path).unwrap();
    readers_present(store.get_mut(1).unwrap_err());
    drop(raw);
    let cow = OpenOptions::new()
        .copy_on_write()
        .open::<Vertex>(&path)
        .unwrap();
    readers_present(store.get_mut(1).unwrap_err());
    readers_present(store.truncate(0).unwrap_err());
    drop(cow);
    store.get_mut(1).unwrap().color = [7, 7, 7];
    store.flush().unwrap();
}

#[test]
fn raw_record_mut_is_refused_while_a_reader_is_open() {
    let dir = tempfile::tempdir().unwrap();
    let path = vertex_store(dir.path(), "v.recs", 10);
    let mut raw = RawStore::open(&path).unwrap();
    let reader = RawStore::open_read_only(&path).unwrap();
    let before = reader.record(0).unwrap().to_vec();
    assert_eq!(
        readers_present(raw.record_mut(0).unwrap_err()),
        "update a record"
    );
    assert_eq!(reader.record(0).unwrap(), &before[..]);
    drop(reader);
    raw.record_mut(0).unwrap().fill(0);
    raw.close().unwrap();
    let raw = RawStore::open_read_only(&path).unwrap();
    assert!(raw.record(0).unwrap().iter().all(|&b| b == 0));
}

#[test]
fn a_copy_on_write_handle_is_a_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let path = vertex_store(dir.path(), "v.recs", 10);
    let mut store = Store::<Vertex>::open(&path).unwrap();
    let mut cow = OpenOptions::new()
        .copy_on_write()
        .open::<Vertex>(&path)
        .unwrap();
    let seen = cow[5];
    // The writer cannot change what the snapshot maps...
    assert!(matches!(
        store.get_mut(5),
        Err(Error::ReadersPresent { .. })
    ));
    assert!(matches!(
        store.as_mut_slice(),
        Err(Error::ReadersPresent { .. })
    ));
    // ...its appends stay out of the snapshot...
    store.push(&vertex(10)).unwrap();
    store.flush().unwrap();
    assert_eq!(cow[5], seen);
    assert_eq!(cow.len(), 10);
    // ...and its own changes stay private.
    cow.get_mut(5).unwrap().color = [3, 3, 3];
    cow.push(&vertex(77)).unwrap();
    assert_eq!(cow[5].color, [3, 3, 3]);
    drop(cow);
    assert_eq!(store[5], vertex(5));
    assert_eq!(store.len(), 11);

    let mut raw = OpenOptions::new()
        .copy_on_write()
        .open_raw(&path, None)
        .unwrap();
    let e = raw.refresh().unwrap_err();
    assert!(
        matches!(e, Error::Unsupported { op: "refresh", .. }),
        "{e:?}"
    );
    assert!(e.to_string().contains("snapshot"), "{e}");
}

#[test]
fn a_change_refused_for_damage_does_not_keep_readers_out() {
    let dir = tempfile::tempdir().unwrap();
    let path = vertex_store(dir.path(), "v.recs", 10);
    // Record 0 no longer matches its checksum: writes to its chunk are
    // refused (they would launder the damage).
    patch(&path, DATA, &[0xff; 4]);
    let mut store = Store::<Vertex>::open(&path).unwrap();
    let e = store.get_mut(0).map(drop).unwrap_err();
    assert!(matches!(e, Error::ChecksumMismatch { .. }), "{e:?}");
    let e = store.truncate(5).unwrap_err();
    assert!(matches!(e, Error::ChecksumMismatch { .. }), "{e:?}");
    // Nothing changed, so nothing keeps readers out.
    let reader = Reader::<Vertex>::open(&path).unwrap();
    assert_eq!(reader.len(), 10);
}
