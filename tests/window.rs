//! Guards partial mapping (issue 16, item 3): a reader opened on a window
//! of records (`OpenOptions::window(a..b)`) must show exactly the records
//! `a..b` of the whole store (index 0 = record `a`), for any window,
//! chunk-aligned or not, empty or whole, mapped or loaded (`mmap(false)`);
//! map (or load) only the checksum chunks overlapping it, so that it opens
//! where the whole store does not fit the address space (a child process
//! under `ulimit -v`); run the same checks on those chunks (a flipped byte
//! inside the window is found, one outside it is never read); refuse a
//! window past the committed count, and writers and copy-on-write handles
//! asking for one; hold the readers' lock as every reader does, so that the
//! writer's in-place changes wait for it; stay fixed on `refresh`; and
//! check a one-sync commit whose records lie outside it from the file.

mod common;

use std::ops::Range;
use std::path::Path;

use common::{patch, reading, vertex, vertex_store, Reading, Rng, Vertex};
use recstore::{Error, ErrorKind, Mode, OpenOptions, RawStore, Reader, Store};
use zerocopy::IntoBytes;

fn window(range: impl std::ops::RangeBounds<usize>) -> OpenOptions {
    let mut o = OpenOptions::new();
    o.window(range).read_only();
    o
}

/// Bytes of the file at `path` mapped into this process, from
/// `/proc/self/maps` (0 if none).
fn mapped_bytes_of(path: &Path) -> u64 {
    let path = path.canonicalize().unwrap();
    let path = path.to_str().unwrap();
    std::fs::read_to_string("/proc/self/maps")
        .unwrap()
        .lines()
        .filter(|line| line.ends_with(path))
        .map(|line| {
            let range = line.split_whitespace().next().unwrap();
            let (a, b) = range.split_once('-').unwrap();
            u64::from_str_radix(b, 16).unwrap() - u64::from_str_radix(a, 16).unwrap()
        })
        .sum()
}

/// The bytes a window of `len` records may map: its own records, a chunk
/// on each side, and the page the first chunk starts in.
fn bound(len: usize, chunk_records: usize) -> u64 {
    ((len + 2 * chunk_records) * 20 + 4096) as u64
}

#[test]
fn windows_show_the_records_of_the_whole_store() {
    let dir = tempfile::tempdir().unwrap();
    let n: usize = 50_003;
    let path = vertex_store(dir.path(), "v.recs", n as u64);
    let full = Reader::<Vertex>::open(&path).unwrap();
    let c = full.info().chunk_records;
    assert!(n > 10 * c, "several chunks and a partial tail");
    let mut windows: Vec<Range<usize>> = vec![
        0..0,
        0..n,
        n..n,
        c..c,
        0..1,
        n - 1..n,
        c..2 * c,
        c - 1..c + 1,
        2 * c..2 * c + 1,
        3 * c - 1..3 * c,
        n / c * c..n,
        n / c * c - 1..n,
    ];
    let mut rng = Rng(0x5eed);
    for _ in 0..40 {
        let a = rng.below(n + 1);
        let b = a + rng.below(n - a + 1);
        windows.push(a..b);
    }
    for w in windows {
        let expected = &full[w.clone()];
        for mmap in [true, false] {
            let mut o = window(w.clone());
            o.mmap(mmap);
            let r = o.open_reader::<Vertex>(&path).unwrap();
            assert_eq!(r.len(), w.len(), "{w:?}");
            assert_eq!(&r[..], expected, "{w:?} mmap {mmap}");
            assert_eq!(r.get(r.len()), None, "{w:?}");
            if !w.is_empty() {
                assert_eq!(r[0], vertex(w.start as u64));
                // Records keep the alignment they have in the file.
                assert_eq!(
                    r.as_ptr() as usize % 4096,
                    (r.info().data_offset as usize + w.start * 20) % 4096
                );
            }
            let info = r.info();
            assert_eq!(info.window, Some(w.clone()));
            assert_eq!(info.len, n, "info gives the store's count");
            assert!(
                info.mapped_len <= bound(w.len(), c),
                "{w:?}: {} bytes",
                info.mapped_len
            );
            assert_eq!(info.read_path.is_mapped(), mmap);
            assert_eq!(info.file_len, full.info().file_len);

            let raw = o.open_raw(&path, None).unwrap();
            assert_eq!(raw.len(), w.len());
            assert_eq!(raw.data(), expected.as_bytes(), "{w:?}");
            assert_eq!(raw.records().count(), w.len());
            if !w.is_empty() {
                assert_eq!(raw.record(0).unwrap(), vertex(w.start as u64).as_bytes());
            }
            assert_eq!(raw.record(w.len()), None);
            raw.verify().unwrap();
        }
    }
    // Unbounded ends: `a..` runs to the count at open, `..b` from 0.
    let mut o = OpenOptions::new();
    let r = o.window(n - 5..).open_reader::<Vertex>(&path).unwrap();
    assert_eq!(&r[..], &full[n - 5..]);
    let r = o.window(..=9).open_reader::<Vertex>(&path).unwrap();
    assert_eq!(&r[..], &full[..10]);
}

