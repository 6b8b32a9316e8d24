//! Real meshes nobody here made, fetched by `scripts/fetch-mesh-data.sh`:
//! every file is imported and compared with an independent reading of the
//! same source (stl_io for STL, Python's plyfile for PLY, a plain line scan
//! for OBJ): counts, bounds and exact coordinates. Also the malformed STL
//! set of the `stl-models` package: errors, not panics, and nothing
//! written.

mod common;

use common::{data, files, import, positions, triangles};
use recstore_mesh::{ImportOptions, MeshError};
use std::path::Path;
use std::process::Command;

fn bounds(points: &[[f32; 3]]) -> ([f32; 3], [f32; 3]) {
    let b = recstore_mesh::Bounds::of(points.iter().copied()).unwrap();
    (b.min, b.max)
}

fn header_bounds(mesh: &Path) -> ([f32; 3], [f32; 3]) {
    let h = recstore_mesh::read_header(mesh).unwrap();
    (h.bounds_min, h.bounds_max)
}

/// STL files that must import, from all three sources.
fn good_stl() -> Vec<std::path::PathBuf> {
    let d = data();
    let mut all = Vec::new();
    for dir in [
        "stl-models/objects",
        "stl-models/polytopes",
        "stl-models/misc",
        "cgal/data/meshes",
        "cura",
    ] {
        all.extend(files(&d.join(dir), "stl"));
    }
    // Two files of the "misc" folder are not meshes: checked below.
    all.retain(|p| !p.ends_with("multiWordName.bin.stl") && !p.ends_with("faceless.ascii.stl"));
    assert!(all.len() >= 40, "only {} STL files found", all.len());
    all
}

#[test]
fn every_real_stl_matches_stl_io() {
    let out = tempfile::tempdir().unwrap();
    let mut stl_io_failed = Vec::new();
    for path in good_stl() {
        let (mesh, report) = import(&path, out.path()).unwrap_or_else(|e| panic!("{e}"));
        let theirs = match stl_io::read_stl(&mut std::fs::File::open(&path).unwrap()) {
            Ok(mesh) => mesh,
            Err(e) => {
                stl_io_failed.push(format!(
                    "{}: {e}",
                    path.file_name().unwrap().to_string_lossy()
                ));
                continue;
            }
        };
        let ours = positions(&mesh);
        let tris = triangles(&mesh);
        assert_eq!(tris.len(), theirs.faces.len(), "{}", path.display());
        assert_eq!(report.corners, 3 * tris.len() as u64);
        // Every corner of every facet: the same point, exactly.
        for (t, face) in tris.iter().zip(&theirs.faces) {
            for k in 0..3 {
                let a = ours[t[k] as usize];
                let b = theirs.vertices[face.vertices[k]].0;
                assert_eq!(a, b, "{} corner {k} of {t:?}", path.display());
            }
        }
        // Welding merges bit-identical points only, so never more than
        // stl_io's (which keeps -0.0 and +0.0 apart).
        assert!(ours.len() <= theirs.vertices.len(), "{}", path.display());
        let theirs_points: Vec<[f32; 3]> = theirs.vertices.iter().map(|v| v.0).collect();
        assert_eq!(
            header_bounds(&mesh),
            bounds(&theirs_points),
            "{}",
            path.display()
        );
        let normals = recstore_mesh::Mesh::<recstore_mesh::ColoredVertex>::open(&mesh)
            .unwrap()
            .face_normals()
            .unwrap()
            .to_vec();
        for (n, face) in normals.iter().zip(&theirs.faces) {
            assert_eq!(*n, face.normal.0, "{}", path.display());
        }
    }
    // stl_io takes "solid" with no name for binary and fails; we read it
    // (and a test below checks what we read).
    assert_eq!(
        stl_io_failed,
        ["namelessSolid.ascii.stl: failed to fill whole buffer"]
    );
}

#[test]
fn a_nameless_solid_reads_as_the_tetrahedron_it_is() {
    let d = data().join("stl-models");
    let out = tempfile::tempdir().unwrap();
    let (nameless, _) = import(&d.join("misc/namelessSolid.ascii.stl"), out.path()).unwrap();
    let (tetra, _) = import(&d.join("polytopes/tetrahedron.ascii.stl"), out.path()).unwrap();
    assert_eq!(positions(&nameless), positions(&tetra));
    assert_eq!(triangles(&nameless), triangles(&tetra));
}

