//! The one error type of the library.
//!
//! Every variant is structured (the caller can match on what went wrong and
//! read the numbers) and its message says what to do next. Wrapped I/O errors
//! are shown in the message and not returned again from `source()`, so an
//! error chain printer never prints them twice.

use std::fmt;
use std::io;
use std::ops::Range;
use std::path::{Path, PathBuf};

use crate::schema::{Schema, SchemaProblem};

/// A `Result` whose error is [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in recstore.
///
/// Messages say what is wrong and what to do; [`Error::kind`] sorts the
/// variants into what a caller acts on; the fields of a variant give the
/// details.
///
/// ```
/// use recstore::{Error, ErrorKind, Record, Store};
/// use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};
///
/// #[derive(Record, FromBytes, IntoBytes, KnownLayout, Immutable)]
/// #[repr(C)]
/// struct Reading {
///     t: u64,
///     value: f64,
/// }
///
/// #[derive(Record, FromBytes, IntoBytes, KnownLayout, Immutable)]
/// #[repr(C)]
/// struct Other {
///     id: u32,
/// }
///
/// # let dir = tempfile::tempdir()?;
/// let path = dir.path().join("readings.recs");
/// let missing = Store::<Reading>::open(&path).unwrap_err();
/// assert_eq!(missing.kind(), ErrorKind::NotFound);
///
/// let writer = Store::<Reading>::create(&path)?;
/// // A second writer is refused at once, never blocked.
/// assert!(matches!(Store::<Reading>::open(&path), Err(Error::Locked { .. })));
/// drop(writer);
///
/// // Another record type: the error shows both schemas.
/// match Store::<Other>::open_read_only(&path) {
///     Err(e @ Error::SchemaMismatch { .. }) => {
///         assert_eq!(e.kind(), ErrorKind::SchemaMismatch);
///         assert!(e.to_string().contains("holds other records than asked for"));
///     }
///     other => panic!("expected a schema mismatch, got {other:?}"),
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The operating system refused an operation on the store's file.
    #[error("cannot {op} {}: {io}; {}", path.display(), io_advice(io))]
    Io {
        /// What recstore was doing, e.g. `"open"` or `"grow"`.
        op: &'static str,
        /// The file concerned.
        path: PathBuf,
        /// The underlying error.
        io: io::Error,
    },

    /// The file does not start with the recstore magic bytes.
    #[error(
        "{} is not a recstore file ({}, a recstore file starts with {expected:02x?}); \
         check the path, or import the data with the recstore tool",
        path.display(),
        describe_start(found)
    )]
    NotRecstore {
        /// The file concerned.
        path: PathBuf,
        /// The first bytes of the file (fewer than 8 if the file is shorter).
        found: Vec<u8>,
        /// The magic bytes a recstore file starts with.
        expected: [u8; 8],
    },

    /// The file was written by a format version this build cannot read.
    #[error(
        "{} uses recstore format {found_major}.{found_minor}, this build reads format {supported_major}.x; \
         open it with a recstore release that supports format {found_major}",
        path.display()
    )]
    UnsupportedVersion {
        /// The file concerned.
        path: PathBuf,
        /// Major version found in the file.
        found_major: u16,
        /// Minor version found in the file.
        found_minor: u16,
        /// The major version this build reads.
        supported_major: u16,
    },

    /// The file needs format features this build does not know.
    #[error(
        "{} needs format features {flags:#x} that this build does not know; open it with a newer recstore",
        path.display()
    )]
    UnsupportedFeatures {
        /// The file concerned.
        path: PathBuf,
        /// The unknown feature bits.
        flags: u32,
    },

    /// The file is shorter than its own header says it must be.
    #[error(
        "{} is {len} bytes long but its {what} needs at least {needed} bytes; \
         the file was truncated or overwritten: restore it from a copy",
        path.display()
    )]
    FileTooSmall {
        /// The file concerned.
        path: PathBuf,
        /// The real length of the file.
        len: u64,
        /// The length the file would need.
        needed: u64,
        /// What needs that length (e.g. `"header"`).
        what: &'static str,
    },

    /// A header field holds a value that cannot be right.
    #[error("{} has a corrupt header: {problem}; restore the file from a copy", path.display())]
    CorruptHeader {
        /// The file concerned.
        path: PathBuf,
        /// What is wrong.
        problem: HeaderProblem,
    },

    /// Neither commit slot holds a valid commit.
    #[error(
        "{} has no valid commit: slot 0: {}; slot 1: {}; the file is damaged beyond what recstore can \
         recover: restore it from a copy",
        path.display(), slots[0], slots[1]
    )]
    NoValidCommit {
        /// The file concerned.
        path: PathBuf,
        /// Why each slot was rejected.
        slots: [SlotProblem; 2],
    },

    /// The file holds records of another type than the one asked for.
    #[error("{} holds other records than asked for:\n{}", path.display(), SchemaDiff { expected, found })]
    SchemaMismatch {
        /// The file concerned.
        path: PathBuf,
        /// The schema of the type the caller asked for.
        expected: Box<Schema>,
        /// The schema stored in the file.
        found: Box<Schema>,
    },

    /// A schema breaks a rule of the format (see `docs/FORMAT.md`).
    #[error("invalid schema: {problem}; fix the record type or schema (the rules are in docs/FORMAT.md)")]
    InvalidSchema {
        /// What is wrong.
        problem: SchemaProblem,
    },

    /// A data chunk does not match its checksum.
    #[error(
        "{} is corrupt: records {}..{} (checksum chunk {chunk}) do not match their checksum \
         (stored {expected:#010x}, computed {actual:#010x}); {bad_chunks} chunk(s) are bad in all; \
         restore the file from a copy, or export the records outside the bad range{}",
        path.display(), records.start, records.end, first_bad_hint(*bad_chunks)
    )]
    ChecksumMismatch {
        /// The file concerned.
        path: PathBuf,
        /// Index of the first bad chunk.
        chunk: u64,
        /// The records covered by that chunk.
        records: Range<u64>,
        /// The checksum stored in the file.
        expected: u32,
        /// The checksum of the bytes now in the file.
        actual: u32,
        /// How many chunks are bad in total.
        bad_chunks: u64,
    },

    /// Another writer holds the file.
    #[error(
        "{} is locked by another writer (in this or another process); \
         open it read-only, or wait for the other writer to close it",
        path.display()
    )]
    Locked {
        /// The file concerned.
        path: PathBuf,
    },

    /// An in-place change (`get_mut`, `as_mut_slice`, `record_mut`, a
    /// `truncate`, or an append over records a commit still refers to) was
    /// refused because readers have the file open: they may hold references
    /// to the records it would change. Nothing was changed; appends past
    /// the readers' records still work.
    #[error(
        "cannot {op}: {} is open by readers (a Reader, or a read-only or copy-on-write handle, \
         in this or another process) that may hold references to the records it would change; \
         close them and retry, or make the change before they open",
        path.display()
    )]
    ReadersPresent {
        /// The file concerned.
        path: PathBuf,
        /// The refused operation.
        op: &'static str,
    },

    /// A reader was refused because the writer is changing committed
    /// records in place: they could change under its references.
    #[error(
        "{} cannot be opened for reading now: its writer is changing records in place \
         (an update or a truncate not committed yet); open it again after the writer's next \
         flush or close",
        path.display()
    )]
    UpdateInProgress {
        /// The file concerned.
        path: PathBuf,
    },

    /// The operation is not available on this handle or this system.
    #[error("cannot {op} {}: {reason}", path.display())]
    Unsupported {
        /// The file concerned.
        path: PathBuf,
        /// The refused operation.
        op: &'static str,
        /// Why, and what to do instead.
        reason: &'static str,
    },

    /// A write was asked of a store opened read-only.
    #[error("cannot {op}: {} is open read-only; open it read-write (or copy-on-write) to change it", path.display())]
    ReadOnly {
        /// The file concerned.
        path: PathBuf,
        /// The refused operation.
        op: &'static str,
    },

    /// The data region is not aligned for the record type.
    #[error(
        "{}: the data region starts at byte {data_offset}, which is not a multiple of the record alignment {align}; \
         the file was not written by recstore or is damaged: restore it from a copy",
        path.display()
    )]
    Misaligned {
        /// The file concerned.
        path: PathBuf,
        /// Where the data region starts.
        data_offset: u64,
        /// The alignment the records need.
        align: u64,
    },

    /// An index past the end of the store.
    #[error(
        "index {index} is out of bounds for a store of {len} records; {}",
        index_advice(*len)
    )]
    IndexOutOfBounds {
        /// The index asked for.
        index: u64,
        /// The number of records.
        len: u64,
    },

    /// The store would grow past what the format or the address space allows.
    #[error(
        "cannot grow the store to {requested} records of {stride} bytes: that exceeds the address space \
         or the format's limits; ask for fewer records, or split the data across several stores"
    )]
    CapacityOverflow {
        /// The number of records asked for.
        requested: u64,
        /// The size of one record.
        stride: u64,
    },

    /// Raw bytes of the wrong length were given as records.
    #[error(
        "{len} bytes are not a whole number of {stride}-byte records; pass whole records \
         (a multiple of {stride} bytes) of the store's record type"
    )]
    RecordLength {
        /// The length given.
        len: usize,
        /// The size of one record.
        stride: usize,
    },

    /// A schema file is malformed or describes an impossible layout.
    #[error("{}:{line}:{column}: {message}", path.display())]
    SchemaFile {
        /// The schema file.
        path: PathBuf,
        /// Line of the problem (1-based).
        line: usize,
        /// Column of the problem (1-based).
        column: usize,
        /// What is wrong and what to do.
        message: String,
    },

    /// An earlier write or disk sync of this handle failed. After a failed
    /// sync the kernel may have dropped the written pages while the page
    /// cache still shows them (PostgreSQL's "fsyncgate"), so a retried
    /// commit could report success for data that never reaches the disk:
    /// the handle refuses every further write and commit.
    #[error(
        "cannot {op} {}: an earlier write or disk sync of this handle failed ({cause}), so what it \
         wrote since the last durable commit may not be on disk; drop this handle and open the \
         store again (it then starts from the last durable commit)",
        path.display()
    )]
    Poisoned {
        /// What was asked.
        op: &'static str,
        /// The file concerned.
        path: PathBuf,
        /// The failure that poisoned the handle.
        cause: String,
    },

    /// The disk (or the user's quota) has no room for the blocks the store
    /// needs; nothing was changed.
    #[error(
        "cannot {op} {}: the disk is full ({io}); {}",
        path.display(),
        disk_full_advice(op)
    )]
    DiskFull {
        /// What recstore was doing, e.g. `"grow"`.
        op: &'static str,
        /// The file concerned.
        path: PathBuf,
        /// The underlying error (ENOSPC or EDQUOT).
        io: io::Error,
    },

    /// `create` found a file already there.
    #[error(
        "{} already exists; open it instead of creating it, or remove it first to start a new store",
        path.display()
    )]
    AlreadyExists {
        /// The file concerned.
        path: PathBuf,
    },

    /// The path is a symbolic link whose target does not exist. recstore
    /// does not create a store through a link (it creates the new file
    /// beside the path and renames it into place, which would replace the
    /// link), so `create` refuses it rather than report "no such file".
    #[error(
        "{} is a symbolic link to {}, which does not exist; fix or remove the link, \
         or create the store at the link's target itself",
        path.display(), target.display()
    )]
    DanglingSymlink {
        /// The link.
        path: PathBuf,
        /// Where it points.
        target: PathBuf,
    },

    /// The file this handle follows was replaced (another file renamed
    /// over its path) or deleted since it was opened: the handle still
    /// reads the old file, which no writer will change again.
    #[error(
        "{} was replaced (another file renamed over it) or deleted since this handle opened it, \
         which still shows the old file; open the store again to read the new one",
        path.display()
    )]
    Replaced {
        /// The file concerned.
        path: PathBuf,
    },

    /// A text does not fit a text field ([`crate::Text`]): it is longer
    /// than the field's room, or holds a NUL.
    #[error(
        "{}",
        if *nul {
            "the text holds a NUL character, which a text field cannot hold (NUL bytes pad the text after its end): use a text without NUL".to_string()
        } else {
            format!("the text is {len} bytes of UTF-8, {} more than the field's room of {room} bytes (recstore never cuts text): use a shorter text or a larger field", len - room)
        }
    )]
    TextDoesNotFit {
        /// The text's length in bytes.
        len: usize,
        /// The field's room in bytes.
        room: usize,
        /// Whether the problem is a NUL in the text (else its length).
        nul: bool,
    },

    /// A window ([`OpenOptions::window`](crate::OpenOptions::window)) asks
    /// for records past the store's committed count.
    #[error(
        "cannot open records {start}..{end} of {}: it holds {count} committed records; {}",
        path.display(),
        window_advice(*count)
    )]
    WindowOutOfRange {
        /// The file concerned.
        path: PathBuf,
        /// The first record asked for.
        start: u64,
        /// The end of the records asked for (exclusive).
        end: u64,
        /// The committed records when the window was opened.
        count: u64,
    },
}

