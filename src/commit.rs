//! Commit slots and durability: which slot a commit goes to, the one-sync
//! bookkeeping, the syncs, and the poison a failed write or sync leaves.
//! The engine (`crate::engine`) owns the mapping and hands it in as an
//! [`Io`] for each operation; this module owns the state of the commits.
//!
//! A commit writes the slot that does *not* hold the last durable commit,
//! so that whatever happens to it the durable commit stays intact. See
//! `crate::engine`'s module doc for the whole protocol.

use std::fs::File;
use std::path::Path;

use crate::config::{SyncEvent, SyncLog};
use crate::error::{Error, Result, SlotProblem};
use crate::format::{self, Commit, Layout, SLOT_LEN};
use crate::map::Mapping;
use crate::os;
use crate::share::Share;

/// What a commit operation needs of the engine: the file, its mapping and
/// the sharing state, borrowed for the call.
pub(crate) struct Io<'a> {
    pub path: &'a Path,
    pub file: &'a File,
    pub map: &'a mut Mapping,
    pub share: &'a mut Share,
}

/// The state of a writer's (or a reader's) commits.
pub(crate) struct Commits {
    layout: Layout,
    boot: [u8; 16],
    /// Whether the file's format has one-sync commits.
    one_sync_format: bool,
    /// The newest commit in effect.
    commit: Commit,
    /// The slot holding the newest durable commit: never written by a commit.
    durable_slot: usize,
    /// Records in the durable commit (whose table entries growth must protect).
    durable_count: u64,
    /// Whether the durable commit is a one-sync commit: then records it
    /// covers are not changed in place before it is made plain (`pin`).
    durable_one_sync: bool,
    /// The first record changed since the last durable commit (`u64::MAX`:
    /// none). A one-sync commit is made only if it is at or past
    /// `durable_count`: appends only.
    changed_since_durable: u64,
    /// `(k, crc)`: the CRC-32 of table entries `0..k` as written, kept up
    /// to date as entries are added, for one-sync commits. `None`: not
    /// known, computed from the table when needed.
    table_crc: Option<(u64, u32)>,
    /// Whether one-sync commits may trust the checksums this handle did
    /// not compute itself. A writer killed before committing an in-place
    /// change leaves it in the page cache, under the checksum of the old
    /// bytes; a one-sync commit covering that chunk would be rejected by
    /// its check after a reboot, and the acknowledged flush lost with it.
    /// So the first one-sync commit of a handle checks what it covers, as
    /// that reader will, and takes two syncs if the check fails.
    inherited_checked: bool,
    /// Records in the commit in effect when this handle opened: the chunks
    /// holding them are the ones whose checksums it did not compute.
    opened_count: u64,
    /// The file grew since the last disk sync.
    grown_unsynced: bool,
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
}

impl Commits {
    /// The commits of a handle just opened at `choice`.
    pub fn new(
        layout: Layout,
        format_minor: u16,
        boot: [u8; 16],
        choice: &format::SlotChoice,
        sync_log: Option<SyncLog>,
        fail_sync: Option<u64>,
    ) -> Commits {
        let (durable_slot, durable) = if choice.commit.unsynced {
            (1 - choice.slot, choice.other)
        } else {
            (choice.slot, Some(choice.commit))
        };
        Commits {
            layout,
            boot,
            one_sync_format: format_minor >= format::ONE_SYNC_MINOR,
            commit: choice.commit,
            durable_slot,
            durable_count: durable.map_or(0, |d| d.count),
            durable_one_sync: durable.is_some_and(|d| d.one_sync.is_some()),
            changed_since_durable: u64::MAX,
            table_crc: None,
            inherited_checked: false,
            opened_count: choice.commit.count,
            grown_unsynced: false,
            sync_log,
            fail_sync,
            syncs: 0,
            poisoned: None,
        }
    }

    /// The newest commit in effect.
    #[inline]
    pub fn current(&self) -> &Commit {
        &self.commit
    }

    /// Records in the newest durable commit.
    pub fn durable_count(&self) -> u64 {
        self.durable_count
    }

