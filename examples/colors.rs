//! The seed's example, end to end: mesh vertices with a position and a
//! colour (20-byte stride, 2 padding bytes) written to a store, reopened,
//! printed, shown byte by byte, verified.
//!
//! `cargo run --release --example colors [PATH]` (default: a temporary file).

use std::time::Instant;

use recstore::{inspect, RawStore, Record, Store};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

/// One mesh vertex, as a GPU wants it.
// Teaching code: the example defines its vertex itself so that it reads on
// its own. The tests, fuzz targets and benchmarks share one definition of
// the same layout instead, `recstore_testkit::Vertex` (testkit/).
#[derive(Record, FromBytes, IntoBytes, KnownLayout, Immutable, Clone, Copy, Debug, PartialEq)]
#[repr(C)]
struct Vertex {
    position: [f32; 3],
    color: [u16; 3],
    _pad: [u8; 2],
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let path = match std::env::args_os().nth(1) {
        Some(p) => p.into(),
        None => dir.path().join("colors.recs"),
    };
    println!("schema:\n{}", Vertex::schema());

    // Write: a red, a green and a blue vertex, then a million more.
    let start = Instant::now();
    let mut store = Store::<Vertex>::create(&path)?;
    store.extend_from_slice(&[
        Vertex {
            position: [1.0, 2.0, 3.0],
            color: [65535, 0, 0],
            _pad: [0; 2],
        },
        Vertex {
            position: [4.0, 5.0, 6.0],
            color: [0, 65535, 0],
            _pad: [0; 2],
        },
        Vertex {
            position: [7.0, 8.0, 9.0],
            color: [0, 0, 65535],
            _pad: [0; 2],
        },
    ])?;
    let grid: Vec<Vertex> = (0..1_000_000u32)
        .map(|i| Vertex {
            position: [(i % 1000) as f32, (i / 1000) as f32, 0.0],
            color: [(i % 256) as u16 * 257, 32768, (255 - i % 256) as u16 * 257],
            _pad: [0; 2],
        })
        .collect();
    store.extend_from_slice(&grid)?;
    store.close()?;
    let written = start.elapsed();

    // Reopen: no parse, no copy; the slice points into the mapping.
    let start = Instant::now();
    let store = Store::<Vertex>::open_read_only(&path)?;
    let all: &[Vertex] = &store[..];
    let opened = start.elapsed();
    println!(
        "{} vertices in {} ({} bytes); written in {written:.1?}, reopened in {opened:.1?}",
        all.len(),
        path.display(),
        std::fs::metadata(&path)?.len()
    );
    for (i, v) in all.iter().take(3).enumerate() {
        println!(
            "  vertex {i}: position {:?}, color {:?}",
            v.position, v.color
        );
    }

    // The same bytes, field by field, through the schema stored in the file.
    let raw = RawStore::open_read_only(&path)?;
    let stride = raw.schema().stride();
    println!(
        "\nthe first records as stored (data starts at byte {}):",
        store.data_offset()
    );
    for i in 0..3 {
        let offset = store.data_offset() + i * stride;
        print!(
            "{}",
            inspect::annotate(raw.schema(), i, offset, raw.record(i as usize).unwrap())
        );
    }

    let start = Instant::now();
    store.verify()?;
    println!(
        "\nverified {} bytes of records in {:.1?}: every checksum matches",
        all.len() as u64 * stride,
        start.elapsed()
    );
    Ok(())
}
