//! The datastore use: a sensor log appended in batches, each batch made
//! durable with `flush`; reopened; a time range found by binary search on
//! the zero-copy slice; one reading corrected in place; verified.
//!
//! `cargo run --release --example sensor_log [PATH]` (default: a temporary file).

use std::time::Instant;

use recstore::{OpenOptions, Record, Store};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

/// One reading: 24 bytes, sorted by time as it is appended.
#[derive(Record, FromBytes, IntoBytes, KnownLayout, Immutable, Clone, Copy, Debug, PartialEq)]
#[repr(C)]
struct Reading {
    timestamp_ns: u64,
    sensor: u32,
    flags: u32,
    value: f64,
}

const FLAG_CORRECTED: u32 = 1;
const BATCHES: u64 = 100;
const PER_BATCH: u64 = 10_000;
const PERIOD_NS: u64 = 1_000_000; // one reading per millisecond

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let path = match std::env::args_os().nth(1) {
        Some(p) => p.into(),
        None => dir.path().join("sensors.recs"),
    };

    // Append in batches; after each `flush` returns, the batch survives a
    // crash or power loss.
    let start = Instant::now();
    let mut log: Store<Reading> = OpenOptions::new().create(true).open(&path)?;
    let first = log.len() as u64;
    for batch in 0..BATCHES {
        let base = first + batch * PER_BATCH;
        log.extend((base..base + PER_BATCH).map(|i| Reading {
            timestamp_ns: i * PERIOD_NS,
            sensor: (i % 16) as u32,
            flags: 0,
            value: 20.0 + (i as f64 * 0.001).sin(),
        }))?;
        log.flush()?;
    }
    let elapsed = start.elapsed();
    println!(
        "appended {} readings in {BATCHES} durable batches in {elapsed:.1?} ({:.1?} per flushed batch)",
        BATCHES * PER_BATCH,
        elapsed / BATCHES as u32
    );
    drop(log);

    // Reopen and find one second of readings by binary search: no index,
    // no copy, O(log n) on the mapped slice.
    let mut log = Store::<Reading>::open(&path)?;
    let (from, to) = (500 * 1_000 * PERIOD_NS, 501 * 1_000 * PERIOD_NS);
    let all = &log[..];
    let lo = all.partition_point(|r| r.timestamp_ns < from);
    let hi = all.partition_point(|r| r.timestamp_ns < to);
    let window = &all[lo..hi];
    let mean = window.iter().map(|r| r.value).sum::<f64>() / window.len() as f64;
    println!(
        "{} readings; second 500 is records {lo}..{hi}: {} readings, mean {mean:.4}",
        all.len(),
        window.len()
    );

    // Correct one reading in place, and commit the correction durably.
    let bad = lo + 7;
    let before = all[bad];
    let fixed = log.get_mut(bad)?;
    fixed.value = 21.5;
    fixed.flags |= FLAG_CORRECTED;
    log.flush()?;
    println!(
        "corrected record {bad}: {:.4} -> {:.4}",
        before.value, log[bad].value
    );

    log.verify()?;
    println!("verified: every checksum matches");
    Ok(())
}
