//! recstore errors as Python exceptions.
//!
//! The exception classes live in `recstore/errors.py` (so they can also
//! derive from `OSError`, `ValueError`, …); this module picks the class for
//! each library error kind and raises it with the library's message.

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use recstore::Error;

/// The name of the class in `recstore.errors` that stands for `e`.
fn class_name(e: &Error) -> &'static str {
    match e {
        Error::Io { io, .. } => match io.kind() {
            std::io::ErrorKind::NotFound => "NotFoundError",
            std::io::ErrorKind::PermissionDenied => "PermissionDeniedError",
            _ => "IoError",
        },
        Error::AlreadyExists { .. } => "AlreadyExistsError",
        Error::DiskFull { .. } => "DiskFullError",
        Error::Poisoned { .. } => "PoisonedError",
        Error::NotRecstore { .. } => "NotRecstoreError",
        Error::UnsupportedVersion { .. } | Error::UnsupportedFeatures { .. } => "UnsupportedError",
        Error::FileTooSmall { .. }
        | Error::CorruptHeader { .. }
        | Error::NoValidCommit { .. }
        | Error::Misaligned { .. } => "CorruptError",
        Error::ChecksumMismatch { .. } => "ChecksumError",
        Error::SchemaMismatch { .. } => "SchemaMismatchError",
        Error::InvalidSchema { .. } | Error::SchemaFile { .. } => "SchemaError",
        Error::Locked { .. } => "LockedError",
        Error::ReadersPresent { .. } => "ReadersPresentError",
        Error::UpdateInProgress { .. } => "UpdateInProgressError",
        Error::Unsupported { .. } => "UnsupportedOperationError",
        Error::ReadOnly { .. } => "ReadOnlyError",
        Error::IndexOutOfBounds { .. } => "IndexOutOfBoundsError",
        Error::CapacityOverflow { .. } => "CapacityError",
        Error::RecordLength { .. } => "RecordLengthError",
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