/// What kind of error an [`Error`] is: what a caller acts on (a CLI's exit
/// code, a binding's exception class, a retry), without matching every
/// variant. Several variants share a kind; new kinds may come in minor
/// releases, so a `match` needs a `_` arm (see [`ErrorKind::ALL`] to test
/// that a mapping covers every kind this version knows).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The operating system refused an operation on the file, for another
    /// reason than the kinds below ([`Error::Io`]).
    Io,
    /// The file, or a directory on its path, does not exist ([`Error::Io`]
    /// with [`io::ErrorKind::NotFound`]).
    NotFound,
    /// The operating system denied access to the file ([`Error::Io`] with
    /// [`io::ErrorKind::PermissionDenied`] or a read-only file system).
    PermissionDenied,
    /// `create` found a file already there ([`Error::AlreadyExists`]).
    AlreadyExists,
    /// The disk or the user's quota is full; nothing was changed
    /// ([`Error::DiskFull`]).
    DiskFull,
    /// An earlier write or sync of this handle failed; it refuses every
    /// write until opened again ([`Error::Poisoned`]).
    Poisoned,
    /// The file is not a recstore file ([`Error::NotRecstore`]).
    NotAStore,
    /// The file is damaged: a corrupt or truncated header, no valid commit,
    /// a misaligned data region ([`Error::FileTooSmall`],
    /// [`Error::CorruptHeader`], [`Error::NoValidCommit`],
    /// [`Error::Misaligned`]).
    Corrupt,
    /// Records do not match their checksum ([`Error::ChecksumMismatch`],
    /// from `verify`).
    ChecksumMismatch,
    /// The file needs a format version or features this build cannot read
    /// ([`Error::UnsupportedVersion`], [`Error::UnsupportedFeatures`]).
    UnsupportedFormat,
    /// The file holds other records than the type asked for
    /// ([`Error::SchemaMismatch`]).
    SchemaMismatch,
    /// A schema, or a schema file, breaks a rule of the format
    /// ([`Error::InvalidSchema`], [`Error::SchemaFile`]).
    InvalidSchema,
    /// Another writer holds the file ([`Error::Locked`]).
    Locked,
    /// An in-place change was refused because readers have the file open
    /// ([`Error::ReadersPresent`]).
    ReadersPresent,
    /// A reader was refused because the writer is changing records in
    /// place ([`Error::UpdateInProgress`]).
    UpdateInProgress,
    /// The operation is not available on this handle or this system
    /// ([`Error::Unsupported`]).
    Unsupported,
    /// A write was asked of a read-only handle ([`Error::ReadOnly`]).
    ReadOnly,
    /// An index or a window past the end of the store
    /// ([`Error::IndexOutOfBounds`], [`Error::WindowOutOfRange`]).
    OutOfBounds,
    /// The store would grow past what the format or the address space
    /// allows ([`Error::CapacityOverflow`]).
    CapacityOverflow,
    /// Bytes given as records are not a whole number of records
    /// ([`Error::RecordLength`]), or a text does not fit its field
    /// ([`Error::TextDoesNotFit`]).
    InvalidInput,
    /// The file a reader follows was replaced by another or deleted; open
    /// it again ([`Error::Replaced`]).
    Replaced,
}