#[test]
fn a_window_maps_only_the_chunks_it_needs() {
    let dir = tempfile::tempdir().unwrap();
    let n: usize = 200_000;
    let path = vertex_store(dir.path(), "v.recs", n as u64);
    let c = Reader::<Vertex>::open(&path).unwrap().info().chunk_records;
    {
        // The measure sees a whole-store reader's mapping.
        let full = Reader::<Vertex>::open(&path).unwrap();
        assert!(
            mapped_bytes_of(&path) >= n as u64 * 20,
            "whole store not seen"
        );
        drop(full);
    }
    assert_eq!(mapped_bytes_of(&path), 0);
    for w in [100_000..100_100, 12_345..67_890, c * 7..c * 8, 5..5] {
        let r = window(w.clone()).open_reader::<Vertex>(&path).unwrap();
        let mapped = mapped_bytes_of(&path);
        assert!(mapped <= bound(w.len(), c), "{w:?}: {mapped} bytes mapped");
        assert!(mapped >= w.len() as u64 * 20, "{w:?}: {mapped}");
        assert_eq!(r.info().mapped_len.div_ceil(4096) * 4096, mapped, "{w:?}");
        assert_eq!(
            r.first(),
            (w.start < w.end).then(|| vertex(w.start as u64)).as_ref()
        );
        drop(r);
        // A loaded window maps no byte of the file, and reads only its chunks.
        let mut o = window(w.clone());
        let r = o.mmap(false).open_reader::<Vertex>(&path).unwrap();
        assert_eq!(mapped_bytes_of(&path), 0);
        assert!(r.info().mapped_len <= bound(w.len(), c));
    }
}

#[test]
fn corruption_inside_the_window_is_found_and_outside_it_is_not_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = vertex_store(dir.path(), "v.recs", 30_000);
    let info = Reader::<Vertex>::open(&path).unwrap().info();
    let (data, c) = (info.data_offset as usize, info.chunk_records);
    // Flip a byte of record 4c + 10 (chunk 4).
    let bad = 4 * c + 10;
    let at = data + bad * 20 + 3;
    let byte = std::fs::read(&path).unwrap()[at];
    patch(&path, at, &[byte ^ 1]);

    for mmap in [true, false] {
        // Windows that overlap chunk 4, even by one record at its edges.
        for w in [4 * c..4 * c + 1, 5 * c - 1..5 * c, bad..bad + 1, c..6 * c] {
            let mut o = window(w.clone());
            o.mmap(mmap);
            let r = o.open_reader::<Vertex>(&path).unwrap();
            let e = r.verify().unwrap_err();
            assert!(
                matches!(e, Error::ChecksumMismatch { chunk: 4, ref records, .. } if records.contains(&(bad as u64))),
                "{w:?}: {e}"
            );
            let e = o
                .verify_on_open(true)
                .open_reader::<Vertex>(&path)
                .unwrap_err();
            assert_eq!(e.kind(), ErrorKind::ChecksumMismatch, "{w:?}");
        }
        // Windows that do not overlap it never read it.
        for w in [0..4 * c, 5 * c..30_000, 4 * c..4 * c, 7..7] {
            let mut o = window(w.clone());
            o.mmap(mmap).verify_on_open(true);
            let r = o.open_reader::<Vertex>(&path).unwrap();
            r.verify().unwrap();
            o.open_raw(&path, None).unwrap().verify().unwrap();
        }
    }
    // The whole store finds it.
    assert!(Reader::<Vertex>::open(&path).unwrap().verify().is_err());
}

