//! The CLI's throughput against its limits, in the same run: importing
//! 10^6 CSV rows against the csv crate's parsing alone, exporting 10^6
//! records against the csv crate writing the same rows, and `recstore info`
//! (a whole process) on a 1 GiB store against a tiny one.
//!
//! `cargo bench -p recstore-bench --bench transfer`; `-- --test` for one quick pass.

use std::hint::black_box;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use recstore::{schema_file, OpenOptions, RawStore, Schema};
use recstore_cli::{columns, transfer};

fn quick() -> bool {
    std::env::args().any(|a| a == "--test")
}

fn schema() -> Schema {
    schema_file::load(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../schemas/colored_vertex.toml"
    ))
    .unwrap()
}

/// `n` vertex records, as the bytes a store holds.
fn records(n: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(n as usize * 20);
    for i in 0..n {
        for v in [i as f32 * 0.5, (i % 1000) as f32 * 0.25, -(i as f32)] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        for v in [(i % 65536) as u16, (i / 7 % 65536) as u16, 7u16] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out.extend_from_slice(&[0, 0]);
    }
    out
}

fn csv_text(schema: &Schema, bytes: &[u8]) -> Vec<u8> {
    let cols = columns::columns(schema, None).unwrap();
    let mut out = Vec::new();
    transfer::write_csv(schema, &cols, bytes.chunks_exact(20), &mut out, |_| {}).unwrap();
    out
}

fn import(c: &mut Criterion) {
    let n = if quick() { 10_000 } else { 1_000_000 };
    let schema = schema();
    let text = csv_text(&schema, &records(n));
    let dir = tempfile::tempdir().unwrap();
    let mut g = c.benchmark_group("import_csv");
    g.throughput(Throughput::Elements(n));
    g.sample_size(10);
    g.bench_function("csv_crate_parse_only", |b| {
        b.iter(|| {
            let mut r = csv::Reader::from_reader(black_box(&text[..]));
            let mut row = csv::StringRecord::new();
            let mut fields = 0;
            while r.read_record(&mut row).unwrap() {
                fields += row.len();
            }
            fields
        })
    });
    // The same plus the numbers: what any CSV importer must at least do.
    g.bench_function("csv_crate_deserialize_numbers", |b| {
        b.iter(|| {
            let mut r = csv::Reader::from_reader(black_box(&text[..]));
            let mut sum = 0u64;
            for row in r.deserialize::<(f32, f32, f32, u16, u16, u16)>() {
                sum += u64::from(row.unwrap().3);
            }
            sum
        })
    });
    let mut k = 0;
    g.bench_function("recstore_import", |b| {
        b.iter_batched(
            || {
                k += 1;
                OpenOptions::new()
                    .create_new(true)
                    .open_raw(dir.path().join(format!("i{k}.recs")), Some(&schema))
                    .unwrap()
            },
            |mut store: RawStore| {
                let bytes = transfer::read_csv(&schema, black_box(&text[..]), |_| {}).unwrap();
                store.extend_from_bytes(&bytes).unwrap();
                store.flush().unwrap();
                store
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

fn export(c: &mut Criterion) {
    let n = if quick() { 10_000 } else { 1_000_000 };
    let schema = schema();
    let bytes = records(n);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("e.recs");
    let mut store = OpenOptions::new()
        .create_new(true)
        .open_raw(&path, Some(&schema))
        .unwrap();
    store.extend_from_bytes(&bytes).unwrap();
    store.close().unwrap();
    let store = RawStore::open_read_only(&path).unwrap();
    let cols = columns::columns(&schema, None).unwrap();
    // The same rows as plain Rust values, for the csv crate's own writer.
    let rows: Vec<([f32; 3], [u16; 3])> = bytes
        .chunks_exact(20)
        .map(|r| {
            let f = |i: usize| f32::from_le_bytes(r[i * 4..i * 4 + 4].try_into().unwrap());
            let u = |i: usize| u16::from_le_bytes(r[12 + i * 2..14 + i * 2].try_into().unwrap());
            ([f(0), f(1), f(2)], [u(0), u(1), u(2)])
        })
        .collect();
    let mut g = c.benchmark_group("export_csv");
    g.throughput(Throughput::Elements(n));
    g.sample_size(10);
    g.bench_function("csv_crate_write_values", |b| {
        b.iter(|| {
            let mut w = csv::Writer::from_writer(Vec::with_capacity(40 << 20));
            for (p, c) in black_box(&rows) {
                w.write_record(&[
                    p[0].to_string(),
                    p[1].to_string(),
                    p[2].to_string(),
                    c[0].to_string(),
                    c[1].to_string(),
                    c[2].to_string(),
                ])
                .unwrap();
            }
            w.into_inner().unwrap().len()
        })
    });
    g.bench_function("recstore_export", |b| {
        b.iter(|| {
            let mut out = Vec::with_capacity(40 << 20);
            transfer::write_csv(
                &schema,
                &cols,
                black_box(&store).records(),
                &mut out,
                |_| {},
            )
            .unwrap();
            out.len()
        })
    });
    g.finish();
}

fn info(c: &mut Criterion) {
    let big_n = if quick() { 1 << 16 } else { (1u64 << 30) / 20 };
    let schema = schema();
    let dir = tempfile::tempdir().unwrap();
    let make = |name: &str, n: u64| {
        let path = dir.path().join(name);
        let mut s = OpenOptions::new()
            .create_new(true)
            .initial_capacity(n as usize)
            .open_raw(&path, Some(&schema))
            .unwrap();
        let chunk = records(n.min(1 << 16));
        let mut left = n;
        while left > 0 {
            let k = left.min(1 << 16);
            s.extend_from_bytes(&chunk[..k as usize * 20]).unwrap();
            left -= k;
        }
        s.close().unwrap();
        path
    };
    let tiny = make("tiny.recs", 1);
    let big = make("big.recs", big_n);
    let bin = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/release/recstore");
    let bin = if bin.exists() {
        bin
    } else {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/debug/recstore")
    };
    let mut g = c.benchmark_group("info_process");
    g.sample_size(20);
    for (name, path) in [("tiny", &tiny), ("1GiB", &big)] {
        g.bench_function(name, |b| {
            b.iter(|| {
                let o = Command::new(&bin).arg("info").arg(path).output().unwrap();
                assert!(o.status.success());
                o.stdout.len()
            })
        });
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(3));
    targets = import, export, info
}
criterion_main!(benches);
