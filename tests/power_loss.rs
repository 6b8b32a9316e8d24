//! Guards durability across a power cut, which a kill test cannot show (the
//! page cache survives a kill). The store logs every sync with a snapshot of
//! memory; from the log this test builds the disk a power cut could leave
//! just before each sync: everything synced so far, plus any subset of the
//! pages written since (each lost, kept, or torn at a 512-byte sector), at
//! the old or the new file length. After the reboot (unsynced commits carry
//! the old boot id), every such image must open at a commit no older than
//! the last acknowledged `flush`, with every record right and `verify`
//! passing: never wrong data.

mod common;

use common::Rng;
use recstore::{Error, OpenOptions, Record, Store, SyncLog};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

/// 1 KiB records: 64 make a checksum chunk, so a short workload fills
/// chunks, writes table entries, and relocates the table as it grows.
#[derive(Record, FromBytes, IntoBytes, KnownLayout, Immutable, Clone, Copy, PartialEq, Debug)]
#[repr(C)]
struct Rec {
    index: u64,
    fill: [u8; 1016],
}

fn rec(i: u64) -> Rec {
    Rec {
        index: i,
        fill: [(i % 251) as u8; 1016],
    }
}

const PAGE: usize = 4096;
const SECTOR: usize = 512;

/// Marks every unsynced or one-sync slot (flag bit 0 or 1) as written
/// before a reboot, as it is after one.
fn reboot(image: &mut [u8]) {
    for slot in common::SLOTS {
        if image.len() >= slot + 128 && image[slot + 32] & 3 != 0 {
            image[slot + 40..slot + 56].fill(0xee);
            let crc = crc32fast::hash(&image[slot..slot + 124]);
            image[slot + 124..slot + 128].copy_from_slice(&crc.to_le_bytes());
        }
    }
}

/// A record updated in place during a workload: `index` became `value`,
/// and the commits of `committed_from` records or more were made after it.
#[derive(Clone, Copy)]
struct Change {
    index: u64,
    value: Rec,
    committed_from: u64,
}

/// Opens a crash image and checks it against what was acknowledged: at
/// least `acked` records, each right, and `verify` passing. A record
/// `changed` in place holds what its commit covers (the new value in a
/// commit made after the update), or else the update is not committed and
/// may be on disk in part or whole: then `verify` passes exactly when it is
/// not, and otherwise reports that record's chunk as not matching. Returns
/// the records and whether `verify` reported an uncommitted update.
fn check(
    image: &[u8],
    acked: u64,
    changed: Option<Change>,
    what: &str,
    dir: &std::path::Path,
) -> (u64, bool) {
    let path = dir.join("image.recs");
    std::fs::write(&path, image).unwrap();
    let store = Store::<Rec>::open_read_only(&path)
        .unwrap_or_else(|e| panic!("{what}: no commit survived: {e}"));
    let n = store.len() as u64;
    assert!(
        n >= acked,
        "{what}: {n} records, but a flush of {acked} was acknowledged"
    );
    let change = changed.filter(|c| c.index < n);
    for (i, r) in store.iter().enumerate() {
        let i = i as u64;
        match change {
            Some(c) if c.index == i && n >= c.committed_from => {
                assert_eq!(
                    *r, c.value,
                    "{what}: the committed update of record {i} is lost"
                )
            }
            Some(c) if c.index == i => {}
            _ => assert_eq!(*r, rec(i), "{what}: record {i} is wrong"),
        }
    }
    let uncommitted_update =
        change.filter(|c| n < c.committed_from && store[c.index as usize] != rec(c.index));
    let reported = match (uncommitted_update, store.verify()) {
        (None, Ok(())) => false,
        (Some(c), Err(Error::ChecksumMismatch { records, .. })) if records.contains(&c.index) => {
            true
        }
        (Some(_), Ok(())) => panic!("{what}: verify passes over an uncommitted update in place"),
        (_, Err(e)) => panic!("{what}: {e}"),
    };
    (n, reported)
}

