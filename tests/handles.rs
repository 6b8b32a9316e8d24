//! The three handles agree: `Store<T>` and `Reader<T>` read like the `[T]`
//! they dereference to (every slice method, `get(range)` included, with no
//! method of their own shadowing it); counts, indexes and capacities are
//! `usize` on every handle; `verify` takes `&self` and `refresh` exists on
//! each; a `Reader` opens through `OpenOptions` and reports its path and
//! info; `RawStore::push` appends exactly what `Store::push` does.

mod common;

use common::{reading, Reading};
use recstore::{Error, OpenOptions, RawStore, ReadPath, Reader, Record, Store};
use zerocopy::IntoBytes;

fn filled(dir: &std::path::Path, n: u64) -> (std::path::PathBuf, Store<Reading>) {
    let path = dir.join("r.recs");
    let mut store = Store::<Reading>::create(&path).unwrap();
    store.extend((0..n).map(reading)).unwrap();
    store.publish().unwrap();
    (path, store)
}

#[test]
fn a_store_reads_like_a_slice() {
    let dir = tempfile::tempdir().unwrap();
    let (_, store) = filled(dir.path(), 10);
    let expected: Vec<Reading> = (0..10).map(reading).collect();
    assert_eq!(store.get(1..3), Some(&expected[1..3]));
    assert_eq!(store.get(8..12), None);
    assert_eq!(store.get(4), Some(&expected[4]));
    assert_eq!(store.first(), expected.first());
    assert_eq!(store.last(), expected.last());
    assert_eq!(&store[2..5], &expected[2..5]);
    assert_eq!(store.chunks(4).count(), 3);
    assert_eq!(store.windows(2).count(), 9);
    assert!(store.contains(&reading(7)));
    assert_eq!(store.iter().next_back(), Some(&expected[9]));
    assert_eq!((&store).into_iter().count(), 10);
    let whole: &[Reading] = &store[..];
    assert_eq!(whole, &expected[..]);
}

#[test]
fn a_reader_reads_like_a_slice() {
    let dir = tempfile::tempdir().unwrap();
    let (path, _store) = filled(dir.path(), 10);
    let reader = Reader::<Reading>::open(&path).unwrap();
    let expected: Vec<Reading> = (0..10).map(reading).collect();
    assert_eq!(reader.get(1..3), Some(&expected[1..3]));
    assert_eq!(reader.get(..), Some(&expected[..]));
    assert_eq!(reader.len(), 10);
    assert_eq!(reader.split_at(4).1, &expected[4..]);
    let mut seen = 0;
    for r in &reader {
        assert_eq!(*r, expected[seen]);
        seen += 1;
    }
    assert_eq!(seen, 10);
}

#[test]
fn counts_are_usize_on_every_handle() {
    let dir = tempfile::tempdir().unwrap();
    let (path, store) = filled(dir.path(), 3);
    let typed: (usize, usize) = (store.len(), store.capacity());
    let info = store.info();
    let from_info: (usize, usize, usize) = (info.len, info.capacity, info.chunk_records);
    drop(store);
    let raw = RawStore::open_read_only(&path).unwrap();
    let untyped: (usize, usize) = (raw.len(), raw.capacity());
    assert_eq!(typed, untyped);
    assert_eq!((from_info.0, from_info.1), untyped);
    let index: usize = 2;
    assert_eq!(raw.record(index), Some(reading(2).as_bytes()));
    let reader = Reader::<Reading>::open(&path).unwrap();
    assert_eq!((reader.len(), reader.info().capacity), untyped);
}

#[test]
fn verify_takes_a_shared_borrow_on_every_handle() {
    let dir = tempfile::tempdir().unwrap();
    let (path, store) = filled(dir.path(), 1000);
    store.verify().unwrap();
    let reader = Reader::<Reading>::open(&path).unwrap();
    let first = &reader[0];
    reader.verify().unwrap(); // while a record is borrowed
    assert_eq!(*first, reading(0));
    let raw = RawStore::open_read_only(&path).unwrap();
    raw.verify().unwrap();
}

