//! Guards "any bytes give a clear error, never a panic": real store files
//! mutated thousands of ways (bit flips anywhere, runs of bytes, header
//! fields set to extreme values by a tool that fixes the checksums), each
//! driven through every read path: typed and untyped open, verify, every
//! record, every decoded field, a reader's refresh, a reader without a
//! mapping.

mod common;

use std::path::Path;

use common::{fix_crc, vertex, Rng, Vertex, SLOTS};
use recstore::{OpenOptions, RawStore, Reader, Store};

/// Every read path; any outcome but a panic is fine here.
fn exercise(path: &Path) {
    if let Ok(raw) = RawStore::open_read_only(path) {
        let _ = raw.verify();
        let _ = raw.info();
        for record in raw.records() {
            for field in raw.schema().fields() {
                let _ = field.values(record).count();
            }
        }
        let _ = raw.record(raw.len());
    }
    if let Ok(s) = Store::<Vertex>::open_read_only(path) {
        let _ = s.verify();
        let _ = s.iter().map(|v| u64::from(v.color[0])).sum::<u64>();
        let _ = s.get(s.len());
    }
    if let Ok(mut r) = Reader::<Vertex>::open(path) {
        let _ = r.refresh();
        let _ = r.verify();
    }
    // Without a mapping: the records read into memory.
    if let Ok(mut r) = OpenOptions::new().mmap(false).open_reader::<Vertex>(path) {
        let _ = r.iter().map(|v| u64::from(v.color[0])).sum::<u64>();
        let _ = r.refresh();
        let _ = r.verify();
    }
}

fn original(dir: &Path) -> Vec<u8> {
    let path = dir.join("original.recs");
    let mut s = Store::<Vertex>::create(&path).unwrap();
    s.extend((0..3300).map(vertex)).unwrap(); // one full chunk and a tail
    s.flush().unwrap();
    s.extend((3300..3400).map(vertex)).unwrap();
    s.publish().unwrap();
    std::mem::forget(s); // leave two different commits in the slots
    std::fs::read(&path).unwrap()
}

#[test]
fn random_mutations_never_panic() {
    let dir = tempfile::tempdir().unwrap();
    let base = original(dir.path());
    let path = dir.path().join("mutant.recs");
    let mut rng = Rng(0x1234_5678_9abc_def1);
    for round in 0..3000 {
        let mut bytes = base.clone();
        let flips = 1 + rng.below(8);
        for _ in 0..flips {
            // Mostly the header page, where the parsing is; sometimes anywhere.
            let at = if rng.below(4) == 0 {
                rng.below(bytes.len())
            } else {
                rng.below(4096)
            };
            match rng.below(3) {
                0 => bytes[at] ^= 1 << rng.below(8),
                1 => bytes[at] = rng.next() as u8,
                _ => {
                    let end = (at + rng.below(64)).min(bytes.len());
                    bytes[at..end].fill(if rng.below(2) == 0 { 0 } else { 0xff });
                }
            }
        }
        if round % 5 == 0 {
            bytes.truncate(rng.below(bytes.len() + 1));
        }
        std::fs::write(&path, &bytes).unwrap();
        exercise(&path);
    }
}

/// Header and slot fields set to extreme values with valid checksums, as a
/// buggy or malicious tool would write them: the checks must stand without
/// the CRCs.
#[test]
fn extreme_field_values_with_valid_checksums_never_panic() {
    let dir = tempfile::tempdir().unwrap();
    let base = original(dir.path());
    let path = dir.path().join("extreme.recs");
    let extremes: [u64; 9] = [
        0,
        1,
        4095,
        4096,
        4097,
        u32::MAX as u64,
        1 << 40,
        u64::MAX / 20,
        u64::MAX,
    ];
    // (offset, width, structure whose CRC to fix)
    let fields: [(usize, usize, usize); 14] = [
        (16, 4, 0),
        (20, 4, 0),
        (24, 4, 0),
        (28, 4, 0),
        (44, 4, 0),
        (48, 4, 0),
        (SLOTS[0], 8, SLOTS[0]),
        (SLOTS[0] + 8, 8, SLOTS[0]),
        (SLOTS[0] + 16, 8, SLOTS[0]),
        (SLOTS[0] + 24, 8, SLOTS[0]),
        (SLOTS[0] + 36, 4, SLOTS[0]),
        (SLOTS[1] + 8, 8, SLOTS[1]),
        (SLOTS[1] + 16, 8, SLOTS[1]),
        (SLOTS[1] + 24, 8, SLOTS[1]),
    ];
    for (at, width, crc_at) in fields {
        for value in extremes {
            let mut bytes = base.clone();
            bytes[at..at + width].copy_from_slice(&value.to_le_bytes()[..width]);
            std::fs::write(&path, &bytes).unwrap();
            fix_crc(&path, crc_at);
            exercise(&path);
        }
    }
}
