//! Parsing PLY, STL and OBJ into one in-memory form, checking it, and
//! writing it as a mesh directory. Nothing is written until the whole
//! source has been parsed and checked, and the directory appears under its
//! final name only once complete.

mod obj;
mod ply;
mod stl;

use crate::error::{Location, MeshError, Result};
use crate::types::{
    Attributes, Bounds, ColoredVertex, FaceNormal, MeshHeader, SourceFormat, Triangle,
    VertexLayout, VertexNormalUv,
};
use std::path::{Path, PathBuf};

/// How to import.
#[derive(Clone, Debug, Default)]
pub struct ImportOptions {
    /// The source format; `None` guesses it from the extension.
    pub format: Option<SourceFormat>,
    /// The vertex record; `None` picks [`VertexLayout::NormalUv`] when the
    /// source has normals or texture coordinates but no colours, and
    /// [`VertexLayout::Colored`] otherwise.
    pub layout: Option<VertexLayout>,
    /// Turn every warning (a facet normal that disagrees with its winding, a
    /// mismatched STL solid name, a binary STL header starting with "solid",
    /// an open surface) into an error.
    pub strict: bool,
}

/// What an import did.
#[derive(Clone, Debug)]
pub struct ImportReport {
    /// The header written to `mesh.recs`.
    pub header: MeshHeader,
    /// Source data not stored, e.g. `vertex property 'label' (int)`, or
    /// `normals, uvs (the ColoredVertex vertex layout has no field for them)`.
    pub ignored: Vec<String>,
    /// Problems a strict import would refuse.
    pub warnings: Vec<String>,
    /// Vertices before welding (STL only: three per facet).
    pub corners: u64,
}

/// A source parsed into plain arrays, before any checking.
#[derive(Default)]
pub(crate) struct Parsed {
    pub positions: Vec<[f32; 3]>,
    pub normals: Option<Vec<[f32; 3]>>,
    pub uvs: Option<Vec<[f32; 2]>>,
    pub colors: Option<Vec<[u16; 3]>>,
    pub triangles: Vec<[u32; 3]>,
    pub face_normals: Option<Vec<[f32; 3]>>,
    pub source_faces: u64,
    pub corners: u64,
    pub ignored: Vec<String>,
    pub warnings: Vec<String>,
}

/// Builds a [`MeshError::Malformed`] for `path`.
pub(crate) fn malformed(
    path: &Path,
    format: SourceFormat,
    element: impl Into<String>,
    location: Location,
    message: impl Into<String>,
) -> MeshError {
    MeshError::Malformed {
        path: path.to_path_buf(),
        format: format.name(),
        element: element.into(),
        location,
        message: message.into(),
    }
}

/// The source as text, or an error naming the first line that is not UTF-8.
pub(crate) fn text<'a>(path: &Path, format: SourceFormat, bytes: &'a [u8]) -> Result<&'a str> {
    std::str::from_utf8(bytes).map_err(|e| {
        let line = bytes[..e.valid_up_to()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1;
        malformed(
            path,
            format,
            "text",
            Location::Line(line as u64),
            format!(
                "bytes that are not UTF-8 text, but an ascii {} file is text",
                format.name().to_uppercase()
            ),
        )
    })
}

/// Appends the triangles of a polygon, fanned from its first corner (exact
/// for convex polygons, which is what PLY and OBJ writers emit).
pub(crate) fn fan(polygon: &[u32], out: &mut Vec<[u32; 3]>) {
    for i in 1..polygon.len().saturating_sub(1) {
        out.push([polygon[0], polygon[i], polygon[i + 1]]);
    }
}

/// Parses `input` without writing anything.
pub(crate) fn parse(input: &Path, options: &ImportOptions) -> Result<(SourceFormat, Parsed)> {
    let format = options
        .format
        .or_else(|| SourceFormat::from_path(input))
        .ok_or_else(|| MeshError::UnknownFormat {
            path: input.to_path_buf(),
        })?;
    let bytes = std::fs::read(input).map_err(io_error("read", input))?;
    Ok((format, parse_source(input, format, &bytes)?))
}