#[test]
fn a_read_only_store_refreshes_and_a_writer_refresh_is_a_no_op() {
    let dir = tempfile::tempdir().unwrap();
    let (path, mut writer) = filled(dir.path(), 5);
    let mut read_only = Store::<Reading>::open_read_only(&path).unwrap();
    assert_eq!(read_only.len(), 5);
    writer.push(&reading(5)).unwrap();
    assert!(!read_only.refresh().unwrap(), "nothing published yet");
    writer.publish().unwrap();
    assert!(read_only.refresh().unwrap());
    assert_eq!(read_only.len(), 6);
    assert_eq!(read_only[5], reading(5));
    // A writer sees all it wrote, committed or not: nothing to pick up.
    writer.push(&reading(6)).unwrap();
    assert!(!writer.refresh().unwrap());
    assert_eq!(writer.len(), 7);
    // A copy-on-write store is a snapshot: refreshing it is an error that says so.
    let mut snapshot = OpenOptions::new()
        .copy_on_write()
        .open::<Reading>(&path)
        .unwrap();
    assert!(matches!(
        snapshot.refresh(),
        Err(Error::Unsupported { op: "refresh", .. })
    ));
}

#[test]
fn a_reader_opens_through_open_options_and_reports_path_and_info() {
    let dir = tempfile::tempdir().unwrap();
    let (path, _writer) = filled(dir.path(), 4);
    let reader: Reader<Reading> = OpenOptions::new()
        .mmap(false)
        .verify_on_open(true)
        .open_reader(&path)
        .unwrap();
    assert_eq!(reader.path(), path);
    let info = reader.info();
    assert_eq!(info.len, 4);
    assert!(matches!(
        info.read_path,
        ReadPath::Loaded { map_error: None }
    ));
    assert_eq!(reader.data_offset(), info.data_offset);
    // The mode set is ignored (a reader never writes); creating is refused.
    let reader: Reader<Reading> = OpenOptions::new().open_reader(&path).unwrap();
    assert!(reader.info().read_path.is_mapped());
    let missing = dir.path().join("missing.recs");
    assert!(matches!(
        OpenOptions::new()
            .create(true)
            .open_reader::<Reading>(&missing),
        Err(Error::Unsupported { op: "create", .. })
    ));
}

#[test]
fn raw_push_appends_what_store_push_does() {
    let dir = tempfile::tempdir().unwrap();
    // Enough records to cross several push windows and a growth.
    let n = 200_000u64;
    let typed_path = dir.path().join("typed.recs");
    let mut typed = OpenOptions::new()
        .create_new(true)
        .initial_capacity(16)
        .open::<Reading>(&typed_path)
        .unwrap();
    let raw_path = dir.path().join("raw.recs");
    let mut raw = OpenOptions::new()
        .create_new(true)
        .initial_capacity(16)
        .open_raw(&raw_path, Some(Reading::schema()))
        .unwrap();
    for i in 0..n {
        typed.push(&reading(i)).unwrap();
        raw.push(reading(i).as_bytes()).unwrap();
    }
    let stride = Reading::schema().stride() as usize;
    assert!(matches!(
        raw.push(&vec![0; stride + 1]),
        Err(Error::RecordLength { len, stride: s }) if len == stride + 1 && s == stride
    ));
    assert_eq!(raw.len(), n as usize);
    assert_eq!(raw.data(), typed[..].as_bytes());
    typed.flush().unwrap();
    raw.flush().unwrap();
    raw.verify().unwrap();
    typed.verify().unwrap();
}

