//! Guards backward compatibility: golden files of every released format
//! version live in `tests/data/` forever and must keep opening with the same
//! content. A store built today by the same steps must also be
//! byte-identical to the golden file, so any change to what is written is a
//! deliberate format change, never an accident.
//!
//! `RECSTORE_BLESS=1 cargo test --test golden` writes a missing golden file;
//! it never overwrites one.

mod common;

use std::path::{Path, PathBuf};

use common::{vertex, Vertex};
use recstore::{RawStore, Record, Store};

fn golden(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

/// The steps that made `v1.0-colored-vertex.recs` (with a 1.0 writer),
/// `v1.1-colored-vertex.recs` (1.1) and `v1.2-colored-vertex.recs`.
fn build(path: &Path) {
    let mut s = Store::<Vertex>::create(path).unwrap();
    s.extend_from_slice(&(0..3000).map(vertex).collect::<Vec<_>>())
        .unwrap();
    s.flush().unwrap();
    s.extend((3000..5000).map(vertex)).unwrap(); // grows once
    s.get_mut(10).unwrap().color = [255, 0, 0];
    s.close().unwrap();
}

#[test]
fn v1_0_golden_file_opens_with_its_records() {
    let path = golden("v1.0-colored-vertex.recs");
    if !path.exists() && std::env::var_os("RECSTORE_BLESS").is_some() {
        build(&path);
    }
    check_golden(&path, (1, 0));
}

#[test]
fn v1_1_golden_file_opens_with_its_records() {
    let path = golden("v1.1-colored-vertex.recs");
    if !path.exists() && std::env::var_os("RECSTORE_BLESS").is_some() {
        build(&path);
    }
    check_golden(&path, (1, 1));
}

#[test]
fn v1_2_golden_file_opens_with_its_records() {
    let path = golden("v1.2-colored-vertex.recs");
    if !path.exists() && std::env::var_os("RECSTORE_BLESS").is_some() {
        build(&path);
    }
    check_golden(&path, (1, 2));
}

fn check_golden(path: &Path, version: (u16, u16)) {
    let s = Store::<Vertex>::open_read_only(path)
        .unwrap_or_else(|e| panic!("the golden file must exist and open: {e}"));
    assert_eq!(s.len(), 5000);
    for (i, v) in s.iter().enumerate() {
        let mut expected = vertex(i as u64);
        if i == 10 {
            expected.color = [255, 0, 0];
        }
        assert_eq!(*v, expected, "record {i}");
    }
    s.verify().unwrap();
    assert!(s.recovery().is_none());
    assert_eq!(s.schema(), Vertex::schema());
    // Without the Rust type too.
    let raw = RawStore::open_read_only(path).unwrap();
    assert_eq!(raw.info().format_version, version);
    assert_eq!(raw.schema().fingerprint(), 0xf152_1410_c7ec_6a7d);
}

#[test]
fn the_same_steps_today_write_the_same_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("today.recs");
    build(&path);
    let today = std::fs::read(&path).unwrap();
    let golden = std::fs::read(golden("v1.2-colored-vertex.recs")).unwrap();
    assert_eq!(today.len(), golden.len());
    let first = today.iter().zip(&golden).position(|(a, b)| a != b);
    assert_eq!(
        first, None,
        "the bytes differ first at offset {first:?}: the format changed"
    );
}

/// A 1.0 file stays readable by 1.0 readers while a 1.1 writer appends to
/// it: its durable commits take two syncs and never set `SLOT_ONE_SYNC`.
#[test]
fn a_writer_makes_no_one_sync_commit_in_a_1_0_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.recs");
    std::fs::copy(golden("v1.0-colored-vertex.recs"), &path).unwrap();
    let mut s = Store::<Vertex>::open(&path).unwrap();
    for round in 0..3 {
        s.extend((0..4000).map(|i| vertex(5000 + round * 4000 + i)))
            .unwrap();
        s.flush().unwrap();
        let file = std::fs::read(&path).unwrap();
        for slot in [512, 1024] {
            assert_eq!(file[slot + 32], 0, "slot at {slot} after flush {round}");
        }
    }
    assert_eq!(s.info().format_version, (1, 0));
    // As if the writer were killed: no clean close.
    std::mem::forget(s);
    let reopened = Store::<Vertex>::open_read_only(&path).unwrap();
    assert_eq!(reopened.len(), 17_000);
    reopened.verify().unwrap();
}

