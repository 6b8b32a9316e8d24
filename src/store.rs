//! `Store<T>`: a typed, Vec-like view of a store file: a [`RawStore`] and
//! the casts of its bytes to `T` (`crate::view`).

use std::marker::PhantomData;
use std::path::Path;

use zerocopy::{FromBytes, IntoBytes};

use crate::error::Result;
use crate::info::{Mode, Recovery, StoreInfo};
use crate::options::OpenOptions;
use crate::raw::RawStore;
use crate::schema::{Record, Schema};

/// A file of `T` records, read as `&T` / `&[T]` straight from the mapping.
///
/// A `Store<T>` dereferences to `[T]`: every slice method reads the
/// records (`len`, `store[i]`, `get(i)`, `get(range)`, `iter`, `last`,
/// `binary_search_by`, `&store[..]` for the whole `&[T]`, ...).
///
/// ```
/// use recstore::{Record, Store};
/// use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};
///
/// #[derive(Record, FromBytes, IntoBytes, KnownLayout, Immutable, Clone, Copy, Debug, PartialEq)]
/// #[repr(C)]
/// struct Reading {
///     t: u64,
///     value: f64,
/// }
///
/// # let dir = tempfile::tempdir()?;
/// let path = dir.path().join("readings.recs");
/// let mut store = Store::<Reading>::create(&path)?;
/// for t in 0..10 {
///     store.push(&Reading { t, value: t as f64 / 2.0 })?;
/// }
/// store.get_mut(0)?.value = -1.0; // in place, checksummed at the next commit
/// store.flush()?;
///
/// assert_eq!(store.len(), 10);
/// assert_eq!(store[3].value, 1.5);
/// assert_eq!(store.get(20), None);
/// let window: &[Reading] = store.get(2..4).unwrap(); // slice methods work
/// assert_eq!(window.iter().map(|r| r.t).collect::<Vec<_>>(), [2, 3]);
/// assert_eq!(store.iter().filter(|r| r.value < 0.0).count(), 1);
/// let all: &[Reading] = &store[..];
/// assert_eq!(all.len(), store.len());
/// store.verify()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// Reading methods borrow from the mapping and copy nothing. Writing
/// methods need read-write (or copy-on-write) mode and `&mut self`; growing
/// remaps the file, and because only `&mut self` can grow, no borrowed
/// record can outlive the mapping it points into:
///
/// ```compile_fail
/// # #[derive(recstore::Record, zerocopy::FromBytes, zerocopy::IntoBytes, zerocopy::KnownLayout, zerocopy::Immutable, Clone, Copy)]
/// # #[repr(C)] struct V { x: u32 }
/// # let dir = tempfile::tempdir().unwrap();
/// let mut store = recstore::Store::<V>::create(dir.path().join("v.recs")).unwrap();
/// store.push(&V { x: 1 }).unwrap();
/// let first: &V = store.get(0).unwrap();
/// store.push(&V { x: 2 }).unwrap(); // error: `store` is borrowed by `first`
/// println!("{}", first.x);
/// ```
///
/// Changes become visible to [`Reader`](crate::Reader)s at
/// [`publish`](Store::publish) and durable at [`flush`](Store::flush).
/// Dropping a read-write store is a clean close: a durable commit of
/// everything written, ignoring errors ([`close`](Store::close) returns them).
pub struct Store<T: Record> {
    raw: RawStore,
    _records: PhantomData<T>,
}

impl<T: Record> Store<T> {
    /// Creates a new, empty store at `path`; fails with
    /// [`Error::AlreadyExists`](crate::Error::AlreadyExists) if anything is there.
    pub fn create(path: impl AsRef<Path>) -> Result<Self> {
        OpenOptions::new().create_new(true).open(path)
    }

