//! The options builder for opening and creating stores.

use std::path::Path;

use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::info::Mode;
use crate::raw::RawStore;
use crate::schema::{Record, Schema};
use crate::store::Store;

/// How to open a store: mode, whether to create it, whether to verify it.
///
/// ```
/// # #[derive(recstore::Record, zerocopy::FromBytes, zerocopy::IntoBytes, zerocopy::KnownLayout, zerocopy::Immutable)]
/// # #[repr(C)] struct Reading { t: u64, value: f64 }
/// # let dir = tempfile::tempdir()?;
/// # let path = dir.path().join("log.recs");
/// use recstore::{Mode, OpenOptions, Store};
/// let store: Store<Reading> = OpenOptions::new()
///     .create(true)            // create it if it is missing
///     .initial_capacity(1024)  // room for 1024 records before the first growth
///     .open(&path)?;
/// drop(store);
/// let snapshot: Store<Reading> = OpenOptions::new()
///     .mode(Mode::CopyOnWrite) // changes stay in this process's memory
///     .verify_on_open(true)    // check every checksum before returning
///     .open(&path)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct OpenOptions {
    pub(crate) mode: Mode,
    pub(crate) create: bool,
    pub(crate) create_new: bool,
    pub(crate) verify: bool,
    pub(crate) capacity: Option<u64>,
    pub(crate) sync_log: Option<crate::commit::SyncLog>,
    pub(crate) fail_sync: Option<u64>,
    pub(crate) unknown_boot: bool,
    pub(crate) mmap: bool,
    pub(crate) fail_map: bool,
}

impl Default for OpenOptions {
    fn default() -> Self {
        OpenOptions::new()
    }
}

impl OpenOptions {
    /// Read-write, existing file only, no verification; new stores start with
    /// room for 64 KiB of records.
    pub fn new() -> OpenOptions {
        OpenOptions {
            mode: Mode::ReadWrite,
            create: false,
            create_new: false,
            verify: false,
            capacity: None,
            sync_log: None,
            fail_sync: None,
            unknown_boot: false,
            mmap: true,
            fail_map: false,
        }
    }

    /// Sets the mode: [`Mode::ReadWrite`] (the default) takes the writer
    /// lock; [`Mode::ReadOnly`] and [`Mode::CopyOnWrite`] are readers (they
    /// hold the shared readers' lock, see the crate docs on sharing) and
    /// never change the file. A copy-on-write handle is a snapshot: it
    /// copies the file into memory at its first change, and cannot
    /// `refresh`.
    pub fn mode(&mut self, mode: Mode) -> &mut Self {
        self.mode = mode;
        self
    }

    /// Shorthand for `mode(Mode::ReadOnly)`.
    pub fn read_only(&mut self) -> &mut Self {
        self.mode(Mode::ReadOnly)
    }

    /// Shorthand for `mode(Mode::CopyOnWrite)`.
    pub fn copy_on_write(&mut self) -> &mut Self {
        self.mode(Mode::CopyOnWrite)
    }

    /// Creates the store if the file is missing (read-write mode only).
    pub fn create(&mut self, create: bool) -> &mut Self {
        self.create = create;
        self
    }

    /// Creates the store, failing with [`Error::AlreadyExists`] if the file exists.
    pub fn create_new(&mut self, create_new: bool) -> &mut Self {
        self.create_new = create_new;
        self
    }

    /// Checks every data checksum before open returns (a full read of the data).
    pub fn verify_on_open(&mut self, verify: bool) -> &mut Self {
        self.verify = verify;
        self
    }

    /// Capacity, in records, of a store this call creates (default: 64 KiB
    /// worth). Capacity 0 makes a one-page (4 KiB) file.
    pub fn initial_capacity(&mut self, records: u64) -> &mut Self {
        self.capacity = Some(records);
        self
    }

