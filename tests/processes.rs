//! Guards what only separate processes can show: a second writer process is
//! locked out (and of writers racing to open, exactly one wins); reader
//! processes follow a writer's publishes and never see a torn or
//! unpublished record; a writer killed with SIGKILL at random moments never
//! loses an acknowledged flush; a full disk is an error, not a SIGBUS, and
//! the store survives it; permissions are errors with the path; a file
//! truncated under a reader shrinks its view instead of crashing it; a
//! reader process holding a borrowed record makes the writer's in-place
//! changes refused (allowed once it exits), and a reader process opening
//! while an in-place update is uncommitted is refused (the sharing rule).
//!
//! This file has its own `main` (harness = false): the binary re-executes
//! itself as the child writer or reader, chosen by an environment variable.
//! Tests are written inside `tests!`, which also makes the list `main` runs
//! (`--list` prints it, a name argument filters it).

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
            "racer" => racer(&path),
            "filler" => filler(&path),
            "unprivileged" => unprivileged(&path),
            "borrower" => borrower(&path),
            "opener" => opener(&path),
            other => panic!("unknown role {other}"),
        }
        return;
    }
    if std::env::args().any(|a| a == "--list") {
        for (name, _) in TESTS {
            println!("{name}: test");
        }
        return;
    }
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let (mut passed, mut failed) = (0, 0);
    for &(name, test) in TESTS {
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
        let changed = reader.refresh().unwrap();
        if changed {
            refreshes += 1;
        }
        let all = &reader[..];
        // Every record up to the published count is whole and correct.
        // New records every time; all of them every 16th refresh, so a
        // published record that changed after it was seen is caught too.
        let from = if changed && refreshes % 16 == 0 {
            0
        } else {
            checked_upto
        };
        for (i, r) in all.iter().enumerate().skip(from) {
            assert_eq!(*r, reading(i as u64), "record {i} torn or wrong");
        }
        checked_upto = all.len();
    }
    reader.verify().unwrap();
    println!("{} {refreshes}", reader.len());
}

/// Opens a reader, borrows record 0, says so, and holds the borrow until
/// stdin closes; then prints whether the record is still what it saw.
fn borrower(path: &Path) {
    let reader = Reader::<Reading>::open(path).unwrap();
    let record: &Reading = reader.first().unwrap();
    let seen = *record;
    println!("borrowing");
    std::io::stdout().flush().unwrap();
    let _ = std::io::stdin().read_to_end(&mut Vec::new());
    println!(
        "{}",
        if *record == seen {
            "unchanged"
        } else {
            "changed"
        }
    );
}

/// Tries to open a reader; prints "opened", "in-progress" or the error.
fn opener(path: &Path) {
    match Reader::<Reading>::open(path) {
        Ok(r) => println!("opened {}", r[5].value),
        Err(Error::UpdateInProgress { .. }) => println!("in-progress"),
        Err(e) => println!("error {e}"),
    }
}

/// Waits for "go" on stdin, then tries to open the store for writing;
/// prints "won" (and holds it until stdin closes: the test closes it once
/// every racer has answered, so no loser can come after the winner let go)
/// or "locked".
fn racer(path: &Path) {
    let mut line = String::new();
    std::io::stdin().read_line(&mut line).unwrap();
    match Store::<Reading>::open(path) {
        Ok(_store) => {
            println!("won");
            std::io::stdout().flush().unwrap();
            let _ = std::io::stdin().read_to_end(&mut Vec::new());
        }
        Err(Error::Locked { .. }) => println!("locked"),
        Err(e) => println!("error {e}"),
    }
}

