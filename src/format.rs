//! The on-disk format, version 1: constants, the superblock, the commit
//! slots, the schema block's codec ([`Schema::encode`], [`Schema::decode`]),
//! and where everything lies for a given capacity. The one module that is
//! the file's specification in code: `crate::inspect` takes its offsets
//! from the structures here.
//!
//! Pure, safe code over byte slices: everything here can be tested and
//! fuzzed on a `Vec<u8>`. `docs/FORMAT.md` is the specification; the test
//! `tests/format_doc.rs` pins the constants below to it.

use zerocopy::little_endian::{U16, U32, U64};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout, Unaligned};

use std::path::Path;

use crate::error::{Error, HeaderProblem, Result, SlotProblem};
use crate::schema::{
    check_field_name, check_record_name, Endian, Field, Primitive, Schema, SchemaProblem,
    MAX_FIELDS,
};

/// The first eight bytes of every recstore file. Like PNG's, the high byte
/// and the CR LF / SUB / LF catch transfers that mangle binary files.
pub const MAGIC: [u8; 8] = *b"\x89RST\r\n\x1a\n";
/// The format major version this build writes and reads.
pub const VERSION_MAJOR: u16 = 1;
/// The format minor version this build writes. 1.1 added one-sync
/// commits (`SLOT_ONE_SYNC`); a writer uses them only in files whose
/// superblock says 1.1 or later. 1.2 moved the commit slots to pages of
/// their own ([`SLOT_PAGES_MINOR`]).
pub const VERSION_MINOR: u16 = 2;
/// From this minor version on, each commit slot lies at the start of a
/// 4 KiB page of its own, the two pages right before the data region
/// (`data_offset - 8192` and `data_offset - 4096`), so that a commit never
/// rewrites a disk sector holding the other slot, the superblock or the
/// schema, whatever the disk's sector size. Earlier files keep
/// [`SLOT_OFFSETS`].
pub const SLOT_PAGES_MINOR: u16 = 2;
/// The format's page size: the header region and the data region start on
/// multiples of it, whatever the OS page size.
pub const PAGE_SIZE: u64 = 4096;
/// Length of the superblock, at offset 0.
pub const SUPERBLOCK_LEN: usize = 128;
/// Offsets of the two commit slots in format 1.0 and 1.1 files (each in
/// its own 512-byte sector of the first page); see [`SLOT_PAGES_MINOR`].
pub const SLOT_OFFSETS: [usize; 2] = [512, 1024];
/// Length of one commit slot.
pub const SLOT_LEN: usize = 128;
/// Offset of the schema block.
pub const SCHEMA_OFFSET: usize = 1536;
/// Largest schema block.
pub const MAX_SCHEMA_LEN: usize = 1 << 20;
/// Bytes of data each checksum chunk covers, at most (a chunk holds a whole
/// number of records, at least one).
pub const CHUNK_TARGET_BYTES: u64 = 64 * 1024;
/// Length of one checksum table entry (a little-endian CRC-32).
pub const TABLE_ENTRY_LEN: u64 = 4;
/// Slot flag: published without a disk sync (see `docs/FORMAT.md`).
pub const SLOT_UNSYNCED: u32 = 1;
/// Slot flag (1.1): made durable with a single sync, so after a reboot it
/// is trusted only once what it added checks out (see `docs/FORMAT.md`).
pub const SLOT_ONE_SYNC: u32 = 2;
/// The oldest minor version whose writers may set `SLOT_ONE_SYNC`.
pub const ONE_SYNC_MINOR: u16 = 1;
/// The most bytes of records a one-sync commit may leave to check
/// (`(count - checked_from) × stride`). A writer takes two syncs rather
/// than write a larger check, and a reader rejects a slot that claims one,
/// so a hostile file cannot make open checksum more than this.
pub const ONE_SYNC_MAX_CHECK: u64 = 256 << 20;

/// The superblock: written once when the store is created, never changed.
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned, Clone)]
#[repr(C)]
pub(crate) struct Superblock {
    pub magic: [u8; 8],
    pub version_major: U16,
    pub version_minor: U16,
    pub flags: U32,
    pub page_size: U32,
    pub data_offset: U32,
    pub schema_offset: U32,
    pub schema_len: U32,
    pub fingerprint: U64,
    pub schema_crc: U32,
    pub chunk_records: U32,
    pub stride: U32,
    pub reserved: [u8; 72],
    pub crc: U32,
}

/// One commit slot: the state of the store after one commit.
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned, Clone)]
#[repr(C)]
pub(crate) struct SlotBytes {
    pub sequence: U64,
    pub count: U64,
    pub capacity: U64,
    pub table_offset: U64,
    pub flags: U32,
    pub tail_crc: U32,
    pub boot_id: [u8; 16],
    pub checked_from: U64,
    pub table_crc: U32,
    pub reserved: [u8; 56],
    pub crc: U32,
}

const _: () = assert!(std::mem::size_of::<Superblock>() == SUPERBLOCK_LEN);
const _: () = assert!(std::mem::size_of::<SlotBytes>() == SLOT_LEN);
const _: () = assert!(SLOT_OFFSETS[0] >= SUPERBLOCK_LEN);
const _: () = assert!(SLOT_OFFSETS[1] >= SLOT_OFFSETS[0] + SLOT_LEN);
const _: () = assert!(SCHEMA_OFFSET >= SLOT_OFFSETS[1] + SLOT_LEN);

/// CRC-32 (IEEE, as zlib's `crc32`) of a structure's bytes before its last four.
fn crc_of_prefix(bytes: &[u8]) -> u32 {
    crc32fast::hash(&bytes[..bytes.len() - 4])
}

