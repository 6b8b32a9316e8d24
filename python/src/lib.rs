//! `recstore._native`: the Rust half of the `recstore` Python package.
//!
//! One class, [`Store`], wraps a [`RawStore`] opened read-only (a reader) or
//! read-write (a writer); [`Mapping`] exports its records to numpy through
//! the buffer protocol. Everything numpy-shaped (the dtype, lossless casts)
//! is in the Python half, `recstore/__init__.py`.
//!
//! # The sharing rule, from Python
//!
//! The store sits in an `Arc`. Every [`Mapping`] (and so every numpy array
//! over the records) and every Arrow stream holds a clone of it, so they
//! keep the mapping alive after `close()`. A handle changes its store only
//! through `Arc::get_mut`, that is, only when nothing else holds it:
//! - a reader's `refresh` refreshes in place when no array is out, and
//!   otherwise opens the store afresh: arrays handed out before keep the old
//!   mapping, and their records, unchanged;
//! - a writer's `append`, `publish`, `flush` and `close` raise `BufferError`
//!   while arrays of its records exist, as CPython's `mmap.resize` does.

mod arrow;
mod buffer;
mod errors;
mod schema;

use std::path::PathBuf;
use std::sync::Arc;

use arrow_array::ffi_stream::FFI_ArrowArrayStream;
use pyo3::exceptions::{PyBufferError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyCapsule, PyDict};
use recstore::{OpenOptions, RawStore};

use crate::buffer::Mapping;
use crate::errors::IntoPy;

/// A store opened from Python: a reader (read-only, no write lock) or a
/// writer (read-write, holding the write lock).
#[pyclass(module = "recstore._native")]
struct Store {
    /// `None` once closed.
    store: Option<Arc<RawStore>>,
    /// The path as given.
    path: PathBuf,
    /// The path made absolute at open: a refresh that maps the store afresh
    /// opens this file even if the working directory changed since.
    absolute: PathBuf,
    writable: bool,
    /// Whether the store was opened with a mapping allowed (`mmap=True`);
    /// a refresh that opens afresh opens it the same way.
    mmap: bool,
    /// Whether it was opened on a window (`OpenOptions::window`), which
    /// is fixed: `refresh` changes nothing.
    windowed: bool,
}

fn closed(path: &std::path::Path) -> PyErr {
    PyValueError::new_err(format!(
        "{} is closed; open it again with recstore.open or recstore.open_writer",
        path.display()
    ))
}

impl Store {
    fn shared(&self) -> PyResult<&Arc<RawStore>> {
        self.store.as_ref().ok_or_else(|| closed(&self.path))
    }

    /// The store, to change it: only when no array or stream holds it.
    fn exclusive(&mut self, op: &str) -> PyResult<&mut RawStore> {
        let path = self.path.clone();
        let arc = self.store.as_mut().ok_or_else(|| closed(&path))?;
        Arc::get_mut(arc).ok_or_else(|| {
            PyBufferError::new_err(format!(
                "cannot {op} {}: arrays or Arrow streams over this writer's records still exist; \
                 delete them first (del array), or read through recstore.open(path), \
                 whose arrays stay valid while a writer appends",
                path.display()
            ))
        })
    }

    fn from_raw(store: RawStore, path: PathBuf, writable: bool, mmap: bool) -> Store {
        Store {
            mmap,
            windowed: store.info().window.is_some(),
            store: Some(Arc::new(store)),
            absolute: std::path::absolute(&path).unwrap_or_else(|_| path.clone()),
            path,
            writable,
        }
    }
}

#[pymethods]
impl Store {
    /// Opens the store at `path`: read-only (a reader, which never blocks a
    /// writer's appends), or, with `write=True`, read-write holding the
    /// write lock. With `mmap=False` a reader reads the records into memory
    /// instead of mapping the file (`OpenOptions::mmap`); a writer refuses.
    /// `window=(start, stop)` opens only records `start..stop` (`stop`
    /// `None`: up to the committed count), mapping only their chunks
    /// (`OpenOptions::window`); a writer refuses.
    #[staticmethod]
    #[pyo3(signature = (path, write=false, mmap=true, window=None))]
    fn open(
        py: Python<'_>,
        path: PathBuf,
        write: bool,
        mmap: bool,
        window: Option<(usize, Option<usize>)>,
    ) -> PyResult<Store> {
        let mut options = OpenOptions::new();
        if !write {
            options.read_only();
        }
        options.mmap(mmap);
        match window {
            Some((start, Some(stop))) => options.window(start..stop),
            Some((start, None)) => options.window(start..),
            None => &mut options,
        };
        let store = py.detach(|| options.open_raw(&path, None)).py(py)?;
        Ok(Store::from_raw(store, path, write, mmap))
    }

