//! Sources that are right but unusual, and sources wrong in a quiet way
//! (issue 17, items 14 and 19): OBJ indices are global to the file (every
//! `v` is kept and bounded, objects share vertices, a vertex-only file is a
//! point cloud); OBJ comments are skipped as bytes; ASCII PLY lines with
//! values beyond the header's properties are refused with their line; a
//! binary STL whose header starts with "solid" and that was cut short is
//! reported as the binary STL it is.

mod common;

use common::{positions, triangles};
use recstore_mesh::{import, MeshError, VertexLayout, VertexNormalUv};
use std::path::{Path, PathBuf};

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// Imports `bytes` as `name`; returns the mesh directory and the report.
fn imported(dir: &Path, name: &str, bytes: &[u8]) -> (PathBuf, recstore_mesh::ImportReport) {
    let src = write(dir, name, bytes);
    let out = dir.join(format!("{name}.mesh"));
    let report = import(&src, &out, &Default::default()).unwrap_or_else(|e| panic!("{e}"));
    (out, report)
}

fn refused(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let src = write(dir, name, bytes);
    let out = dir.join(format!("{name}.mesh"));
    let e = import(&src, &out, &Default::default()).unwrap_err();
    assert!(!out.exists(), "{name}: output written on error");
    e.to_string()
}

fn says(text: &str, words: &[&str]) {
    for w in words {
        assert!(text.contains(w), "{text:?} should say {w:?}");
    }
}

#[test]
fn obj_with_vertices_only_is_a_point_cloud() {
    let dir = tempfile::tempdir().unwrap();
    let (mesh, report) = imported(dir.path(), "cloud.obj", b"v 0 0 0\nv 1 2 3\nv -1 0 5\n");
    assert_eq!(report.header.vertex_count, 3);
    assert_eq!(report.header.triangle_count, 0);
    assert_eq!(report.header.bounds_min, [-1.0, 0.0, 0.0]);
    assert_eq!(report.header.bounds_max, [1.0, 2.0, 5.0]);
    assert_eq!(positions(&mesh)[2], [-1.0, 0.0, 5.0]);
    recstore_mesh::Mesh::<recstore_mesh::ColoredVertex>::open_verified(&mesh).unwrap();
    // No vertices at all is still nothing to import.
    let e = refused(dir.path(), "none.obj", b"o nothing\n");
    says(&e, &["no vertices"]);
}

#[test]
fn obj_keeps_and_bounds_vertices_no_face_uses() {
    let dir = tempfile::tempdir().unwrap();
    let (mesh, report) = imported(
        dir.path(),
        "spare.obj",
        b"v 0 0 0\nv 9 9 9\nv 1 0 0\nv 0 1 0\nf 1 3 4\nv -4 0 0\n",
    );
    assert_eq!(report.header.vertex_count, 5);
    assert_eq!(report.header.bounds_min, [-4.0, 0.0, 0.0]);
    assert_eq!(report.header.bounds_max, [9.0, 9.0, 9.0]);
    assert_eq!(positions(&mesh)[1], [9.0, 9.0, 9.0], "file order kept");
    assert_eq!(triangles(&mesh), [[0, 2, 3]], "indices are the file's");
}

#[test]
fn obj_objects_share_vertices_by_their_global_indices() {
    let dir = tempfile::tempdir().unwrap();
    let (mesh, report) = imported(
        dir.path(),
        "two.obj",
        b"o a\nv 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n\
          o b\nv 1 1 0\nf 2 4 3\ng c\nf -3 -1 -2\n",
    );
    assert_eq!(report.header.vertex_count, 4, "no vertex duplicated");
    assert_eq!(report.header.source_faces, 3);
    assert_eq!(triangles(&mesh), [[0, 1, 2], [1, 3, 2], [1, 3, 2]]);
}

#[test]
fn obj_copies_a_vertex_only_where_its_normal_or_uv_differs() {
    let dir = tempfile::tempdir().unwrap();
    // Two triangles share the edge 2-3; the shared corners carry the same
    // normal in both except vertex 3, whose normal differs (a hard edge).
    let (mesh, report) = imported(
        dir.path(),
        "seam.obj",
        b"v 0 0 0\nv 1 0 0\nv 0 1 0\nv 1 1 0\nv 7 7 7\nvn 0 0 1\nvn 0 1 0\nvt 0.5 0.25\n\
          f 1//1 2//1 3//1\nf 2//1 4//1 3//2\nf 3//2 2//1 4//1\nf 1/1 2 3//1\n",
    );
    let n = report.header.vertex_count;
    // v3 with normal 2, v1 with a texture coordinate and v2 with neither:
    // three copies after the five `v`s.
    assert_eq!(n, 5 + 3, "{:?}", triangles(&mesh));
    assert_eq!(report.header.bounds_max, [7.0, 7.0, 7.0]);
    assert_eq!(
        VertexLayout::from_code(report.header.layout),
        Some(VertexLayout::NormalUv)
    );
    let m = recstore_mesh::Mesh::<VertexNormalUv>::open_verified(&mesh).unwrap();
    let v = m.vertices();
    let t = m.triangles();
    assert_eq!(t[0], [0, 1, 2]);
    assert_eq!(t[1], [1, 3, 5], "v3 with normal 2 is the first copy");
    assert_eq!(t[2], [5, 1, 3], "and shared by the next face");
    assert_eq!(v[5].position, [0.0, 1.0, 0.0]);
    assert_eq!(v[5].normal, [0.0, 1.0, 0.0]);
    assert_eq!(v[2].normal, [0.0, 0.0, 1.0]);
    assert_eq!(v[t[3][0] as usize].uv, [0.5, 0.25]);
    assert_eq!(v[t[3][1] as usize].normal, [0.0; 3]);
    assert_eq!(t[3][2], 2, "v3 with normal 1 is v3 itself");
    assert_eq!(v[4].normal, [0.0; 3], "an unused vertex has no normal");
}

