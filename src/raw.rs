//! `RawStore`: any store, read and written through its embedded schema, and
//! the one owner of the engine. [`Store<T>`](crate::Store) and
//! [`Reader<T>`](crate::Reader) are thin typed views over a `RawStore` that
//! only add the casts from its bytes to `T` (`crate::view`).
//!
//! # Counts and offsets
//!
//! Every handle counts records, indexes them and gives capacities in
//! `usize`, as slices do: the records are mapped, so their number fits in
//! the address space. Byte offsets into the file (`data_offset`,
//! [`StoreInfo::file_len`]) are `u64`, as file offsets are.

use std::path::Path;

use crate::config::Config;
use crate::engine::Engine;
use crate::error::{Error, ErrorKind, Result};
use crate::format::Commit;
use crate::info::{Mode, Recovery, StoreInfo};
use crate::options::OpenOptions;
use crate::schema::Schema;

/// A store opened without a Rust type: records are byte slices of
/// `schema().stride()` bytes, and [`Field::values`](crate::Field::values)
/// decodes them. This is how the CLI and other tools read any store.
///
/// ```
/// use recstore::{Endian, Field, Primitive, RawStore, Schema};
///
/// # let dir = tempfile::tempdir()?;
/// let path = dir.path().join("pairs.recs");
/// // Two little-endian u32 fields, 8 bytes a record.
/// let schema = Schema::new(
///     "Pair",
///     8,
///     4,
///     vec![
///         Field::new("a", Primitive::U32, Endian::Little, 1, 0),
///         Field::new("b", Primitive::U32, Endian::Little, 1, 4),
///     ],
/// );
/// let mut store = RawStore::create(&path, &schema)?;
/// store.push(&[1, 0, 0, 0, 2, 0, 0, 0])?;
/// store.extend_from_bytes(&[3, 0, 0, 0, 4, 0, 0, 0].repeat(2))?;
/// store.flush()?;
/// drop(store);
///
/// // Any store opens this way, whatever its record type.
/// let store = RawStore::open_read_only(&path)?;
/// assert_eq!(store.len(), 3);
/// assert_eq!(store.record(1), Some(&[3, 0, 0, 0, 4, 0, 0, 0][..]));
/// let b = &store.schema().fields()[1];
/// assert_eq!(b.name(), "b");
/// store.verify()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct RawStore {
    engine: Engine,
    /// What it was opened with (a read-only `verify` looks again with it).
    config: Config,
}

impl RawStore {
    /// Opens (or creates, given `schema` and `config.create`/`create_new`)
    /// the store at `path` as `config` says. With `schema`, the stored
    /// schema must equal it.
    pub(crate) fn open_with(config: &Config, path: &Path, schema: Option<&Schema>) -> Result<Self> {
        Self::open_at(config, path, schema).map_err(|e| match e {
            // "No such file" (or, from create, "already exists") for a
            // link to nothing: say it is a dangling link.
            e if matches!(e.kind(), ErrorKind::AlreadyExists | ErrorKind::NotFound) => {
                match crate::os::dangling_link(path) {
                    Some(target) => Error::DanglingSymlink {
                        path: path.to_path_buf(),
                        target,
                    },
                    None => e,
                }
            }
            e => e,
        })
    }

