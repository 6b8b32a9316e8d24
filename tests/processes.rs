//! Guards what only separate processes can show: a second writer process is
//! locked out, a reader process follows a writer's publishes and never sees
//! a torn or unpublished record, and a writer killed with SIGKILL at random
//! moments never loses an acknowledged flush.
//!
//! This file has its own `main` (harness = false): the binary re-executes
//! itself as the child writer or reader, chosen by an environment variable.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{reading, Reading};
use recstore::{Error, OpenOptions, Reader, Store};

const ROLE: &str = "RECSTORE_TEST_ROLE";
const PATH: &str = "RECSTORE_TEST_PATH";

fn main() {
    if let Ok(role) = std::env::var(ROLE) {
        let path = PathBuf::from(std::env::var(PATH).unwrap());
        match role.as_str() {
            "hold-lock" => hold_lock(&path),
            "appender" => appender(&path),
            "follower" => follower(&path),
            other => panic!("unknown role {other}"),
        }
        return;
    }
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let tests: [(&str, fn()); 4] = [
        (
            "a_second_writer_process_is_locked_out",
            a_second_writer_process_is_locked_out,
        ),
        (
            "a_reader_process_follows_a_writer",
            a_reader_process_follows_a_writer,
        ),
        (
            "a_reader_follows_a_writer_process",
            a_reader_follows_a_writer_process,
        ),
        (
            "sigkill_never_loses_an_acknowledged_flush",
            sigkill_never_loses_an_acknowledged_flush,
        ),
    ];
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let (mut passed, mut failed) = (0, 0);
    for (name, test) in tests {
        if !filter.is_empty() && !filter.iter().any(|f| name.contains(f.as_str())) {
            continue;
        }
        let start = Instant::now();
        match std::panic::catch_unwind(test) {
            Ok(()) => {
                passed += 1;
                println!("test {name} ... ok ({:.1?})", start.elapsed());
            }
            Err(_) => {
                failed += 1;
                println!("test {name} ... FAILED");
            }
        }
    }
    println!("{passed} passed, {failed} failed");
    if failed > 0 {
        std::process::exit(1);
    }
}

fn child(role: &str, path: &Path) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .env(ROLE, role)
        .env(PATH, path)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap()
}

// ---- child roles ----

/// Opens the store read-write, says so, and holds it until stdin closes.
fn hold_lock(path: &Path) {
    let _store = Store::<Reading>::open(path).unwrap();
    println!("locked");
    std::io::stdout().flush().unwrap();
    let _ = std::io::stdin().read_to_end(&mut Vec::new());
}

/// Appends batches forever: after each `flush` returns, prints the count
/// (an acknowledgement); some batches are only published. Batches vary in
/// size so that growth, chunk boundaries and commits interleave.
fn appender(path: &Path) {
    let mut store = OpenOptions::new()
        .create(true)
        .initial_capacity(16)
        .open::<Reading>(path)
        .unwrap();
    let mut out = std::io::stdout().lock();
    let mut step = store.len() as u64;
    loop {
        let n = store.len() as u64;
        let batch = 1 + (step * 7919) % 3000;
        let records: Vec<Reading> = (n..n + batch).map(reading).collect();
        store.extend_from_slice(&records).unwrap();
        if step.is_multiple_of(3) {
            store.publish().unwrap();
        } else {
            store.flush().unwrap();
            writeln!(out, "{}", store.len()).unwrap();
            out.flush().unwrap();
        }
        step += 1;
    }
}

/// Follows the store until it holds the count given on stdin, checking
/// every visible record after every refresh; prints what it saw.
fn follower(path: &Path) {
    let mut line = String::new();
    std::io::stdin().read_line(&mut line).unwrap();
    let target: usize = line.trim().parse().unwrap();
    let mut reader = Reader::<Reading>::open(path).unwrap();
    let (mut refreshes, mut checked_upto) = (0u64, 0usize);
    let deadline = Instant::now() + Duration::from_secs(60);
    while reader.len() < target && Instant::now() < deadline {
        if reader.refresh().unwrap() {
            refreshes += 1;
        }
        let all = reader.as_slice();
        // Every record up to the published count is whole and correct.
        for (i, r) in all.iter().enumerate().skip(checked_upto) {
            assert_eq!(*r, reading(i as u64), "record {i} torn or wrong");
        }
        checked_upto = all.len();
    }
    reader.verify().unwrap();
    println!("{} {refreshes}", reader.len());
}