    /// Creates a new store at `path` of the schema given by its parts
    /// (see `schema.rs`), with room for `capacity` records (or 64 KiB).
    #[staticmethod]
    #[pyo3(signature = (path, name, size, align, fields, capacity=None))]
    fn create(
        py: Python<'_>,
        path: PathBuf,
        name: String,
        size: u64,
        align: u64,
        fields: Vec<schema::FieldTuple>,
        capacity: Option<usize>,
    ) -> PyResult<Store> {
        let schema = schema::from_parts(name, size, align, fields)?;
        let mut options = OpenOptions::new();
        options.create_new(true);
        if let Some(c) = capacity {
            options.initial_capacity(c);
        }
        let store = py
            .detach(|| options.open_raw(&path, Some(&schema)))
            .py(py)?;
        Ok(Store::from_raw(store, path, true, true))
    }

    /// The path the store was opened at.
    #[getter]
    fn path(&self) -> PathBuf {
        self.path.clone()
    }

    /// Whether this handle is a writer.
    #[getter]
    fn writable(&self) -> bool {
        self.writable
    }

    /// Whether `close` was called.
    #[getter]
    fn closed(&self) -> bool {
        self.store.is_none()
    }

    fn __len__(&self) -> PyResult<usize> {
        Ok(self.shared()?.len())
    }

    /// The record name of the schema (without building its dict).
    #[getter]
    fn record_name(&self) -> PyResult<String> {
        Ok(self.shared()?.schema().name().to_string())
    }

    /// The schema's fingerprint (without building the schema's dict). Not
    /// a key for its dtype alone: another schema can share it.
    #[getter]
    fn fingerprint(&self) -> PyResult<u64> {
        Ok(self.shared()?.schema().fingerprint())
    }

