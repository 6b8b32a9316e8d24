//! The fuzz targets' bodies, shared by the libFuzzer binaries in
//! `fuzz_targets/` and by `tests/replay.rs`, which replays the committed
//! corpora as an ordinary `cargo test` on stable.
//!
//! Every target's contract is the same: no input panics, hangs, or makes
//! recstore return data that differs from what was written.

use std::path::PathBuf;

use arbitrary::{Arbitrary, Unstructured};
use recstore::{Error, OpenOptions, RawStore, Reader, Record, Store, SyncLog};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

/// The seed's vertex: what most corpus files hold (the definition the
/// tests and benchmarks share).
pub use recstore_testkit::Vertex;

/// A scratch file for this process, on tmpfs where there is one.
fn scratch(name: &str) -> PathBuf {
    let dir = if std::path::Path::new("/dev/shm").is_dir() {
        PathBuf::from("/dev/shm")
    } else {
        std::env::temp_dir()
    };
    dir.join(format!("recstore-fuzz-{}-{name}", std::process::id()))
}

/// Any bytes as a store file: open it every way, verify, read every
/// record and every field, and write to it if it opens read-write.
pub fn open_file(data: &[u8]) {
    let path = scratch("open_file");
    std::fs::write(&path, data).expect("the scratch file is writable");
    if let Ok(raw) = RawStore::open_read_only(&path) {
        let _ = raw.verify();
        let _ = raw.info();
        for record in raw.records() {
            for field in raw.schema().fields() {
                let _ = field.values(record).count();
            }
        }
        let _ = recstore::inspect::header_fields(data);
    }
    if let Ok(s) = Store::<Vertex>::open_read_only(&path) {
        let _ = s.verify();
        let _ = s.iter().map(|v| u64::from(v.color[0])).sum::<u64>();
    }
    // A store that verified before the writer came must verify after it.
    // One that did not may stay damaged: no write re-checksums a damaged
    // chunk (it is refused), and only a truncate may drop the damage.
    let was_sound = RawStore::open_read_only(&path).is_ok_and(|r| r.verify().is_ok());
    if let Ok(mut w) = RawStore::open(&path) {
        let stride = w.schema().stride() as usize;
        let len = w.len();
        let _ = w.push(&vec![0x5a; stride]);
        let _ = w.publish();
        let _ = w.truncate(len / 2);
        let _ = w.flush();
        let _ = w.close();
        // What the writer left must open and verify.
        let after = RawStore::open_read_only(&path).expect("a store recstore wrote must reopen");
        if was_sound {
            after
                .verify()
                .expect("a sound store recstore wrote to must verify");
        }
    }
    let _ = std::fs::remove_file(&path);
}

/// Any bytes as a schema block.
pub fn schema_block(data: &[u8]) {
    if let Ok(schema) = recstore::Schema::decode(data) {
        // Encoding checks every rule of the format again. (`validate` adds
        // the naming rule for new schemas, which older stores may break:
        // decoding accepts them, so it is not asserted here.)
        assert_eq!(
            schema.encode().expect("a decoded schema encodes"),
            data,
            "decoding is canonical"
        );
    }
}

/// Any text as a schema file.
pub fn schema_file(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(schema) = recstore::schema_file::parse(text) {
            schema.validate().expect("a parsed schema is valid");
        }
    }
}

/// Any bytes as a PLY, STL or OBJ source (the first byte picks which):
/// an error or a mesh, never a panic, a hang or an allocation the input's
/// size does not justify.
pub fn mesh_source(data: &[u8]) {
    use recstore_mesh::SourceFormat;
    let Some((&pick, bytes)) = data.split_first() else {
        return;
    };
    let format = [SourceFormat::Ply, SourceFormat::Stl, SourceFormat::Obj][usize::from(pick % 3)];
    if let Ok((vertices, _)) = recstore_mesh::__bench::parse_bytes(format, bytes) {
        assert!(vertices > 0, "an accepted mesh has vertices");
    }
}

/// A record of 1 KiB, so that 64 make a checksum chunk and short runs
/// cross chunks, fill the table, and grow it.
#[derive(Record, FromBytes, IntoBytes, KnownLayout, Immutable, Clone, Copy, Debug, PartialEq)]
#[repr(C)]
pub struct Rec {
    pub key: u32,
    pub fill: [u8; 1020],
}

fn rec(key: u32) -> Rec {
    Rec {
        key,
        fill: [key as u8; 1020],
    }
}