/// Runs under a file size limit (RLIMIT_FSIZE, SIGXFSZ ignored): appends
/// and flushes until the disk is "full", then checks it is still alive and
/// its store usable. Prints the last flushed count and the error.
fn filler(path: &Path) {
    let mut store = Store::<Reading>::open(path).unwrap();
    let mut flushed = store.len();
    let error = loop {
        let n = store.len() as u64;
        let batch: Vec<Reading> = (n..n + 5000).map(reading).collect();
        if let Err(e) = store.extend_from_slice(&batch) {
            break e;
        }
        if let Err(e) = store.flush() {
            break e;
        }
        flushed = store.len();
    };
    // Still running: the failed growth changed nothing, and the store works.
    assert_eq!(store.len(), flushed, "a failed append appends nothing");
    store.verify().unwrap();
    store.close().unwrap();
    println!("{flushed}");
    println!("{error}");
}

/// Run as user `nobody`: every refused operation is an error naming the path.
fn unprivileged(path: &Path) {
    let dir = path.parent().unwrap();
    match Store::<Reading>::open(path) {
        Err(Error::Io { io, path: p, .. }) if io.kind() == std::io::ErrorKind::PermissionDenied => {
            assert_eq!(p, path)
        }
        other => panic!("open for writing a file nobody may write: {other:?}"),
    }
    assert_eq!(
        Store::<Reading>::open_read_only(path).unwrap().len(),
        10,
        "reading is allowed"
    );
    match Store::<Reading>::create(dir.join("new.recs")) {
        Err(e @ Error::Io { .. }) => {
            assert!(e.to_string().contains("create a temporary file in"), "{e}")
        }
        other => panic!("create in a read-only directory: {other:?}"),
    }
    match Store::<Reading>::open_read_only(dir) {
        Err(e @ Error::Io { .. }) => assert!(
            e.to_string().contains("not a regular file") || e.to_string().contains("directory"),
            "{e}"
        ),
        other => panic!("open a directory: {other:?}"),
    }
    println!("ok");
}

/// One writer appending `target` records in batches of varied size (mostly
/// publishes, a durable commit every tenth batch, growth from capacity 1)
/// while `readers` follower processes check every record they see. Returns
/// each follower's output: the count it reached and its refreshes.
fn writer_with_followers(readers: usize, target: u64) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.recs");
    let mut store = OpenOptions::new()
        .create_new(true)
        .initial_capacity(1)
        .open::<Reading>(&path)
        .unwrap();
    let mut followers: Vec<Child> = (0..readers).map(|_| child("follower", &path)).collect();
    for f in &mut followers {
        writeln!(f.stdin.as_mut().unwrap(), "{target}").unwrap();
    }
    let (mut n, mut round) = (0u64, 0u64);
    while n < target {
        let batch = (1 + (round * 7919) % 2500).min(target - n);
        // Append, then commit: unpublished records must stay invisible.
        store
            .extend_from_slice(&(n..n + batch).map(reading).collect::<Vec<_>>())
            .unwrap();
        n += batch;
        if round % 10 == 9 {
            store.flush()
        } else {
            store.publish()
        }
        .unwrap();
        round += 1;
    }
    followers
        .into_iter()
        .map(|f| {
            let out = f.wait_with_output().unwrap();
            assert!(
                out.status.success(),
                "a reader failed (torn or wrong record, or a crash)"
            );
            String::from_utf8(out.stdout).unwrap()
        })
        .collect()
}

// ---- tests ----

