//! Record types and helpers shared by the integration tests.
#![allow(dead_code)]

use recstore::Record;
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

/// The seed's colour vertex, flat: 20 bytes.
#[derive(Record, FromBytes, IntoBytes, KnownLayout, Immutable, Clone, Copy, Debug, PartialEq)]
#[repr(C)]
pub struct Vertex {
    pub position: [f32; 3],
    pub color: [u16; 3],
    pub _pad: [u8; 2],
}

/// A deterministic vertex for index `i`.
pub fn vertex(i: u64) -> Vertex {
    let f = i as f32;
    Vertex {
        position: [f, f * 0.5, -f],
        color: [(i % 65536) as u16, (i / 65536) as u16, (i.wrapping_mul(7) % 65536) as u16],
        _pad: [0; 2],
    }
}

/// A sensor reading: 24 bytes.
#[derive(Record, FromBytes, IntoBytes, KnownLayout, Immutable, Clone, Copy, Debug, PartialEq)]
#[repr(C)]
pub struct Reading {
    pub timestamp_ns: u64,
    pub sensor: u32,
    pub flags: u32,
    pub value: f64,
}

pub fn reading(i: u64) -> Reading {
    Reading {
        timestamp_ns: 1_000_000 * i,
        sensor: (i % 7) as u32,
        flags: (i % 3) as u32,
        value: i as f64 * 0.25,
    }
}
