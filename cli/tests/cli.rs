//! Guards the `recstore` tool as a person meets it: every command run as
//! the real binary, every documented error path with its exit code and a
//! one-line message on stderr, the CSV round trip of the bundled sample
//! byte for byte, JSON output parsed back, and the numpy line of `info`
//! run by real numpy.

use std::path::{Path, PathBuf};
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_recstore");

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(args: &[&dyn AsRef<std::ffi::OsStr>]) -> Out {
    let mut command = Command::new(BIN);
    command.args(args.iter().map(|a| a.as_ref()));
    output(command)
}

fn output(mut command: Command) -> Out {
    let o = command.output().unwrap();
    Out {
        code: o.status.code().expect("exited, not killed"),
        stdout: String::from_utf8(o.stdout).unwrap(),
        stderr: String::from_utf8(o.stderr).unwrap(),
    }
}

/// Runs a command that must succeed, returning its stdout.
fn ok(args: &[&dyn AsRef<std::ffi::OsStr>]) -> String {
    ran_ok(args).stdout
}

/// Runs a command that must succeed and print nothing on stdout, returning
/// its status lines (stderr).
fn status(args: &[&dyn AsRef<std::ffi::OsStr>]) -> String {
    let o = ran_ok(args);
    assert!(o.stdout.is_empty(), "status goes to stderr: {}", o.stdout);
    o.stderr
}

fn ran_ok(args: &[&dyn AsRef<std::ffi::OsStr>]) -> Out {
    let o = run(args);
    assert_eq!(o.code, 0, "stderr: {}", o.stderr);
    assert!(
        !o.stderr.contains("error") && !o.stderr.contains("warning"),
        "no error or warning when it works: {}",
        o.stderr
    );
    o
}

/// Runs a command that must fail with `code`, with one line on stderr
/// containing every word of `words`.
fn fails(code: i32, args: &[&dyn AsRef<std::ffi::OsStr>], words: &[&str]) -> String {
    let o = run(args);
    assert_eq!(o.code, code, "stdout: {}\nstderr: {}", o.stdout, o.stderr);
    assert_eq!(
        o.stderr.lines().count(),
        1,
        "one line on stderr: {}",
        o.stderr
    );
    assert!(o.stderr.starts_with("error: "), "{}", o.stderr);
    for w in words {
        assert!(o.stderr.contains(w), "{w:?} missing from: {}", o.stderr);
    }
    o.stderr
}

fn schema() -> PathBuf {
    root().join("schemas/colored_vertex.toml")
}

fn sample() -> PathBuf {
    root().join("samples/colored_vertex.csv")
}

/// A store filled with the bundled sample.
fn filled(dir: &Path) -> PathBuf {
    let store = dir.join("s.recs");
    ok(&[&"create", &store, &"--schema", &schema()]);
    ok(&[&"import", &store, &sample()]);
    store
}

fn count(store: &Path) -> u64 {
    let info: serde_json::Value = serde_json::from_str(&ok(&[&"info", &store, &"--json"])).unwrap();
    info["count"].as_u64().unwrap()
}

#[test]
fn create_import_info_verify() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s.recs");
    let out = status(&[
        &"create",
        &store,
        &"--schema",
        &schema(),
        &"--capacity",
        &"5000",
    ]);
    assert!(out.contains("ColoredVertex"), "{out}");
    let out = status(&[&"import", &store, &sample()]);
    assert!(out.contains("imported 1000 records"), "{out}");
    let info = ok(&[&"info", &store]);
    for needle in [
        "records:        1000 (capacity 5000)",
        "position",
        "[f32; 3]",
        "np.memmap(",
        "offset=12288",
    ] {
        assert!(
            info.contains(needle) || info.contains(&needle.replace("[f32; 3]", "f32")),
            "{needle}: {info}"
        );
    }
    let json: serde_json::Value = serde_json::from_str(&ok(&[&"info", &store, &"--json"])).unwrap();
    assert_eq!(json["count"], 1000);
    assert_eq!(json["stride"], 20);
    assert_eq!(json["fields"][1]["name"], "color");
    assert_eq!(json["fields"][2]["padding"], true);
    assert!(ok(&[&"verify", &store]).starts_with("ok: 1000 records"));
    // Creating over an existing store is refused and changes nothing.
    fails(
        1,
        &[&"create", &store, &"--schema", &schema()],
        &["already exists"],
    );
    assert_eq!(count(&store), 1000);
}

