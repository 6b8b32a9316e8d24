//! Helpers shared by the mesh tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// The real meshes fetched by `scripts/fetch-mesh-data.sh`. Missing data
/// fails the test: these tests must never pass by skipping.
pub fn data() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/mesh-data");
    assert!(
        dir.join(".complete-v1").exists(),
        "the real mesh files are missing: run scripts/fetch-mesh-data.sh (scripts/test.sh does)"
    );
    dir
}

/// Every file under `dir` whose extension (any case) is `ext`, sorted.
pub fn files(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| e.eq_ignore_ascii_case(ext))
        })
        .collect();
    out.sort();
    out
}

/// Imports `input` into `dir/<name>.mesh` with default options.
pub fn import(
    input: &Path,
    dir: &Path,
) -> recstore_mesh::Result<(PathBuf, recstore_mesh::ImportReport)> {
    let out = dir.join(format!(
        "{}.mesh",
        input.file_name().unwrap().to_string_lossy()
    ));
    let report = recstore_mesh::import(input, &out, &Default::default())?;
    Ok((out, report))
}

/// Positions of any imported mesh, whatever its layout.
pub fn positions(mesh: &Path) -> Vec<[f32; 3]> {
    use recstore_mesh::{ColoredVertex, Mesh, VertexLayout, VertexNormalUv};
    let header = recstore_mesh::read_header(mesh).unwrap();
    match VertexLayout::from_code(header.layout).unwrap() {
        VertexLayout::Colored => Mesh::<ColoredVertex>::open(mesh)
            .unwrap()
            .vertices()
            .iter()
            .map(|v| v.position)
            .collect(),
        VertexLayout::NormalUv => Mesh::<VertexNormalUv>::open(mesh)
            .unwrap()
            .vertices()
            .iter()
            .map(|v| v.position)
            .collect(),
    }
}

/// Triangles of any imported mesh.
pub fn triangles(mesh: &Path) -> Vec<[u32; 3]> {
    let s = recstore::Store::<recstore_mesh::Triangle>::open_read_only(
        mesh.join(recstore_mesh::TRIANGLES),
    )
    .unwrap();
    s.iter().map(|t| t.indices).collect()
}