impl ErrorKind {
    /// Every kind this version of the library knows, in declaration order.
    pub const ALL: &'static [ErrorKind] = &[
        ErrorKind::Io,
        ErrorKind::NotFound,
        ErrorKind::PermissionDenied,
        ErrorKind::AlreadyExists,
        ErrorKind::DiskFull,
        ErrorKind::Poisoned,
        ErrorKind::NotAStore,
        ErrorKind::Corrupt,
        ErrorKind::ChecksumMismatch,
        ErrorKind::UnsupportedFormat,
        ErrorKind::SchemaMismatch,
        ErrorKind::InvalidSchema,
        ErrorKind::Locked,
        ErrorKind::ReadersPresent,
        ErrorKind::UpdateInProgress,
        ErrorKind::Unsupported,
        ErrorKind::ReadOnly,
        ErrorKind::OutOfBounds,
        ErrorKind::CapacityOverflow,
        ErrorKind::InvalidInput,
        ErrorKind::Replaced,
    ];
}

/// What to do about a failed operating system call.
fn io_advice(io: &io::Error) -> &'static str {
    match io.kind() {
        io::ErrorKind::NotFound => "check the path (and that its directory exists)",
        io::ErrorKind::PermissionDenied | io::ErrorKind::ReadOnlyFilesystem => {
            "check the permissions of the file and its directory"
        }
        _ => "check the file and its file system, then retry",
    }
}