/// A decoded commit: what one slot says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Commit {
    /// Commit sequence number; the newest valid commit wins.
    pub sequence: u64,
    /// Committed records.
    pub count: u64,
    /// Records the data region has room for.
    pub capacity: u64,
    /// CRC-32 of the records of the last, partial chunk (0 if the count is a
    /// whole number of chunks). Full chunks have their CRC in the table.
    pub tail_crc: u32,
    /// Whether this commit was published without a disk sync.
    pub unsynced: bool,
    /// Set when this commit was made durable with one sync
    /// (`SLOT_ONE_SYNC`).
    pub one_sync: Option<OneSync>,
}

/// What a one-sync commit carries so that, after a reboot, a reader can
/// tell whether everything it refers to reached the disk: its single sync
/// may have been cut off with the slot on disk and some records not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OneSync {
    /// The first record this commit may have written since the last
    /// durable commit (a chunk boundary): records and chunks before it were
    /// on disk already.
    pub checked_from: u64,
    /// CRC-32 of the table entries of all full chunks, as stored.
    pub table_crc: u32,
    /// Written during an earlier boot (or the boot is unknown): it must be
    /// checked before it is trusted. False for a commit of this boot, whose
    /// page cache holds everything the commit refers to.
    pub unchecked: bool,
}

/// Where the parts of a store lie. Derived from the superblock; every
/// computation is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Layout {
    pub data_offset: u64,
    pub stride: u64,
    pub chunk_records: u64,
    /// Where the two commit slots lie (see [`slot_offsets`]).
    pub slots: [u64; 2],
}

/// Where the commit slots of a file of format 1.`minor` lie, given its
/// data offset: their own pages right before the data region from 1.2 on,
/// else [`SLOT_OFFSETS`]. Meaningful for a `data_offset` that
/// `parse_header` accepted (at least three pages).
pub fn slot_offsets(minor: u16, data_offset: u64) -> [u64; 2] {
    if minor >= SLOT_PAGES_MINOR {
        [
            data_offset.saturating_sub(2 * PAGE_SIZE),
            data_offset.saturating_sub(PAGE_SIZE),
        ]
    } else {
        SLOT_OFFSETS.map(|o| o as u64)
    }
}

impl Layout {
    /// The layout a new store of this schema gets (format 1.2): superblock
    /// and schema block, then a page for each commit slot, then the data.
    pub fn for_schema(schema_len: usize, stride: u64) -> Layout {
        let header = (SCHEMA_OFFSET + schema_len) as u64;
        let data_offset = header.div_ceil(PAGE_SIZE) * PAGE_SIZE + 2 * PAGE_SIZE;
        Layout {
            data_offset,
            stride,
            chunk_records: (CHUNK_TARGET_BYTES / stride).max(1),
            slots: slot_offsets(VERSION_MINOR, data_offset),
        }
    }

    /// Number of full checksum chunks in `count` records: those with a
    /// table entry. The rest, the tail, is checked by the slot's `tail_crc`.
    pub fn full_chunks(&self, count: u64) -> u64 {
        count / self.chunk_records
    }

    /// Number of checksum chunks in `count` records, the partial tail
    /// included.
    pub fn chunks(&self, count: u64) -> u64 {
        count.div_ceil(self.chunk_records)
    }

    /// Byte length of the data region for `capacity` records.
    pub fn data_len(&self, capacity: u64) -> Option<u64> {
        capacity.checked_mul(self.stride)
    }

    /// Byte length of the checksum table for `capacity` records: one entry
    /// per chunk that can be full.
    pub fn table_len(&self, capacity: u64) -> Option<u64> {
        self.full_chunks(capacity).checked_mul(TABLE_ENTRY_LEN)
    }

    /// Offset of the checksum table for `capacity` records: right after
    /// the data region.
    pub fn table_offset(&self, capacity: u64) -> Option<u64> {
        self.data_offset.checked_add(self.data_len(capacity)?)
    }

    /// End of the checksum table for `capacity` records.
    pub fn table_end(&self, capacity: u64) -> Option<u64> {
        self.table_offset(capacity)?
            .checked_add(self.table_len(capacity)?)
    }

    /// The file length a store of `capacity` records has: header, data,
    /// table, rounded up to a whole page.
    pub fn file_len(&self, capacity: u64) -> Option<u64> {
        self.table_end(capacity)?
            .checked_next_multiple_of(PAGE_SIZE)
    }

    /// Byte range of the records of chunk `chunk` when `count` records are committed.
    pub fn chunk_bytes(&self, chunk: u64, count: u64) -> (u64, u64) {
        let first = chunk * self.chunk_records;
        let end = (first + self.chunk_records).min(count);
        (first * self.stride, end * self.stride)
    }

    /// Records covered by chunk `chunk` when `count` records are committed.
    pub fn chunk_records_range(&self, chunk: u64, count: u64) -> std::ops::Range<u64> {
        let first = chunk.saturating_mul(self.chunk_records);
        first..first.saturating_add(self.chunk_records).min(count)
    }
}

/// The header of a store, parsed and checked.
#[derive(Debug, Clone)]
pub(crate) struct Header {
    pub layout: Layout,
    pub schema: Schema,
    pub version_minor: u16,
}

