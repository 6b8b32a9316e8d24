//! `Store<T>`: a typed, Vec-like view of a store file.

use std::marker::PhantomData;
use std::path::Path;

use zerocopy::{FromBytes, IntoBytes};

use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::info::{Mode, Recovery};
use crate::options::OpenOptions;
use crate::schema::{Record, Schema};

/// A file of `T` records, read as `&T` / `&[T]` straight from the mapping.
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
    engine: Engine,
    _records: PhantomData<T>,
}

impl<T: Record> Store<T> {
    pub(crate) fn from_engine(engine: Engine) -> Self {
        Store {
            engine,
            _records: PhantomData,
        }
    }

    /// Creates a new, empty store at `path`; fails with
    /// [`Error::AlreadyExists`] if anything is there.
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

    /// Number of records.
    pub fn len(&self) -> usize {
        self.engine.len() as usize
    }

    /// Whether the store holds no record.
    pub fn is_empty(&self) -> bool {
        self.engine.len() == 0
    }

    /// Records the file has room for before it must grow.
    pub fn capacity(&self) -> usize {
        self.engine.capacity() as usize
    }

    /// All records, borrowed from the mapping.
    #[inline]
    pub fn as_slice(&self) -> &[T] {
        cast(self.engine.data(), self.engine.len())
    }

    /// Record `index`, borrowed from the mapping.
    #[inline]
    pub fn get(&self, index: usize) -> Option<&T> {
        self.as_slice().get(index)
    }

    /// An iterator over the records.
    pub fn iter(&self) -> std::slice::Iter<'_, T> {
        self.as_slice().iter()
    }

    /// Appends one record.
    #[inline]
    pub fn push(&mut self, record: &T) -> Result<()> {
        let bytes = record.as_bytes();
        match self.engine.next_record_mut() {
            Some(slot) => {
                slot.copy_from_slice(bytes);
                Ok(())
            }
            None => self.engine.push_slow(bytes),
        }
    }

    /// Appends records with one copy into the mapping.
    pub fn extend_from_slice(&mut self, records: &[T]) -> Result<()> {
        self.engine.append(records.as_bytes())
    }

    /// Appends every record of an iterator (reserving its lower size bound first).
    pub fn extend<I: IntoIterator<Item = T>>(&mut self, records: I) -> Result<()> {
        let records = records.into_iter();
        self.reserve(records.size_hint().0)?;
        for record in records {
            self.push(&record)?;
        }
        Ok(())
    }

    /// Makes room for `additional` more records, reserving their disk blocks.
    pub fn reserve(&mut self, additional: usize) -> Result<()> {
        self.engine.reserve(additional as u64)
    }

    /// Record `index`, writable in place, committed with the next
    /// `publish`/`flush`; see the crate docs on in-place updates.
    ///
    /// Refused with [`Error::ReadersPresent`] (nothing changed) while a
    /// reader, in this or another process, has the file open: it may hold a
    /// reference to this record. The first call after a commit makes sure
    /// none is there and keeps new ones out until the next commit.
    pub fn get_mut(&mut self, index: usize) -> Result<&mut T> {
        let len = self.engine.len();
        let i = index as u64;
        if i >= len {
            return Err(Error::IndexOutOfBounds { index: i, len });
        }
        let bytes = self.engine.data_mut(i, i + 1, "update a record")?;
        Ok(T::mut_from_bytes(bytes).expect("a record's bytes: right size, aligned data region"))
    }

    /// All records, writable in place (marks every chunk for re-checksumming).
    /// Refused while readers are open, as [`get_mut`](Store::get_mut).
    pub fn as_mut_slice(&mut self) -> Result<&mut [T]> {
        let len = self.engine.len();
        let bytes = self.engine.data_mut(0, len, "update records")?;
        Ok(<[T]>::mut_from_bytes(bytes).expect("whole records in an aligned data region"))
    }

    /// Shortens the store to `len` records. Logical: the file never shrinks
    /// (readers may map it), the space is reused by later appends. Below
    /// the committed count it is an in-place change (the appends after it
    /// overwrite records readers may have seen): refused while readers are
    /// open, and readers are kept out until it is flushed.
    pub fn truncate(&mut self, len: usize) -> Result<()> {
        self.engine.truncate(len as u64)
    }

    /// Removes every record (`truncate(0)`).
    pub fn clear(&mut self) -> Result<()> {
        self.truncate(0)
    }

    /// Makes everything written so far visible to readers in other
    /// processes, without a disk sync. Survives the writer's crash; a power
    /// loss may undo it (never half of it), back to the last `flush`.
    pub fn publish(&mut self) -> Result<()> {
        self.engine.commit_changes(false)
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
        self.engine.commit_changes(true)
    }

    /// A clean close: `flush`, then both commit slots made to hold the final
    /// commit. Dropping the store does the same but cannot report errors.
    pub fn close(mut self) -> Result<()> {
        self.engine.close()
    }

    /// Drops the store as a killed writer process would leave it: no
    /// commit, no sync, the lock released. For crash tests and fuzzing;
    /// what survives is what a `kill -9` leaves.
    #[doc(hidden)]
    pub fn simulate_crash(mut self) {
        self.engine.abandon();
    }

    /// Checks every committed record against its chunk checksum; the error
    /// names the first bad record range.
    pub fn verify(&self) -> Result<()> {
        self.engine.verify()
    }

    /// The schema stored in the file (equal to `T::schema()`).
    pub fn schema(&self) -> &Schema {
        self.engine.schema()
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        self.engine.path()
    }

    /// The mode the store was opened in.
    pub fn mode(&self) -> Mode {
        self.engine.mode()
    }

    /// The sequence number of the newest commit.
    pub fn sequence(&self) -> u64 {
        self.engine.commit().sequence
    }

    /// Set if open had to reject a commit slot and fall back to the other.
    pub fn recovery(&self) -> Option<&Recovery> {
        self.engine.recovery()
    }

    /// Facts about the store: counts, the commit in effect, the layout.
    pub fn info(&self) -> crate::StoreInfo {
        crate::raw::info(&self.engine)
    }

    /// Byte offset of the first record in the file (for other readers, e.g.
    /// `numpy.memmap(path, dtype, offset=data_offset)`).
    pub fn data_offset(&self) -> u64 {
        self.engine.layout().data_offset
    }
}

#[inline]
pub(crate) fn cast<T: Record>(bytes: &[u8], len: u64) -> &[T] {
    // The data region starts page-aligned in a page-aligned mapping and holds
    // `len` whole records, both checked when the store was opened: this
    // cannot fail. (`with_elems` checks the length with a multiplication
    // where `ref_from_bytes` would divide: this is on every `get`.)
    <[T]>::ref_from_bytes_with_elems(bytes, len as usize)
        .expect("whole records in an aligned data region")
}

/// `Deref<Target = [T]>` and `IntoIterator for &_`: a view of records reads
/// like the slice it is. For `Store` and `Reader`.
macro_rules! slice_view {
    ($view:ident) => {
        impl<T: Record> std::ops::Deref for $view<T> {
            type Target = [T];
            fn deref(&self) -> &[T] {
                self.as_slice()
            }
        }

        impl<'a, T: Record> IntoIterator for &'a $view<T> {
            type Item = &'a T;
            type IntoIter = std::slice::Iter<'a, T>;
            fn into_iter(self) -> Self::IntoIter {
                self.iter()
            }
        }
    };
}
pub(crate) use slice_view;

slice_view!(Store);

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