/// What to do about an index past the end.
fn window_advice(count: u64) -> String {
    if count == 0 {
        "the store is empty: append records first, or open the window 0..0".to_string()
    } else {
        format!("open a window inside 0..{count}, or wait for a writer to commit more records")
    }
}

fn index_advice(len: u64) -> String {
    if len == 0 {
        "the store is empty: append records first".to_string()
    } else {
        format!("use an index below {len}")
    }
}

/// ENOSPC or EDQUOT: no room on the disk or in the user's quota.
fn is_disk_full(io: &io::Error) -> bool {
    matches!(
        io.kind(),
        io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded
    )
}

/// What a file that is not a store starts with: "it is an empty file" for
/// a 0-byte file rather than "it starts with []".
fn describe_start(found: &[u8]) -> String {
    if found.is_empty() {
        "it is an empty file".to_string()
    } else {
        format!("it starts with {found:02x?}")
    }
}

fn first_bad_hint(bad: u64) -> &'static str {
    if bad > 1 {
        " (the range above is the first bad one)"
    } else {
        ""
    }
}

/// Matches every variant once, binding the path of those that name a file:
/// `path` and `at` share this one list, exhaustive, so a new variant must
/// say whether it has a path.
macro_rules! match_path {
    ($value:expr, $path:ident => $some:expr, _ => $none:expr) => {
        match $value {
            Error::Io { path: $path, .. }
            | Error::NotRecstore { path: $path, .. }
            | Error::UnsupportedVersion { path: $path, .. }
            | Error::UnsupportedFeatures { path: $path, .. }
            | Error::FileTooSmall { path: $path, .. }
            | Error::CorruptHeader { path: $path, .. }
            | Error::NoValidCommit { path: $path, .. }
            | Error::SchemaMismatch { path: $path, .. }
            | Error::ChecksumMismatch { path: $path, .. }
            | Error::Locked { path: $path }
            | Error::ReadersPresent { path: $path, .. }
            | Error::UpdateInProgress { path: $path }
            | Error::Unsupported { path: $path, .. }
            | Error::ReadOnly { path: $path, .. }
            | Error::Misaligned { path: $path, .. }
            | Error::SchemaFile { path: $path, .. }
            | Error::AlreadyExists { path: $path }
            | Error::DanglingSymlink { path: $path, .. }
            | Error::Replaced { path: $path }
            | Error::Poisoned { path: $path, .. }
            | Error::DiskFull { path: $path, .. }
            | Error::WindowOutOfRange { path: $path, .. } => $some,
            Error::InvalidSchema { .. }
            | Error::IndexOutOfBounds { .. }
            | Error::CapacityOverflow { .. }
            | Error::RecordLength { .. }
            | Error::TextDoesNotFit { .. } => $none,
        }
    };
}

