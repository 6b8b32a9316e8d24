//! `Reader<T>`: follows a store that a writer in another process appends
//! to: a read-only [`RawStore`] and the casts of its bytes to `T`
//! (`crate::view`).

use std::marker::PhantomData;
use std::path::Path;

use crate::error::Result;
use crate::info::{Recovery, StoreInfo};
use crate::options::OpenOptions;
use crate::raw::RawStore;
use crate::schema::{Record, Schema};

/// A read-only view of a store that a writer may be appending to, in this
/// or another process. It sees the commit that was newest when it was opened
/// or last [`refresh`](Reader::refresh)ed: never a record that was not
/// published, never a torn append, and no record it shows ever changes while
/// it is open: it holds the shared readers' lock, so the writer's in-place
/// changes are refused until it is dropped (appends are never held up).
/// Opening fails with [`Error::UpdateInProgress`](crate::Error::UpdateInProgress)
/// while the writer has an uncommitted in-place change.
///
/// Open it with [`OpenOptions::open_reader`] (every option applies; the mode
/// is always read-only), or [`Reader::open`] for the defaults. Like a
/// [`Store`](crate::Store), it dereferences to `[T]`.
///
/// ```
/// use recstore::{OpenOptions, Reader, Record, Store};
/// use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};
///
/// #[derive(Record, FromBytes, IntoBytes, KnownLayout, Immutable, Clone, Copy)]
/// #[repr(C)]
/// struct Tick {
///     t: u64,
/// }
///
/// # let dir = tempfile::tempdir()?;
/// let path = dir.path().join("ticks.recs");
/// let mut writer = Store::<Tick>::create(&path)?;
/// writer.extend_from_slice(&[Tick { t: 0 }, Tick { t: 1 }])?;
/// writer.publish()?; // visible to readers, no disk sync
///
/// let mut reader: Reader<Tick> = OpenOptions::new().verify_on_open(true).open_reader(&path)?;
/// assert_eq!(reader.len(), 2);
///
/// writer.push(&Tick { t: 2 })?;
/// assert_eq!(reader.len(), 2); // not published yet
/// writer.publish()?;
/// assert!(reader.refresh()?); // picks up the new commit
/// assert_eq!(reader.iter().map(|x| x.t).sum::<u64>(), 3);
/// assert_eq!(reader.get(1..).map(|s| s.len()), Some(2));
/// assert_eq!(reader.path(), path);
/// assert_eq!(reader.info().len, 3);
/// reader.verify()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Reader<T: Record> {
    raw: RawStore,
    _records: PhantomData<T>,
}

impl<T: Record> Reader<T> {
    /// Opens a store for reading with the default options: a shortcut for
    /// `OpenOptions::new().open_reader(path)`.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        OpenOptions::new().open_reader(path)
    }

    /// Picks up records published since the last look, remapping if the
    /// file grew. Returns whether anything changed. Takes `&mut self`, so no
    /// record borrowed before can outlive a remap.
    pub fn refresh(&mut self) -> Result<bool> {
        self.raw.refresh()
    }

    /// Checks every record of the commit this reader sees against its
    /// checksum. If the writer commits while the check runs, the check moves
    /// to the newer commit and runs again (so a live writer never causes a
    /// false alarm), at most a few times; see [`RawStore::verify`].
    pub fn verify(&self) -> Result<()> {
        self.raw.verify()
    }

    /// The schema stored in the file (equal to `T::schema()`).
    pub fn schema(&self) -> &Schema {
        self.raw.schema()
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        self.raw.path()
    }

    /// The sequence number of the commit this reader sees.
    pub fn sequence(&self) -> u64 {
        self.raw.sequence()
    }

    /// Set if open had to reject a commit slot (a writer mid-commit causes
    /// this too: the reader then sees the previous commit).
    pub fn recovery(&self) -> Option<&Recovery> {
        self.raw.recovery()
    }

    /// Facts about the store as this reader sees it: counts, the commit in
    /// effect, the layout.
    pub fn info(&self) -> StoreInfo {
        self.raw.info()
    }

    /// Byte offset of the first record in the file.
    pub fn data_offset(&self) -> u64 {
        self.raw.data_offset()
    }
}

impl OpenOptions {
    /// Opens a [`Reader`] of `T` records with these options: read-only
    /// whatever mode was set (a reader never writes), so `create` fails.
    pub fn open_reader<T: Record>(&self, path: impl AsRef<Path>) -> Result<Reader<T>> {
        crate::schema::check_rust_type::<T>()
            .map_err(|problem| crate::Error::InvalidSchema { problem })?;
        let mut options = self.clone();
        options.read_only();
        let raw = RawStore::open_with(&options.config, path.as_ref(), Some(T::schema()))?;
        Ok(Reader {
            raw,
            _records: PhantomData,
        })
    }
}

crate::view::slice_view!(Reader);

impl<T: Record> std::fmt::Debug for Reader<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reader")
            .field("path", &self.path())
            .field("record", &self.schema().name())
            .field("len", &self.len())
            .field("sequence", &self.sequence())
            .finish()
    }
}
