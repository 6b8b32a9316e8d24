//! `recstore mesh import | info | verify`.

use anyhow::Result;
use clap::{Subcommand, ValueEnum};
use recstore_mesh::{
    Attributes, ColoredVertex, ImportOptions, Mesh, MeshError, SourceFormat, VertexLayout,
    VertexNormalUv,
};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(Subcommand)]
pub enum MeshCommand {
    /// Parse a PLY, STL or OBJ file once into a mesh directory of stores.
    #[command(after_help = "Example:\n  recstore mesh import bunny.stl bunny.mesh\n\
        Nothing is written unless the whole file parses and checks; the output must not exist.")]
    Import {
        /// The source mesh: .ply, .stl or .obj.
        input: PathBuf,
        /// The mesh directory to create.
        output: PathBuf,
        /// The source format, if the extension does not say.
        #[arg(long, value_enum)]
        format: Option<FormatArg>,
        /// The vertex record (default: normal-uv when the source has normals
        /// or texture coordinates and no colours, else colored).
        #[arg(long, value_enum)]
        layout: Option<LayoutArg>,
        /// Refuse the mesh on any warning (wrong facet normals, open STL
        /// surface, solid name mismatch, ...).
        #[arg(long)]
        strict: bool,
    },
    /// Counts, bounds and layout of an imported mesh, in O(1).
    #[command(after_help = "Example:\n  recstore mesh info bunny.mesh")]
    Info {
        /// The mesh directory.
        mesh: PathBuf,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Check every checksum, every triangle index and the bounds.
    #[command(after_help = "Example:\n  recstore mesh verify bunny.mesh")]
    Verify {
        /// The mesh directory.
        mesh: PathBuf,
    },
}

#[derive(Clone, Copy, ValueEnum)]
pub enum FormatArg {
    Ply,
    Stl,
    Obj,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum LayoutArg {
    Colored,
    NormalUv,
}

/// The exit code for a mesh error, in the CLI's scheme; `None` for the
/// store errors, which [`lift`] hands on as themselves.
pub fn exit_code(e: &MeshError) -> Option<u8> {
    Some(match e {
        MeshError::Io { .. } => 3,
        MeshError::Malformed { .. }
        | MeshError::Unsupported { .. }
        | MeshError::Empty { .. }
        | MeshError::Strict { .. }
        | MeshError::UnknownFormat { .. }
        | MeshError::WrongLayout { .. }
        | MeshError::WrongRecordType { .. } => 6,
        MeshError::AlreadyExists { .. } => 1,
        MeshError::Inconsistent { .. } => 4,
        // Its kind decides, as for any store error (`store_exit_code`).
        MeshError::Store(_) => return None,
        // `MeshError` is non-exhaustive: a newer variant has no code yet.
        _ => return None,
    })
}

/// A mesh error as the CLI reports it: a store error inside is handed on
/// as the store error itself (`MeshError::Store` is transparent, so its
/// exit code would otherwise be lost in the chain); every other error
/// names its file already.
fn lift(e: MeshError) -> anyhow::Error {
    match e {
        MeshError::Store(store) => store.into(),
        e => e.into(),
    }
}

/// Runs a mesh command. `out` takes what the command prints: for `import`
/// that is status (the caller passes its status channel, stderr), for
/// `info` and `verify` the answer (stdout); `verify`'s warnings go to
/// stderr.
pub fn run(command: MeshCommand, out: &mut impl Write) -> Result<()> {
    match command {
        MeshCommand::Import {
            input,
            output,
            format,
            layout,
            strict,
        } => import(&input, &output, format, layout, strict, out),
        MeshCommand::Info { mesh, json } => info(&mesh, json, out),
        MeshCommand::Verify { mesh } => verify(&mesh, out),
    }
}

fn import(
    input: &Path,
    output: &Path,
    format: Option<FormatArg>,
    layout: Option<LayoutArg>,
    strict: bool,
    out: &mut impl Write,
) -> Result<()> {
    let options = ImportOptions {
        format: format.map(|f| match f {
            FormatArg::Ply => SourceFormat::Ply,
            FormatArg::Stl => SourceFormat::Stl,
            FormatArg::Obj => SourceFormat::Obj,
        }),
        layout: layout.map(|l| match l {
            LayoutArg::Colored => VertexLayout::Colored,
            LayoutArg::NormalUv => VertexLayout::NormalUv,
        }),
        strict,
    };
    let started = Instant::now();
    let report = recstore_mesh::import(input, output, &options).map_err(|e| match e {
        // A store error names a file of the mesh being written.
        MeshError::Store(_) => lift(e).context(format!("importing {}", input.display())),
        e => lift(e),
    })?;
    let h = &report.header;
    writeln!(
        out,
        "imported {} -> {}: {} vertices, {} triangles from {} polygons in {:.1} ms",
        input.display(),
        output.display(),
        h.vertex_count,
        h.triangle_count,
        h.source_faces,
        started.elapsed().as_secs_f64() * 1e3
    )?;
    if report.corners > h.vertex_count && h.source == SourceFormat::Stl.code() {
        writeln!(
            out,
            "  welded {} facet corners into {} vertices (bit-identical positions)",
            report.corners, h.vertex_count
        )?;
    }
    for ignored in &report.ignored {
        writeln!(out, "  not stored: {ignored}")?;
    }
    for warning in &report.warnings {
        writeln!(out, "  warning: {warning}")?;
    }
    Ok(())
}

fn info(path: &Path, json: bool, out: &mut impl Write) -> Result<()> {
    let h = recstore_mesh::read_header(path).map_err(lift)?;
    // read_header has checked both codes.
    let layout = VertexLayout::from_code(h.layout).map_or("?", VertexLayout::name);
    let source = SourceFormat::from_code(h.source).map_or("?", SourceFormat::name);
    let attributes = Attributes(h.attributes).names();
    if json {
        let value = serde_json::json!({
            "vertices": h.vertex_count,
            "triangles": h.triangle_count,
            "source_polygons": h.source_faces,
            "layout": layout,
            "source": source,
            "attributes": attributes,
            "bounds": { "min": h.bounds_min, "max": h.bounds_max },
        });
        writeln!(out, "{}", serde_json::to_string_pretty(&value)?)?;
    } else {
        writeln!(out, "mesh:       {}", path.display())?;
        writeln!(out, "vertices:   {} ({layout})", h.vertex_count)?;
        writeln!(
            out,
            "triangles:  {} (from {} source polygons)",
            h.triangle_count, h.source_faces
        )?;
        writeln!(out, "bounds:     min {:?}", h.bounds_min)?;
        writeln!(out, "            max {:?}", h.bounds_max)?;
        writeln!(
            out,
            "source:     {source}, with {}",
            if attributes.is_empty() {
                "positions only".to_string()
            } else {
                attributes.join(", ")
            }
        )?;
    }
    Ok(())
}

fn verify(path: &Path, out: &mut impl Write) -> Result<()> {
    let h = recstore_mesh::read_header(path).map_err(lift)?;
    let recoveries = if VertexLayout::from_code(h.layout) == Some(VertexLayout::Colored) {
        Mesh::<ColoredVertex>::open_verified(path)
            .map_err(lift)?
            .recoveries()
            .to_vec()
    } else {
        Mesh::<VertexNormalUv>::open_verified(path)
            .map_err(lift)?
            .recoveries()
            .to_vec()
    };
    let mut err = std::io::stderr().lock();
    for (file, recovery) in &recoveries {
        writeln!(err, "warning: {}: {recovery}", path.join(file).display())?;
    }
    writeln!(
        out,
        "{}: ok, {} vertices and {} triangles checked",
        path.display(),
        h.vertex_count,
        h.triangle_count
    )?;
    Ok(())
}
