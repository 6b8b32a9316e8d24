//! Guards that `docs/FORMAT.md` is enough to read a store without
//! recstore: `tests/python/read_store.py`, written from the doc alone, checks
//! the header, picks the commit slot, verifies every chunk with `zlib.crc32`
//! and maps the records with `numpy.memmap`; its answers must equal what
//! the Rust writer wrote, and it must find the same bad chunk as `verify`.
//!
//! Needs python3 with numpy (`scripts/setup-python.sh` installs it); fails,
//! never skips, without them.

mod common;

use std::path::Path;
use std::process::Command;

use common::{fix_crc, patch, vertex, Vertex, DATA, SLOTS};
use recstore::{Error, Record, Store};
use zerocopy::byteorder::{BigEndian, U16, U64};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

fn python_read(path: &Path) -> (bool, String) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/read_store.py");
    let out = Command::new("python3")
        .arg(script)
        .arg(path)
        .output()
        .expect("python3 must be installed to run this test (scripts/setup-python.sh)");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("No module named"),
        "numpy is missing: run scripts/setup-python.sh\n{stderr}"
    );
    (
        out.status.success(),
        String::from_utf8(out.stdout).unwrap() + &stderr,
    )
}

fn line<'a>(out: &'a str, key: &str) -> &'a str {
    out.lines()
        .find_map(|l| l.strip_prefix(&format!("{key}: ")))
        .unwrap_or_else(|| panic!("no `{key}` in:\n{out}"))
}

#[test]
fn numpy_reads_what_rust_wrote() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v.recs");
    let n = 10_000u64;
    let mut s = Store::<Vertex>::create(&path).unwrap();
    s.extend((0..n).map(vertex)).unwrap();
    s.flush().unwrap();
    s.push(&vertex(n)).unwrap();
    s.publish().unwrap(); // the newest commit is an unsynced one from this boot
    std::mem::forget(s);

    let (ok, out) = python_read(&path);
    assert!(ok, "{out}");
    let count = n + 1;
    assert_eq!(line(&out, "record"), "Vertex");
    assert_eq!(line(&out, "count"), count.to_string());
    assert_eq!(
        line(&out, "verified_chunks"),
        count.div_ceil(65536 / 20).to_string()
    );
    let all: Vec<Vertex> = (0..count).map(vertex).collect();
    let color_sum: u64 = all.iter().flat_map(|v| v.color).map(u64::from).sum();
    assert_eq!(line(&out, "sum color"), color_sum.to_string());
    let last = all.last().unwrap();
    assert_eq!(line(&out, "first position"), "[0.0, 0.0, -0.0]");
    assert_eq!(
        line(&out, "last position"),
        format!(
            "[{:?}, {:?}, {:?}]",
            last.position[0] as f64, last.position[1] as f64, last.position[2] as f64
        )
    );
    assert_eq!(
        line(&out, "last color"),
        format!("[{}, {}, {}]", last.color[0], last.color[1], last.color[2])
    );
}

#[derive(Record, FromBytes, IntoBytes, KnownLayout, Immutable, Clone, Copy)]
#[repr(C)]
struct Packet {
    id: U64<BigEndian>,
    port: U16<BigEndian>,
    kind: u8,
    _pad: [u8; 5],
}

#[test]
fn numpy_reads_explicit_byte_order() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.recs");
    let mut s = Store::<Packet>::create(&path).unwrap();
    for i in 0..100u64 {
        s.push(&Packet {
            id: U64::new(i << 40),
            port: U16::new(8000 + i as u16),
            kind: 7,
            _pad: [0; 5],
        })
        .unwrap();
    }
    s.close().unwrap();
    let (ok, out) = python_read(&path);
    assert!(ok, "{out}");
    assert_eq!(line(&out, "last port"), "8099");
    assert_eq!(line(&out, "first id"), "0");
    assert_eq!(line(&out, "last id"), (99u64 << 40).to_string());
    assert_eq!(line(&out, "sum kind"), "700");
}

#[test]
fn python_and_rust_find_the_same_bad_chunk() {
    let dir = tempfile::tempdir().unwrap();
    let path = common::vertex_store(dir.path(), "v.recs", 20_000);
    patch(&path, DATA + 12_345 * 20 + 13, &[0x42]);
    let chunk = match Store::<Vertex>::open_read_only(&path).unwrap().verify() {
        Err(Error::ChecksumMismatch { chunk, .. }) => chunk,
        other => panic!("{other:?}"),
    };
    let (ok, out) = python_read(&path);
    assert!(!ok);
    assert_eq!(out.trim(), format!("error: bad chunk {chunk}"));
}

/// Rule 7 of the format, read from the doc by both readers: a one-sync
/// commit written before a reboot is trusted only if what it added checks
/// out; otherwise both fall back to the commit before it.
#[test]
fn python_and_rust_check_a_one_sync_commit_from_an_earlier_boot() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v.recs");
    let mut s = Store::<Vertex>::create(&path).unwrap();
    s.extend((0..10_000).map(vertex)).unwrap();
    s.flush().unwrap();
    s.extend((10_000..12_000).map(vertex)).unwrap();
    s.flush().unwrap();
    std::mem::forget(s); // as if killed: both slots hold one-sync commits
                         // As after a reboot: the slots carry another boot id.
    for slot in SLOTS {
        assert_eq!(std::fs::read(&path).unwrap()[slot + 32], 2, "one-sync");
        patch(&path, slot + 40, &[0xee; 16]);
        fix_crc(&path, slot);
    }
    let (ok, out) = python_read(&path);
    assert!(ok, "{out}");
    assert_eq!(line(&out, "count"), "12000");
    assert_eq!(line(&out, "checked_one_sync"), "True");
    let rust = Store::<Vertex>::open_read_only(&path).unwrap();
    assert_eq!((rust.len(), rust.recovery()), (12_000, None));
    drop(rust);

    // Record 11,000 never reached the disk: the newest commit fails its
    // check, and both readers take the one before it.
    patch(&path, DATA + 11_000 * 20, &[0; 20]);
    let (ok, out) = python_read(&path);
    assert!(ok, "{out}");
    assert_eq!(line(&out, "count"), "10000");
    let rust = Store::<Vertex>::open_read_only(&path).unwrap();
    assert_eq!(rust.len(), 10_000);
    let recovery = rust.recovery().expect("the fallback is reported");
    assert!(
        recovery
            .to_string()
            .contains("records 9828..12000 do not match"),
        "{recovery}"
    );
}

/// Type codes 11 (`bool`, numpy `b1`) and 12 (`text`, one `S<count>`)
/// read from the doc alone, on the golden file that holds them.
#[test]
fn numpy_reads_text_and_bool_fields() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/v1.2-tagged-reading.recs");
    let (ok, out) = python_read(&path);
    assert!(ok, "{out}");
    assert_eq!(line(&out, "record"), "TaggedReading");
    assert_eq!(line(&out, "first label"), "sensor-0");
    assert_eq!(line(&out, "last label"), "sensor-99");
    assert_eq!(line(&out, "first unit"), "°C");
    assert_eq!(line(&out, "last unit"), "Pa");
    // Records 0..100 with i % 3 != 0 are valid: 66 of them.
    assert_eq!(line(&out, "sum valid"), "66");
    assert_eq!(line(&out, "first valid"), "False");
    assert_eq!(line(&out, "last valid"), "False");
}