#[test]
fn csv_round_trip_is_byte_identical() {
    let dir = tempfile::tempdir().unwrap();
    let store = filled(dir.path());
    let out = dir.path().join("out.csv");
    ok(&[&"export", &store, &out]);
    assert_eq!(
        std::fs::read(&out).unwrap(),
        std::fs::read(sample()).unwrap()
    );
    // A range, too.
    ok(&[&"export", &store, &out, &"--range", &"10..12", &"--force"]);
    let text = std::fs::read_to_string(&out).unwrap();
    let sample_text = std::fs::read_to_string(sample()).unwrap();
    let lines: Vec<&str> = sample_text.lines().collect();
    assert_eq!(
        text,
        format!("{}\n{}\n{}\n", lines[0], lines[11], lines[12])
    );
}

#[test]
fn json_lines_round_trip_and_json_output_parse_back() {
    let dir = tempfile::tempdir().unwrap();
    let store = filled(dir.path());
    let jsonl = dir.path().join("out.jsonl");
    ok(&[&"export", &store, &jsonl]);
    let second = dir.path().join("second.recs");
    ok(&[&"create", &second, &"--schema", &schema()]);
    ok(&[&"import", &second, &jsonl]);
    let a = ok(&[&"dump", &store, &"--format", &"csv"]);
    let b = ok(&[&"dump", &second, &"--format", &"csv"]);
    assert_eq!(a, b);
    assert_eq!(a, std::fs::read_to_string(sample()).unwrap());
    let json: serde_json::Value = serde_json::from_str(&ok(&[
        &"dump",
        &store,
        &"--range",
        &"1..3",
        &"--format",
        &"json",
    ]))
    .unwrap();
    assert_eq!(
        json,
        serde_json::json!([
            {"position": [-0.75, -1, -1], "color": [7281, 0, 0]},
            {"position": [-0.5, -1, -1], "color": [14563, 0, 0]},
        ])
    );
    let line = ok(&[
        &"dump",
        &store,
        &"--range",
        &"2..3",
        &"--fields",
        &"color",
        &"--format",
        &"jsonl",
    ]);
    assert_eq!(line, "{\"color\":[14563,0,0]}\n");
}

#[test]
fn dump_table_and_inspect() {
    let dir = tempfile::tempdir().unwrap();
    let store = filled(dir.path());
    let table = ok(&[&"dump", &store, &"--range", &"0..2"]);
    assert!(
        table.contains("[-0.75, -1, -1]") && table.contains("(2 of 1000 records)"),
        "{table}"
    );
    let inspect = ok(&[&"inspect", &store, &"--range", &"1..2"]);
    for needle in [
        "superblock.magic",
        "89 52 53 54",
        "slot0.count",
        "slot1.checked_from",
        "slot1.table_crc",
        "= 1000",
        "record 1 @ 0x3014", // data_offset 12288 (format 1.2) + 20
        "position",
        "= [-0.75, -1, -1]",
        "padding[2]",
    ] {
        assert!(inspect.contains(needle), "{needle} missing:\n{inspect}");
    }
}

#[test]
fn numpy_reads_the_records_with_the_line_info_prints() {
    let dir = tempfile::tempdir().unwrap();
    let store = filled(dir.path());
    let json: serde_json::Value = serde_json::from_str(&ok(&[&"info", &store, &"--json"])).unwrap();
    let memmap = json["numpy_memmap"].as_str().unwrap();
    let script = format!("import numpy as np\na = {memmap}\nprint(a['position'][1].tolist(), a['color'][999].tolist(), len(a))");
    let o = Command::new("python3")
        .args(["-c", &script])
        .output()
        .expect("python3 with numpy (scripts/setup-python.sh)");
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        stdout.trim(),
        "[-0.75, -1.0, -1.0] [65535, 65535, 65535] 1000"
    );
}

