//! Record types and helpers shared by the integration tests.
#![allow(dead_code)]

use recstore::Record;
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

/// The seed's colour vertex (20 bytes) and a deterministic one for index
/// `i`: one definition shared with the fuzz targets and the benchmarks.
pub use recstore_testkit::{vertex, Vertex};

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

use std::path::{Path, PathBuf};

/// Creates a closed store of `n` vertices at `dir/name` and returns its path.
pub fn vertex_store(dir: &Path, name: &str, n: u64) -> PathBuf {
    let path = dir.join(name);
    let mut s = recstore::Store::<Vertex>::create(&path).unwrap();
    s.extend((0..n).map(vertex)).unwrap();
    s.close().unwrap();
    path
}

/// A new store at `dir/name` of 9,000 records with room for 10,000,
/// flushed, and its writer: appending 1,000 more grows it, which moves
/// the checksum table (the case of the retries at a newer commit).
pub fn nearly_full<T: Record>(
    dir: &Path,
    name: &str,
    record: fn(u64) -> T,
) -> (PathBuf, recstore::Store<T>) {
    let path = dir.join(name);
    let mut writer = recstore::OpenOptions::new()
        .create_new(true)
        .initial_capacity(10_000)
        .open::<T>(&path)
        .unwrap();
    writer.extend((0..9_000).map(record)).unwrap();
    writer.flush().unwrap();
    (path, writer)
}

/// Rewrites bytes of a file in place.
pub fn patch(path: &Path, offset: usize, bytes: &[u8]) {
    let mut data = std::fs::read(path).unwrap();
    data[offset..offset + bytes.len()].copy_from_slice(bytes);
    std::fs::write(path, data).unwrap();
}

/// Recomputes the CRC-32 in the last four bytes of the 128-byte structure
/// at `offset` (the superblock or a commit slot), as another tool would.
pub fn fix_crc(path: &Path, offset: usize) {
    let data = std::fs::read(path).unwrap();
    let crc = crc32fast::hash(&data[offset..offset + 124]);
    patch(path, offset + 124, &crc.to_le_bytes());
}

/// A seeded xorshift64 generator: reproducible randomness for tests.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A number below `n`.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Where a store this build creates (format 1.2) keeps its commit slots
/// (a page each, right before the data) and where its data begins, for a
/// schema block that fits the first page (`docs/FORMAT.md`).
pub const SLOTS: [usize; 2] = [4096, 8192];
/// See [`SLOTS`].
pub const DATA: usize = 3 * 4096;
