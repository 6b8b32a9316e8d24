//! Every input variant the importer promises, on small files made here:
//! PLY ascii and both binary byte orders (types, colours, normals, texture
//! coordinates, polygons, extra properties), OBJ index forms and negative
//! indices, and that a mesh opens as the layout it was stored as, with the
//! bundled schemas.

mod common;

use common::{positions, triangles};
use recstore_mesh::{
    import, Attributes, ColoredVertex, ImportOptions, Mesh, MeshError, VertexLayout, VertexNormalUv,
};
use std::path::{Path, PathBuf};

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

const PLY_HEADER: &str = "element vertex 4\nproperty double x\nproperty double y\n\
    property float z\nproperty uchar red\nproperty uchar green\nproperty uchar blue\n\
    property int label\nelement face 1\nproperty list uchar int vertex_indices\nend_header\n";

/// A quad with colours as ascii, binary little- and big-endian PLY.
fn quad_ply(format: &str) -> Vec<u8> {
    let points: [(f64, f64, f32); 4] = [
        (0.0, 0.0, 0.0),
        (1.0, 0.0, 0.0),
        (1.0, 2.0, 0.0),
        (0.0, 2.0, 0.5),
    ];
    let mut out =
        format!("ply\nformat {format} 1.0\ncomment made by a test\n{PLY_HEADER}").into_bytes();
    for (i, &(x, y, z)) in points.iter().enumerate() {
        let rgb = [255u8, (i * 10) as u8, 0];
        match format {
            "ascii" => {
                out.extend(format!("{x} {y} {z} {} {} {} 7\n", rgb[0], rgb[1], rgb[2]).bytes())
            }
            "binary_little_endian" => {
                out.extend(x.to_le_bytes());
                out.extend(y.to_le_bytes());
                out.extend(z.to_le_bytes());
                out.extend(rgb);
                out.extend(7i32.to_le_bytes());
            }
            _ => {
                out.extend(x.to_be_bytes());
                out.extend(y.to_be_bytes());
                out.extend(z.to_be_bytes());
                out.extend(rgb);
                out.extend(7i32.to_be_bytes());
            }
        }
    }
    match format {
        "ascii" => out.extend(b"4 0 1 2 3\n"),
        "binary_little_endian" => {
            out.push(4);
            (0..4i32).for_each(|i| out.extend(i.to_le_bytes()));
        }
        _ => {
            out.push(4);
            (0..4i32).for_each(|i| out.extend(i.to_be_bytes()));
        }
    }
    out
}

#[test]
fn ply_ascii_and_both_binary_orders_give_the_same_mesh() {
    let dir = tempfile::tempdir().unwrap();
    let mut meshes = Vec::new();
    for format in ["ascii", "binary_little_endian", "binary_big_endian"] {
        let src = write(dir.path(), &format!("{format}.ply"), &quad_ply(format));
        let out = dir.path().join(format!("{format}.mesh"));
        let report = import(&src, &out, &Default::default()).unwrap();
        assert_eq!(report.ignored, ["vertex property 'label' (int)"]);
        assert_eq!(report.header.source_faces, 1);
        let mesh = Mesh::<ColoredVertex>::open(&out).unwrap();
        assert_eq!(
            mesh.triangles(),
            &[[0, 1, 2], [0, 2, 3]],
            "{format}: quad fanned"
        );
        assert_eq!(mesh.vertices()[2].position, [1.0, 2.0, 0.0]);
        assert_eq!(
            mesh.vertices()[1].color,
            [65535, 2570, 0],
            "8-bit colour ×257"
        );
        assert_eq!(mesh.bounds().max, [1.0, 2.0, 0.5]);
        assert!(mesh.attributes().contains(Attributes::COLOR));
        meshes.push(mesh.vertices().to_vec());
    }
    assert_eq!(meshes[0], meshes[1]);
    assert_eq!(meshes[1], meshes[2]);
}