#[test]
fn bad_input_appends_nothing_and_names_line_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let store = filled(dir.path());
    let head = "position[0],position[1],position[2],color[0],color[1],color[2]\n";
    let cases: [(&str, &str, &[&str]); 8] = [
        (
            "bad.csv",
            "1,2,3,4,5,6\n7,8,9,70000,1,1\n",
            &["line 3", "color[0]", "out of range for u16"],
        ),
        (
            "bad.csv",
            "1,2,x,4,5,6\n",
            &["line 2", "position[2]", "not a number"],
        ),
        (
            "bad.csv",
            "1,2,3,4,5\n",
            &["line 2", "has 5 fields, the header has 6"],
        ),
        (
            "bad.csv",
            "1,2,3,4.5,5,6\n",
            &["line 2", "color[0]", "not an integer"],
        ),
        (
            "bad.jsonl",
            "{\"position\":[1,2,3],\"color\":[1,2,3]}\n{\"position\":[1,2],\"color\":[1,2,3]}\n",
            &[
                "line 2",
                "position",
                "wrong array length: expected 3, got 2",
            ],
        ),
        (
            "bad.jsonl",
            "{\"position\":[1,2,3]}\n",
            &["line 1", "color", "missing field"],
        ),
        (
            "bad.jsonl",
            "{\"position\":[1,2,3],\"color\":[1,2,-1]}\n",
            &["line 1", "color[2]", "out of range"],
        ),
        ("bad.jsonl", "not json\n", &["line 1", "not JSON"]),
    ];
    for (name, body, words) in cases {
        let path = dir.path().join(name);
        let body = if name.ends_with(".csv") {
            format!("{head}{body}")
        } else {
            body.to_string()
        };
        std::fs::write(&path, body).unwrap();
        let err = fails(6, &[&"import", &store, &path], words);
        assert!(err.contains("nothing was imported"), "{err}");
        assert_eq!(count(&store), 1000, "a failed import appended nothing");
    }
    // Malformed CSV: not UTF-8.
    let path = dir.path().join("binary.csv");
    std::fs::write(
        &path,
        [
            head.as_bytes(),
            b"1,2,3,4,5,6\n".as_slice(),
            b"1,2,3,\xff\xfe,5,6\n",
        ]
        .concat(),
    )
    .unwrap();
    fails(6, &[&"import", &store, &path], &["line 3", "UTF-8"]);
    // Header problems: missing and unknown columns.
    let path = dir.path().join("cols.csv");
    std::fs::write(
        &path,
        "position[0],position[1],position[2],color[0],color[1]\n1,2,3,4,5\n",
    )
    .unwrap();
    fails(
        6,
        &[&"import", &store, &path],
        &["line 1", "color[2]", "missing column"],
    );
    std::fs::write(
        &path,
        "position[0],position[1],position[2],color[0],color[1],color[2],alpha\n",
    )
    .unwrap();
    fails(
        6,
        &[&"import", &store, &path],
        &["line 1", "alpha", "unknown column"],
    );
    assert!(ok(&[&"verify", &store]).starts_with("ok"));
}

#[test]
fn usage_errors_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let store = filled(dir.path());
    assert_eq!(run(&[&"dump"]).code, 2, "missing argument");
    assert_eq!(run(&[&"frobnicate"]).code, 2);
    fails(
        2,
        &[&"dump", &store, &"--fields", &"colour"],
        &["no field \"colour\"", "position, color"],
    );
    fails(
        2,
        &[&"dump", &store, &"--range", &"2000..3000"],
        &["past the end"],
    );
    fails(
        2,
        &[&"export", &store, &dir.path().join("out.txt")],
        &[".csv or .jsonl"],
    );
    assert_eq!(run(&[&"dump", &store, &"--range", &"ten"]).code, 2);
}

