//! The bench crate's only `unsafe`: mapping a file read-only and opening an
//! LMDB environment, both of which the OS lets another process change
//! under us. The bench's own files are written before and never changed
//! while mapped.

use std::path::Path;

/// heed's database of record bytes keyed by big-endian index.
pub type HeedDb = heed::Database<heed::types::U64<heed::byteorder::BE>, heed::types::Bytes>;

/// Maps `path` read-only.
pub fn map(path: &Path) -> memmap2::Mmap {
    let file = std::fs::File::open(path).unwrap();
    // SAFETY: the bench's files are written once, before any map, and no
    // process truncates or writes them while mapped.
    unsafe { memmap2::Mmap::map(&file) }.unwrap()
}

/// Opens (or creates) the LMDB environment in `dir`.
pub fn heed_env(dir: &Path) -> heed::Env {
    let mut options = heed::EnvOpenOptions::new();
    options.map_size(8 << 30).max_dbs(1);
    // SAFETY: heed requires that the environment is opened once per
    // process and not changed by others while mapped: each call site opens
    // and drops it in turn, and only this bench touches the directory.
    unsafe { options.open(dir) }.unwrap()
}