    /// The schema's canonical encoding, its block in the file: the whole
    /// schema in one `bytes`, which the Python half keys the dtypes of
    /// handles by, without building the schema's dict.
    #[getter]
    fn schema_block<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        let block = self.shared()?.schema().encode().py(py)?;
        Ok(PyBytes::new(py, &block))
    }

    /// The schema as a dict (see `schema.rs`).
    fn schema<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        schema::to_dict(py, self.shared()?.schema())
    }

    /// Facts about the store, as `recstore info --json` names them.
    fn info<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let store = self.shared()?;
        let i = store.info();
        let d = PyDict::new(py);
        d.set_item(
            "format_version",
            format!("{}.{}", i.format_version.0, i.format_version.1),
        )?;
        d.set_item("count", i.len)?;
        d.set_item("capacity", i.capacity)?;
        d.set_item("data_offset", i.data_offset)?;
        d.set_item("chunk_records", i.chunk_records)?;
        d.set_item("sequence", i.sequence)?;
        d.set_item("unsynced", i.unsynced)?;
        d.set_item("one_sync", i.one_sync)?;
        d.set_item("recovery", store.recovery().map(|r| r.to_string()))?;
        d.set_item("read_path", i.read_path.name())?;
        let map_error = match &i.read_path {
            recstore::ReadPath::Loaded { map_error } => map_error.clone(),
            _ => None,
        };
        d.set_item("map_error", map_error)?;
        d.set_item("window", i.window.map(|w| (w.start, w.end)))?;
        d.set_item("mapped_len", i.mapped_len)?;
        Ok(d)
    }

    /// The records now in the store, as a read-only buffer that keeps the
    /// mapping alive.
    fn mapping(&self) -> PyResult<Mapping> {
        Ok(Mapping::new(self.shared()?.clone()))
    }

    /// Picks up commits published since (readers). Returns whether the
    /// records changed.
    fn refresh(&mut self, py: Python<'_>) -> PyResult<bool> {
        if self.writable {
            return Ok(false);
        }
        let arc = self.store.as_mut().ok_or_else(|| closed(&self.path))?;
        if self.windowed {
            // A window is fixed (`OpenOptions::window`): only a file renamed
            // over the path is news.
            arc.check_not_replaced().py(py)?;
            return Ok(false);
        }
        if let Some(store) = Arc::get_mut(arc) {
            return store.refresh().py(py);
        }
        // Arrays hold the current mapping: leave it to them, unchanged. (No
        // detach: an open is short, and the GIL kept keeps other threads'
        // calls from finding this handle borrowed.) Opening the path again
        // must not follow another file renamed over it.
        arc.check_not_replaced().py(py)?;
        let fresh = OpenOptions::new()
            .read_only()
            .mmap(self.mmap)
            .open_raw(&self.absolute, None)
            .py(py)?;
        let (old, new) = (arc.info(), fresh.info());
        if (old.sequence, old.len, old.file_len) == (new.sequence, new.len, new.file_len) {
            return Ok(false);
        }
        *arc = Arc::new(fresh);
        Ok(true)
    }

    /// Checks every committed record against its checksum, without the GIL
    /// and without holding this handle: other threads may use it meanwhile.
    fn verify(slf: &Bound<'_, Self>) -> PyResult<()> {
        let py = slf.py();
        let store = slf.try_borrow()?.shared()?.clone();
        py.detach(move || store.verify()).py(py)
    }

    /// Appends the records in `records`, a C-contiguous buffer of whole
    /// records of the store's stride.
    fn append(&mut self, py: Python<'_>, records: &Bound<'_, PyAny>) -> PyResult<()> {
        let store = self.exclusive("append to")?;
        buffer::with_bytes(records, |bytes| store.extend_from_bytes(bytes))?.py(py)
    }

    /// Makes everything appended visible to readers (no disk sync).
    fn publish(&mut self, py: Python<'_>) -> PyResult<()> {
        let store = self.exclusive("publish")?;
        store.publish().py(py)
    }

    /// Makes everything appended durable.
    fn flush(&mut self, py: Python<'_>) -> PyResult<()> {
        let store = self.exclusive("flush")?;
        py.detach(|| store.flush()).py(py)
    }

    /// Closes the handle: a clean close (durable) for a writer. A reader's
    /// arrays keep its mapping alive; a writer refuses while arrays of its
    /// records exist.
    fn close(&mut self, py: Python<'_>) -> PyResult<()> {
        if !self.writable {
            self.store = None;
            return Ok(());
        }
        let Some(arc) = self.store.take() else {
            return Ok(());
        };
        match Arc::try_unwrap(arc) {
            Ok(store) => py.detach(|| store.close()).py(py),
            Err(arc) => {
                self.store = Some(arc);
                self.exclusive("close").map(|_| ())
            }
        }
    }

    /// The records `start..end` as an Arrow C stream in a PyCapsule.
    #[pyo3(signature = (start=0, end=None))]
    fn arrow_stream<'py>(
        &self,
        py: Python<'py>,
        start: u64,
        end: Option<u64>,
    ) -> PyResult<Bound<'py, PyCapsule>> {
        let store = self.shared()?.clone();
        let batches = arrow::Batches::new(store, start..end.unwrap_or(u64::MAX));
        let stream = FFI_ArrowArrayStream::new(Box::new(batches));
        PyCapsule::new_with_value(py, stream, c"arrow_array_stream")
    }
}

/// The schema in a schema file (TOML, see docs/SCHEMA.md), as a dict.
#[pyfunction]
fn load_schema_file(py: Python<'_>, path: PathBuf) -> PyResult<Bound<'_, PyDict>> {
    let s = recstore::schema_file::load(&path).py(py)?;
    schema::to_dict(py, &s)
}

/// The schema given by its parts, checked by the library, as a dict (with
/// its fingerprint).
#[pyfunction]
fn check_schema(
    py: Python<'_>,
    name: String,
    size: u64,
    align: u64,
    fields: Vec<schema::FieldTuple>,
) -> PyResult<Bound<'_, PyDict>> {
    let s = schema::from_parts(name, size, align, fields)?;
    s.validate().py(py)?;
    schema::to_dict(py, &s)
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Store>()?;
    m.add_class::<Mapping>()?;
    m.add_function(wrap_pyfunction!(load_schema_file, m)?)?;
    m.add_function(wrap_pyfunction!(check_schema, m)?)?;
    Ok(())
}
