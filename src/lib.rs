//! Fixed-size typed records in one memory-mapped file, read back as borrowed
//! `&T` / `&[T]` with no parsing and no copy.
//!
//! ```
//! use recstore::{Record, Store};
//! use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};
//!
//! /// A mesh vertex: 20 bytes, 2 of them explicit padding.
//! #[derive(Record, FromBytes, IntoBytes, KnownLayout, Immutable, Clone, Copy, Debug, PartialEq)]
//! #[repr(C)]
//! struct Vertex {
//!     position: [f32; 3],
//!     color: [u16; 3],
//!     _pad: [u8; 2],
//! }
//!
//! # let dir = tempfile::tempdir()?;
//! let path = dir.path().join("mesh.recs");
//! let mut store = Store::<Vertex>::create(&path)?;
//! let v = Vertex { position: [0.0, 1.0, 2.0], color: [255, 0, 0], _pad: [0; 2] };
//! store.push(&v)?;
//! store.extend_from_slice(&[v; 99])?;
//! store.flush()?; // durable
//! drop(store);
//!
//! let store = Store::<Vertex>::open_read_only(&path)?;
//! let all: &[Vertex] = &store[..]; // straight from the mapping (Store<T> derefs to [T])
//! assert_eq!(all.len(), 100);
//! assert_eq!(store.get(7), Some(&v));
//! store.verify()?; // every checksum
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # The pieces
//!
//! - [`Record`], derived, gives a type its [`Schema`]: every field's dotted
//!   name, type, count and offset. The file stores it; opening with another
//!   type is [`Error::SchemaMismatch`].
//! - [`Store<T>`] reads and writes, Vec-like: `push`, `extend_from_slice`,
//!   `get_mut`, `truncate`, then `publish` (visible to readers) or `flush`
//!   (durable).
//! - [`Reader<T>`] follows a store that a writer in another process appends
//!   to: `refresh` picks up what was published.
//! - [`RawStore`] reads any store through its embedded schema, without a
//!   Rust type.
//! - Readers whose file cannot be mapped (a filesystem without mmap
//!   support), or opened with [`OpenOptions::mmap`]`(false)`, read the
//!   records into memory instead: the same API, at the cost of a copy;
//!   [`StoreInfo::read_path`] says which ([`ReadPath`]).
//!
//! # Guarantees
//!
//! - **Open is O(1)** in the file size and checks the magic, the version,
//!   the header and schema checksums, both commit slots, and every offset
//!   and length against the real file length. [`Store::verify`] (or
//!   [`OpenOptions::verify_on_open`]) checks every record's chunk checksum.
//! - **Crashes**: after `flush` returns, a crash or power loss at any moment
//!   leaves at least that commit, whole. Records after it are gone, never
//!   half there. `publish` survives the writer process dying; a power loss
//!   may roll it back to the last `flush` (see `docs/FORMAT.md`).
//! - **In-place updates** (`get_mut`, `as_mut_slice`, and appends after a
//!   `truncate` that overwrite committed records) change bytes that the last
//!   commit covers. They are committed at the next `flush`; a crash before
//!   that may leave any subset of the touched pages changed, which `verify`
//!   then reports.
//! - **Sharing**: no safe code can change a record behind a live `&T`.
//!   Readers ([`Reader`], read-only and copy-on-write handles) hold a shared
//!   lock on the file while open; appends never wait for them, but in-place
//!   changes of committed records are refused with
//!   [`Error::ReadersPresent`] while any reader, in any process, is open, and
//!   a reader opening during an uncommitted in-place change gets
//!   [`Error::UpdateInProgress`]. A copy-on-write handle is a snapshot.
//! - **Two writers**: the second gets [`Error::Locked`] at once.
//! - **Full disk**: growth reserves disk blocks first, so a full disk is an
//!   error from `push`, never a SIGBUS.
//! - **Truncation**: recstore never shrinks a file that others may map.
//!
//! # The contract for other programs
//!
//! As with every memory-mapped file (memmap2 documents the same), another
//! program that writes, truncates or rewrites a store in place while a
//! recstore handle has it mapped, ignoring the locks described in
//! `docs/FORMAT.md` ("Locks and sharing"), breaks these guarantees: records
//! may change under a live `&T`, which is undefined behaviour, or a read may
//! raise SIGBUS. Replace a store by writing a new file and renaming it over
//! the old one.
//!
//! The file format is specified in `docs/FORMAT.md`.

#![deny(missing_docs)]
#![warn(clippy::undocumented_unsafe_blocks)]

// Lets the derive's `::recstore::` paths resolve inside this crate's own tests.
extern crate self as recstore;

mod append;
mod append_crc;
mod commit;
mod config;
mod dirty;
mod engine;
mod error;
pub mod format;
pub mod info;
pub mod inspect;
mod map;
mod options;
mod os;
mod raw;
mod read_path;
mod reader;
pub mod schema;
#[cfg(feature = "schema-file")]
pub mod schema_file;
mod share;
mod store;
mod text;
mod value;
mod view;

#[doc(hidden)]
pub use config::{Step, SyncEvent, SyncLog};
pub use error::{Error, ErrorKind, HeaderProblem, Result, SlotProblem};
pub use info::{Mode, ReadPath, Recovery, StoreInfo};
pub use options::OpenOptions;
pub use raw::RawStore;
pub use reader::Reader;
pub use schema::{Endian, Field, Primitive, Record, RecordField, Schema, SchemaProblem};
pub use store::Store;
pub use text::{Bool, Text};
pub use value::{decode_text, Value};

/// `#[derive(Record)]`: the schema from the struct itself.
///
/// The struct must be `#[repr(C)]`, have named fields, no generics, and
/// derive zerocopy's `FromBytes, IntoBytes, KnownLayout, Immutable`. Fields
/// may be primitives, `zerocopy::byteorder` types, arrays, or other
/// `Record`s (flattened as `outer.inner`). A field whose name starts with
/// `_`, or marked `#[record(padding)]`, is padding. `#[record(name = "…")]`
/// on the struct sets the record name stored in the schema (by default the
/// struct's name), so a renamed struct can still open old files. A field
/// named with a raw identifier (`r#type`) is stored without the prefix
/// (`type`).
///
/// A zero-sized field (`[T; 0]`, `PhantomData`) has no bytes a schema can
/// describe, so it does not compile:
///
/// ```compile_fail,E0080
/// #[derive(recstore::Record, zerocopy::FromBytes, zerocopy::IntoBytes,
///          zerocopy::KnownLayout, zerocopy::Immutable)]
/// #[repr(C)]
/// struct Sample {
///     t: u64,
///     none: [u64; 0], // error: field `none` of `Sample` has size 0
/// }
/// ```
#[cfg(feature = "derive")]
pub use recstore_derive::Record;

#[doc(hidden)]
pub mod __private {
    /// For recstore's own tools (the CLI's exports): not part of the API.
    pub use crate::os::start_writeback;
    pub use crate::schema::derive_support::*;
    pub use std::sync::OnceLock;
    pub use std::vec::Vec;
}

/// The README's examples, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