#[test]
fn schema_file_errors_name_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        "name = \"X\"\nfields = [\n  { name = \"a\", type = \"float\" },\n]\n",
    )
    .unwrap();
    let store = dir.path().join("x.recs");
    fails(
        6,
        &[&"create", &store, &"--schema", &bad],
        &["bad.toml:3:", "unknown type \"float\""],
    );
    assert!(!store.exists());
}

#[test]
fn missing_corrupt_and_foreign_files() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.recs");
    for cmd in ["info", "verify", "inspect", "dump"] {
        fails(3, &[&cmd, &missing], &["missing.recs", "No such file"]);
    }
    fails(
        3,
        &[&"import", &filled(dir.path()), &dir.path().join("nope.csv")],
        &["nope.csv"],
    );
    let text = dir.path().join("notes.recs");
    std::fs::write(&text, "hello").unwrap();
    fails(4, &[&"info", &text], &["not a recstore file"]);
    // A flipped data byte: verify names the record range and exits 4.
    let store = dir.path().join("s.recs");
    let mut data = std::fs::read(dir.path().join("s.recs")).unwrap();
    data[12288 + 500 * 20 + 3] ^= 0x40; // data_offset: format 1.2
    std::fs::write(&store, data).unwrap();
    fails(4, &[&"verify", &store], &["records 0..1000", "checksum"]);
}

#[test]
fn read_commands_work_on_a_locked_store_and_writes_get_exit_5() {
    let dir = tempfile::tempdir().unwrap();
    let store = filled(dir.path());
    let mut holder = Command::new(BIN)
        .arg("import")
        .arg(&store)
        .arg("/dev/stdin")
        .arg("--format")
        .arg("csv")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The holder has the store open for writing while it waits for its input.
    wait_for_writer_lock(&store, &mut holder);
    fails(
        5,
        &[&"import", &store, &sample()],
        &["locked by another writer"],
    );
    assert!(ok(&[&"verify", &store]).starts_with("ok"));
    assert_eq!(count(&store), 1000);
    ok(&[&"dump", &store, &"--range", &"0..1"]);
    ok(&[&"export", &store, &dir.path().join("while-locked.csv")]);
    use std::io::Write;
    let mut stdin = holder.stdin.take().unwrap();
    stdin
        .write_all(std::fs::read(sample()).unwrap().as_slice())
        .unwrap();
    drop(stdin);
    assert!(holder.wait().unwrap().success());
    assert_eq!(count(&store), 2000);
}

/// Waits until `holder` holds the writer's lock (a `flock`) on `store`, as
/// `/proc/locks` shows: a condition, not a delay. Probing with a lock of
/// our own could make the holder's lock fail. (The deadline only turns a
/// holder that never locks into a failure instead of a hang.)
fn wait_for_writer_lock(store: &Path, holder: &mut std::process::Child) {
    use std::os::unix::fs::MetadataExt;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let inode = format!(":{}", std::fs::metadata(store).unwrap().ino());
    let pid = holder.id().to_string();
    loop {
        let locks = std::fs::read_to_string("/proc/locks").unwrap();
        let held = locks.lines().any(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            f.len() > 5
                && f[1] == "FLOCK"
                && f[3] == "WRITE"
                && f[4] == pid
                && f[5].ends_with(&inode)
        });
        if held {
            return;
        }
        if let Some(status) = holder.try_wait().unwrap() {
            panic!("the lock holder exited ({status}) before it locked the store");
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the holder has not locked the store in 30 s"
        );
        std::thread::yield_now();
    }
}