// ---- tests ----

fn a_second_writer_process_is_locked_out() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.recs");
    Store::<Reading>::create(&path)
        .unwrap()
        .push(&reading(0))
        .unwrap();
    let mut holder = child("hold-lock", &path);
    let mut line = String::new();
    BufReader::new(holder.stdout.as_mut().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert_eq!(line.trim(), "locked");
    match Store::<Reading>::open(&path) {
        Err(Error::Locked { .. }) => {}
        other => panic!("expected Locked, got {other:?}"),
    }
    // Readers are not blocked by the writer.
    assert_eq!(Reader::<Reading>::open(&path).unwrap().len(), 1);
    drop(holder.stdin.take());
    assert!(holder.wait().unwrap().success());
    Store::<Reading>::open(&path).unwrap();
}

fn a_reader_process_follows_a_writer() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.recs");
    let mut store = OpenOptions::new()
        .create_new(true)
        .initial_capacity(1)
        .open::<Reading>(&path)
        .unwrap();
    let target = 300_000u64;
    let mut follower = child("follower", &path);
    writeln!(follower.stdin.as_mut().unwrap(), "{target}").unwrap();
    let mut n = 0;
    while n < target {
        let batch = (1 + n % 977).min(target - n);
        // Append, then publish: unpublished records must stay invisible.
        store
            .extend_from_slice(&(n..n + batch).map(reading).collect::<Vec<_>>())
            .unwrap();
        n += batch;
        store.publish().unwrap();
    }
    let out = follower.wait_with_output().unwrap();
    assert!(out.status.success(), "follower failed");
    let text = String::from_utf8(out.stdout).unwrap();
    let mut parts = text.split_whitespace();
    assert_eq!(parts.next().unwrap().parse::<u64>().unwrap(), target);
    let refreshes: u64 = parts.next().unwrap().parse().unwrap();
    assert!(refreshes >= 1, "{text}");
}

fn a_reader_follows_a_writer_process() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.recs");
    let mut writer = child("appender", &path);
    let mut acks = BufReader::new(writer.stdout.take().unwrap());
    let mut line = String::new();
    acks.read_line(&mut line).unwrap();
    let mut reader = Reader::<Reading>::open(&path).unwrap();
    let mut seen = reader.len();
    let deadline = Instant::now() + Duration::from_secs(2);
    while Instant::now() < deadline {
        reader.refresh().unwrap();
        assert!(reader.len() >= seen, "a reader never goes back");
        for (i, r) in reader.iter().enumerate().skip(seen) {
            assert_eq!(*r, reading(i as u64));
        }
        seen = reader.len();
    }
    writer.kill().unwrap();
    writer.wait().unwrap();
    assert!(seen > 0);
    reader.verify().unwrap();
}

fn sigkill_never_loses_an_acknowledged_flush() {
    let kills: u64 = std::env::var("RECSTORE_KILLS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(40);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.recs");
    let mut rng = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let mut last_ack = 0u64;
    for round in 0..kills {
        let mut writer = child("appender", &path);
        let stdout = writer.stdout.take().unwrap();
        let reader_thread = std::thread::spawn(move || {
            let mut acks = Vec::new();
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                acks.push(line.trim().parse::<u64>().unwrap());
            }
            acks
        });
        std::thread::sleep(Duration::from_micros(next() % 40_000));
        writer.kill().unwrap(); // SIGKILL
        writer.wait().unwrap();
        let acks = reader_thread.join().unwrap();
        if let Some(&a) = acks.last() {
            last_ack = a;
        }
        if last_ack == 0 && !path.exists() {
            // Killed before the store was created: creation is atomic (built
            // beside its place and linked in), so there is no half-made file.
            continue;
        }
        let store = Store::<Reading>::open(&path).unwrap_or_else(|e| panic!("round {round}: {e}"));
        assert!(
            store.len() as u64 >= last_ack,
            "round {round}: {} records, but {last_ack} were acknowledged",
            store.len()
        );
        for (i, r) in store.iter().enumerate() {
            assert_eq!(*r, reading(i as u64), "round {round}: record {i}");
        }
        store
            .verify()
            .unwrap_or_else(|e| panic!("round {round}: {e}"));
        last_ack = store.len() as u64;
    }
    println!("    {kills} kills, final count {last_ack}");
}