/// Builds the header region of a new store: superblock, schema, two slots
/// holding the same empty commit. The capacity defaults to one checksum
/// chunk (64 KiB of records).
pub(crate) fn new_header(
    schema: &Schema,
    capacity: Option<u64>,
    boot: [u8; 16],
) -> Result<(Vec<u8>, Layout, u64)> {
    let block = schema.encode()?;
    if block.len() > MAX_SCHEMA_LEN {
        return Err(Error::InvalidSchema {
            problem: SchemaProblem::Encoding {
                what: "the schema block is over 1 MiB",
            },
        });
    }
    let layout = Layout::for_schema(block.len(), schema.stride());
    let capacity = capacity.unwrap_or(layout.chunk_records);
    let mut sb = Superblock {
        magic: MAGIC,
        version_major: U16::new(VERSION_MAJOR),
        version_minor: U16::new(VERSION_MINOR),
        flags: U32::new(0),
        page_size: U32::new(PAGE_SIZE as u32),
        data_offset: U32::new(layout.data_offset as u32),
        schema_offset: U32::new(SCHEMA_OFFSET as u32),
        schema_len: U32::new(block.len() as u32),
        fingerprint: U64::new(fingerprint(&block)),
        schema_crc: U32::new(crc32fast::hash(&block)),
        chunk_records: U32::new(layout.chunk_records as u32),
        stride: U32::new(schema.stride() as u32),
        reserved: [0; 72],
        crc: U32::new(0),
    };
    sb.crc = U32::new(crc_of_prefix(sb.as_bytes()));
    let mut header = vec![0u8; layout.data_offset as usize];
    header[..SUPERBLOCK_LEN].copy_from_slice(sb.as_bytes());
    header[SCHEMA_OFFSET..SCHEMA_OFFSET + block.len()].copy_from_slice(&block);
    let commit = Commit {
        sequence: 1,
        count: 0,
        capacity,
        tail_crc: 0,
        unsynced: false,
        one_sync: None,
    };
    let bytes = encode_slot(&layout, &commit, boot).ok_or(Error::CapacityOverflow {
        requested: capacity,
        stride: layout.stride,
    })?;
    for at in layout.slots {
        let at = at as usize;
        header[at..at + SLOT_LEN].copy_from_slice(&bytes);
    }
    Ok((header, layout, capacity))
}

/// How many bytes from the start of the file `parse_header` reads, given
/// at least the superblock: the first page, or up to the end of the schema
/// block if it reaches past it (the declared length capped at the largest
/// schema block; `parse_header` checks the rest).
pub(crate) fn header_read_len(prefix: &[u8]) -> usize {
    let schema_len = prefix
        .get(SCHEMA_LEN_OFFSET..SCHEMA_LEN_OFFSET + 4)
        .map_or(0, |b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize);
    (SCHEMA_OFFSET + schema_len.min(MAX_SCHEMA_LEN)).max(PAGE_SIZE as usize)
}

/// Offset of the superblock's `schema_len` field.
const SCHEMA_LEN_OFFSET: usize = std::mem::offset_of!(Superblock, schema_len);

/// Why a header does not parse: an [`Error`] without the file's path,
/// which the bytes do not know. The caller that read them adds it once
/// ([`FormatProblem::at`]).
#[derive(Debug)]
pub(crate) enum FormatProblem {
    /// See [`Error::NotRecstore`].
    NotRecstore { found: Vec<u8> },
    /// See [`Error::UnsupportedVersion`].
    UnsupportedVersion { found_major: u16, found_minor: u16 },
    /// See [`Error::UnsupportedFeatures`].
    UnsupportedFeatures { flags: u32 },
    /// See [`Error::FileTooSmall`].
    FileTooSmall {
        len: u64,
        needed: u64,
        what: &'static str,
    },
    /// See [`Error::CorruptHeader`].
    CorruptHeader(HeaderProblem),
    /// See [`Error::Misaligned`].
    Misaligned { data_offset: u64, align: u64 },
}

impl FormatProblem {
    /// The error, about the file at `path`.
    pub(crate) fn at(self, path: &Path) -> Error {
        let path = path.to_path_buf();
        match self {
            FormatProblem::NotRecstore { found } => Error::NotRecstore {
                path,
                found,
                expected: MAGIC,
            },
            FormatProblem::UnsupportedVersion {
                found_major,
                found_minor,
            } => Error::UnsupportedVersion {
                path,
                found_major,
                found_minor,
                supported_major: VERSION_MAJOR,
            },
            FormatProblem::UnsupportedFeatures { flags } => {
                Error::UnsupportedFeatures { path, flags }
            }
            FormatProblem::FileTooSmall { len, needed, what } => Error::FileTooSmall {
                path,
                len,
                needed,
                what,
            },
            FormatProblem::CorruptHeader(problem) => Error::CorruptHeader { path, problem },
            FormatProblem::Misaligned { data_offset, align } => Error::Misaligned {
                path,
                data_offset,
                align,
            },
        }
    }
}

