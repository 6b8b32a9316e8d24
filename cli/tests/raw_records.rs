//! Guards raw record files in and out (issue 16, item 3): `import --format
//! raw` / `.bin` / `.raw` appends a headerless file of records at the
//! schema's stride, laid out as the schema says (the seed notes' `colors.bin`
//! of 20-byte vertices: three f32, three u16, two padding bytes), all or
//! nothing, refusing trailing bytes with exit code 6; `export` writes
//! exactly the records' bytes (padding as stored, `--range` honoured,
//! `--fields` refused); `-` is stdin and stdout; store -> raw -> store is
//! byte-identical.

mod common;

use common::*;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

/// The vertex of record `i`, as known values.
fn vertex(i: u32) -> ([f32; 3], [u16; 3], [u8; 2]) {
    (
        [i as f32 * 0.5, -(i as f32) / 3.0, 1.0e-3 * i as f32 + 7.25],
        [i as u16, 65535 - i as u16, 0x1234],
        [0xab, i as u8],
    )
}

/// `n` vertices as a C program writes `struct { float position[3];
/// uint16_t color[3]; uint8_t pad[2]; }` on a little-endian machine:
/// 20 bytes each, no header, padding bytes not zero.
fn colors_bin(n: u32) -> Vec<u8> {
    let mut out = Vec::with_capacity(n as usize * 20);
    for i in 0..n {
        let (p, c, pad) = vertex(i);
        for x in p {
            out.extend_from_slice(&x.to_le_bytes());
        }
        for x in c {
            out.extend_from_slice(&x.to_le_bytes());
        }
        out.extend_from_slice(&pad);
    }
    out
}

/// The data bytes of a store (its committed records).
fn data(store: &Path) -> Vec<u8> {
    recstore::RawStore::open_read_only(store)
        .unwrap()
        .data()
        .to_vec()
}

fn count(store: &Path) -> u64 {
    recstore::RawStore::open_read_only(store).unwrap().len() as u64
}

fn create(dir: &Path, name: &str) -> std::path::PathBuf {
    let store = dir.join(name);
    ok(&[&"create", &store, &"--schema", &schema()]);
    store
}

/// Runs the tool with `stdin` as its input; returns (exit code, stdout, stderr).
fn piped(args: &Args, stdin: &[u8]) -> (i32, Vec<u8>, String) {
    let mut child = Command::new(BIN)
        .args(args.iter().map(|a| a.as_ref()))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    let bytes = stdin.to_vec();
    // Written from a thread: the tool may stop reading (an early error).
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(&bytes);
    });
    let o = child.wait_with_output().unwrap();
    writer.join().unwrap();
    (
        o.status.code().expect("exited, not killed"),
        o.stdout,
        String::from_utf8(o.stderr).unwrap(),
    )
}

#[test]
fn the_bundled_schema_has_the_notes_layout() {
    let s = recstore::schema_file::load(schema()).unwrap();
    assert_eq!((s.size(), s.stride()), (20, 20));
    let f: Vec<_> = s
        .fields()
        .iter()
        .map(|f| (f.primitive().name(), f.count(), f.offset(), f.is_padding()))
        .collect();
    assert_eq!(f[0], ("f32", 3, 0, false));
    assert_eq!(f[1], ("u16", 3, 12, false));
    assert_eq!((f[2].1, f[2].2, f[2].3), (2, 18, true));
    assert_eq!(f.len(), 3);
}

#[test]
fn the_notes_colors_bin_imports_and_reads_back() {
    let dir = tempfile::tempdir().unwrap();
    let n = 1000;
    let bin = dir.path().join("colors.bin");
    std::fs::write(&bin, colors_bin(n)).unwrap();
    let store = create(dir.path(), "mesh.recs");
    let o = ok(&[&"import", &store, &bin]);
    assert!(o.stderr.contains("imported 1000 records"), "{}", o.stderr);
    // Every value, through the CSV export, to the bit.
    let csv = ok(&[&"export", &store, &"-", &"--format", &"csv"]).stdout;
    let mut lines = csv.lines();
    assert_eq!(
        lines.next().unwrap(),
        "position[0],position[1],position[2],color[0],color[1],color[2]"
    );
    let mut rows = 0;
    for (i, line) in lines.enumerate() {
        let cells: Vec<&str> = line.split(',').collect();
        let (p, c, _) = vertex(i as u32);
        for k in 0..3 {
            let got: f32 = cells[k].parse().unwrap();
            assert_eq!(got.to_bits(), p[k].to_bits(), "record {i}: {line}");
            assert_eq!(cells[3 + k].parse::<u16>().unwrap(), c[k], "record {i}");
        }
        rows += 1;
    }
    assert_eq!(rows, n);
    // The padding bytes are stored as given: the data is the file.
    assert_eq!(data(&store), colors_bin(n));
}

