//! Malformed sources: each gives a clear error naming the element and the
//! line or byte offset, and nothing is written. Damaged or inconsistent
//! mesh directories: `open` or `verify` refuses them.

mod common;

use recstore_mesh::{import, ColoredVertex, Mesh, MeshError};
use std::path::Path;

/// Imports `bytes` as `name` and returns the error, checking that no
/// output (not even a temporary directory) was left behind.
fn refuse(name: &str, bytes: &[u8]) -> MeshError {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join(name);
    std::fs::write(&src, bytes).unwrap();
    let e = import(&src, dir.path().join("out.mesh"), &Default::default()).unwrap_err();
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(
        left,
        [std::ffi::OsString::from(name)],
        "{name}: output written on error"
    );
    e
}

fn says(e: &MeshError, words: &[&str]) {
    let text = e.to_string();
    for w in words {
        assert!(text.contains(w), "{text:?} should say {w:?}");
    }
}

const TRI: &str = "ply\nformat ascii 1.0\nelement vertex 3\nproperty float x\nproperty float y\n\
    property float z\nelement face 1\nproperty list uchar int vertex_indices\nend_header\n";

#[test]
fn ply_errors_name_element_and_place() {
    let e = refuse(
        "nan.ply",
        format!("{TRI}0 0 0\nnan 1 0\n0 1 0\n3 0 1 2\n").as_bytes(),
    );
    says(&e, &["vertex 1", "line 11", "'nan 1 0"]);
    let e = refuse(
        "range.ply",
        format!("{TRI}0 0 0\n1 0 0\n0 1 0\n3 0 1 3\n").as_bytes(),
    );
    says(
        &e,
        &[
            "face 0",
            "line 13",
            "index 3 is out of range for 3 vertices",
        ],
    );
    let e = refuse(
        "neg.ply",
        format!("{TRI}0 0 0\n1 0 0\n0 1 0\n3 0 -1 2\n").as_bytes(),
    );
    says(&e, &["face 0", "index -1"]);
    let e = refuse(
        "two.ply",
        format!("{TRI}0 0 0\n1 0 0\n0 1 0\n2 0 1\n").as_bytes(),
    );
    says(&e, &["face 0", "at least 3 vertices"]);
    // A huge count in a tiny file: an error about the missing elements,
    // not an allocation of billions of vertices.
    let huge = TRI.replace("vertex 3", "vertex 4000000000");
    let e = refuse(
        "huge.ply",
        format!("{huge}0 0 0\n1 0 0\n0 1 0\n").as_bytes(),
    );
    says(&e, &["vertex 3", "truncated"]);
    let e = refuse("short.ply", format!("{TRI}0 0 0\n1 0 0\n").as_bytes());
    says(&e, &["vertex 2", "truncated"]);
    let e = refuse(
        "float_index.ply",
        TRI.replace("uchar int", "uchar float").as_bytes(),
    );
    assert!(matches!(e, MeshError::Unsupported { .. }));
    says(
        &e,
        &[
            "face property 'vertex_indices'",
            "list uchar float",
            "integers",
        ],
    );
    let e = refuse(
        "int_color.ply",
        TRI.replace(
            "property float z\n",
            "property float z\nproperty int red\nproperty int green\nproperty int blue\n",
        )
        .as_bytes(),
    );
    says(&e, &["vertex property 'red'", "'int'"]);
    let e = refuse(
        "empty.ply",
        TRI.replace("vertex 3", "vertex 0")
            .replace("face 1", "face 0")
            .as_bytes(),
    );
    assert!(matches!(e, MeshError::Empty { .. }), "{e}");
    let e = refuse("noz.ply", TRI.replace("property float z\n", "").as_bytes());
    says(&e, &["header", "no property 'z'"]);
    let e = refuse(
        "header.ply",
        b"ply\nformat ascii 1.0\nelement vertex 3\nproperty floot x\n",
    );
    says(&e, &["header", "line"]);
}

#[test]
fn truncated_binary_ply_names_the_element_and_offset() {
    let header = "ply\nformat binary_little_endian 1.0\nelement vertex 3\nproperty float x\n\
        property float y\nproperty float z\nend_header\n";
    let mut bytes = header.as_bytes().to_vec();
    for v in 0..3 {
        for c in 0..3 {
            bytes.extend(((v * 3 + c) as f32).to_le_bytes());
        }
    }
    let mut nan = bytes.clone();
    nan[header.len() + 16..header.len() + 20].copy_from_slice(&f32::NAN.to_le_bytes());
    let e = refuse("nan.ply", &nan);
    says(
        &e,
        &[
            "vertex 1",
            &format!("byte offset {}", header.len() + 12),
            "not finite",
        ],
    );
    bytes.truncate(bytes.len() - 5);
    let e = refuse("cut.ply", &bytes);
    says(
        &e,
        &[
            "vertex 2",
            &format!("byte offset {}", header.len() + 24),
            "truncated",
        ],
    );
}

