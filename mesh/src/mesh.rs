//! Opening an imported mesh: four small stores in one directory, mapped
//! and handed back as slices.

use crate::error::{MeshError, Result};
use crate::types::{
    Attributes, Bounds, ColoredVertex, FaceNormal, MeshHeader, SourceFormat, Triangle,
    VertexLayout, VertexNormalUv,
};
use recstore::{Record, Recovery, Store};
use std::path::{Path, PathBuf};
use zerocopy::{FromBytes, IntoBytes};

/// A vertex record a mesh can store.
pub trait MeshVertex: Record {
    /// The layout code that `mesh.recs` names for this type.
    const VERTEX_LAYOUT: VertexLayout;
    /// The vertex's position.
    fn position(&self) -> [f32; 3];
}

impl MeshVertex for ColoredVertex {
    const VERTEX_LAYOUT: VertexLayout = VertexLayout::Colored;
    fn position(&self) -> [f32; 3] {
        self.position
    }
}

impl MeshVertex for VertexNormalUv {
    const VERTEX_LAYOUT: VertexLayout = VertexLayout::NormalUv;
    fn position(&self) -> [f32; 3] {
        self.position
    }
}

/// Opens the store `file` of the mesh directory `mesh` read-only; a store
/// of another record type is a [`MeshError::WrongRecordType`].
fn open_store<T: Record>(mesh: &Path, file: &str) -> Result<Store<T>> {
    Store::<T>::open_read_only(mesh.join(file)).map_err(|e| match e {
        recstore::Error::SchemaMismatch {
            path,
            expected,
            found,
            ..
        } => {
            let (wanted, found) = if expected.name() == found.name() {
                (expected.summary(), found.summary())
            } else {
                (expected.name().to_string(), found.name().to_string())
            };
            MeshError::WrongRecordType {
                path,
                mesh: mesh.to_path_buf(),
                wanted,
                found,
            }
        }
        e => e.into(),
    })
}

/// Reads a mesh's header alone: counts, bounds and layout, in O(1).
pub fn read_header(path: impl AsRef<Path>) -> Result<MeshHeader> {
    open_header(path.as_ref()).map(|(header, _)| header)
}

/// The header, and the recovery its store's open had to make, if any.
fn open_header(path: &Path) -> Result<(MeshHeader, Option<Recovery>)> {
    let store = open_store::<MeshHeader>(path, crate::HEADER)?;
    let header = match &store[..] {
        [header] => *header,
        other => {
            return Err(MeshError::Inconsistent {
                path: path.to_path_buf(),
                message: format!("{} holds {} records, not 1", crate::HEADER, other.len()),
            })
        }
    };
    if header.version != 1
        || VertexLayout::from_code(header.layout).is_none()
        || SourceFormat::from_code(header.source).is_none()
    {
        return Err(MeshError::Inconsistent {
            path: path.to_path_buf(),
            message: format!(
                "header version {}, layout {}, source {}: not a mesh this version of recstore \
                 wrote",
                header.version, header.layout, header.source
            ),
        });
    }
    Ok((header, store.recovery().cloned()))
}

/// An imported mesh, open for reading.
///
/// Opening is O(1) in the mesh's size: it reads four store headers and
/// checks that their counts and types agree, but neither reads the
/// vertices nor checks the triangle indices. The indices were checked at
/// import (every one below the vertex count), and the stores' checksums
/// guard them since; [`verify`](Mesh::verify) checks both, and
/// [`open_verified`](Mesh::open_verified) opens and verifies. Use that for
/// a mesh from somewhere you do not trust before handing its indices to a
/// GPU. (Nothing in this crate can read out of bounds either way: the
/// slices are bounds-checked Rust slices.)
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let dir = tempfile::tempdir()?;
/// # let source = dir.path().join("quad.obj");
/// std::fs::write(&source, "v 0 0 0\nv 1 0 0\nv 1 1 0\nv 0 1 0\nf 1 2 3 4\n")?;
/// let mesh_dir = dir.path().join("quad.mesh");
/// recstore_mesh::import(&source, &mesh_dir, &Default::default())?;
///
/// let mesh = recstore_mesh::Mesh::<recstore_mesh::ColoredVertex>::open(&mesh_dir)?;
/// assert_eq!(mesh.vertices().len(), 4);
/// assert_eq!(mesh.triangles(), &[[0, 1, 2], [0, 2, 3]]);
/// assert_eq!(mesh.bounds().max, [1.0, 1.0, 0.0]);
/// # Ok(())
/// # }
/// ```
pub struct Mesh<V: MeshVertex = ColoredVertex> {
    path: PathBuf,
    header: MeshHeader,
    vertices: Store<V>,
    triangles: Store<Triangle>,
    face_normals: Option<Store<FaceNormal>>,
    /// The stores whose open had to reject a commit slot, by file name.
    recoveries: Vec<(&'static str, Recovery)>,
}

impl<V: MeshVertex> Mesh<V> {
    /// Opens the mesh directory at `path`, read-only.
    pub fn open(path: impl AsRef<Path>) -> Result<Mesh<V>> {
        let path = path.as_ref();
        let (header, header_recovery) = open_header(path)?;
        let layout = VertexLayout::from_code(header.layout).expect("read_header checked it");
        if layout != V::VERTEX_LAYOUT {
            return Err(MeshError::WrongLayout {
                path: path.to_path_buf(),
                wanted: V::VERTEX_LAYOUT.name(),
                found: layout.name(),
            });
        }
        let inconsistent = |message: String| MeshError::Inconsistent {
            path: path.to_path_buf(),
            message,
        };
        let vertices = open_store::<V>(path, crate::VERTICES)?;
        let triangles = open_store::<Triangle>(path, crate::TRIANGLES)?;
        if vertices.len() as u64 != header.vertex_count
            || triangles.len() as u64 != header.triangle_count
        {
            return Err(inconsistent(format!(
                "the header says {} vertices and {} triangles, the stores hold {} and {}",
                header.vertex_count,
                header.triangle_count,
                vertices.len(),
                triangles.len()
            )));
        }
        let face_normals = if Attributes(header.attributes).contains(Attributes::FACE_NORMAL) {
            let normals = open_store::<FaceNormal>(path, crate::FACE_NORMALS)?;
            if normals.len() != triangles.len() {
                return Err(inconsistent(format!(
                    "{} facet normals for {} triangles",
                    normals.len(),
                    triangles.len()
                )));
            }
            Some(normals)
        } else {
            None
        };
        let recoveries = [
            (crate::HEADER, header_recovery),
            (crate::VERTICES, vertices.recovery().cloned()),
            (crate::TRIANGLES, triangles.recovery().cloned()),
            (
                crate::FACE_NORMALS,
                face_normals.as_ref().and_then(|s| s.recovery().cloned()),
            ),
        ]
        .into_iter()
        .filter_map(|(file, r)| Some((file, r?)))
        .collect();
        Ok(Mesh {
            path: path.to_path_buf(),
            header,
            vertices,
            triangles,
            face_normals,
            recoveries,
        })
    }