    /// A reader's `refresh` found a newer commit.
    pub fn adopt(&mut self, commit: Commit) {
        self.commit = commit;
    }

    /// The file grew: the next data sync syncs its length too.
    pub fn grew(&mut self) {
        self.grown_unsynced = true;
    }

    /// Records from `start` on change (for the one-sync rule).
    #[inline]
    pub fn changed_from(&mut self, start: u64) {
        self.changed_since_durable = self.changed_since_durable.min(start);
    }

    /// The table entries may no longer be the ones the running CRC covers.
    pub fn forget_table_crc(&mut self) {
        self.table_crc = None;
    }

    pub fn is_poisoned(&self) -> bool {
        self.poisoned.is_some()
    }

    /// Refuses `op` if an earlier write or sync failed.
    pub fn check_poison(&self, op: &'static str, path: &Path) -> Result<()> {
        match &self.poisoned {
            Some(cause) => Err(Error::Poisoned {
                op,
                path: path.to_path_buf(),
                cause: cause.clone(),
            }),
            None => Ok(()),
        }
    }

    /// Makes this handle refuse every further write and commit (see
    /// [`Error::Poisoned`]), and returns the error that caused it. (The
    /// engine also closes its push window: see `Engine::poison`.)
    pub fn poison(&mut self, op: &'static str, path: &Path, e: std::io::Error) -> Error {
        self.poisoned = Some(e.to_string());
        Error::io(op, path, e)
    }

    /// Whether a durable commit now must be written although nothing
    /// changed: the commit in effect is only published, or it is a
    /// one-sync commit and a plain one is asked for.
    pub fn needs_resync(&self, durable: bool, one_sync: bool) -> bool {
        durable && (self.commit.unsynced || (!one_sync && self.commit.one_sync.is_some()))
    }

