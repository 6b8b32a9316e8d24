//! The record types a mesh is stored as. Each equals a bundled schema in
//! `schemas/` (a test compares fingerprints), so `recstore info`, `dump`
//! and numpy read mesh files like any other store.

use recstore::Record;
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

/// A vertex with a colour: `schemas/colored_vertex.toml`, 20 bytes.
///
/// Colours are 16 bits a channel: 8-bit sources are scaled by 257 (so 255
/// becomes 65535 exactly), float sources in 0..=1 by 65535. A source
/// without colours gets white (65535) and the mesh's
/// [`Attributes::COLOR`] flag stays clear.
#[derive(Record, FromBytes, IntoBytes, KnownLayout, Immutable, Clone, Copy, Debug, PartialEq)]
#[repr(C)]
pub struct ColoredVertex {
    /// Position.
    pub position: [f32; 3],
    /// Red, green and blue, 0..=65535.
    pub color: [u16; 3],
    /// Explicit padding to the 4-byte alignment; always zero.
    pub _pad: [u8; 2],
}

/// A vertex for lit, textured rendering: `schemas/vertex_normal_uv.toml`,
/// 32 bytes. Missing normals or texture coordinates are stored as zeros and
/// the matching [`Attributes`] flag stays clear.
#[derive(Record, FromBytes, IntoBytes, KnownLayout, Immutable, Clone, Copy, Debug, PartialEq)]
#[repr(C)]
pub struct VertexNormalUv {
    /// Position.
    pub position: [f32; 3],
    /// Vertex normal.
    pub normal: [f32; 3],
    /// Texture coordinates.
    pub uv: [f32; 2],
}

/// Three vertex indices: `schemas/triangle.toml`, 12 bytes.
#[derive(Record, FromBytes, IntoBytes, KnownLayout, Immutable, Clone, Copy, Debug, PartialEq)]
#[repr(C)]
pub struct Triangle {
    /// Indices into the vertex array, counter-clockwise as in the source.
    pub indices: [u32; 3],
}

/// One facet normal per triangle, as STL files carry them.
#[derive(Record, FromBytes, IntoBytes, KnownLayout, Immutable, Clone, Copy, Debug, PartialEq)]
#[repr(C)]
pub struct FaceNormal {
    /// The normal the source gave for the triangle of the same index.
    pub normal: [f32; 3],
}

/// The one record of a mesh's `mesh.recs`: counts, bounds and what the
/// source carried, so that `recstore mesh info` reads 72 bytes, whatever the
/// mesh's size.
#[derive(Record, FromBytes, IntoBytes, KnownLayout, Immutable, Clone, Copy, Debug, PartialEq)]
#[repr(C)]
pub struct MeshHeader {
    /// Version of this layout; 1.
    pub version: u32,
    /// [`VertexLayout`] code of `vertices.recs`.
    pub layout: u32,
    /// [`SourceFormat`] code of the file the mesh was imported from.
    pub source: u32,
    /// [`Attributes`] bits: what the source carried.
    pub attributes: u32,
    /// Number of vertices.
    pub vertex_count: u64,
    /// Number of triangles.
    pub triangle_count: u64,
    /// Polygons in the source before triangulation.
    pub source_faces: u64,
    /// Smallest x, y and z over all vertices.
    pub bounds_min: [f32; 3],
    /// Largest x, y and z over all vertices.
    pub bounds_max: [f32; 3],
}

/// Which vertex record a mesh stores.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VertexLayout {
    /// [`ColoredVertex`].
    Colored,
    /// [`VertexNormalUv`].
    NormalUv,
}

impl VertexLayout {
    /// The code stored in [`MeshHeader::layout`].
    pub fn code(self) -> u32 {
        match self {
            VertexLayout::Colored => 1,
            VertexLayout::NormalUv => 2,
        }
    }

    /// The layout a [`MeshHeader::layout`] code names.
    pub fn from_code(code: u32) -> Option<VertexLayout> {
        match code {
            1 => Some(VertexLayout::Colored),
            2 => Some(VertexLayout::NormalUv),
            _ => None,
        }
    }

    /// The record type's name, as in its schema.
    pub fn name(self) -> &'static str {
        match self {
            VertexLayout::Colored => "ColoredVertex",
            VertexLayout::NormalUv => "VertexNormalUv",
        }
    }
}

/// The kind of file a mesh came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SourceFormat {
    /// Stanford PLY, ascii or binary.
    Ply,
    /// STL, ascii or binary.
    Stl,
    /// Wavefront OBJ.
    Obj,
}

impl SourceFormat {
    /// The code stored in [`MeshHeader::source`].
    pub fn code(self) -> u32 {
        match self {
            SourceFormat::Ply => 1,
            SourceFormat::Stl => 2,
            SourceFormat::Obj => 3,
        }
    }

    /// The format a [`MeshHeader::source`] code names.
    pub fn from_code(code: u32) -> Option<SourceFormat> {
        match code {
            1 => Some(SourceFormat::Ply),
            2 => Some(SourceFormat::Stl),
            3 => Some(SourceFormat::Obj),
            _ => None,
        }
    }

    /// Guesses the format from a file name's extension (any case).
    pub fn from_path(path: &std::path::Path) -> Option<SourceFormat> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "ply" => Some(SourceFormat::Ply),
            "stl" => Some(SourceFormat::Stl),
            "obj" => Some(SourceFormat::Obj),
            _ => None,
        }
    }

    /// Lower-case name: `ply`, `stl` or `obj`.
    pub fn name(self) -> &'static str {
        match self {
            SourceFormat::Ply => "ply",
            SourceFormat::Stl => "stl",
            SourceFormat::Obj => "obj",
        }
    }
}

/// What per-vertex and per-face data the source carried.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Attributes(pub u32);

impl Attributes {
    /// Vertex colours.
    pub const COLOR: Attributes = Attributes(1);
    /// Vertex normals.
    pub const NORMAL: Attributes = Attributes(2);
    /// Texture coordinates.
    pub const UV: Attributes = Attributes(4);
    /// Facet normals (`face_normals.recs`).
    pub const FACE_NORMAL: Attributes = Attributes(8);

    /// Whether every bit of `other` is set.
    pub fn contains(self, other: Attributes) -> bool {
        self.0 & other.0 == other.0
    }

    pub(crate) fn with(self, other: Attributes, on: bool) -> Attributes {
        if on {
            Attributes(self.0 | other.0)
        } else {
            self
        }
    }

    /// Names of the set flags, e.g. `["color", "normal"]`.
    pub fn names(self) -> Vec<&'static str> {
        [
            (Attributes::COLOR, "color"),
            (Attributes::NORMAL, "normal"),
            (Attributes::UV, "uv"),
            (Attributes::FACE_NORMAL, "face normal"),
        ]
        .into_iter()
        .filter(|(flag, _)| self.contains(*flag))
        .map(|(_, name)| name)
        .collect()
    }
}

/// An axis-aligned bounding box.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bounds {
    /// Smallest x, y, z.
    pub min: [f32; 3],
    /// Largest x, y, z.
    pub max: [f32; 3],
}

impl Bounds {
    /// The box around `points`; `None` for no points.
    pub fn of(points: impl IntoIterator<Item = [f32; 3]>) -> Option<Bounds> {
        let mut points = points.into_iter();
        let first = points.next()?;
        let mut b = Bounds {
            min: first,
            max: first,
        };
        for p in points {
            b.min = [0, 1, 2].map(|axis| b.min[axis].min(p[axis]));
            b.max = [0, 1, 2].map(|axis| b.max[axis].max(p[axis]));
        }
        Some(b)
    }
}