/// How many records the newest commit in `memory` holds: what the store
/// would open at if every written page reached the disk (no reboot, so
/// published commits count too).
fn newest_commit(memory: &[u8], dir: &std::path::Path) -> u64 {
    let path = dir.join("memory.recs");
    std::fs::write(&path, memory).unwrap();
    Store::<Rec>::open_read_only(&path).unwrap().len() as u64
}

#[test]
fn every_crash_image_holds_the_last_acknowledged_flush() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.recs");
    let log = SyncLog::default();
    let mut store = OpenOptions::new()
        .create_new(true)
        .initial_capacity(4)
        .record_syncs(log.clone())
        .open::<Rec>(&path)
        .unwrap();
    let initial = std::fs::read(&path).unwrap();
    // The workload: appends of varied sizes (growing the file, filling and
    // crossing chunks), published or flushed; after each flush returns, the
    // count it acknowledged, and how many syncs had happened by then.
    let mut acks: Vec<(usize, u64)> = vec![(0, 0)];
    let mut n = 0u64;
    for round in 0..24u64 {
        let batch = [1, 7, 30, 64, 3, 100][(round % 6) as usize];
        store.extend((n..n + batch).map(rec)).unwrap();
        n += batch;
        if round % 3 == 1 {
            store.publish().unwrap();
        } else {
            store.flush().unwrap();
            acks.push((log.0.lock().unwrap().len(), n));
        }
    }
    store.close().unwrap();
    let final_file = std::fs::read(&path).unwrap();
    let events = log.0.lock().unwrap().clone();
    // 25 syncs: 1 when the writer opens the new file (it syncs before it
    // trusts a slot); 13 one-sync flushes; 3 flushes of two syncs (rounds 5,
    // 11 and 23: a growth just before re-committed the published count,
    // so records before that commit's end changed since it, and a one-sync
    // commit cannot check them); 4 growths with one sync each (a relocation
    // made durable once the table holds a full chunk: 102 -> 204, 204 -> 408,
    // 408 -> 816, 816 -> 1632; the growths 4 -> 8 -> 38 -> 102 before the
    // first full chunk publish their relocation unsynced); and 1 at close
    // (the last flush was a two-sync commit, so close only mirrors it into
    // the other slot and syncs that slot's page).
    assert_eq!(events.len(), 25, "syncs of the workload");
    let crashes = crash_every_sync(&events, initial, &final_file, &acks, None, n, dir.path());
    assert!(crashes.images > 1000, "{crashes:?}");
    assert_fell_back(&crashes);
    assert_eq!(crashes.update_reported, 0, "no update in place was made");
}

/// A power cut loses every commit made since the last sync (after a
/// reboot, a published commit is never trusted): some images must open at
/// an older commit than the newest, or the workload tests no fallback; and
/// some must keep the newest, or no sync made anything durable.
fn assert_fell_back(crashes: &Crashes) {
    assert!(
        crashes.fell_back > 0,
        "no crash image fell back to an older commit: {crashes:?}"
    );
    assert!(
        crashes.fell_back < crashes.images,
        "every crash image fell back to an older commit: {crashes:?}"
    );
}

/// What the crash images of a workload showed.
#[derive(Debug, Default)]
struct Crashes {
    /// Images built and checked.
    images: u64,
    /// Images that opened at fewer records than the newest commit.
    fell_back: u64,
    /// Images holding an uncommitted update in place, which `verify`
    /// reported (as the crate docs promise).
    update_reported: u64,
    /// Images that opened at a commit made after the update, holding it.
    update_committed: u64,
}