#[test]
fn ply_normals_and_texture_coordinates_choose_the_normal_uv_layout() {
    let dir = tempfile::tempdir().unwrap();
    let src = write(
        dir.path(),
        "n.ply",
        b"ply\nformat ascii 1.0\nelement vertex 3\nproperty float x\nproperty float y\n\
          property float z\nproperty float nx\nproperty float ny\nproperty float nz\n\
          property float s\nproperty float t\nelement face 1\n\
          property list uchar uint vertex_index\nend_header\n\
          0 0 0 0 0 1 0 0\n1 0 0 0 0 1 1 0\n0 1 0 0 0 1 0 1\n3 0 1 2\n",
    );
    let out = dir.path().join("n.mesh");
    let report = import(&src, &out, &Default::default()).unwrap();
    assert!(report.ignored.is_empty(), "{:?}", report.ignored);
    let e = Mesh::<ColoredVertex>::open(&out).err().unwrap();
    assert!(matches!(e, MeshError::WrongLayout { .. }), "{e}");
    let mesh = Mesh::<VertexNormalUv>::open(&out).unwrap();
    assert_eq!(mesh.vertices()[2].normal, [0.0, 0.0, 1.0]);
    assert_eq!(mesh.vertices()[2].uv, [0.0, 1.0]);
    assert!(mesh.attributes().contains(Attributes::NORMAL));
    assert!(mesh.attributes().contains(Attributes::UV));
    // The layout can be forced.
    let forced = dir.path().join("forced.mesh");
    let options = ImportOptions {
        layout: Some(VertexLayout::Colored),
        ..Default::default()
    };
    // ... and then says what it drops.
    let report = import(&src, &forced, &options).unwrap();
    assert_eq!(
        report.ignored,
        ["normals, uvs (the ColoredVertex vertex layout has no field for them)"]
    );
    assert_eq!(
        Mesh::<ColoredVertex>::open(&forced).unwrap().vertices()[0].color,
        [65535; 3]
    );
}

#[test]
fn obj_every_index_form_and_negative_indices() {
    let dir = tempfile::tempdir().unwrap();
    let src = write(
        dir.path(),
        "forms.obj",
        b"# all four corner forms\no first\nv 0 0 0\nv 1 0 0\nv 1 1 0\nv 0 1 0\n\
          vt 0 0\nvt 1 0\nvt 1 1\nvn 0 0 1\n\
          f 1 2 3\nf 1/1 3/3 4/2\nf 1//1 2//1 3//1\nf -4/-3/-1 -3/-2/-1 -2/-1/-1 -1/-1/-1\n\
          l 1 2\n",
    );
    let out = dir.path().join("forms.mesh");
    let report = import(&src, &out, &Default::default()).unwrap();
    assert_eq!(report.header.source_faces, 4);
    assert!(
        report
            .ignored
            .iter()
            .any(|i| i.contains("1 points and lines")),
        "{:?}",
        report.ignored
    );
    let pos = positions(&out);
    let tris = triangles(&out);
    // 1 + 1 + 1 + 2 (the quad, fanned) triangles.
    assert_eq!(tris.len(), 5);
    let corners: Vec<Vec<[f32; 3]>> = tris
        .iter()
        .map(|t| t.iter().map(|&i| pos[i as usize]).collect())
        .collect();
    let [a, b, c, d] = [
        [0.0, 0.0, 0.0],
        [1.0, 0.0, 0.0],
        [1.0, 1.0, 0.0],
        [0.0, 1.0, 0.0],
    ];
    assert_eq!(
        corners,
        [
            vec![a, b, c],
            vec![a, c, d],
            vec![a, b, c],
            vec![a, b, c],
            vec![a, c, d]
        ]
    );
}

#[test]
fn every_vertex_record_equals_its_bundled_schema() {
    let schemas = Path::new(env!("CARGO_MANIFEST_DIR")).join("../schemas");
    use recstore::Record;
    for (file, schema) in [
        ("colored_vertex.toml", ColoredVertex::schema()),
        ("vertex_normal_uv.toml", VertexNormalUv::schema()),
        ("triangle.toml", recstore_mesh::Triangle::schema()),
    ] {
        let loaded = recstore::schema_file::load(schemas.join(file)).unwrap();
        assert_eq!(loaded.fingerprint(), schema.fingerprint(), "{file}");
    }
}