#[test]
fn fields_are_read_in_the_schemas_byte_order() {
    let dir = tempfile::tempdir().unwrap();
    let toml = dir.path().join("be.toml");
    std::fs::write(
        &toml,
        "name = \"Tagged\"\nfields = [\n\
         { name = \"id\", type = \"u32\", endian = \"big\" },\n\
         { name = \"v\", type = \"i16\" },\n\
         { name = \"_pad\", padding = 2 },\n]\n",
    )
    .unwrap();
    let store = dir.path().join("be.recs");
    ok(&[&"create", &store, &"--schema", &toml]);
    let mut bytes = Vec::new();
    for (id, v) in [(0x0102_0304u32, -2i16), (7, 300)] {
        bytes.extend_from_slice(&id.to_be_bytes());
        bytes.extend_from_slice(&v.to_le_bytes());
        bytes.extend_from_slice(&[0, 0]);
    }
    let raw = dir.path().join("tagged.raw");
    std::fs::write(&raw, &bytes).unwrap();
    ok(&[&"import", &store, &raw]);
    let jsonl = ok(&[&"dump", &store, &"--format", &"jsonl"]).stdout;
    assert_eq!(jsonl, "{\"id\":16909060,\"v\":-2}\n{\"id\":7,\"v\":300}\n");
    let out = dir.path().join("out.raw");
    ok(&[&"export", &store, &out]);
    assert_eq!(std::fs::read(&out).unwrap(), bytes);
}

#[test]
fn store_to_raw_to_store_is_byte_identical() {
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("colors.bin");
    std::fs::write(&bin, colors_bin(5000)).unwrap();
    // A store of text-imported records, then the raw ones after them.
    let first = filled(dir.path());
    ok(&[&"import", &first, &bin]);
    let out = dir.path().join("all.BIN");
    ok(&[&"export", &first, &out]);
    let second = create(dir.path(), "second.recs");
    // `--format raw` wins over the extension.
    let renamed = dir.path().join("all.csv");
    std::fs::rename(&out, &renamed).unwrap();
    ok(&[&"import", &second, &renamed, &"--format", &"raw"]);
    let (a, b) = (data(&first), data(&second));
    assert_eq!(a.len(), 6000 * 20);
    assert!(a == b, "the stores' data bytes differ");
    assert_eq!(std::fs::read(&renamed).unwrap(), a);
    ok(&[&"verify", &second]);
}

#[test]
fn trailing_bytes_are_refused_and_nothing_is_appended() {
    let dir = tempfile::tempdir().unwrap();
    let store = filled(dir.path());
    let before = data(&store);
    let mut bytes = colors_bin(50);
    bytes.extend_from_slice(&[1, 2, 3, 4, 5, 6, 7]);
    let bin = dir.path().join("short.bin");
    std::fs::write(&bin, &bytes).unwrap();
    let line = fails(
        6,
        &[&"import", &store, &bin],
        &[
            "nothing was imported",
            "1007 bytes",
            "20-byte",
            "7 trailing bytes at offset 1000",
        ],
    );
    assert!(line.contains("short.bin"), "{line}");
    assert_eq!(data(&store), before);

    // Through stdin the length is known only at the end, after more than
    // one buffer of records was appended: they are taken back.
    let mut big = colors_bin(120_000);
    big.push(9);
    let (code, _, stderr) = piped(&[&"import", &store, &"-", &"--format", &"raw"], &big);
    assert_eq!(code, 6, "{stderr}");
    assert!(
        stderr.contains("1 trailing byte at offset 2400000"),
        "{stderr}"
    );
    assert!(stderr.contains("<stdin>"), "{stderr}");
    assert_eq!(count(&store), 1000);
    assert_eq!(data(&store), before);
    ok(&[&"verify", &store]);
    // The store takes a good import afterwards.
    std::fs::write(&bin, colors_bin(10)).unwrap();
    ok(&[&"import", &store, &bin]);
    assert_eq!(count(&store), 1010);
    assert_eq!(data(&store)[..before.len()], before[..]);
    ok(&[&"verify", &store]);
}

