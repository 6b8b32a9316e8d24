//! The options builder for opening and creating stores: plain data. The
//! `open` methods that use it live with the handles they return
//! ([`OpenOptions::open`] in `store.rs`, [`OpenOptions::open_reader`] in
//! `reader.rs`, [`OpenOptions::open_raw`] in `raw.rs`).

use crate::config::{Config, Step, StepHook, SyncLog, Window};
use crate::info::Mode;

/// How to open a store: mode, whether to create it, whether to verify it,
/// whether to map it. Plain settings: every handle opens through them,
/// [`open`](OpenOptions::open) a [`Store`](crate::Store),
/// [`open_reader`](OpenOptions::open_reader) a [`Reader`](crate::Reader),
/// [`open_raw`](OpenOptions::open_raw) a [`RawStore`](crate::RawStore);
/// the handles' own `create`/`open` functions are shortcuts for these.
///
/// ```
/// use recstore::{Mode, OpenOptions, RawStore, Reader, Record, Store};
/// use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};
///
/// #[derive(Record, FromBytes, IntoBytes, KnownLayout, Immutable)]
/// #[repr(C)]
/// struct Reading {
///     t: u64,
///     value: f64,
/// }
///
/// # let dir = tempfile::tempdir()?;
/// let path = dir.path().join("log.recs");
/// let mut store: Store<Reading> = OpenOptions::new()
///     .create(true)            // create it if it is missing
///     .initial_capacity(1024)  // room for 1024 records before the first growth
///     .open(&path)?;
/// store.push(&Reading { t: 1, value: 0.5 })?;
/// store.close()?;
///
/// let snapshot: Store<Reading> = OpenOptions::new()
///     .mode(Mode::CopyOnWrite) // changes stay in this process's memory
///     .verify_on_open(true)    // check every checksum before returning
///     .open(&path)?;
/// assert_eq!(snapshot.len(), 1);
///
/// let reader: Reader<Reading> = OpenOptions::new()
///     .mmap(false)             // read the records into memory instead of mapping
///     .open_reader(&path)?;
/// assert!(!reader.info().read_path.is_mapped());
///
/// let raw: RawStore = OpenOptions::new().read_only().open_raw(&path, None)?;
/// assert_eq!(raw.schema(), Reading::schema());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct OpenOptions {
    pub(crate) config: Config,
}

impl OpenOptions {
    /// Read-write, existing file only, no verification; new stores start with
    /// room for 64 KiB of records.
    pub fn new() -> OpenOptions {
        OpenOptions {
            config: Config::default(),
        }
    }

