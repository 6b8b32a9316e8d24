//! Guards the promise that a bad file is a clear, structured error and never
//! a panic or a wrong answer: one test per error variant, each produced from
//! a real file on disk (empty, random, truncated, another tool's file, every
//! header field corrupted, torn slots, flipped data, future versions, the
//! wrong record type).

mod common;

use common::{fix_crc, patch, vertex, vertex_store, Reading, Vertex, DATA, SLOTS};
use recstore::{Error, HeaderProblem, Mode, OpenOptions, RawStore, SlotProblem, Store};

fn open_err(path: &std::path::Path) -> Error {
    let e = Store::<Vertex>::open_read_only(path).unwrap_err();
    // Every message names the file, unless the error is not about one.
    assert!(e.to_string().contains(&*path.to_string_lossy()), "{e}");
    e
}

#[test]
fn empty_file_is_not_a_store() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("empty.recs");
    std::fs::write(&path, b"").unwrap();
    assert!(matches!(open_err(&path), Error::NotRecstore { found, .. } if found.is_empty()));
}

#[test]
fn random_bytes_are_not_a_store() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("random.recs");
    let mut rng = common::Rng(0x2545_f491_4f6c_dd1d);
    let bytes: Vec<u8> = (0..20_000).map(|_| rng.next() as u8).collect();
    std::fs::write(&path, bytes).unwrap();
    assert!(matches!(open_err(&path), Error::NotRecstore { .. }));
}