#[test]
fn the_bunny_is_the_same_from_ascii_and_binary() {
    let d = data().join("stl-models/objects");
    let out = tempfile::tempdir().unwrap();
    let (bin, _) = import(&d.join("bunny.bin.stl"), out.path()).unwrap();
    let (ascii, _) = import(&d.join("bunny.ascii.stl"), out.path()).unwrap();
    let h = recstore_mesh::read_header(&bin).unwrap();
    assert_eq!((h.vertex_count, h.triangle_count), (34_834, 69_451));
    assert_eq!(positions(&bin), positions(&ascii));
    assert_eq!(triangles(&bin), triangles(&ascii));
}

#[test]
fn the_minus_zero_tetrahedron_welds_to_four_vertices() {
    let path = data().join("stl-models/polytopes/tetrahedronMinusZero.bin.stl");
    let out = tempfile::tempdir().unwrap();
    let (mesh, _) = import(&path, out.path()).unwrap();
    assert_eq!(positions(&mesh).len(), 4);
}

#[test]
fn a_binary_stl_damaged_by_text_conversion_is_refused() {
    // multiWordName.bin.stl went through a UTF-8 conversion: bytes above
    // 0x7f became EF BF BD, so it is 49 bytes longer than its count says.
    // stl_io reads it and returns garbage coordinates; we refuse it.
    let path = data().join("stl-models/misc/multiWordName.bin.stl");
    let out = tempfile::tempdir().unwrap();
    let e = import(&path, out.path()).unwrap_err().to_string();
    assert!(
        e.contains("says 4 triangles") && e.contains("333 bytes"),
        "{e}"
    );
    let e = import(
        &data().join("stl-models/misc/faceless.ascii.stl"),
        out.path(),
    )
    .unwrap_err();
    assert!(matches!(e, MeshError::Empty { .. }), "{e}");
    assert_eq!(std::fs::read_dir(out.path()).unwrap().count(), 0);
}

#[test]
fn every_malformed_stl_is_an_error_or_a_warning_never_a_panic() {
    let dir = data().join("stl-models/broken");
    let out = tempfile::tempdir().unwrap();
    // Syntax errors: refused by default, with the place.
    let refused = [
        ("empty.stl", "byte offset 0", "the file is empty"),
        ("fourVertices.ascii.stl", "line 7", "exactly three vertices"),
        (
            "incorrectFaceCounter.bin.stl",
            "byte offset 80",
            "says 66 triangles",
        ),
        ("missingEndsolid.ascii.stl", "line 29", "endsolid"),
        ("missingNormal.ascii.stl", "line 24", "normal coordinate 0"),
        (
            "notANumberNormal.ascii.stl",
            "line 9",
            "not a finite number",
        ),
        ("quad.ascii.stl", "line 7", "exactly three vertices"),
        ("twoVertices.ascii.stl", "line 6", "three vertices"),
    ];
    // Well-formed but wrong as a solid: imported with a warning by
    // default, refused by --strict.
    let warned = [
        ("missingFace.ascii.stl", "not closed"),
        ("singleFace.ascii.stl", "not closed"),
        (
            "solidNameMismatch.ascii.stl",
            "endsolid anything but tetrahedron",
        ),
        ("wrongHeader.bin.stl", "starts with \"solid\""),
        ("wrongNormal.ascii.stl", "disagree"),
        ("wrongNormals.ascii.stl", "zero normal"),
    ];
    let listed = refused.len() + warned.len();
    assert_eq!(files(&dir, "stl").len(), listed, "the broken set changed");
    for (name, place, words) in refused {
        let e = import(&dir.join(name), out.path()).unwrap_err();
        let text = e.to_string();
        assert!(matches!(e, MeshError::Malformed { .. }), "{name}: {text}");
        assert!(
            text.contains(place) && text.contains(words),
            "{name}: {text}"
        );
    }
    for (name, words) in warned {
        let (_, report) = import(&dir.join(name), out.path()).unwrap();
        assert!(
            report.warnings.iter().any(|w| w.contains(words)),
            "{name}: {:?}",
            report.warnings
        );
    }
    // Strict: every file of the set is refused.
    let strict = ImportOptions {
        strict: true,
        ..Default::default()
    };
    for path in files(&dir, "stl") {
        let target = out.path().join("strict.mesh");
        let e = recstore_mesh::import(&path, &target, &strict).unwrap_err();
        assert!(
            matches!(e, MeshError::Malformed { .. } | MeshError::Strict { .. }),
            "{}: {e}",
            path.display()
        );
        assert!(
            !target.exists(),
            "{}: output written on error",
            path.display()
        );
    }
}

