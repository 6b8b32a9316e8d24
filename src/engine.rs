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

use crate::append::{Appender, WindowIo, WRITE_THROUGH_MIN};
use crate::commit::{choose_trusted, log_sync, read_slot, Commits, Io, View};
use crate::config::{Config, Step, StepHook};
use crate::dirty::ChunkSet;
use crate::error::{Error, Result, SlotProblem};
use crate::format::{self, Commit, Header, Layout, SLOT_LEN};
use crate::info::{Mode, ReadPath, Recovery};
use crate::map::Mapping;
use crate::os;
use crate::read_path;
use crate::schema::Schema;
use crate::share::{self, Share};

pub(crate) struct Engine {
    path: PathBuf,
    /// `path` made absolute at open, so that the check for a replaced file
    /// looks at the same place after the process changes directory.
    absolute: PathBuf,
    file: File,
    map: Mapping,
    /// Whether `map` maps the file or holds records read from it.
    read_path: ReadPath,
    mode: Mode,
    header: Header,
    boot: [u8; 16],
    /// The commit in effect, the durable one, syncs and poison.
    // INVARIANT (but for a window, whose `map` holds only the chunks of its
    // records: `read_path::open_window`):
    // `map.len() >= layout.table_end(commits.current().capacity)`,
    // so the data and the table for the capacity records are mapped.
    commits: Commits,
    /// Records visible through this handle (may be past the commit's count
    /// in a writer).
    len: u64,
    /// Chunks changed since the last commit.
    dirty: ChunkSet,
    /// Records or data changed since the last commit.
    changed: bool,
    recovery: Option<Recovery>,
    closed: bool,
    /// The push window, pages prepared ahead, CRCs of appended bytes.
    append: Appender,
    /// The sharing rule: which records readers may borrow, and whether this
    /// writer holds the file to itself (`crate::share`).
    share: Share,
    /// A reader opened on a window (`OpenOptions::window`): the records it
    /// shows, inside `commit.count`; `map` holds only their chunks.
    window: Option<std::ops::Range<u64>>,
    /// Test hook: called at each `Step` (`OpenOptions::at_step`).
    step_hook: Option<StepHook>,
}

fn io_err<'p>(op: &'static str, path: &'p Path) -> impl FnOnce(std::io::Error) -> Error + 'p {
    move |e| Error::io(op, path, e)
}

