//! `RawStore`: any store, read and written through its embedded schema.

use std::path::Path;

use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::format::Commit;
use crate::info::{Mode, Recovery, StoreInfo};
use crate::options::OpenOptions;
use crate::schema::Schema;

/// A store opened without a Rust type: records are byte slices of
/// `schema().stride()` bytes, and [`Field::values`](crate::Field::values)
/// decodes them. This is how the CLI and other tools read any store.
pub struct RawStore {
    engine: Engine,
}

impl RawStore {
    pub(crate) fn from_engine(engine: Engine) -> Self {
        RawStore { engine }
    }

    /// Creates a new store of `schema` records at `path`.
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
    pub fn len(&self) -> u64 {
        self.engine.len()
    }

    /// Whether the store holds no record.
    pub fn is_empty(&self) -> bool {
        self.engine.len() == 0
    }

    /// Capacity in records.
    pub fn capacity(&self) -> u64 {
        self.engine.capacity()
    }

    /// The bytes of all records.
    pub fn data(&self) -> &[u8] {
        self.engine.data()
    }

    /// The bytes of record `index`.
    pub fn record(&self, index: u64) -> Option<&[u8]> {
        self.engine
            .record(index, self.engine.layout().stride as usize)
    }

    /// The records' bytes, one slice per record.
    pub fn records(&self) -> std::slice::ChunksExact<'_, u8> {
        self.data()
            .chunks_exact(self.engine.layout().stride as usize)
    }

    /// Appends one record's bytes (exactly one stride long).
    pub fn push(&mut self, record: &[u8]) -> Result<()> {
        let stride = self.engine.layout().stride as usize;
        if record.len() != stride {
            return Err(Error::RecordLength {
                len: record.len(),
                stride,
            });
        }
        self.engine.append(record)
    }

    /// Appends records' bytes (a whole number of strides).
    pub fn extend_from_bytes(&mut self, records: &[u8]) -> Result<()> {
        self.engine.append(records)
    }

    /// Record `index`'s bytes, writable in place.
    pub fn record_mut(&mut self, index: u64) -> Result<&mut [u8]> {
        let len = self.engine.len();
        if index >= len {
            return Err(Error::IndexOutOfBounds { index, len });
        }
        self.engine.data_mut(index, index + 1, "update a record")
    }

    /// Logically shortens the store to `len` records.
    pub fn truncate(&mut self, len: u64) -> Result<()> {
        self.engine.truncate(len)
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

    /// Checks every committed record against its chunk checksum.
    pub fn verify(&self) -> Result<()> {
        self.engine.verify()
    }

    /// [`verify`](RawStore::verify), calling `progress` with the number of
    /// records checked so far, now and then (for progress bars).
    pub fn verify_with_progress(&self, mut progress: impl FnMut(u64)) -> Result<()> {
        self.engine.verify_with_progress(&mut progress)
    }

    /// Picks up commits published since (read-only handles).
    pub fn refresh(&mut self) -> Result<bool> {
        self.engine.refresh()
    }

    /// The mode the store was opened in.
    pub fn mode(&self) -> Mode {
        self.engine.mode()
    }

    /// Set if open had to reject a commit slot and fall back to the other.
    pub fn recovery(&self) -> Option<&Recovery> {
        self.engine.recovery()
    }

    /// Facts about the store.
    pub fn info(&self) -> StoreInfo {
        info(&self.engine)
    }
}

/// Facts about the store behind `engine`.
pub(crate) fn info(engine: &Engine) -> StoreInfo {
    let Commit {
        sequence,
        unsynced,
        one_sync,
        ..
    } = engine.commit();
    let layout = engine.layout();
    StoreInfo {
        format_version: (crate::format::VERSION_MAJOR, engine.format_minor()),
        len: engine.len(),
        capacity: engine.capacity(),
        sequence,
        unsynced,
        one_sync: one_sync.is_some(),
        data_offset: layout.data_offset,
        chunk_records: layout.chunk_records,
        file_len: engine.mapped_len(),
        read_path: engine.read_path().clone(),
    }
}

impl std::fmt::Debug for RawStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RawStore")
            .field("path", &self.engine.path())
            .field("record", &self.schema().name())
            .field("len", &self.len())
            .field("mode", &self.mode())
            .finish()
    }
}
