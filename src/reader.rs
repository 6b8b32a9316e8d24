//! `Reader<T>`: follows a store that a writer in another process appends to.

use std::marker::PhantomData;
use std::path::Path;

use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::info::Recovery;
use crate::options::OpenOptions;
use crate::schema::{Record, Schema};
use crate::store::cast;

/// A read-only view of a store that a writer may be appending to, in this
/// or another process. It sees the commit that was newest when it was opened
/// or last [`refresh`](Reader::refresh)ed: never a record that was not
/// published, never a torn append, and no record it shows ever changes while
/// it is open: it holds the shared readers' lock, so the writer's in-place
/// changes are refused until it is dropped (appends are never held up).
/// Opening fails with [`Error::UpdateInProgress`] while the writer has an
/// uncommitted in-place change.
pub struct Reader<T: Record> {
    engine: Engine,
    _records: PhantomData<T>,
}

impl<T: Record> Reader<T> {
    /// Opens a store for reading.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        OpenOptions::new().open_reader(path)
    }

    /// Opens a store for reading with `options` (their mode is ignored: a
    /// reader is read-only).
    pub(crate) fn with_options(options: &OpenOptions, path: &Path) -> Result<Self> {
        let mut options = options.clone();
        options.read_only();
        let engine = options.engine(path, Some(T::schema()))?;
        Ok(Reader {
            engine,
            _records: PhantomData,
        })
    }

    /// Picks up records published since the last look, remapping if the
    /// file grew. Returns whether anything changed. Takes `&mut self`, so no
    /// record borrowed before can outlive a remap.
    pub fn refresh(&mut self) -> Result<bool> {
        self.engine.refresh()
    }

    /// Number of records in the commit this reader sees.
    pub fn len(&self) -> usize {
        self.engine.len() as usize
    }

    /// Whether that commit holds no record.
    pub fn is_empty(&self) -> bool {
        self.engine.len() == 0
    }

    /// All records of the commit this reader sees.
    #[inline]
    pub fn as_slice(&self) -> &[T] {
        cast(self.engine.data(), self.engine.len())
    }

    /// Record `index`.
    #[inline]
    pub fn get(&self, index: usize) -> Option<&T> {
        self.as_slice().get(index)
    }

    /// An iterator over the records.
    pub fn iter(&self) -> std::slice::Iter<'_, T> {
        self.as_slice().iter()
    }

    /// Checks every record of the commit this reader sees against its
    /// checksum. If the writer commits while the check runs, the check moves
    /// to the newer commit and runs again (so a live writer never causes a
    /// false alarm), at most a few times.
    pub fn verify(&mut self) -> Result<()> {
        let mut tries = 0;
        loop {
            match self.engine.verify() {
                Err(e @ Error::ChecksumMismatch { .. }) => {
                    tries += 1;
                    if tries > 4 || !self.engine.refresh()? {
                        return Err(e);
                    }
                }
                result => return result,
            }
        }
    }

    /// The schema stored in the file.
    pub fn schema(&self) -> &Schema {
        self.engine.schema()
    }

    /// The sequence number of the commit this reader sees.
    pub fn sequence(&self) -> u64 {
        self.engine.commit().sequence
    }

    /// Set if open had to reject a commit slot (a writer mid-commit causes
    /// this too: the reader then sees the previous commit).
    pub fn recovery(&self) -> Option<&Recovery> {
        self.engine.recovery()
    }
}

crate::store::slice_view!(Reader);

impl<T: Record> std::fmt::Debug for Reader<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reader")
            .field("path", &self.engine.path())
            .field("record", &self.schema().name())
            .field("len", &self.len())
            .field("sequence", &self.sequence())
            .finish()
    }
}