/// Builds the disks a power cut could leave just before each sync of
/// `events` (and after the last), reboots and checks each. Returns what
/// they showed (see [`Crashes`]); after the last sync (the store closed)
/// every image must hold all `n` records.
fn crash_every_sync(
    events: &[recstore::SyncEvent],
    initial: Vec<u8>,
    final_file: &[u8],
    acks: &[(usize, u64)],
    changed: Option<Change>,
    n: u64,
    dir: &std::path::Path,
) -> Crashes {
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let mut disk = initial;
    let mut crashes = Crashes::default();
    // Crash just before sync k (k == events.len(): after the last one).
    for k in 0..=events.len() {
        let memory = events.get(k).map_or(final_file, |e| &e.memory);
        let newest = newest_commit(memory, dir);
        let acked = acks
            .iter()
            .filter(|(syncs, _)| *syncs <= k)
            .map(|&(_, c)| c)
            .max()
            .unwrap();
        let pages = memory.len().max(disk.len()).div_ceil(PAGE);
        let page = |img: &[u8], p: usize| {
            img.get(p * PAGE..((p + 1) * PAGE).min(img.len()))
                .unwrap_or(&[])
                .to_vec()
        };
        let dirty: Vec<usize> = (0..pages)
            .filter(|&p| page(memory, p) != page(&disk, p))
            .collect();
        // Which dirty pages reached the disk: all subsets of a few, a sample of many.
        let subsets: Vec<u64> = if dirty.len() <= 8 {
            (0..1u64 << dirty.len()).collect()
        } else {
            (0..256).map(|_| rng.next()).collect()
        };
        for mask in subsets {
            for torn in [false, true] {
                for grown in [false, true] {
                    let len = if grown {
                        memory.len().max(disk.len())
                    } else {
                        disk.len()
                    };
                    let mut image = disk.clone();
                    image.resize(len, 0);
                    for (j, &p) in dirty.iter().enumerate() {
                        if mask >> (j % 64) & 1 == 0 || p * PAGE >= len {
                            continue;
                        }
                        // A torn page: only its first sectors were written.
                        let end = if torn && j == 0 {
                            SECTOR * (1 + (rng.next() as usize % 7))
                        } else {
                            PAGE
                        };
                        let from = p * PAGE;
                        let to = (from + end).min(len).min(memory.len());
                        if from < to {
                            image[from..to].copy_from_slice(&memory[from..to]);
                        }
                    }
                    reboot(&mut image);
                    let what = format!("crash before sync {k}/{}, pages {dirty:?} mask {mask:#x} torn {torn} grown {grown}", events.len());
                    let (got, reported) = check(&image, acked, changed, &what, dir);
                    crashes.images += 1;
                    if k == events.len() {
                        assert_eq!(got, n, "{what}: records lost after a clean close");
                    }
                    crashes.fell_back += u64::from(got < newest);
                    crashes.update_reported += u64::from(reported);
                    crashes.update_committed +=
                        u64::from(changed.is_some_and(|c| got >= c.committed_from));
                }
            }
        }
        // The sync itself completes.
        if let Some(e) = events.get(k) {
            if disk.len() < e.memory.len() && e.synced.end >= e.memory.len() {
                disk.resize(e.memory.len(), 0);
            }
            let end = e.synced.end.min(e.memory.len());
            if disk.len() < end {
                disk.resize(end, 0);
            }
            disk[e.synced.start..end].copy_from_slice(&e.memory[e.synced.start..end]);
        }
    }
    crashes
}

/// A record that a one-sync `flush` covers, updated in place: a power cut
/// while the update is half on disk must not lose that flush, as it would if
/// the update made the one-sync commit fail its check after the reboot (the
/// writer makes the commit plain first). The update itself is then what
/// `verify` reports, as for any in-place update.
#[test]
fn an_update_in_place_never_loses_a_one_sync_flush() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.recs");
    let log = SyncLog::default();
    let mut store = OpenOptions::new()
        .create_new(true)
        .initial_capacity(256)
        .record_syncs(log.clone())
        .open::<Rec>(&path)
        .unwrap();
    let initial = std::fs::read(&path).unwrap();
    store.extend((0..100).map(rec)).unwrap();
    store.flush().unwrap();
    let mut acks = vec![(0, 0), (log.0.lock().unwrap().len(), 100)];
    // Record 99 lies in the tail chunk the flush checks after a reboot.
    store.get_mut(99).unwrap().fill = [7; 1016];
    let updated = store[99];
    store.extend((100..130).map(rec)).unwrap();
    store.flush().unwrap();
    acks.push((log.0.lock().unwrap().len(), 130));
    store.close().unwrap();
    let final_file = std::fs::read(&path).unwrap();
    let events = log.0.lock().unwrap().clone();
    let change = Change {
        index: 99,
        value: updated,
        committed_from: 130,
    };
    let crashes = crash_every_sync(
        &events,
        initial,
        &final_file,
        &acks,
        Some(change),
        130,
        dir.path(),
    );
    assert!(crashes.images > 100, "{crashes:?}");
    assert_fell_back(&crashes);
    // The doc's promise, seen: some power cuts leave the update on disk but
    // not committed, and `verify` reports each of them (`check` fails on
    // any it passes); others leave the commit after it, which holds it.
    assert!(crashes.update_reported > 0, "{crashes:?}");
    assert!(crashes.update_committed > 0, "{crashes:?}");
}