    /// Opens an existing store read-write, taking the writer lock.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        OpenOptions::new().open(path)
    }

    /// Opens an existing store read-only: a reader, holding the shared
    /// readers' lock while open (appends go on; the writer's in-place
    /// changes wait until it is dropped).
    pub fn open_read_only(path: impl AsRef<Path>) -> Result<Self> {
        OpenOptions::new().read_only().open(path)
    }

    /// The options builder (same as [`OpenOptions::new`]).
    pub fn options() -> OpenOptions {
        OpenOptions::new()
    }

    /// Records the file has room for before it must grow.
    pub fn capacity(&self) -> usize {
        self.raw.capacity()
    }

    /// Appends one record.
    #[inline]
    pub fn push(&mut self, record: &T) -> Result<()> {
        // `T`'s size is the stride (checked at open): no length check.
        self.raw.push_record(record.as_bytes())
    }

    /// Appends records with one copy into the mapping.
    pub fn extend_from_slice(&mut self, records: &[T]) -> Result<()> {
        self.raw.extend_from_bytes(records.as_bytes())
    }

    /// Appends every record of an iterator.
    ///
    /// Its lower size bound is a hint, not a promise, and the room reserved
    /// stays in the file: it reserves at most 1 MiB of records, or as many
    /// as the store holds already (so an honest hint grows the file
    /// geometrically, as `push` does, and a lying one costs at most that).
    pub fn extend<I: IntoIterator<Item = T>>(&mut self, records: I) -> Result<()> {
        let records = records.into_iter();
        let batch = ((1 << 20) / std::mem::size_of::<T>().max(1)).max(self.len());
        self.reserve(records.size_hint().0.min(batch))?;
        for record in records {
            self.push(&record)?;
        }
        Ok(())
    }

    /// Makes room for `additional` more records, reserving their disk blocks.
    pub fn reserve(&mut self, additional: usize) -> Result<()> {
        self.raw.reserve(additional)
    }

    /// Record `index`, writable in place, committed with the next
    /// `publish`/`flush`; see the crate docs on in-place updates.
    ///
    /// Refused with [`Error::ReadersPresent`](crate::Error::ReadersPresent)
    /// (nothing changed) while a reader, in this or another process, has
    /// the file open: it may hold a reference to this record. The first
    /// call after a commit makes sure none is there and keeps new ones out
    /// until the next commit.
    pub fn get_mut(&mut self, index: usize) -> Result<&mut T> {
        let bytes = self.raw.record_mut(index)?;
        Ok(T::mut_from_bytes(bytes).expect("a record's bytes: right size, aligned data region"))
    }

    /// All records, writable in place (marks every chunk for re-checksumming).
    /// Refused while readers are open, as [`get_mut`](Store::get_mut).
    pub fn as_mut_slice(&mut self) -> Result<&mut [T]> {
        let bytes = self.raw.data_mut()?;
        Ok(<[T]>::mut_from_bytes(bytes).expect("whole records in an aligned data region"))
    }

    /// Shortens the store to `len` records. Logical: the file never shrinks
    /// (readers may map it), the space is reused by later appends. Below
    /// the committed count it is an in-place change (the appends after it
    /// overwrite records readers may have seen): refused while readers are
    /// open, and readers are kept out until it is flushed.
    pub fn truncate(&mut self, len: usize) -> Result<()> {
        self.raw.truncate(len)
    }

    /// Removes every record (`truncate(0)`).
    pub fn clear(&mut self) -> Result<()> {
        self.truncate(0)
    }

    /// Makes everything written so far visible to readers in other
    /// processes, without a disk sync. Survives the writer's crash; a power
    /// loss may undo it (never half of it), back to the last `flush`.
    pub fn publish(&mut self) -> Result<()> {
        self.raw.publish()
    }

    /// Makes everything written so far durable: after it returns, a crash or
    /// power loss at any moment leaves at least this state.
    ///
    /// When only appends happened since the last `flush`, it costs one disk
    /// sync: the commit carries what the first reader after a reboot needs
    /// to check that the appended records reached the disk (a CRC of just
    /// those), and falls back to the previous flush if they did not. Other
    /// commits (after in-place updates or a `truncate`) take two syncs; see
    /// `docs/FORMAT.md`, "Commit protocol".
    pub fn flush(&mut self) -> Result<()> {
        self.raw.flush()
    }

    /// A clean close: `flush`, then both commit slots made to hold the final
    /// commit. Dropping the store does the same but cannot report errors.
    pub fn close(self) -> Result<()> {
        self.raw.close()
    }

    /// Drops the store as a killed writer process would leave it: no
    /// commit, no sync, the lock released. For crash tests and fuzzing;
    /// what survives is what a `kill -9` leaves.
    #[doc(hidden)]
    pub fn simulate_crash(self) {
        self.raw.simulate_crash();
    }

    /// Checks every committed record against its chunk checksum; the error
    /// names the first bad record range. A read-only store whose writer
    /// commits meanwhile checks the newer commit instead of raising a false
    /// alarm (see [`RawStore::verify`]).
    pub fn verify(&self) -> Result<()> {
        self.raw.verify()
    }

    /// Picks up commits a writer published since, as
    /// [`Reader::refresh`](crate::Reader::refresh) does, for a store
    /// opened read-only; returns whether anything changed. On a writer it
    /// returns `Ok(false)` (it already sees everything written to its
    /// file); a copy-on-write store is a snapshot and fails with
    /// [`Error::Unsupported`](crate::Error::Unsupported).
    pub fn refresh(&mut self) -> Result<bool> {
        self.raw.refresh()
    }

    /// The schema stored in the file (equal to `T::schema()`).
    pub fn schema(&self) -> &Schema {
        self.raw.schema()
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        self.raw.path()
    }

    /// The mode the store was opened in.
    pub fn mode(&self) -> Mode {
        self.raw.mode()
    }

    /// The sequence number of the newest commit.
    pub fn sequence(&self) -> u64 {
        self.raw.sequence()
    }

    /// Set if open had to reject a commit slot and fall back to the other.
    pub fn recovery(&self) -> Option<&Recovery> {
        self.raw.recovery()
    }

    /// Facts about the store: counts, the commit in effect, the layout.
    pub fn info(&self) -> StoreInfo {
        self.raw.info()
    }

    /// Byte offset of the first record in the file (for other readers, e.g.
    /// `numpy.memmap(path, dtype, offset=data_offset)`).
    pub fn data_offset(&self) -> u64 {
        self.raw.data_offset()
    }
}

impl OpenOptions {
    /// Opens (or creates) a store of `T` records.
    pub fn open<T: Record>(&self, path: impl AsRef<Path>) -> Result<Store<T>> {
        crate::schema::check_rust_type::<T>()
            .map_err(|problem| crate::Error::InvalidSchema { problem })?;
        let raw = RawStore::open_with(&self.config, path.as_ref(), Some(T::schema()))?;
        Ok(Store {
            raw,
            _records: PhantomData,
        })
    }
}

crate::view::slice_view!(Store);

impl<T: Record> std::fmt::Debug for Store<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.path())
            .field("record", &self.schema().name())
            .field("len", &self.len())
            .field("capacity", &self.capacity())
            .field("mode", &self.mode())
            .finish()
    }
}