/// Parses and checks the header at the start of `bytes`, a file of
/// `file_len` bytes (`bytes` may hold only a prefix of it). O(1) in the file
/// size: it reads the first page or pages only.
pub(crate) fn parse_header(bytes: &[u8], file_len: u64) -> Result<Header, FormatProblem> {
    let head = bytes.get(..MAGIC.len()).unwrap_or(bytes);
    if head != MAGIC {
        return Err(FormatProblem::NotRecstore {
            found: head.to_vec(),
        });
    }
    // The version is read before any checksum: a future major version may
    // lay out (and checksum) its superblock differently.
    let version = |at: usize| {
        bytes
            .get(at..at + 2)
            .map(|b| u16::from_le_bytes([b[0], b[1]]))
    };
    if let (Some(major), Some(minor)) = (version(8), version(10)) {
        if major != VERSION_MAJOR {
            return Err(FormatProblem::UnsupportedVersion {
                found_major: major,
                found_minor: minor,
            });
        }
    }
    let too_small = |needed: u64, what| FormatProblem::FileTooSmall {
        len: file_len,
        needed,
        what,
    };
    if file_len < PAGE_SIZE || bytes.len() < SUPERBLOCK_LEN {
        return Err(too_small(PAGE_SIZE, "header"));
    }
    let (sb, _) = Superblock::ref_from_prefix(bytes).map_err(|_| too_small(PAGE_SIZE, "header"))?;
    let corrupt = FormatProblem::CorruptHeader;
    let bad = |field, value: u64, rule| corrupt(HeaderProblem::BadField { field, value, rule });
    let computed = crc_of_prefix(sb.as_bytes());
    if computed != sb.crc.get() {
        return Err(corrupt(HeaderProblem::SuperblockChecksum {
            stored: sb.crc.get(),
            computed,
        }));
    }
    if sb.flags.get() != 0 {
        return Err(FormatProblem::UnsupportedFeatures {
            flags: sb.flags.get(),
        });
    }
    if u64::from(sb.page_size.get()) != PAGE_SIZE {
        return Err(bad(
            "page_size",
            sb.page_size.get().into(),
            "format v1 requires 4096",
        ));
    }
    if sb.schema_offset.get() as usize != SCHEMA_OFFSET {
        return Err(bad(
            "schema_offset",
            sb.schema_offset.get().into(),
            "format v1 requires 1536",
        ));
    }
    let schema_len = sb.schema_len.get() as usize;
    if schema_len > MAX_SCHEMA_LEN {
        return Err(bad(
            "schema_len",
            schema_len as u64,
            "the schema block is at most 1 MiB",
        ));
    }
    let data_offset = u64::from(sb.data_offset.get());
    let schema_end = (SCHEMA_OFFSET + schema_len) as u64;
    let minor = sb.version_minor.get();
    if data_offset < schema_end {
        return Err(bad(
            "data_offset",
            data_offset,
            "the data region must start after the schema block",
        ));
    }
    // From 1.2 on, the two pages before the data region hold the slots.
    if minor >= SLOT_PAGES_MINOR
        && data_offset < schema_end.div_ceil(PAGE_SIZE) * PAGE_SIZE + 2 * PAGE_SIZE
    {
        return Err(bad(
            "data_offset",
            data_offset,
            "format 1.2 needs two pages for the commit slots between the schema block and the data",
        ));
    }
    if data_offset > file_len {
        return Err(too_small(data_offset, "header region"));
    }
    let block = bytes
        .get(SCHEMA_OFFSET..schema_end as usize)
        .ok_or_else(|| too_small(schema_end, "schema block"))?;
    let computed = crc32fast::hash(block);
    if computed != sb.schema_crc.get() {
        return Err(corrupt(HeaderProblem::SchemaChecksum {
            stored: sb.schema_crc.get(),
            computed,
        }));
    }
    let computed = fingerprint(block);
    if computed != sb.fingerprint.get() {
        return Err(corrupt(HeaderProblem::SchemaFingerprint {
            stored: sb.fingerprint.get(),
            computed,
        }));
    }
    let schema = Schema::decode(block).map_err(|p| corrupt(HeaderProblem::Schema(p)))?;
    if !data_offset.is_multiple_of(schema.align()) {
        return Err(FormatProblem::Misaligned {
            data_offset,
            align: schema.align(),
        });
    }
    if !data_offset.is_multiple_of(PAGE_SIZE) {
        return Err(bad(
            "data_offset",
            data_offset,
            "the data region must start on a 4096-byte page",
        ));
    }
    let stride = u64::from(sb.stride.get());
    if stride != schema.stride() {
        return Err(bad("stride", stride, "it must equal the schema's stride"));
    }
    let chunk_records = u64::from(sb.chunk_records.get());
    if chunk_records == 0
        || chunk_records.saturating_mul(stride) > 16 * CHUNK_TARGET_BYTES.max(stride)
    {
        return Err(bad(
            "chunk_records",
            chunk_records,
            "a checksum chunk holds 1 or more records and at most 1 MiB (or one record)",
        ));
    }
    Ok(Header {
        layout: Layout {
            data_offset,
            stride,
            chunk_records,
            slots: slot_offsets(minor, data_offset),
        },
        schema,
        version_minor: sb.version_minor.get(),
    })
}

/// Encodes a commit into a slot's bytes, or `None` if the capacity
/// overflows the layout.
pub(crate) fn encode_slot(
    layout: &Layout,
    commit: &Commit,
    boot: [u8; 16],
) -> Option<[u8; SLOT_LEN]> {
    let mut s = SlotBytes {
        sequence: U64::new(commit.sequence),
        count: U64::new(commit.count),
        capacity: U64::new(commit.capacity),
        table_offset: U64::new(layout.table_offset(commit.capacity)?),
        flags: U32::new(match (commit.unsynced, commit.one_sync) {
            (true, _) => SLOT_UNSYNCED,
            (false, Some(_)) => SLOT_ONE_SYNC,
            (false, None) => 0,
        }),
        tail_crc: U32::new(commit.tail_crc),
        boot_id: if commit.unsynced || commit.one_sync.is_some() {
            boot
        } else {
            [0; 16]
        },
        checked_from: U64::new(commit.one_sync.map_or(0, |o| o.checked_from)),
        table_crc: U32::new(commit.one_sync.map_or(0, |o| o.table_crc)),
        reserved: [0; 56],
        crc: U32::new(0),
    };
    s.crc = U32::new(crc_of_prefix(s.as_bytes()));
    let mut out = [0u8; SLOT_LEN];
    out.copy_from_slice(s.as_bytes());
    Some(out)
}