impl Error {
    /// What kind of error this is.
    ///
    /// ```
    /// use recstore::{ErrorKind, Store};
    /// # #[derive(recstore::Record, zerocopy::FromBytes, zerocopy::IntoBytes,
    /// #          zerocopy::KnownLayout, zerocopy::Immutable)]
    /// # #[repr(C)]
    /// # struct Sample { t: u64 }
    /// let dir = tempfile::tempdir()?;
    /// let err = Store::<Sample>::open(dir.path().join("missing.recs")).unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::NotFound);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Io { io, .. } => match io.kind() {
                io::ErrorKind::NotFound => ErrorKind::NotFound,
                io::ErrorKind::PermissionDenied | io::ErrorKind::ReadOnlyFilesystem => {
                    ErrorKind::PermissionDenied
                }
                _ => ErrorKind::Io,
            },
            Error::AlreadyExists { .. } => ErrorKind::AlreadyExists,
            Error::DanglingSymlink { .. } => ErrorKind::NotFound,
            Error::Replaced { .. } => ErrorKind::Replaced,
            Error::DiskFull { .. } => ErrorKind::DiskFull,
            Error::Poisoned { .. } => ErrorKind::Poisoned,
            Error::NotRecstore { .. } => ErrorKind::NotAStore,
            Error::FileTooSmall { .. }
            | Error::CorruptHeader { .. }
            | Error::NoValidCommit { .. }
            | Error::Misaligned { .. } => ErrorKind::Corrupt,
            Error::ChecksumMismatch { .. } => ErrorKind::ChecksumMismatch,
            Error::UnsupportedVersion { .. } | Error::UnsupportedFeatures { .. } => {
                ErrorKind::UnsupportedFormat
            }
            Error::SchemaMismatch { .. } => ErrorKind::SchemaMismatch,
            Error::InvalidSchema { .. } | Error::SchemaFile { .. } => ErrorKind::InvalidSchema,
            Error::Locked { .. } => ErrorKind::Locked,
            Error::ReadersPresent { .. } => ErrorKind::ReadersPresent,
            Error::UpdateInProgress { .. } => ErrorKind::UpdateInProgress,
            Error::Unsupported { .. } => ErrorKind::Unsupported,
            Error::ReadOnly { .. } => ErrorKind::ReadOnly,
            Error::IndexOutOfBounds { .. } | Error::WindowOutOfRange { .. } => {
                ErrorKind::OutOfBounds
            }
            Error::CapacityOverflow { .. } => ErrorKind::CapacityOverflow,
            Error::RecordLength { .. } | Error::TextDoesNotFit { .. } => ErrorKind::InvalidInput,
        }
    }

    /// The file this error concerns, if it concerns one.
    pub fn path(&self) -> Option<&Path> {
        match_path!(self, path => Some(path.as_path()), _ => None)
    }

    pub(crate) fn io(op: &'static str, path: &Path, io: io::Error) -> Self {
        if is_disk_full(&io) {
            return Error::DiskFull {
                op,
                path: path.to_path_buf(),
                io,
            };
        }
        Error::Io {
            op,
            path: path.to_path_buf(),
            io,
        }
    }
}

/// What to do about a full disk: at `create` no store was made, so none
/// is "unchanged" or can be opened read-only.
fn disk_full_advice(op: &str) -> &'static str {
    if op == "create" {
        "nothing was created: free some space and try again, or ask for a smaller capacity"
    } else {
        "the store is unchanged: free some space and try again, or open it read-only"
    }
}

/// What is wrong with a header field.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum HeaderProblem {
    /// The superblock checksum does not match.
    SuperblockChecksum {
        /// Stored CRC-32.
        stored: u32,
        /// Computed CRC-32.
        computed: u32,
    },
    /// The schema block checksum does not match.
    SchemaChecksum {
        /// Stored CRC-32.
        stored: u32,
        /// Computed CRC-32.
        computed: u32,
    },
    /// The schema fingerprint does not match the schema block.
    SchemaFingerprint {
        /// Stored fingerprint.
        stored: u64,
        /// Computed fingerprint.
        computed: u64,
    },
    /// A field holds a value outside what the format allows.
    BadField {
        /// The field's name in `docs/FORMAT.md`.
        field: &'static str,
        /// The value found.
        value: u64,
        /// What the format requires.
        rule: &'static str,
    },
    /// The schema block does not decode.
    Schema(SchemaProblem),
}

impl fmt::Display for HeaderProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HeaderProblem::SuperblockChecksum { stored, computed } => write!(
                f,
                "superblock checksum mismatch (stored {stored:#010x}, computed {computed:#010x})"
            ),
            HeaderProblem::SchemaChecksum { stored, computed } => write!(
                f,
                "schema block checksum mismatch (stored {stored:#010x}, computed {computed:#010x})"
            ),
            HeaderProblem::SchemaFingerprint { stored, computed } => write!(
                f,
                "schema fingerprint mismatch (stored {stored:#018x}, computed {computed:#018x})"
            ),
            HeaderProblem::BadField { field, value, rule } => {
                write!(f, "field `{field}` is {value}, but {rule}")
            }
            HeaderProblem::Schema(p) => write!(f, "schema block: {p}"),
        }
    }
}