/// Parses a source held in memory; `path` only names it in errors.
fn parse_source(path: &Path, format: SourceFormat, bytes: &[u8]) -> Result<Parsed> {
    match format {
        SourceFormat::Ply => ply::parse(path, bytes),
        SourceFormat::Stl => stl::parse(path, bytes),
        SourceFormat::Obj => obj::parse(path, bytes),
    }
}

/// Checks what every format shares: vertices exist and are finite, indices
/// are in range, attribute arrays match the vertex count. Returns the
/// bounds.
fn check(input: &Path, format: SourceFormat, parsed: &Parsed) -> Result<Bounds> {
    let n = parsed.positions.len();
    if n == 0 {
        return Err(MeshError::Empty {
            path: input.to_path_buf(),
        });
    }
    if u32::try_from(n).is_err() {
        return Err(MeshError::Unsupported {
            path: input.to_path_buf(),
            message: format!("{n} vertices: triangle indices are u32, so at most 4294967295"),
        });
    }
    if let Some(i) = parsed
        .positions
        .iter()
        .position(|p| p.iter().any(|c| !c.is_finite()))
    {
        return Err(malformed(
            input,
            format,
            format!("vertex {i}"),
            Location::Unknown,
            format!(
                "coordinate {:?} is not a finite number",
                parsed.positions[i]
            ),
        ));
    }
    for (name, len) in [
        ("normals", parsed.normals.as_ref().map(Vec::len)),
        ("texture coordinates", parsed.uvs.as_ref().map(Vec::len)),
        ("colours", parsed.colors.as_ref().map(Vec::len)),
    ] {
        if let Some(len) = len.filter(|&len| len != n) {
            return Err(malformed(
                input,
                format,
                "vertex data",
                Location::Unknown,
                format!("{len} {name} for {n} vertices"),
            ));
        }
    }
    if let Some(len) = parsed.face_normals.as_ref().map(Vec::len) {
        if len != parsed.triangles.len() {
            return Err(malformed(
                input,
                format,
                "face data",
                Location::Unknown,
                format!(
                    "{len} facet normals for {} triangles",
                    parsed.triangles.len()
                ),
            ));
        }
    }
    // Formats check their own indices where they can name the line; this
    // is the guarantee `Mesh::open` relies on, so it runs for all of them.
    let limit = n as u32;
    if let Some(t) = parsed
        .triangles
        .iter()
        .position(|t| t.iter().any(|&i| i >= limit))
    {
        return Err(malformed(
            input,
            format,
            format!("triangle {t}"),
            Location::Unknown,
            format!(
                "index in {:?} is out of range for {n} vertices",
                parsed.triangles[t]
            ),
        ));
    }
    Ok(Bounds::of(parsed.positions.iter().copied()).expect("n > 0"))
}

