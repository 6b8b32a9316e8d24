//! Guards `recstore mesh` as a person meets it (issue 17, items 9, 14 and
//! 18): exit codes from the documented table (a missing directory is an
//! I/O error, 3; a store of another record type is invalid input, 6), one
//! line on stderr that names the OS error once and speaks in CLI terms, and
//! what an import does not store or warns about said on stderr, never mixed
//! into stdout.

use std::path::Path;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_recstore");

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(args: &[&dyn AsRef<std::ffi::OsStr>]) -> Out {
    let o = Command::new(BIN)
        .args(args.iter().map(|a| a.as_ref()))
        .output()
        .unwrap();
    Out {
        code: o.status.code().expect("exited, not killed"),
        stdout: String::from_utf8(o.stdout).unwrap(),
        stderr: String::from_utf8(o.stderr).unwrap(),
    }
}

/// Runs a command that must fail with `code` and one `error: ` line on
/// stderr holding every one of `words`; returns that line.
fn fails(code: i32, args: &[&dyn AsRef<std::ffi::OsStr>], words: &[&str]) -> String {
    let o = run(args);
    assert_eq!(o.code, code, "stdout: {}\nstderr: {}", o.stdout, o.stderr);
    assert_eq!(o.stderr.lines().count(), 1, "one line: {}", o.stderr);
    assert!(o.stderr.starts_with("error: "), "{}", o.stderr);
    for w in words {
        assert!(o.stderr.contains(w), "{w:?} missing from: {}", o.stderr);
    }
    assert!(o.stdout.is_empty(), "stdout on error: {}", o.stdout);
    o.stderr
}

const OS_NOT_FOUND: &str = "No such file or directory";

fn once(line: &str, what: &str) {
    assert_eq!(
        line.matches(what).count(),
        1,
        "{what:?} not once in: {line}"
    );
}

fn triangle_obj(dir: &Path) -> std::path::PathBuf {
    let src = dir.join("t.obj");
    std::fs::write(&src, "v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n").unwrap();
    src
}

#[test]
fn a_missing_mesh_or_source_is_an_io_error_with_the_os_text_once() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nothing.mesh");
    for command in ["info", "verify"] {
        let line = fails(3, &[&"mesh", &command, &missing], &["nothing.mesh"]);
        once(&line, OS_NOT_FOUND);
    }
    let line = fails(
        3,
        &[
            &"mesh",
            &"import",
            &dir.path().join("gone.obj"),
            &dir.path().join("out.mesh"),
        ],
        &["gone.obj"],
    );
    once(&line, OS_NOT_FOUND);
    once(&line, "gone.obj");
    let src = triangle_obj(dir.path());
    let line = fails(
        3,
        &[
            &"mesh",
            &"import",
            &src,
            &dir.path().join("no/such/out.mesh"),
        ],
        &["no/such"],
    );
    once(&line, OS_NOT_FOUND);
    assert!(!line.contains(".importing."), "a temporary name: {line}");
}

#[test]
fn a_store_of_another_record_type_is_invalid_input_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let fake = dir.path().join("fake.mesh");
    std::fs::create_dir(&fake).unwrap();
    let schema = Path::new(env!("CARGO_MANIFEST_DIR")).join("../schemas/colored_vertex.toml");
    let created = run(&[&"create", &fake.join("mesh.recs"), &"--schema", &schema]);
    assert_eq!(created.code, 0, "{}", created.stderr);
    for command in ["info", "verify"] {
        let line = fails(
            6,
            &[&"mesh", &command, &fake],
            &[
                "fake.mesh",
                "ColoredVertex",
                "MeshHeader",
                "import the mesh again",
            ],
        );
        assert!(!line.contains("Rust"), "not in CLI terms: {line}");
    }
    // A real mesh whose vertex store was swapped for a store of triangles.
    let src = triangle_obj(dir.path());
    let mesh = dir.path().join("t.mesh");
    assert_eq!(run(&[&"mesh", &"import", &src, &mesh]).code, 0);
    std::fs::copy(mesh.join("triangles.recs"), mesh.join("vertices.recs")).unwrap();
    let line = fails(
        6,
        &[&"mesh", &"verify", &mesh],
        &["vertices.recs", "Triangle", "ColoredVertex"],
    );
    assert!(!line.contains("Rust"), "not in CLI terms: {line}");
}