/// Why a commit slot was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SlotProblem {
    /// The slot's checksum does not match: torn by a crash, or damaged.
    Checksum {
        /// Stored CRC-32.
        stored: u32,
        /// Computed CRC-32.
        computed: u32,
    },
    /// The slot holds more records than its capacity.
    CountOverCapacity {
        /// Committed records.
        count: u64,
        /// Capacity.
        capacity: u64,
    },
    /// The slot's data or checksum table lies past the end of the file.
    PastEndOfFile {
        /// Bytes the slot needs.
        needed: u64,
        /// Real file length.
        len: u64,
    },
    /// The slot's sizes overflow 64-bit arithmetic.
    Overflow,
    /// The slot's checksum table is not where the format puts it.
    TableOffset {
        /// Offset found.
        found: u64,
        /// Offset the format requires.
        expected: u64,
    },
    /// The slot sets flag bits this build does not know.
    UnknownFlags {
        /// The flag bits.
        flags: u32,
    },
    /// The slot was published without a disk sync during an earlier boot:
    /// its data may never have reached the disk.
    UnsyncedFromEarlierBoot,
    /// A one-sync slot's `checked_from` is past its count, not at a chunk
    /// boundary, or leaves more than `ONE_SYNC_MAX_CHECK` bytes to check
    /// (no writer writes such a slot).
    CheckedFrom {
        /// The slot's `checked_from`.
        checked_from: u64,
        /// The slot's count.
        count: u64,
    },
    /// A one-sync commit from an earlier boot whose checksum table does not
    /// match the CRC the slot holds: the crash came before its sync ended.
    TableNotOnDisk,
    /// A one-sync commit from an earlier boot whose records do not match
    /// their checksums: the crash came before its sync ended.
    RecordsNotOnDisk {
        /// The first chunk of records found not to match.
        records: std::ops::Range<u64>,
    },
}

impl fmt::Display for SlotProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SlotProblem::Checksum { stored, computed } => write!(
                f,
                "checksum mismatch (stored {stored:#010x}, computed {computed:#010x}): torn by a crash or damaged"
            ),
            SlotProblem::CountOverCapacity { count, capacity } => {
                write!(f, "count {count} exceeds capacity {capacity}")
            }
            SlotProblem::PastEndOfFile { needed, len } => {
                write!(f, "needs {needed} bytes but the file has {len}")
            }
            SlotProblem::Overflow => write!(f, "its sizes overflow 64-bit arithmetic"),
            SlotProblem::TableOffset { found, expected } => write!(
                f,
                "checksum table at byte {found}, but the format puts it at {expected}"
            ),
            SlotProblem::UnknownFlags { flags } => write!(f, "unknown flags {flags:#x}"),
            SlotProblem::UnsyncedFromEarlierBoot => write!(
                f,
                "published without a disk sync before the last reboot, so its data may be lost"
            ),
            SlotProblem::CheckedFrom {
                checked_from,
                count,
            } => write!(
                f,
                "its first checked record {checked_from} is past its count {count}, not at a chunk \
                 boundary, or leaves more than 256 MiB of records to check (no writer writes that)"
            ),
            SlotProblem::TableNotOnDisk => write!(
                f,
                "made durable with one sync before the last reboot, but its checksum table does not match: the crash came before the sync finished"
            ),
            SlotProblem::RecordsNotOnDisk { records } => write!(
                f,
                "made durable with one sync before the last reboot, but records {}..{} do not match their checksum: the crash came before the sync finished",
                records.start, records.end
            ),
        }
    }
}

/// Shows two schemas side by side, field by field, marking the differences.
struct SchemaDiff<'a> {
    expected: &'a Schema,
    found: &'a Schema,
}

