//! Opens a bench store and reads its first record, many times: a target
//! for `perf record` when the open benchmark misses its goal.
//! `cargo run --release -p recstore-bench --example open_profile [N] [raw]`

use std::time::Instant;

fn main() {
    let n: u64 = std::env::args()
        .nth(1)
        .map_or(10_000_000, |a| a.parse().unwrap());
    let system = if std::env::args().any(|a| a == "raw") {
        "raw mmap"
    } else {
        "recstore"
    };
    let files = recstore_bench::Files::at(&recstore_bench::data_dir(), n);
    files.create();
    let rounds = 20_000;
    let t = Instant::now();
    let mut sum = 0;
    for _ in 0..rounds {
        sum += recstore_bench::load(system, &files, false);
    }
    println!(
        "{system}: {:.2} µs per open (checksum {sum})",
        t.elapsed().as_secs_f64() * 1e6 / rounds as f64
    );
}