/// Decodes and checks a slot against the layout and the real file length.
/// `boot` is this machine's boot id (all zero if unknown): an unsynced
/// commit from another boot is rejected, as its data may never have reached
/// the disk; a one-sync commit from another boot comes back `unchecked`, for
/// [`check_one_sync`] to decide.
pub(crate) fn decode_slot(
    bytes: &[u8; SLOT_LEN],
    layout: &Layout,
    file_len: u64,
    boot: [u8; 16],
) -> Result<Commit, SlotProblem> {
    let (s, _) = SlotBytes::ref_from_prefix(bytes).map_err(|_| SlotProblem::Overflow)?;
    let computed = crc_of_prefix(s.as_bytes());
    if computed != s.crc.get() {
        return Err(SlotProblem::Checksum {
            stored: s.crc.get(),
            computed,
        });
    }
    let flags = s.flags.get();
    let known = SLOT_UNSYNCED | SLOT_ONE_SYNC;
    if flags & !known != 0 || flags == known {
        return Err(SlotProblem::UnknownFlags { flags });
    }
    let unsynced = flags & SLOT_UNSYNCED != 0;
    let same_boot = boot != [0; 16] && s.boot_id == boot;
    if unsynced && boot != [0; 16] && s.boot_id != boot {
        return Err(SlotProblem::UnsyncedFromEarlierBoot);
    }
    let (count, capacity) = (s.count.get(), s.capacity.get());
    if count > capacity {
        return Err(SlotProblem::CountOverCapacity { count, capacity });
    }
    let expected = layout.table_offset(capacity).ok_or(SlotProblem::Overflow)?;
    let found = s.table_offset.get();
    if found != expected {
        return Err(SlotProblem::TableOffset { found, expected });
    }
    let needed = layout.table_end(capacity).ok_or(SlotProblem::Overflow)?;
    if needed > file_len {
        return Err(SlotProblem::PastEndOfFile {
            needed,
            len: file_len,
        });
    }
    let (checked_from, table_crc) = (s.checked_from.get(), s.table_crc.get());
    let one_sync = if flags & SLOT_ONE_SYNC != 0 {
        let check_len = (count.saturating_sub(checked_from)).checked_mul(layout.stride);
        if checked_from > count
            || !checked_from.is_multiple_of(layout.chunk_records)
            || check_len.is_none_or(|len| len > ONE_SYNC_MAX_CHECK)
        {
            return Err(SlotProblem::CheckedFrom {
                checked_from,
                count,
            });
        }
        Some(OneSync {
            checked_from,
            table_crc,
            unchecked: !same_boot,
        })
    } else {
        None
    };
    Ok(Commit {
        sequence: s.sequence.get(),
        count,
        capacity,
        tail_crc: s.tail_crc.get(),
        unsynced,
        one_sync,
    })
}

/// The bytes of a store file at absolute offsets, as the checks read them:
/// a slice holding the file (tests, fuzzing, a writer's own mapping), or,
/// for a reader, the committed records borrowed from its mapping and the
/// checksum table copied with `pread` (a writer may be writing the table
/// meanwhile: see `crate::map`).
pub(crate) trait FileBytes {
    /// Committed records at `start..end`, borrowed; `None` if out of bounds.
    fn records(&self, start: u64, end: u64) -> Option<&[u8]>;
    /// The CRC-32 of the committed records at `start..end`; `None` if out
    /// of bounds.
    fn records_crc(&self, start: u64, end: u64) -> Option<u32> {
        self.records(start, end).map(crc32fast::hash)
    }
    /// Copies the bytes at `offset` into `out` (table entries); `None` if
    /// out of bounds.
    fn read_into(&self, offset: u64, out: &mut [u8]) -> Option<()>;
}

impl FileBytes for [u8] {
    fn records(&self, start: u64, end: u64) -> Option<&[u8]> {
        self.get(usize::try_from(start).ok()?..usize::try_from(end).ok()?)
    }
    fn read_into(&self, offset: u64, out: &mut [u8]) -> Option<()> {
        let start = usize::try_from(offset).ok()?;
        out.copy_from_slice(self.get(start..start.checked_add(out.len())?)?);
        Some(())
    }
}

/// CRC-32 of the table entries of the first `full` chunks, or `None` if
/// they lie past the end of `file`.
pub(crate) fn table_crc<F: FileBytes + ?Sized>(
    file: &F,
    layout: &Layout,
    capacity: u64,
    full: u64,
) -> Option<u32> {
    let start = layout.table_offset(capacity)?;
    let mut left = full.checked_mul(TABLE_ENTRY_LEN)?;
    let mut at = start;
    let mut buf = [0u8; 4096];
    let mut h = crc32fast::Hasher::new();
    while left > 0 {
        let n = left.min(buf.len() as u64) as usize;
        file.read_into(at, &mut buf[..n])?;
        h.update(&buf[..n]);
        at = at.checked_add(n as u64)?;
        left -= n as u64;
    }
    Some(h.finalize())
}

/// Decides whether a one-sync commit written in an earlier boot reached the
/// disk whole, from the bytes of the file: its table must match its
/// `table_crc`, and every chunk from `checked_from` on its table entry (the
/// last, partial one its `tail_crc`). What lies before `checked_from` was on
/// disk before the commit began. Costs one CRC over what the commit added.
pub(crate) fn check_one_sync<F: FileBytes + ?Sized>(
    file: &F,
    layout: &Layout,
    commit: &Commit,
) -> Result<(), SlotProblem> {
    let Some(one) = commit.one_sync.filter(|o| o.unchecked) else {
        return Ok(());
    };
    let full = layout.full_chunks(commit.count);
    if table_crc(file, layout, commit.capacity, full) != Some(one.table_crc) {
        return Err(SlotProblem::TableNotOnDisk);
    }
    for chunk in one.checked_from / layout.chunk_records..layout.chunks(commit.count) {
        let (stored, actual) =
            chunk_crcs(file, layout, commit, chunk).ok_or(SlotProblem::Overflow)?;
        if stored != actual {
            return Err(SlotProblem::RecordsNotOnDisk {
                records: layout.chunk_records_range(chunk, commit.count),
            });
        }
    }
    Ok(())
}

