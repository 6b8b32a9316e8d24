//! Guards a reading handle against a writer that grows the store in the
//! middle of one of its steps: growth moves the checksum table past the
//! larger data region, and appends then overwrite its old place. The
//! writer's moves are played at a fixed step of the handle through the test
//! hook `OpenOptions::at_step`, in one process: no threads, no sleeps.
//!
//! - `verify_on_open(true)` on a read-only handle used to check only the
//!   commit it opened at, and reported the overwritten table as damage; it
//!   now looks again at the newer commit, as `verify` does.
//! - A copy-on-write handle's first change copies the checksum table of
//!   the newest commit; a growth between its read of the commit slots and
//!   its copy used to leave it with records for checksums (false damage).

mod common;

use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::{Arc, Mutex};

use common::{reading, Reading};
use recstore::{Error, OpenOptions, Reader, Step, Store};

/// The writer, shared between a test and the hook that plays it.
type Shared = Arc<Mutex<Option<Store<Reading>>>>;

/// The writer appends readings up to `to`, which grows the store, and
/// flushes.
fn grow(w: &mut Store<Reading>, to: u64) {
    let capacity = w.capacity();
    w.extend((w.len() as u64..to).map(reading)).unwrap();
    w.flush().unwrap();
    assert!(w.capacity() > capacity, "the writer grew");
}

/// A step hook that, the first time the handle reaches `step`, plays the
/// writer: it grows the store to `to` records and closes. Later steps do
/// nothing.
fn writer_grows_at(step: Step, writer: Shared, to: u64) -> impl Fn(Step) + Send + Sync + 'static {
    move |now| {
        if now == step {
            if let Some(mut w) = writer.lock().unwrap().take() {
                grow(&mut w, to);
            }
        }
    }
}

fn shared(w: Store<Reading>) -> Shared {
    Arc::new(Mutex::new(Some(w)))
}

/// Overwrites four bytes of record 5 in place (not a rewrite of the file:
/// other handles keep it open).
fn damage_record_5(path: &Path, data_offset: u64) {
    let f = std::fs::OpenOptions::new().write(true).open(path).unwrap();
    let at = data_offset + 5 * std::mem::size_of::<Reading>() as u64;
    f.write_all_at(&[0xff; 4], at).unwrap();
}

/// The number of records committed in the file now.
fn committed(path: &Path) -> usize {
    Reader::<Reading>::open(path).unwrap().len()
}

#[test]
fn verify_on_open_is_no_false_alarm_when_the_writer_grows_meanwhile() {
    let dir = tempfile::tempdir().unwrap();
    // A typed reader.
    let (path, w) = common::nearly_full(dir.path(), "reader.recs", reading);
    let reader = OpenOptions::new()
        .verify_on_open(true)
        .at_step(writer_grows_at(Step::Verify, shared(w), 100_000))
        .open_reader::<Reading>(&path)
        .unwrap();
    assert_eq!((reader.len(), committed(&path)), (9_000, 100_000));
    // An untyped read-only handle.
    let (path, w) = common::nearly_full(dir.path(), "raw.recs", reading);
    let raw = OpenOptions::new()
        .read_only()
        .verify_on_open(true)
        .at_step(writer_grows_at(Step::Verify, shared(w), 100_000))
        .open_raw(&path, None)
        .unwrap();
    assert_eq!((raw.len(), committed(&path)), (9_000, 100_000));
}

#[test]
fn verify_on_open_still_finds_real_damage_when_the_writer_grows_meanwhile() {
    let dir = tempfile::tempdir().unwrap();
    let (path, w) = common::nearly_full(dir.path(), "damaged.recs", reading);
    damage_record_5(&path, w.data_offset());
    let opened = OpenOptions::new()
        .verify_on_open(true)
        .at_step(writer_grows_at(Step::Verify, shared(w), 100_000))
        .open_reader::<Reading>(&path);
    assert!(
        matches!(opened, Err(Error::ChecksumMismatch { chunk: 0, .. })),
        "{opened:?}"
    );
    assert_eq!(committed(&path), 100_000);
}

#[test]
fn a_copy_on_write_handle_copies_a_sound_table_when_the_writer_grows_during_the_copy() {
    let dir = tempfile::tempdir().unwrap();
    let (path, w) = common::nearly_full(dir.path(), "cow.recs", reading);
    let w = shared(w);
    let mut cow = OpenOptions::new()
        .copy_on_write()
        .at_step(writer_grows_at(Step::CopyTable, w.clone(), 250_000))
        .open::<Reading>(&path)
        .unwrap();
    // The writer grows (its table moves to capacity 100,000); then the
    // handle's first change copies that table from the file, and meanwhile
    // the writer grows again and appends over it.
    grow(w.lock().unwrap().as_mut().unwrap(), 100_000);
    cow.get_mut(10).unwrap().sensor = 99;
    assert_eq!(committed(&path), 250_000);
    cow.verify().unwrap();
    cow.extend((0..20_000).map(reading)).unwrap();
    cow.flush().unwrap();
    cow.verify().unwrap();
    assert_eq!((cow[10].sensor, cow.len()), (99, 29_000));
}
