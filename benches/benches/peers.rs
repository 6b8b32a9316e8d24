//! recstore against its peers and the machine's limits, the same workloads
//! in the same run (issue 5). `scripts/bench.sh` runs this, the numpy
//! timings, and the report that writes BENCHMARKS.md.
//!
//! Groups (criterion ids `workload/system/N`):
//! - `open`: open + read the first record (hot page cache);
//! - `scan`: sum one field over all records of an open store (hot);
//! - `random`: 10^6 uniformly random reads of an open store;
//! - `open+scan`: both, the loader's job, in-process;
//! - `process`: the loader as a new process (`src/bin/loader.rs`), N = 10^6;
//! - `append`: N = 10^6 vertices by `push`, by `extend_from_slice` in
//!   batches of 10^4, and durably (flush per batch), against one
//!   `write_all` and `write_all` + `fdatasync` per batch;
//! - `verify`: recstore's verify against crc32fast over the same bytes.
//!
//! `-- --test` runs each once at N = 10^3 (CI).

use criterion::{criterion_group, criterion_main, BatchSize, BenchmarkId, Criterion, Throughput};
use recstore::{OpenOptions, Store};
use recstore_bench::{data_dir, load, mapped, sum_color, vertex, Files, Vertex, SYSTEMS};
use std::hint::black_box;
use std::io::Write;
use std::time::Duration;
use zerocopy::{FromBytes, IntoBytes};

fn sizes() -> Vec<u64> {
    if std::env::args().any(|a| a == "--test") {
        vec![1_000]
    } else if let Ok(list) = std::env::var("RECSTORE_BENCH_N") {
        list.split(',').map(|n| n.trim().parse().unwrap()).collect()
    } else {
        vec![1_000, 100_000, 1_000_000, 10_000_000]
    }
}

fn configure<'a>(
    c: &'a mut Criterion,
    name: &str,
) -> criterion::BenchmarkGroup<'a, criterion::measurement::WallTime> {
    let mut g = c.benchmark_group(name);
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1));
    g
}

/// xorshift indices, the same for every system.
fn random_indices(n: u64, count: usize) -> Vec<usize> {
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    (0..count)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x % n) as usize
        })
        .collect()
}

fn peers(c: &mut Criterion) {
    let dir = data_dir();
    let all: Vec<Files> = sizes().into_iter().map(|n| Files::at(&dir, n)).collect();
    for f in &all {
        f.create();
        f.settle();
    }
    // The numpy script reads the same recstore files: tell it where the
    // records start.
    let manifest: Vec<serde_json::Value> = all
        .iter()
        .map(|f| {
            let s = Store::<Vertex>::open_read_only(&f.recstore).unwrap();
            serde_json::json!({"n": f.n, "path": f.recstore, "data_offset": s.data_offset()})
        })
        .collect();
    std::fs::write(
        dir.join("manifest.json"),
        serde_json::to_string_pretty(&manifest).unwrap(),
    )
    .unwrap();

    let mut g = configure(c, "open");
    for f in &all {
        for system in SYSTEMS.iter().filter(|s| **s != "sqlite rows") {
            let name = if *system == "sqlite sum" {
                "sqlite"
            } else {
                system
            };
            g.bench_with_input(BenchmarkId::new(name, f.n), f, |b, f| {
                b.iter(|| load(system, f, false))
            });
        }
    }
    g.finish();

    let mut g = configure(c, "open+scan");
    for f in &all {
        g.throughput(Throughput::Bytes(f.n * 20));
        for system in SYSTEMS {
            g.bench_with_input(BenchmarkId::new(system, f.n), f, |b, f| {
                b.iter(|| load(system, f, true))
            });
        }
    }
    g.finish();

    let mut g = configure(c, "scan");
    for f in &all {
        g.throughput(Throughput::Bytes(f.n * 20));
        let vec: Vec<Vertex> = (0..f.n).map(vertex).collect();
        g.bench_with_input(BenchmarkId::new("Vec", f.n), &vec, |b, v| {
            b.iter(|| sum_color(black_box(v)))
        });
        let store = Store::<Vertex>::open_read_only(&f.recstore).unwrap();
        g.bench_with_input(BenchmarkId::new("recstore", f.n), &store, |b, s| {
            b.iter(|| sum_color(black_box(&s[..])))
        });
        let raw = mapped::map(&f.raw);
        g.bench_with_input(BenchmarkId::new("raw mmap", f.n), &raw, |b, m| {
            b.iter(|| sum_color(<[Vertex]>::ref_from_bytes(black_box(m)).unwrap()))
        });
        let rkyv_map = mapped::map(&f.rkyv);
        let archived =
            rkyv::access::<rkyv::Archived<Vec<Vertex>>, rkyv::rancor::Error>(&rkyv_map).unwrap();
        g.bench_with_input(BenchmarkId::new("rkyv", f.n), archived, |b, a| {
            b.iter(|| {
                black_box(a)
                    .iter()
                    .map(|v| u64::from(v.color[0].to_native()))
                    .sum::<u64>()
            })
        });
    }
    g.finish();

    let mut g = configure(c, "random");
    for f in &all {
        let idx = random_indices(f.n, 1_000_000);
        g.throughput(Throughput::Elements(idx.len() as u64));
        let vec: Vec<Vertex> = (0..f.n).map(vertex).collect();
        g.bench_with_input(BenchmarkId::new("Vec", f.n), &vec, |b, v| {
            b.iter(|| {
                let v = black_box(v);
                idx.iter().map(|&i| u64::from(v[i].color[0])).sum::<u64>()
            })
        });
        let store = Store::<Vertex>::open_read_only(&f.recstore).unwrap();
        g.bench_with_input(BenchmarkId::new("recstore", f.n), &store, |b, s| {
            b.iter(|| {
                let s = black_box(s);
                idx.iter()
                    .map(|&i| u64::from(s.get(i).unwrap().color[0]))
                    .sum::<u64>()
            })
        });
        let raw = mapped::map(&f.raw);
        let records = <[Vertex]>::ref_from_bytes(&raw).unwrap();
        g.bench_with_input(BenchmarkId::new("raw mmap", f.n), records, |b, r| {
            b.iter(|| {
                let r = black_box(r);
                idx.iter().map(|&i| u64::from(r[i].color[0])).sum::<u64>()
            })
        });
        let rkyv_map = mapped::map(&f.rkyv);
        let archived =
            rkyv::access::<rkyv::Archived<Vec<Vertex>>, rkyv::rancor::Error>(&rkyv_map).unwrap();
        g.bench_with_input(BenchmarkId::new("rkyv", f.n), archived, |b, a| {
            b.iter(|| {
                let a = black_box(a);
                idx.iter()
                    .map(|&i| u64::from(a[i].color[0].to_native()))
                    .sum::<u64>()
            })
        });
    }
    g.finish();

    let loader = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/release/loader");
    let n = all
        .iter()
        .map(|f| f.n)
        .find(|&n| n == 1_000_000)
        .unwrap_or(all[0].n);
    if loader.exists() {
        let mut g = configure(c, "process");
        for system in std::iter::once("none").chain(SYSTEMS) {
            g.bench_function(BenchmarkId::new(system, n), |b| {
                b.iter(|| {
                    let out = std::process::Command::new(&loader)
                        .args([system, &n.to_string(), "scan"])
                        .output()
                        .unwrap();
                    assert!(
                        out.status.success(),
                        "{}",
                        String::from_utf8_lossy(&out.stderr)
                    );
                })
            });
        }
        g.finish();
    } else {
        eprintln!("process: skipped; build the loader first: cargo build --release -p recstore-bench --bin loader");
    }

    append(c, if n == 1_000_000 { n } else { all[0].n });
    verify(c, &all);
}