/// The stored and the computed CRC-32 of chunk `chunk` of `commit`'s
/// records: the stored one is its table entry, or the slot's `tail_crc` for
/// the partial last chunk. `None` if the chunk or its entry lies past the
/// end of `file`.
pub(crate) fn chunk_crcs<F: FileBytes + ?Sized>(
    file: &F,
    layout: &Layout,
    commit: &Commit,
    chunk: u64,
) -> Option<(u32, u32)> {
    let (a, b) = layout.chunk_bytes(chunk, commit.count);
    let at = |offset: u64| layout.data_offset.checked_add(offset);
    let actual = file.records_crc(at(a)?, at(b)?)?;
    let stored = if chunk < layout.full_chunks(commit.count) {
        let table = layout.table_offset(commit.capacity)?;
        table_entry(
            file,
            table.checked_add(chunk.checked_mul(TABLE_ENTRY_LEN)?)?,
        )?
    } else {
        commit.tail_crc
    };
    Some((stored, actual))
}

/// The outcome of reading both slots.
#[derive(Debug, Clone)]
pub(crate) struct SlotChoice {
    /// The slot whose commit is in effect.
    pub slot: usize,
    /// Its commit.
    pub commit: Commit,
    /// The other slot's commit, if valid.
    pub other: Option<Commit>,
    /// Why the other slot was rejected, if it was.
    pub rejected: Option<SlotProblem>,
}

/// Picks the valid slot with the highest sequence number.
pub(crate) fn choose_slot(
    slots: [Result<Commit, SlotProblem>; 2],
) -> Result<SlotChoice, [SlotProblem; 2]> {
    let [a, b] = slots;
    match (a, b) {
        (Ok(a), Ok(b)) => {
            let (slot, commit, other) = if b.sequence > a.sequence {
                (1, b, a)
            } else {
                (0, a, b)
            };
            Ok(SlotChoice {
                slot,
                commit,
                other: Some(other),
                rejected: None,
            })
        }
        (Ok(a), Err(e)) => Ok(SlotChoice {
            slot: 0,
            commit: a,
            other: None,
            rejected: Some(e),
        }),
        (Err(e), Ok(b)) => Ok(SlotChoice {
            slot: 1,
            commit: b,
            other: None,
            rejected: Some(e),
        }),
        (Err(a), Err(b)) => Err([a, b]),
    }
}

/// Reads a checksum table entry.
pub(crate) fn table_entry<F: FileBytes + ?Sized>(file: &F, offset: u64) -> Option<u32> {
    let mut b = [0u8; 4];
    file.read_into(offset, &mut b)?;
    Some(u32::from_le_bytes(b))
}

// The schema block (`docs/FORMAT.md`, "Schema block"): its layout, and
// the codec of [`Schema`], defined here with the rest of the format.

impl Field {
    /// The field descriptor's flags byte.
    pub(crate) fn flags(&self) -> u8 {
        let mut flags = 0;
        if self.is_padding() {
            flags |= FLAG_PADDING;
        }
        if self.endian() == Endian::Big {
            flags |= FLAG_BIG_ENDIAN;
        }
        flags
    }
}

/// FNV-1a, 64-bit: offset basis 0xcbf29ce484222325, prime 0x100000001b3.
pub(crate) fn fingerprint(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// Length of the schema block's head.
pub const SCHEMA_HEAD_LEN: usize = 32;
/// Length of one field descriptor.
pub const FIELD_DESC_LEN: usize = 16;
/// Field descriptor flag: the field is padding.
pub const FLAG_PADDING: u8 = 1;
/// Field descriptor flag: the elements are big-endian.
pub const FLAG_BIG_ENDIAN: u8 = 2;

/// Start of the schema block.
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C)]
pub(crate) struct SchemaHead {
    pub size: U32,
    pub align: U32,
    pub stride: U32,
    pub field_count: U32,
    pub name_len: U32,
    pub strings_len: U32,
    pub reserved: [u8; 8],
}

/// One field descriptor.
#[derive(FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned)]
#[repr(C)]
pub(crate) struct FieldDesc {
    pub name_offset: U32,
    pub name_len: U16,
    pub primitive: u8,
    pub flags: u8,
    pub count: U32,
    pub offset: U32,
}

const _: () = assert!(std::mem::size_of::<SchemaHead>() == SCHEMA_HEAD_LEN);
const _: () = assert!(std::mem::size_of::<FieldDesc>() == FIELD_DESC_LEN);

/// A schema's rules as errors: what [`Schema::encode`] and the engine
/// check, with [`Error::InvalidSchema`] naming the rule broken. (The rules
/// themselves are [`Schema`]'s, as [`SchemaProblem`]s.)
impl Schema {
    /// Checks every rule a new schema must keep: those of the format
    /// (names, sizes, fields that tile the record exactly, in offset
    /// order) and the naming rule (see [`check_field_name`]), which stores
    /// made before it was added may break: they still open, since
    /// [`decode`](Schema::decode) checks the format's rules only.
    pub fn validate(&self) -> Result<()> {
        self.check()
            .and_then(|()| {
                check_record_name(self.name())?;
                self.fields()
                    .iter()
                    .try_for_each(|f| check_field_name(f.name()))
            })
            .map_err(|problem| Error::InvalidSchema { problem })
    }