/// Imports `input` into a new mesh directory at `output`.
///
/// The source is parsed and checked completely first; on any error nothing
/// is written. The mesh is then built in a hidden temporary directory
/// beside `output`, flushed, and renamed into place, so `output` either
/// does not exist or holds the whole mesh. An existing `output` is never
/// replaced.
pub fn import(
    input: impl AsRef<Path>,
    output: impl AsRef<Path>,
    options: &ImportOptions,
) -> Result<ImportReport> {
    let (input, output) = (input.as_ref(), output.as_ref());
    let (format, mut parsed) = parse(input, options)?;
    let bounds = check(input, format, &parsed)?;
    if options.strict && !parsed.warnings.is_empty() {
        return Err(MeshError::Strict {
            path: input.to_path_buf(),
            problems: parsed.warnings,
        });
    }
    if output.exists() {
        return Err(MeshError::AlreadyExists {
            path: output.to_path_buf(),
        });
    }
    let layout = options.layout.unwrap_or(
        if parsed.colors.is_none() && (parsed.normals.is_some() || parsed.uvs.is_some()) {
            VertexLayout::NormalUv
        } else {
            VertexLayout::Colored
        },
    );
    // What the source has and the layout has no field for.
    let dropped: Vec<&str> = match layout {
        VertexLayout::Colored => [
            (parsed.normals.is_some(), "normals"),
            (parsed.uvs.is_some(), "uvs"),
        ]
        .into_iter()
        .filter_map(|(has, name)| has.then_some(name))
        .collect(),
        VertexLayout::NormalUv => parsed.colors.iter().map(|_| "colours").collect(),
    };
    let mut ignored = std::mem::take(&mut parsed.ignored);
    if !dropped.is_empty() {
        ignored.push(format!(
            "{} (the {} vertex layout has no field for them)",
            dropped.join(", "),
            layout.name()
        ));
    }
    let attributes = Attributes::default()
        .with(Attributes::COLOR, parsed.colors.is_some())
        .with(Attributes::NORMAL, parsed.normals.is_some())
        .with(Attributes::UV, parsed.uvs.is_some())
        .with(Attributes::FACE_NORMAL, parsed.face_normals.is_some());
    let header = MeshHeader {
        version: 1,
        layout: layout.code(),
        source: format.code(),
        attributes: attributes.0,
        vertex_count: parsed.positions.len() as u64,
        triangle_count: parsed.triangles.len() as u64,
        source_faces: parsed.source_faces,
        bounds_min: bounds.min,
        bounds_max: bounds.max,
    };
    write(output, &header, layout, &parsed)?;
    Ok(ImportReport {
        header,
        ignored,
        warnings: parsed.warnings,
        corners: parsed.corners,
    })
}

fn io_error<'a>(op: &'static str, path: &'a Path) -> impl FnOnce(std::io::Error) -> MeshError + 'a {
    move |io| MeshError::Io {
        op,
        path: path.to_path_buf(),
        io: without_path(io),
    }
}

/// The OS error inside an error of `tempfile`, which appends " at path" and
/// the temporary path (a name the user never chose) to the OS message.
fn without_path(io: std::io::Error) -> std::io::Error {
    let text = io.to_string();
    match text.split_once(" at path ") {
        Some((os, _)) if io.get_ref().is_some() => std::io::Error::new(io.kind(), os.to_string()),
        _ => io,
    }
}

/// Writes one store of `records`, durably, and closes it.
fn write_store<T: recstore::Record + zerocopy::IntoBytes + zerocopy::Immutable>(
    path: &Path,
    records: &[T],
) -> Result<()> {
    let mut store = recstore::Store::<T>::options()
        .create_new(true)
        .initial_capacity(records.len().max(1))
        .open(path)?;
    store.extend_from_slice(records)?;
    store.close()?;
    Ok(())
}

/// Writes `records` converted one at a time in batches, so that a 10^7
/// vertex mesh never holds a second full copy in memory.
fn write_converted<T, F>(path: &Path, n: usize, convert: F) -> Result<()>
where
    T: recstore::Record + zerocopy::IntoBytes + zerocopy::Immutable,
    F: Fn(usize) -> T,
{
    const BATCH: usize = 1 << 16;
    let mut store = recstore::Store::<T>::options()
        .create_new(true)
        .initial_capacity(n.max(1))
        .open(path)?;
    let mut batch = Vec::with_capacity(BATCH.min(n));
    for start in (0..n).step_by(BATCH) {
        batch.clear();
        batch.extend((start..n.min(start + BATCH)).map(&convert));
        store.extend_from_slice(&batch)?;
    }
    store.close()?;
    Ok(())
}

