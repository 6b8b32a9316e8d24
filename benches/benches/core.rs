//! recstore against the limits, in the same run: a hot scan and random reads
//! against a `Vec<T>`, open against a store 2^18 times smaller and against a
//! hand-written memmap2 + zerocopy open, `extend_from_slice` against one
//! `write_all`, `verify` against `crc32fast` over the same bytes.
//!
//! `cargo bench -p recstore-bench --bench core`; `-- --test` runs
//! each once on small sizes (CI).

use std::hint::black_box;
use std::io::Write;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use recstore::{OpenOptions, Store};
use recstore_bench::Vertex;
use zerocopy::{FromBytes, IntoBytes};

fn vertex(i: u64) -> Vertex {
    Vertex {
        position: [i as f32; 3],
        color: [i as u16, 1, 2],
        _pad: [0; 2],
    }
}

/// `cargo bench -- --test`: one quick pass on small sizes.
fn quick() -> bool {
    std::env::args().any(|a| a == "--test")
}

fn store_of(dir: &std::path::Path, name: &str, n: u64) -> std::path::PathBuf {
    let path = dir.join(name);
    let mut s = OpenOptions::new()
        .create_new(true)
        .initial_capacity(n.max(1) as usize)
        .open::<Vertex>(&path)
        .unwrap();
    let batch: Vec<Vertex> = (0..n.min(1 << 16)).map(vertex).collect();
    let mut left = n;
    while left > 0 {
        let k = left.min(batch.len() as u64) as usize;
        s.extend_from_slice(&batch[..k]).unwrap();
        left -= k as u64;
    }
    s.close().unwrap();
    path
}

fn sum_color(v: &[Vertex]) -> u64 {
    v.iter().map(|v| u64::from(v.color[0])).sum()
}

fn scan(c: &mut Criterion) {
    // 2 MB stays in cache (the cost of the code); 200 MB streams from
    // memory (the cost of the pages under it).
    let sizes: &[u64] = if quick() {
        &[10_000]
    } else {
        &[100_000, 10_000_000]
    };
    let dir = tempfile::tempdir().unwrap();
    for &n in sizes {
        let store =
            Store::<Vertex>::open_read_only(store_of(dir.path(), &format!("scan{n}.recs"), n))
                .unwrap();
        let vec: Vec<Vertex> = store[..].to_vec();
        let mut g = c.benchmark_group(format!("scan_{n}"));
        g.throughput(Throughput::Bytes(n * 20));
        g.bench_function("vec", |b| b.iter(|| sum_color(black_box(&vec))));
        g.bench_function("recstore", |b| b.iter(|| sum_color(&black_box(&store)[..])));
        g.finish();
    }
}

fn random_reads(c: &mut Criterion) {
    let n = if quick() { 10_000 } else { 10_000_000 };
    let dir = tempfile::tempdir().unwrap();
    let store = Store::<Vertex>::open_read_only(store_of(dir.path(), "random.recs", n)).unwrap();
    let vec: Vec<Vertex> = store[..].to_vec();
    let mut x = 0x2545_f491_4f6c_dd1du64;
    let idx: Vec<usize> = (0..1_000_000)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x % n) as usize
        })
        .collect();
    let mut g = c.benchmark_group("random_reads");
    g.throughput(Throughput::Elements(idx.len() as u64));
    // As user code reads: the container is opaque to the optimiser once per
    // pass, the reads are a plain loop.
    g.bench_function("vec", |b| {
        b.iter(|| {
            let v = black_box(&vec);
            idx.iter().map(|&i| u64::from(v[i].color[1])).sum::<u64>()
        })
    });
    g.bench_function("recstore_get", |b| {
        b.iter(|| {
            let s = black_box(&store);
            idx.iter()
                .map(|&i| u64::from(s.get(i).unwrap().color[1]))
                .sum::<u64>()
        })
    });
    // Vec's own code on the mapped records: what is left is the memory.
    g.bench_function("recstore_slice_index", |b| {
        b.iter(|| {
            let s = black_box(&store[..]);
            idx.iter().map(|&i| u64::from(s[i].color[1])).sum::<u64>()
        })
    });
    g.finish();
}

fn open(c: &mut Criterion) {
    let big_n = if quick() { 1 << 16 } else { (1u64 << 30) / 20 };
    let dir = tempfile::tempdir().unwrap();
    let tiny = store_of(dir.path(), "tiny.recs", 1);
    let big = store_of(dir.path(), "big.recs", big_n);
    let mut g = c.benchmark_group("open_first_record");
    g.bench_function("recstore_tiny", |b| {
        b.iter(|| Store::<Vertex>::open_read_only(black_box(&tiny)).unwrap()[0].color[1])
    });
    g.bench_function("recstore_1GiB", |b| {
        b.iter(|| Store::<Vertex>::open_read_only(black_box(&big)).unwrap()[0].color[1])
    });
    // The floor: map the file and cast, with no header, no checks.
    g.bench_function("memmap2_zerocopy_1GiB", |b| {
        b.iter(|| {
            let f = std::fs::File::open(black_box(&big)).unwrap();
            // SAFETY: the benchmark's own file, not modified while mapped.
            let m = unsafe { memmap2::Mmap::map(&f).unwrap() };
            <[Vertex]>::ref_from_bytes(&m[4096..4096 + 20]).unwrap()[0].color[1]
        })
    });
    g.finish();
}

fn append(c: &mut Criterion) {
    let total: usize = if quick() { 4 << 20 } else { 64 << 20 };
    let batch: Vec<Vertex> = (0..(1 << 20) / 20).map(vertex).collect();
    let batches = total / (batch.len() * 20);
    let bytes = batches * batch.len() * 20;
    let dir = tempfile::tempdir().unwrap();
    let mut g = c.benchmark_group("append_1MiB_batches");
    g.throughput(Throughput::Bytes(bytes as u64));
    g.sample_size(20);
    let mut k = 0;
    g.bench_function("write_all", |b| {
        let all: Vec<u8> = (0..batches)
            .flat_map(|_| batch.as_bytes().to_vec())
            .collect();
        b.iter_batched(
            || {
                k += 1;
                std::fs::File::create(dir.path().join(format!("w{k}"))).unwrap()
            },
            |mut f| {
                f.write_all(&all).unwrap();
                f
            },
            BatchSize::PerIteration,
        )
    });
    g.bench_function("extend_from_slice", |b| {
        b.iter_batched(
            || {
                k += 1;
                Store::<Vertex>::create(dir.path().join(format!("s{k}"))).unwrap()
            },
            |mut s| {
                for _ in 0..batches {
                    s.extend_from_slice(&batch).unwrap();
                }
                s
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

fn verify(c: &mut Criterion) {
    let n = if quick() { 50_000 } else { (256u64 << 20) / 20 };
    let dir = tempfile::tempdir().unwrap();
    let store = Store::<Vertex>::open_read_only(store_of(dir.path(), "verify.recs", n)).unwrap();
    let mut g = c.benchmark_group("verify");
    g.throughput(Throughput::Bytes(n * 20));
    g.bench_function("crc32fast", |b| {
        b.iter(|| crc32fast::hash(black_box(&store[..]).as_bytes()))
    });
    g.bench_function("recstore_verify", |b| {
        b.iter(|| black_box(&store).verify().unwrap())
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(3));
    targets = scan, random_reads, open, append, verify
}
criterion_main!(benches);