#[test]
fn raw_goes_through_stdin_and_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let store = create(dir.path(), "s.recs");
    let bytes = colors_bin(70_000); // more than one 1 MiB buffer
    let (code, stdout, stderr) = piped(&[&"import", &store, &"-", &"--format", &"raw"], &bytes);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.is_empty());
    assert!(stderr.contains("imported 70000 records"), "{stderr}");
    let (code, stdout, stderr) = piped(&[&"export", &store, &"-", &"--format", &"raw"], &[]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout == bytes, "stdout is not the records' bytes");
    // Without --format, `-` has no extension to go by.
    fails(2, &[&"export", &store, &"-"], &["--format", "raw"]);
}

#[test]
fn export_honours_range_and_refuses_fields() {
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("colors.bin");
    let bytes = colors_bin(100);
    std::fs::write(&bin, &bytes).unwrap();
    let store = create(dir.path(), "s.recs");
    ok(&[&"import", &store, &bin]);
    for (range, want) in [
        ("10..20", &bytes[200..400]),
        ("95..", &bytes[1900..]),
        ("..3", &bytes[..60]),
        ("7..7", &bytes[..0]),
        ("90..1000", &bytes[1800..]),
    ] {
        let out = dir.path().join(format!("r{range}.raw"));
        ok(&[&"export", &store, &out, &"--range", &range]);
        assert!(std::fs::read(&out).unwrap() == want, "--range {range}");
    }
    fails(
        2,
        &[
            &"export",
            &store,
            &dir.path().join("p.bin"),
            &"--range",
            &"101..",
        ],
        &["range"],
    );
    let line = fails(
        2,
        &[
            &"export",
            &store,
            &dir.path().join("f.bin"),
            &"--fields",
            &"color",
        ],
        &["--fields", "whole records"],
    );
    assert!(!dir.path().join("f.bin").exists(), "{line}");
    fails(
        2,
        &[
            &"export",
            &store,
            &dir.path().join("f.csv"),
            &"--format",
            &"raw",
            &"--fields",
            &"color",
        ],
        &["--fields"],
    );
    // An existing output is replaced only with --force.
    fails(
        1,
        &[&"export", &store, &bin],
        &["already exists", "--force"],
    );
    assert!(std::fs::read(&bin).unwrap() == bytes);
    ok(&[&"export", &store, &bin, &"--force", &"--range", &"0..1"]);
    assert!(std::fs::read(&bin).unwrap() == bytes[..20]);
}

/// `import s.recs s.recs --format raw` read the store's own header and
/// records as records and appended them (4608 records of nonsense for an
/// empty store of 16-byte records), and could chase its own growth.
#[test]
fn a_store_is_not_imported_into_itself() {
    let dir = tempfile::tempdir().unwrap();
    let toml = dir.path().join("q.toml");
    // 16 bytes divides a store's length (whole pages).
    std::fs::write(
        &toml,
        "name = \"Q\"\nfields = [ { name = \"a\", type = \"u64\", count = 2 } ]\n",
    )
    .unwrap();
    let store = dir.path().join("q.recs");
    ok(&[&"create", &store, &"--schema", &toml]);
    fails(
        2,
        &[&"import", &store, &store, &"--format", &"raw"],
        &["is the store itself"],
    );
    let o = Command::new(BIN)
        .args(["import".as_ref(), store.as_os_str(), "-".as_ref()])
        .args(["--format", "raw"])
        .stdin(std::fs::File::open(&store).unwrap())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{o:?}");
    assert!(String::from_utf8_lossy(&o.stderr).contains("stdin is the store itself"));
    assert_eq!(count(&store), 0);
}