/// Runs the tool as user `nobody`, since root ignores file permissions
/// (`setpriv` is part of util-linux; its absence fails the test rather than
/// skip it), from a copy of the binary in `dir`, which `nobody` can reach
/// wherever the checkout is.
fn run_as_nobody(dir: &Path, args: &[&dyn AsRef<std::ffi::OsStr>]) -> Out {
    use std::os::unix::fs::PermissionsExt;
    let exe = dir.join("recstore-as-nobody");
    if !exe.exists() {
        std::fs::copy(BIN, &exe).unwrap();
        std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let mut command = Command::new("setpriv");
    command
        .args(["--reuid=nobody", "--regid=nogroup", "--clear-groups"])
        .arg(&exe)
        .args(args.iter().map(|a| a.as_ref()));
    output(command)
}

#[test]
fn read_commands_work_on_a_read_only_file() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let store = filled(dir.path());
    std::fs::set_permissions(&store, std::fs::Permissions::from_mode(0o444)).unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    for cmd in ["info", "verify", "inspect", "dump"] {
        let o = run_as_nobody(dir.path(), &[&cmd, &store]);
        assert_eq!(o.code, 0, "{cmd} as nobody: {}", o.stderr);
    }
    // The file is read-only to this user: a write is refused (exit 3).
    let o = run_as_nobody(dir.path(), &[&"import", &store, &sample_copy(dir.path())]);
    assert_eq!(o.code, 3, "import as nobody: {}", o.stderr);
    assert!(o.stderr.contains("Permission denied"), "{}", o.stderr);
    assert_eq!(count(&store), 1000);
}

/// The sample where `nobody` can read it.
fn sample_copy(dir: &Path) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let copy = dir.join("sample.csv");
    std::fs::copy(sample(), &copy).unwrap();
    std::fs::set_permissions(&copy, std::fs::Permissions::from_mode(0o644)).unwrap();
    copy
}

#[test]
fn every_command_has_help_with_an_example() {
    for cmd in [
        "create", "info", "dump", "inspect", "import", "export", "verify",
    ] {
        let out = ok(&[&cmd, &"--help"]);
        assert!(out.contains("Example"), "{cmd}: {out}");
    }
    assert!(ok(&[&"--help"]).contains("Exit codes"));
}

#[test]
fn demo_runs_the_main_job() {
    let dir = tempfile::tempdir().unwrap();
    let out = ok(&[&"demo", &dir.path()]);
    for needle in [
        "$ recstore create",
        "imported 1000 records",
        "np.memmap(",
        "ok: 1000 records",
        "(8 of 1000 records)",
    ] {
        assert!(out.contains(needle), "{needle} missing:\n{out}");
    }
}

#[test]
fn mesh_import_info_verify_and_errors() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("quad.obj");
    std::fs::write(
        &src,
        "v 0 0 0\nv 2 0 0\nv 2 1 0\nv 0 1 3\nvn 0 0 1\nf 1//1 2//1 3//1 4//1\n",
    )
    .unwrap();
    let mesh = dir.path().join("quad.mesh");
    let out = status(&[&"mesh", &"import", &src, &mesh]);
    assert!(
        out.contains("4 vertices, 2 triangles from 1 polygons"),
        "{out}"
    );
    let out = ok(&[&"mesh", &"info", &mesh]);
    assert!(
        out.contains("4 (VertexNormalUv)") && out.contains("max [2.0, 1.0, 3.0]"),
        "{out}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&ok(&[&"mesh", &"info", &mesh, &"--json"])).unwrap();
    assert_eq!(json["triangles"], 2);
    assert_eq!(json["attributes"], serde_json::json!(["normal"]));
    let out = ok(&[&"mesh", &"verify", &mesh]);
    assert!(
        out.contains("ok, 4 vertices and 2 triangles checked"),
        "{out}"
    );
    // The parts are ordinary stores.
    let out = ok(&[&"info", &mesh.join("vertices.recs")]);
    assert!(out.contains("VertexNormalUv"), "{out}");
    fails(1, &[&"mesh", &"import", &src, &mesh], &["already exists"]);
    let bad = dir.path().join("bad.obj");
    std::fs::write(&bad, "v 0 0 0\nf 1 2 3\n").unwrap();
    fails(
        6,
        &[&"mesh", &"import", &bad, &dir.path().join("bad.mesh")],
        &["line 2", "out of range"],
    );
    assert!(!dir.path().join("bad.mesh").exists());
}