    /// Checks the format's rules only, as [`decode`](Schema::decode) does:
    /// what a schema must keep to be stored or opened, without the naming
    /// rule of [`validate`](Schema::validate) that older stores may break.
    pub(crate) fn check_format(&self) -> Result<()> {
        self.check()
            .map_err(|problem| Error::InvalidSchema { problem })
    }
}

impl Schema {
    /// The canonical encoding: the schema block of `docs/FORMAT.md`.
    pub fn encode(&self) -> Result<Vec<u8>> {
        // The format's rules only: a store made before the naming rule
        // still re-encodes (and so decodes and fingerprints) as it was.
        self.check_format()?;
        let mut strings = Vec::new();
        strings.extend_from_slice(self.name().as_bytes());
        let mut descs = Vec::with_capacity(self.fields().len());
        for f in self.fields() {
            descs.push(FieldDesc {
                name_offset: U32::new(strings.len() as u32),
                name_len: U16::new(f.name().len() as u16),
                primitive: f.primitive().code(),
                flags: f.flags(),
                count: U32::new(f.count() as u32),
                offset: U32::new(f.offset() as u32),
            });
            strings.extend_from_slice(f.name().as_bytes());
        }
        let head = SchemaHead {
            size: U32::new(self.size() as u32),
            align: U32::new(self.align() as u32),
            stride: U32::new(self.stride() as u32),
            field_count: U32::new(self.fields().len() as u32),
            name_len: U32::new(self.name().len() as u32),
            strings_len: U32::new(strings.len() as u32),
            reserved: [0; 8],
        };
        let mut out =
            Vec::with_capacity(SCHEMA_HEAD_LEN + FIELD_DESC_LEN * descs.len() + strings.len());
        out.extend_from_slice(head.as_bytes());
        out.extend_from_slice(descs.as_bytes());
        out.extend_from_slice(&strings);
        Ok(out)
    }

    /// Decodes a schema block: every length is checked against the block,
    /// every rule of [`validate`](Schema::validate) applies, and the block
    /// must be canonical (re-encoding it gives the same bytes).
    pub fn decode(block: &[u8]) -> Result<Schema, SchemaProblem> {
        let enc = |what| SchemaProblem::Encoding { what };
        let (head, rest) =
            SchemaHead::ref_from_prefix(block).map_err(|_| enc("shorter than its 32-byte head"))?;
        let field_count = head.field_count.get() as usize;
        if field_count == 0 || field_count > MAX_FIELDS {
            return Err(SchemaProblem::FieldCount {
                count: field_count as u64,
            });
        }
        let (descs, strings) = <[FieldDesc]>::ref_from_prefix_with_elems(rest, field_count)
            .map_err(|_| enc("field descriptors run past the block"))?;
        if strings.len() != head.strings_len.get() as usize {
            return Err(enc("string table length does not match the block length"));
        }
        let string = |offset: usize, len: usize| -> Result<String, SchemaProblem> {
            let bytes = offset
                .checked_add(len)
                .and_then(|end| strings.get(offset..end))
                .ok_or(enc("a name runs past the string table"))?;
            String::from_utf8(bytes.to_vec()).map_err(|e| SchemaProblem::BadName {
                name: String::from_utf8_lossy(e.as_bytes()).into_owned(),
                rule: "names must be UTF-8",
            })
        };
        let name = string(0, head.name_len.get() as usize)?;
        let mut fields = Vec::with_capacity(field_count);
        for (i, d) in descs.iter().enumerate() {
            let fname = string(d.name_offset.get() as usize, d.name_len.get() as usize)?;
            let primitive =
                Primitive::from_code(d.primitive).ok_or_else(|| SchemaProblem::UnknownType {
                    field: fname.clone(),
                    code: d.primitive,
                })?;
            if d.flags & !(FLAG_PADDING | FLAG_BIG_ENDIAN) != 0 {
                return Err(SchemaProblem::BadFlags {
                    field: fname,
                    flags: d.flags,
                });
            }
            let endian = if d.flags & FLAG_BIG_ENDIAN != 0 {
                Endian::Big
            } else {
                Endian::Little
            };
            let count = u64::from(d.count.get());
            let offset = u64::from(d.offset.get());
            let field = Field::new(fname, primitive, endian, count, offset)
                .with_padding(d.flags & FLAG_PADDING != 0);
            if field.flags() != d.flags {
                return Err(SchemaProblem::BadFlags {
                    field: field.name().to_owned(),
                    flags: d.flags,
                });
            }
            if i > 0 && fields.last().is_some_and(|p: &Field| p.offset() > offset) {
                return Err(SchemaProblem::NotCanonical);
            }
            fields.push(field);
        }
        // Already in offset order (checked above): `new` keeps it.
        let schema = Schema::new(
            name,
            u64::from(head.size.get()),
            u64::from(head.align.get()),
            fields,
        );
        schema.check()?;
        if u64::from(head.stride.get()) != schema.stride() {
            return Err(SchemaProblem::BadSize {
                size: schema.size(),
                align: schema.align(),
                stride: u64::from(head.stride.get()),
                rule: "format v1 requires the stride to equal the size",
            });
        }
        // A valid schema always encodes; a different encoding means the block
        // had slack (reserved bytes, reordered names) that must not exist.
        match schema.encode() {
            Ok(canonical) if canonical == block => Ok(schema),
            _ => Err(SchemaProblem::NotCanonical),
        }
    }

