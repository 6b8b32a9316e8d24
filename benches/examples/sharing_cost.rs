//! What the sharing rule (issue 11) costs, in one run:
//! 1. appending 10^6 vertices in batches of 10^4, each batch published,
//!    with no reader and with 4 live reader processes following the store
//!    (each refreshing and reading the newest record every millisecond),
//!    alternated;
//! 2. `get_mut` on a committed record: the first call after a commit (it
//!    takes the readers' lock exclusively, and checks the record's chunk
//!    against its checksum once per commit) against the calls after it, and
//!    the first call after a commit on a record appended since (neither the
//!    lock nor the check);
//! 3. a reader's open + read of record 0 (it takes the shared readers' lock
//!    and reads the header and slots with `pread`).
//!
//! `cargo run --release -p recstore-bench --example sharing_cost [ROUNDS]`

use recstore::{OpenOptions, Reader};
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};
use std::time::Instant;

// The 20-byte vertex of the other benchmarks.
use recstore_bench::Vertex;

fn vertex(i: u64) -> Vertex {
    let f = i as f32;
    Vertex {
        position: [f, f * 0.5, -f],
        color: [i as u16, (i >> 16) as u16, 0],
        _pad: [0; 2],
    }
}

fn main() {
    if let Ok(path) = std::env::var("SHARING_COST_READER") {
        return follow(&path);
    }
    let rounds: usize = std::env::args().nth(1).map_or(5, |a| a.parse().unwrap());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sharing.recs");
    let records: Vec<Vertex> = (0..1_000_000).map(vertex).collect();

    let (mut alone, mut watched) = (Vec::new(), Vec::new());
    for round in 0..rounds {
        // Alternate which goes first, so that neither always follows the
        // other's writeback.
        if round % 2 == 0 {
            alone.push(append_round(&path, &records, 0));
            watched.push(append_round(&path, &records, 4));
        } else {
            watched.push(append_round(&path, &records, 4));
            alone.push(append_round(&path, &records, 0));
        }
    }
    println!("rounds, no reader (ms): {alone:.1?}\nrounds, 4 readers (ms): {watched:.1?}");
    let (a, w) = (median(&mut alone), median(&mut watched));
    let mb = (records.len() * std::mem::size_of::<Vertex>()) as f64 / 1e6;
    println!(
        "append 10^6 records, publish per 10^4: no reader {a:.1} ms ({:.2} GB/s), \
         4 reader processes {w:.1} ms ({:.2} GB/s): {:.2}x the time",
        mb / a,
        mb / w,
        w / a
    );

    let _ = std::fs::remove_file(&path);
    let mut store = OpenOptions::new()
        .create_new(true)
        .open::<Vertex>(&path)
        .unwrap();
    store.extend_from_slice(&records[..100_000]).unwrap();
    store.flush().unwrap();
    let (mut first, mut later, mut fresh) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..2_000usize {
        store.publish().unwrap();
        store.push(&vertex(i as u64)).unwrap();
        let newest = store.len() - 1;
        let t = Instant::now();
        store.get_mut(newest).unwrap().color[2] = i as u16;
        fresh.push(t.elapsed().as_secs_f64() * 1e6);
        store.publish().unwrap();
        let at = (i * 7919) % 100_000;
        let t = Instant::now();
        store.get_mut(at).unwrap().color[0] = i as u16;
        first.push(t.elapsed().as_secs_f64() * 1e6);
        let t = Instant::now();
        for j in 0..100 {
            store.get_mut(at + j % 10).unwrap().color[1] = j as u16;
        }
        later.push(t.elapsed().as_secs_f64() * 1e6 / 100.0);
    }
    let (f, l, n) = (median(&mut first), median(&mut later), median(&mut fresh));
    store.close().unwrap();
    let mut reader_open = Vec::new();
    for _ in 0..2_000 {
        let t = Instant::now();
        let r = Reader::<Vertex>::open(&path).unwrap();
        std::hint::black_box(r[0].color[0]);
        drop(r);
        reader_open.push(t.elapsed().as_secs_f64() * 1e6);
    }
    println!(
        "open + read record 0 + close, a 2 MB store: Reader {:.1} us",
        median(&mut reader_open)
    );
    println!(
        "get_mut on a committed record: first after a commit {f:.2} us, later calls {:.0} ns \
         ({:.0}x); first after a commit on a record appended since: {:.2} us",
        l * 1e3,
        f / l,
        n
    );
}

/// One timed append of `records` to a new store, with `readers` reader
/// processes following it; returns milliseconds.
fn append_round(path: &std::path::Path, records: &[Vertex], readers: usize) -> f64 {
    let _ = std::fs::remove_file(path);
    let mut store = OpenOptions::new()
        .create_new(true)
        .open::<Vertex>(path)
        .unwrap();
    store.push(&records[0]).unwrap();
    store.flush().unwrap();
    let mut children: Vec<_> = (0..readers)
        .map(|_| {
            let mut c = Command::new(std::env::current_exe().unwrap())
                .env("SHARING_COST_READER", path)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .spawn()
                .unwrap();
            let mut line = String::new();
            BufReader::new(c.stdout.as_mut().unwrap())
                .read_line(&mut line)
                .unwrap();
            assert_eq!(line.trim(), "following");
            c
        })
        .collect();
    let t = Instant::now();
    for batch in records[1..].chunks(10_000) {
        store.extend_from_slice(batch).unwrap();
        store.publish().unwrap();
    }
    let ms = t.elapsed().as_secs_f64() * 1e3;
    for c in &mut children {
        drop(c.stdin.take());
        let mut out = String::new();
        c.stdout.as_mut().unwrap().read_to_string(&mut out).unwrap();
        assert!(c.wait().unwrap().success());
    }
    store.close().unwrap();
    ms
}

/// A reader process: follows the store, reading its newest record every
/// millisecond or so, until stdin closes.
fn follow(path: &str) {
    let mut reader = Reader::<Vertex>::open(path).unwrap();
    println!("following");
    std::io::stdout().flush().unwrap();
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = done.clone();
    std::thread::spawn(move || {
        let _ = std::io::stdin().read_to_end(&mut Vec::new());
        flag.store(true, std::sync::atomic::Ordering::Relaxed);
    });
    let mut sum = 0u64;
    while !done.load(std::sync::atomic::Ordering::Relaxed) {
        reader.refresh().unwrap();
        if let Some(last) = reader.last() {
            sum = sum.wrapping_add(u64::from(last.color[0]));
        }
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    println!("{sum}");
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}