/// Issue 12, item 11: no power cut needed. A growth after a truncate
/// cached the table CRC of the old, larger count, and every later one-sync
/// flush stored a wrong `table_crc`: after a reboot both slots failed the
/// check and 103 acknowledged records were gone.
#[test]
fn a_killed_writer_after_truncate_and_growth_reopens_after_a_reboot() {
    for flushes in 1..=3u64 {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.recs");
        let mut store = Store::<Rec>::create(&path).unwrap();
        store
            .extend_from_slice(&(0..100).map(rec).collect::<Vec<_>>())
            .unwrap();
        store.flush().unwrap();
        store
            .extend_from_slice(&(100..16_484).map(rec).collect::<Vec<_>>())
            .unwrap();
        store.publish().unwrap();
        store.truncate(100).unwrap();
        store.reserve(100_000).unwrap();
        for i in 100..100 + flushes {
            store.push(&rec(i)).unwrap();
            store.flush().unwrap();
        }
        store.simulate_crash();
        let mut image = std::fs::read(&path).unwrap();
        reboot(&mut image);
        let what = format!("reboot after a killed writer, {flushes} flushes");
        let (n, _) = check(&image, 100 + flushes, None, &what, dir.path());
        assert_eq!(n, 100 + flushes, "{what}");
    }
}

/// Found by the model fuzzer: a writer killed after publishing records
/// and changing one of them in place (never committed) leaves the change
/// in the page cache under the checksum of the old bytes. The next
/// writer's `flush` re-commits that publish. As a one-sync commit, its
/// check after a reboot failed on that chunk and fell back to the flush
/// before: the acknowledged 110 records came back as 100. The writer now
/// checks what its first one-sync commit covers, and takes two syncs when
/// the check would fail; the change stays what `verify` reports.
#[test]
fn a_flush_over_a_killed_writers_uncommitted_update_survives_a_reboot() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.recs");
    let mut killed = Store::<Rec>::create(&path).unwrap();
    killed.extend((0..100).map(rec)).unwrap();
    killed.flush().unwrap();
    killed.extend((100..110).map(rec)).unwrap();
    killed.publish().unwrap();
    killed.get_mut(105).unwrap().fill = [9; 1016];
    let updated = killed[105];
    killed.simulate_crash();
    let mut next = Store::<Rec>::open(&path).unwrap();
    assert_eq!(next.len(), 110);
    next.flush().unwrap();
    next.simulate_crash();
    let mut image = std::fs::read(&path).unwrap();
    reboot(&mut image);
    let change = Change {
        index: 105,
        value: updated,
        committed_from: u64::MAX,
    };
    let what = "reboot after a flush over a killed writer's update";
    let (n, reported) = check(&image, 110, Some(change), what, dir.path());
    assert_eq!(n, 110, "{what}");
    assert!(reported, "{what}: verify reports the uncommitted update");
}

