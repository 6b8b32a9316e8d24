//! What a viewer does at start: import a mesh once (the first run), then
//! open it zero-copy and hand the slices to the GPU.
//!
//! ```text
//! cargo run --release -p recstore-mesh --example mesh_viewer_load [MESH.ply|.stl|.obj]
//! ```
//!
//! Without an argument it uses the Stanford bunny fetched by
//! `scripts/fetch-mesh-data.sh`, or, when that is missing, a generated
//! sphere.

use recstore_mesh::{ColoredVertex, ImportOptions, Mesh};
use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let source = match std::env::args_os().nth(1) {
        Some(path) => PathBuf::from(path),
        None => {
            let bunny = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../target/mesh-data/stl-models/objects/bunny.bin.stl");
            if bunny.exists() {
                bunny
            } else {
                sphere_obj(&dir.path().join("sphere.obj"))?
            }
        }
    };
    let mesh_dir = dir.path().join("viewer.mesh");

    let started = Instant::now();
    let report = recstore_mesh::import(&source, &mesh_dir, &ImportOptions::default())?;
    let import_time = started.elapsed();
    println!(
        "imported {} in {:.1} ms ({} warnings)",
        source.display(),
        import_time.as_secs_f64() * 1e3,
        report.warnings.len()
    );

    // Every later start: open and touch every vertex, as a GPU upload would.
    let started = Instant::now();
    let mesh = Mesh::<ColoredVertex>::open(&mesh_dir)?;
    let vertices: &[ColoredVertex] = mesh.vertices();
    let triangles: &[[u32; 3]] = mesh.triangles();
    let checksum: f32 = vertices.iter().map(|v| v.position[1]).sum();
    let load_time = started.elapsed();

    let b = mesh.bounds();
    println!("vertices:  {}", vertices.len());
    println!("triangles: {}", triangles.len());
    println!("bounds:    {:?} .. {:?}", b.min, b.max);
    for (i, v) in vertices.iter().take(3).enumerate() {
        println!(
            "vertex {i}:  position {:?} colour {:?}",
            v.position, v.color
        );
    }
    println!("first triangle: {:?}", triangles.first());
    println!(
        "load (open + touch all {} vertices): {:.1} µs, vs {:.1} ms to import: {:.0}x (sum of y {checksum:.3})",
        vertices.len(),
        load_time.as_secs_f64() * 1e6,
        import_time.as_secs_f64() * 1e3,
        import_time.as_secs_f64() / load_time.as_secs_f64()
    );
    Ok(())
}

/// A UV sphere as OBJ, for when no mesh was fetched.
fn sphere_obj(path: &std::path::Path) -> std::io::Result<PathBuf> {
    let (rings, segments) = (64u32, 128u32);
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    for r in 0..=rings {
        let theta = std::f32::consts::PI * r as f32 / rings as f32;
        for s in 0..segments {
            let phi = 2.0 * std::f32::consts::PI * s as f32 / segments as f32;
            let (x, y, z) = (
                theta.sin() * phi.cos(),
                theta.cos(),
                theta.sin() * phi.sin(),
            );
            writeln!(out, "v {x} {y} {z}")?;
        }
    }
    for r in 0..rings {
        for s in 0..segments {
            let a = r * segments + s + 1;
            let b = r * segments + (s + 1) % segments + 1;
            writeln!(out, "f {a} {b} {} {}", b + segments, a + segments)?;
        }
    }
    out.flush()?;
    Ok(path.to_path_buf())
}
