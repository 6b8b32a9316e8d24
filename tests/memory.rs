//! Guards zero-copy: opening and scanning a store costs no anonymous
//! memory in proportion to its size. The records are file-backed pages of
//! the mapping (RssFile grows, proving the scan touched them); RssAnon,
//! what a parse or copy would cost, stays flat. Nor does a copy-on-write
//! handle that changes and grows a large store copy it: it pays for what
//! it changes, and asks for no memory as long as the file up front (a store
//! larger than memory takes a change).
//!
//! Tests in their own process, one at a time (`ONE_AT_A_TIME`), so no
//! other test allocates meanwhile. `RECSTORE_MEMORY_MIB=4096` runs the
//! scan on a 4 GiB store.

mod common;

use std::path::Path;
use std::sync::Mutex;

use common::Vertex;
use recstore::{OpenOptions, Store};

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

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

/// A store of `n` records, full (its capacity is `n`).
fn full_store(path: &Path, n: u64) {
    let mut s = OpenOptions::new()
        .create_new(true)
        .initial_capacity(n as usize)
        .open::<Vertex>(path)
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

#[test]
fn scanning_a_store_costs_no_anonymous_memory() {
    let _alone = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let mib: u64 = std::env::var("RECSTORE_MEMORY_MIB")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(64);
    let n = (mib << 20) / 20;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.recs");
    full_store(&path, n);
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

/// A copy-on-write handle's first change copied the whole file into
/// anonymous memory, and its growth copied that again (a 400 MB store
/// took 390 MB and more): now the records it does not change stay the
/// file's pages, and growth maps new memory without a copy.
#[test]
fn a_copy_on_write_store_that_grows_costs_what_it_changes() {
    let _alone = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let n = 20_000_000u64; // 400 MB of records
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cow.recs");
    full_store(&path, n);
    let file_len = std::fs::metadata(&path).unwrap().len();

    let anon0 = status_kib("RssAnon:");
    let mut s = OpenOptions::new()
        .copy_on_write()
        .open::<Vertex>(&path)
        .unwrap();
    assert_eq!((s.len() as u64, s.capacity() as u64), (n, n));
    // One record more: the first change, and growth past the capacity.
    s.push(&common::vertex(n)).unwrap();
    assert!(s.capacity() as u64 > n);
    // And one changed in place, among the file's pages.
    s.get_mut(7).unwrap().color = [1, 2, 3];
    let anon1 = status_kib("RssAnon:");
    println!("400 MB copy-on-write store grown by one record: RssAnon {anon0} -> {anon1} KiB");
    assert!(
        anon1.saturating_sub(anon0) < 16 << 10,
        "growing a copy-on-write store by one record took {} KiB of anonymous memory",
        anon1 - anon0
    );
    // It sees its own changes and the file's records.
    assert_eq!(s.len() as u64, n + 1);
    assert!(s[n as usize] == common::vertex(n));
    assert_eq!(s[7].color, [1, 2, 3]);
    // (`full_store` writes records 0..65536 over and over.)
    for i in [0, 6, 8, 4096, n / 2, n - 1] {
        assert!(s[i as usize] == common::vertex(i % (1 << 16)), "record {i}");
    }
    s.verify().unwrap();
    drop(s);
    // The file never saw any of it.
    assert_eq!(std::fs::metadata(&path).unwrap().len(), file_len);
    let r = Store::<Vertex>::open_read_only(&path).unwrap();
    assert_eq!(r.len() as u64, n);
    assert!(r[7] == common::vertex(7));
}

/// A copy-on-write handle's first change asks the kernel for address space
/// only, not for memory as long as the file: a store whose file is longer
/// than the machine's memory and swap (here 1 TiB, sparse: a large capacity
/// costs the same) still takes a change, where a mapping charged in full
/// is refused with "cannot allocate memory" by the kernel's overcommit
/// check.
#[test]
fn a_copy_on_write_change_of_a_store_larger_than_memory() {
    let _alone = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("long.recs");
    let mut writer = Store::<Vertex>::create(&path).unwrap();
    writer.extend((0..10).map(common::vertex)).unwrap();
    writer.close().unwrap();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .unwrap()
        .set_len(1 << 40)
        .unwrap();
    let mut s = OpenOptions::new()
        .copy_on_write()
        .open::<Vertex>(&path)
        .unwrap();
    s.push(&common::vertex(10)).unwrap();
    s.get_mut(3).unwrap().color = [1, 2, 3];
    assert_eq!((s.len(), s[3].color), (11, [1, 2, 3]));
    assert!(s[10] == common::vertex(10));
    s.verify().unwrap();
}