    fn open_at(config: &Config, path: &Path, schema: Option<&Schema>) -> Result<Self> {
        let creating = config.create || config.create_new;
        if creating && config.mode != Mode::ReadWrite {
            return Err(Error::Unsupported {
                path: path.to_path_buf(),
                op: "create",
                reason: if config.mode == Mode::CopyOnWrite {
                    "create and copy-on-write conflict: a copy-on-write handle never writes \
                     the file, so it cannot create one; create the store read-write first, \
                     then open it copy-on-write"
                } else {
                    "create and read-only conflict: a read-only handle never writes the file, \
                     so it cannot create one; create the store read-write first, then open it \
                     read-only"
                },
            });
        }
        if config.window.is_some() && config.mode != Mode::ReadOnly {
            return Err(Error::Unsupported {
                path: path.to_path_buf(),
                op: if config.mode == Mode::ReadWrite {
                    "open a window for writing"
                } else {
                    "open a copy-on-write window"
                },
                reason: "a window maps part of the store and only reads it; open it read-only \
                         (read_only() or open_reader), or open the whole store to change it",
            });
        }
        if !config.mmap && config.mode == Mode::ReadWrite {
            return Err(Error::Unsupported {
                path: path.to_path_buf(),
                op: "open for writing",
                reason: "mmap(false) was asked, and a writer needs a memory mapping of the \
                         file; open it read-only (or copy-on-write) to read it without one",
            });
        }
        let engine = match schema.filter(|_| creating) {
            None => Engine::open(path, schema, config),
            Some(schema) if config.create_new => Engine::create(path, schema, config),
            Some(schema) => match Engine::open(path, Some(schema), config) {
                Err(Error::Io { io, .. }) if io.kind() == std::io::ErrorKind::NotFound => {
                    match Engine::create(path, schema, config) {
                        // Another process created it first: open theirs.
                        Err(Error::AlreadyExists { .. }) => {
                            Engine::open(path, Some(schema), config)
                        }
                        result => result,
                    }
                }
                result => result,
            },
        }?;
        let store = RawStore {
            engine,
            config: config.clone(),
        };
        if config.verify {
            // After open, as `verify` checks: a read-only handle looks
            // again at a newer commit when a writer grew the store meanwhile.
            store.verify()?;
        }
        Ok(store)
    }

    /// Creates a new store of `schema` records at `path`; fails with
    /// [`Error::AlreadyExists`] if anything is there.
    pub fn create(path: impl AsRef<Path>, schema: &Schema) -> Result<Self> {
        OpenOptions::new()
            .create_new(true)
            .open_raw(path, Some(schema))
    }

