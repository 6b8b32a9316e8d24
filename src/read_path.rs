//! The read path: how a handle gets at the records. By default they are
//! borrowed from a memory mapping of the file. Where the file cannot be
//! mapped (a filesystem without mmap support: some network, FUSE or
//! special filesystems refuse it with `ENODEV`, `EACCES` or `EINVAL`), or
//! where the caller asked ([`OpenOptions::mmap`](crate::OpenOptions::mmap)),
//! a reader reads its committed records instead with ordinary reads
//! (`pread`) into page-aligned memory of its own, and borrows them from
//! there: the same `&T` / `&[T]`, checksums and errors, at the cost of one
//! copy of the records and of the memory they take. `refresh` reads only
//! the records a new commit added.
//!
//! Only readers can do without a mapping: a writer writes through its
//! mapping, so opening one fails where the file cannot be mapped.

use std::fs::File;
use std::io;
use std::path::Path;

use crate::config::Config;
use crate::error::{Error, Result, SlotProblem};
use crate::format::{Commit, Layout};
use crate::info::{Mode, ReadPath};
use crate::map::Mapping;

/// The mapping of the first `len` bytes of `file` for a handle opened
/// with `opts`, or, for a reader whose file cannot be mapped or that was
/// asked not to map it, an empty loaded buffer of that length (filled by
/// [`load_committed`]).
pub(crate) fn map_or_load(
    file: &File,
    len: u64,
    opts: &Config,
    path: &Path,
) -> Result<(Mapping, ReadPath)> {
    let writer = opts.mode == Mode::ReadWrite;
    let error = if opts.mmap || writer {
        let mapped = if opts.fail_map {
            Err(refused_by_test_hook())
        } else {
            Mapping::new(file, len, opts.mode)
        };
        match mapped {
            Ok(map) => return Ok((map, ReadPath::Mapped)),
            Err(e) if writer => {
                let why = format!(
                    "{e}; a writer needs a memory mapping of the file: keep the store on a \
                     filesystem that can map files, or open it read-only, which reads the \
                     records without a mapping"
                );
                return Err(Error::io(
                    "map for writing",
                    path,
                    io::Error::new(e.kind(), why),
                ));
            }
            Err(e) => Some(e.to_string()),
        }
    } else {
        None
    };
    let map = Mapping::loaded(len).map_err(|e| Error::io("allocate memory to read", path, e))?;
    Ok((map, ReadPath::Loaded { map_error: error }))
}

/// The error a filesystem without mmap support gives (`ENODEV`), for the
/// test hook [`OpenOptions::fail_map`].
fn refused_by_test_hook() -> io::Error {
    #[cfg(unix)]
    return io::Error::from(rustix::io::Errno::NODEV);
    #[cfg(not(unix))]
    io::Error::new(io::ErrorKind::Unsupported, "mapping refused")
}

/// For a loaded buffer: reads the records from `from` to the largest count
/// of the valid `slots` (each checked by `decode_slot` to fit in the file
/// as long as the buffer), so that whichever commit is chosen, and the
/// check of a one-sync commit, find its records in memory. Records below
/// `from` were loaded before and, being committed, have not changed (the
/// sharing rule, `crate::map`). A no-op for a mapping.
pub(crate) fn load_committed(
    map: &mut Mapping,
    file: &File,
    layout: &Layout,
    slots: &[std::result::Result<Commit, SlotProblem>; 2],
    from: u64,
) -> io::Result<()> {
    if !map.is_loaded() {
        return Ok(());
    }
    let to = slots.iter().flatten().map(|c| c.count).max().unwrap_or(0);
    if to <= from {
        return Ok(());
    }
    let offset = |records: u64| {
        records
            .checked_mul(layout.stride)
            .and_then(|bytes| bytes.checked_add(layout.data_offset))
            .and_then(|end| usize::try_from(end).ok())
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "records past the file"))
    };
    map.load(file, offset(from)?..offset(to)?)
}
