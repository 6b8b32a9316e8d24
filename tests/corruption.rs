//! Guards "corruption is detected, never a silent wrong answer": every
//! single-bit flip of the header region of a small store, a large sample of
//! bit flips in its records and checksum table, and truncation at every
//! length from the full size down to 0. Each outcome is exactly the one
//! `docs/FORMAT.md` promises for the byte touched: refused with the right
//! error kind, a fallback to the other commit slot that open reports, a
//! checksum mismatch found by `verify`, or, only for bytes the format says
//! a reader ignores, nothing at all (proved by comparing every record with
//! the original).

mod common;

use std::fs::OpenOptions as FileOptions;
use std::os::unix::fs::FileExt;
use std::path::Path;

use common::{vertex, Vertex, DATA, SLOTS};
use recstore::Store;

/// A store with one full checksum chunk (3276 vertices) and a tail.
fn store(dir: &Path) -> (std::path::PathBuf, Vec<Vertex>) {
    let path = dir.join("s.recs");
    let original: Vec<Vertex> = (0..3400).map(vertex).collect();
    let mut s = Store::<Vertex>::create(&path).unwrap();
    s.extend_from_slice(&original).unwrap();
    s.close().unwrap();
    (path, original)
}

/// What one header flip did, in the terms of `docs/FORMAT.md`.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Seen {
    /// Open refused the file: the magic is not recstore's.
    NotAStore,
    /// Open refused the file: another major version.
    OtherMajorVersion,
    /// Open refused the file: the superblock's CRC does not match.
    SuperblockChecksum,
    /// Open refused the file: the schema block's CRC does not match.
    SchemaChecksum,
    /// Open fell back to the other slot, said so (`recovery()`), and every
    /// record is there (a clean close leaves both slots at the last commit).
    SlotChecksum { rejected: usize },
    /// Nothing noticed, and every record is the same: only right for bytes
    /// the format says a reader ignores.
    Ignored,
    /// Open passed, `verify` found records that do not match their chunk's
    /// checksum.
    DataChecksum,
    /// Anything else (a wrong kind, a verify failure, a silent change).
    Other(String),
}

/// Opens and verifies the store after one flip and says what happened,
/// checking the error kind of every refusal.
fn seen(path: &Path, original: &[Vertex]) -> Seen {
    use recstore::{Error, ErrorKind, HeaderProblem, SlotProblem};
    let store = match Store::<Vertex>::open_read_only(path) {
        Ok(store) => store,
        Err(e) => {
            let (seen, kind) = match &e {
                Error::NotRecstore { .. } => (Seen::NotAStore, ErrorKind::NotAStore),
                Error::UnsupportedVersion { .. } => {
                    (Seen::OtherMajorVersion, ErrorKind::UnsupportedFormat)
                }
                Error::CorruptHeader {
                    problem: HeaderProblem::SuperblockChecksum { .. },
                    ..
                } => (Seen::SuperblockChecksum, ErrorKind::Corrupt),
                Error::CorruptHeader {
                    problem: HeaderProblem::SchemaChecksum { .. },
                    ..
                } => (Seen::SchemaChecksum, ErrorKind::Corrupt),
                _ => return Seen::Other(format!("open: {e}")),
            };
            assert_eq!(e.kind(), kind, "{e}");
            return seen;
        }
    };
    match store.verify() {
        Ok(()) => {}
        Err(e @ Error::ChecksumMismatch { .. }) => {
            assert_eq!(e.kind(), ErrorKind::ChecksumMismatch);
            return Seen::DataChecksum;
        }
        Err(e) => return Seen::Other(format!("verify: {e}")),
    }
    if store[..] != *original {
        return Seen::Other(format!("{} records, not all the same", store.len()));
    }
    match store.recovery() {
        None => Seen::Ignored,
        Some(r) if matches!(r.problem, SlotProblem::Checksum { .. }) => Seen::SlotChecksum {
            rejected: r.rejected_slot,
        },
        Some(r) => Seen::Other(format!("recovery: {r}")),
    }
}

/// What a flip of the byte at `offset` must do, from `docs/FORMAT.md`.
fn expected(offset: u64, schema_len: u64) -> Seen {
    let schema = 1536..1536 + schema_len;
    match offset {
        0..8 => Seen::NotAStore,
        // The major version is read before any checksum.
        8..10 => Seen::OtherMajorVersion,
        // The CRC covers bytes 0..124, the reserved bytes too; 124..128 is
        // the CRC itself.
        10..128 => Seen::SuperblockChecksum,
        o if schema.contains(&o) => Seen::SchemaChecksum,
        // 128..1536 (the 1.0/1.1 slots' places) and the rest of the first
        // page after the schema block: ignored.
        o if o < 4096 => Seen::Ignored,
        o => {
            let rejected = SLOTS
                .iter()
                .position(|&s| (s as u64..s as u64 + 128).contains(&o))
                .expect("only the slots are flipped past the first page");
            Seen::SlotChecksum { rejected }
        }
    }
}

