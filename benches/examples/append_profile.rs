//! Appends 10^6 vertices to a new, empty store in batches of 10^4 (or one
//! by one with `push`) and publishes, repeatedly, timing only that: a
//! target for `perf record` when the append benchmark misses its goal.
//! `cargo run --release -p recstore-bench --example append_profile [ROUNDS] [push | write | pwrite [falloc] [crc]] [reserve] [crash]`
//! (`write`: one `write_all` of the same bytes, the baseline; `reserve`:
//! reserve the whole capacity first, untimed, to see what growth costs;
//! `pwrite`: the OS-level floor of `extend_from_slice`, writes of 10^4
//! records, optionally into `fallocate`d space, with a CRC of each;
//! `crash`: end each round without the durable close, to see what the
//! close's writeback costs the next round)

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
    // OS-level floors of the extend path: pwrite in 200 KB batches into a
    // new file, into fallocated space (`falloc`), with a CRC of each batch.
    let pwrite = std::env::args().any(|a| a == "pwrite");
    let falloc = std::env::args().any(|a| a == "falloc");
    let crc = std::env::args().any(|a| a == "crc");
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
        if pwrite {
            use std::os::unix::fs::FileExt;
            use zerocopy::IntoBytes;
            let f = std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(true)
                .open(&path)
                .unwrap();
            let bytes = records.as_bytes();
            if falloc {
                rustix::fs::fallocate(
                    &f,
                    rustix::fs::FallocateFlags::empty(),
                    0,
                    bytes.len() as u64 + 4096,
                )
                .unwrap();
            }
            let t = Instant::now();
            for (i, chunk) in bytes.chunks(200_000).enumerate() {
                f.write_all_at(chunk, 4096 + i as u64 * 200_000).unwrap();
                if crc {
                    std::hint::black_box(crc32fast::hash(chunk));
                }
            }
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
        if std::env::args().any(|a| a == "crash") {
            s.simulate_crash();
        } else {
            drop(s);
        }
    }
    times.sort_by(f64::total_cmp);
    println!("median {:.2} ms over {rounds} rounds", times[rounds / 2]);
}
