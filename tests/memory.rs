//! Guards zero-copy: opening and scanning a store costs no anonymous
//! memory in proportion to its size. The records are file-backed pages of
//! the mapping (RssFile grows, proving the scan touched them); RssAnon,
//! what a parse or copy would cost, stays flat.
//!
//! One test in its own process, so no other test allocates meanwhile.
//! `RECSTORE_MEMORY_MIB=4096` runs it on a 4 GiB store.

mod common;

use common::Vertex;
use recstore::{OpenOptions, Store};

/// A field of /proc/self/status, in KiB.
fn status_kib(field: &str) -> u64 {
    let status =
        std::fs::read_to_string("/proc/self/status").expect("Linux /proc is needed for this test");
    status
        .lines()
        .find_map(|l| {
            l.strip_prefix(field)?
                .trim()
                .strip_suffix("kB")?
                .trim()
                .parse()
                .ok()
        })
        .unwrap_or_else(|| panic!("no {field} in /proc/self/status"))
}

#[test]
fn scanning_a_store_costs_no_anonymous_memory() {
    let mib: u64 = std::env::var("RECSTORE_MEMORY_MIB")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(64);
    let n = (mib << 20) / 20;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.recs");
    {
        let mut s = OpenOptions::new()
            .create_new(true)
            .initial_capacity(n as usize)
            .open::<Vertex>(&path)
            .unwrap();
        let batch: Vec<Vertex> = (0..1u64 << 16).map(common::vertex).collect();
        let mut left = n;
        while left > 0 {
            let k = left.min(batch.len() as u64) as usize;
            s.extend_from_slice(&batch[..k]).unwrap();
            left -= k as u64;
        }
        s.close().unwrap();
    }
    let (anon0, file0) = (status_kib("RssAnon:"), status_kib("RssFile:"));
    let store = Store::<Vertex>::open_read_only(&path).unwrap();
    let sum: u64 = store.iter().map(|v| u64::from(v.color[0])).sum();
    let (anon1, file1) = (status_kib("RssAnon:"), status_kib("RssFile:"));
    store.verify().unwrap();
    let anon2 = status_kib("RssAnon:");
    let hwm = status_kib("VmHWM:");
    println!(
        "{mib} MiB store: RssAnon {anon0} -> {anon1} KiB after scan, {anon2} KiB after verify; \
         RssFile {file0} -> {file1} KiB; VmHWM {hwm} KiB; sum {sum}"
    );
    assert!(
        anon1.saturating_sub(anon0) < 2048,
        "the scan allocated {} KiB",
        anon1 - anon0
    );
    assert!(
        anon2.saturating_sub(anon0) < 2048,
        "verify allocated {} KiB",
        anon2 - anon0
    );
    // The scan really read the pages (or the page cache had dropped them,
    // on a small machine: then at least the check is stated).
    assert!(file1 > file0, "the scan should have mapped file pages");
}
