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
//! A *window* ([`OpenOptions::window`](crate::OpenOptions::window)) maps,
//! or loads, only the bytes of the checksum chunks that overlap its
//! records ([`open_window`]).
//!
//! Only readers can do without a mapping: a writer writes through its
//! mapping, so opening one fails where the file cannot be mapped.

use std::fs::File;
use std::io;
use std::path::Path;

use crate::config::{Config, Window};
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
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "records past the file"))
    };
    map.load(file, offset(from)?..offset(to)?)
}

/// The records `window` stands for in a store of `count` committed records,
/// or [`Error::WindowOutOfRange`].
pub(crate) fn resolve_window(
    window: Window,
    count: u64,
    path: &Path,
) -> Result<std::ops::Range<u64>> {
    let end = window.end.unwrap_or(count);
    if window.start > end || end > count {
        return Err(Error::WindowOutOfRange {
            path: path.to_path_buf(),
            start: window.start,
            end,
            count,
        });
    }
    Ok(window.start..end)
}

/// The bytes of `file` a window of `records` (inside the `count` committed
/// records) needs: the chunks overlapping it, up to the committed count,
/// from the page their first byte lies in. Empty for an empty window.
pub(crate) fn window_bytes(
    layout: &Layout,
    records: &std::ops::Range<u64>,
    count: u64,
) -> Option<std::ops::Range<u64>> {
    if records.is_empty() {
        return Some(0..0);
    }
    let c = layout.chunk_records;
    let first = records.start / c * c;
    let last = records.end.div_ceil(c).checked_mul(c)?.min(count);
    let at = |record: u64| {
        record
            .checked_mul(layout.stride)?
            .checked_add(layout.data_offset)
    };
    let start = at(first)? / crate::format::PAGE_SIZE * crate::format::PAGE_SIZE;
    Some(start..at(last)?)
}

/// A reader's mapping of the window `window` of a store of `count`
/// committed records whose file is `file_len` bytes long: only the bytes
/// [`window_bytes`] names, mapped, or read into memory where mapping fails
/// or `opts` turned it off (as [`map_or_load`] does for a whole store).
/// Returns the window's records, the mapping and how it reads them.
pub(crate) fn open_window(
    file: &File,
    layout: &Layout,
    count: u64,
    file_len: u64,
    opts: &Config,
    path: &Path,
) -> Result<(std::ops::Range<u64>, Mapping, ReadPath)> {
    let window = opts.window.expect("a windowed open");
    let records = resolve_window(window, count, path)?;
    let bytes = window_bytes(layout, &records, count)
        .filter(|b| b.end <= file_len)
        .ok_or_else(|| Error::FileTooSmall {
            path: path.to_path_buf(),
            len: file_len,
            needed: layout
                .data_offset
                .saturating_add(count.saturating_mul(layout.stride)),
            what: "the committed records",
        })?;
    if bytes.is_empty() {
        let map = Mapping::empty().map_err(|e| Error::io("map", path, e))?;
        let read_path = if opts.mmap {
            ReadPath::Mapped
        } else {
            ReadPath::Loaded { map_error: None }
        };
        return Ok((records, map, read_path));
    }
    let error = if opts.mmap {
        let mapped = if opts.fail_map {
            Err(refused_by_test_hook())
        } else {
            Mapping::window(file, bytes.clone())
        };
        match mapped {
            Ok(map) => return Ok((records, map, ReadPath::Mapped)),
            Err(e) => Some(e.to_string()),
        }
    } else {
        None
    };
    let mut map = Mapping::loaded_window(bytes.clone())
        .map_err(|e| Error::io("allocate memory to read", path, e))?;
    map.load(file, bytes)
        .map_err(|e| Error::io("read", path, e))?;
    Ok((records, map, ReadPath::Loaded { map_error: error }))
}
