//! Guards the columnar exports against the clients people use: DuckDB's
//! SQL over an exported Parquet file and over a directory of them, pyarrow
//! reading the Arrow IPC and Parquet files, numpy mapping the .npy file
//! (`tests/python/columnar_clients.py`). Their sums must equal recstore's,
//! and they read text fields as strings (without the NUL padding) and bool
//! fields as booleans, equal to recstore's values.
//! Needs python3 with duckdb, pyarrow and numpy (`scripts/setup-python.sh`
//! installs them); fails, never skips, without them.

#![cfg(feature = "columnar")]

use std::path::{Path, PathBuf};
use std::process::Command;

use recstore::{schema_file, RawStore, Schema, Value};
use serde_json::{json, Map, Value as J};

const BIN: &str = env!("CARGO_BIN_EXE_recstore");

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn recstore(args: &[&dyn AsRef<std::ffi::OsStr>]) {
    let o = Command::new(BIN)
        .args(args.iter().map(|a| a.as_ref()))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

/// A store of `rows` records whose floats are quarters of small integers,
/// so that every sum is exact whatever order a client adds in.
fn store(path: &Path, schema: &Schema, rows: u64, seed: u64) {
    let mut s = RawStore::create(path, schema).unwrap();
    let mut rec = vec![0u8; schema.stride() as usize];
    for i in 0..rows {
        for (k, f) in schema.fields().iter().enumerate() {
            if f.is_padding() {
                continue;
            }
            let size = f.primitive().size() as usize;
            for e in 0..f.count() {
                let n = ((i * 31 + seed * 7 + k as u64 * 13 + e * 5) % 251) as i64;
                let at = (f.offset() + e * size as u64) as usize;
                let slot = &mut rec[at..at + size];
                use recstore::Primitive as P;
                match f.primitive() {
                    P::F32 => slot.copy_from_slice(&((n - 100) as f32 / 4.0).to_le_bytes()),
                    P::F64 => slot.copy_from_slice(&((n - 100) as f64 / 4.0).to_le_bytes()),
                    _ => slot.copy_from_slice(&n.to_le_bytes()[..size]),
                }
            }
        }
        s.push(&rec).unwrap();
    }
    s.close().unwrap();
}

/// recstore's own sums of every element column, by CSV column name.
fn sums(stores: &[&Path]) -> (u64, Map<String, J>) {
    let mut out: Vec<(String, f64, i128, bool)> = Vec::new();
    let mut count = 0;
    for path in stores {
        let s = RawStore::open_read_only(path).unwrap();
        count += s.len() as u64;
        let data: Vec<_> = s
            .schema()
            .fields()
            .iter()
            .filter(|f| !f.is_padding())
            .cloned()
            .collect();
        if out.is_empty() {
            for f in &data {
                for e in 0..f.count() {
                    let name = if f.count() == 1 {
                        f.name().to_string()
                    } else {
                        format!("{}[{e}]", f.name())
                    };
                    out.push((name, 0.0, 0, false));
                }
            }
        }
        for rec in s.records() {
            let mut col = 0;
            for f in &data {
                for v in f.values(rec) {
                    let o = &mut out[col];
                    match v {
                        Value::F32(x) => (o.1, o.3) = (o.1 + f64::from(x), true),
                        Value::F64(x) => (o.1, o.3) = (o.1 + x, true),
                        Value::U8(x) => o.2 += i128::from(x),
                        Value::U16(x) => o.2 += i128::from(x),
                        Value::U32(x) => o.2 += i128::from(x),
                        Value::U64(x) => o.2 += i128::from(x),
                        Value::I8(x) => o.2 += i128::from(x),
                        Value::I16(x) => o.2 += i128::from(x),
                        Value::I32(x) => o.2 += i128::from(x),
                        Value::I64(x) => o.2 += i128::from(x),
                        // The columnar formats refuse bool and text fields.
                        Value::Bool(_)
                        | Value::InvalidBool(_)
                        | Value::Text(_)
                        | Value::InvalidText(_) => unreachable!("no bool or text field here"),
                    }
                    col += 1;
                }
            }
        }
    }
    let map = out
        .into_iter()
        .map(|(n, f, i, float)| {
            (
                n,
                if float {
                    json!(f)
                } else {
                    json!(i64::try_from(i).unwrap())
                },
            )
        })
        .collect();
    (count, map)
}

fn case(dir: &Path, name: &str, schema_file_name: &str, rows: u64) -> J {
    let schema = schema_file::load(root().join("schemas").join(schema_file_name)).unwrap();
    let path = dir.join(format!("{name}.recs"));
    store(&path, &schema, rows, 1);
    let files: Vec<PathBuf> = ["parquet", "arrow", "npy"]
        .iter()
        .map(|e| dir.join(format!("{name}.{e}")))
        .collect();
    for f in &files {
        recstore(&[&"export", &path, f]);
    }
    let (count, sums) = sums(&[&path]);
    let data_offset = RawStore::open_read_only(&path).unwrap().info().data_offset;
    json!({
        "count": count, "sums": sums, "store": path, "stride": schema.stride(), "data_offset": data_offset,
        "parquet": files[0], "arrow": files[1], "npy": files[2],
    })
}

/// The golden v1.2 store of texts and bools, exported; its values as
/// recstore reads them (texts without their NUL padding).
fn tagged(dir: &Path) -> J {
    let path = dir.join("tagged.recs");
    std::fs::copy(root().join("tests/data/v1.2-tagged-reading.recs"), &path).unwrap();
    let files: Vec<PathBuf> = ["parquet", "arrow", "npy"]
        .iter()
        .map(|e| dir.join(format!("tagged.{e}")))
        .collect();
    for f in &files {
        recstore(&[&"export", &path, f]);
    }
    let s = RawStore::open_read_only(&path).unwrap();
    let mut columns: [Vec<J>; 3] = Default::default();
    for rec in s.records() {
        for (k, name) in ["label", "unit", "valid"].iter().enumerate() {
            let f = s
                .schema()
                .fields()
                .iter()
                .find(|f| f.name() == *name)
                .unwrap();
            columns[k].push(match f.values(rec).next().unwrap() {
                Value::Text(t) => json!(t),
                Value::Bool(b) => json!(b),
                v => panic!("the golden file holds {v:?} in {name}"),
            });
        }
    }
    let [labels, units, valid] = columns;
    json!({
        "labels": labels, "units": units, "valid": valid,
        "parquet": files[0], "arrow": files[1], "npy": files[2],
    })
}

#[test]
fn duckdb_pyarrow_and_numpy_agree_with_recstore() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let vertices = case(d, "vertices", "colored_vertex.toml", 5000);
    let particles = case(d, "particles", "particle.toml", 3000);
    // A directory of Parquet files, one per store: a table for DuckDB.
    let many = d.join("many");
    std::fs::create_dir(&many).unwrap();
    let schema = schema_file::load(root().join("schemas/sensor_reading.toml")).unwrap();
    let mut paths = Vec::new();
    for k in 0..4u64 {
        let p = d.join(format!("sensor{k}.recs"));
        store(&p, &schema, 1000 + k * 500, k);
        recstore(&[&"export", &p, &many.join(format!("part{k}.parquet"))]);
        paths.push(p);
    }
    let refs: Vec<&Path> = paths.iter().map(PathBuf::as_path).collect();
    let (count, sums) = sums(&refs);
    let expected = json!({
        "vertices": vertices, "particles": particles, "tagged": tagged(d),
        "many": { "count": count, "sums": sums, "parquet": many.join("*.parquet") },
    });
    let json_path = d.join("expected.json");
    std::fs::write(&json_path, serde_json::to_string_pretty(&expected).unwrap()).unwrap();
    let out = Command::new("python3")
        .arg(root().join("tests/python/columnar_clients.py"))
        .arg(&json_path)
        .output()
        .expect("python3 must be installed to run this test (scripts/setup-python.sh)");
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(
        out.status.success(),
        "the clients disagree with recstore:\n{stdout}\n{stderr}"
    );
    assert_eq!(stdout.trim(), "ok");
}