#[test]
fn obj_errors_name_the_line() {
    let e = refuse("range.obj", b"v 0 0 0\nv 1 0 0\nv 0 1 0\n\nf 1 2 4\n");
    says(
        &e,
        &[
            "face 0",
            "line 5",
            "vertex index 4 is out of range: 3 vertices",
        ],
    );
    let e = refuse("nan.obj", b"v 0 0 0\nv NaN 0 0\nv 0 1 0\nf 1 2 3\n");
    says(&e, &["vertex 1", "line 2", "not a finite number"]);
    let e = refuse("word.obj", b"v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 x\n");
    says(&e, &["line 4", "\"x\" is not an index"]);
    let e = refuse("empty.obj", b"# nothing here\n");
    assert!(matches!(e, MeshError::Empty { .. }), "{e}");
}

#[test]
fn stl_count_and_syntax_errors() {
    let mut bin = vec![0u8; 80];
    bin.extend(2u32.to_le_bytes());
    bin.extend([0u8; 50]);
    let e = refuse("short.stl", &bin);
    says(&e, &["byte offset 80", "says 2 triangles", "134 bytes"]);
    let e = refuse(
        "x.stl",
        b"solid x\nfacet normal 0 0 1\nouter loop\nvertex 0 0 0\nvertex 1 0 0\nvertex 0 1 zero\n",
    );
    says(&e, &["facet 0", "line 6", "\"zero\""]);
    let e = refuse("unknown.off", b"OFF\n");
    assert!(matches!(e, MeshError::UnknownFormat { .. }), "{e}");
}

fn quad(dir: &Path) -> std::path::PathBuf {
    let src = dir.join("q.obj");
    std::fs::write(&src, "v 0 0 0\nv 1 0 0\nv 1 1 0\nv 0 1 0\nf 1 2 3 4\n").unwrap();
    let out = dir.join("q.mesh");
    import(&src, &out, &Default::default()).unwrap();
    out
}

#[test]
fn an_existing_output_is_never_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let out = quad(dir.path());
    let e = import(dir.path().join("q.obj"), &out, &Default::default()).unwrap_err();
    assert!(matches!(e, MeshError::AlreadyExists { .. }), "{e}");
    Mesh::<ColoredVertex>::open_verified(&out).unwrap();
}

#[test]
fn verify_finds_an_index_changed_after_import() {
    let dir = tempfile::tempdir().unwrap();
    let out = quad(dir.path());
    {
        // Another program rewrites a triangle through the store API, so
        // the checksums are right and only the index check can object.
        let mut s =
            recstore::Store::<recstore_mesh::Triangle>::open(out.join(recstore_mesh::TRIANGLES))
                .unwrap();
        s.get_mut(1).unwrap().indices = [0, 2, 9];
        s.close().unwrap();
    }
    let mesh = Mesh::<ColoredVertex>::open(&out).unwrap();
    assert_eq!(mesh.triangles()[1], [0, 2, 9], "open is O(1) and trusts");
    let e = mesh.verify().unwrap_err();
    assert!(matches!(e, MeshError::Inconsistent { .. }), "{e}");
    says(&e, &["triangle 1", "[0, 2, 9]"]);
}

#[test]
fn open_refuses_stores_that_disagree_with_the_header() {
    let dir = tempfile::tempdir().unwrap();
    let out = quad(dir.path());
    {
        let mut s =
            recstore::Store::<recstore_mesh::Triangle>::open(out.join(recstore_mesh::TRIANGLES))
                .unwrap();
        s.truncate(1).unwrap();
        s.close().unwrap();
    }
    let e = Mesh::<ColoredVertex>::open(&out).err().unwrap();
    assert!(matches!(e, MeshError::Inconsistent { .. }), "{e}");
    says(&e, &["2 triangles", "hold 4 and 1"]);
    std::fs::remove_file(out.join(recstore_mesh::HEADER)).unwrap();
    let e = Mesh::<ColoredVertex>::open(&out).err().unwrap();
    assert!(matches!(e, MeshError::Store(_)), "{e}");
}
