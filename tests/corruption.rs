//! Guards "corruption is detected, never a silent wrong answer": every
//! single-bit flip of the header region of a small store, a large sample of
//! bit flips in its records and checksum table, and truncation at every
//! length from the full size down to 0. Each outcome is either detected
//! (open or verify fails, or open reports the slot it rejected) or
//! harmless, proved by comparing every record with the original.

mod common;

use std::fs::OpenOptions as FileOptions;
use std::os::unix::fs::FileExt;
use std::path::Path;

use common::{vertex, Vertex, DATA, SLOTS};
use recstore::Store;

#[derive(Debug, Default)]
struct Tally {
    detected: u64,
    harmless: u64,
}

/// Opens the store and judges it against `original`; panics on a silent
/// wrong answer.
fn judge(path: &Path, original: &[Vertex], what: &str, tally: &mut Tally) {
    let Ok(store) = Store::<Vertex>::open_read_only(path) else {
        tally.detected += 1;
        return;
    };
    if store.verify().is_err() {
        tally.detected += 1;
        return;
    }
    let same = store.len() <= original.len() && store.iter().zip(original).all(|(a, b)| a == b);
    assert!(
        same,
        "{what}: open and verify passed, but the records are wrong"
    );
    if store.len() == original.len() {
        tally.harmless += 1;
    } else {
        // An older commit is a right answer only if open said it fell back.
        assert!(
            store.recovery().is_some(),
            "{what}: silently opened an older commit"
        );
        tally.detected += 1;
    }
}

/// A store with one full checksum chunk (3276 vertices) and a tail.
fn store(dir: &Path) -> (std::path::PathBuf, Vec<Vertex>) {
    let path = dir.join("s.recs");
    let original: Vec<Vertex> = (0..3400).map(vertex).collect();
    let mut s = Store::<Vertex>::create(&path).unwrap();
    s.extend_from_slice(&original).unwrap();
    s.close().unwrap();
    (path, original)
}

/// Flips one bit, judges, restores; returns whether it was detected.
fn flip(path: &Path, bit: u64, tally: &mut Tally, original: &[Vertex], what: &str) -> bool {
    let f = FileOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .unwrap();
    let mut byte = [0u8];
    f.read_exact_at(&mut byte, bit / 8).unwrap();
    f.write_all_at(&[byte[0] ^ (1 << (bit % 8))], bit / 8)
        .unwrap();
    let before = tally.detected;
    judge(path, original, &format!("{what} bit {bit}"), tally);
    f.write_all_at(&byte, bit / 8).unwrap();
    tally.detected > before
}

#[test]
fn every_header_bit_flip_is_detected_or_harmless() {
    let dir = tempfile::tempdir().unwrap();
    let (path, original) = store(dir.path());
    let mut tally = Tally::default();
    // The first page (superblock, schema block, padding) and both commit
    // slots, each at the start of its own page (format 1.2); the rest of the
    // slots' pages is padding like the first page's.
    let bits: Vec<u64> = (0..4096 * 8)
        .chain(
            SLOTS
                .into_iter()
                .flat_map(|s| s as u64 * 8..(s as u64 + 128) * 8),
        )
        .collect();
    for &bit in &bits {
        flip(&path, bit, &mut tally, &original, "header");
    }
    println!("header: {} flips, {tally:?}", bits.len());
    assert_eq!(tally.detected + tally.harmless, bits.len() as u64);
    // Padding after the schema block is covered by nothing, and harmless.
    assert!(tally.harmless > 0 && tally.detected > 0);
}

#[test]
fn sampled_data_and_table_bit_flips_are_detected_or_harmless() {
    let dir = tempfile::tempdir().unwrap();
    let (path, original) = store(dir.path());
    let len = std::fs::metadata(&path).unwrap().len();
    let mut tally = Tally::default();
    let mut rng = common::Rng(0x853c_49e6_748f_ea9b);
    for _ in 0..3000 {
        let bit = DATA as u64 * 8 + rng.next() % ((len - DATA as u64) * 8);
        let detected = flip(&path, bit, &mut tally, &original, "data/table");
        // CRC-32 catches every single-bit error in what a checksum covers:
        // the 3400 records and the table entry of the one full chunk. The
        // unused capacity, the unused table entry and the page padding
        // after the table hold nothing.
        let byte = bit / 8;
        let records = DATA as u64..DATA as u64 + 3400 * 20;
        let table = DATA as u64 + 6552 * 20;
        let covered = records.contains(&byte) || (table..table + 4).contains(&byte);
        assert_eq!(detected, covered, "bit {bit}");
    }
    println!("data and table: 3000 flips, {tally:?}");
}

#[test]
fn truncation_at_every_length_is_a_clean_error_or_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let (path, original) = store(dir.path());
    let full = std::fs::metadata(&path).unwrap().len();
    let f = FileOptions::new().write(true).open(&path).unwrap();
    let mut tally = Tally::default();
    for len in (0..full).rev() {
        f.set_len(len).unwrap();
        judge(&path, &original, &format!("truncated to {len}"), &mut tally);
    }
    println!("truncation: {full} lengths, {tally:?}");
    // Only cuts in the final page's padding leave the whole store.
    // The table: one entry for each chunk that can be full at capacity 6552.
    assert_eq!(tally.harmless, full - (DATA as u64 + 20 * 6552 + 4 * 2));
}
