//! Guards the read path without a memory mapping (issue 15, item 4): a
//! reader asked not to map (`OpenOptions::mmap(false)`), or whose file
//! cannot be mapped (the `fail_map` test hook makes the map call fail with
//! `ENODEV`, as a filesystem without mmap support does), reads its records
//! into page-aligned memory with ordinary reads and must show the same
//! records, pass and fail `verify` the same way, follow a writer through
//! `refresh`, give the same errors for hostile files as the mapped path,
//! and say which path it took (`StoreInfo::read_path`). Writers refuse to
//! go without a mapping, with an error that says why.

mod common;

use common::{patch, reading, vertex, vertex_store, Reading, Rng, Vertex};
use recstore::{Error, Mode, OpenOptions, RawStore, ReadPath, Reader, Store};
use std::path::Path;

fn loaded() -> OpenOptions {
    let mut o = OpenOptions::new();
    o.read_only().mmap(false);
    o
}

fn asked() -> ReadPath {
    ReadPath::Loaded { map_error: None }
}

#[test]
fn a_loaded_reader_shows_the_records_the_mapping_shows() {
    let dir = tempfile::tempdir().unwrap();
    // Several chunks, a partial tail chunk, and growth on the way.
    let path = vertex_store(dir.path(), "v.recs", 100_003);
    let mapped = Store::<Vertex>::open_read_only(&path).unwrap();
    assert_eq!(mapped.info().read_path, ReadPath::Mapped);

    let store: Store<Vertex> = loaded().open(&path).unwrap();
    assert_eq!(store.info().read_path, asked());
    assert_eq!(store.len(), 100_003);
    assert_eq!(&store[..], &mapped[..]);
    assert_eq!(store[..].as_bytes(), mapped[..].as_bytes());
    assert_eq!(store[77_777], vertex(77_777));
    // The records are aligned as in a mapping: the data region starts a page.
    assert_eq!(store[..].as_ptr() as usize % 4096, 0);

    let reader = loaded().open_reader::<Vertex>(&path).unwrap();
    assert_eq!(&reader[..], &mapped[..]);
    let raw = loaded().open_raw(&path, None).unwrap();
    assert_eq!(raw.info().read_path, asked());
    assert_eq!(raw.data(), mapped[..].as_bytes());
    assert_eq!(raw.record(5).unwrap(), vertex(5).as_bytes());

    // Every field but the read path is the same.
    let (mut a, b) = (store.info(), mapped.info());
    a.read_path = ReadPath::Mapped;
    assert_eq!(a, b);
}

use zerocopy::IntoBytes;

#[test]
fn verify_passes_and_finds_a_flipped_byte_as_the_mapped_path_does() {
    let dir = tempfile::tempdir().unwrap();
    let path = vertex_store(dir.path(), "v.recs", 50_000);
    loaded().open::<Vertex>(&path).unwrap().verify().unwrap();
    loaded()
        .open_reader::<Vertex>(&path)
        .unwrap()
        .verify()
        .unwrap();
    loaded().verify_on_open(true).open::<Vertex>(&path).unwrap();

    let data = Store::<Vertex>::open_read_only(&path)
        .unwrap()
        .data_offset() as usize;
    let at = data + 20 * 40_000 + 3;
    let byte = std::fs::read(&path).unwrap()[at];
    patch(&path, at, &[byte ^ 1]);
    let by_map = Store::<Vertex>::open_read_only(&path)
        .unwrap()
        .verify()
        .unwrap_err();
    let by_read = loaded()
        .open::<Vertex>(&path)
        .unwrap()
        .verify()
        .unwrap_err();
    assert!(
        matches!(by_read, Error::ChecksumMismatch { ref records, .. } if records.contains(&40_000)),
        "{by_read}"
    );
    assert_eq!(by_read.to_string(), by_map.to_string());
    let on_open = loaded()
        .verify_on_open(true)
        .open::<Vertex>(&path)
        .unwrap_err();
    assert_eq!(on_open.to_string(), by_map.to_string());
}