/// A 1.1 file keeps its layout and minor version when a 1.2 writer appends
/// to it (slots at 512 and 1024, where 1.1 readers look), and the bytes
/// where 1.2 puts its slots are records as before.
#[test]
fn a_1_1_file_keeps_its_layout_when_a_1_2_writer_appends() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.recs");
    std::fs::copy(golden("v1.1-colored-vertex.recs"), &path).unwrap();
    let before = std::fs::read(&path).unwrap();
    let mut s = Store::<Vertex>::open(&path).unwrap();
    s.extend((5000..9000).map(vertex)).unwrap();
    s.flush().unwrap();
    s.close().unwrap();
    let after = std::fs::read(&path).unwrap();
    assert_eq!(after[..8], before[..8]);
    assert_eq!(
        u16::from_le_bytes([after[10], after[11]]),
        1,
        "minor version kept"
    );
    let seq = |f: &[u8], o: usize| u64::from_le_bytes(f[o..o + 8].try_into().unwrap());
    assert!(seq(&after, 512) > seq(&before, 512) && seq(&after, 1024) > seq(&before, 1024));
    let s = Store::<Vertex>::open_read_only(&path).unwrap();
    assert_eq!(s.len(), 9000);
    assert_eq!(s.info().format_version, (1, 1));
    s.verify().unwrap();
}

/// The schema of `v1.2-tagged-reading.recs`: the bundled
/// `schemas/tagged_reading.toml` (text and bool fields, format 1.2).
fn tagged_schema() -> recstore::Schema {
    recstore::schema_file::load(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/tagged_reading.toml"),
    )
    .unwrap()
}

/// Record `i` of `v1.2-tagged-reading.recs`: texts that fill their room
/// exactly (record 7's label, every `°C` unit: `°` is two bytes), empty
/// ones, multi-byte characters, and both bools.
fn tagged(i: u64) -> Vec<u8> {
    let mut r = Vec::with_capacity(32);
    r.extend_from_slice(&(1_700_000_000_000_000_000 + i * 1000).to_le_bytes());
    r.extend_from_slice(&(i as f32 * 0.5).to_le_bytes());
    let label = match i {
        7 => "0123456789abcdef".to_string(),
        11 => String::new(),
        13 => "Grüße ✓".to_string(),
        _ => format!("sensor-{i}"),
    };
    let unit = ["°C", "K", "", "Pa"][i as usize % 4];
    for (text, room) in [(label.as_str(), 16), (unit, 3)] {
        let mut field = text.as_bytes().to_vec();
        field.resize(room, 0);
        r.extend_from_slice(&field);
    }
    r.push(u8::from(!i.is_multiple_of(3)));
    r
}

/// The steps that made `v1.2-tagged-reading.recs`.
fn build_tagged(path: &Path) {
    let mut s = RawStore::create(path, &tagged_schema()).unwrap();
    s.extend_from_bytes(&(0..100).flat_map(tagged).collect::<Vec<_>>())
        .unwrap();
    s.close().unwrap();
}

#[test]
fn v1_2_tagged_golden_file_opens_with_its_texts_and_bools() {
    let path = golden("v1.2-tagged-reading.recs");
    if !path.exists() && std::env::var_os("RECSTORE_BLESS").is_some() {
        build_tagged(&path);
    }
    let raw = RawStore::open_read_only(&path)
        .unwrap_or_else(|e| panic!("the golden file must exist and open: {e}"));
    assert_eq!(raw.info().format_version, (1, 2));
    assert_eq!(raw.schema(), &tagged_schema());
    assert_eq!(raw.schema().fingerprint(), 0xaf98_3b27_b64a_33af);
    raw.verify().unwrap();
    assert_eq!(raw.len(), 100);
    for (i, r) in raw.records().enumerate() {
        assert_eq!(r, &tagged(i as u64)[..], "record {i}");
    }
    let values = |i: usize| -> Vec<String> {
        let r = raw.record(i).unwrap();
        raw.schema()
            .fields()
            .iter()
            .flat_map(|f| f.values(r))
            .map(|v| v.to_string())
            .collect()
    };
    assert_eq!(
        values(7),
        [
            "1700000000000007000",
            "3.5",
            "0123456789abcdef",
            "Pa",
            "true"
        ]
    );
    assert_eq!(
        values(12),
        ["1700000000000012000", "6", "sensor-12", "°C", "false"]
    );
    assert_eq!(values(13)[2], "Grüße ✓");
}

#[test]
fn the_same_steps_today_write_the_same_tagged_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("today.recs");
    build_tagged(&path);
    let today = std::fs::read(&path).unwrap();
    let golden = std::fs::read(golden("v1.2-tagged-reading.recs")).unwrap();
    assert_eq!(today.len(), golden.len());
    let first = today.iter().zip(&golden).position(|(a, b)| a != b);
    assert_eq!(
        first, None,
        "the bytes differ first at offset {first:?}: the format changed"
    );
}
