//! The buffer protocol, both ways: the only `unsafe` code of the bindings.
//!
//! [`Mapping`] exports a store's records, read-only, to numpy (and to any
//! `memoryview`). It owns an `Arc` of the store, so an array whose `base` is
//! a `Mapping` keeps the mapping alive after the `Reader` is closed.
//! [`with_bytes`] borrows the bytes of a caller's array for an append.

use std::ffi::{c_int, c_void};
use std::sync::Arc;

use pyo3::buffer::PyUntypedBuffer;
use pyo3::exceptions::{PyBufferError, PyValueError};
use pyo3::ffi;
use pyo3::prelude::*;
use recstore::RawStore;

/// The records of a store as a read-only buffer.
///
/// INVARIANTS: `store` is never mutated while a `Mapping` holds it: the
/// handles only mutate their store through `Arc::get_mut`, which fails
/// while any `Mapping` (and so any exported buffer, which holds a strong
/// reference to its `Mapping`) exists. `records` is the number of records
/// exported, fixed at creation.
#[pyclass(module = "recstore._native", frozen)]
pub struct Mapping {
    store: Arc<RawStore>,
    records: u64,
}

impl Mapping {
    /// Exports the records `store` holds now.
    pub fn new(store: Arc<RawStore>) -> Mapping {
        let records = store.len() as u64;
        Mapping { store, records }
    }

    fn bytes(&self) -> &[u8] {
        let stride = self.store.schema().stride() as usize;
        let data = self.store.data();
        &data[..(self.records as usize * stride).min(data.len())]
    }
}

#[pymethods]
impl Mapping {
    /// Number of bytes exported.
    fn __len__(&self) -> usize {
        self.bytes().len()
    }

    /// Number of records exported.
    #[getter]
    fn records(&self) -> u64 {
        self.records
    }

    /// Fills `view` with the records' bytes, read-only.
    ///
    /// # Safety
    /// Called by CPython with a valid `view` to fill.
    unsafe fn __getbuffer__(
        slf: Bound<'_, Self>,
        view: *mut ffi::Py_buffer,
        flags: c_int,
    ) -> PyResult<()> {
        if view.is_null() {
            return Err(PyBufferError::new_err("the buffer view is null"));
        }
        if flags & ffi::PyBUF_WRITABLE == ffi::PyBUF_WRITABLE {
            return Err(PyBufferError::new_err(
                "recstore records are read-only: copy them (np.array(records)) to change them, \
                 or append through a Writer",
            ));
        }
        let bytes = slf.get().bytes();
        // `PyBuffer_FillInfo` stores a new strong reference to `slf` in
        // `view.obj`, so the `Mapping` (and its `Arc<RawStore>`, and the
        // mapping behind `bytes`) lives until the buffer is released; the
        // store is not mutated meanwhile (see the invariants of `Mapping`).
        // SAFETY: `view` is non-null and CPython hands us a Py_buffer to
        // fill; `bytes` outlives the export (above); the export is read-only
        // (`readonly = 1`) and `len` is the length of `bytes`.
        let rc = unsafe {
            ffi::PyBuffer_FillInfo(
                view,
                slf.as_ptr(),
                bytes.as_ptr() as *mut c_void,
                bytes.len() as ffi::Py_ssize_t,
                1,
                flags,
            )
        };
        if rc != 0 {
            return Err(PyErr::fetch(slf.py()));
        }
        Ok(())
    }

    unsafe fn __releasebuffer__(&self, _view: *mut ffi::Py_buffer) {}
}

/// Calls `f` with the bytes of `obj`, a C-contiguous buffer (a numpy array),
/// without copying them. The GIL stays held, so no Python code can change
/// them meanwhile.
pub fn with_bytes<R>(obj: &Bound<'_, PyAny>, f: impl FnOnce(&[u8]) -> R) -> PyResult<R> {
    let buf = PyUntypedBuffer::get(obj)?;
    if !buf.is_c_contiguous() {
        return Err(PyValueError::new_err(
            "records to append must be C-contiguous: pass np.ascontiguousarray(records)",
        ));
    }
    let len = buf.len_bytes();
    let bytes: &[u8] = if len == 0 {
        &[]
    } else {
        // `buf` holds the exporter's buffer (and a reference to the
        // exporter) until it is dropped at the end of this function, after
        // `f` returns. The GIL is held throughout, so no Python code writes
        // to the bytes while the slice lives.
        // SAFETY: the buffer is C-contiguous, so its `len_bytes` bytes start
        // at `buf_ptr` and are initialised memory that outlives the slice.
        unsafe { std::slice::from_raw_parts(buf.buf_ptr() as *const u8, len) }
    };
    Ok(f(bytes))
}
