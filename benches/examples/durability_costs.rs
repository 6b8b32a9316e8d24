//! The costs issue 12 asks to state, as ratios in one run:
//! - a writer's open of a 1 GiB store (it syncs the file and reserves its
//!   blocks before it trusts a slot) against a read-only open;
//! - a reader's refresh that picks up a one-sync commit without a boot id
//!   (it checks what the commit added, once) against one with a boot id.
//!
//! `cargo run --release -p recstore-bench --example durability_costs [DIR]`
use std::time::{Duration, Instant};

use recstore::{OpenOptions, Store};
use recstore_bench::Vertex;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn time(runs: usize, mut f: impl FnMut()) -> Duration {
    median(
        (0..runs)
            .map(|_| {
                let t = Instant::now();
                f();
                t.elapsed()
            })
            .collect(),
    )
}

fn main() {
    let dir = std::env::args()
        .nth(1)
        .map(std::path::PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    let tmp = tempfile::tempdir_in(dir).unwrap();
    let path = tmp.path().join("big.recs");
    let v = Vertex {
        position: [1.0; 3],
        color: [2; 3],
        _pad: [0; 2],
    };
    let n = (1usize << 30) / 20;
    let mut s = Store::<Vertex>::create(&path).unwrap();
    let batch = vec![v; 1 << 20];
    while s.len() < n {
        s.extend_from_slice(&batch[..(n - s.len()).min(batch.len())])
            .unwrap();
    }
    s.close().unwrap();
    let ro = time(21, || drop(Store::<Vertex>::open_read_only(&path).unwrap()));
    let rw = time(21, || drop(Store::<Vertex>::open(&path).unwrap()));
    println!(
        "open of a 1 GiB store: read-only {ro:?}, read-write (sync + reserve) {rw:?}: {:.1}x",
        rw.as_secs_f64() / ro.as_secs_f64()
    );

    // One-sync commits of 10^4 records, followed by a reader.
    for unknown in [false, true] {
        let p = tmp.path().join(format!("follow-{unknown}.recs"));
        let mut o = OpenOptions::new();
        o.create_new(true);
        if unknown {
            o.unknown_boot_id();
        }
        let mut w = o.open::<Vertex>(&p).unwrap();
        let mut r = {
            let mut o = OpenOptions::new();
            if unknown {
                o.unknown_boot_id();
            }
            o.open_reader::<Vertex>(&p).unwrap()
        };
        let batch = vec![v; 10_000];
        let (mut commit, mut refresh, mut idle) = (vec![], vec![], vec![]);
        for _ in 0..200 {
            w.extend_from_slice(&batch).unwrap();
            let t = Instant::now();
            w.flush().unwrap();
            commit.push(t.elapsed());
            let t = Instant::now();
            assert!(r.refresh().unwrap());
            refresh.push(t.elapsed());
            let t = Instant::now();
            assert!(!r.refresh().unwrap());
            idle.push(t.elapsed());
        }
        println!(
            "boot id {}: flush of 10^4 records {:?}, refresh that sees it {:?}, refresh with nothing new {:?}",
            if unknown { "unknown" } else { "known  " },
            median(commit),
            median(refresh),
            median(idle)
        );
    }
}