    /// Whether a reader maps the file (`true`, the default) or reads its
    /// committed records into memory with ordinary reads (`false`): the
    /// same records, checksums and errors, for filesystems where mapping
    /// is slow or unwelcome, at the cost of a copy of the records. A reader
    /// whose file cannot be mapped (the filesystem refuses) reads it that
    /// way anyway; [`StoreInfo::read_path`](crate::StoreInfo::read_path)
    /// says which way was taken. A writer needs the mapping: `mmap(false)`
    /// with [`Mode::ReadWrite`] fails with [`Error::Unsupported`].
    pub fn mmap(&mut self, mmap: bool) -> &mut Self {
        self.mmap = mmap;
        self
    }

    /// Test hook: mapping the file fails with `ENODEV`, as on a
    /// filesystem without mmap support.
    #[doc(hidden)]
    pub fn fail_map(&mut self) -> &mut Self {
        self.fail_map = true;
        self
    }

    /// Test hook: log every sync of the opened store (power-loss tests).
    #[doc(hidden)]
    pub fn record_syncs(&mut self, log: crate::commit::SyncLog) -> &mut Self {
        self.sync_log = Some(log);
        self
    }

    /// Test hook: the commit sync of number `n` (counted from 0 by the
    /// opened handle) fails as a disk error would (fault-injection tests).
    #[doc(hidden)]
    pub fn fail_sync(&mut self, n: u64) -> &mut Self {
        self.fail_sync = Some(n);
        self
    }

    /// Test hook: behave as on a system without a boot id (containers
    /// without `/proc/sys/kernel/random/boot_id`, other systems).
    #[doc(hidden)]
    pub fn unknown_boot_id(&mut self) -> &mut Self {
        self.unknown_boot = true;
        self
    }

    /// This boot's id as the opened handle sees it (all zero: unknown).
    pub(crate) fn boot_id(&self) -> [u8; 16] {
        if self.unknown_boot {
            [0; 16]
        } else {
            crate::os::boot_id()
        }
    }

    /// Opens (or creates) a store of `T` records.
    pub fn open<T: Record>(&self, path: impl AsRef<Path>) -> Result<Store<T>> {
        self.engine(path.as_ref(), Some(T::schema()))
            .map(Store::from_engine)
    }

    /// Opens a [`Reader`](crate::Reader) of `T` records with these options
    /// (read-only whatever the mode set: a reader never writes).
    pub fn open_reader<T: Record>(&self, path: impl AsRef<Path>) -> Result<crate::Reader<T>> {
        crate::Reader::with_options(self, path.as_ref())
    }

    /// Opens (or, given a schema, creates) a store through its embedded
    /// schema, without a Rust type. With `schema`, the stored schema must
    /// equal it.
    pub fn open_raw(&self, path: impl AsRef<Path>, schema: Option<&Schema>) -> Result<RawStore> {
        self.engine(path.as_ref(), schema)
            .map(RawStore::from_engine)
    }

    pub(crate) fn engine(&self, path: &Path, schema: Option<&Schema>) -> Result<Engine> {
        let creating = self.create || self.create_new;
        if creating && self.mode != Mode::ReadWrite {
            return Err(Error::ReadOnly {
                path: path.to_path_buf(),
                op: "create",
            });
        }
        if !self.mmap && self.mode == Mode::ReadWrite {
            return Err(Error::Unsupported {
                path: path.to_path_buf(),
                op: "open for writing",
                reason: "mmap(false) was asked, and a writer needs a memory mapping of the \
                         file; open it read-only (or copy-on-write) to read it without one",
            });
        }
        let Some(schema) = schema.filter(|_| creating) else {
            return Engine::open(path, schema, self);
        };
        if self.create_new {
            return Engine::create(path, schema, self);
        }
        match Engine::open(path, Some(schema), self) {
            Err(Error::Io { io, .. }) if io.kind() == std::io::ErrorKind::NotFound => {
                match Engine::create(path, schema, self) {
                    // Another process created it first: open theirs.
                    Err(Error::AlreadyExists { .. }) => Engine::open(path, Some(schema), self),
                    result => result,
                }
            }
            result => result,
        }
    }
}