/// Defines the tests and `TESTS`, the list `main` runs, in one place: a
/// test cannot be written and left out of the run. (A function outside
/// this macro is not a test; unused, it fails the build's dead-code lint.)
macro_rules! tests {
    ($($(#[$attr:meta])* fn $name:ident() $body:block)*) => {
        $($(#[$attr])* fn $name() $body)*
        const TESTS: &[(&str, fn())] = &[$((stringify!($name), $name as fn())),*];
    };
}

tests! {
    fn of_writers_racing_to_open_exactly_one_wins() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.recs");
        Store::<Reading>::create(&path).unwrap();
        for _ in 0..5 {
            let mut racers: Vec<Child> = (0..4).map(|_| child("racer", &path)).collect();
            for r in &mut racers {
                writeln!(r.stdin.as_mut().unwrap(), "go").unwrap();
            }
            // Every racer answers while the winner still holds the store
            // (it waits for its stdin to close): a handshake, not a delay.
            let outcomes: Vec<String> = racers
                .iter_mut()
                .map(|r| {
                    let mut line = String::new();
                    BufReader::new(r.stdout.as_mut().unwrap())
                        .read_line(&mut line)
                        .unwrap();
                    line.trim().to_string()
                })
                .collect();
            for mut r in racers {
                drop(r.stdin.take());
                assert!(r.wait().unwrap().success());
            }
            assert_eq!(
                outcomes.iter().filter(|o| *o == "won").count(),
                1,
                "{outcomes:?}"
            );
            assert_eq!(
                outcomes.iter().filter(|o| *o == "locked").count(),
                3,
                "{outcomes:?}"
            );
        }
        Store::<Reading>::open(&path).unwrap().verify().unwrap();
    }


    fn four_reader_processes_follow_one_writer() {
        let target = 500_000u64;
        for text in writer_with_followers(4, target) {
            assert!(text.starts_with(&target.to_string()), "{text}");
        }
    }

    fn a_full_disk_is_an_error_and_the_store_survives() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.recs");
        let mut s = Store::<Reading>::create(&path).unwrap();
        s.extend((0..1000).map(reading)).unwrap();
        s.close().unwrap();
        // A file size limit stands in for a full disk: growth past it fails with
        // EFBIG, as it would with ENOSPC. SIGXFSZ is ignored, as a server would.
        let limit_kib = 3 * 1024;
        let out = Command::new("sh")
            .arg("-c")
            .arg(format!(
                "trap '' XFSZ; ulimit -f {}; exec \"$0\"",
                limit_kib
            ))
            .arg(std::env::current_exe().unwrap())
            .env(ROLE, "filler")
            .env(PATH, &path)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "the writer died (SIGBUS?): {:?}\n{text}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        let mut lines = text.lines();
        let flushed: usize = lines.next().unwrap().parse().unwrap();
        let error = lines.next().unwrap();
        assert!(
            error.contains("cannot grow") && error.contains("File too large"),
            "{error}"
        );
        assert!(flushed >= 1000, "{flushed}");
        // Space is back: every committed record is intact and the store grows.
        let mut s = Store::<Reading>::open(&path).unwrap();
        assert_eq!(s.len(), flushed);
        assert!(s.iter().enumerate().all(|(i, r)| *r == reading(i as u64)));
        s.verify().unwrap();
        let n = s.len() as u64;
        s.extend((n..n + 200_000).map(reading)).unwrap();
        s.close().unwrap();
        Store::<Reading>::open_read_only(&path)
            .unwrap()
            .verify()
            .unwrap();
    }

    fn permissions_are_errors_with_the_path() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.recs");
        let mut s = Store::<Reading>::create(&path).unwrap();
        s.extend((0..10).map(reading)).unwrap();
        s.close().unwrap();
        // Owned by root: readable by everyone, writable by no one else; the
        // directory is not writable by others either.
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        // Root ignores permissions, so the checks run as `nobody` (setpriv is
        // part of util-linux; its absence fails this test rather than skip it).
        // A copy of this binary where `nobody` can reach it, wherever the
        // checkout is (its parent directories may be closed to others).
        let exe = dir.path().join("processes-test");
        std::fs::copy(std::env::current_exe().unwrap(), &exe).unwrap();
        std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(0o755)).unwrap();
        let out = Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(&exe)
            .env(ROLE, "unprivileged")
            .env(PATH, &path)
            .output()
            .expect("setpriv (util-linux) runs the permission checks as nobody");
        assert!(
            out.status.success(),
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "ok");
    }

    fn truncation_under_a_reader_shrinks_its_view() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.recs");
        let mut s = Store::<Reading>::create(&path).unwrap();
        s.extend((0..10_000).map(reading)).unwrap();
        s.close().unwrap();
        let mut reader = Reader::<Reading>::open(&path).unwrap();
        assert_eq!(reader.len(), 10_000);
        // Another program cuts the file to its header (12288 bytes in format
        // 1.2) and 100 records.
        let status = Command::new("truncate")
            .arg("--size")
            .arg((12_288 + 100 * 24).to_string())
            .arg(&path)
            .status()
            .expect("coreutils truncate");
        assert!(status.success());
        match reader.refresh() {
            Err(Error::FileTooSmall { len, .. }) => assert_eq!(len, 12_288 + 100 * 24),
            other => panic!("refresh must report the truncation: {other:?}"),
        }
        // The view now holds only records still in the file: reading them is
        // safe (no SIGBUS) and they are right.
        assert_eq!(reader.len(), 100);
        assert!(reader
            .iter()
            .enumerate()
            .all(|(i, r)| *r == reading(i as u64)));
    }

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
        let target = 300_000u64;
        let text = writer_with_followers(1, target).remove(0);
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
        let first_ack: usize = line.trim().parse().unwrap();
        let mut reader = Reader::<Reading>::open(&path).unwrap();
        let mut seen = reader.len();
        assert!(seen >= first_ack, "a reader sees every acknowledged flush");
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
        reader.verify().unwrap();
    }

    fn sigkill_never_loses_an_acknowledged_flush() {
        // 200 kills by default (CI); RECSTORE_KILLS=2000 for a long run.
        let kills: u64 = std::env::var("RECSTORE_KILLS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(200);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.recs");
        let mut rng = common::Rng(0x9e37_79b9_7f4a_7c15);
        let mut last_ack = 0u64;
        for round in 0..kills {
            // A fresh store every 25 kills keeps each check quick.
            if round % 25 == 0 {
                let _ = std::fs::remove_file(&path);
                last_ack = 0;
            }
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
            std::thread::sleep(Duration::from_micros(rng.next() % 40_000));
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

    fn a_reader_process_borrowing_a_record_refuses_in_place_changes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.recs");
        let mut store = Store::<Reading>::create(&path).unwrap();
        store.extend((0..100).map(reading)).unwrap();
        store.flush().unwrap();
        let mut reader = child("borrower", &path);
        let mut out = BufReader::new(reader.stdout.take().unwrap());
        let mut line = String::new();
        out.read_line(&mut line).unwrap();
        assert_eq!(line.trim(), "borrowing");

        for e in [
            store.get_mut(0).map(drop).unwrap_err(),
            store.as_mut_slice().map(drop).unwrap_err(),
            store.truncate(10).unwrap_err(),
        ] {
            assert!(matches!(e, Error::ReadersPresent { .. }), "{e:?}");
        }
        // Appends go on while the reader process is there.
        store.push(&reading(100)).unwrap();
        store.flush().unwrap();

        drop(reader.stdin.take());
        line.clear();
        out.read_to_string(&mut line).unwrap();
        assert!(reader.wait().unwrap().success());
        assert_eq!(line.trim(), "unchanged");
        // The reader process is gone (its lock with it): the update works.
        store.get_mut(0).unwrap().value = -1.0;
        store.close().unwrap();
        let after = Store::<Reading>::open_read_only(&path).unwrap();
        assert_eq!(after[0].value, -1.0);
        assert_eq!(after.len(), 101);
    }

    fn a_reader_process_opening_during_an_in_place_update_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.recs");
        let mut store = Store::<Reading>::create(&path).unwrap();
        store.extend((0..10).map(reading)).unwrap();
        store.flush().unwrap();
        store.get_mut(5).unwrap().value = 99.0;
        let opened = |path: &Path| {
            let child = child("opener", path);
            let out = child.wait_with_output().unwrap();
            String::from_utf8(out.stdout).unwrap().trim().to_string()
        };
        assert_eq!(opened(&path), "in-progress");
        store.publish().unwrap();
        assert_eq!(opened(&path), "opened 99");
    }
}