    /// Opens the mesh and [`verify`](Mesh::verify)s it.
    pub fn open_verified(path: impl AsRef<Path>) -> Result<Mesh<V>> {
        let mesh = Mesh::open(path)?;
        mesh.verify()?;
        Ok(mesh)
    }

    /// Checks every checksum of every store, that every triangle index is
    /// below the vertex count, and that the header's bounds are the
    /// vertices' bounds. Reads the whole mesh.
    pub fn verify(&self) -> Result<()> {
        self.vertices.verify()?;
        self.triangles.verify()?;
        if let Some(normals) = &self.face_normals {
            normals.verify()?;
        }
        let n = self.vertices.len() as u64;
        if let Some(t) = self
            .triangles()
            .iter()
            .position(|t| t.iter().any(|&i| u64::from(i) >= n))
        {
            return Err(MeshError::Inconsistent {
                path: self.path.clone(),
                message: format!(
                    "triangle {t} {:?} indexes past the {n} vertices",
                    self.triangles()[t]
                ),
            });
        }
        let bounds = Bounds::of(self.vertices().iter().map(V::position));
        if bounds != Some(self.bounds()) {
            return Err(MeshError::Inconsistent {
                path: self.path.clone(),
                message: format!(
                    "the header's bounds {:?} are not the vertices' bounds {bounds:?}",
                    self.bounds()
                ),
            });
        }
        Ok(())
    }

    /// All vertices, straight from the mapping.
    #[inline]
    pub fn vertices(&self) -> &[V] {
        &self.vertices[..]
    }

    /// All triangles as index triples, straight from the mapping.
    #[inline]
    pub fn triangles(&self) -> &[[u32; 3]] {
        <[[u32; 3]]>::ref_from_bytes(self.triangles[..].as_bytes()).expect("Triangle is [u32; 3]")
    }

    /// The facet normal of each triangle, when the source had them (STL).
    pub fn face_normals(&self) -> Option<&[[f32; 3]]> {
        self.face_normals.as_ref().map(|s| {
            <[[f32; 3]]>::ref_from_bytes(s[..].as_bytes()).expect("FaceNormal is [f32; 3]")
        })
    }

    /// The bounding box of all vertices, from the header.
    pub fn bounds(&self) -> Bounds {
        Bounds {
            min: self.header.bounds_min,
            max: self.header.bounds_max,
        }
    }

    /// The header: counts, bounds, source and attributes.
    pub fn header(&self) -> &MeshHeader {
        &self.header
    }

    /// What the source carried.
    pub fn attributes(&self) -> Attributes {
        Attributes(self.header.attributes)
    }

    /// The stores (by file name, e.g. `vertices.recs`) whose open had to
    /// reject a damaged or cut-off commit slot and open the other slot's
    /// commit, with what was rejected. Empty for a mesh at rest: import
    /// closes every store cleanly, leaving both slots with the last commit.
    /// Never silent: `recstore mesh verify` reports each as a warning.
    pub fn recoveries(&self) -> &[(&'static str, Recovery)] {
        &self.recoveries
    }

    /// The mesh directory.
    pub fn path(&self) -> &Path {
        &self.path
    }
}