/// A loaded reader's `refresh` reads what each new commit added, through
/// growth of the file, for publishes and flushes, and with no boot id
/// (every flush then a one-sync commit whose records the reader checks).
#[test]
fn refresh_follows_a_writer() {
    for unknown_boot in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.recs");
        let mut opts = OpenOptions::new();
        opts.create_new(true).initial_capacity(16);
        if unknown_boot {
            opts.unknown_boot_id();
        }
        let mut w = opts.open::<Reading>(&path).unwrap();
        w.push(&reading(0)).unwrap();
        w.flush().unwrap();
        let mut ropts = loaded();
        if unknown_boot {
            ropts.unknown_boot_id();
        }
        let mut r = ropts.open_reader::<Reading>(&path).unwrap();
        assert_eq!(r.len(), 1);
        let mut n = 1u64;
        for round in 0..30u64 {
            let k = 1 + round * round * 41;
            w.extend((n..n + k).map(reading)).unwrap();
            n += k;
            if round % 3 == 0 {
                w.publish().unwrap();
            } else {
                w.flush().unwrap();
            }
            assert!(r.refresh().unwrap(), "round {round}: no new commit seen");
            assert_eq!(r.len() as u64, n, "round {round}");
            assert!(
                r.iter().zip(0..).all(|(x, i)| *x == reading(i)),
                "round {round}"
            );
            assert!(!r.refresh().unwrap());
        }
        r.verify().unwrap();
        drop(w);
        let raw = loaded().open_raw(&path, None).unwrap();
        assert_eq!(raw.len() as u64, n);
    }
}

/// What opening (then verifying) a file gives: the records' bytes and the
/// verify error, or the open error, as text.
fn outcome(path: &Path, opts: &OpenOptions) -> Result<(Vec<u8>, Option<String>), String> {
    let s = opts.open::<Vertex>(path).map_err(|e| e.to_string())?;
    let verified = s.verify().err().map(|e| e.to_string());
    Ok((s[..].as_bytes().to_vec(), verified))
}

/// Truncated, flipped and foreign files: every open and verify gives the
/// same records or the same error, mapped or not (the mapped path's errors
/// are pinned by `tests/bad_files.rs`).
#[test]
fn hostile_files_give_the_same_errors_as_the_mapped_path() {
    let dir = tempfile::tempdir().unwrap();
    let full = vertex_store(dir.path(), "full.recs", 10_000);
    let data = Store::<Vertex>::open_read_only(&full)
        .unwrap()
        .data_offset() as usize;
    let original = std::fs::read(&full).unwrap();
    let path = dir.path().join("bad.recs");
    let mut mapped = OpenOptions::new();
    mapped.read_only();
    let mut failing = OpenOptions::new();
    failing.read_only().fail_map();
    let check = |bytes: &[u8], what: &str| {
        std::fs::write(&path, bytes).unwrap();
        let expected = outcome(&path, &mapped);
        assert_eq!(outcome(&path, &loaded()), expected, "{what}");
        assert_eq!(outcome(&path, &failing), expected, "{what}");
        // An error, from open or from verify.
        !matches!(expected, Ok((_, None)))
    };
    let mut errors = 0;
    let cuts = [0, 7, 8, 127, 128, 1100, 4095, 4096, 4097, 8191, 8192, 8193];
    let ends = [data - 1, data, data + 1, data + 100_000, original.len() - 1];
    for len in cuts.into_iter().chain(ends) {
        errors += check(&original[..len], &format!("cut at {len}")) as usize;
    }
    // Every third byte of the header region (superblock, schema, both
    // commit slots), each bit position in turn, and bytes of the records
    // and of the checksum table.
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut spots: Vec<usize> = (0..data).step_by(3).collect();
    spots.extend((0..40).map(|_| data + rng.below(original.len() - data)));
    for at in spots {
        let mut bytes = original.clone();
        bytes[at] ^= 1 << (at % 8);
        errors += check(&bytes, &format!("bit flipped at {at}")) as usize;
    }
    let random: Vec<u8> = (0..20_000).map(|_| rng.next() as u8).collect();
    errors += check(&random, "random bytes") as usize;
    // The checks above met real errors, not only intact files.
    assert!(errors > 100, "{errors}");

    // Another record type: the same schema mismatch.
    std::fs::write(&path, &original).unwrap();
    let by_map = Store::<Reading>::open_read_only(&path).unwrap_err();
    let by_read = loaded().open::<Reading>(&path).unwrap_err();
    assert!(matches!(by_read, Error::SchemaMismatch { .. }));
    assert_eq!(by_read.to_string(), by_map.to_string());
}

