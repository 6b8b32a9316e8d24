//! recstore-arrow in-process: Parquet, Arrow IPC and .npy export of 10^6
//! colour vertices, and Parquet import: the whole import into a new store
//! (read from the leaf columns, checked, appended, committed durably), and
//! the Arrow path's two halves (decode, check + place) without the store. The
//! comparison with pyarrow and numpy is `benches/python/columnar_peer.py`
//! (whole processes, 10^7 records); CI runs this with `-- --test`.

use std::fs::File;
use std::io::BufWriter;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use recstore::{schema_file, RawStore};
use recstore_arrow::{export, import, ExportMap, ExportOptions, Format, ImportMap};

const N: u64 = 1_000_000;

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let schema = schema_file::load(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../schemas/colored_vertex.toml"
    ))
    .unwrap();
    let mut store = RawStore::create(dir.path().join("v.recs"), &schema).unwrap();
    let mut x = 1u32;
    let mut rec = [0u8; 20];
    for _ in 0..N {
        for b in &mut rec[..18] {
            x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            *b = (x >> 24) as u8 & 0x3f;
        }
        store.push(&rec).unwrap();
    }
    store.flush().unwrap();

    let mut g = c.benchmark_group("export");
    g.sample_size(10);
    g.throughput(Throughput::Elements(N));
    for (name, format) in [
        ("parquet", Format::Parquet),
        ("arrow", Format::ArrowIpc),
        ("npy", Format::Npy),
    ] {
        let path = dir.path().join(format!("v.{name}"));
        g.bench_function(name, |b| {
            b.iter(|| {
                let w = BufWriter::new(File::create(&path).unwrap());
                export(&store, format, w, &ExportOptions::default(), |_| {}).unwrap()
            })
        });
    }
    g.finish();

    // The whole import, then the two halves of the Arrow path without the
    // store: decode a Parquet file and turn its batches into records.
    let path = dir.path().join("v.parquet");
    let w = BufWriter::new(File::create(&path).unwrap());
    export(
        &store,
        Format::Parquet,
        w,
        &ExportOptions::default(),
        |_| {},
    )
    .unwrap();
    let mut g = c.benchmark_group("import");
    g.sample_size(10);
    g.throughput(Throughput::Elements(N));
    g.bench_function("parquet_import", |b| {
        let target = dir.path().join("imported.recs");
        b.iter_batched(
            || {
                let _ = std::fs::remove_file(&target);
                RawStore::create(&target, store.schema()).unwrap()
            },
            |mut s| import(&mut s, Format::Parquet, File::open(&path).unwrap(), |_| {}).unwrap(),
            BatchSize::PerIteration,
        )
    });
    g.bench_function("parquet_to_records", |b| {
        b.iter(|| {
            let builder = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(
                File::open(&path).unwrap(),
            )
            .unwrap();
            let map = ImportMap::new(store.schema(), builder.schema()).unwrap();
            let mut buf = Vec::new();
            let mut rows = 0u64;
            for batch in builder.with_batch_size(1 << 16).build().unwrap() {
                let batch = batch.unwrap();
                buf.clear();
                buf.resize(batch.num_rows() * 20, 0);
                map.fill(&batch, &mut buf, rows).unwrap();
                rows += batch.num_rows() as u64;
            }
            rows
        })
    });
    g.bench_function("parquet_decode_only", |b| {
        b.iter(|| {
            let builder = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(
                File::open(&path).unwrap(),
            )
            .unwrap();
            let reader = builder.with_batch_size(1 << 16).build().unwrap();
            reader.map(|b| b.unwrap().num_rows()).sum::<usize>()
        })
    });
    let map = ExportMap::new(store.schema(), None).unwrap();
    g.bench_function("records_to_batches", |b| {
        b.iter(|| {
            store
                .data()
                .chunks(20 << 16)
                .map(|c| map.batch(c).unwrap().num_rows())
                .sum::<usize>()
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