fn plyfile(path: &Path) -> serde_json::Value {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/read_ply.py");
    let out = Command::new("python3")
        .arg(script)
        .arg(path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "python3 + plyfile failed (scripts/setup-python.sh installs them): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn triple(v: &serde_json::Value) -> [f32; 3] {
    let a = v.as_array().unwrap();
    [0, 1, 2].map(|i| a[i].as_f64().unwrap() as f32)
}

#[test]
fn every_real_ply_matches_plyfile() {
    let d = data().join("cgal/data");
    let mut all = files(&d.join("meshes"), "ply");
    all.extend(files(&d.join("points_3"), "ply"));
    assert!(all.len() >= 13, "only {} PLY files", all.len());
    let out = tempfile::tempdir().unwrap();
    for path in all {
        let (mesh, _) = import(&path, out.path()).unwrap_or_else(|e| panic!("{e}"));
        let theirs = plyfile(&path);
        let ours = positions(&mesh);
        assert_eq!(
            ours.len() as u64,
            theirs["vertices"].as_u64().unwrap(),
            "{}",
            path.display()
        );
        assert_eq!(
            triangles(&mesh).len() as u64,
            theirs["triangles"].as_u64().unwrap(),
            "{}",
            path.display()
        );
        assert_eq!(
            header_bounds(&mesh),
            (triple(&theirs["min"]), triple(&theirs["max"])),
            "{}",
            path.display()
        );
        for (k, p) in theirs["first"].as_array().unwrap().iter().enumerate() {
            assert_eq!(ours[k], triple(p), "{} vertex {k}", path.display());
        }
    }
}

/// What a plain scan of an OBJ's lines says: triangles after fanning,
/// every `v` in file order, and the positions of the first face.
fn scan_obj(text: &str) -> (usize, Vec<[f32; 3]>, Vec<[f32; 3]>) {
    let mut v: Vec<[f32; 3]> = Vec::new();
    let mut first_face = Vec::new();
    let mut triangles = 0;
    for line in text.lines() {
        let mut w = line.split_whitespace();
        match w.next() {
            Some("v") => {
                let c: Vec<f32> = w.take(3).map(|x| x.parse().unwrap()).collect();
                v.push([c[0], c[1], c[2]]);
            }
            Some("f") => {
                let corners: Vec<[f32; 3]> = w
                    .map(|c| {
                        let i: i64 = c.split('/').next().unwrap().parse().unwrap();
                        let i = if i < 0 { v.len() as i64 + i } else { i - 1 };
                        v[i as usize]
                    })
                    .collect();
                if corners.len() >= 3 {
                    triangles += corners.len() - 2;
                    if first_face.is_empty() {
                        first_face = corners;
                    }
                }
            }
            _ => {}
        }
    }
    (triangles, v, first_face)
}

#[test]
fn every_real_obj_matches_a_plain_scan() {
    let all = files(&data().join("cura"), "obj");
    assert!(all.len() >= 20, "only {} OBJ files", all.len());
    let out = tempfile::tempdir().unwrap();
    for path in all {
        let (mesh, _) = import(&path, out.path()).unwrap_or_else(|e| panic!("{e}"));
        let (count, all, first) = scan_obj(&std::fs::read_to_string(&path).unwrap());
        let ours = positions(&mesh);
        let tris = triangles(&mesh);
        assert_eq!(tris.len(), count, "{}", path.display());
        // Every `v`, in file order (OBJ indices are global to the file),
        // then any copies for texture seams, which add no new position.
        assert_eq!(ours[..all.len()], all[..], "{}", path.display());
        assert_eq!(header_bounds(&mesh), bounds(&all), "{}", path.display());
        let ours_first: Vec<[f32; 3]> = tris[0].iter().map(|&i| ours[i as usize]).collect();
        assert_eq!(ours_first[..], first[..3], "{}", path.display());
    }
}
