//! The one error type of recstore-arrow.

use std::io;

/// A `Result` whose error is [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in an export, an import or a schema
/// derivation. Messages say what is wrong and what to do.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The store refused (locked, corrupt, full disk, ...).
    #[error(transparent)]
    Store(#[from] recstore::Error),

    /// Reading the input or writing the output failed.
    #[error("{0}")]
    Io(#[from] io::Error),

    /// arrow-rs refused a batch or an IPC file (a corrupt or truncated file).
    #[error("{0}; check that the file is a whole Arrow IPC file")]
    Arrow(#[from] arrow_schema::ArrowError),

    /// The Parquet reader or writer failed (a corrupt or truncated file).
    #[error("{0}; check that the file is a whole Parquet file")]
    Parquet(#[from] parquet::errors::ParquetError),

    /// The file's columns do not fit the store's fields: a field is
    /// missing, a column is unknown, or a type cannot hold the field.
    #[error("column {column}: {problem}")]
    Column {
        /// The column or field concerned (dotted name).
        column: String,
        /// What is wrong, and what to do.
        problem: String,
    },

    /// One value cannot be stored: a null, a wrong list length, or a
    /// conversion that would lose information.
    #[error("row {row}, field {field}: {problem}")]
    Value {
        /// Row of the input (0-based).
        row: u64,
        /// The field, with `[i]` for an element of an array field.
        field: String,
        /// What is wrong.
        problem: String,
    },

    /// A `.npy` file whose header cannot be used.
    #[error("not a .npy file recstore can read: {problem}")]
    Npy {
        /// What is wrong with the header.
        problem: String,
    },
}

pub(crate) fn column(column: impl Into<String>, problem: impl Into<String>) -> Error {
    Error::Column {
        column: column.into(),
        problem: problem.into(),
    }
}
