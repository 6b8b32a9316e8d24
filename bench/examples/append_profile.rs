//! Appends 10^6 vertices to a new, empty store in batches of 10^4 (or one
//! by one with `push`) and publishes, repeatedly, timing only that: a
//! target for `perf record` when the append benchmark misses its goal.
//! `cargo run --release -p recstore-bench --example append_profile [ROUNDS] [push | write] [reserve]`
//! (`write`: one `write_all` of the same bytes, the baseline; `reserve`:
//! reserve the whole capacity first, untimed, to see what growth costs)

use recstore::OpenOptions;
use recstore_bench::{vertex, Vertex};
use std::time::Instant;

fn main() {
    let rounds: usize = std::env::args().nth(1).map_or(20, |a| a.parse().unwrap());
    let records: Vec<Vertex> = (0..1_000_000).map(vertex).collect();
    let dir = tempfile::tempdir_in(recstore_bench::data_dir()).unwrap();
    let path = dir.path().join("append.recs");
    let push = std::env::args().any(|a| a == "push");
    let write = std::env::args().any(|a| a == "write");
    let reserve = std::env::args().any(|a| a == "reserve");
    let mut times = Vec::new();
    for _ in 0..rounds {
        let _ = std::fs::remove_file(&path);
        if write {
            use std::io::Write;
            use zerocopy::IntoBytes;
            let mut f = std::fs::File::create(&path).unwrap();
            let t = Instant::now();
            f.write_all(records.as_bytes()).unwrap();
            times.push(t.elapsed().as_secs_f64() * 1e3);
            continue;
        }
        let mut s = OpenOptions::new()
            .create_new(true)
            .open::<Vertex>(&path)
            .unwrap();
        if reserve {
            s.reserve(records.len()).unwrap();
        }
        let t = Instant::now();
        if push {
            for r in &records {
                s.push(r).unwrap();
            }
        } else {
            for chunk in records.chunks(10_000) {
                s.extend_from_slice(chunk).unwrap();
            }
        }
        s.publish().unwrap();
        times.push(t.elapsed().as_secs_f64() * 1e3);
        drop(s);
    }
    times.sort_by(f64::total_cmp);
    println!("median {:.2} ms over {rounds} rounds", times[rounds / 2]);
}
