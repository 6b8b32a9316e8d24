//! Hot paths of the typed API, timed the same way against two builds of the
//! library (before and after issue 13's restructuring): the source compiles
//! against both (copy it into the older tree's `examples/`, build each with
//! its own `CARGO_TARGET_DIR`, run them in turns). Prints one line per path:
//! the fastest of several rounds, in ns per record (or µs per open).
//!
//! `cargo run --release -p recstore-bench --example hot_paths`
use std::hint::black_box;
use std::time::Instant;

use recstore::{OpenOptions, Record, Store};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

/// The colour vertex, defined here rather than taken from `recstore-testkit`
/// because the older trees this is compared against have no testkit.
#[derive(Record, FromBytes, IntoBytes, KnownLayout, Immutable, Clone, Copy)]
#[repr(C)]
struct Vertex {
    position: [f32; 3],
    color: [u16; 3],
    _pad: [u8; 2],
}

fn vertex(i: u64) -> Vertex {
    Vertex {
        position: [i as f32, 1.0, 2.0],
        color: [i as u16, (i >> 16) as u16, 7],
        _pad: [0; 2],
    }
}

fn best<F: FnMut() -> u64>(rounds: usize, mut f: F) -> f64 {
    let mut best = f64::MAX;
    for _ in 0..rounds {
        let t = Instant::now();
        black_box(f());
        best = best.min(t.elapsed().as_secs_f64());
    }
    best
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let n: u64 = 10_000_000;
    let path = dir.path().join("scan.recs");
    {
        let batch: Vec<Vertex> = (0..n).map(vertex).collect();
        let mut s = OpenOptions::new()
            .create_new(true)
            .initial_capacity(n as _)
            .open::<Vertex>(&path)
            .unwrap();
        s.extend_from_slice(&batch).unwrap();
        s.close().unwrap();
    }
    let store = Store::<Vertex>::open_read_only(&path).unwrap();
    let scan = best(15, || store.iter().map(|v| u64::from(v.color[0])).sum());
    println!(
        "scan_10M            {:8.3} ns/record",
        scan * 1e9 / n as f64
    );
    let idx: Vec<usize> = (0..1_000_000u64)
        .map(|i| (i.wrapping_mul(2654435761) % n) as usize)
        .collect();
    let get = best(15, || {
        idx.iter()
            .map(|&i| u64::from(store.get(i).unwrap().color[0]))
            .sum()
    });
    println!(
        "get_random_1M       {:8.3} ns/get",
        get * 1e9 / idx.len() as f64
    );
    drop(store);
    let open = best(200, || {
        let s = Store::<Vertex>::open_read_only(&path).unwrap();
        u64::from(s[0].color[0])
    });
    println!("open_first_record   {:8.3} us", open * 1e6);

    let m: u64 = 1_000_000;
    let batch: Vec<Vertex> = (0..m).map(vertex).collect();
    let mut k = 0;
    let push = best(9, || {
        k += 1;
        let p = dir.path().join(format!("push{k}.recs"));
        let mut s = OpenOptions::new()
            .create_new(true)
            .initial_capacity(m as _)
            .open::<Vertex>(&p)
            .unwrap();
        for r in &batch {
            s.push(r).unwrap();
        }
        let len = s.len() as u64;
        drop(s);
        std::fs::remove_file(&p).unwrap();
        len
    });
    println!(
        "push_1M             {:8.3} ns/record",
        push * 1e9 / m as f64
    );
    let extend = best(9, || {
        k += 1;
        let p = dir.path().join(format!("ext{k}.recs"));
        let mut s = OpenOptions::new()
            .create_new(true)
            .initial_capacity(m as _)
            .open::<Vertex>(&p)
            .unwrap();
        for chunk in batch.chunks(52_428) {
            s.extend_from_slice(chunk).unwrap();
        }
        let len = s.len() as u64;
        drop(s);
        std::fs::remove_file(&p).unwrap();
        len
    });
    println!(
        "extend_1MiB_batches {:8.3} ns/record",
        extend * 1e9 / m as f64
    );
}