/// The same hazard with more writes after the reopen: the killed writer's
/// uncommitted update sits in a full chunk that its publish covered, and
/// the next writer appends to a later chunk (allowed: that chunk is sound)
/// before its `flush`. The one-sync check would start at the last durable
/// commit's chunk and meet the changed one.
#[test]
fn appends_and_a_flush_over_a_killed_writers_uncommitted_update_survive_a_reboot() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.recs");
    let mut killed = Store::<Rec>::create(&path).unwrap();
    killed.extend((0..100).map(rec)).unwrap();
    killed.flush().unwrap();
    killed.extend((100..200).map(rec)).unwrap();
    killed.publish().unwrap();
    // Record 110 is in chunk 1 (64..128), full since the publish.
    killed.get_mut(110).unwrap().fill = [9; 1016];
    let updated = killed[110];
    killed.simulate_crash();
    let mut next = Store::<Rec>::open(&path).unwrap();
    next.extend((200..210).map(rec)).unwrap();
    next.flush().unwrap();
    next.simulate_crash();
    let mut image = std::fs::read(&path).unwrap();
    reboot(&mut image);
    let change = Change {
        index: 110,
        value: updated,
        committed_from: u64::MAX,
    };
    let what = "reboot after appends and a flush over a killed writer's update";
    let (n, reported) = check(&image, 210, Some(change), what, dir.path());
    assert_eq!(n, 210, "{what}");
    assert!(reported, "{what}: verify reports the uncommitted update");
}

/// Issue 12, item 1: histories that span several writer lifetimes. A
/// writer dies while its one-sync flush is between writing the slot and
/// finishing the sync (an injected sync failure, then a kill); a new writer
/// of the same boot opens, publishes and flushes, and dies too; a third
/// closes cleanly. A power cut before any sync of any of them must leave
/// the last acknowledged flush: a writer that trusted the unsynced slot as
/// durable overwrote the other one, the last acknowledged flush.
#[test]
fn every_crash_image_holds_the_last_acknowledged_flush_across_writer_lifetimes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.recs");
    let log = SyncLog::default();
    let syncs = || log.0.lock().unwrap().len();
    let open = |fail: Option<u64>| {
        let mut o = OpenOptions::new();
        o.record_syncs(log.clone());
        if let Some(k) = fail {
            o.fail_sync(k);
        }
        o.open::<Rec>(&path).unwrap()
    };
    let mut store = OpenOptions::new()
        .create_new(true)
        .initial_capacity(4)
        .record_syncs(log.clone())
        .open::<Rec>(&path)
        .unwrap();
    let initial = std::fs::read(&path).unwrap();
    let mut acks: Vec<(usize, u64)> = vec![(0, 0)];
    let mut n = 0u64;
    let append = |store: &mut Store<Rec>, k: u64, n: &mut u64| {
        store.extend((*n..*n + k).map(rec)).unwrap();
        *n += k;
    };
    // Lifetime 1: a flush acknowledged, then one whose sync fails: its slot
    // is written, in the page cache only, when the process is killed.
    append(&mut store, 10, &mut n);
    store.flush().unwrap();
    acks.push((syncs(), n));
    store.simulate_crash();
    let mut store = open(Some(0));
    append(&mut store, 30, &mut n);
    assert!(
        matches!(store.flush(), Err(Error::Io { op: "sync", .. })),
        "the injected sync failure"
    );
    store.simulate_crash();
    // Lifetime 2: publishes over the slot a new writer may overwrite, a
    // flush, more appends across chunks and growth, killed again.
    let mut store = open(None);
    assert_eq!(
        store.len() as u64,
        n,
        "the killed writer's records are in the page cache"
    );
    for round in 0..6u64 {
        append(&mut store, [3, 64, 1, 100, 7, 30][round as usize], &mut n);
        if round % 2 == 0 {
            store.publish().unwrap();
        } else {
            store.flush().unwrap();
            acks.push((syncs(), n));
        }
    }
    append(&mut store, 20, &mut n);
    store.publish().unwrap();
    store.simulate_crash();
    // Lifetime 3: more of the same, and a clean close.
    let mut store = open(None);
    append(&mut store, 50, &mut n);
    store.publish().unwrap();
    append(&mut store, 5, &mut n);
    store.flush().unwrap();
    acks.push((syncs(), n));
    store.close().unwrap();
    let final_file = std::fs::read(&path).unwrap();
    let events = log.0.lock().unwrap().clone();
    let crashes = crash_every_sync(&events, initial, &final_file, &acks, None, n, dir.path());
    assert!(crashes.images > 1000, "{crashes:?}");
    assert_fell_back(&crashes);
}
