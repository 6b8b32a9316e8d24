//! Facts about an open store and the small types its handles report: the
//! [`Mode`] it was opened in, how it reads its records ([`ReadPath`]), what
//! open had to recover from ([`Recovery`]) and the [`StoreInfo`] summary.
//! All of them are re-exported at the crate root.

use crate::error::SlotProblem;

/// How a store is opened, and so how its file is mapped
/// ([`OpenOptions::mode`](crate::OpenOptions::mode)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// A reader: a read-only shared mapping, holding the readers' lock.
    ReadOnly,
    /// The writer: a writable shared mapping, holding the writer lock;
    /// writes reach the file.
    ReadWrite,
    /// A snapshot: a reader until its first change, which copies the file
    /// into this process's memory; changes stay there.
    CopyOnWrite,
}

/// What open had to do because a commit slot was unusable: the store was
/// opened at the other slot's commit. Returned by `recovery()` on stores and
/// readers, and reported by `verify`; never silent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recovery {
    /// The slot whose commit is in effect.
    pub slot_used: usize,
    /// The sequence number of that commit.
    pub sequence: u64,
    /// The slot that was rejected.
    pub rejected_slot: usize,
    /// Why it was rejected. A checksum failure right after a crash is the
    /// expected trace of a commit that was cut off; at any other time it
    /// means the header was damaged.
    pub problem: SlotProblem,
}

impl std::fmt::Display for Recovery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "commit slot {} was rejected ({}); opened at commit {} from slot {}",
            self.rejected_slot, self.problem, self.sequence, self.slot_used
        )
    }
}

/// Facts about a store, for display (all O(1) to gather). Record counts
/// are `usize` and byte offsets `u64`, as on every handle.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct StoreInfo {
    /// Format version of the file, `(major, minor)`.
    pub format_version: (u16, u16),
    /// Records this handle sees (a writer's include those not yet
    /// committed; through a window, the store's committed records, not the
    /// window's).
    pub len: usize,
    /// Capacity in records.
    pub capacity: usize,
    /// Sequence number of the commit in effect.
    pub sequence: u64,
    /// Whether that commit was published without a disk sync.
    pub unsynced: bool,
    /// Whether that commit was made durable with a single sync (format
    /// 1.1; see `docs/FORMAT.md`, "Commit protocol").
    pub one_sync: bool,
    /// Byte offset of the first record.
    pub data_offset: u64,
    /// Records per checksum chunk.
    pub chunk_records: usize,
    /// Length of the file when mapped (through a window: now).
    pub file_len: u64,
    /// How the records are read: mapped, or loaded into memory (and why).
    pub read_path: ReadPath,
    /// The records this handle shows, if it was opened on a window
    /// ([`OpenOptions::window`](crate::OpenOptions::window)); `None` for
    /// the whole store.
    pub window: Option<std::ops::Range<usize>>,
    /// Bytes of the file this handle maps or read into memory: the whole
    /// file, or, for a window, only the checksum chunks overlapping it.
    pub mapped_len: u64,
}

/// How a handle reads its records (see [`StoreInfo::read_path`](crate::StoreInfo::read_path)).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReadPath {
    /// Borrowed from a memory mapping of the file (the default).
    Mapped,
    /// Read into this handle's memory with ordinary reads, without a
    /// mapping of the file.
    Loaded {
        /// Why the file was not mapped: `None` when
        /// [`OpenOptions::mmap`](crate::OpenOptions::mmap)`(false)` asked
        /// for it, else the error the system gave when asked to map it.
        map_error: Option<String>,
    },
}

impl ReadPath {
    /// Whether the records are borrowed from a mapping of the file.
    pub fn is_mapped(&self) -> bool {
        matches!(self, ReadPath::Mapped)
    }

    /// A one-word name: `"mapped"` or `"loaded"`.
    pub fn name(&self) -> &'static str {
        match self {
            ReadPath::Mapped => "mapped",
            ReadPath::Loaded { .. } => "loaded",
        }
    }
}

impl std::fmt::Display for ReadPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadPath::Mapped => f.write_str("mapped (memory-mapped file)"),
            ReadPath::Loaded { map_error: None } => {
                f.write_str("loaded (read into memory, mmap turned off)")
            }
            ReadPath::Loaded { map_error: Some(e) } => write!(
                f,
                "loaded (read into memory, the file could not be mapped: {e})"
            ),
        }
    }
}
