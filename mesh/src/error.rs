//! The mesh crate's one error type.

use std::path::PathBuf;

/// Where in a source file a problem is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Location {
    /// A 1-based line of a text file.
    Line(u64),
    /// A byte offset into a binary file.
    Offset(u64),
    /// Neither is known (the parser crate does not say).
    Unknown,
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Location::Line(n) => write!(f, "line {n}"),
            Location::Offset(n) => write!(f, "byte offset {n}"),
            Location::Unknown => f.write_str("unknown position"),
        }
    }
}

/// Everything that can go wrong importing or opening a mesh.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MeshError {
    /// Reading the source or writing the output failed. The OS error is
    /// shown in the message and not returned again from `source()`, so an
    /// error chain printer shows it once.
    #[error("cannot {op} {path}: {io}")]
    Io {
        /// What was being done, e.g. `"read"` or `"create a directory in"`.
        op: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The cause.
        io: std::io::Error,
    },
    /// The source is not well-formed.
    #[error("{path}: {format} {element} at {location}: {message}; fix or re-export the file")]
    Malformed {
        /// The source file.
        path: PathBuf,
        /// `ply`, `stl` or `obj`.
        format: &'static str,
        /// What was being read: `header`, `vertex 17`, `facet 3`, ...
        element: String,
        /// Where.
        location: Location,
        /// What is wrong.
        message: String,
    },
    /// The source is well-formed but uses something recstore cannot store.
    #[error("{path}: {message}")]
    Unsupported {
        /// The source file.
        path: PathBuf,
        /// What, and what would work instead.
        message: String,
    },
    /// The source holds no vertices.
    #[error("{path}: the mesh has no vertices; nothing to import")]
    Empty {
        /// The source file.
        path: PathBuf,
    },
    /// Strict import found problems that a lenient import only reports.
    #[error("{path}: strict import refused the mesh: {}", problems.join("; "))]
    Strict {
        /// The source file.
        path: PathBuf,
        /// Each problem found.
        problems: Vec<String>,
    },
    /// The input's extension is not `.ply`, `.stl` or `.obj`.
    #[error("{path}: unknown mesh format; name the file .ply, .stl or .obj, or pass the format")]
    UnknownFormat {
        /// The source file.
        path: PathBuf,
    },
    /// The output already exists; import never replaces a mesh.
    #[error("{path} already exists; remove it or choose another output")]
    AlreadyExists {
        /// The output path.
        path: PathBuf,
    },
    /// A mesh directory's files disagree with each other or with their
    /// header (counts, layout, indices); the mesh was changed outside
    /// recstore or damaged.
    #[error("{path}: inconsistent mesh: {message}; re-import it from its source")]
    Inconsistent {
        /// The mesh directory.
        path: PathBuf,
        /// What disagrees.
        message: String,
    },
    /// The vertices are stored as another layout than the one asked for.
    #[error("{path} stores {found} vertices, not {wanted}; open it as Mesh<{found}>")]
    WrongLayout {
        /// The mesh directory.
        path: PathBuf,
        /// The layout asked for.
        wanted: &'static str,
        /// The layout stored.
        found: &'static str,
    },
    /// A store of the mesh directory holds records of another type than
    /// the mesh needs: the directory is not a mesh, or one of its files was
    /// replaced.
    #[error(
        "{path} holds {found} records, not {wanted}: {mesh} is not a mesh directory, or one of \
         its files was replaced; import the mesh again from its source"
    )]
    WrongRecordType {
        /// The store file.
        path: PathBuf,
        /// The mesh directory.
        mesh: PathBuf,
        /// The record type the mesh needs there, e.g. `MeshHeader`.
        wanted: String,
        /// The record type the file holds, e.g. `ColoredVertex`.
        found: String,
    },
    /// An error of one of the mesh's stores.
    #[error(transparent)]
    Store(#[from] recstore::Error),
}

/// This crate's result type.
pub type Result<T, E = MeshError> = std::result::Result<T, E>;