impl Engine {
    /// Creates a new store at `path`: the header is written to a temporary
    /// file in the same directory, synced, and linked into place only if
    /// nothing is at `path` yet, so a store is either complete or absent.
    pub fn create(path: &Path, schema: &Schema, opts: &Config) -> Result<Engine> {
        schema.validate()?;
        let boot = opts.boot_id();
        let (header, layout, capacity) = format::new_header(schema, opts.capacity, boot)?;
        let file_len = layout
            .file_len(capacity)
            .filter(|&l| l <= isize::MAX as u64)
            .ok_or(Error::CapacityOverflow {
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
            .map_err(|e| Error::io("create a temporary file in", dir, without_temp_path(e)))?;
        {
            use std::io::Write;
            let mut f = tmp.as_file();
            f.write_all(&header).map_err(io_err("write", tmp.path()))?;
            // Errors name the store asked for: the temporary file goes.
            reserve_blocks(f, file_len, capacity, &layout, "create", path)?;
            f.sync_all().map_err(io_err("sync", tmp.path()))?;
        }
        tmp.persist_noclobber(path).map_err(|e| {
            let special = std::fs::metadata(path).is_ok_and(|m| !m.is_file());
            if e.error.kind() == std::io::ErrorKind::AlreadyExists && special {
                // A directory or a device: not a store to open instead.
                Error::io(
                    "create",
                    path,
                    std::io::Error::new(
                        std::io::ErrorKind::InvalidInput,
                        "it is not a regular file",
                    ),
                )
            } else if e.error.kind() == std::io::ErrorKind::AlreadyExists {
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

    /// Opens an existing store, in O(1) of the file size. `opts.verify` is
    /// the caller's (`RawStore` checks after open, with its retries).
    pub fn open(path: &Path, expected: Option<&Schema>, opts: &Config) -> Result<Engine> {
        let file = match opts.mode {
            Mode::ReadWrite => std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .open(path),
            Mode::ReadOnly | Mode::CopyOnWrite => File::open(path),
        }
        .map_err(io_err("open", path))?;
        Engine::open_file(file, path, expected, opts)
    }

    /// Opens the store in `file`, opened as `opts.mode` asks; errors name
    /// `path`.
    fn open_file(
        file: File,
        path: &Path,
        expected: Option<&Schema>,
        opts: &Config,
    ) -> Result<Engine> {
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
        // A window maps its records once their commit is chosen (below).
        let (mut map, mut read_path) = match opts.window {
            Some(_) => (
                Mapping::empty().map_err(io_err("map", path))?,
                ReadPath::Mapped,
            ),
            None => read_path::map_or_load(&file, file_len, opts, path)?,
        };
        if opts.mode == Mode::ReadWrite {
            // A writer makes the file durable before it trusts or overwrites
            // a commit slot: an earlier writer killed during a commit (or
            // before its publishes were synced) may have left a slot that is
            // valid in the page cache but not on disk. Trusting it as the
            // durable commit, a new writer would overwrite the other slot,
            // the last acknowledged flush, and a power cut would lose both.
            // Once this sync returns, every slot this writer reads is on disk.
            log_sync(
                opts.sync_log.as_ref(),
                &map,
                0..map.len(),
                vec!["fdatasync"],
            );
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
        .map_err(|problem| problem.at(path))?;
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
        let mut window = None;
        if opts.window.is_some() {
            let (records, m, r) = read_path::open_window(
                &file,
                &header.layout,
                choice.commit.count,
                file_len,
                opts,
                path,
            )?;
            (window, map, read_path) = (Some(records), m, r);
        }
        let recovery = choice.rejected.clone().map(|problem| Recovery {
            slot_used: choice.slot,
            sequence: choice.commit.sequence,
            rejected_slot: 1 - choice.slot,
            problem,
        });
        let commits = Commits::new(
            header.layout,
            header.version_minor,
            boot,
            &choice,
            opts.sync_log.clone(),
            opts.fail_sync,
        );
        let append = Appender::new(&header.layout);
        let engine = Engine {
            path: path.to_path_buf(),
            absolute: std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf()),
            file,
            map,
            read_path,
            mode: opts.mode,
            header,
            boot,
            commits,
            len: choice.commit.count,
            dirty: ChunkSet::default(),
            changed: false,
            recovery,
            closed: false,
            append,
            share,
            window,
            step_hook: opts.step_hook.clone(),
        };
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
    /// Records visible through this handle (a window's length).
    #[inline]
    pub fn len(&self) -> u64 {
        match &self.window {
            Some(w) => w.end - w.start,
            None => self.len,
        }
    }
    /// The first record visible through this handle (a window's start).
    #[inline]
    fn first(&self) -> u64 {
        self.window.as_ref().map_or(0, |w| w.start)
    }
    /// The records of the window this handle was opened on, if any.
    pub fn window(&self) -> Option<std::ops::Range<u64>> {
        self.window.clone()
    }
    pub fn capacity(&self) -> u64 {
        self.commits.current().capacity
    }
    pub fn commit(&self) -> Commit {
        *self.commits.current()
    }
    pub fn recovery(&self) -> Option<&Recovery> {
        self.recovery.as_ref()
    }
    pub fn format_minor(&self) -> u16 {
        self.header.version_minor
    }
    /// Whether this handle reads the file as a reader does: a read-only
    /// handle, or a copy-on-write one before its first change (whose
    /// memory is its own from then on).
    pub fn reads_shared_file(&self) -> bool {
        self.mode != Mode::ReadWrite && !self.map.is_private()
    }
    /// Bytes of the file this handle maps (or read into memory): the
    /// whole file, or a window's chunks.
    pub fn mapped_len(&self) -> u64 {
        self.map.len() as u64
    }
    /// The file's length: when it was mapped, or, for a window (which maps
    /// part of it), now.
    pub fn file_len(&self) -> u64 {
        match self.window {
            Some(_) => self.file.metadata().map_or(0, |m| m.len()),
            None => self.map.len() as u64,
        }
    }
    pub fn read_path(&self) -> &ReadPath {
        &self.read_path
    }

    /// The bytes of the visible records (`0..len`, or a window's).
    /// Inlined: it is on the path of every `get`, in other crates.
    #[inline]
    pub fn data(&self) -> &[u8] {
        let layout = &self.header.layout;
        let first = match &self.window {
            // An empty window maps nothing (`Mapping::empty`): its empty
            // slice, page-aligned, casts to any record type.
            Some(w) if w.is_empty() => return self.map.stable(0..0).expect("mapped"),
            Some(w) => w.start,
            None => 0,
        };
        let start = layout.data_offset + first * layout.stride;
        // By the INVARIANT on `commits`, data_offset + capacity * stride is
        // mapped and fits in u64, and len <= capacity (a window's records
        // are mapped: `read_path::open_window`).
        // Records below `len` are stable: committed (a reader's) or this
        // writer's own (`crate::map`, rule 2).
        let end = start + self.len() * layout.stride;
        self.map.stable(start..end).expect("mapped")
    }

    /// The bytes of record `index`, if `index < len`, for records of
    /// `stride` bytes (a constant in typed stores, whose stride was checked
    /// to be `size_of::<T>()` at open). Computes one record's range instead of
    /// the whole data slice: this is every `get`.
    #[inline]
    pub fn record(&self, index: u64, stride: usize) -> Option<&[u8]> {
        debug_assert_eq!(stride as u64, self.header.layout.stride);
        if index >= self.len() {
            return None;
        }
        // No overflow: index < len <= capacity, and the data region for
        // `capacity` records is mapped (INVARIANT on `commits`; a window's
        // records are mapped).
        let start = self.header.layout.data_offset + (self.first() + index) * stride as u64;
        self.map.stable(start..start + stride as u64)
    }

    /// Splits the borrows: the commit state, and what its operations need.
    fn commit_io(&mut self) -> (&mut Commits, Io<'_>) {
        (
            &mut self.commits,
            Io {
                path: &self.path,
                file: &self.file,
                map: &mut self.map,
                share: &mut self.share,
            },
        )
    }

    fn writable(&mut self, op: &'static str) -> Result<&mut [u8]> {
        self.commits.check_poison(op, &self.path)?;
        if self.mode == Mode::CopyOnWrite && !self.map.is_private() {
            // Its first change: from now on it changes only memory of its
            // own. The committed records no process changes while it holds
            // the readers' lock; the header, the slots and the table it
            // reads are copied (`Mapping::make_private`).
            let layout = self.header.layout;
            let commit = self.commits.current();
            let data = layout.data_offset as usize;
            let records = data..data + (commit.count * layout.stride) as usize;
            // Mapped, so within usize (INVARIANT on `commits`).
            let table = layout.table_offset(commit.capacity).expect("mapped") as usize
                ..layout.table_end(commit.capacity).expect("mapped") as usize;
            self.map
                .make_private(&self.file, records, &[0..data, table])
                .map_err(io_err("copy into memory", &self.path))?;
            self.take_newest_table()
                .map_err(io_err("copy into memory", &self.path))?;
        }
        let path = &self.path;
        self.map.bytes_mut().ok_or_else(|| Error::ReadOnly {
            path: path.clone(),
            op,
        })
    }

    /// A copy-on-write handle's first change copied its commit's checksum
    /// table from the file, where a writer that grew since may have
    /// appended records over it. The newest commit in the file holds the
    /// same entries for the handle's full chunks (records below a commit's
    /// count never change while the handle holds the readers' lock), in
    /// the table at its capacity: they are taken from there.
    ///
    /// The writer may grow again while they are read, and append over that
    /// table too. It writes the commit of a growth (a new capacity) before
    /// any record lands on the table it moved from, so the commit slots are
    /// read again after the entries: if the newest commit still has the
    /// capacity they were read at, no record had overwritten them; else
    /// they are read again, from the newer table.
    fn take_newest_table(&mut self) -> std::io::Result<()> {
        let layout = self.header.layout;
        let own = *self.commits.current();
        let full = layout.full_chunks(own.count);
        if full == 0 {
            return Ok(());
        }
        let newest_capacity = |file: &File, boot| -> std::io::Result<Option<u64>> {
            let file_len = file.metadata()?.len();
            Ok([0, 1]
                .into_iter()
                .filter_map(|i| read_slot(file, &layout, i))
                .filter_map(|b| format::decode_slot(&b, &layout, file_len, boot).ok())
                .filter(|c| c.sequence > own.sequence && c.count >= own.count)
                .max_by_key(|c| c.sequence)
                .map(|c| c.capacity))
        };
        let mut entries = vec![0u8; (full * format::TABLE_ENTRY_LEN) as usize];
        // Each turn but the last is a growth of the writer during the
        // read (or a slot read as it was written); growth at least doubles
        // the capacity, so a few suffice.
        for turn in 0..64 {
            let capacity = newest_capacity(&self.file, self.boot)?;
            let Some(capacity) = capacity.filter(|&c| c != own.capacity) else {
                if turn > 0 {
                    // A growth was seen: a slot being written, read again.
                    continue;
                }
                // No growth since the handle's commit (the table copied
                // by `make_private` was read after this one was written).
                return Ok(());
            };
            StepHook::at(self.step_hook.as_ref(), Step::CopyTable);
            // decode_slot checked that the commit's table fits in the file.
            let src = layout.table_offset(capacity).expect("in the file");
            os::read_exact_at(&self.file, &mut entries, src)?;
            if newest_capacity(&self.file, self.boot)? != Some(capacity) {
                continue;
            }
            // Mapped, so within usize (INVARIANT on `commits`).
            let dst = layout.table_offset(own.capacity).expect("mapped") as usize;
            let bytes = self.map.bytes_mut().expect("private after make_private");
            bytes[dst..dst + entries.len()].copy_from_slice(&entries);
            return Ok(());
        }
        Err(std::io::Error::other(
            "a writer kept growing the store while its checksum table was copied; \
             open the store again and retry the change",
        ))
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
        self.append.forget();
        self.records_mut(start, end, op)
    }

    /// Makes this handle refuse every further write and commit (see
    /// [`Error::Poisoned`]), and returns the error that caused it.
    fn poison(&mut self, op: &'static str, e: std::io::Error) -> Error {
        // The push fast path checks nothing: close its window.
        self.append.abort_window();
        self.commits.poison(op, &self.path, e)
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
        let commit = self.commits.current();
        let committed = commit.count;
        let last = end.min(committed).div_ceil(c);
        for chunk in start / c..last {
            if self.dirty.contains(chunk) {
                continue;
            }
            // The commit's data and table are mapped (INVARIANT on `commits`).
            let (stored, actual) =
                format::chunk_crcs(&view, &layout, commit, chunk).expect("mapped");
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

    /// Called before records from `first` on are changed in place: see
    /// [`Commits::pin`].
    fn pin_durable(&mut self, first: u64) -> Result<()> {
        let (commits, mut io) = self.commit_io();
        commits.pin(&mut io, first)
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
        self.commits.changed_from(start);
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
    /// Pushes go through a window (`crate::append`): inside it, a push is a
    /// compare, a copy and an increment.
    #[inline]
    pub fn next_record_mut(&mut self) -> Option<&mut [u8]> {
        if self.len >= self.append.push_end() && !self.open_push_window() {
            return None;
        }
        let stride = self.header.layout.stride as usize;
        // No overflow: len < push_end <= capacity, and the data region for
        // the capacity's records is mapped (INVARIANT on `commits`).
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
        let capacity = self.capacity();
        // Below `exposed`, `append` asks for the in-place permission first.
        if self.len >= capacity
            || self.len < self.share.exposed()
            || self.map.bytes_mut().is_none()
            || self.commits.is_poisoned()
            || self.check_unchanged(self.len, self.len + 1).is_err()
        {
            // `push_slow` takes the general path, which reports why.
            return false;
        }
        let layout = self.header.layout;
        self.append.feed_pushed(self.len, &self.map, &layout);
        let chunk = self.len / layout.chunk_records;
        // The whole window is marked now, so a push need not.
        self.mark(self.len, (chunk + 1) * layout.chunk_records);
        // Never over records a commit still refers to: after a truncate the
        // last commits may reach past `len`. Nor over records a reader may
        // have borrowed (`crate::share`).
        let kept = self
            .commits
            .current()
            .count
            .max(self.commits.durable_count())
            .max(self.share.exposed());
        let io = WindowIo {
            layout: &layout,
            file: &self.file,
            map: &mut self.map,
        };
        self.append.open_window(self.len, capacity, kept, io);
        true
    }

    /// Ends the push window (`Appender::close_window`).
    fn close_push_window(&mut self) {
        self.append
            .close_window(self.len, &self.map, &self.header.layout);
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
            self.append.feed(start, bytes);
            return Ok(());
        }
        // Large appends go through the file (see `Mapping::write_at`).
        let offset = self.header.layout.data_offset + start * stride as u64;
        if let Err(e) = self.map.write_at(&self.file, offset as usize, bytes) {
            return Err(self.poison("write", e));
        }
        self.append
            .write_behind(&self.map, &self.file, offset, offset + bytes.len() as u64);
        self.append.feed(start, bytes);
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
            self.append.forget();
            self.commits.forget_table_crc();
            self.len = n;
            // The tail chunk's records change; records from `n` on will.
            self.mark(n, n.next_multiple_of(self.header.layout.chunk_records));
        }
        Ok(())
    }

    /// Makes room for `additional` more records.
    pub fn reserve(&mut self, additional: u64) -> Result<()> {
        let layout = self.header.layout;
        let capacity = self.capacity();
        let needed = self
            .len
            .checked_add(additional)
            .ok_or(Error::CapacityOverflow {
                requested: u64::MAX,
                stride: layout.stride,
            })?;
        if needed <= capacity {
            return Ok(());
        }
        self.writable("grow")?;
        // Growth may fail and poison the handle: no push window stays open.
        self.close_push_window();
        // Geometric growth keeps `push` amortised O(1); where doubling would
        // overflow, or the disk has room only for what is needed, take that.
        let doubled = needed.max(capacity.saturating_mul(2));
        let fits = |cap| layout.file_len(cap).is_some_and(|l| l <= isize::MAX as u64);
        let new_cap = if fits(doubled) { doubled } else { needed };
        match self.grow_to(new_cap) {
            Err(Error::DiskFull { .. } | Error::CapacityOverflow { .. }) if new_cap > needed => {
                self.grow_to(needed)
            }
            Err(Error::Io { ref io, .. })
                if new_cap > needed && io.kind() == std::io::ErrorKind::FileTooLarge =>
            {
                self.grow_to(needed)
            }
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
            reserve_blocks(&self.file, new_len, new_cap, &layout, "grow", &self.path)?;
        }
        if (self.map.len() as u64) < new_len {
            self.map
                .resize(&self.file, new_len)
                .map_err(io_err("map", &self.path))?;
            self.commits.grew();
        }
        // Relocation: the committed entries move to the table's place at the
        // new capacity, before any record overwrites the old table.
        let old_cap = self.capacity();
        let entries = layout.full_chunks(self.commits.current().count) * format::TABLE_ENTRY_LEN;
        let src = layout.table_offset(old_cap).expect("mapped, so it fits");
        let dst = layout.table_offset(new_cap).expect("checked by file_len");
        let own = self.map.owned().expect("checked writable by reserve");
        let moved = own[src as usize..(src + entries) as usize].to_vec();
        if let Err(e) = self.map.write_at(&self.file, dst as usize, &moved) {
            return Err(self.poison("write the checksum table of", e));
        }
        let (commits, mut io) = self.commit_io();
        commits.relocate(&mut io, new_cap)
    }

    /// Writes the table entries of changed full chunks and returns the CRC
    /// of the tail (the records after the last full chunk).
    fn write_checksums(&mut self) -> Result<u32> {
        let layout = self.header.layout;
        let (len, full) = (self.len, layout.full_chunks(self.len));
        let table = layout.table_offset(self.capacity()).expect("mapped");
        let data_offset = layout.data_offset;
        let dirty = std::mem::take(&mut self.dirty);
        // Known from the appended bytes, or read back from the mapping; the
        // debug builds (all tests) check the first against the second.
        let crcs = self.append.crcs();
        let known: Vec<(u64, Option<u32>)> = dirty
            .iter_below(full)
            .map(|chunk| (chunk, crcs.full(chunk)))
            .collect();
        // The tail chunk unchanged since the last commit keeps that commit's
        // CRC: computing it from the bytes would bless what they became
        // without a commit (an update in place before a crash, the page
        // cache kept), and a recommit (a clean close, a flush over a
        // publish) would then hide it from `verify`. Unchanged, it is the
        // same tail: anything that moves the count into another partial
        // chunk marks that chunk.
        let commit = *self.commits.current();
        let unchanged_tail = (!len.is_multiple_of(layout.chunk_records) && !dirty.contains(full))
            .then(|| {
                debug_assert_eq!(layout.full_chunks(commit.count), full);
                commit.tail_crc
            });
        let known_tail = crcs.tail(full, len);
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
        self.commits.table_entries_written(full, &entries);
        let mut dirty = dirty;
        dirty.clear();
        self.dirty = dirty;
        self.append.committed();
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
        let resync = self.commits.needs_resync(durable, one_sync);
        if !self.changed && !resync {
            // Nothing to commit; if an in-place change took the readers'
            // lock and then failed, let them in again.
            let (commits, mut io) = self.commit_io();
            return commits.let_readers_in(&mut io, false);
        }
        let tail_crc = self.write_checksums()?;
        let current = self.commits.current();
        let commit = Commit {
            sequence: current.sequence + 1,
            count: self.len,
            capacity: current.capacity,
            tail_crc,
            unsynced: !durable && self.map.is_shared_writable(),
            one_sync: None,
        };
        let (commits, mut io) = self.commit_io();
        commits.commit(&mut io, commit, durable, one_sync)?;
        self.changed = false;
        let (commits, mut io) = self.commit_io();
        commits.let_readers_in(&mut io, durable)
    }

    /// A clean close: a durable commit, then the other slot made a copy of
    /// it, so that damage to one slot never rolls back committed records.
    pub fn close(&mut self) -> Result<()> {
        if self.closed || !self.map.is_shared_writable() {
            self.closed = true;
            return Ok(());
        }
        self.commit_with(true, false)?;
        let (commits, mut io) = self.commit_io();
        commits.mirror(&mut io)?;
        self.closed = true;
        Ok(())
    }

    /// Ends this handle as a killed process would: nothing more is
    /// committed or synced; the mapping and the lock go. For tests.
    pub fn abandon(&mut self) {
        self.closed = true;
    }

    /// Checks every committed chunk against its checksum, calling
    /// `progress` with the number of records checked so far every 256
    /// chunks (16 MiB) or so. Chunks changed since the last commit are
    /// skipped: their checksums are not written yet.
    pub fn verify_with_progress(&self, progress: &mut dyn FnMut(u64)) -> Result<()> {
        let layout = self.header.layout;
        let commit = self.commits.current();
        let count = commit.count;
        // Another program may have shrunk the file under the mapping (a
        // reader's `refresh` reports it): reading the pages past its end
        // would raise SIGBUS. Stay inside the file.
        let file_len = self
            .file
            .metadata()
            .map_err(io_err("read the metadata of", &self.path))?
            .len();
        let needed = layout
            .table_end(commit.capacity)
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
        StepHook::at(self.step_hook.as_ref(), Step::Verify);
        let view = View::of(&self.file, &self.map);
        let mut first: Option<(u64, u32, u32)> = None;
        let mut bad = 0u64;
        // A window checks the chunks overlapping its records, and no other.
        let chunks = match &self.window {
            Some(w) if w.is_empty() => 0..0,
            Some(w) => w.start / layout.chunk_records..layout.chunks(w.end),
            None => 0..layout.chunks(count),
        };
        for chunk in chunks {
            if self.dirty.contains(chunk) {
                continue;
            }
            // The commit's data and table are mapped (INVARIANT on `commits`).
            let (stored, actual) =
                format::chunk_crcs(&view, &layout, commit, chunk).expect("mapped");
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

    /// Fails with [`Error::Replaced`] if the path no longer names the file
    /// this handle opened: another file was renamed over it (an export, `mv
    /// new.recs store.recs`), or it was deleted. That is another store: a
    /// follower would otherwise follow the old one forever.
    pub fn check_not_replaced(&self) -> Result<()> {
        if os::still_at(&self.file, &self.absolute).map_err(io_err("check", &self.path))? {
            Ok(())
        } else {
            Err(Error::Replaced {
                path: self.path.clone(),
            })
        }
    }

    /// Opens this handle's file again, read-only with `config`, to look at
    /// a newer commit: through a duplicate of its own descriptor, never by
    /// the path, so it is this file even after it was deleted (a writer
    /// still holding it open goes on committing) or another was renamed
    /// over the path. The duplicate shares the open file description and
    /// so the readers' lock this handle took, which stays when it closes.
    /// `None` if that fails.
    pub fn open_again(&self, config: &Config) -> Option<Engine> {
        let file = self.file.try_clone().ok()?;
        let mut again = Engine::open_file(file, &self.path, None, config).ok()?;
        again.absolute = self.absolute.clone();
        Some(again)
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
        self.check_not_replaced()?;
        if self.window.is_some() {
            // A window is fixed (`OpenOptions::window`): its records never
            // change while it is open, and it maps no others.
            return Ok(false);
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
            let needed = layout
                .table_end(self.capacity())
                .expect("valid when mapped");
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
            if newest.is_some_and(|n| n <= self.commits.current().sequence) {
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
            if choice.commit.sequence <= self.commits.current().sequence {
                return Ok(false);
            }
            // decode_slot checked that the commit fits in `file_len`, all mapped.
            debug_assert!(layout
                .table_end(choice.commit.capacity)
                .is_some_and(|end| end <= self.map.len() as u64));
            self.commits.adopt(choice.commit);
            self.len = choice.commit.count;
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

/// Reserves the disk blocks of a store `len` bytes long, of `capacity`
/// records: a length the filesystem refuses for any file (`EFBIG`) is a
/// capacity too large, like one past the address space, unless the length
/// is past the process's file-size limit; other errors are about `path` (a
/// full disk is [`Error::DiskFull`]).
fn reserve_blocks(
    file: &File,
    len: u64,
    capacity: u64,
    layout: &Layout,
    op: &'static str,
    path: &Path,
) -> Result<()> {
    os::reserve(file, len).map_err(|e| {
        // EFBIG past the process's own file-size limit (`ulimit -f`) is about
        // this process, not the capacity: the OS message says so.
        let past_process_limit = os::file_size_limit().is_some_and(|limit| len > limit);
        if e.kind() == std::io::ErrorKind::FileTooLarge && !past_process_limit {
            Error::CapacityOverflow {
                requested: capacity,
                stride: layout.stride,
            }
        } else {
            Error::io(op, path, e)
        }
    })
}

/// tempfile's error without the name of the temporary file it tried
/// (`.recstore-new-XXXX`, which does not exist): the OS error alone.
fn without_temp_path(e: std::io::Error) -> std::io::Error {
    let text = e.to_string();
    match text.split_once(" at path ") {
        Some((os, _)) => std::io::Error::new(e.kind(), os.to_string()),
        None => e,
    }
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