impl fmt::Display for SchemaDiff<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (e, g) = (self.expected, self.found);
        writeln!(f, "  expected (the Rust type):  {}", e.summary())?;
        writeln!(f, "  found (stored in the file): {}", g.summary())?;
        let rows = e.fields().len().max(g.fields().len());
        for i in 0..rows {
            let a = e.fields().get(i).map(|x| x.to_string());
            let b = g.fields().get(i).map(|x| x.to_string());
            let mark = if a == b { " " } else { "!" };
            writeln!(
                f,
                "  {mark} field {i:>3}: expected {:<40} found {}",
                a.as_deref().unwrap_or("(none)"),
                b.as_deref().unwrap_or("(none)")
            )?;
        }
        write!(
            f,
            "  open it with the type that matches the stored schema, or inspect it with `recstore info`"
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One error of every variant, with the kind it must have. The match in
    /// `variant` lists every variant without a wildcard: a new variant does
    /// not compile here until it has a sample (and so a checked kind).
    fn samples() -> Vec<(Error, ErrorKind)> {
        let path = || PathBuf::from("s.recs");
        let io = |kind| io::Error::from(kind);
        let schema = || Box::new(Schema::new("r", 8, 8, Vec::new()));
        vec![
            (
                Error::io("open", &path(), io(io::ErrorKind::Interrupted)),
                ErrorKind::Io,
            ),
            (
                Error::io("open", &path(), io(io::ErrorKind::NotFound)),
                ErrorKind::NotFound,
            ),
            (
                Error::io("open", &path(), io(io::ErrorKind::PermissionDenied)),
                ErrorKind::PermissionDenied,
            ),
            (
                Error::NotRecstore {
                    path: path(),
                    found: vec![],
                    expected: [0; 8],
                },
                ErrorKind::NotAStore,
            ),
            (
                Error::UnsupportedVersion {
                    path: path(),
                    found_major: 9,
                    found_minor: 0,
                    supported_major: 1,
                },
                ErrorKind::UnsupportedFormat,
            ),
            (
                Error::UnsupportedFeatures {
                    path: path(),
                    flags: 4,
                },
                ErrorKind::UnsupportedFormat,
            ),
            (
                Error::FileTooSmall {
                    path: path(),
                    len: 1,
                    needed: 2,
                    what: "header",
                },
                ErrorKind::Corrupt,
            ),
            (
                Error::CorruptHeader {
                    path: path(),
                    problem: HeaderProblem::SchemaChecksum {
                        stored: 1,
                        computed: 2,
                    },
                },
                ErrorKind::Corrupt,
            ),
            (
                Error::NoValidCommit {
                    path: path(),
                    slots: [SlotProblem::Overflow, SlotProblem::Overflow],
                },
                ErrorKind::Corrupt,
            ),
            (
                Error::SchemaMismatch {
                    path: path(),
                    expected: schema(),
                    found: schema(),
                },
                ErrorKind::SchemaMismatch,
            ),
            (
                Error::InvalidSchema {
                    problem: SchemaProblem::NotCanonical,
                },
                ErrorKind::InvalidSchema,
            ),
            (
                Error::ChecksumMismatch {
                    path: path(),
                    chunk: 0,
                    records: 0..1,
                    expected: 1,
                    actual: 2,
                    bad_chunks: 1,
                },
                ErrorKind::ChecksumMismatch,
            ),
            (Error::Locked { path: path() }, ErrorKind::Locked),
            (
                Error::ReadersPresent {
                    path: path(),
                    op: "truncate",
                },
                ErrorKind::ReadersPresent,
            ),
            (
                Error::UpdateInProgress { path: path() },
                ErrorKind::UpdateInProgress,
            ),
            (
                Error::Unsupported {
                    path: path(),
                    op: "refresh",
                    reason: "use another handle",
                },
                ErrorKind::Unsupported,
            ),
            (
                Error::ReadOnly {
                    path: path(),
                    op: "push",
                },
                ErrorKind::ReadOnly,
            ),
            (
                Error::Misaligned {
                    path: path(),
                    data_offset: 3,
                    align: 4,
                },
                ErrorKind::Corrupt,
            ),
            (
                Error::IndexOutOfBounds { index: 3, len: 3 },
                ErrorKind::OutOfBounds,
            ),
            (
                Error::CapacityOverflow {
                    requested: u64::MAX,
                    stride: 8,
                },
                ErrorKind::CapacityOverflow,
            ),
            (
                Error::RecordLength { len: 3, stride: 8 },
                ErrorKind::InvalidInput,
            ),
            (
                Error::SchemaFile {
                    path: path(),
                    line: 1,
                    column: 1,
                    message: "expected a table; fix the file".into(),
                },
                ErrorKind::InvalidSchema,
            ),
            (
                Error::Poisoned {
                    op: "flush",
                    path: path(),
                    cause: "sync failed".into(),
                },
                ErrorKind::Poisoned,
            ),
            (
                Error::io("grow", &path(), io(io::ErrorKind::StorageFull)),
                ErrorKind::DiskFull,
            ),
            (
                Error::AlreadyExists { path: path() },
                ErrorKind::AlreadyExists,
            ),
            (
                Error::TextDoesNotFit {
                    len: 17,
                    room: 16,
                    nul: false,
                },
                ErrorKind::InvalidInput,
            ),
            (
                Error::DanglingSymlink {
                    path: path(),
                    target: PathBuf::from("gone.recs"),
                },
                ErrorKind::NotFound,
            ),
            (Error::Replaced { path: path() }, ErrorKind::Replaced),
            (
                Error::WindowOutOfRange {
                    path: path(),
                    start: 5,
                    end: 12,
                    count: 10,
                },
                ErrorKind::OutOfBounds,
            ),
            (
                Error::WindowOutOfRange {
                    path: path(),
                    start: 0,
                    end: 1,
                    count: 0,
                },
                ErrorKind::OutOfBounds,
            ),
        ]
    }

    /// The variant's position in the enum; no wildcard on purpose.
    fn variant(e: &Error) -> usize {
        match e {
            Error::Io { .. } => 0,
            Error::NotRecstore { .. } => 1,
            Error::UnsupportedVersion { .. } => 2,
            Error::UnsupportedFeatures { .. } => 3,
            Error::FileTooSmall { .. } => 4,
            Error::CorruptHeader { .. } => 5,
            Error::NoValidCommit { .. } => 6,
            Error::SchemaMismatch { .. } => 7,
            Error::InvalidSchema { .. } => 8,
            Error::ChecksumMismatch { .. } => 9,
            Error::Locked { .. } => 10,
            Error::ReadersPresent { .. } => 11,
            Error::UpdateInProgress { .. } => 12,
            Error::Unsupported { .. } => 13,
            Error::ReadOnly { .. } => 14,
            Error::Misaligned { .. } => 15,
            Error::IndexOutOfBounds { .. } => 16,
            Error::CapacityOverflow { .. } => 17,
            Error::RecordLength { .. } => 18,
            Error::SchemaFile { .. } => 19,
            Error::Poisoned { .. } => 20,
            Error::DiskFull { .. } => 21,
            Error::AlreadyExists { .. } => 22,
            Error::TextDoesNotFit { .. } => 23,
            Error::DanglingSymlink { .. } => 24,
            Error::Replaced { .. } => 25,
            Error::WindowOutOfRange { .. } => 26,
        }
    }

    /// The kind's position in the enum; no wildcard on purpose.
    fn kind_index(k: ErrorKind) -> usize {
        match k {
            ErrorKind::Io => 0,
            ErrorKind::NotFound => 1,
            ErrorKind::PermissionDenied => 2,
            ErrorKind::AlreadyExists => 3,
            ErrorKind::DiskFull => 4,
            ErrorKind::Poisoned => 5,
            ErrorKind::NotAStore => 6,
            ErrorKind::Corrupt => 7,
            ErrorKind::ChecksumMismatch => 8,
            ErrorKind::UnsupportedFormat => 9,
            ErrorKind::SchemaMismatch => 10,
            ErrorKind::InvalidSchema => 11,
            ErrorKind::Locked => 12,
            ErrorKind::ReadersPresent => 13,
            ErrorKind::UpdateInProgress => 14,
            ErrorKind::Unsupported => 15,
            ErrorKind::ReadOnly => 16,
            ErrorKind::OutOfBounds => 17,
            ErrorKind::CapacityOverflow => 18,
            ErrorKind::InvalidInput => 19,
            ErrorKind::Replaced => 20,
        }
    }

    #[test]
    fn every_variant_has_its_kind() {
        let samples = samples();
        let mut seen: Vec<usize> = samples.iter().map(|(e, _)| variant(e)).collect();
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(
            seen,
            (0..=26).collect::<Vec<_>>(),
            "a variant has no sample"
        );
        for (e, kind) in &samples {
            assert_eq!(e.kind(), *kind, "{e:?}");
        }
    }

    #[test]
    fn all_lists_every_kind_once_and_each_is_reachable() {
        let order: Vec<usize> = ErrorKind::ALL.iter().map(|&k| kind_index(k)).collect();
        assert_eq!(order, (0..=20).collect::<Vec<_>>());
        for &k in ErrorKind::ALL {
            assert!(
                samples().iter().any(|(e, _)| e.kind() == k),
                "no variant has kind {k:?}"
            );
        }
    }

    /// The messages issue 13 found saying what is wrong but not what to
    /// do: each ends in this advice, in words for a library user and a CLI
    /// user alike (no Rust API names such as `Store::open`).
    #[test]
    fn the_advice_of_each_message_is_pinned() {
        let path = || PathBuf::from("s.recs");
        let io = |kind| Error::io("open", &path(), io::Error::from(kind));
        let cases = [
            (
                io(io::ErrorKind::NotFound),
                "check the path (and that its directory exists)",
            ),
            (
                io(io::ErrorKind::PermissionDenied),
                "check the permissions of the file and its directory",
            ),
            (
                io(io::ErrorKind::Interrupted),
                "check the file and its file system, then retry",
            ),
            (
                Error::IndexOutOfBounds { index: 3, len: 3 },
                "use an index below 3",
            ),
            (
                Error::IndexOutOfBounds { index: 0, len: 0 },
                "the store is empty: append records first",
            ),
            (
                Error::CapacityOverflow {
                    requested: u64::MAX,
                    stride: 8,
                },
                "ask for fewer records, or split the data across several stores",
            ),
            (
                Error::RecordLength { len: 3, stride: 8 },
                "pass whole records (a multiple of 8 bytes) of the store's record type",
            ),
            (
                Error::AlreadyExists { path: path() },
                "open it instead of creating it, or remove it first to start a new store",
            ),
        ];
        for (e, advice) in cases {
            let message = e.to_string();
            assert!(message.ends_with(advice), "{message:?}");
            assert!(!message.contains("::"), "{message:?} names Rust API");
            assert!(
                message.starts_with(|c: char| !c.is_uppercase()),
                "{message:?}"
            );
        }
    }

    /// Every message ends in what to do: after its last `;` or `:` comes
    /// advice, which starts with one of these verbs.
    #[test]
    fn every_message_ends_in_what_to_do() {
        const ADVICE: &[&str] = &[
            "check",
            "open",
            "restore",
            "fix",
            "use",
            "the store is empty",
            "pass",
            "ask",
            "close",
            "free",
            "drop",
            "retry",
            "wait",
            "import",
            "append",
        ];
        for (e, _) in samples() {
            let message = e.to_string();
            let last = message
                .rsplit(['\n', ';', ':'])
                .next()
                .unwrap()
                .trim_start();
            assert!(
                ADVICE.iter().any(|a| last.starts_with(a)),
                "{message:?} does not end in advice: {last:?}"
            );
        }
    }
}