/// A file that is synced when dropped.
struct SyncOnDrop(std::fs::File);

impl Drop for SyncOnDrop {
    fn drop(&mut self) {
        self.0.sync_all().unwrap();
    }
}

fn append(c: &mut Criterion, n: u64) {
    const BATCH: usize = 10_000;
    let records: Vec<Vertex> = (0..n).map(vertex).collect();
    let scratch = tempfile::tempdir_in(data_dir()).unwrap();
    let path = scratch.path().join("append");
    let fresh = || {
        let _ = std::fs::remove_file(&path);
    };
    let mut g = configure(c, "append");
    g.throughput(Throughput::Bytes(n * 20));
    // Setup (untimed) makes an empty store or file; the routine appends and
    // hands it back, so the close (durable, for a store) is untimed too.
    let open = || {
        fresh();
        OpenOptions::new()
            .create_new(true)
            .open::<Vertex>(&path)
            .unwrap()
    };
    // The baselines' files are synced when dropped, untimed, as a store's
    // durable close is: otherwise only recstore's iterations would leave
    // the disk busy writing back 20 MB while the next one is timed.
    let create = || {
        fresh();
        SyncOnDrop(std::fs::File::create(&path).unwrap())
    };
    g.bench_function(BenchmarkId::new("recstore push", n), |b| {
        b.iter_batched(
            open,
            |mut s| {
                for r in &records {
                    s.push(r).unwrap();
                }
                s.publish().unwrap();
                s
            },
            BatchSize::PerIteration,
        )
    });
    g.bench_function(BenchmarkId::new("recstore extend_from_slice", n), |b| {
        b.iter_batched(
            open,
            |mut s| {
                for chunk in records.chunks(BATCH) {
                    s.extend_from_slice(chunk).unwrap();
                }
                s.publish().unwrap();
                s
            },
            BatchSize::PerIteration,
        )
    });
    g.bench_function(BenchmarkId::new("write_all", n), |b| {
        b.iter_batched(
            create,
            |mut f| {
                f.0.write_all(records.as_bytes()).unwrap();
                f
            },
            BatchSize::PerIteration,
        )
    });
    g.bench_function(BenchmarkId::new("recstore durable batches", n), |b| {
        b.iter_batched(
            open,
            |mut s| {
                for chunk in records.chunks(BATCH) {
                    s.extend_from_slice(chunk).unwrap();
                    s.flush().unwrap();
                }
                s
            },
            BatchSize::PerIteration,
        )
    });
    g.bench_function(
        BenchmarkId::new("write_all + fdatasync per batch", n),
        |b| {
            b.iter_batched(
                create,
                |mut f| {
                    for chunk in records.chunks(BATCH) {
                        f.0.write_all(chunk.as_bytes()).unwrap();
                        f.0.sync_data().unwrap();
                    }
                    f
                },
                BatchSize::PerIteration,
            )
        },
    );
    g.finish();
}

fn verify(c: &mut Criterion, all: &[Files]) {
    let mut g = configure(c, "verify");
    for f in all.iter().filter(|f| f.n >= 1_000_000 || all.len() == 1) {
        g.throughput(Throughput::Bytes(f.n * 20));
        let store = Store::<Vertex>::open_read_only(&f.recstore).unwrap();
        g.bench_with_input(BenchmarkId::new("recstore", f.n), &store, |b, s| {
            b.iter(|| s.verify().unwrap())
        });
        let raw = mapped::map(&f.raw);
        g.bench_with_input(BenchmarkId::new("crc32fast", f.n), &raw, |b, m| {
            b.iter(|| crc32fast::hash(black_box(m)))
        });
    }
    g.finish();
}

criterion_group!(benches, peers);
criterion_main!(benches);