    /// Writes `commit` into the slot that does not hold the durable commit
    /// (overwriting the previous publish), durable if `durable`, and makes
    /// it the commit in effect.
    pub fn commit(
        &mut self,
        io: &mut Io<'_>,
        commit: Commit,
        durable: bool,
        one_sync: bool,
    ) -> Result<()> {
        let target = 1 - self.durable_slot;
        let commit = if durable {
            let commit = self.write_durable(io, target, commit, one_sync)?;
            // Everything changed is in this durable commit. (Not so for the
            // other callers of `write_durable`, which re-commit an older
            // state: they keep the mark.)
            self.changed_since_durable = u64::MAX;
            commit
        } else {
            self.write_slot(io, target, commit)?;
            commit
        };
        self.commit = commit;
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
    pub fn pin(&mut self, io: &mut Io<'_>, first: u64) -> Result<()> {
        if !self.durable_one_sync || first >= self.durable_count {
            return Ok(());
        }
        let commit = Commit {
            sequence: self.commit.sequence + 1,
            unsynced: false,
            ..self.commit
        };
        let target = 1 - self.durable_slot;
        self.commit = self.write_durable(io, target, commit, false)?;
        Ok(())
    }

    /// The relocation commit of growth to `new_cap` (same records, new
    /// capacity), once the table was copied to its place at `new_cap`. The
    /// old table holds committed checksums unless no chunk is full: then the
    /// relocation is made durable before data overwrites them.
    pub fn relocate(&mut self, io: &mut Io<'_>, new_cap: u64) -> Result<()> {
        let c = self.layout.chunk_records;
        let protect = self.commit.count >= c || self.durable_count >= c;
        let relocation = Commit {
            sequence: self.commit.sequence + 1,
            capacity: new_cap,
            unsynced: !protect && io.map.is_shared_writable(),
            one_sync: None,
            ..self.commit
        };
        let target = 1 - self.durable_slot;
        let relocation = if protect {
            self.write_durable(io, target, relocation, true)?
        } else {
            self.write_slot(io, target, relocation)?;
            relocation
        };
        self.commit = relocation;
        Ok(())
    }

    /// After a commit: if it committed an in-place change, readers may open
    /// again, once no commit slot refers to records past the committed
    /// count (after a `truncate`, a durable commit is copied into the other
    /// slot; a publish keeps them out until the next `flush`).
    pub fn let_readers_in(&mut self, io: &mut Io<'_>, durable: bool) -> Result<()> {
        if let Some(slot) = io.share.committed(io.file, self.commit.count) {
            // Never a one-sync commit into both slots: its fallback is the
            // other slot. (Not reached: a flush after a truncate below the
            // durable count takes two syncs.)
            if durable && slot != self.durable_slot && self.commit.one_sync.is_none() {
                self.write_slot(io, slot, self.commit)?;
                io.share.committed(io.file, self.commit.count);
            }
        }
        Ok(())
    }

    /// The end of a clean close, after a durable commit: the other slot
    /// made a copy of it, so that damage to one slot never rolls back
    /// committed records.
    pub fn mirror(&mut self, io: &mut Io<'_>) -> Result<()> {
        let other = 1 - self.durable_slot;
        let len = io.map.len() as u64;
        let mirrored = read_slot(io.file, &self.layout, other)
            .and_then(|b| format::decode_slot(&b, &self.layout, len, self.boot).ok())
            == Some(self.commit);
        if !mirrored {
            self.write_slot(io, other, self.commit)?;
            self.sync_slot(io, other)?;
        }
        Ok(())
    }

    /// Writes `commit` (not `unsynced`) into slot `target` and makes it
    /// durable, with one sync where the commit allows it (see
    /// [`Commits::one_sync_from`]) and `one_sync` is asked for, else with
    /// two. Returns the commit as written.
    fn write_durable(
        &mut self,
        io: &mut Io<'_>,
        target: usize,
        commit: Commit,
        one_sync: bool,
    ) -> Result<Commit> {
        debug_assert!(!commit.unsynced);
        let checked_from = self
            .one_sync_from(io.map, commit.count)
            .filter(|_| one_sync);
        let one = match checked_from {
            Some(checked_from) => Some(format::OneSync {
                checked_from,
                table_crc: self.table_crc_now(io.map, commit.count, commit.capacity)?,
                unchecked: false,
            }),
            None => None,
        };
        let one = one.filter(|&one| self.passes_reboot_check(io, commit, one));
        let commit = if let Some(one) = one {
            // Everything the slot refers to and the slot itself, in one sync:
            // after a reboot, a reader checks `checked_from..count` and the
            // table before trusting the slot (`format::check_one_sync`).
            let commit = Commit {
                one_sync: Some(one),
                ..commit
            };
            self.write_slot(io, target, commit)?;
            self.sync_data(io)?;
            commit
        } else {
            let commit = Commit {
                one_sync: None,
                ..commit
            };
            self.sync_data(io)?;
            self.write_slot(io, target, commit)?;
            self.sync_slot(io, target)?;
            commit
        };
        self.durable_slot = target;
        self.durable_count = commit.count;
        self.durable_one_sync = commit.one_sync.is_some();
        Ok(commit)
    }

    /// Whether `commit` as a one-sync commit (`one`) would pass the check a
    /// reader makes after a reboot, with every byte on disk. Always, once
    /// a check of this handle passed: every checksum since is its own.
    /// Before that, the chunks the check covers that hold records found at
    /// open are checked here, over the bytes as they are (after a clean
    /// close, one chunk; none in a new store). The table's CRC is computed
    /// from the table as it is, so it always matches.
    fn passes_reboot_check(&mut self, io: &Io<'_>, commit: Commit, one: format::OneSync) -> bool {
        if self.inherited_checked {
            return true;
        }
        let layout = self.layout;
        let view = View::of(io.file, io.map);
        let first = one.checked_from / layout.chunk_records;
        let inherited = layout.chunks(commit.count.min(self.opened_count));
        self.inherited_checked = (first..inherited).all(|chunk| {
            format::chunk_crcs(&view, &layout, &commit, chunk)
                .is_some_and(|(stored, actual)| stored == actual)
        });
        self.inherited_checked
    }

    /// Where a one-sync commit of `count` records must start its check: the
    /// chunk of the last durable commit's end, where appends began. `None`
    /// when the commit must take two syncs: the file predates format 1.1,
    /// the mapping is private, records before that chunk changed since the
    /// last durable commit (an in-place update or a truncate), or the check
    /// would cover more than `ONE_SYNC_MAX_CHECK` bytes.
    fn one_sync_from(&self, map: &Mapping, count: u64) -> Option<u64> {
        let layout = self.layout;
        let durable_chunk = self.durable_count / layout.chunk_records;
        let from = durable_chunk * layout.chunk_records;
        let allowed = self.one_sync_format
            && map.is_shared_writable()
            && self.changed_since_durable >= self.durable_count
            && from <= count
            && (count - from).saturating_mul(layout.stride) <= format::ONE_SYNC_MAX_CHECK;
        allowed.then_some(from)
    }

    /// CRC-32 of the table entries of the first `count` records' full
    /// chunks, in the table for `capacity` records: from the running CRC
    /// when it is current, else read from the table (and kept).
    fn table_crc_now(&mut self, map: &Mapping, count: u64, capacity: u64) -> Result<u32> {
        let layout = self.layout;
        let full = layout.full_chunks(count);
        let read = |bytes: &[u8]| format::table_crc(bytes, &layout, capacity, full);
        let crc = match self.table_crc {
            Some((k, crc)) if k == full => {
                debug_assert_eq!(read(map.owned().expect("a writer")), Some(crc));
                crc
            }
            _ => read(map.owned().expect("a writer")).ok_or(Error::CapacityOverflow {
                requested: capacity,
                stride: layout.stride,
            })?,
        };
        self.table_crc = Some((full, crc));
        Ok(crc)
    }

    /// A commit wrote table entries `entries` (in chunk order) for the
    /// first `full` chunks. The running table CRC extends over entries
    /// appended in order, and is recomputed when needed after any other
    /// change. It covers `k` entries: when the count went below them (a
    /// truncate, then a commit of the older, longer count by growth),
    /// `k..full` is empty but the CRC is not that of the first `full` entries.
    pub fn table_entries_written(&mut self, full: u64, entries: &[(u64, u32)]) {
        self.table_crc = match self.table_crc {
            Some((k, crc)) if k <= full && entries.iter().map(|e| e.0).eq(k..full) => {
                let mut h = crc32fast::Hasher::new_with_initial(crc);
                for (_, entry) in entries {
                    h.update(&entry.to_le_bytes());
                }
                Some((full, h.finalize()))
            }
            _ => None,
        };
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
    ///
    /// After growth the file's length must be made durable too (`fsync`).
    /// On Linux that one `fsync` is the whole sync: the page cache is
    /// unified, so `fsync` writes back the pages dirtied through the shared
    /// mapping as `msync` does, and each of the two would cost a journal
    /// commit (`BENCHMARKS.md`, Python appends). Elsewhere `msync` comes first.
    fn sync_data(&mut self, io: &mut Io<'_>) -> Result<()> {
        let shared = io.map.is_shared_writable();
        let grown = self.grown_unsynced && shared;
        let mut calls = Vec::new();
        let result = self.injected_sync_failure().and_then(|()| {
            if !(grown && cfg!(target_os = "linux")) {
                io.map.sync_all()?;
                calls.extend(shared.then_some("msync"));
            }
            if grown {
                io.file.sync_all()?;
                calls.push("fsync");
            }
            Ok(())
        });
        if let Err(e) = result {
            return Err(self.poison("sync", io.path, e));
        }
        log_sync(self.sync_log.as_ref(), io.map, 0..io.map.len(), calls);
        self.grown_unsynced = false;
        Ok(())
    }

    fn sync_slot(&mut self, io: &mut Io<'_>, slot: usize) -> Result<()> {
        // msync works on whole pages: the slot's page becomes durable.
        let at = self.layout.slots[slot] as usize;
        let page = at / format::PAGE_SIZE as usize * format::PAGE_SIZE as usize;
        let result = self
            .injected_sync_failure()
            .and_then(|()| io.map.sync_range(at, SLOT_LEN));
        if let Err(e) = result {
            return Err(self.poison("sync", io.path, e));
        }
        log_sync(
            self.sync_log.as_ref(),
            io.map,
            page..page + format::PAGE_SIZE as usize,
            vec!["msync"],
        );
        Ok(())
    }

    fn write_slot(&mut self, io: &mut Io<'_>, slot: usize, commit: Commit) -> Result<()> {
        let bytes = format::encode_slot(&self.layout, &commit, self.boot).ok_or(
            Error::CapacityOverflow {
                requested: commit.capacity,
                stride: self.layout.stride,
            },
        )?;
        // Through the file (`pwrite`), never a reference into the mapping:
        // readers in other processes read the slots with `pread` meanwhile.
        self.check_poison("commit", io.path)?;
        if io.map.bytes_mut().is_none() {
            return Err(Error::ReadOnly {
                path: io.path.to_path_buf(),
                op: "commit",
            });
        }
        io.map
            .write_at(io.file, self.layout.slots[slot] as usize, &bytes)
            .map_err(|e| Error::io("write a commit slot of", io.path, e))?;
        io.share.slot_written(slot, commit.count);
        Ok(())
    }
}

/// Logs a sync for the power-loss simulation: the mapped bytes when it
/// completed, and what it made durable.
pub(crate) fn log_sync(
    log: Option<&SyncLog>,
    map: &Mapping,
    synced: std::ops::Range<usize>,
    calls: Vec<&'static str>,
) {
    if let Some(log) = log {
        let memory = map.owned().map(<[u8]>::to_vec).unwrap_or_default();
        log.0.lock().expect("not poisoned").push(SyncEvent {
            memory,
            synced,
            calls,
        });
    }
}

/// Picks the newest slot whose commit can be trusted: a one-sync commit
/// from an earlier boot is checked against the file first, and rejected
/// (falling back to the other slot) if not all it refers to reached the disk.
pub(crate) fn choose_trusted(
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
pub(crate) fn read_slot(file: &File, layout: &Layout, slot: usize) -> Option<[u8; SLOT_LEN]> {
    let mut out = [0u8; SLOT_LEN];
    os::read_exact_at(file, &mut out, layout.slots[slot])
        .ok()
        .map(|()| out)
}

/// The file as the checks read it (`format::FileBytes`): this handle's own
/// bytes where only it changes them; for a reader, the committed records
/// borrowed from the mapping and the checksum table read with `pread`, a
/// block of entries at a time (`crate::map`, rule 4).
pub(crate) enum View<'a> {
    Owned(&'a [u8]),
    Reader {
        file: &'a File,
        map: &'a Mapping,
        /// File offset and bytes of the last block of the table read.
        block: std::cell::RefCell<(u64, Vec<u8>)>,
    },
}

impl<'a> View<'a> {
    pub fn of(file: &'a File, map: &'a Mapping) -> View<'a> {
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
    fn records(&self, start: u64, end: u64) -> Option<&[u8]> {
        match self {
            View::Owned(bytes) => bytes.records(start, end),
            View::Reader { map, .. } => map.stable(start..end),
        }
    }

    /// A window maps only its own chunks: the check of a one-sync commit
    /// reads the records it added from the file with `pread` wherever they
    /// are not mapped (committed records: rule 4 of `crate::map`).
    fn records_crc(&self, start: u64, end: u64) -> Option<u32> {
        if let Some(records) = self.records(start, end) {
            return Some(crc32fast::hash(records));
        }
        let View::Reader { file, .. } = self else {
            return None;
        };
        let mut h = crc32fast::Hasher::new();
        let mut buf = vec![0u8; end.checked_sub(start)?.min(1 << 20) as usize];
        let mut at = start;
        while at < end {
            let n = (end - at).min(buf.len() as u64) as usize;
            os::read_exact_at(file, &mut buf[..n], at).ok()?;
            h.update(&buf[..n]);
            at += n as u64;
        }
        Some(h.finalize())
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