#[test]
fn a_window_past_the_committed_count_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = vertex_store(dir.path(), "v.recs", 100);
    for (w, start, end) in [
        (window(90..101), 90, 101),
        (window(100..101), 100, 101),
        (window(101..), 101, 100),
        (window(200..300), 200, 300),
        (window(Range { start: 5, end: 3 }), 5, 3),
    ] {
        let e = w.open_reader::<Vertex>(&path).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::OutOfBounds);
        match &e {
            Error::WindowOutOfRange {
                start: s,
                end: b,
                count: 100,
                ..
            } => assert_eq!((*s, *b), (start, end)),
            other => panic!("expected WindowOutOfRange, got {other:?}"),
        }
        let text = e.to_string();
        assert!(
            text.contains("100 committed records") && text.contains("inside 0..100"),
            "{text}"
        );
        assert!(w.open_raw(&path, None).is_err());
    }
    // An empty store: only the empty window, and the error says so.
    let empty = dir.path().join("e.recs");
    Store::<Vertex>::create(&empty).unwrap().close().unwrap();
    assert_eq!(window(0..0).open_reader::<Vertex>(&empty).unwrap().len(), 0);
    let e = window(0..1).open_reader::<Vertex>(&empty).unwrap_err();
    assert!(e.to_string().contains("the store is empty"), "{e}");
}

#[test]
fn writers_and_copy_on_write_handles_refuse_a_window() {
    let dir = tempfile::tempdir().unwrap();
    let path = vertex_store(dir.path(), "v.recs", 100);
    let e = OpenOptions::new()
        .window(0..10)
        .open::<Vertex>(&path)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unsupported);
    assert!(e.to_string().contains("open it read-only"), "{e}");
    let e = window(0..10)
        .mode(Mode::CopyOnWrite)
        .open_raw(&path, None)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unsupported, "{e}");
    let e = OpenOptions::new()
        .window(0..0)
        .create(true)
        .open::<Vertex>(dir.path().join("new.recs"))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unsupported, "{e}");
    assert!(!dir.path().join("new.recs").exists());
    // Read-only handles of every kind take one.
    let s: Store<Vertex> = window(3..10).open(&path).unwrap();
    assert_eq!(&s[..], &(3..10).map(vertex).collect::<Vec<_>>()[..]);
    assert_eq!(s.mode(), Mode::ReadOnly);
    let raw = window(3..10).open_raw(&path, None).unwrap();
    assert_eq!(raw.len(), 7);
    assert!(RawStore::open(&path).is_ok(), "the window is closed");
}

#[test]
fn a_window_holds_off_in_place_changes_as_every_reader_does() {
    let dir = tempfile::tempdir().unwrap();
    let path = vertex_store(dir.path(), "v.recs", 1000);
    let mut w = Store::<Vertex>::open(&path).unwrap();
    let r = window(100..200).open_reader::<Vertex>(&path).unwrap();
    let borrowed = &r[0];
    // In place, inside the window or not: refused while it is open.
    for i in [150, 5] {
        let e = w.get_mut(i).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::ReadersPresent, "{e}");
    }
    assert_eq!(
        w.truncate(10).unwrap_err().kind(),
        ErrorKind::ReadersPresent
    );
    // Appends go on.
    w.push(&vertex(1000)).unwrap();
    w.flush().unwrap();
    assert_eq!(*borrowed, vertex(100));
    drop(r);
    w.get_mut(150).unwrap().color = [1, 2, 3];
    w.flush().unwrap();
    // A window opening while an in-place change is uncommitted is refused.
    w.get_mut(151).unwrap().color = [4, 5, 6];
    let e = window(100..200).open_reader::<Vertex>(&path).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::UpdateInProgress, "{e}");
    w.flush().unwrap();
    let r = window(150..152).open_reader::<Vertex>(&path).unwrap();
    assert_eq!((r[0].color, r[1].color), ([1, 2, 3], [4, 5, 6]));
}