#[test]
fn verify_on_a_read_only_handle_is_no_false_alarm_when_the_writer_grew() {
    // The reader's commit has full chunks whose checksums sit in the table
    // after the old capacity; the writer's growth moves the table and its
    // appends then overwrite the old place. A check of the reader's commit
    // reads that place: it must look again, at the newer commit, and pass.
    let dir = tempfile::tempdir().unwrap();
    let (path, mut writer) = common::nearly_full(dir.path(), "grow.recs", reading);
    let read_only = Store::<Reading>::open_read_only(&path).unwrap();
    let reader = Reader::<Reading>::open(&path).unwrap();
    let raw = RawStore::open_read_only(&path).unwrap();
    let capacity = read_only.capacity();
    writer.extend((9_000..100_000).map(reading)).unwrap();
    writer.flush().unwrap();
    assert!(writer.capacity() > capacity, "the writer grew");
    read_only.verify().unwrap();
    reader.verify().unwrap();
    raw.verify().unwrap();
    // Checking did not move the handles: they still show their commit.
    assert_eq!(
        (read_only.len(), reader.len(), raw.len()),
        (9_000, 9_000, 9_000)
    );
    // A real error still shows: damage a record every handle sees.
    drop(writer);
    let offset = read_only.data_offset() as usize + 5 * std::mem::size_of::<Reading>();
    common::patch(&path, offset, &[0xff; 4]);
    assert!(matches!(
        read_only.verify(),
        Err(Error::ChecksumMismatch { chunk: 0, .. })
    ));
}

#[test]
fn verify_of_a_read_only_handle_never_checks_another_file_instead() {
    // A damaged record, then another store renamed over the path with
    // more commits than the handle's: the look at a newer commit must not
    // check that other file and pass, hiding the damage.
    let dir = tempfile::tempdir().unwrap();
    let (path, writer) = filled(dir.path(), 100);
    drop(writer);
    let reader = Reader::<Reading>::open(&path).unwrap();
    let offset = reader.data_offset() as usize + 5 * std::mem::size_of::<Reading>();
    common::patch(&path, offset, &[0xff; 4]);
    assert!(matches!(
        reader.verify(),
        Err(Error::ChecksumMismatch { chunk: 0, .. })
    ));
    let other = dir.path().join("other.recs");
    let mut replacement = Store::<Reading>::create(&other).unwrap();
    for i in 0..20 {
        replacement.push(&reading(i)).unwrap();
        replacement.publish().unwrap();
    }
    drop(replacement);
    std::fs::rename(&other, &path).unwrap();
    assert!(matches!(
        reader.verify(),
        Err(Error::ChecksumMismatch { chunk: 0, .. })
    ));
}

#[test]
fn verify_on_an_unchanged_copy_on_write_handle_is_no_false_alarm_when_the_writer_grew() {
    // Until its first change a copy-on-write handle reads the file as a
    // reader does, its checksum table too, which the writer's growth and
    // appends overwrite: it must look again at the newer commit.
    let dir = tempfile::tempdir().unwrap();
    let (path, mut writer) = common::nearly_full(dir.path(), "grow.recs", reading);
    let cow = OpenOptions::new()
        .copy_on_write()
        .open::<Reading>(&path)
        .unwrap();
    writer.extend((9_000..100_000).map(reading)).unwrap();
    writer.flush().unwrap();
    cow.verify().unwrap();
    assert_eq!(cow.len(), 9_000);
    drop(writer);
    let offset = cow.data_offset() as usize + 5 * std::mem::size_of::<Reading>();
    common::patch(&path, offset, &[0xff; 4]);
    assert!(matches!(
        cow.verify(),
        Err(Error::ChecksumMismatch { chunk: 0, .. })
    ));
}

#[test]
fn a_copy_on_write_handle_changes_sound_records_after_the_writer_grew() {
    // Its first change copies its commit's checksum table, which the
    // writer's growth and appends overwrote in the file: the copy must hold
    // the right checksums, or a change of a sound record is refused as
    // damaged and verify reports damage that is not there.
    let dir = tempfile::tempdir().unwrap();
    let (path, mut writer) = common::nearly_full(dir.path(), "grow.recs", reading);
    let open_cow = || {
        OpenOptions::new()
            .copy_on_write()
            .open::<Reading>(&path)
            .unwrap()
    };
    let (mut updated, mut grown) = (open_cow(), open_cow());
    writer.extend((9_000..100_000).map(reading)).unwrap();
    writer.flush().unwrap();
    updated.get_mut(10).unwrap().sensor = 99;
    updated.flush().unwrap();
    updated.verify().unwrap();
    grown.extend((0..20_000).map(reading)).unwrap();
    grown.verify().unwrap();
    assert_eq!((updated[10].sensor, grown.len()), (99, 29_000));
}
