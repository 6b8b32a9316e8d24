//! The untyped store: one file, its mapping, its commits. [`Store`],
//! [`Reader`] and [`RawStore`] are typed or untyped views of an `Engine`.
//!
//! # Commit protocol (see `docs/FORMAT.md` for the why)
//!
//! The checksum table holds the CRCs of *full* chunks only; each commit slot
//! holds the CRC of its own partial tail chunk. Appending therefore never
//! changes anything an earlier commit refers to. A commit:
//!
//! 1. writes the table entries of chunks that changed and are now full;
//! 2. durable commits only: syncs the data, the table and a grown length;
//! 3. writes the slot that does *not* hold the last durable commit (after a
//!    release fence, for live readers);
//! 4. durable commits only: syncs the slot.
//!
//! Growth reserves the new length (`fallocate`), remaps, copies the table to
//! its new place after the larger data region, and writes a relocation
//! commit (same records, new capacity) before any record can land where the
//! old table was. If a committed table entry exists, the relocation commit is
//! made durable first, so the old table may then be overwritten.
//!
//! Writing: appends of 16 KiB or more go through the file (`pwrite`) and
//! their chunk CRCs are computed from the caller's bytes as they pass, so a
//! commit neither takes page faults nor reads them back; `push` copies into
//! the mapping, with the pages ahead prepared in batches. Both land in the
//! same page cache the mapping shows.
//!
//! [`Store`]: crate::Store
//! [`Reader`]: crate::Reader
//! [`RawStore`]: crate::RawStore

use std::fs::File;
use std::path::{Path, PathBuf};

use crate::append_crc::AppendCrcs;
use crate::dirty::ChunkSet;
use crate::error::{Error, Result, SlotProblem};
use crate::format::{self, Commit, Header, Layout, SLOT_LEN};
use crate::map::{Mapping, Mode};
use crate::options::OpenOptions;
use crate::os;
use crate::read_path::{self, ReadPath};
use crate::schema::Schema;
use crate::share::{self, Share};

/// Appends of at least this many bytes are written with `pwrite` rather
/// than copied into the mapping: past a few pages, saving the page faults
/// outweighs the system call.
const WRITE_THROUGH_MIN: usize = 16 << 10;

/// A durable commit that adds more than this many bytes of records takes
/// two syncs rather than one, so that the check a one-sync commit costs its
/// first reader after a crash (a CRC of what it added) stays bounded: at
/// this size the second sync is a small part of the commit anyway.
use format::ONE_SYNC_MAX_CHECK;

/// `push` faults in this many bytes ahead at a time (see
/// `Mapping::prefault_write`).
const PREFAULT: usize = 256 << 10;
const PAGE: usize = format::PAGE_SIZE as usize;

/// What open had to do because a commit slot was unusable: the store was
/// opened at the other slot's commit. Returned by `recovery()` on stores and
/// readers, and reported by `verify`; never silent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recovery {
    /// The slot whose commit is in effect.
    pub slot_used: usize,
    /// The sequence number of that commit.
    pub sequence: u64,
    /// The slot that was rejected.
    pub rejected_slot: usize,
    /// Why it was rejected. A checksum failure right after a crash is the
    /// expected trace of a commit that was cut off; at any other time it
    /// means the header was damaged.
    pub problem: SlotProblem,
}

impl std::fmt::Display for Recovery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "commit slot {} was rejected ({}); opened at commit {} from slot {}",
            self.rejected_slot, self.problem, self.sequence, self.slot_used
        )
    }
}

pub(crate) struct Engine {
    path: PathBuf,
    file: File,
    map: Mapping,
    /// Whether `map` maps the file or holds records read from it.
    read_path: ReadPath,
    mode: Mode,
    header: Header,
    boot: [u8; 16],
    /// The newest commit in effect (its slot is `current_slot`).
    // INVARIANT: `commit.capacity == capacity` (growth writes a relocation commit).
    commit: Commit,
    current_slot: usize,
    /// The slot holding the newest durable commit: never written by a commit.
    durable_slot: usize,
    /// Records in the durable commit (whose table entries growth must protect).
    durable_count: u64,
    /// Records visible through this handle (may be past `commit.count` in a writer).
    len: u64,
    // INVARIANT: `map.len() >= layout.table_end(capacity)`, so the data and
    // the table for `capacity` records are mapped.
    capacity: u64,
    /// Chunks changed since the last commit.
    dirty: ChunkSet,
    /// Records or data changed since the last commit.
    changed: bool,
    /// The file grew since the last disk sync.
    grown_unsynced: bool,
    recovery: Option<Recovery>,
    closed: bool,
    /// Test hook: every sync is logged with what it makes durable.
    sync_log: Option<SyncLog>,
    /// Test hook: the sync of this number (counted from 0 by this handle,
    /// commits only) fails as a disk error would.
    fail_sync: Option<u64>,
    /// Syncs this handle has attempted for commits.
    syncs: u64,
    /// Why this handle refuses to write: an earlier write or sync failed,
    /// and after a failed sync the kernel may have dropped written pages.
    poisoned: Option<String>,
    /// File offset up to which `push` has asked for pages ahead.
    prefaulted_to: usize,
    /// End of the open push window (records), 0 when none is open.
    push_end: u64,
    /// Records pushed from here to `len` are not yet fed to `crcs`.
    fed_to: u64,
    /// CRCs of chunks filled by `append`, computed from the appended bytes.
    crcs: AppendCrcs,
    /// The first record changed since the last durable commit (`u64::MAX`:
    /// none). A one-sync commit is made only if it is at or past
    /// `durable_count`: appends only.
    changed_since_durable: u64,
    /// Whether the durable commit is a one-sync commit: then records it
    /// covers are not changed in place before it is made plain (`pin_durable`).
    durable_one_sync: bool,
    /// `(k, crc)`: the CRC-32 of table entries `0..k` as written, kept up
    /// to date as entries are added, for one-sync commits. `None`: not
    /// known, computed from the table when needed.
    table_crc: Option<(u64, u32)>,
    /// The sharing rule: which records readers may borrow, and whether this
    /// writer holds the file to itself (`crate::share`).
    share: Share,
}

/// One sync as the power-loss simulation sees it: the mapped bytes just
/// before the sync, and the byte range it makes durable (the whole file for a
/// data sync, the slot's page for a slot sync).
#[doc(hidden)]
#[derive(Clone)]
pub struct SyncEvent {
    /// The mapping's bytes when the sync was called.
    pub memory: Vec<u8>,
    /// What the sync makes durable.
    pub synced: std::ops::Range<usize>,
}

/// Where a store logs its syncs, for the power-loss simulation
/// (`tests/power_loss.rs`). Not public API.
#[doc(hidden)]
#[derive(Clone, Default)]
pub struct SyncLog(pub std::sync::Arc<std::sync::Mutex<Vec<SyncEvent>>>);