    /// Sets the mode: [`Mode::ReadWrite`] (the default) takes the writer
    /// lock; [`Mode::ReadOnly`] and [`Mode::CopyOnWrite`] are readers (they
    /// hold the shared readers' lock, see the crate docs on sharing) and
    /// never change the file. A copy-on-write handle is a snapshot: it
    /// copies the file into memory at its first change, and cannot
    /// `refresh`.
    pub fn mode(&mut self, mode: Mode) -> &mut Self {
        self.config.mode = mode;
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

    /// Creates the store if the file is missing (read-write mode only;
    /// read-only and copy-on-write handles never write, so asking them to
    /// create is [`Error::Unsupported`](crate::Error::Unsupported)).
    ///
    /// A new store is written beside the path and renamed into place, so
    /// it is never created through a symbolic link: a link to nothing is
    /// [`Error::DanglingSymlink`](crate::Error::DanglingSymlink), naming its target.
    pub fn create(&mut self, create: bool) -> &mut Self {
        self.config.create = create;
        self
    }

    /// Creates the store, failing with [`Error::AlreadyExists`](crate::Error::AlreadyExists) if the file exists.
    pub fn create_new(&mut self, create_new: bool) -> &mut Self {
        self.config.create_new = create_new;
        self
    }

    /// Checks every data checksum before open returns (a full read of the
    /// data), as [`RawStore::verify`](crate::RawStore::verify) does: on a
    /// read-only handle, a writer that grows the store meanwhile causes no
    /// false alarm.
    pub fn verify_on_open(&mut self, verify: bool) -> &mut Self {
        self.config.verify = verify;
        self
    }

    /// Capacity, in records, of a store this call creates (default: 64 KiB
    /// worth). Capacity 0 makes a one-page (4 KiB) file.
    pub fn initial_capacity(&mut self, records: usize) -> &mut Self {
        self.config.capacity = Some(records as u64);
        self
    }

    /// Whether a reader maps the file (`true`, the default) or reads its
    /// committed records into memory with ordinary reads (`false`): the
    /// same records, checksums and errors, for filesystems where mapping
    /// is slow or unwelcome, at the cost of a copy of the records. A reader
    /// whose file cannot be mapped (the filesystem refuses) reads it that
    /// way anyway; [`StoreInfo::read_path`](crate::StoreInfo::read_path)
    /// says which way was taken. A writer needs the mapping: `mmap(false)`
    /// with [`Mode::ReadWrite`] fails with [`Error::Unsupported`](crate::Error::Unsupported).
    pub fn mmap(&mut self, mmap: bool) -> &mut Self {
        self.config.mmap = mmap;
        self
    }

    /// Opens only the records in `range` (a *window*): the handle's records
    /// are exactly those (its index 0 is record `range.start`, its `len()`
    /// the window's length), and it maps (or, with `mmap(false)`, reads)
    /// only the bytes of the checksum chunks that overlap them, however
    /// large the store. For address-space limits (32-bit targets,
    /// `ulimit -v`) and for a worker that owns one slice of a huge store.
    ///
    /// - Readers only: a window with [`Mode::ReadWrite`] or
    ///   [`Mode::CopyOnWrite`] is refused with
    ///   [`Error::Unsupported`](crate::Error::Unsupported).
    /// - The same checks: open checks the header and commit slots as
    ///   always, and [`verify`](crate::Reader::verify) (or
    ///   [`verify_on_open`](OpenOptions::verify_on_open)) checks the chunks
    ///   that overlap the window, and no other: records outside it are
    ///   never read.
    /// - A window must lie inside the committed records at open, else
    ///   [`Error::WindowOutOfRange`](crate::Error::WindowOutOfRange); `a..` means from `a` to the committed
    ///   count at open.
    /// - It is fixed: `refresh` returns `Ok(false)`, and the records it
    ///   shows never change while it is open (it holds the readers' lock,
    ///   as every reader does, so in-place updates of the store wait for it
    ///   to close; appends do not).
    ///
    /// [`StoreInfo::window`](crate::StoreInfo::window) reports it.
    ///
    /// ```
    /// # #[derive(recstore::Record, zerocopy::FromBytes, zerocopy::IntoBytes, zerocopy::KnownLayout, zerocopy::Immutable)]
    /// # #[repr(C)] struct Reading { t: u64, value: f64 }
    /// # let dir = tempfile::tempdir()?;
    /// # let path = dir.path().join("log.recs");
    /// use recstore::{OpenOptions, Reader, Store};
    /// let mut store = Store::<Reading>::create(&path)?;
    /// for t in 0..1000 {
    ///     store.push(&Reading { t, value: 0.5 })?;
    /// }
    /// store.flush()?;
    /// let slice: Reader<Reading> = OpenOptions::new().window(200..300).open_reader(&path)?;
    /// assert_eq!(slice.len(), 100);
    /// assert_eq!(slice[0].t, 200);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn window(&mut self, range: impl std::ops::RangeBounds<usize>) -> &mut Self {
        use std::ops::Bound;
        let start = match range.start_bound() {
            Bound::Included(&a) => a as u64,
            Bound::Excluded(&a) => (a as u64).saturating_add(1),
            Bound::Unbounded => 0,
        };
        let end = match range.end_bound() {
            Bound::Included(&b) => Some((b as u64).saturating_add(1)),
            Bound::Excluded(&b) => Some(b as u64),
            Bound::Unbounded => None,
        };
        self.config.window = Some(Window { start, end });
        self
    }

    /// Test hook: mapping the file fails with `ENODEV`, as on a
    /// filesystem without mmap support.
    #[doc(hidden)]
    pub fn fail_map(&mut self) -> &mut Self {
        self.config.fail_map = true;
        self
    }

    /// Test hook: log every sync of the opened store (power-loss tests).
    #[doc(hidden)]
    pub fn record_syncs(&mut self, log: SyncLog) -> &mut Self {
        self.config.sync_log = Some(log);
        self
    }

    /// Test hook: the commit sync of number `n` (counted from 0 by the
    /// opened handle) fails as a disk error would (fault-injection tests).
    #[doc(hidden)]
    pub fn fail_sync(&mut self, n: u64) -> &mut Self {
        self.config.fail_sync = Some(n);
        self
    }

    /// Test hook: `hook` is called at each [`Step`] of the opened handle
    /// (and of the handles it opens to look at a newer commit), where a
    /// writer may commit: a race test plays the writer's moves there.
    #[doc(hidden)]
    pub fn at_step(&mut self, hook: impl Fn(Step) + Send + Sync + 'static) -> &mut Self {
        self.config.step_hook = Some(StepHook(std::sync::Arc::new(hook)));
        self
    }

    /// Test hook: behave as on a system without a boot id (containers
    /// without `/proc/sys/kernel/random/boot_id`, other systems).
    #[doc(hidden)]
    pub fn unknown_boot_id(&mut self) -> &mut Self {
        self.config.unknown_boot = true;
        self
    }
}