#[test]
fn refresh_keeps_a_window_fixed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.recs");
    let mut w = Store::<Reading>::create(&path).unwrap();
    w.extend((0..100).map(reading)).unwrap();
    w.publish().unwrap();
    let mut bounded = window(10..20).open_reader::<Reading>(&path).unwrap();
    let mut open_ended = window(90..).open_reader::<Reading>(&path).unwrap();
    w.extend((100..100_000).map(reading)).unwrap();
    w.flush().unwrap();
    for r in [&mut bounded, &mut open_ended] {
        let before = r.to_vec();
        assert!(!r.refresh().unwrap());
        assert_eq!(&r[..], &before[..]);
        r.verify().unwrap();
    }
    assert_eq!(open_ended.len(), 10);
    // A new window sees the new commit.
    let r = window(90..).open_reader::<Reading>(&path).unwrap();
    assert_eq!(r.len(), 99_910);
    assert_eq!(r[99_909], reading(99_999));
}

/// A one-sync commit from another boot (every one, when the boot id is
/// unknown) is checked at open against the records it added, most of
/// them outside the window: they are read from the file, and the commit
/// is trusted, not rejected for being unmapped.
#[test]
fn a_window_checks_a_one_sync_commit_outside_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.recs");
    let mut o = OpenOptions::new();
    o.create_new(true).unknown_boot_id();
    let mut w = o.open::<Reading>(&path).unwrap();
    w.extend((0..10).map(reading)).unwrap();
    w.flush().unwrap();
    w.extend((10..50_000).map(reading)).unwrap();
    w.flush().unwrap();
    assert!(w.info().one_sync, "the test needs a one-sync commit");
    for mmap in [true, false] {
        let mut o = window(0..5);
        o.unknown_boot_id().mmap(mmap);
        let r = o.open_reader::<Reading>(&path).unwrap();
        assert_eq!(r.recovery(), None, "mmap {mmap}");
        assert_eq!(r.sequence(), w.sequence());
        assert_eq!(r.info().len, 50_000);
    }
    w.simulate_crash();
}

/// The store for the address-space test: a few thousand records in a file
/// made 4 GiB long (sparse: it takes no disk), which a reader of the whole
/// store maps in full.
const CHILD: &str = "RECSTORE_WINDOW_CHILD";

/// Under `ulimit -v` of 2 GiB, a window opens where the whole store cannot
/// be mapped (nor read into memory). The test re-runs itself in a child
/// process under the limit (`CHILD` set): the limit would hold the whole
/// test harness otherwise.
#[test]
fn a_window_opens_under_an_address_space_limit_the_store_exceeds() {
    if let Ok(args) = std::env::var(CHILD) {
        let (path, w) = args.split_once('|').unwrap();
        let outcome = match w.split_once("..") {
            Some((a, b)) => window(a.parse::<usize>().unwrap()..b.parse().unwrap())
                .open_reader::<Vertex>(path)
                .map(|r| r.iter().map(|v| v.color[0] as u64).sum::<u64>()),
            None => Reader::<Vertex>::open(path).map(|r| r.len() as u64),
        };
        match outcome {
            Ok(sum) => println!("CHILD-OK {sum}"),
            Err(e) => println!("CHILD-ERR {e}"),
        }
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = vertex_store(dir.path(), "big.recs", 20_000);
    let file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    file.set_len(4 << 30).unwrap();
    drop(file);
    let whole = Reader::<Vertex>::open(&path).unwrap();
    assert!(whole.info().mapped_len >= 4 << 30);
    drop(whole);
    let run = |what: &str| {
        let exe = std::env::current_exe().unwrap();
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg("ulimit -v 2097152 && exec \"$0\" \"$@\"")
            .arg(exe)
            .args([
                "--exact",
                "a_window_opens_under_an_address_space_limit_the_store_exceeds",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD, format!("{}|{what}", path.display()))
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(out.status.success(), "{what}: {stdout}");
        stdout
            .lines()
            .find_map(|l| l.find("CHILD-").map(|at| l[at..].to_string()))
            .unwrap_or_else(|| panic!("{what}: no outcome in {stdout}"))
    };
    let expected: u64 = (5_000..15_000).map(|i| vertex(i).color[0] as u64).sum();
    assert_eq!(run("5000..15000"), format!("CHILD-OK {expected}"));
    let whole = run("whole");
    assert!(whole.starts_with("CHILD-ERR"), "{whole}");
    assert!(whole.contains("memory"), "{whole}");
}