impl std::fmt::Debug for SyncLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SyncLog")
    }
}

fn io_err<'p>(op: &'static str, path: &'p Path) -> impl FnOnce(std::io::Error) -> Error + 'p {
    move |e| Error::io(op, path, e)
}

impl Engine {
    /// Creates a new store at `path`: the header is written to a temporary
    /// file in the same directory, synced, and linked into place only if
    /// nothing is at `path` yet, so a store is either complete or absent.
    pub fn create(path: &Path, schema: &Schema, opts: &OpenOptions) -> Result<Engine> {
        schema.validate()?;
        let boot = opts.boot_id();
        let (header, layout, capacity) = format::new_header(schema, opts.capacity, boot)?;
        let file_len = layout.file_len(capacity).ok_or(Error::CapacityOverflow {
            requested: capacity,
            stride: layout.stride,
        })?;
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        let mut builder = tempfile::Builder::new();
        builder.prefix(".recstore-new-");
        // Like `File::create`: 0666 less the umask, not tempfile's private 0600,
        // so that readers running as other users can open the store.
        #[cfg(unix)]
        builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
        let tmp = builder
            .tempfile_in(dir)
            .map_err(io_err("create a temporary file in", dir))?;
        {
            use std::io::Write;
            let mut f = tmp.as_file();
            f.write_all(&header).map_err(io_err("write", tmp.path()))?;
            os::reserve(f, file_len).map_err(io_err("reserve space for", tmp.path()))?;
            f.sync_all().map_err(io_err("sync", tmp.path()))?;
        }
        tmp.persist_noclobber(path).map_err(|e| {
            if e.error.kind() == std::io::ErrorKind::AlreadyExists {
                Error::AlreadyExists {
                    path: path.to_path_buf(),
                }
            } else {
                Error::io("create", path, e.error)
            }
        })?;
        os::sync_dir(dir).map_err(io_err("sync the directory of", path))?;
        let mut opts = opts.clone();
        opts.mode = Mode::ReadWrite;
        Engine::open(path, Some(schema), &opts)
    }