#[test]
fn import_says_what_it_ignores_and_warns_about_on_stderr() {
    let dir = tempfile::tempdir().unwrap();
    // A line element, not stored.
    let src = dir.path().join("l.obj");
    std::fs::write(&src, "v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\nl 1 2\n").unwrap();
    let o = run(&[&"mesh", &"import", &src, &dir.path().join("l.mesh")]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(o.stdout.is_empty(), "{}", o.stdout);
    assert!(o.stderr.contains("imported"), "{}", o.stderr);
    assert!(
        o.stderr.contains("not stored: 1 points and lines"),
        "{}",
        o.stderr
    );
    // --quiet silences all of it.
    let o = run(&[
        &"--quiet",
        &"mesh",
        &"import",
        &src,
        &dir.path().join("q.mesh"),
    ]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(
        o.stdout.is_empty() && o.stderr.is_empty(),
        "{}{}",
        o.stdout,
        o.stderr
    );
    // An open STL surface: a warning.
    let stl = dir.path().join("open.stl");
    std::fs::write(
        &stl,
        "solid s\nfacet normal 0 0 1\nouter loop\nvertex 0 0 0\nvertex 1 0 0\nvertex 0 1 0\n\
         endloop\nendfacet\nendsolid s\n",
    )
    .unwrap();
    let o = run(&[&"mesh", &"import", &stl, &dir.path().join("open.mesh")]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(o.stdout.is_empty(), "{}", o.stdout);
    assert!(
        o.stderr.contains("warning: the surface is not closed"),
        "{}",
        o.stderr
    );
}

#[test]
fn import_with_a_layout_names_the_attributes_it_drops() {
    let dir = tempfile::tempdir().unwrap();
    let obj = dir.path().join("n.obj");
    std::fs::write(
        &obj,
        "v 0 0 0\nv 1 0 0\nv 0 1 0\nvt 0 0\nvn 0 0 1\nf 1/1/1 2/1/1 3/1/1\n",
    )
    .unwrap();
    let o = run(&[
        &"mesh",
        &"import",
        &obj,
        &dir.path().join("n.mesh"),
        &"--layout",
        &"colored",
    ]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(
        o.stderr.contains("not stored: normals, uvs"),
        "{}",
        o.stderr
    );
    let ply = dir.path().join("c.ply");
    std::fs::write(
        &ply,
        "ply\nformat ascii 1.0\nelement vertex 3\nproperty float x\nproperty float y\n\
         property float z\nproperty uchar red\nproperty uchar green\nproperty uchar blue\n\
         element face 1\nproperty list uchar int vertex_indices\nend_header\n\
         0 0 0 255 0 0\n1 0 0 0 255 0\n0 1 0 0 0 255\n3 0 1 2\n",
    )
    .unwrap();
    let o = run(&[
        &"mesh",
        &"import",
        &ply,
        &dir.path().join("c.mesh"),
        &"--layout",
        &"normal-uv",
    ]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(o.stderr.contains("not stored: colours"), "{}", o.stderr);
    // The layout that keeps everything drops nothing.
    let o = run(&[&"mesh", &"import", &ply, &dir.path().join("c2.mesh")]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(!o.stderr.contains("not stored"), "{}", o.stderr);
}

#[test]
fn verify_reports_a_rejected_commit_slot_on_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let src = triangle_obj(dir.path());
    let mesh = dir.path().join("t.mesh");
    assert_eq!(run(&[&"mesh", &"import", &src, &mesh]).code, 0);
    // Damage commit slot 0 of the vertex store (docs/FORMAT.md, format 1.2:
    // 128 bytes at data_offset - 8192, here 4096); open falls back to slot
    // 1, which import left holding the same commit.
    let vertices = mesh.join("vertices.recs");
    let mut bytes = std::fs::read(&vertices).unwrap();
    bytes[4096] ^= 0xff;
    std::fs::write(&vertices, bytes).unwrap();
    let o = run(&[&"mesh", &"verify", &mesh]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(o.stdout.contains("ok, 3 vertices"), "{}", o.stdout);
    assert!(!o.stdout.contains("warning"), "{}", o.stdout);
    assert_eq!(o.stderr.lines().count(), 1, "{}", o.stderr);
    assert!(
        o.stderr.starts_with("warning: ")
            && o.stderr.contains("vertices.recs")
            && o.stderr.contains("commit slot 0 was rejected"),
        "{}",
        o.stderr
    );
}