    /// Opens a store read-write, whatever its schema.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        OpenOptions::new().open_raw(path, None)
    }

    /// Opens a store read-only, whatever its schema.
    pub fn open_read_only(path: impl AsRef<Path>) -> Result<Self> {
        OpenOptions::new().read_only().open_raw(path, None)
    }

    /// The schema stored in the file.
    pub fn schema(&self) -> &Schema {
        self.engine.schema()
    }

    /// Number of records.
    #[inline]
    pub fn len(&self) -> usize {
        // The records are mapped (or loaded): their count fits in usize.
        self.engine.len() as usize
    }

    /// Whether the store holds no record.
    pub fn is_empty(&self) -> bool {
        self.engine.len() == 0
    }

    /// Records the file has room for before it must grow.
    pub fn capacity(&self) -> usize {
        // Mapped too (the data region for `capacity` records is).
        self.engine.capacity() as usize
    }

    /// The bytes of all records.
    #[inline]
    pub fn data(&self) -> &[u8] {
        self.engine.data()
    }

    /// The bytes of record `index`.
    #[inline]
    pub fn record(&self, index: usize) -> Option<&[u8]> {
        self.engine
            .record(index as u64, self.engine.layout().stride as usize)
    }

    /// The records' bytes, one slice per record.
    pub fn records(&self) -> std::slice::ChunksExact<'_, u8> {
        self.data()
            .chunks_exact(self.engine.layout().stride as usize)
    }

    /// Appends one record's bytes (exactly one stride long, else
    /// [`Error::RecordLength`]).
    #[inline]
    pub fn push(&mut self, record: &[u8]) -> Result<()> {
        let stride = self.engine.layout().stride as usize;
        if record.len() != stride {
            return Err(Error::RecordLength {
                len: record.len(),
                stride,
            });
        }
        self.push_record(record)
    }

    /// `push` of a record known to be one stride long: the fast path of
    /// every push (`Store::push` too). Inside the push window it is a
    /// compare, a copy and an increment.
    #[inline]
    pub(crate) fn push_record(&mut self, record: &[u8]) -> Result<()> {
        match self.engine.next_record_mut() {
            Some(slot) => {
                slot.copy_from_slice(record);
                Ok(())
            }
            None => self.engine.push_slow(record),
        }
    }

    /// Appends records' bytes (a whole number of strides) with one copy.
    pub fn extend_from_bytes(&mut self, records: &[u8]) -> Result<()> {
        self.engine.append(records)
    }

    /// Makes room for `additional` more records, reserving their disk blocks.
    pub fn reserve(&mut self, additional: usize) -> Result<()> {
        self.engine.reserve(additional as u64)
    }

    /// Record `index`'s bytes, writable in place, committed with the next
    /// `publish`/`flush` (refused while readers are open, as
    /// [`Store::get_mut`](crate::Store::get_mut)).
    pub fn record_mut(&mut self, index: usize) -> Result<&mut [u8]> {
        let len = self.engine.len();
        let i = index as u64;
        if i >= len {
            return Err(Error::IndexOutOfBounds { index: i, len });
        }
        self.engine.data_mut(i, i + 1, "update a record")
    }

    /// The bytes of all records, writable in place (refused while readers
    /// are open, as [`Store::as_mut_slice`](crate::Store::as_mut_slice)).
    pub fn data_mut(&mut self) -> Result<&mut [u8]> {
        let len = self.engine.len();
        self.engine.data_mut(0, len, "update records")
    }

    /// Logically shortens the store to `len` records (see
    /// [`Store::truncate`](crate::Store::truncate)).
    pub fn truncate(&mut self, len: usize) -> Result<()> {
        self.engine.truncate(len as u64)
    }

    /// Makes everything written visible to readers (no disk sync).
    pub fn publish(&mut self) -> Result<()> {
        self.engine.commit_changes(false)
    }

    /// Makes everything written durable.
    pub fn flush(&mut self) -> Result<()> {
        self.engine.commit_changes(true)
    }

    /// A clean close (see [`Store::close`](crate::Store::close)).
    pub fn close(mut self) -> Result<()> {
        self.engine.close()
    }

    /// Drops the store as a killed writer process would leave it (see
    /// [`Store::simulate_crash`](crate::Store::simulate_crash)).
    #[doc(hidden)]
    pub fn simulate_crash(mut self) {
        self.engine.abandon();
    }

    /// Checks every committed record against its chunk checksum; the error
    /// names the first bad record range.
    ///
    /// A read-only handle whose writer grows the store while the check runs
    /// may find the checksum table moved under it (growth moves the table
    /// past the larger data region, and appends then overwrite its old
    /// place): on a mismatch it looks at the file again (the file it has
    /// open, even once the path was deleted or names another file), and if
    /// the writer has committed since, checks that newer commit instead, at
    /// most a few times. So a live writer never causes a false alarm, and the handle
    /// itself does not change (see `refresh` for that).
    pub fn verify(&self) -> Result<()> {
        self.verify_with_progress(|_| {})
    }

    /// [`verify`](RawStore::verify), calling `progress` with the number of
    /// records checked so far, now and then (for progress bars).
    pub fn verify_with_progress(&self, mut progress: impl FnMut(usize)) -> Result<()> {
        let mut progress = |n: u64| progress(n as usize);
        let result = self.engine.verify_with_progress(&mut progress);
        if !self.engine.reads_shared_file() {
            // A writer's file changes only through it; a copy-on-write
            // handle that changed something checks its own memory. Before
            // its first change it reads the file as a reader does.
            return result;
        }
        let (mut result, mut seen) = (result, self.engine.commit().sequence);
        for _ in 0..4 {
            let Err(Error::ChecksumMismatch { .. }) = result else {
                break;
            };
            let config = Config {
                verify: false,
                ..self.config.clone()
            };
            let Some(newer) = self.engine.open_again(&config) else {
                break;
            };
            if newer.commit().sequence <= seen {
                // Nothing committed since: the mismatch is real.
                break;
            }
            seen = newer.commit().sequence;
            result = newer.verify_with_progress(&mut progress);
        }
        result
    }

    /// Fails with [`Error::Replaced`] if the path this handle was opened
    /// at no longer names its file: another file was renamed over it, or it
    /// was deleted. [`refresh`](RawStore::refresh) checks this first; this
    /// `&self` check is for a follower that cannot call `refresh` while its
    /// records are borrowed and opens the path again instead.
    pub fn check_not_replaced(&self) -> Result<()> {
        self.engine.check_not_replaced()
    }

    /// Picks up commits published since, remapping if the file grew;
    /// returns whether anything changed. Takes `&mut self`, so no record
    /// borrowed before can outlive a remap. Fails with
    /// [`Error::Replaced`] once another file was renamed over the path, or
    /// it was deleted: open the store again.
    ///
    /// For readers (read-only handles). A writer already sees everything it
    /// wrote and no other process writes its file: it returns `Ok(false)`.
    /// A copy-on-write handle is a snapshot: [`Error::Unsupported`].
    pub fn refresh(&mut self) -> Result<bool> {
        if self.engine.mode() == Mode::ReadWrite {
            return Ok(false);
        }
        self.engine.refresh()
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        self.engine.path()
    }

    /// The mode the store was opened in.
    pub fn mode(&self) -> Mode {
        self.engine.mode()
    }

    /// The sequence number of the newest commit this handle sees.
    pub fn sequence(&self) -> u64 {
        self.engine.commit().sequence
    }

    /// Set if open had to reject a commit slot and fall back to the other
    /// (a writer mid-commit causes this for a reader too: it then sees the
    /// previous commit).
    pub fn recovery(&self) -> Option<&Recovery> {
        self.engine.recovery()
    }

    /// Byte offset of the first record in the file (for other readers, e.g.
    /// `numpy.memmap(path, dtype, offset=data_offset)`).
    pub fn data_offset(&self) -> u64 {
        self.engine.layout().data_offset
    }

    /// Facts about the store: counts, the commit in effect, the layout
    /// (all O(1) to gather).
    pub fn info(&self) -> StoreInfo {
        let engine = &self.engine;
        let Commit {
            sequence,
            unsynced,
            one_sync,
            ..
        } = engine.commit();
        let layout = engine.layout();
        StoreInfo {
            format_version: (crate::format::VERSION_MAJOR, engine.format_minor()),
            // Through a window: the store's count, not the window's length.
            len: match engine.window() {
                Some(_) => engine.commit().count as usize,
                None => self.len(),
            },
            capacity: self.capacity(),
            sequence,
            unsynced,
            one_sync: one_sync.is_some(),
            data_offset: layout.data_offset,
            chunk_records: layout.chunk_records as usize,
            file_len: engine.file_len(),
            read_path: engine.read_path().clone(),
            window: engine.window().map(|w| w.start as usize..w.end as usize),
            mapped_len: engine.mapped_len(),
        }
    }
}

impl OpenOptions {
    /// Opens (or, given a schema, creates) a store through its embedded
    /// schema, without a Rust type. With `schema`, the stored schema must
    /// equal it.
    pub fn open_raw(&self, path: impl AsRef<Path>, schema: Option<&Schema>) -> Result<RawStore> {
        RawStore::open_with(&self.config, path.as_ref(), schema)
    }
}

impl std::fmt::Debug for RawStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RawStore")
            .field("path", &self.path())
            .field("record", &self.schema().name())
            .field("len", &self.len())
            .field("capacity", &self.capacity())
            .field("mode", &self.mode())
            .finish()
    }
}
