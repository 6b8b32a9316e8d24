//! Guards a reader following a writer in the edge cases of issue 12: with
//! no boot id (containers without `/proc/sys/kernel/random/boot_id`) a
//! reader used to stop advancing at the first one-sync commit that grew the
//! file; after another program truncated the file, `verify` used to walk
//! the old commit into the missing pages (SIGBUS). And (issue 13) a reader
//! whose file was replaced by a rename (`mv new.recs store.recs`, an
//! export renamed into place) used to follow the old file forever, its
//! `refresh` returning `Ok(false)`. A reader of a file deleted while a
//! writer holding it open goes on growing it used to report a false
//! checksum mismatch at `verify`: its look at the writer's newer commit
//! opened the path again, which names nothing now.

mod common;

use common::{vertex, vertex_store, Vertex};
use std::os::unix::fs::FileExt;

use recstore::{Error, ErrorKind, OpenOptions, RawStore, Reader, Store};

/// Every flush of a writer with no boot id is a one-sync commit its
/// readers must check (they cannot tell it is of this boot); they must
/// still see each one, including those that grew the file.
#[test]
fn a_reader_follows_every_commit_without_a_boot_id() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v.recs");
    let mut w = OpenOptions::new()
        .create_new(true)
        .initial_capacity(16)
        .unknown_boot_id()
        .open::<Vertex>(&path)
        .unwrap();
    w.push(&vertex(0)).unwrap();
    w.flush().unwrap();
    let mut r = OpenOptions::new()
        .unknown_boot_id()
        .open_reader::<Vertex>(&path)
        .unwrap();
    assert_eq!(r.len(), 1);
    let mut n = 1u64;
    for round in 0..40u64 {
        let k = 1 + round * round * 37;
        w.extend((n..n + k).map(vertex)).unwrap();
        n += k;
        if round % 3 == 0 {
            w.publish().unwrap();
        } else {
            w.flush().unwrap();
        }
        assert!(
            r.refresh().unwrap(),
            "round {round}: the reader saw no new commit"
        );
        assert_eq!(r.len() as u64, n, "round {round}");
        assert_eq!(r[n as usize - 1], vertex(n - 1));
        // Nothing new: no change, and (see the engine) no check.
        assert!(!r.refresh().unwrap());
    }
    r.verify().unwrap();
}

/// Another program truncates the file under a reader: `refresh` says so,
/// and `verify` afterwards is an error, not a SIGBUS.
#[test]
fn verify_after_a_truncation_by_another_program_stays_inside_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = vertex_store(dir.path(), "v.recs", 200_000);
    let mut r = Reader::<Vertex>::open(&path).unwrap();
    let mut ro = Store::<Vertex>::open_read_only(&path).unwrap();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .unwrap()
        .set_len(64 << 10)
        .unwrap();
    assert!(matches!(r.refresh(), Err(Error::FileTooSmall { .. })));
    assert!(matches!(r.verify(), Err(Error::FileTooSmall { .. })));
    assert!(r.len() < 200_000);
    assert!(matches!(ro.verify(), Err(Error::FileTooSmall { .. })));
    let _ = &mut ro;
}

/// A file renamed over the path, or the path deleted, is
/// [`Error::Replaced`] at the next refresh of every following handle (a
/// `Reader`, a read-only `RawStore`), whose message says to open the store
/// again; opening again reads the new file.
#[test]
fn a_replaced_file_is_an_error_at_refresh() {
    let dir = tempfile::tempdir().unwrap();
    let path = vertex_store(dir.path(), "v.recs", 3);
    let new = vertex_store(dir.path(), "new.recs", 5);
    let mut r = Reader::<Vertex>::open(&path).unwrap();
    let mut raw = RawStore::open_read_only(&path).unwrap();
    assert!(!r.refresh().unwrap());
    assert!(!raw.refresh().unwrap());
    std::fs::rename(&new, &path).unwrap();
    for e in [r.refresh().unwrap_err(), raw.refresh().unwrap_err()] {
        assert!(
            matches!(&e, Error::Replaced { path: p } if *p == path),
            "{e}"
        );
        assert_eq!(e.kind(), ErrorKind::Replaced);
        assert!(
            e.to_string()
                .ends_with("open the store again to read the new one"),
            "{e}"
        );
    }
    // The handle still shows the old file, whole.
    assert_eq!(r.len(), 3);
    assert_eq!(r[2], vertex(2));
    assert_eq!(Reader::<Vertex>::open(&path).unwrap().len(), 5);

    // Deleted: the same.
    let mut r = Reader::<Vertex>::open(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    assert!(matches!(r.refresh(), Err(Error::Replaced { .. })));
}

/// A reader opened by a relative path keeps following its store after the
/// process changes directory: the check for a replaced file looks at the
/// path as it was when the store was opened. (The other tests here use
/// absolute paths, so the change of directory does not touch them.)
#[test]
fn a_reader_opened_by_a_relative_path_follows_after_a_change_of_directory() {
    let dir = tempfile::tempdir().unwrap();
    let path = vertex_store(dir.path(), "v.recs", 3);
    let before = std::env::current_dir().unwrap();
    std::env::set_current_dir(dir.path()).unwrap();
    let opened = Reader::<Vertex>::open("v.recs");
    std::env::set_current_dir(&before).unwrap();
    let mut r = opened.unwrap();
    let mut w = Store::<Vertex>::open(&path).unwrap();
    w.push(&vertex(3)).unwrap();
    w.publish().unwrap();
    assert!(r.refresh().unwrap());
    assert_eq!(r.len(), 4);
    assert_eq!(r[3], vertex(3));
}

/// A reader's `verify` looks at the writer's newer commit (after growth
/// moved the checksum table) through the file it has open, so a deleted
/// path does not matter: no false alarm, and real damage is still found.
/// `refresh` still says the path no longer names the file.
#[test]
fn verify_of_a_deleted_file_looks_again_at_the_writers_newer_commit() {
    let dir = tempfile::tempdir().unwrap();
    let (path, mut w) = common::nearly_full(dir.path(), "deleted.recs", vertex);
    let mut r = Reader::<Vertex>::open(&path).unwrap();
    let raw = RawStore::open_read_only(&path).unwrap();
    // Kept to damage the file once its path is gone.
    let file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    let capacity = w.capacity();
    w.extend((9_000..100_000).map(vertex)).unwrap();
    w.flush().unwrap();
    assert!(w.capacity() > capacity, "the writer grew");
    r.verify().unwrap();
    raw.verify().unwrap();
    assert_eq!((r.len(), raw.len()), (9_000, 9_000));
    // The look again shared the readers' lock of each handle, and closing
    // it left the lock in place: the writer still may not change records
    // in place.
    assert!(matches!(w.get_mut(0), Err(Error::ReadersPresent { .. })));
    let at = r.data_offset() + 5 * std::mem::size_of::<Vertex>() as u64;
    file.write_all_at(&[0xff; 4], at).unwrap();
    for result in [r.verify(), raw.verify()] {
        assert!(
            matches!(result, Err(Error::ChecksumMismatch { chunk: 0, .. })),
            "{result:?}"
        );
    }
    assert!(matches!(r.refresh(), Err(Error::Replaced { .. })));
    drop(w);
}
