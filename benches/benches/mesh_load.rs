//! Parsing a mesh source every start vs opening the imported mesh.
//!
//! - the Stanford bunny (binary STL, 34,834 vertices, 69,451 triangles):
//!   stl_io's `read_stl`, our own STL parser, and `Mesh::open` + touching
//!   every vertex;
//! - a generated grid of about 10^7 vertices and 2·10^7 triangles as binary
//!   PLY: parsing with ply-rs-bw (typed, the crate's fastest path, as our
//!   importer uses it), importing (vertices/s), and `Mesh::open` +
//!   touching every vertex;
//! - open + first vertex for both, to show that opening is flat in size.
//!
//! `-- --test` (as CI runs it) shrinks the grid to 10^4 vertices.
//! Needs `scripts/fetch-mesh-data.sh` for the bunny.

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use recstore_mesh::{ColoredVertex, ImportOptions, Mesh};
use std::io::Write;
use std::path::{Path, PathBuf};

fn bunny() -> PathBuf {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../target/mesh-data/stl-models/objects/bunny.bin.stl");
    assert!(path.exists(), "run scripts/fetch-mesh-data.sh first");
    path
}

/// A `side`×`side` vertex grid over a wavy surface, as binary PLY with
/// colours and quads split into two triangles.
fn grid_ply(path: &Path, side: u32) {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let cells = (side - 1) * (side - 1);
    write!(
        out,
        "ply\nformat binary_little_endian 1.0\nelement vertex {}\nproperty float x\n\
         property float y\nproperty float z\nproperty uchar red\nproperty uchar green\n\
         property uchar blue\nelement face {}\nproperty list uchar uint vertex_indices\n\
         end_header\n",
        side * side,
        2 * cells
    )
    .unwrap();
    for j in 0..side {
        for i in 0..side {
            let (x, y) = (i as f32 / side as f32, j as f32 / side as f32);
            let z = (x * 20.0).sin() * (y * 20.0).cos() * 0.05;
            for c in [x, y, z] {
                out.write_all(&c.to_le_bytes()).unwrap();
            }
            out.write_all(&[(i % 256) as u8, (j % 256) as u8, 128])
                .unwrap();
        }
    }
    for j in 0..side - 1 {
        for i in 0..side - 1 {
            let a = j * side + i;
            for tri in [[a, a + 1, a + side + 1], [a, a + side + 1, a + side]] {
                out.write_all(&[3]).unwrap();
                for v in tri {
                    out.write_all(&v.to_le_bytes()).unwrap();
                }
            }
        }
    }
    out.flush().unwrap();
}

fn touch_all(mesh: &Mesh<ColoredVertex>) -> f32 {
    mesh.vertices()
        .iter()
        .map(|v| v.position[0] + v.position[1] + v.position[2])
        .sum()
}

fn benches(c: &mut Criterion) {
    let quick = std::env::args().any(|a| a == "--test");
    let dir = tempfile::tempdir().unwrap();
    let bunny_src = bunny();
    let bunny_mesh = dir.path().join("bunny.mesh");
    recstore_mesh::import(&bunny_src, &bunny_mesh, &ImportOptions::default()).unwrap();
    let side: u32 = if quick { 100 } else { 3163 };
    let grid_src = dir.path().join("grid.ply");
    grid_ply(&grid_src, side);
    let grid_mesh = dir.path().join("grid.mesh");
    recstore_mesh::import(&grid_src, &grid_mesh, &ImportOptions::default()).unwrap();
    let grid_vertices = u64::from(side * side);
    let grid_name = format!("grid_{grid_vertices}");

    let mut g = c.benchmark_group("bunny");
    g.throughput(Throughput::Elements(34_834));
    g.bench_function("stl_io read_stl", |b| {
        b.iter(|| stl_io::read_stl(&mut std::fs::File::open(&bunny_src).unwrap()).unwrap())
    });
    g.bench_function("recstore-mesh parse", |b| {
        b.iter(|| {
            recstore_mesh::__bench::parse_only(&bunny_src, &ImportOptions::default()).unwrap()
        })
    });
    g.bench_function("open + touch all vertices", |b| {
        b.iter(|| touch_all(&Mesh::open(&bunny_mesh).unwrap()))
    });
    g.finish();

    let mut g = c.benchmark_group("grid");
    g.sample_size(10);
    g.throughput(Throughput::Elements(grid_vertices));
    g.bench_function(BenchmarkId::new("ply-rs-bw parse", &grid_name), |b| {
        b.iter(|| recstore_mesh::__bench::parse_only(&grid_src, &ImportOptions::default()).unwrap())
    });
    g.bench_function(BenchmarkId::new("import", &grid_name), |b| {
        b.iter_with_setup(
            || {
                let _ = std::fs::remove_dir_all(dir.path().join("again.mesh"));
            },
            |()| {
                recstore_mesh::import(
                    &grid_src,
                    dir.path().join("again.mesh"),
                    &ImportOptions::default(),
                )
                .unwrap()
            },
        )
    });
    g.bench_function(
        BenchmarkId::new("open + touch all vertices", &grid_name),
        |b| b.iter(|| touch_all(&Mesh::open(&grid_mesh).unwrap())),
    );
    g.finish();

    let mut g = c.benchmark_group("open + first vertex");
    for (name, mesh) in [("bunny", &bunny_mesh), (grid_name.as_str(), &grid_mesh)] {
        g.bench_function(name, |b| {
            b.iter(|| {
                let m = Mesh::<ColoredVertex>::open(mesh).unwrap();
                black_box(m.vertices()[0].position[0])
            })
        });
    }
    g.finish();
}

criterion_group!(mesh_load, benches);
criterion_main!(mesh_load);
