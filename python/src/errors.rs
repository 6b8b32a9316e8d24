//! recstore errors as Python exceptions.
//!
//! The exception classes live in `recstore/errors.py` (so they can also
//! derive from `OSError`, `ValueError`, …); this module picks the class for
//! each library error kind and raises it with the library's message.

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use recstore::{Error, ErrorKind};

/// The name of the class in `recstore.errors` that stands for `e`: one
/// class per error kind.
fn class_name(e: &Error) -> &'static str {
    match e.kind() {
        ErrorKind::Io => "IoError",
        ErrorKind::NotFound => "NotFoundError",
        ErrorKind::PermissionDenied => "PermissionDeniedError",
        ErrorKind::AlreadyExists => "AlreadyExistsError",
        ErrorKind::DiskFull => "DiskFullError",
        ErrorKind::Poisoned => "PoisonedError",
        ErrorKind::NotAStore => "NotRecstoreError",
        ErrorKind::UnsupportedFormat => "UnsupportedError",
        ErrorKind::Corrupt => "CorruptError",
        ErrorKind::ChecksumMismatch => "ChecksumError",
        ErrorKind::SchemaMismatch => "SchemaMismatchError",
        ErrorKind::InvalidSchema => "SchemaError",
        ErrorKind::Locked => "LockedError",
        ErrorKind::ReadersPresent => "ReadersPresentError",
        ErrorKind::UpdateInProgress => "UpdateInProgressError",
        ErrorKind::Unsupported => "UnsupportedOperationError",
        ErrorKind::ReadOnly => "ReadOnlyError",
        ErrorKind::OutOfBounds => "IndexOutOfBoundsError",
        ErrorKind::CapacityOverflow => "CapacityError",
        ErrorKind::InvalidInput => "RecordLengthError",
        ErrorKind::Replaced => "ReplacedError",
        // A kind newer than this list: the base class.
        _ => "Error",
    }
}

/// `e` as an exception of its `recstore.errors` class, with the library's
/// message and a `path` attribute (a `str`, or `None`).
pub fn to_py(py: Python<'_>, e: Error) -> PyErr {
    let message = e.to_string();
    let made = (|| -> PyResult<PyErr> {
        let class = py.import("recstore.errors")?.getattr(class_name(&e))?;
        let exc = class.call1((message.clone(),))?;
        let path = e.path().map(|p| p.to_string_lossy().into_owned());
        exc.setattr("path", path)?;
        Ok(PyErr::from_value(exc))
    })();
    made.unwrap_or_else(|err| {
        PyRuntimeError::new_err(format!("{message} (and raising it failed: {err})"))
    })
}

/// Converts library results for `?` in Python-facing functions.
pub trait IntoPy<T> {
    /// The result with its error raised as a `recstore.errors` exception.
    fn py(self, py: Python<'_>) -> PyResult<T>;
}

impl<T> IntoPy<T> for Result<T, Error> {
    fn py(self, py: Python<'_>) -> PyResult<T> {
        self.map_err(|e| to_py(py, e))
    }
}