/// One step of the model.
#[derive(Arbitrary, Debug)]
pub enum Op {
    Push(u16),
    Extend(u8, u16),
    Update(u16, u16),
    Truncate(u16),
    Publish,
    Flush,
    Reopen,
    Crash,
    Verify,
    /// Opens a reader: a `Reader`, a read-only or a copy-on-write `Store`
    /// (the byte picks which).
    OpenReader(u8),
    /// Drops one of the open readers.
    CloseReader(u8),
    /// Refreshes every open `Reader` (and checks it against the model).
    RefreshReaders,
}

/// An open reader of the model's store and the records it showed when it
/// opened or last refreshed: under the sharing rule they never change.
enum ModelReader {
    Live(Reader<Rec>),
    Store(Store<Rec>),
}

impl ModelReader {
    fn records(&self) -> &[Rec] {
        match self {
            ModelReader::Live(r) => &r[..],
            ModelReader::Store(s) => &s[..],
        }
    }
}

/// Whether `result` is a refusal by the sharing rule (anything else fails).
fn refused<T>(result: recstore::Result<T>, what: &str) -> Option<T> {
    match result {
        Ok(t) => Some(t),
        Err(Error::ReadersPresent { .. }) => None,
        Err(e) => panic!("{what}: {e}"),
    }
}

/// The disk a power cut may leave, for the model: the store logs every
/// sync; the syncs are applied in order to `disk`, and a power cut keeps or
/// loses each page written since (issue 12: a power cut after any history
/// of writers, kills and reopens in one boot must keep the last
/// acknowledged flush).
struct PowerCut {
    log: SyncLog,
    disk: Vec<u8>,
    applied: usize,
    /// The records of the last acknowledged durable commit.
    acked: Vec<Rec>,
    /// Those of them written since in place (a power cut may tear them).
    touched: std::collections::BTreeSet<usize>,
}

impl PowerCut {
    const PAGE: usize = 4096;

    fn new(log: SyncLog, disk: Vec<u8>) -> PowerCut {
        let applied = log.0.lock().expect("not poisoned").len();
        PowerCut {
            log,
            disk,
            applied,
            acked: Vec::new(),
            touched: Default::default(),
        }
    }

    /// Applies the syncs logged since the last call to the disk.
    fn catch_up(&mut self) {
        let events = self.log.0.lock().expect("not poisoned").clone();
        for e in &events[self.applied..] {
            let end = e.synced.end.min(e.memory.len());
            if e.synced.end >= e.memory.len() {
                self.disk.resize(e.memory.len(), 0);
            } else if self.disk.len() < end {
                self.disk.resize(end, 0);
            }
            self.disk[e.synced.start..end].copy_from_slice(&e.memory[e.synced.start..end]);
        }
        self.applied = events.len();
    }

    fn acknowledge(&mut self, records: &[Rec]) {
        self.acked = records.to_vec();
        self.touched.clear();
    }

    fn written(&mut self, range: std::ops::Range<usize>) {
        let acked = self.acked.len();
        self.touched
            .extend(range.start.min(acked)..range.end.min(acked));
    }

    /// Builds a disk a power cut now may leave (the pages written since the
    /// last sync each kept or lost, as `seed` says; the old or new length),
    /// reboots it and checks that it holds the last acknowledged flush.
    fn check(&mut self, path: &std::path::Path, mut seed: u64) {
        self.catch_up();
        let memory = std::fs::read(path).expect("the store is readable");
        let mut bit = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed & 1 == 1
        };
        let len = if bit() { memory.len() } else { self.disk.len() };
        let mut image = self.disk.clone();
        image.resize(len, 0);
        for p in 0..len.div_ceil(Self::PAGE) {
            let r = p * Self::PAGE..((p + 1) * Self::PAGE).min(len).min(memory.len());
            if !r.is_empty() && image[r.clone()] != memory[r.clone()] && bit() {
                image[r.clone()].copy_from_slice(&memory[r]);
            }
        }
        // The reboot: unsynced and one-sync slots now carry another boot's
        // id. The model's stores are format 1.2: a slot's page each, the
        // two pages before the data.
        if image.len() >= 24 {
            let data_offset =
                u32::from_le_bytes(image[20..24].try_into().expect("4 bytes")) as usize;
            for slot in [
                data_offset.saturating_sub(8192),
                data_offset.saturating_sub(4096),
            ] {
                if image.len() >= slot + 128 && slot >= 4096 && image[slot + 32] & 3 != 0 {
                    image[slot + 40..slot + 56].fill(0xee);
                    let crc = crc32fast::hash(&image[slot..slot + 124]);
                    image[slot + 124..slot + 128].copy_from_slice(&crc.to_le_bytes());
                }
            }
        }
        let cut = scratch("power-cut");
        std::fs::write(&cut, &image).expect("the scratch file is writable");
        let after = Store::<Rec>::open_read_only(&cut)
            .unwrap_or_else(|e| panic!("after a power cut no commit survived: {e}"));
        assert!(
            after.len() >= self.acked.len(),
            "a power cut lost an acknowledged flush: {} records, {} acknowledged",
            after.len(),
            self.acked.len()
        );
        for (i, r) in self.acked.iter().enumerate() {
            if !self.touched.contains(&i) {
                assert_eq!(
                    after[i], *r,
                    "record {i} of the acknowledged flush after a power cut"
                );
            }
        }
        drop(after);
        let _ = std::fs::remove_file(&cut);
    }
}