fn write(output: &Path, header: &MeshHeader, layout: VertexLayout, parsed: &Parsed) -> Result<()> {
    let parent = match output.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = output.file_name().unwrap_or_default().to_string_lossy();
    let temp = tempfile::Builder::new()
        .prefix(&format!(".{name}.importing."))
        .tempdir_in(&parent)
        .map_err(io_error("create a directory in", &parent))?;
    let dir = temp.path();
    let n = parsed.positions.len();
    match layout {
        VertexLayout::Colored => {
            write_converted(&dir.join(crate::VERTICES), n, |i| ColoredVertex {
                position: parsed.positions[i],
                color: parsed.colors.as_ref().map_or([u16::MAX; 3], |c| c[i]),
                _pad: [0; 2],
            })?
        }
        VertexLayout::NormalUv => {
            write_converted(&dir.join(crate::VERTICES), n, |i| VertexNormalUv {
                position: parsed.positions[i],
                normal: parsed.normals.as_ref().map_or([0.0; 3], |v| v[i]),
                uv: parsed.uvs.as_ref().map_or([0.0; 2], |v| v[i]),
            })?
        }
    }
    let triangles: &[Triangle] = zerocopy::FromBytes::ref_from_bytes(
        zerocopy::IntoBytes::as_bytes(parsed.triangles.as_slice()),
    )
    .expect("[u32; 3] and Triangle share their layout");
    write_store(&dir.join(crate::TRIANGLES), triangles)?;
    if let Some(normals) = &parsed.face_normals {
        let normals: &[FaceNormal] =
            zerocopy::FromBytes::ref_from_bytes(zerocopy::IntoBytes::as_bytes(normals.as_slice()))
                .expect("[f32; 3] and FaceNormal share their layout");
        write_store(&dir.join(crate::FACE_NORMALS), normals)?;
    }
    // The header goes last: a directory with a header is complete.
    write_store(&dir.join(crate::HEADER), std::slice::from_ref(header))?;
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io_error("sync", dir))?;
    rename_no_replace(dir, output)?;
    // The directory now lives under its final name; keep it.
    let _ = temp.keep();
    std::fs::File::open(&parent)
        .and_then(|d| d.sync_all())
        .map_err(io_error("sync", &parent))?;
    Ok(())
}

/// Renames `from` to `to`, failing if `to` exists (atomically on Linux).
fn rename_no_replace(from: &Path, to: &Path) -> Result<()> {
    #[cfg(target_os = "linux")]
    {
        use rustix::fs::{renameat_with, RenameFlags, CWD};
        renameat_with(CWD, from, CWD, to, RenameFlags::NOREPLACE).map_err(|e| {
            if e == rustix::io::Errno::EXIST {
                MeshError::AlreadyExists {
                    path: to.to_path_buf(),
                }
            } else {
                MeshError::Io {
                    op: "rename into place",
                    path: to.to_path_buf(),
                    io: e.into(),
                }
            }
        })
    }
    #[cfg(not(target_os = "linux"))]
    {
        if to.exists() {
            return Err(MeshError::AlreadyExists {
                path: to.to_path_buf(),
            });
        }
        std::fs::rename(from, to).map_err(io_error("rename into place", to))
    }
}

/// Parses and checks a source held in memory: the fuzz target's entry.
pub fn parse_bytes(format: SourceFormat, bytes: &[u8]) -> Result<(usize, usize)> {
    let path = Path::new("<fuzz input>");
    let parsed = parse_source(path, format, bytes)?;
    check(path, format, &parsed)?;
    Ok((parsed.positions.len(), parsed.triangles.len()))
}

/// Parses and checks `input` without writing: (vertices, triangles). For
/// the benchmarks, which time our parsing apart from the writing.
pub fn parse_only(input: &Path, options: &ImportOptions) -> Result<(usize, usize)> {
    let (format, parsed) = parse(input, options)?;
    check(input, format, &parsed)?;
    Ok((parsed.positions.len(), parsed.triangles.len()))
}