/// Every bit of the first page (superblock, schema block, the bytes a
/// reader ignores) and of both commit slots: each flip has exactly the
/// outcome the format promises for its byte.
#[test]
fn every_header_bit_flip_has_the_outcome_the_format_promises() {
    let dir = tempfile::tempdir().unwrap();
    let (path, original) = store(dir.path());
    let f = FileOptions::new()
        .read(true)
        .write(true)
        .open(&path)
        .unwrap();
    let mut len = [0u8; 4];
    f.read_exact_at(&mut len, 28).unwrap();
    let schema_len = u32::from_le_bytes(len) as u64;
    assert!(schema_len > 32 && 1536 + schema_len < 4096);
    // The first page, and both commit slots, each at the start of its own
    // page (format 1.2); the rest of the slots' pages is ignored like the
    // first page's padding.
    let bytes = (0..4096u64).chain(SLOTS.into_iter().flat_map(|s| s as u64..s as u64 + 128));
    let mut ignored = 0;
    for byte in bytes {
        let want = expected(byte, schema_len);
        ignored += u64::from(want == Seen::Ignored);
        let mut old = [0u8];
        f.read_exact_at(&mut old, byte).unwrap();
        for bit in 0..8 {
            f.write_all_at(&[old[0] ^ (1 << bit)], byte).unwrap();
            let got = seen(&path, &original);
            f.write_all_at(&old, byte).unwrap();
            assert_eq!(got, want, "byte {byte} bit {bit}");
        }
    }
    assert_eq!(ignored, (1536 - 128) + (4096 - 1536 - schema_len));
}

#[test]
fn sampled_data_and_table_bit_flips_are_detected_or_harmless() {
    let dir = tempfile::tempdir().unwrap();
    let (path, original) = store(dir.path());
    let len = std::fs::metadata(&path).unwrap().len();
    let f = FileOptions::new()
        .read(true)
        .write(true)
        .open(&path)
        .unwrap();
    let mut rng = common::Rng(0x853c_49e6_748f_ea9b);
    for _ in 0..3000 {
        let bit = DATA as u64 * 8 + rng.next() % ((len - DATA as u64) * 8);
        let byte = bit / 8;
        let mut old = [0u8];
        f.read_exact_at(&mut old, byte).unwrap();
        f.write_all_at(&[old[0] ^ (1 << (bit % 8))], byte).unwrap();
        let got = seen(&path, &original);
        f.write_all_at(&old, byte).unwrap();
        // CRC-32 catches every single-bit error in what a checksum covers:
        // the 3400 records and the table entry of the one full chunk. The
        // unused capacity, the unused table entry and the page padding
        // after the table hold nothing.
        let records = DATA as u64..DATA as u64 + 3400 * 20;
        let table = DATA as u64 + 6552 * 20;
        let covered = records.contains(&byte) || (table..table + 4).contains(&byte);
        let want = if covered {
            Seen::DataChecksum
        } else {
            Seen::Ignored
        };
        assert_eq!(got, want, "bit {bit}");
    }
}

#[test]
fn truncation_at_every_length_is_a_clean_error_or_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let (path, original) = store(dir.path());
    let full = std::fs::metadata(&path).unwrap().len();
    // The end of the checksum table: one entry for each chunk that can be
    // full at capacity 6552. Only cuts in the final page's padding, past
    // it, leave the whole store; every other cut is refused at open.
    let table_end = DATA as u64 + 20 * 6552 + 4 * 2;
    let f = FileOptions::new().write(true).open(&path).unwrap();
    for len in (0..full).rev() {
        f.set_len(len).unwrap();
        if len >= table_end {
            assert_eq!(seen(&path, &original), Seen::Ignored, "truncated to {len}");
            continue;
        }
        let e = Store::<Vertex>::open_read_only(&path).unwrap_err();
        let kind = if len < 8 {
            recstore::ErrorKind::NotAStore
        } else {
            recstore::ErrorKind::Corrupt
        };
        assert_eq!(e.kind(), kind, "truncated to {len}: {e}");
    }
}