#[test]
fn other_tools_files_are_not_stores() {
    let dir = tempfile::tempdir().unwrap();
    let files: [(&str, &[u8]); 3] = [
        ("image.png", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"),
        (
            "array.npy",
            b"\x93NUMPY\x01\x00v\x00{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }",
        ),
        ("notes.txt", b"position,color\n1,2\n"),
    ];
    for (name, bytes) in files {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let e = open_err(&path);
        assert!(matches!(e, Error::NotRecstore { .. }), "{name}: {e}");
        assert!(e.to_string().contains("not a recstore file"));
    }
}

/// Every cut is a clean error, or (when only the final page's padding is
/// cut) the complete store, checked record by record.
#[test]
fn truncated_files_are_clean_errors_or_intact() {
    let dir = tempfile::tempdir().unwrap();
    let full = std::fs::read(vertex_store(dir.path(), "full.recs", 10_000)).unwrap();
    let table_end = DATA + 20 * 10_000 + 4 * (10_000 / 3276);
    for len in [
        1,
        7,
        8,
        12,
        127,
        128,
        600,
        1100,
        1600,
        4095,
        4096,
        4097,
        8191,
        8192,
        12_287,
        12_288,
        12_289,
        100_000,
        table_end - 1,
        table_end,
        full.len() - 1,
    ] {
        let path = dir.path().join(format!("cut{len}.recs"));
        std::fs::write(&path, &full[..len]).unwrap();
        if len >= table_end {
            let s = Store::<Vertex>::open_read_only(&path).unwrap();
            assert!(s.iter().enumerate().all(|(i, v)| *v == vertex(i as u64)) && s.len() == 10_000);
            s.verify().unwrap();
            continue;
        }
        match open_err(&path) {
            Error::NotRecstore { .. } if len < 8 => {}
            Error::FileTooSmall { needed, len: l, .. } if len < DATA => {
                // The first page, then the whole header region with the slots' pages.
                let want = if len < 4096 { 4096 } else { DATA as u64 };
                assert_eq!((needed, l), (want, len as u64));
            }
            Error::NoValidCommit { slots, .. } if len >= DATA => {
                assert!(
                    slots
                        .iter()
                        .all(|s| matches!(s, SlotProblem::PastEndOfFile { .. })),
                    "{slots:?}"
                );
            }
            e => panic!("length {len}: unexpected {e}"),
        }
    }
}

#[test]
fn a_future_major_version_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = vertex_store(dir.path(), "v.recs", 3);
    patch(&path, 8, &2u16.to_le_bytes());
    let e = open_err(&path);
    assert!(
        matches!(
            e,
            Error::UnsupportedVersion {
                found_major: 2,
                supported_major: 1,
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn a_newer_minor_version_still_opens() {
    let dir = tempfile::tempdir().unwrap();
    let path = vertex_store(dir.path(), "v.recs", 3);
    patch(&path, 10, &7u16.to_le_bytes());
    fix_crc(&path, 0);
    let raw = RawStore::open_read_only(&path).unwrap();
    assert_eq!(raw.info().format_version, (1, 7));
}

#[test]
fn unknown_feature_flags_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = vertex_store(dir.path(), "v.recs", 3);
    patch(&path, 12, &4u32.to_le_bytes());
    fix_crc(&path, 0);
    assert!(matches!(
        open_err(&path),
        Error::UnsupportedFeatures { flags: 4, .. }
    ));
}

#[test]
fn every_superblock_byte_is_covered_by_its_checksum() {
    let dir = tempfile::tempdir().unwrap();
    let path = vertex_store(dir.path(), "v.recs", 3);
    let original = std::fs::read(&path).unwrap();
    // Bytes 0..8 are the magic and 8..10 the major version, checked first.
    for at in 10..128 {
        std::fs::write(&path, &original).unwrap();
        patch(&path, at, &[original[at] ^ 0x10]);
        match open_err(&path) {
            Error::CorruptHeader {
                problem: HeaderProblem::SuperblockChecksum { .. },
                ..
            } => {}
            e => panic!("byte {at}: {e}"),
        }
    }
}

/// Each superblock field set to a wrong value by a tool that recomputed the
/// checksum: the error names the field.
#[test]
fn each_superblock_field_is_checked() {
    let dir = tempfile::tempdir().unwrap();
    let path = vertex_store(dir.path(), "v.recs", 3);
    let original = std::fs::read(&path).unwrap();
    let cases: [(&str, usize, Vec<u8>); 6] = [
        ("page_size", 16, 8192u32.to_le_bytes().to_vec()),
        ("schema_offset", 24, 2048u32.to_le_bytes().to_vec()),
        ("schema_len", 28, (2u32 << 20).to_le_bytes().to_vec()),
        ("data_offset", 20, 4100u32.to_le_bytes().to_vec()),
        ("stride", 48, 24u32.to_le_bytes().to_vec()),
        ("chunk_records", 44, 0u32.to_le_bytes().to_vec()),
    ];
    for (field, at, value) in cases {
        std::fs::write(&path, &original).unwrap();
        patch(&path, at, &value);
        fix_crc(&path, 0);
        let e = open_err(&path);
        match &e {
            Error::CorruptHeader {
                problem: HeaderProblem::BadField { field: f, .. },
                ..
            } => {
                assert_eq!(*f, field, "{e}")
            }
            _ => panic!("{field}: unexpected {e}"),
        }
    }
    // The schema block's checksum and fingerprint.
    std::fs::write(&path, &original).unwrap();
    patch(&path, 1536 + 40, b"X");
    assert!(matches!(
        open_err(&path),
        Error::CorruptHeader {
            problem: HeaderProblem::SchemaChecksum { .. },
            ..
        }
    ));
    std::fs::write(&path, &original).unwrap();
    patch(&path, 32, &1u64.to_le_bytes());
    fix_crc(&path, 0);
    assert!(matches!(
        open_err(&path),
        Error::CorruptHeader {
            problem: HeaderProblem::SchemaFingerprint { .. },
            ..
        }
    ));
}

#[test]
fn a_schema_block_that_breaks_the_rules_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = vertex_store(dir.path(), "v.recs", 3);
    // Field 1 (color) says it starts at byte 13 instead of 12: crc and
    // fingerprint recomputed, as a buggy writer would.
    patch(&path, 1536 + 32 + 16 + 12, &13u32.to_le_bytes());
    let data = std::fs::read(&path).unwrap();
    let len = u32::from_le_bytes(data[28..32].try_into().unwrap()) as usize;
    let block = &data[1536..1536 + len];
    patch(&path, 40, &crc32fast::hash(block).to_le_bytes());
    let fnv = block.iter().fold(0xcbf29ce484222325u64, |h, &b| {
        (h ^ b as u64).wrapping_mul(0x100000001b3)
    });
    patch(&path, 32, &fnv.to_le_bytes());
    fix_crc(&path, 0);
    let e = open_err(&path);
    assert!(
        matches!(
            &e,
            Error::CorruptHeader {
                problem: HeaderProblem::Schema(recstore::SchemaProblem::Layout { .. }),
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn a_misaligned_data_region_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = vertex_store(dir.path(), "v.recs", 3);
    patch(&path, 20, &(DATA as u32 + 2).to_le_bytes());
    fix_crc(&path, 0);
    assert!(matches!(
        open_err(&path),
        Error::Misaligned {
            data_offset: 12_290,
            align: 4,
            ..
        }
    ));
}

#[test]
fn a_torn_slot_falls_back_to_the_other_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v.recs");
    let mut s = Store::<Vertex>::create(&path).unwrap();
    s.extend((0..100).map(vertex)).unwrap();
    s.flush().unwrap();
    s.extend((100..200).map(vertex)).unwrap();
    s.flush().unwrap();
    std::mem::forget(s); // a crash: no clean close, slots hold commits 3 and 2
    let data = std::fs::read(&path).unwrap();
    let seq = |slot: usize| u64::from_le_bytes(data[slot..slot + 8].try_into().unwrap());
    let newest = if seq(SLOTS[0]) > seq(SLOTS[1]) {
        SLOTS[0]
    } else {
        SLOTS[1]
    };
    patch(&path, newest + 20, &[0xff]); // torn
    let r = Store::<Vertex>::open_read_only(&path).unwrap();
    assert_eq!(r.len(), 100, "fell back to the older commit");
    let rec = r.recovery().expect("the fallback is reported");
    assert!(matches!(rec.problem, SlotProblem::Checksum { .. }));
    assert!(rec.to_string().contains("rejected"));
    r.verify().unwrap();
    // Both slots bad: no valid commit, with both reasons.
    let other = SLOTS[0] + SLOTS[1] - newest;
    patch(&path, other + 3, &[0xee]);
    let e = open_err(&path);
    assert!(matches!(e, Error::NoValidCommit { .. }), "{e}");
    assert!(e.to_string().contains("slot 0") && e.to_string().contains("slot 1"));
}

#[test]
fn a_clean_close_survives_one_rotten_slot_without_rollback() {
    let dir = tempfile::tempdir().unwrap();
    let path = vertex_store(dir.path(), "v.recs", 500);
    for slot in SLOTS {
        let copy = dir.path().join(format!("rot{slot}.recs"));
        std::fs::copy(&path, &copy).unwrap();
        patch(&copy, slot + 9, &[0x55]);
        let r = Store::<Vertex>::open_read_only(&copy).unwrap();
        assert_eq!(r.len(), 500);
        assert!(r.recovery().is_some());
    }
}

#[test]
fn an_unsynced_commit_from_an_earlier_boot_is_not_trusted() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v.recs");
    let mut s = Store::<Vertex>::create(&path).unwrap();
    s.extend((0..10).map(vertex)).unwrap();
    s.flush().unwrap();
    s.extend((10..20).map(vertex)).unwrap();
    s.publish().unwrap();
    std::mem::forget(s);
    // Same boot (the writer just died): the published commit is trusted.
    assert_eq!(Store::<Vertex>::open_read_only(&path).unwrap().len(), 20);
    // Pretend the machine rebooted since: the unsynced slot's boot id differs.
    let data = std::fs::read(&path).unwrap();
    let unsynced = SLOTS.into_iter().find(|&o| data[o + 32] & 1 == 1).unwrap();
    patch(&path, unsynced + 40, &[0xab; 16]);
    fix_crc(&path, unsynced);
    let r = Store::<Vertex>::open_read_only(&path).unwrap();
    assert_eq!(r.len(), 10, "back to the last durable commit");
    assert_eq!(
        r.recovery().unwrap().problem,
        SlotProblem::UnsyncedFromEarlierBoot
    );
}

#[test]
fn a_flipped_data_byte_is_found_by_verify_with_its_record_range() {
    let dir = tempfile::tempdir().unwrap();
    let path = vertex_store(dir.path(), "v.recs", 20_000);
    // Record 7000 lies in chunk 2 (3276 records of 20 bytes per chunk).
    let at = DATA + 7000 * 20 + 5;
    let data = std::fs::read(&path).unwrap();
    patch(&path, at, &[data[at] ^ 1]);
    let s = Store::<Vertex>::open_read_only(&path).unwrap(); // open does not scan
    let e = s.verify().unwrap_err();
    match &e {
        Error::ChecksumMismatch {
            chunk: 2,
            records,
            bad_chunks: 1,
            ..
        } => assert_eq!(*records, 6552..9828),
        _ => panic!("{e}"),
    }
    assert!(e.to_string().contains("records 6552..9828"), "{e}");
    let e = OpenOptions::new()
        .read_only()
        .verify_on_open(true)
        .open::<Vertex>(&path)
        .unwrap_err();
    assert!(matches!(e, Error::ChecksumMismatch { chunk: 2, .. }));
    // A flip in the checksum table (after the data region, one CRC per
    // full chunk) is found the same way.
    patch(&path, at, &[data[at]]);
    let capacity =
        u64::from_le_bytes(data[SLOTS[0] + 16..SLOTS[0] + 24].try_into().unwrap()) as usize;
    let table = DATA + 20 * capacity;
    patch(&path, table + 4, &[data[table + 4] ^ 0x80]);
    let s = Store::<Vertex>::open_read_only(&path).unwrap();
    assert!(matches!(
        s.verify(),
        Err(Error::ChecksumMismatch {
            chunk: 1,
            bad_chunks: 1,
            ..
        })
    ));
    // And a flip in the tail (records after the last full chunk), whose
    // CRC lives in the commit slot.
    patch(&path, table + 4, &[data[table + 4]]);
    let tail = DATA + 19_999 * 20;
    patch(&path, tail, &[data[tail] ^ 4]);
    let s = Store::<Vertex>::open_read_only(&path).unwrap();
    assert!(
        matches!(s.verify(), Err(Error::ChecksumMismatch { chunk: 6, records, .. }) if records == (19_656..20_000))
    );
}

#[test]
fn a_store_of_another_type_is_a_schema_mismatch_showing_both() {
    let dir = tempfile::tempdir().unwrap();
    let path = vertex_store(dir.path(), "v.recs", 3);
    let e = Store::<Reading>::open(&path).unwrap_err();
    let msg = e.to_string();
    assert!(matches!(&e, Error::SchemaMismatch { expected, found, .. }
        if expected.name() == "Reading" && found.name() == "Vertex"));
    for needle in [
        "expected",
        "found",
        "timestamp_ns",
        "position",
        "[f32; 3]",
        "recstore info",
    ] {
        assert!(msg.contains(needle), "{needle} missing from:\n{msg}");
    }
}

#[test]
fn a_second_writer_is_locked_out_and_readers_are_not() {
    let dir = tempfile::tempdir().unwrap();
    let path = vertex_store(dir.path(), "v.recs", 3);
    let w = Store::<Vertex>::open(&path).unwrap();
    let e = Store::<Vertex>::open(&path).unwrap_err();
    assert!(matches!(e, Error::Locked { .. }), "{e}");
    // `create` never opens what is there, locked or not.
    match Store::<Vertex>::create(&path) {
        Err(Error::AlreadyExists { path: p }) => assert_eq!(p, path),
        other => panic!("create over a locked store: {:?}", other.map(|_| ())),
    }
    assert_eq!(Store::<Vertex>::open_read_only(&path).unwrap().len(), 3);
    drop(w);
    Store::<Vertex>::open(&path).unwrap();
}

#[test]
fn missing_files_and_directories_are_io_errors_with_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.recs");
    let e = open_err(&missing);
    assert!(
        matches!(&e, Error::Io { io, .. } if io.kind() == std::io::ErrorKind::NotFound),
        "{e}"
    );
    let e = open_err(dir.path());
    assert!(matches!(e, Error::Io { .. }), "{e}");
    // Creating over a directory: not "already exists; open it instead".
    let e = Store::<Vertex>::create(dir.path()).unwrap_err();
    assert!(matches!(e, Error::Io { .. }), "{e}");
    assert!(e.to_string().contains("not a regular file"), "{e}");
    let e = Store::<Vertex>::create(dir.path().join("no/such/dir/v.recs")).unwrap_err();
    assert!(
        matches!(&e, Error::Io { io, .. } if io.kind() == std::io::ErrorKind::NotFound),
        "{e}"
    );
    assert_eq!(e.kind(), recstore::ErrorKind::NotFound);
    assert_eq!(
        e.path(),
        Some(dir.path().join("no/such/dir").as_path()),
        "{e}"
    );
    // The temporary file it never made is not named (tempfile adds its path).
    assert!(!e.to_string().contains(".recstore-new"), "{e}");
}

/// A symbolic link to nothing is named as one, by `create` (which does
/// not create through a link: it would replace the link), `create(true)`
/// and `open`, rather than "no such file" or "already exists"; the link is
/// left as it was.
#[cfg(unix)]
#[test]
fn a_dangling_symlink_is_named_as_one() {
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("link.recs");
    let target = dir.path().join("gone.recs");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let errors = [
        Store::<Vertex>::create(&link).map(|_| ()).unwrap_err(),
        OpenOptions::new()
            .create(true)
            .open::<Vertex>(&link)
            .map(|_| ())
            .unwrap_err(),
        Store::<Vertex>::open(&link).map(|_| ()).unwrap_err(),
        recstore::Reader::<Vertex>::open(&link)
            .map(|_| ())
            .unwrap_err(),
    ];
    for e in errors {
        assert!(
            matches!(&e, Error::DanglingSymlink { path, target: t } if *path == link && *t == target),
            "{e}"
        );
        assert_eq!(e.kind(), recstore::ErrorKind::NotFound);
        let message = e.to_string();
        assert!(message.contains("is a symbolic link to"), "{message}");
        assert!(
            message.ends_with(
                "fix or remove the link, or create the store at the link's target itself"
            ),
            "{message}"
        );
    }
    assert_eq!(std::fs::read_link(&link).unwrap(), target);
    assert!(!target.exists());
    // A link to a store opens it.
    vertex_store(dir.path(), "gone.recs", 2);
    assert_eq!(Store::<Vertex>::open(&link).unwrap().len(), 2);
}

#[test]
fn api_misuse_gets_structured_errors() {
    let dir = tempfile::tempdir().unwrap();
    let path = vertex_store(dir.path(), "v.recs", 3);
    let mut s = Store::<Vertex>::open(&path).unwrap();
    assert!(matches!(
        s.get_mut(3),
        Err(Error::IndexOutOfBounds { index: 3, len: 3 })
    ));
    assert!(matches!(
        s.reserve(usize::MAX),
        Err(Error::CapacityOverflow { .. })
    ));
    drop(s);
    let mut raw = RawStore::open(&path).unwrap();
    assert!(matches!(
        raw.push(&[0; 19]),
        Err(Error::RecordLength {
            len: 19,
            stride: 20
        })
    ));
    assert!(matches!(
        raw.extend_from_bytes(&[0; 30]),
        Err(Error::RecordLength { .. })
    ));
    assert!(matches!(
        raw.record_mut(9),
        Err(Error::IndexOutOfBounds { .. })
    ));
    let bad = recstore::Schema::new(
        "Gap",
        8,
        4,
        vec![recstore::Field::new(
            "a",
            recstore::Primitive::U32,
            recstore::Endian::Little,
            1,
            0,
        )],
    );
    let e = RawStore::create(dir.path().join("gap.recs"), &bad).unwrap_err();
    assert!(
        matches!(
            e,
            Error::InvalidSchema {
                problem: recstore::SchemaProblem::GapAtEnd { end: 4, size: 8 }
            }
        ),
        "{e}"
    );
    assert!(!dir.path().join("gap.recs").exists());
    // Creating with a mode that never writes names the conflict and what to do.
    for (mode, conflict) in [
        (Mode::CopyOnWrite, "create and copy-on-write conflict"),
        (Mode::ReadOnly, "create and read-only conflict"),
    ] {
        let new = dir.path().join("never.recs");
        let e = OpenOptions::new()
            .mode(mode)
            .create(true)
            .open::<Vertex>(&new)
            .unwrap_err();
        assert!(matches!(e, Error::Unsupported { op: "create", .. }), "{e}");
        let message = e.to_string();
        assert!(message.contains(conflict), "{message}");
        assert!(
            message.contains("create the store read-write first"),
            "{message}"
        );
        assert!(!new.exists());
    }
    // Failed operations left the store as it was.
    raw.push(vertex(3).as_bytes_for_test()).unwrap();
    assert_eq!(raw.len(), 4);
}

trait AsBytesForTest {
    fn as_bytes_for_test(&self) -> &[u8];
}
impl AsBytesForTest for Vertex {
    fn as_bytes_for_test(&self) -> &[u8] {
        zerocopy::IntoBytes::as_bytes(self)
    }
}

/// A capacity no file can have is `CapacityOverflow` (or, where the
/// filesystem would take so large a file, a full disk named by the store
/// asked for), never an I/O error about a temporary file; nothing is left
/// behind, and a store asked to grow that far is unchanged.
#[test]
fn a_huge_capacity_is_a_capacity_overflow() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge.recs");
    // Past the address space (over isize::MAX bytes: fallocate said
    // EINVAL), and past the largest file of ext4 (16 TiB: EFBIG).
    for records in [1u64 << 59, 1 << 40] {
        let e = OpenOptions::new()
            .create_new(true)
            .initial_capacity(records as usize)
            .open::<Vertex>(&path)
            .unwrap_err();
        match &e {
            Error::CapacityOverflow {
                requested,
                stride: 20,
            } => assert_eq!(*requested, records),
            Error::DiskFull { path: p, .. } if records == 1 << 40 => assert_eq!(p, &path),
            _ => panic!("{records} records: {e}"),
        }
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert!(left.is_empty(), "{left:?}");
    }
    let path = vertex_store(dir.path(), "v.recs", 3);
    let len = std::fs::metadata(&path).unwrap().len();
    let mut s = Store::<Vertex>::open(&path).unwrap();
    match s.reserve(1 << 40).unwrap_err() {
        Error::CapacityOverflow { stride: 20, .. } => {}
        Error::DiskFull { path: p, .. } => assert_eq!(p, path),
        e => panic!("{e}"),
    }
    assert_eq!(std::fs::metadata(&path).unwrap().len(), len);
    s.push(&vertex(3)).unwrap();
    s.close().unwrap();
    let s = Store::<Vertex>::open_read_only(&path).unwrap();
    assert_eq!(s.len(), 4);
    s.verify().unwrap();
}

/// A hand-written `Record` impl whose schema says 8-byte records for a
/// 4-byte type.
#[derive(zerocopy::FromBytes, zerocopy::IntoBytes, zerocopy::KnownLayout, zerocopy::Immutable)]
#[repr(C)]
struct Misdescribed {
    a: u32,
}

impl recstore::Record for Misdescribed {
    fn schema() -> &'static recstore::Schema {
        static SCHEMA: std::sync::OnceLock<recstore::Schema> = std::sync::OnceLock::new();
        SCHEMA.get_or_init(|| {
            recstore::Schema::new(
                "Misdescribed",
                8,
                4,
                vec![recstore::Field::new(
                    "a",
                    recstore::Primitive::U32,
                    recstore::Endian::Little,
                    2,
                    0,
                )],
            )
        })
    }
}