/// Where the file cannot be mapped, a reader falls back to reading it, and
/// says so with the system's error.
#[test]
fn a_reader_falls_back_to_reading_when_the_file_cannot_be_mapped() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v.recs");
    let mut w = Store::<Vertex>::create(&path).unwrap();
    w.extend((0..1000).map(vertex)).unwrap();
    w.flush().unwrap();

    let mut r = OpenOptions::new()
        .fail_map()
        .open_reader::<Vertex>(&path)
        .unwrap();
    let raw = OpenOptions::new()
        .read_only()
        .fail_map()
        .open_raw(&path, None)
        .unwrap();
    let info = raw.info();
    let ReadPath::Loaded {
        map_error: Some(why),
    } = &info.read_path
    else {
        panic!("{:?}", info.read_path)
    };
    let enodev = std::io::Error::from_raw_os_error(19).to_string();
    assert_eq!(why, &enodev);
    assert!(info.read_path.to_string().contains("could not be mapped"));
    assert_eq!(raw.data(), w[..].as_bytes());
    assert_eq!(&r[..], &w[..]);

    w.extend((1000..5000).map(vertex)).unwrap();
    w.publish().unwrap();
    assert!(r.refresh().unwrap());
    assert_eq!(&r[..], &w[..]);
    r.verify().unwrap();
}

/// A writer needs its mapping: asked to go without, or unable to map, it
/// refuses with an error saying so; the file is left as it was.
#[test]
fn a_writer_refuses_to_go_without_a_mapping() {
    let dir = tempfile::tempdir().unwrap();
    let path = vertex_store(dir.path(), "v.recs", 10);
    let before = std::fs::read(&path).unwrap();

    let e = OpenOptions::new()
        .mmap(false)
        .open::<Vertex>(&path)
        .unwrap_err();
    assert!(matches!(e, Error::Unsupported { .. }), "{e}");
    assert!(
        e.to_string().contains("a writer needs a memory mapping"),
        "{e}"
    );
    let new = dir.path().join("new.recs");
    let e = OpenOptions::new()
        .mmap(false)
        .create_new(true)
        .open::<Vertex>(&new)
        .unwrap_err();
    assert!(matches!(e, Error::Unsupported { .. }), "{e}");
    assert!(!new.exists());

    let e = OpenOptions::new()
        .fail_map()
        .open::<Vertex>(&path)
        .unwrap_err();
    let Error::Io { op, io, .. } = &e else {
        panic!("{e}")
    };
    assert_eq!(*op, "map for writing");
    assert_eq!(io.raw_os_error(), None);
    assert!(
        e.to_string().contains("a writer needs a memory mapping"),
        "{e}"
    );
    assert!(e.to_string().contains("open it read-only"), "{e}");
    assert_eq!(std::fs::read(&path).unwrap(), before);
    // No lock is left behind: a writer that can map opens.
    RawStore::open(&path).unwrap();
}

/// A loaded handle is a reader under the sharing rule: its records do not
/// change while it is open, and a copy-on-write one keeps its changes.
#[test]
fn a_loaded_handle_is_a_reader_under_the_sharing_rule() {
    let dir = tempfile::tempdir().unwrap();
    let path = vertex_store(dir.path(), "v.recs", 100);
    let r = loaded().open_reader::<Vertex>(&path).unwrap();
    let mut w = Store::<Vertex>::open(&path).unwrap();
    let e = w.get_mut(3).map(|v| v.color[0] = 9).unwrap_err();
    assert!(matches!(e, Error::ReadersPresent { .. }), "{e}");
    w.push(&vertex(100)).unwrap();
    w.flush().unwrap();
    assert_eq!(r.len(), 100);
    drop((r, w));

    let mut snapshot: Store<Vertex> = OpenOptions::new()
        .mode(Mode::CopyOnWrite)
        .mmap(false)
        .open(&path)
        .unwrap();
    snapshot.get_mut(3).unwrap().color = [1, 2, 3];
    snapshot.push(&vertex(101)).unwrap();
    assert_eq!(snapshot[3].color, [1, 2, 3]);
    assert_eq!(snapshot.len(), 102);
    drop(snapshot);
    let again = Reader::<Vertex>::open(&path).unwrap();
    assert_eq!(again[3], vertex(3));
    assert_eq!(again.len(), 101);
}