#[test]
fn obj_comments_and_unread_lines_may_hold_any_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let (mesh, report) = imported(
        dir.path(),
        "latin1.obj",
        b"# caf\xe9 cr\xe8me, exported in Latin-1\no caf\xe9\nv 0 0 0 # \xff\xfe\n\
          v 1 0 0\r\nv 0 1 0\nusemtl m\xe9tal\nf 1 2 3\n",
    );
    assert_eq!(report.header.vertex_count, 3);
    assert_eq!(triangles(&mesh), [[0, 1, 2]]);
    // The words that are read must still be text.
    let e = refused(
        dir.path(),
        "bad.obj",
        b"# fine\nv 0 0 0\nv 1 0 \xe9\nv 0 1 0\nf 1 2 3\n",
    );
    says(&e, &["vertex 1", "line 3", "not UTF-8"]);
}

const TRI: &str = "ply\nformat ascii 1.0\nelement vertex 3\nproperty float x\nproperty float y\n\
    property float z\nelement face 1\nproperty list uchar int vertex_indices\nend_header\n";

#[test]
fn ascii_ply_lines_with_extra_values_are_refused_with_their_line() {
    let dir = tempfile::tempdir().unwrap();
    let e = refused(
        dir.path(),
        "vertex.ply",
        format!("{TRI}0 0 0\n1 0 0 9 9 9\n0 1 0\n3 0 1 2\n").as_bytes(),
    );
    says(&e, &["vertex 1", "line 11", "6 values", "3", "\"9 9 9\""]);
    let e = refused(
        dir.path(),
        "face.ply",
        format!("{TRI}0 0 0\n1 0 0\n0 1 0\n3 0 1 2 7\n").as_bytes(),
    );
    says(&e, &["face 0", "line 13", "5 values", "4", "\"7\""]);
    // The right number of values, with any spacing, is fine.
    imported(
        dir.path(),
        "spaced.ply",
        format!("{TRI}0 0 0\n 1\t0 0 \n0 1 0\n3 0 1 2\r\n").as_bytes(),
    );
}

/// A binary STL of `count` facets as its header says, `facets` of them
/// present, with an 80-byte header starting "solid".
fn solid_headed_binary(count: u32, facets: usize) -> Vec<u8> {
    let mut bytes = b"solid exported by a CAD program".to_vec();
    bytes.resize(80, b' ');
    bytes.extend(count.to_le_bytes());
    for f in 0..facets {
        let k = f as f32;
        for c in [0.0, 0.0, 1.0, k, 0.0, 0.0, k + 1.0, 0.0, 0.0, k, 1.0, 0.0] {
            bytes.extend(f32::to_le_bytes(c));
        }
        bytes.extend([0, 0]);
    }
    bytes
}

#[test]
fn a_cut_binary_stl_whose_header_says_solid_is_a_size_mismatch() {
    let dir = tempfile::tempdir().unwrap();
    let e = refused(dir.path(), "cut.stl", &solid_headed_binary(4, 3));
    says(
        &e,
        &[
            "says 4 triangles",
            "284 bytes",
            "234 bytes",
            "3 whole triangles",
        ],
    );
    assert!(!e.contains("UTF-8"), "{e}");
    // Whole, it imports (with the warning about its header).
    let (_, report) = imported(dir.path(), "whole.stl", &solid_headed_binary(3, 3));
    assert_eq!(report.header.triangle_count, 3);
    // An ascii STL with a Latin-1 solid name is still ascii, and wrong.
    let e = refused(
        dir.path(),
        "latin1.stl",
        b"solid caf\xe9\nfacet normal 0 0 1\nouter loop\nvertex 0 0 0\nvertex 1 0 0\n\
          vertex 0 1 0\nendloop\nendfacet\nendsolid\n",
    );
    says(&e, &["line 1", "not UTF-8"]);
}

#[test]
fn errors_are_errors_not_empty_meshes() {
    // A vertex-only OBJ must not make an OBJ with a bad face acceptable.
    let dir = tempfile::tempdir().unwrap();
    let e = refused(dir.path(), "f.obj", b"v 0 0 0\nf 1 1/x 1\n");
    assert!(e.contains("line 2"), "{e}");
    let e = import(
        dir.path().join("missing.obj"),
        dir.path().join("m.mesh"),
        &Default::default(),
    )
    .unwrap_err();
    assert!(matches!(e, MeshError::Io { .. }), "{e}");
    assert!(
        std::error::Error::source(&e).is_none(),
        "the OS error is in the message"
    );
}