/// Records per checksum chunk for [`Rec`] (65536 / 1024).
const CHUNK: usize = 64;

/// A sequence of operations against a store and against a `Vec` model,
/// compared after every step. `Crash` drops the writer as `kill -9` would:
/// the store must then hold exactly the last commit. In-place changes to
/// committed records that were not committed stay in the page cache: the
/// model tracks which checksum chunks they leave mismatched, and when a
/// commit repairs them, and predicts every `verify` result exactly.
///
/// Readers open and close between the steps. While one is open, the
/// writer's in-place changes of committed records must be refused with
/// nothing changed, appends past every count a commit held must go on, and
/// every reader's records must stay exactly what it saw (the sharing rule).
/// A reader opening is refused only while an in-place change may be
/// uncommitted, and then sees the last commit.
pub fn model(data: &[u8]) {
    use std::collections::BTreeSet;
    let mut u = Unstructured::new(data);
    let Ok(ops) = Vec::<Op>::arbitrary(&mut u) else {
        return;
    };
    let path = scratch("model");
    let _ = std::fs::remove_file(&path);
    let log = SyncLog::default();
    let mut store = OpenOptions::new()
        .create_new(true)
        .initial_capacity(1)
        .record_syncs(log.clone())
        .open::<Rec>(&path)
        .expect("create");
    let open = |path: &std::path::Path| {
        OpenOptions::new()
            .record_syncs(log.clone())
            .open::<Rec>(path)
    };
    // The file as created is on disk (create syncs it before linking it).
    let mut power = PowerCut::new(log.clone(), std::fs::read(&path).expect("created"));
    // `mem` is the mapping's content (past `len` too); `len` the live count.
    let (mut mem, mut len, mut committed) = (Vec::<Rec>::new(), 0usize, 0usize);
    // Chunks written since the last commit (the engine re-checksums them).
    let mut dirty = BTreeSet::new();
    // For every record, the value the stored checksum of its chunk was
    // computed over: a chunk is bad exactly where it differs from `mem`.
    let mut sums = Vec::<Rec>::new();
    // Whether the engine has anything to commit. (Whether the commit in
    // effect is unsynced, which makes a flush rewrite the tail, is read
    // from the store: growth writes unsynced relocation commits.)
    let mut changed = false;
    let write = |mem: &mut Vec<Rec>, i: usize, r: Rec, dirty: &mut BTreeSet<usize>| {
        dirty.insert(i / CHUNK);
        if i < mem.len() {
            mem[i] = r;
        } else {
            mem.push(r);
        }
    };
    // A commit, if the engine makes one (something changed, or a flush over
    // an unsynced publish), checksums the changed full chunks and the tail.
    let commit = |len: usize,
                  makes_one: bool,
                  mem: &[Rec],
                  sums: &mut Vec<Rec>,
                  dirty: &mut BTreeSet<usize>| {
        if makes_one {
            sums.resize(mem.len(), rec(u32::MAX));
            for &c in dirty.iter().filter(|&&c| c < len / CHUNK) {
                sums[c * CHUNK..(c + 1) * CHUNK].copy_from_slice(&mem[c * CHUNK..(c + 1) * CHUNK]);
            }
            // The tail is checksummed anew only if written since: a commit
            // never blesses bytes changed without one (issue 12, item 9).
            let tail = len / CHUNK * CHUNK;
            if dirty.contains(&(len / CHUNK)) {
                sums[tail..len].copy_from_slice(&mem[tail..len]);
            }
        }
        dirty.clear();
    };
    // Whether a write to records `a..b` is refused: a chunk it falls in
    // holds committed records that no longer match their checksum (an
    // uncommitted update that survived a crash in the page cache), and
    // re-checksumming it would hide that (issue 12, item 10).
    let damaged = |a: usize,
                   b: usize,
                   committed: usize,
                   mem: &[Rec],
                   sums: &[Rec],
                   dirty: &BTreeSet<usize>| {
        (a / CHUNK..b.min(committed).div_ceil(CHUNK))
            .filter(|c| !dirty.contains(c))
            .any(|c| {
                let r = c * CHUNK..((c + 1) * CHUNK).min(committed);
                mem[r.clone()] != sums[r]
            })
    };
    // Refused for damage; with readers open the sharing rule may refuse first.
    let refused_for_damage = |e: Error, watched: bool| {
        matches!(e, Error::ChecksumMismatch { .. })
            || (watched && matches!(e, Error::ReadersPresent { .. }))
    };
    // Open readers, each with the records it saw.
    let mut readers: Vec<(ModelReader, Vec<Rec>)> = Vec::new();
    // The highest count a commit slot may hold (appends below it may be
    // refused while readers are open), and whether an in-place change may
    // be uncommitted (a reader opening may then be refused).
    let (mut high, mut in_place) = (0usize, false);
    let trace = std::env::var_os("RECSTORE_MODEL_TRACE").is_some();
    for op in ops.into_iter().take(64) {
        let watched = !readers.is_empty();
        if trace {
            eprintln!(
                "{op:?}  (len {len}, committed {committed}, dirty {dirty:?}, info {:?})",
                store.info()
            );
        }
        'op: {
            match op {
                Op::Push(_) if damaged(len, len + 1, committed, &mem, &sums, &dirty) => {
                    let e = store.push(&rec(0)).expect_err("push refused");
                    assert!(refused_for_damage(e, watched));
                }
                // (An empty batch writes nothing and is never refused.)
                Op::Extend(n, _)
                    if n > 0
                        && damaged(len, len + usize::from(n), committed, &mem, &sums, &dirty) =>
                {
                    let batch = vec![rec(0); usize::from(n)];
                    let e = store.extend_from_slice(&batch).expect_err("extend refused");
                    assert!(refused_for_damage(e, watched));
                }
                Op::Update(i, _)
                    if len > 0 && {
                        let i = usize::from(i) % len;
                        damaged(i, i + 1, committed, &mem, &sums, &dirty)
                    } =>
                {
                    let i = usize::from(i) % len;
                    let e = store.get_mut(i).map(|_| ()).expect_err("update refused");
                    assert!(refused_for_damage(e, watched));
                }
                Op::Truncate(n)
                    if usize::from(n) < len
                        && damaged(
                            usize::from(n),
                            usize::from(n).next_multiple_of(CHUNK),
                            committed,
                            &mem,
                            &sums,
                            &dirty,
                        ) =>
                {
                    let e = store.truncate(n.into()).expect_err("truncate refused");
                    assert!(refused_for_damage(e, watched));
                }
                Op::Push(k) => {
                    let done = refused(store.push(&rec(k.into())), "push");
                    if done.is_none() {
                        assert!(watched && len < high, "push refused");
                        break 'op;
                    }
                    changed = true;
                    write(&mut mem, len, rec(k.into()), &mut dirty);
                    power.written(len..len + 1);
                    len += 1;
                }
                Op::Extend(n, k) => {
                    let batch: Vec<Rec> =
                        (0..u32::from(n)).map(|j| rec(u32::from(k) + j)).collect();
                    let done = refused(store.extend_from_slice(&batch), "extend");
                    if done.is_none() {
                        assert!(watched && len < high, "extend refused");
                        break 'op;
                    }
                    changed |= n > 0;
                    for r in batch {
                        write(&mut mem, len, r, &mut dirty);
                        power.written(len..len + 1);
                        len += 1;
                    }
                }
                Op::Update(i, k) if len > 0 => {
                    let i = usize::from(i) % len;
                    let Some(slot) = refused(store.get_mut(i), "update") else {
                        assert!(watched && i < high, "update refused");
                        break 'op;
                    };
                    assert!(!watched || i >= committed, "update of a record readers see");
                    *slot = rec(k.into());
                    changed = true;
                    in_place = true;
                    write(&mut mem, i, rec(k.into()), &mut dirty);
                    power.written(i..i + 1);
                }
                Op::Update(..) => {}
                Op::Truncate(n) => {
                    let n = usize::from(n).min(len);
                    if refused(store.truncate(n), "truncate").is_none() {
                        assert!(watched && n < high, "truncate refused");
                        break 'op;
                    }
                    assert!(
                        !watched || n >= committed,
                        "truncate of records readers see"
                    );
                    if n < len {
                        changed = true;
                        in_place = true;
                        // The chunk the new count ends in gets a new tail checksum.
                        if n % CHUNK != 0 {
                            dirty.insert(n / CHUNK);
                        }
                    }
                    len = n;
                }
                Op::Publish | Op::Flush => {
                    let durable = matches!(op, Op::Flush);
                    let unsynced = store.info().unsynced;
                    if durable {
                        store.flush()
                    } else {
                        store.publish()
                    }
                    .expect("commit");
                    if durable {
                        power.acknowledge(&mem[..len]);
                    }
                    committed = len;
                    high = high.max(len);
                    // A durable commit ends every in-place change.
                    in_place &= !durable;
                    commit(
                        len,
                        changed || (durable && unsynced),
                        &mem,
                        &mut sums,
                        &mut dirty,
                    );
                    changed = false;
                }
                Op::Reopen => {
                    let unsynced = store.info().unsynced;
                    store.close().expect("close");
                    committed = len;
                    commit(len, changed || unsynced, &mem, &mut sums, &mut dirty);
                    changed = false;
                    // A clean close leaves both slots holding the last commit.
                    (high, in_place) = (len, false);
                    store = open(&path).expect("reopen");
                    power.acknowledge(&mem[..len]);
                }
                Op::Crash => {
                    // A power cut now, instead of the kill, keeps the last
                    // acknowledged flush.
                    power.check(&path, (len as u64) << 32 | mem.len() as u64 | 1);
                    store.simulate_crash();
                    store = open(&path).expect("open after a crash");
                    in_place = false;
                    len = committed;
                    dirty.clear();
                    changed = false;
                    assert_eq!(
                        store.len(),
                        len,
                        "the last commit survives, nothing after it"
                    );
                }
                Op::Verify => {
                    // Committed chunks, unchanged since the last commit, whose
                    // records differ from what their checksum covers.
                    let bad: Vec<usize> = (0..committed.div_ceil(CHUNK))
                        .filter(|c| !dirty.contains(c))
                        .filter(|&c| {
                            let r = c * CHUNK..((c + 1) * CHUNK).min(committed);
                            mem[r.clone()] != sums[r]
                        })
                        .collect();
                    match store.verify() {
                        Ok(()) => {
                            assert!(bad.is_empty(), "verify missed mismatched chunks {bad:?}")
                        }
                        Err(recstore::Error::ChecksumMismatch { chunk, .. }) => {
                            assert_eq!(
                                bad.first(),
                                Some(&(chunk as usize)),
                                "verify failed on chunk {chunk}, bad: {bad:?}"
                            )
                        }
                        Err(e) => panic!("verify: {e}"),
                    }
                }
                Op::OpenReader(kind) => {
                    let opened = match kind % 3 {
                        0 => Reader::open(&path).map(ModelReader::Live),
                        1 => Store::open_read_only(&path).map(ModelReader::Store),
                        _ => OpenOptions::new()
                            .copy_on_write()
                            .open(&path)
                            .map(ModelReader::Store),
                    };
                    match opened {
                        Ok(reader) => {
                            let seen = reader.records().to_vec();
                            assert_eq!(seen[..], mem[..committed], "a reader sees the last commit");
                            readers.push((reader, seen));
                        }
                        Err(Error::UpdateInProgress { .. }) => {
                            assert!(in_place, "a reader refused with no in-place change")
                        }
                        Err(e) => panic!("open a reader: {e}"),
                    }
                }
                Op::CloseReader(i) => {
                    if !readers.is_empty() {
                        readers.remove(usize::from(i) % readers.len());
                    }
                }
                Op::RefreshReaders => {
                    for (reader, seen) in &mut readers {
                        if let ModelReader::Live(r) = reader {
                            r.refresh().expect("refresh");
                            assert_eq!(&r[..], &mem[..committed], "a refreshed reader");
                            *seen = r.to_vec();
                        }
                    }
                }
            }
        }
        for (reader, seen) in &readers {
            assert!(
                reader.records() == &seen[..],
                "records changed under a reader's references"
            );
        }
        assert_eq!(store.len(), len);
        assert!(
            store.iter().zip(&mem[..len]).all(|(a, b)| a == b),
            "records differ from the model"
        );
    }
    drop(readers);
    store.close().expect("close");
    let _ = std::fs::remove_file(&path);
}