/// A `Record` impl whose schema does not describe its type is refused by
/// every typed handle at open or create, before a byte is cast (it used to
/// panic in `push`); no file is created.
#[test]
fn a_record_impl_that_misdescribes_its_type_fails_at_open() {
    let dir = tempfile::tempdir().unwrap();
    let check = |e: Error| {
        let message = e.to_string();
        match e {
            Error::InvalidSchema {
                problem:
                    recstore::SchemaProblem::NotItsType {
                        stride: 8,
                        align: 4,
                        type_size: 4,
                        type_align: 4,
                        ..
                    },
            } => {}
            other => panic!("expected NotItsType, got {other:?}"),
        }
        assert!(
            message.contains("derive it with #[derive(Record)]"),
            "{message}"
        );
    };
    let new = dir.path().join("new.recs");
    check(Store::<Misdescribed>::create(&new).map(|_| ()).unwrap_err());
    assert!(!new.exists());
    // A store made from the same (valid) schema without the Rust type.
    let path = dir.path().join("m.recs");
    RawStore::create(&path, <Misdescribed as recstore::Record>::schema())
        .unwrap()
        .close()
        .unwrap();
    check(Store::<Misdescribed>::open(&path).map(|_| ()).unwrap_err());
    check(
        Store::<Misdescribed>::open_read_only(&path)
            .map(|_| ())
            .unwrap_err(),
    );
    check(
        recstore::Reader::<Misdescribed>::open(&path)
            .map(|_| ())
            .unwrap_err(),
    );
}
