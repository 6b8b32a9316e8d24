//! The colour vertex shared by recstore's integration tests (`tests/`), the
//! fuzz targets (`fuzz/`) and the benchmarks (`benches/`): one definition,
//! so a test, a fuzz corpus and a benchmark always mean the same 20 bytes.
//!
//! Its layout is the mesh crate's `recstore_mesh::ColoredVertex` and the
//! bundled `schemas/colored_vertex.toml` (`tests/same_layout.rs` checks
//! both); only the record name differs (`Vertex`), which the golden files
//! and the tests' expected messages carry. Teaching code (`examples/`, the
//! crate docs and the README) keeps its own short definition on purpose, so
//! that it reads on its own.

use recstore::Record;
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

/// A mesh vertex: 3 × `f32` position, 3 × `u16` colour, 2 explicit padding
/// bytes; 20 bytes, 4-byte aligned.
#[derive(Record, FromBytes, IntoBytes, KnownLayout, Immutable, Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(
    feature = "rkyv",
    derive(rkyv::Archive, rkyv::Serialize, rkyv::Deserialize)
)]
#[repr(C)]
pub struct Vertex {
    /// Position.
    pub position: [f32; 3],
    /// Red, green and blue.
    pub color: [u16; 3],
    /// Explicit padding to the 4-byte alignment; zero.
    pub _pad: [u8; 2],
}

/// A deterministic vertex for index `i`: every field differs between
/// neighbours, so a record read from the wrong place shows.
pub fn vertex(i: u64) -> Vertex {
    let f = i as f32;
    Vertex {
        position: [f, f * 0.5, -f],
        color: [
            (i % 65536) as u16,
            (i / 65536) as u16,
            (i.wrapping_mul(7) % 65536) as u16,
        ],
        _pad: [0; 2],
    }
}