    /// A 64-bit fingerprint of the canonical encoding (FNV-1a, see
    /// `docs/FORMAT.md`). Equal schemas have equal fingerprints; an invalid
    /// schema has fingerprint 0.
    pub fn fingerprint(&self) -> u64 {
        self.encode().map(|b| fingerprint(&b)).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{Endian, Field, Primitive};
    use proptest::prelude::*;

    fn schema() -> Schema {
        Schema::new(
            "T",
            8,
            4,
            vec![
                Field::new("a", Primitive::U32, Endian::Little, 1, 0),
                Field::new("b", Primitive::F32, Endian::Little, 1, 4),
            ],
        )
    }

    proptest! {
        #[test]
        fn slots_round_trip(seq in any::<u64>(), count in 0u64..1 << 40, extra in 0u64..1 << 20,
                            tail_crc in any::<u32>(), kind in 0u8..3, boot in any::<[u8; 16]>(),
                            from in any::<u64>(), table_crc in any::<u32>()) {
            let layout = Layout::for_schema(64, 8);
            let capacity = count + extra;
            // As a writer writes it: at a chunk boundary, at most
            // ONE_SYNC_MAX_CHECK bytes before the count.
            let c = layout.chunk_records;
            let lo = count.saturating_sub(ONE_SYNC_MAX_CHECK / layout.stride).next_multiple_of(c);
            let checked_from = lo + (from % (count - lo + 1)) / c * c;
            let one_sync = (kind == 2).then_some(OneSync { checked_from, table_crc, unchecked: boot == [0; 16] });
            let commit = Commit { sequence: seq, count, capacity, tail_crc, unsynced: kind == 1, one_sync };
            let bytes = encode_slot(&layout, &commit, boot).unwrap();
            let file_len = layout.file_len(capacity).unwrap();
            prop_assert_eq!(decode_slot(&bytes, &layout, file_len, boot), Ok(commit));
            // One byte short of the table or data: rejected, never trusted.
            let short = layout.table_end(capacity).unwrap() - 1;
            prop_assert!(decode_slot(&bytes, &layout, short, boot).is_err());
            // Under another layout, its table offset is wrong.
            if capacity > 0 {
                let other = Layout { data_offset: 8192, ..layout };
                prop_assert!(decode_slot(&bytes, &other, file_len, boot).is_err());
            }
        }

        #[test]
        fn a_one_sync_slot_with_a_check_over_the_limit_is_rejected(count in 0u64..1 << 40, extra in 0u64..1 << 20) {
            let layout = Layout::for_schema(64, 8);
            let c = layout.chunk_records;
            let too_long = ONE_SYNC_MAX_CHECK / layout.stride + 1;
            prop_assume!(count >= too_long);
            let checked_from = (count - too_long) / c * c;
            let one_sync = Some(OneSync { checked_from, table_crc: 0, unchecked: true });
            let commit = Commit { sequence: 1, count, capacity: count + extra, tail_crc: 0, unsynced: false, one_sync };
            let bytes = encode_slot(&layout, &commit, [1; 16]).unwrap();
            let file_len = layout.file_len(count + extra).unwrap();
            let rejected = matches!(
                decode_slot(&bytes, &layout, file_len, [2; 16]),
                Err(SlotProblem::CheckedFrom { .. })
            );
            prop_assert!(rejected);
        }

        #[test]
        fn any_flipped_slot_bit_is_rejected(at in 0usize..SLOT_LEN, bit in 0u8..8) {
            let layout = Layout::for_schema(64, 8);
            let commit = Commit { sequence: 9, count: 5, capacity: 10, tail_crc: 7, unsynced: false, one_sync: None };
            let mut bytes = encode_slot(&layout, &commit, [0; 16]).unwrap();
            bytes[at] ^= 1 << bit;
            prop_assert!(decode_slot(&bytes, &layout, 1 << 20, [0; 16]).is_err());
        }

        #[test]
        fn headers_round_trip(capacity in 0u64..1 << 30) {
            let (header, layout, cap) = new_header(&schema(), Some(capacity), [0; 16]).unwrap();
            let file_len = layout.file_len(cap).unwrap();
            let parsed = parse_header(&header, file_len).unwrap();
            prop_assert_eq!(parsed.layout, layout);
            prop_assert_eq!(parsed.schema, schema());
            for slot in 0..2 {
                let at = layout.slots[slot] as usize;
                prop_assert!(at.is_multiple_of(PAGE_SIZE as usize) && at >= SCHEMA_OFFSET);
                let raw: [u8; SLOT_LEN] = header[at..][..SLOT_LEN].try_into().unwrap();
                let c = decode_slot(&raw, &layout, file_len, [0; 16]).unwrap();
                prop_assert_eq!((c.sequence, c.count, c.capacity), (1, 0, capacity));
            }
        }

        #[test]
        fn arbitrary_headers_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..5000), len in any::<u64>()) {
            let _ = parse_header(&bytes, len);
        }
    }

    #[test]
    fn layout_arithmetic_is_checked() {
        let layout = Layout::for_schema(100, 1 << 20);
        assert_eq!(layout.chunk_records, 1);
        assert_eq!(layout.file_len(u64::MAX), None);
        assert_eq!(layout.table_end(u64::MAX / 2), None);
        let small = Layout::for_schema(100, 20);
        // Superblock and schema block, then a page for each commit slot.
        assert_eq!(small.data_offset, 3 * 4096);
        assert_eq!(small.slots, [4096, 8192]);
        assert_eq!(small.chunk_records, 3276);
        assert_eq!(small.file_len(0), Some(3 * 4096));
        assert_eq!(small.chunk_records_range(2, 7000), 6552..7000);
    }
}
