//! Import PLY, STL and OBJ meshes once; load them zero-copy ever after.
//!
//! [`import`] parses a mesh file, checks it (finite coordinates, every
//! triangle index in range, something to import) and writes a mesh
//! directory of recstore files:
//!
//! | file | records | |
//! | --- | --- | --- |
//! | `mesh.recs` | one [`MeshHeader`] | counts, bounds, layout, source |
//! | `vertices.recs` | [`ColoredVertex`] or [`VertexNormalUv`] | |
//! | `triangles.recs` | [`Triangle`] | three `u32` indices |
//! | `face_normals.recs` | [`FaceNormal`] | only when the source has facet normals (STL) |
//!
//! Each is an ordinary store with a bundled schema, so `recstore info`,
//! `dump` and `verify` and numpy's `memmap` read them too. [`Mesh::open`]
//! maps them and hands back `&[V]` and `&[[u32; 3]]` with no parsing.
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let dir = tempfile::tempdir()?;
//! let ply = dir.path().join("triangle.ply");
//! std::fs::write(&ply, "ply\nformat ascii 1.0\nelement vertex 3\nproperty float x\n\
//!     property float y\nproperty float z\nproperty uchar red\nproperty uchar green\n\
//!     property uchar blue\nelement face 1\nproperty list uchar int vertex_indices\n\
//!     end_header\n0 0 0 255 0 0\n1 0 0 0 255 0\n0 1 0 0 0 255\n3 0 1 2\n")?;
//!
//! let out = dir.path().join("triangle.mesh");
//! let report = recstore_mesh::import(&ply, &out, &Default::default())?;
//! assert_eq!(report.header.vertex_count, 3);
//!
//! let mesh = recstore_mesh::Mesh::<recstore_mesh::ColoredVertex>::open(&out)?;
//! assert_eq!(mesh.vertices()[0].color, [65535, 0, 0]);
//! assert_eq!(mesh.triangles(), &[[0, 1, 2]]);
//! assert_eq!(mesh.bounds().max, [1.0, 1.0, 0.0]);
//! # Ok(())
//! # }
//! ```
//!
//! Parsers: PLY with `ply-rs-bw`, OBJ and STL with this crate's own (see
//! the `import` module's OBJ and STL notes for why); errors name the
//! element and its line or byte offset. OBJ indices are global to the
//! file, as the format defines them: every `v` is a vertex, in file order,
//! whether a face uses it or not, and `o`/`g` groups share vertices.
#![deny(missing_docs)]

mod error;
mod import;
mod mesh;
mod types;

pub use error::{Location, MeshError, Result};
pub use import::{import, ImportOptions, ImportReport};
pub use mesh::{read_header, Mesh, MeshVertex};
pub use types::{
    Attributes, Bounds, ColoredVertex, FaceNormal, MeshHeader, SourceFormat, Triangle,
    VertexLayout, VertexNormalUv,
};

/// File names inside a mesh directory.
pub const HEADER: &str = "mesh.recs";
/// The vertex store's file name.
pub const VERTICES: &str = "vertices.recs";
/// The triangle store's file name.
pub const TRIANGLES: &str = "triangles.recs";
/// The facet normal store's file name.
pub const FACE_NORMALS: &str = "face_normals.recs";

#[doc(hidden)]
pub mod __bench {
    //! Parsing without writing, for the benchmarks and the fuzz target.
    pub use crate::import::{parse_bytes, parse_only};
}