    /// Opens an existing store. O(1) in the file size unless verification
    /// on open was asked for.
    pub fn open(path: &Path, expected: Option<&Schema>, opts: &OpenOptions) -> Result<Engine> {
        let file = match opts.mode {
            Mode::ReadWrite => std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .open(path),
            Mode::ReadOnly | Mode::CopyOnWrite => File::open(path),
        }
        .map_err(io_err("open", path))?;
        let meta = file
            .metadata()
            .map_err(io_err("read the metadata of", path))?;
        if !meta.is_file() {
            return Err(Error::io(
                "open",
                path,
                std::io::Error::new(std::io::ErrorKind::InvalidInput, "it is not a regular file"),
            ));
        }
        if opts.mode != Mode::ReadWrite {
            // A reader announces itself before it reads a byte.
            share::announce_reader(&file, path)?;
        }
        if opts.mode == Mode::ReadWrite {
            match file.try_lock() {
                Ok(()) => {}
                Err(std::fs::TryLockError::WouldBlock) => {
                    return Err(Error::Locked {
                        path: path.to_path_buf(),
                    })
                }
                Err(std::fs::TryLockError::Error(e)) => return Err(Error::io("lock", path, e)),
            }
        }
        let file_len = meta.len();
        if file_len == 0 {
            return Err(Error::NotRecstore {
                path: path.to_path_buf(),
                found: Vec::new(),
                expected: format::MAGIC,
            });
        }
        let (mut map, read_path) = read_path::map_or_load(&file, file_len, opts, path)?;
        if opts.mode == Mode::ReadWrite {
            // A writer makes the file durable before it trusts or overwrites
            // a commit slot: an earlier writer killed during a commit (or
            // before its publishes were synced) may have left a slot that is
            // valid in the page cache but not on disk. Trusting it as the
            // durable commit, a new writer would overwrite the other slot,
            // the last acknowledged flush, and a power cut would lose both.
            // Once this sync returns, every slot this writer reads is on disk.
            log_sync(opts.sync_log.as_ref(), &map, 0..map.len());
            file.sync_data().map_err(io_err("sync", path))?;
            // Holes (a sparse copy) would be allocated when first written
            // through the mapping, and on a full disk that is a SIGBUS.
            os::reserve_existing(&file, file_len)
                .map_err(io_err("reserve the disk blocks of", path))?;
        }
        let header = format::parse_header(
            &read_header(&file, file_len).map_err(io_err("read", path))?,
            file_len,
        )
        .map_err(|e| e.at(path))?;
        if let Some(expected) = expected {
            // The format's rules: a store made before the naming rule of
            // new schemas opens with its own schema.
            expected.check_format()?;
            if *expected != header.schema {
                return Err(Error::SchemaMismatch {
                    path: path.to_path_buf(),
                    expected: Box::new(expected.clone()),
                    found: Box::new(header.schema.clone()),
                });
            }
        }
        let boot = opts.boot_id();
        let (choice, share) = {
            let layout = &header.layout;
            let slots = [0, 1].map(|i| {
                let bytes = read_slot(&file, layout, i).ok_or(SlotProblem::PastEndOfFile {
                    needed: layout.slots[i] + SLOT_LEN as u64,
                    len: file_len,
                })?;
                format::decode_slot(&bytes, layout, file_len, boot)
            });
            let counts = [0, 1].map(|i| slots[i].as_ref().ok().map(|c| c.count));
            let share = Share::writer(&file, counts, opts.mode != Mode::ReadWrite);
            read_path::load_committed(&mut map, &file, layout, &slots, 0)
                .map_err(io_err("read", path))?;
            let choice = choose_trusted(&file, &map, layout, slots).map_err(|slots| {
                Error::NoValidCommit {
                    path: path.to_path_buf(),
                    slots,
                }
            })?;
            (choice, share)
        };
        let recovery = choice.rejected.clone().map(|problem| Recovery {
            slot_used: choice.slot,
            sequence: choice.commit.sequence,
            rejected_slot: 1 - choice.slot,
            problem,
        });
        let (durable_slot, durable) = if choice.commit.unsynced {
            (1 - choice.slot, choice.other)
        } else {
            (choice.slot, Some(choice.commit))
        };
        let durable_count = durable.map_or(0, |d| d.count);
        let durable_one_sync = durable.is_some_and(|d| d.one_sync.is_some());
        let (header_chunk_records, header_stride) =
            (header.layout.chunk_records, header.layout.stride as usize);
        let engine = Engine {
            path: path.to_path_buf(),
            file,
            map,
            read_path,
            mode: opts.mode,
            header,
            boot,
            commit: choice.commit,
            current_slot: choice.slot,
            durable_slot,
            durable_count,
            len: choice.commit.count,
            capacity: choice.commit.capacity,
            dirty: ChunkSet::default(),
            changed: false,
            grown_unsynced: false,
            recovery,
            closed: false,
            sync_log: opts.sync_log.clone(),
            fail_sync: opts.fail_sync,
            syncs: 0,
            poisoned: None,
            prefaulted_to: 0,
            push_end: 0,
            fed_to: 0,
            crcs: AppendCrcs::new(header_chunk_records, header_stride),
            changed_since_durable: u64::MAX,
            durable_one_sync,
            table_crc: None,
            share,
        };
        if opts.verify {
            engine.verify()?;
        }
        Ok(engine)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
    pub fn schema(&self) -> &Schema {
        &self.header.schema
    }
    pub fn layout(&self) -> &Layout {
        &self.header.layout
    }
    pub fn mode(&self) -> Mode {
        self.mode
    }
    #[inline]
    pub fn len(&self) -> u64 {
        self.len
    }
    pub fn capacity(&self) -> u64 {
        self.capacity
    }
    pub fn commit(&self) -> Commit {
        self.commit
    }
    pub fn recovery(&self) -> Option<&Recovery> {
        self.recovery.as_ref()
    }
    pub fn format_minor(&self) -> u16 {
        self.header.version_minor
    }
    pub fn mapped_len(&self) -> u64 {
        self.map.len() as u64
    }
    pub fn read_path(&self) -> &ReadPath {
        &self.read_path
    }

    /// The bytes of the records `0..len`. Inlined: it is on the path of
    /// every `get`, in other crates.
    #[inline]
    pub fn data(&self) -> &[u8] {
        let start = self.header.layout.data_offset as usize;
        // By the INVARIANT on `capacity`, data_offset + capacity * stride is
        // mapped and fits in usize, and len <= capacity.
        // Records below `len` are stable: committed (a reader's) or this
        // writer's own (`crate::map`, rule 2).
        let end = start + (self.len * self.header.layout.stride) as usize;
        self.map.stable(start..end).expect("mapped")
    }

    /// The bytes of record `index`, if `index < len`, for records of
    /// `stride` bytes (a constant in typed stores, whose stride was checked
    /// to be `size_of::<T>()` at open). Computes one record's range instead of
    /// the whole data slice: this is every `get`.
    #[inline]
    pub fn record(&self, index: u64, stride: usize) -> Option<&[u8]> {
        debug_assert_eq!(stride as u64, self.header.layout.stride);
        if index >= self.len {
            return None;
        }
        // No overflow: index < len <= capacity, and the data region for
        // `capacity` records is mapped (INVARIANT on `capacity`).
        let start = self.header.layout.data_offset as usize + index as usize * stride;
        self.map.stable(start..start + stride)
    }

    fn writable(&mut self, op: &'static str) -> Result<&mut [u8]> {
        if let Some(cause) = &self.poisoned {
            return Err(Error::Poisoned {
                op,
                path: self.path.clone(),
                cause: cause.clone(),
            });
        }
        if self.mode == Mode::CopyOnWrite {
            // Its first change: from now on it changes only its own copy.
            self.map
                .make_private(&self.file)
                .map_err(io_err("copy into memory", &self.path))?;
        }
        let path = &self.path;
        self.map.bytes_mut().ok_or_else(|| Error::ReadOnly {
            path: path.clone(),
            op,
        })
    }

    /// The bytes of records `start..end` (both <= len), writable; marks
    /// their chunks changed.
    pub fn data_mut(&mut self, start: u64, end: u64, op: &'static str) -> Result<&mut [u8]> {
        self.writable(op)?;
        self.close_push_window();
        self.check_unchanged(start, end)?;
        // Last of the checks: a refused change must not keep readers out.
        self.share.permit(&self.file, &self.path, start, op)?;
        self.pin_durable(start)?;
        self.crcs.forget();
        self.records_mut(start, end, op)
    }

    /// Makes this handle refuse every further write and commit (see
    /// [`Error::Poisoned`]), and returns the error that caused it.
    fn poison(&mut self, op: &'static str, e: std::io::Error) -> Error {
        self.poisoned = Some(e.to_string());
        // The push fast path checks nothing: close its window.
        self.push_end = 0;
        Error::io(op, &self.path, e)
    }

    /// Refuses to change records `start..end` if the committed bytes of a
    /// chunk they fall in no longer match its checksum: the change would
    /// checksum the chunk anew and so turn bytes that fail their check into
    /// bytes that pass (an append into a damaged tail chunk, an update
    /// beside a damaged record). Checks each chunk once per commit, when it
    /// is first changed: at most a chunk (64 KiB) of CRC per chunk changed.
    fn check_unchanged(&self, start: u64, end: u64) -> Result<()> {
        let view = View::of(&self.file, &self.map);
        let layout = self.header.layout;
        let c = layout.chunk_records;
        let committed = self.commit.count;
        let last = end.min(committed).div_ceil(c);
        for chunk in start / c..last {
            if self.dirty.contains(chunk) {
                continue;
            }
            // The commit's data and table are mapped (INVARIANT on `capacity`).
            let (stored, actual) =
                format::chunk_crcs(&view, &layout, &self.commit, chunk).expect("mapped");
            if stored != actual {
                return Err(Error::ChecksumMismatch {
                    path: self.path.clone(),
                    chunk,
                    records: layout.chunk_records_range(chunk, committed),
                    expected: stored,
                    actual,
                    bad_chunks: 1,
                });
            }
        }
        Ok(())
    }

    /// Called before records from `first` on are changed in place. If the
    /// durable commit is a one-sync commit covering some of them, makes the
    /// current commit durable with two syncs first. Otherwise a power cut
    /// that left the change half on disk would fail the one-sync commit's
    /// check after the reboot and lose it. With a plain durable commit such
    /// a change is only what `verify` reports, as for every in-place update
    /// (`docs/FORMAT.md`, known limits). Costs two syncs, once per durable
    /// commit, and only for in-place updates after a one-sync `flush`.
    fn pin_durable(&mut self, first: u64) -> Result<()> {
        if !self.durable_one_sync || first >= self.durable_count {
            return Ok(());
        }
        let commit = Commit {
            sequence: self.commit.sequence + 1,
            unsynced: false,
            ..self.commit
        };
        let target = 1 - self.durable_slot;
        self.commit = self.write_durable(target, commit, false)?;
        self.current_slot = target;
        Ok(())
    }

    /// `data_mut` without forgetting the appended CRCs: for appends, which
    /// feed them.
    fn records_mut(&mut self, start: u64, end: u64, op: &'static str) -> Result<&mut [u8]> {
        debug_assert!(start <= end && end <= self.len);
        self.writable(op)?;
        self.mark(start, end);
        let layout = self.header.layout;
        let bytes = self.map.bytes_mut().expect("checked writable above");
        let from = (layout.data_offset + start * layout.stride) as usize;
        let to = (layout.data_offset + end * layout.stride) as usize;
        Ok(&mut bytes[from..to])
    }

    /// Notes that records `start..end` change: their chunks are marked
    /// for the next commit's checksums, and a one-sync commit is ruled out
    /// if any lies before the durable commit's end (`one_sync_from`).
    fn mark(&mut self, start: u64, end: u64) {
        self.changed_since_durable = self.changed_since_durable.min(start);
        if start < end {
            let c = self.header.layout.chunk_records;
            self.dirty.insert_range(start / c, (end - 1) / c + 1);
        }
        self.changed = true;
    }

    /// The bytes of one more record at the end, when it fits without
    /// growing: `push`'s fast path, which the caller fills at once. `None`
    /// means take the general path (`append`).
    ///
    /// Pushes go through a *window*: records `len..push_end`, in one chunk,
    /// with their pages prepared, whose bookkeeping (chunk marked changed,
    /// pages prepared) was done when the window opened. Inside it, a push is
    /// a compare, a copy and an increment.
    #[inline]
    pub fn next_record_mut(&mut self) -> Option<&mut [u8]> {
        if self.len >= self.push_end && !self.open_push_window() {
            return None;
        }
        let stride = self.header.layout.stride as usize;
        // No overflow: len < push_end <= capacity, and the data region for
        // `capacity` records is mapped (INVARIANT on `capacity`).
        let start = self.header.layout.data_offset as usize + self.len as usize * stride;
        let bytes = self.map.bytes_mut()?;
        self.len += 1;
        Some(&mut bytes[start..start + stride])
    }

    /// `push` when `next_record_mut` found no room: grows, then pushes
    /// through a new window, whose pages are prepared (a copy into a page
    /// past the prepared ones would fault it in with readahead).
    #[cold]
    pub fn push_slow(&mut self, bytes: &[u8]) -> Result<()> {
        self.writable("append")?;
        if bytes.len() as u64 == self.header.layout.stride
            && self.check_unchanged(self.len, self.len + 1).is_ok()
        {
            // Refused before growing, if it would write over truncated
            // records readers may see.
            self.share.permit(
                &self.file,
                &self.path,
                self.len,
                "append over truncated records",
            )?;
            self.reserve(1)?;
            if let Some(slot) = self.next_record_mut() {
                slot.copy_from_slice(bytes);
                return Ok(());
            }
        }
        self.append(bytes)
    }

    /// Opens the next push window at `len` (see `next_record_mut`), first
    /// feeding the records pushed in the last one to the chunk CRCs while
    /// they are still in the CPU cache. `false`: no room without growing,
    /// or not writable.
    #[cold]
    fn open_push_window(&mut self) -> bool {
        // Below `exposed`, `append` asks for the in-place permission first.
        if self.len >= self.capacity
            || self.len < self.share.exposed()
            || self.map.bytes_mut().is_none()
            || self.poisoned.is_some()
            || self.check_unchanged(self.len, self.len + 1).is_err()
        {
            // `push_slow` takes the general path, which reports why.
            return false;
        }
        self.feed_pushed();
        let layout = self.header.layout;
        let chunk = self.len / layout.chunk_records;
        // The whole window is marked now, so a push need not.
        self.mark(self.len, (chunk + 1) * layout.chunk_records);
        let stride = layout.stride as usize;
        let start = layout.data_offset as usize + self.len as usize * stride;
        if start + stride > self.prefaulted_to {
            self.prefault(start);
        }
        let prepared = ((self.prefaulted_to - layout.data_offset as usize) / stride) as u64;
        self.push_end = self
            .capacity
            .min((chunk + 1) * layout.chunk_records)
            .min(prepared);
        debug_assert!(self.push_end > self.len);
        true
    }

    /// Feeds the records pushed in the open window to the chunk CRCs.
    fn feed_pushed(&mut self) {
        if self.push_end != 0 && self.fed_to < self.len {
            let layout = self.header.layout;
            let (a, b) = (
                (layout.data_offset + self.fed_to * layout.stride) as usize,
                (layout.data_offset + self.len * layout.stride) as usize,
            );
            let pushed = self.map.owned().expect("pushed, so writable");
            self.crcs.feed(self.fed_to, &pushed[a..b]);
        }
        self.fed_to = self.len;
    }

    /// Ends the push window: every operation but `push` calls this first,
    /// so that it sees the pushed records fed and its own changes cannot
    /// fall inside a window whose bookkeeping was done before them.
    fn close_push_window(&mut self) {
        self.feed_pushed();
        self.push_end = 0;
    }

    /// Prepares the pages from `start` on (at most `PREFAULT` bytes, never
    /// past the data region) for `push`: zeros written through the file
    /// put them in the page cache in large folios at memcpy speed, then one
    /// `madvise` maps them, instead of a page fault (and a read of a reserved
    /// block) every 4 KiB. Only unused space past the last record is
    /// written, never a record that a commit (the current or the durable
    /// one) still covers. A failure here is ignored: the pages then fault
    /// in as usual.
    #[cold]
    fn prefault(&mut self, start: usize) {
        static ZEROS: [u8; PREFAULT] = [0; PREFAULT];
        let layout = self.header.layout;
        let data_end = (layout.data_offset + self.capacity * layout.stride) as usize;
        let from = start / PAGE * PAGE;
        let end = data_end.min(start + PREFAULT);
        // Never over records a commit still refers to: after a truncate the
        // last commits may reach past `start`.
        // Nor over records a reader may have borrowed (`crate::share`).
        let kept = self
            .commit
            .count
            .max(self.durable_count)
            .max(self.share.exposed());
        let zeros_from = start.max((layout.data_offset + kept * layout.stride) as usize);
        if zeros_from < end {
            let _ = self
                .map
                .write_at(&self.file, zeros_from, &ZEROS[..end - zeros_from]);
        }
        self.map.prefault_write(from, end.saturating_sub(from));
        self.prefaulted_to = end;
    }

    /// Appends `bytes` (a whole number of records), growing if needed.
    pub fn append(&mut self, bytes: &[u8]) -> Result<()> {
        // Every check before any state changes: a refused append leaves
        // the handle as it was.
        self.writable("append")?;
        self.close_push_window();
        let stride = self.header.layout.stride as usize;
        if !bytes.len().is_multiple_of(stride) {
            return Err(Error::RecordLength {
                len: bytes.len(),
                stride,
            });
        }
        let n = (bytes.len() / stride) as u64;
        if n == 0 {
            return Ok(());
        }
        self.check_unchanged(self.len, self.len + n)?;
        let start = self.len;
        // After a truncate, the records appended may be ones readers see.
        self.share.permit(
            &self.file,
            &self.path,
            start,
            "append over truncated records",
        )?;
        self.reserve(n)?;
        if bytes.len() < WRITE_THROUGH_MIN {
            self.len += n;
            self.records_mut(start, self.len, "append")?
                .copy_from_slice(bytes);
            self.crcs.feed(start, bytes);
            return Ok(());
        }
        // Large appends go through the file (see `Mapping::write_at`).
        let offset = self.header.layout.data_offset + start * stride as u64;
        if let Err(e) = self.map.write_at(&self.file, offset as usize, bytes) {
            return Err(self.poison("write", e));
        }
        self.crcs.feed(start, bytes);
        self.len += n;
        self.mark(start, self.len);
        Ok(())
    }

    /// Logically shortens the store to `n` records (never shrinks the file).
    pub fn truncate(&mut self, n: u64) -> Result<()> {
        self.writable("truncate")?;
        self.close_push_window();
        if n < self.len {
            let c = self.header.layout.chunk_records;
            self.check_unchanged(n, n.next_multiple_of(c))?;
            // Appends after it overwrite records from `n` on.
            self.share.permit(&self.file, &self.path, n, "truncate")?;
            self.pin_durable(n)?;
            self.crcs.forget();
            self.table_crc = None;
            self.len = n;
            // The tail chunk's records change; records from `n` on will.
            self.mark(n, n.next_multiple_of(self.header.layout.chunk_records));
        }
        Ok(())
    }

    /// Makes room for `additional` more records.
    pub fn reserve(&mut self, additional: u64) -> Result<()> {
        let layout = self.header.layout;
        let needed = self
            .len
            .checked_add(additional)
            .ok_or(Error::CapacityOverflow {
                requested: u64::MAX,
                stride: layout.stride,
            })?;
        if needed <= self.capacity {
            return Ok(());
        }
        self.writable("grow")?;
        // Geometric growth keeps `push` amortised O(1); where doubling would
        // overflow, or the disk has room only for what is needed, take that.
        let doubled = needed.max(self.capacity.saturating_mul(2));
        let fits = |cap| layout.file_len(cap).is_some_and(|l| l <= isize::MAX as u64);
        let new_cap = if fits(doubled) { doubled } else { needed };
        match self.grow_to(new_cap) {
            Err(Error::DiskFull { .. }) if new_cap > needed => self.grow_to(needed),
            result => result,
        }
    }

    fn grow_to(&mut self, new_cap: u64) -> Result<()> {
        let layout = self.header.layout;
        let overflow = Error::CapacityOverflow {
            requested: new_cap,
            stride: layout.stride,
        };
        let new_len = layout
            .file_len(new_cap)
            .filter(|&l| l <= isize::MAX as u64)
            .ok_or(overflow)?;
        if self.mode == Mode::ReadWrite {
            os::reserve(&self.file, new_len).map_err(io_err("grow", &self.path))?;
        }
        if (self.map.len() as u64) < new_len {
            self.map
                .resize(&self.file, new_len)
                .map_err(io_err("map", &self.path))?;
            self.grown_unsynced = true;
        }
        // Relocation: the committed entries move to the table's place at the
        // new capacity, before any record overwrites the old table.
        let old_cap = self.capacity;
        let entries = layout.full_chunks(self.commit.count) * format::TABLE_ENTRY_LEN;
        let src = layout.table_offset(old_cap).expect("mapped, so it fits");
        let dst = layout.table_offset(new_cap).expect("checked by file_len");
        let own = self.map.owned().expect("checked writable by reserve");
        let moved = own[src as usize..(src + entries) as usize].to_vec();
        if let Err(e) = self.map.write_at(&self.file, dst as usize, &moved) {
            return Err(self.poison("write the checksum table of", e));
        }
        self.capacity = new_cap;
        // The old table holds committed checksums: make the relocation
        // durable before data overwrites them, unless none exists.
        let c = layout.chunk_records;
        let protect = self.commit.count >= c || self.durable_count >= c;
        let relocation = Commit {
            sequence: self.commit.sequence + 1,
            capacity: new_cap,
            unsynced: !protect && self.map.is_shared_writable(),
            one_sync: None,
            ..self.commit
        };
        let target = 1 - self.durable_slot;
        let relocation = if protect {
            self.write_durable(target, relocation, true)?
        } else {
            self.write_slot(target, relocation)?;
            relocation
        };
        self.commit = relocation;
        self.current_slot = target;
        Ok(())
    }

    /// Writes `commit` (not `unsynced`) into slot `target` and makes it
    /// durable, with one sync where the commit allows it (see
    /// [`Engine::one_sync_from`]) and `one_sync` is asked for, else with
    /// two. Returns the commit as written.
    fn write_durable(&mut self, target: usize, commit: Commit, one_sync: bool) -> Result<Commit> {
        debug_assert!(!commit.unsynced);
        let checked_from = self.one_sync_from(commit.count).filter(|_| one_sync);
        let commit = if let Some(checked_from) = checked_from {
            // Everything the slot refers to and the slot itself, in one sync:
            // after a reboot, a reader checks `checked_from..count` and the
            // table before trusting the slot (`format::check_one_sync`).
            let commit = Commit {
                one_sync: Some(format::OneSync {
                    checked_from,
                    table_crc: self.table_crc_now(commit.count)?,
                    unchecked: false,
                }),
                ..commit
            };
            self.write_slot(target, commit)?;
            self.sync_data()?;
            commit
        } else {
            let commit = Commit {
                one_sync: None,
                ..commit
            };
            self.sync_data()?;
            self.write_slot(target, commit)?;
            self.sync_slot(target)?;
            commit
        };
        self.durable_slot = target;
        self.durable_count = commit.count;
        self.durable_one_sync = commit.one_sync.is_some();
        Ok(commit)
    }

    /// Where a one-sync commit of `count` records must start its check: the
    /// chunk of the last durable commit's end, where appends began. `None`
    /// when the commit must take two syncs: the file predates format 1.1,
    /// the mapping is private, records before that chunk changed since the
    /// last durable commit (an in-place update or a truncate), or the check
    /// would cover more than `ONE_SYNC_MAX_CHECK` bytes.
    fn one_sync_from(&self, count: u64) -> Option<u64> {
        let layout = self.header.layout;
        let durable_chunk = self.durable_count / layout.chunk_records;
        let from = durable_chunk * layout.chunk_records;
        let allowed = self.header.version_minor >= format::ONE_SYNC_MINOR
            && self.map.is_shared_writable()
            && self.changed_since_durable >= self.durable_count
            && from <= count
            && (count - from).saturating_mul(layout.stride) <= ONE_SYNC_MAX_CHECK;
        allowed.then_some(from)
    }

    /// CRC-32 of the table entries of the first `count` records' full
    /// chunks: from the running CRC when it is current, else read from the
    /// table (and kept).
    fn table_crc_now(&mut self, count: u64) -> Result<u32> {
        let layout = self.header.layout;
        let full = layout.full_chunks(count);
        let read = |bytes: &[u8]| format::table_crc(bytes, &layout, self.capacity, full);
        let crc = match self.table_crc {
            Some((k, crc)) if k == full => {
                debug_assert_eq!(read(self.map.owned().expect("a writer")), Some(crc));
                crc
            }
            _ => read(self.map.owned().expect("a writer")).ok_or(Error::CapacityOverflow {
                requested: self.capacity,
                stride: layout.stride,
            })?,
        };
        self.table_crc = Some((full, crc));
        Ok(crc)
    }

    /// Counts a commit's sync and fails it if the test hook asks.
    fn injected_sync_failure(&mut self) -> std::io::Result<()> {
        let n = self.syncs;
        self.syncs += 1;
        if self.fail_sync == Some(n) {
            return Err(std::io::Error::other("injected sync failure (test hook)"));
        }
        Ok(())
    }

    /// Makes every written byte durable. A failure poisons the handle
    /// (see [`Error::Poisoned`]): a later sync could succeed although the
    /// kernel dropped the pages this one failed to write.
    fn sync_data(&mut self) -> Result<()> {
        let result = self.injected_sync_failure().and_then(|()| {
            self.map.sync_all()?;
            if self.grown_unsynced && self.map.is_shared_writable() {
                self.file.sync_all()?;
            }
            Ok(())
        });
        if let Err(e) = result {
            return Err(self.poison("sync", e));
        }
        log_sync(self.sync_log.as_ref(), &self.map, 0..self.map.len());
        self.grown_unsynced = false;
        Ok(())
    }

    fn sync_slot(&mut self, slot: usize) -> Result<()> {
        // msync works on whole pages: the slot's page becomes durable.
        let at = self.header.layout.slots[slot] as usize;
        let page = at / format::PAGE_SIZE as usize * format::PAGE_SIZE as usize;
        let result = self
            .injected_sync_failure()
            .and_then(|()| self.map.sync_range(at, SLOT_LEN));
        if let Err(e) = result {
            return Err(self.poison("sync", e));
        }
        log_sync(
            self.sync_log.as_ref(),
            &self.map,
            page..page + format::PAGE_SIZE as usize,
        );
        Ok(())
    }

    fn write_slot(&mut self, slot: usize, commit: Commit) -> Result<()> {
        let bytes = format::encode_slot(&self.header.layout, &commit, self.boot).ok_or(
            Error::CapacityOverflow {
                requested: commit.capacity,
                stride: self.header.layout.stride,
            },
        )?;
        // Through the file (`pwrite`), never a reference into the mapping:
        // readers in other processes read the slots with `pread` meanwhile.
        self.writable("commit")?;
        self.map
            .write_at(&self.file, self.header.layout.slots[slot] as usize, &bytes)
            .map_err(io_err("write a commit slot of", &self.path))?;
        self.share.slot_written(slot, commit.count);
        Ok(())
    }

    /// Writes the table entries of changed full chunks and returns the CRC
    /// of the tail (the records after the last full chunk).
    fn write_checksums(&mut self) -> Result<u32> {
        let layout = self.header.layout;
        let (len, full) = (self.len, layout.full_chunks(self.len));
        let table = layout.table_offset(self.capacity).expect("mapped");
        let data_offset = layout.data_offset;
        let dirty = std::mem::take(&mut self.dirty);
        // Known from the appended bytes, or read back from the mapping; the
        // debug builds (all tests) check the first against the second.
        let known: Vec<(u64, Option<u32>)> = dirty
            .iter_below(full)
            .map(|chunk| (chunk, self.crcs.full(chunk)))
            .collect();
        // The tail chunk unchanged since the last commit keeps that commit's
        // CRC: computing it from the bytes would bless what they became
        // without a commit (an update in place before a crash, the page
        // cache kept), and a recommit (a clean close, a flush over a
        // publish) would then hide it from `verify`. Unchanged, it is the
        // same tail: anything that moves the count into another partial
        // chunk marks that chunk.
        let unchanged_tail = (!len.is_multiple_of(layout.chunk_records) && !dirty.contains(full))
            .then(|| {
                debug_assert_eq!(layout.full_chunks(self.commit.count), full);
                self.commit.tail_crc
            });
        let known_tail = self.crcs.tail(full, len);
        let bytes = self.writable("commit")?;
        let data =
            |(a, b): (u64, u64)| &bytes[(data_offset + a) as usize..(data_offset + b) as usize];
        let crc = |chunk: u64, known: Option<u32>| {
            let hash = || crc32fast::hash(data(layout.chunk_bytes(chunk, len)));
            debug_assert!(known.is_none_or(|k| k == hash()), "chunk {chunk}");
            known.unwrap_or_else(hash)
        };
        let entries: Vec<(u64, u32)> = known
            .into_iter()
            .map(|(chunk, k)| (chunk, crc(chunk, k)))
            .collect();
        let tail = unchanged_tail.unwrap_or_else(|| crc(full, known_tail));
        self.write_table_entries(table, &entries)?;
        // The running table CRC extends over entries appended in order, and
        // is recomputed when needed after any other change. It covers `k`
        // entries: when the count went below them (a truncate, then a commit
        // of the older, longer count by growth), `k..full` is empty but the
        // CRC is not that of the first `full` entries.
        self.table_crc = match self.table_crc {
            Some((k, crc)) if k <= full && entries.iter().map(|e| e.0).eq(k..full) => {
                let mut h = crc32fast::Hasher::new_with_initial(crc);
                for (_, entry) in &entries {
                    h.update(&entry.to_le_bytes());
                }
                Some((full, h.finalize()))
            }
            _ => None,
        };
        let mut dirty = dirty;
        dirty.clear();
        self.dirty = dirty;
        self.crcs.committed();
        Ok(tail)
    }

    /// Writes `(chunk, crc)` table entries (in chunk order) for the table at
    /// `table`: each run of consecutive chunks in one write through the file
    /// (`Mapping::write_at`), so that a table page not in the page cache yet
    /// is not faulted in, with readahead, through the mapping.
    fn write_table_entries(&mut self, table: u64, entries: &[(u64, u32)]) -> Result<()> {
        let mut run: Vec<u8> = Vec::new();
        let mut rest = entries;
        while let Some(&(first, _)) = rest.first() {
            let len = rest
                .iter()
                .zip(first..)
                .take_while(|&(&(chunk, _), expected)| chunk == expected)
                .count();
            run.clear();
            run.extend(rest[..len].iter().flat_map(|&(_, crc)| crc.to_le_bytes()));
            let at = table + first * format::TABLE_ENTRY_LEN;
            if let Err(e) = self.map.write_at(&self.file, at as usize, &run) {
                return Err(self.poison("write the checksum table of", e));
            }
            rest = &rest[len..];
        }
        Ok(())
    }

    /// Commits everything written so far: visible to readers at once, and
    /// durable too if `durable`.
    pub fn commit_changes(&mut self, durable: bool) -> Result<()> {
        self.commit_with(durable, true)
    }

    /// `commit_changes`, with one-sync commits allowed or not: a clean
    /// close writes a two-sync commit, so that a store at rest opens after
    /// a reboot without a check (and a 1.0 reader opens it).
    fn commit_with(&mut self, durable: bool, one_sync: bool) -> Result<()> {
        self.close_push_window();
        self.writable(if durable { "flush" } else { "publish" })?;
        let durable = durable && self.map.is_shared_writable();
        let resync =
            durable && (self.commit.unsynced || (!one_sync && self.commit.one_sync.is_some()));
        if !self.changed && !resync {
            // Nothing to commit; if an in-place change took the readers'
            // lock and then failed, let them in again.
            return self.let_readers_in(false);
        }
        let tail_crc = self.write_checksums()?;
        let commit = Commit {
            sequence: self.commit.sequence + 1,
            count: self.len,
            capacity: self.capacity,
            tail_crc,
            unsynced: !durable && self.map.is_shared_writable(),
            one_sync: None,
        };
        // Publishes go to the slot that does not hold the durable commit
        // (overwriting the previous publish), so the durable commit stays
        // intact whatever happens to this one.
        let target = 1 - self.durable_slot;
        let commit = if durable {
            let commit = self.write_durable(target, commit, one_sync)?;
            // Everything changed is in this durable commit. (Not so for the
            // other callers of `write_durable`, which re-commit an older
            // state: they keep the mark.)
            self.changed_since_durable = u64::MAX;
            commit
        } else {
            self.write_slot(target, commit)?;
            commit
        };
        self.commit = commit;
        self.current_slot = target;
        self.changed = false;
        self.let_readers_in(durable)
    }

    /// After a commit: if it committed an in-place change, readers may open
    /// again, once no commit slot refers to records past the committed
    /// count (after a `truncate`, a durable commit is copied into the other
    /// slot; a publish keeps them out until the next `flush`).
    fn let_readers_in(&mut self, durable: bool) -> Result<()> {
        if let Some(slot) = self.share.committed(&self.file, self.commit.count) {
            // Never a one-sync commit into both slots: its fallback is the
            // other slot. (Not reached: a flush after a truncate below the
            // durable count takes two syncs.)
            if durable && slot != self.durable_slot && self.commit.one_sync.is_none() {
                self.write_slot(slot, self.commit)?;
                self.share.committed(&self.file, self.commit.count);
            }
        }
        Ok(())
    }

    /// A clean close: a durable commit, then the other slot made a copy of
    /// it, so that damage to one slot never rolls back committed records.
    pub fn close(&mut self) -> Result<()> {
        if self.closed || !self.map.is_shared_writable() {
            self.closed = true;
            return Ok(());
        }
        self.commit_with(true, false)?;
        let other = 1 - self.durable_slot;
        let layout = self.header.layout;
        let len = self.map.len() as u64;
        let mirrored = read_slot(&self.file, &self.header.layout, other)
            .and_then(|b| format::decode_slot(&b, &layout, len, self.boot).ok())
            == Some(self.commit);
        if !mirrored {
            self.write_slot(other, self.commit)?;
            self.sync_slot(other)?;
        }
        self.closed = true;
        Ok(())
    }

    /// Ends this handle as a killed process would: nothing more is
    /// committed or synced; the mapping and the lock go. For tests.
    pub fn abandon(&mut self) {
        self.closed = true;
    }

    /// Checks every committed chunk against its checksum. Chunks changed
    /// since the last commit are skipped: their checksums are not written yet.
    pub fn verify(&self) -> Result<()> {
        self.verify_with_progress(&mut |_| {})
    }

    /// [`verify`](Engine::verify), calling `progress` with the number of
    /// records checked so far every 256 chunks (16 MiB) or so.
    pub fn verify_with_progress(&self, progress: &mut dyn FnMut(u64)) -> Result<()> {
        let layout = self.header.layout;
        let count = self.commit.count;
        // Another program may have shrunk the file under the mapping (a
        // reader's `refresh` reports it): reading the pages past its end
        // would raise SIGBUS. Stay inside the file.
        let file_len = self
            .file
            .metadata()
            .map_err(io_err("read the metadata of", &self.path))?
            .len();
        let needed = layout
            .table_end(self.commit.capacity)
            .expect("valid when mapped");
        // (A copy-on-write handle that changed something holds its records
        // in its own memory, which may have grown past the file's end.)
        if file_len < needed && self.map.is_file_backed() {
            return Err(Error::FileTooSmall {
                path: self.path.clone(),
                len: file_len,
                needed,
                what: "the committed records and their checksums (another program truncated the \
                       file while it was open)",
            });
        }
        let view = View::of(&self.file, &self.map);
        let mut first: Option<(u64, u32, u32)> = None;
        let mut bad = 0u64;
        for chunk in 0..layout.chunks(count) {
            if self.dirty.contains(chunk) {
                continue;
            }
            // The commit's data and table are mapped (INVARIANT on `capacity`).
            let (stored, actual) =
                format::chunk_crcs(&view, &layout, &self.commit, chunk).expect("mapped");
            if actual != stored {
                bad += 1;
                first.get_or_insert((chunk, stored, actual));
            }
            if chunk % 256 == 255 {
                progress(layout.chunk_records_range(chunk, count).end);
            }
        }
        progress(count);
        match first {
            None => Ok(()),
            Some((chunk, expected, actual)) => Err(Error::ChecksumMismatch {
                path: self.path.clone(),
                chunk,
                records: layout.chunk_records_range(chunk, count),
                expected,
                actual,
                bad_chunks: bad,
            }),
        }
    }

    /// Re-reads the commit slots (read-only handles): picks up commits
    /// published since, remapping if the file grew. Never goes back to an
    /// older commit. Returns whether anything changed.
    pub fn refresh(&mut self) -> Result<bool> {
        if self.mode == Mode::CopyOnWrite {
            return Err(Error::Unsupported {
                path: self.path.clone(),
                op: "refresh",
                reason: "a copy-on-write handle is a snapshot of the commit it was opened at; \
                         open a new handle to see newer commits",
            });
        }
        for _ in 0..8 {
            let raw = [0, 1].map(|i| read_slot(&self.file, &self.header.layout, i));
            // The length is read after the slots: a writer grows the file
            // before it writes a slot that needs the growth.
            let file_len = self
                .file
                .metadata()
                .map_err(io_err("read the metadata of", &self.path))?
                .len();
            let layout = &self.header.layout;
            // Another program shrank the file: pages past its end would raise
            // SIGBUS when read. Shrink the view to the records still in the
            // file and say so (`&mut self`: no record borrowed before can be
            // read after).
            let needed = layout.table_end(self.capacity).expect("valid when mapped");
            if file_len < needed {
                let fits = file_len.saturating_sub(layout.data_offset) / layout.stride;
                self.len = self.len.min(fits);
                return Err(Error::FileTooSmall {
                    path: self.path.clone(),
                    len: file_len,
                    needed,
                    what: "mapped records (another program truncated the file while it was mapped)",
                });
            }
            let slots = [0, 1].map(|i| match raw[i] {
                Some(b) => format::decode_slot(&b, layout, file_len, self.boot),
                None => Err(SlotProblem::Overflow),
            });
            // Nothing newer: done, with no check and no remap. The check of
            // a one-sync commit (every one, where the boot id is unknown)
            // thus runs once per new commit, not once per refresh.
            let newest = slots.iter().flatten().map(|c| c.sequence).max();
            if newest.is_some_and(|n| n <= self.commit.sequence) {
                return Ok(false);
            }
            // The check reads what the new commit added, which may lie past
            // the old mapping: map the file as it is now first.
            if (self.map.len() as u64) < file_len {
                self.map
                    .resize(&self.file, file_len)
                    .map_err(io_err("map", &self.path))?;
            }
            read_path::load_committed(
                &mut self.map,
                &self.file,
                &self.header.layout,
                &slots,
                self.len,
            )
            .map_err(io_err("read", &self.path))?;
            let layout = &self.header.layout;
            let Ok(choice) = choose_trusted(&self.file, &self.map, layout, slots) else {
                // Both unreadable at once: a commit is being written; retry.
                std::thread::yield_now();
                continue;
            };
            if choice.commit.sequence <= self.commit.sequence {
                return Ok(false);
            }
            // decode_slot checked that the commit fits in `file_len`, all mapped.
            debug_assert!(layout
                .table_end(choice.commit.capacity)
                .is_some_and(|end| end <= self.map.len() as u64));
            self.commit = choice.commit;
            self.current_slot = choice.slot;
            self.len = choice.commit.count;
            self.capacity = choice.commit.capacity;
            return Ok(true);
        }
        Ok(false)
    }
}

impl Drop for Engine {
    /// A writer's drop is a clean close (see [`Engine::close`]); errors are
    /// ignored here, call `close` to see them.
    fn drop(&mut self) {
        // Unwinding from a panic: the writer's work since its last commit
        // may be half done (a record half updated, a batch half appended).
        // Committing it now would make it durable; leave the last commit in
        // effect, as a killed process does.
        if std::thread::panicking() {
            self.abandon();
            return;
        }
        let _ = self.close();
    }
}

/// Logs a sync for the power-loss simulation: the mapped bytes when it
/// completed, and what it made durable.
fn log_sync(log: Option<&SyncLog>, map: &Mapping, synced: std::ops::Range<usize>) {
    if let Some(log) = log {
        let memory = map.owned().map(<[u8]>::to_vec).unwrap_or_default();
        log.0
            .lock()
            .expect("not poisoned")
            .push(SyncEvent { memory, synced });
    }
}

/// Picks the newest slot whose commit can be trusted: a one-sync commit
/// from an earlier boot is checked against the file first, and rejected
/// (falling back to the other slot) if not all it refers to reached the disk.
fn choose_trusted(
    file: &File,
    map: &Mapping,
    layout: &Layout,
    mut slots: [std::result::Result<Commit, SlotProblem>; 2],
) -> std::result::Result<format::SlotChoice, [SlotProblem; 2]> {
    loop {
        let choice = format::choose_slot(slots.clone())?;
        match format::check_one_sync(&View::of(file, map), layout, &choice.commit) {
            Ok(()) => return Ok(choice),
            // Each turn rejects one more slot: at most two turns.
            Err(problem) => slots[choice.slot] = Err(problem),
        }
    }
}

/// Reads commit slot `slot` with `pread`, never through the mapping: a
/// writer in another process may be writing it. `None` if the file is too
/// short (or cannot be read).
fn read_slot(file: &File, layout: &Layout, slot: usize) -> Option<[u8; SLOT_LEN]> {
    let mut out = [0u8; SLOT_LEN];
    os::read_exact_at(file, &mut out, layout.slots[slot])
        .ok()
        .map(|()| out)
}

/// Reads the header region's bytes that `format::parse_header` needs, with
/// `pread`: the first page, and the schema block if it reaches past it. Not
/// through the mapping: the commit slots in that page may be changing.
fn read_header(file: &File, file_len: u64) -> std::io::Result<Vec<u8>> {
    let page = format::PAGE_SIZE.min(file_len) as usize;
    let mut head = vec![0u8; page];
    os::read_exact_at(file, &mut head, 0)?;
    let needed = format::header_read_len(&head).min(file_len as usize);
    if needed > head.len() {
        head.resize(needed, 0);
        os::read_exact_at(file, &mut head[page..], page as u64)?;
    }
    Ok(head)
}

/// The file as the checks read it (`format::FileBytes`): this handle's own
/// bytes where only it changes them; for a reader, the committed records
/// borrowed from the mapping and the checksum table read with `pread`, a
/// block of entries at a time (`crate::map`, rule 4).
enum View<'a> {
    Owned(&'a [u8]),
    Reader {
        file: &'a File,
        map: &'a Mapping,
        /// File offset and bytes of the last block of the table read.
        block: std::cell::RefCell<(u64, Vec<u8>)>,
    },
}

impl<'a> View<'a> {
    fn of(file: &'a File, map: &'a Mapping) -> View<'a> {
        match map.owned() {
            Some(bytes) => View::Owned(bytes),
            None => View::Reader {
                file,
                map,
                block: Default::default(),
            },
        }
    }
}

impl format::FileBytes for View<'_> {
    fn records(&self, start: usize, end: usize) -> Option<&[u8]> {
        match self {
            View::Owned(bytes) => bytes.get(start..end),
            View::Reader { map, .. } => map.stable(start..end),
        }
    }

    fn read_into(&self, offset: u64, out: &mut [u8]) -> Option<()> {
        const BLOCK: u64 = 16 << 10;
        let (file, block) = match self {
            View::Owned(bytes) => return bytes.read_into(offset, out),
            View::Reader { file, block, .. } => (file, block),
        };
        let end = offset.checked_add(out.len() as u64)?;
        let mut block = block.borrow_mut();
        let (at, bytes) = &mut *block;
        let cached = offset >= *at && end <= *at + bytes.len() as u64;
        if !cached {
            *at = offset / BLOCK * BLOCK;
            let len = (end - *at).max(BLOCK) as usize;
            bytes.resize(len, 0);
            let n = os::read_at(file, bytes, *at).ok()?;
            bytes.truncate(n);
        }
        let from = usize::try_from(offset - *at).ok()?;
        out.copy_from_slice(bytes.get(from..from + out.len())?);
        Some(())
    }
}
