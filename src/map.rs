//! The memory mapping: the only module of recstore with `unsafe` code.
//!
//! It hands the rest of the crate plain `&[u8]` / `&mut [u8]` views of a
//! file; everything that interprets those bytes is safe code elsewhere.
//!
//! # Why the references it hands out are sound
//!
//! A `&[u8]` promises the compiler that its bytes do not change while it
//! lives; a `&mut [u8]` that nothing else reads or writes them. A mapping of
//! a file shares its pages with every other process that maps or writes the
//! file, so this module only ever makes references to bytes that, by the
//! rules below, no process changes while they live. The rules bind every
//! recstore handle in every process (`crate::share` enforces them):
//!
//! 1. **One writer.** Only a handle holding the writer lock (an exclusive
//!    `flock` of the file) maps it writable ([`Mode::ReadWrite`]); every other
//!    process maps it read-only. The writer's whole mapping is its own: no
//!    other process writes the file ([`Mapping::owned`]).
//! 2. **Readers announce themselves** with a shared readers' lock (a Linux
//!    OFD lock, `crate::os`), taken before anything is read and held for the
//!    handle's life, and borrow only the committed records
//!    ([`Mapping::stable`]): records below the count of a valid commit slot.
//! 3. **The writer never changes a record below the count of any commit
//!    slot while a reader is announced**: it appends past them, and changes
//!    them in place only while it holds the readers' lock exclusively.
//! 4. **Everything else a writer changes while readers map the file**, the
//!    commit slots, the checksum table and the records past the commit, is
//!    read by readers with `pread` into their own memory, never through a
//!    reference into the mapping; the writer writes slots and table with
//!    `pwrite`.
//! 5. **Nobody shrinks the file** (`truncate` is logical), and only `&mut
//!    self` methods remap, so no reference outlives the mapping it points
//!    into.
//! 6. **A copy-on-write handle is a reader** until its first change; then
//!    its memory becomes its own ([`Mapping::make_private`]) and it changes
//!    only that: the whole pages of its committed records map the file
//!    privately (`MAP_PRIVATE`, Linux: a page is copied when first written,
//!    and until then shows the file's page, whose bytes no process changes
//!    while the handle holds the readers' lock, rules 2 and 3); the rest it
//!    reads (the header, the slots, the table, the page the committed
//!    records end in) is read with `pread` into anonymous memory, as
//!    another process may be changing it. It grows into anonymous memory
//!    of its own (`PrivateMem`).
//! 7. **A loaded handle** (a reader on a filesystem that cannot map files,
//!    or one asked not to map) holds no mapping of the file at all: its
//!    committed records are read with `pread` into anonymous memory of its
//!    own ([`Mapping::loaded`], [`Mapping::load`]), page-aligned as a
//!    mapping is, and borrowed from there. Nothing changes that memory
//!    while a reference lives: only `&mut self` methods load into it.
//!
//! Another program that writes or truncates a mapped store breaks this
//! contract, as with every mapped file (memmap2 says so): the result may be
//! a SIGBUS, or records changing under a live reference, which is undefined
//! behaviour. The crate documentation states it for users.

use std::fs::File;
use std::io;

use memmap2::{Mmap, MmapMut, MmapOptions};

use crate::info::Mode;

/// A mapping of a whole file (or, once a copy-on-write handle has changed
/// something, of anonymous memory holding its copy).
pub(crate) struct Mapping {
    inner: Inner,
    /// The file offset of the first byte of `inner`: 0, except for a
    /// window (rule 8). Every offset given to or returned by a method is a
    /// file offset: a `u64`, so that a window far into a file larger than
    /// a 32-bit address space works.
    base: u64,
}

enum Inner {
    /// A reader's mapping, or a copy-on-write handle's before its first
    /// change: only `stable` ranges are ever borrowed.
    ReadOnly(Mmap),
    /// The writer's mapping: no other process writes the file.
    Shared(MmapMut),
    /// A copy-on-write handle's own memory (rule 6).
    Private(PrivateMem),
    /// Anonymous memory, as long as the file (a window: its bytes), into which a reader reads
    /// its committed records with `pread` (`load`): records are borrowed
    /// from it; everything else in it is zeros or stale, and is read from
    /// the file instead (`owned` is `None`). `filled`: the end of the
    /// furthest range loaded, in the buffer.
    Loaded { buf: MmapMut, filled: usize },
}

/// The page size the format assumes (`format::PAGE_SIZE`); mappings start
/// and end on its multiples.
const PAGE: usize = 4096;

fn to_usize(len: u64) -> io::Result<usize> {
    usize::try_from(len).map_err(|_| {
        io::Error::new(
            io::ErrorKind::OutOfMemory,
            "file larger than the address space",
        )
    })
}

/// The file offset and length of a window's `range`, checked.
fn window_bounds(range: &std::ops::Range<u64>) -> io::Result<(u64, usize)> {
    let len = range.end.checked_sub(range.start).ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            "a window ends before it starts",
        )
    })?;
    if !range.start.is_multiple_of(crate::format::PAGE_SIZE) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "a window starts inside a page",
        ));
    }
    Ok((range.start, to_usize(len)?))
}

/// A window is mapped once, at the bytes its records need (rule 8).
fn window_is_fixed() -> io::Error {
    io::Error::new(
        io::ErrorKind::Unsupported,
        "a window is neither remapped nor copied",
    )
}

/// Anonymous memory for a loaded buffer, with no swap reserved for it
/// (`MAP_NORESERVE`): only the pages records are read into take memory, so
/// a file of large capacity and few records costs only those records.
fn loaded_buffer(len: usize) -> io::Result<MmapMut> {
    MmapOptions::new().len(len).no_reserve_swap().map_anon()
}

impl Mapping {
    /// Maps the first `len` bytes of `file` (the caller has checked that the
    /// file is at least that long). `ReadWrite` only for the holder of the
    /// writer lock; `CopyOnWrite` maps read-only until `make_private`.
    pub fn new(file: &File, len: u64, mode: Mode) -> io::Result<Mapping> {
        let mut options = MmapOptions::new();
        options.len(to_usize(len)?);
        let inner = match mode {
            // `file` is at least `len` bytes long (checked by the caller
            // against its metadata). Of the mapped bytes, this process only
            // ever borrows `stable` ranges: committed records, which no
            // process following the module's rules changes while this handle
            // holds the readers' lock (rules 2, 3); nobody shrinks the file
            // (rule 5). Everything else is read with `pread` (rule 4).
            // SAFETY: every mapped byte is in the file, and every borrowed
            // byte is one no process changes while the borrow lives.
            Mode::ReadOnly | Mode::CopyOnWrite => Inner::ReadOnly(unsafe { options.map(file)? }),
            // As above for the length; this process holds the writer lock,
            // so no other process writes the file (rule 1), and readers
            // never write.
            // SAFETY: every byte of the mapping changes only through this
            // handle, under `&mut self`.
            Mode::ReadWrite => Inner::Shared(unsafe { options.map_mut(file)? }),
        };
        Ok(Mapping { inner, base: 0 })
    }

    /// A reader's read-only mapping of the bytes `range` of `file` only (a
    /// window, rule 8). The caller has checked that the file is at least
    /// `range.end` bytes long and that `range.start` is a multiple of
    /// [`PAGE_SIZE`](crate::format::PAGE_SIZE) (so that every byte keeps its
    /// file offset's alignment; memmap2 maps from the system page below it).
    pub fn window(file: &File, range: std::ops::Range<u64>) -> io::Result<Mapping> {
        let (base, len) = window_bounds(&range)?;
        let mut options = MmapOptions::new();
        options.offset(range.start).len(len);
        // `file` is at least `range.end` bytes long (checked by the caller
        // against its metadata). This is a reader's mapping (it holds the
        // readers' lock): of its bytes this process only ever borrows
        // `stable` ranges of committed records, which no process following
        // the module's rules changes while the lock is held (rules 2, 3);
        // nobody shrinks the file (rule 5); everything else is read with
        // `pread` (rule 4). A window is never remapped (rule 8).
        // SAFETY: every mapped byte lies in the file, and every borrowed
        // byte is one no process changes while the borrow lives.
        let map = unsafe { options.map(file)? };
        Ok(Mapping {
            inner: Inner::ReadOnly(map),
            base,
        })
    }

    /// A buffer standing in for a read-only mapping of the bytes `range`
    /// of a file ([`window`](Mapping::window) without mapping the file):
    /// [`load`](Mapping::load) reads ranges of the file into it at their
    /// offsets less `range.start`. Safe code: no file is mapped.
    pub fn loaded_window(range: std::ops::Range<u64>) -> io::Result<Mapping> {
        let (base, len) = window_bounds(&range)?;
        Ok(Mapping {
            inner: Inner::Loaded {
                buf: loaded_buffer(len)?,
                filled: 0,
            },
            base,
        })
    }

    /// A mapping of no bytes at all: what a window holds until the commit
    /// it opens at, and so the bytes it needs, is known. Safe code: no file
    /// is mapped.
    pub fn empty() -> io::Result<Mapping> {
        let map = MmapOptions::new().len(0).map_anon()?.make_read_only()?;
        Ok(Mapping {
            inner: Inner::ReadOnly(map),
            base: 0,
        })
    }

    /// A buffer standing in for a read-only mapping of a file of `len`
    /// bytes, for a reader that does not map the file: anonymous memory
    /// (page-aligned, and allocated only as it is filled) into which
    /// [`load`](Mapping::load) reads ranges of the file. Safe code: no
    /// file is mapped.
    pub fn loaded(len: u64) -> io::Result<Mapping> {
        let buf = loaded_buffer(to_usize(len)?)?;
        Ok(Mapping {
            inner: Inner::Loaded { buf, filled: 0 },
            base: 0,
        })
    }

    /// Reads bytes `range` of `file` into a loaded buffer at the same
    /// offsets (less `base`; `pread`); a no-op for a mapping, which shows them already.
    /// `&mut self`: no reference into the buffer lives while it changes.
    pub fn load(&mut self, file: &File, range: std::ops::Range<u64>) -> io::Result<()> {
        let inside = self.inside(range.clone());
        if let Inner::Loaded { buf, filled } = &mut self.inner {
            let dst = inside.and_then(|r| buf.get_mut(r.clone()).map(|d| (d, r.end)));
            let (dst, to) = dst.ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "read outside the loaded buffer",
                )
            })?;
            crate::os::read_exact_at(file, dst, range.start)?;
            *filled = (*filled).max(to);
        }
        Ok(())
    }

    /// Whether the records are read into memory of this handle rather
    /// than mapped (see [`loaded`](Mapping::loaded)).
    pub fn is_loaded(&self) -> bool {
        matches!(self.inner, Inner::Loaded { .. })
    }

    /// The bytes of `range` (file offsets), which the caller knows no
    /// process changes while the reference lives: committed records (or
    /// the writer's own bytes). `None` if not mapped.
    #[inline]
    pub fn stable(&self, range: std::ops::Range<u64>) -> Option<&[u8]> {
        let all: &[u8] = match &self.inner {
            Inner::ReadOnly(m) => m,
            Inner::Shared(m) | Inner::Loaded { buf: m, .. } => m,
            Inner::Private(p) => p.as_slice(),
        };
        all.get(self.inside(range)?)
    }

    /// The file offsets `range` as offsets into the mapping (`None` if
    /// they lie before it, or past the address space).
    #[inline]
    fn inside(&self, range: std::ops::Range<u64>) -> Option<std::ops::Range<usize>> {
        let start = usize::try_from(range.start.checked_sub(self.base)?).ok()?;
        let end = usize::try_from(range.end.checked_sub(self.base)?).ok()?;
        Some(start..end)
    }

    /// The whole mapping, where only this handle changes it: the writer's
    /// mapping, or a copy-on-write handle's private copy. `None` for a
    /// reader's mapping, whose bytes past the committed records another
    /// process may be writing, and for a loaded buffer, which holds only
    /// the records loaded.
    #[inline]
    pub fn owned(&self) -> Option<&[u8]> {
        match &self.inner {
            Inner::ReadOnly(_) | Inner::Loaded { .. } => None,
            Inner::Shared(m) => Some(m),
            Inner::Private(p) => Some(p.as_slice()),
        }
    }

    /// The whole mapping, writable, where only this handle changes it
    /// (see `owned`).
    #[inline]
    pub fn bytes_mut(&mut self) -> Option<&mut [u8]> {
        match &mut self.inner {
            Inner::ReadOnly(_) | Inner::Loaded { .. } => None,
            Inner::Shared(m) => Some(m),
            Inner::Private(p) => Some(p.as_mut_slice()),
        }
    }

    /// Length of the mapping.
    pub fn len(&self) -> usize {
        match &self.inner {
            Inner::ReadOnly(m) => m.len(),
            Inner::Shared(m) | Inner::Loaded { buf: m, .. } => m.len(),
            Inner::Private(p) => p.len(),
        }
    }

    /// A copy-on-write handle's first change: replaces a read-only mapping
    /// by memory of its own (rule 6), so that its changes stay in this
    /// process. `stable`: the bytes of its committed records, which no
    /// process changes while it holds the readers' lock (rules 2, 3): their
    /// whole pages map the file privately, and cost memory only once
    /// written. `also`: the other bytes the handle reads (header, slots,
    /// table), read with `pread`, as the writer's process may be changing
    /// them. Everything else is zeros (the space past the records, which
    /// the handle never reads before writing it). A loaded buffer (no
    /// mapping of the file) reads `stable` with `pread` too.
    pub fn make_private(
        &mut self,
        file: &File,
        stable: std::ops::Range<usize>,
        also: &[std::ops::Range<usize>],
    ) -> io::Result<()> {
        if self.base != 0 {
            return Err(window_is_fixed());
        }
        let map_file = match &self.inner {
            Inner::ReadOnly(_) => true,
            Inner::Loaded { .. } => false,
            Inner::Shared(_) | Inner::Private(_) => return Ok(()),
        };
        let len = self.len();
        let in_bounds = |r: &std::ops::Range<usize>| r.start <= r.end && r.end <= len;
        if !in_bounds(&stable) || !also.iter().all(in_bounds) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "copy past the mapping",
            ));
        }
        // The whole pages of `stable`, when the file can be mapped.
        let (from, to) = (
            stable.start.next_multiple_of(PAGE),
            stable.end / PAGE * PAGE,
        );
        let map_file = map_file && cfg!(target_os = "linux");
        let mapped = if map_file && from < to {
            from..to
        } else {
            0..0
        };
        let mut private = PrivateMem::new(len, Some((file, mapped.clone())))?;
        let bytes = private.as_mut_slice();
        let read = |bytes: &mut [u8], r: std::ops::Range<usize>| {
            crate::os::read_exact_at(file, &mut bytes[r.clone()], r.start as u64)
        };
        if mapped.is_empty() {
            read(bytes, stable)?;
        } else {
            read(bytes, stable.start..mapped.start)?;
            read(bytes, mapped.end..stable.end)?;
        }
        for r in also {
            read(bytes, r.clone())?;
        }
        self.inner = Inner::Private(private);
        Ok(())
    }

    /// Makes the bytes in `offset..offset + len` durable (msync). No-op for
    /// private and read-only mappings.
    pub fn sync_range(&self, offset: usize, len: usize) -> io::Result<()> {
        match &self.inner {
            Inner::Shared(m) if len > 0 => m.flush_range(offset, len),
            _ => Ok(()),
        }
    }

    /// Makes every written byte durable (msync of the whole mapping).
    pub fn sync_all(&self) -> io::Result<()> {
        match &self.inner {
            Inner::Shared(m) => m.flush(),
            _ => Ok(()),
        }
    }

    /// Copies `bytes` to `offset` (inside the mapping). A shared mapping
    /// is written through the file with `pwrite`, which the page cache makes
    /// visible through every mapping at once: it lands in whole (possibly
    /// large) page-cache folios at memcpy speed, where a copy into the
    /// mapping takes one page fault per fresh 4 KiB page (and leaves small
    /// folios that every later mapping of the file faults in page by page).
    /// `&mut self`: no reference into the mapped bytes is alive while they
    /// change.
    pub fn write_at(&mut self, file: &File, offset: usize, bytes: &[u8]) -> io::Result<()> {
        let end = offset
            .checked_add(bytes.len())
            .filter(|&end| end <= self.len())
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "write past the mapping"))?;
        match &mut self.inner {
            #[cfg(unix)]
            Inner::Shared(_) => {
                use std::os::unix::fs::FileExt;
                file.write_all_at(bytes, offset as u64)
            }
            #[cfg(not(unix))]
            Inner::Shared(m) => {
                let _ = file;
                m[offset..end].copy_from_slice(bytes);
                Ok(())
            }
            Inner::Private(p) => {
                p.as_mut_slice()[offset..end].copy_from_slice(bytes);
                Ok(())
            }
            Inner::ReadOnly(_) | Inner::Loaded { .. } => Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                "the mapping is read-only",
            )),
        }
    }

    /// Asks the kernel to fault in `len` bytes at `offset` for writing in
    /// one call (`MADV_POPULATE_WRITE`), so that appending record by record
    /// does not take a page fault every 4 KiB. Only a hint: errors (an old
    /// kernel, another OS) are ignored, and the pages fault in as usual.
    pub fn prefault_write(&self, offset: usize, len: usize) {
        #[cfg(target_os = "linux")]
        match &self.inner {
            Inner::Shared(m) => {
                let len = len.min(m.len().saturating_sub(offset));
                if len > 0 {
                    let _ = m.advise_range(memmap2::Advice::PopulateWrite, offset, len);
                }
            }
            Inner::Private(p) => p.populate_write(offset, len),
            Inner::ReadOnly(_) | Inner::Loaded { .. } => {}
        }
        #[cfg(not(target_os = "linux"))]
        let _ = (offset, len);
    }

    /// Whether the mapping shows the file's pages, or records read from
    /// the file (not a private copy that may have outgrown it).
    pub fn is_file_backed(&self) -> bool {
        !matches!(self.inner, Inner::Private(_))
    }

    /// Whether this is a copy-on-write handle's own memory (after
    /// `make_private`).
    pub fn is_private(&self) -> bool {
        matches!(self.inner, Inner::Private(_))
    }

    /// Whether writes reach the file.
    pub fn is_shared_writable(&self) -> bool {
        matches!(self.inner, Inner::Shared(_))
    }

    /// Resizes the mapping to `new_len` bytes. For file mappings the file
    /// must already be that long; a private mapping grows into anonymous
    /// memory that holds a copy of what it held (the file never changes).
    /// Takes `&mut self`: no reference into the old mapping can survive.
    pub fn resize(&mut self, file: &File, new_len: u64) -> io::Result<()> {
        let new_len_usize = to_usize(new_len)?;
        if new_len_usize == self.len() {
            return Ok(());
        }
        if self.base != 0 {
            return Err(window_is_fixed());
        }
        // Linux moves the mapping with mremap; elsewhere the file is mapped anew.
        #[cfg(target_os = "linux")]
        let _ = file;
        match &mut self.inner {
            Inner::Private(p) => p.resize(new_len_usize),
            Inner::Loaded { buf, filled } => {
                // Only what was loaded is copied: the rest of the new buffer
                // stays untouched (and unallocated) until loaded.
                let mut grown = loaded_buffer(new_len_usize)?;
                let keep = (*filled).min(new_len_usize);
                grown[..keep].copy_from_slice(&buf[..keep]);
                self.inner = Inner::Loaded {
                    buf: grown,
                    filled: keep,
                };
                Ok(())
            }
            #[cfg(target_os = "linux")]
            Inner::ReadOnly(m) => {
                // The new bytes are borrowed under the rules of `new`.
                // SAFETY: the file is at least `new_len` bytes long (checked
                // by the caller); `&mut self`: no reference into the old
                // mapping is alive, so moving it is sound.
                unsafe { m.remap(new_len_usize, memmap2::RemapOptions::new().may_move(true)) }
            }
            #[cfg(target_os = "linux")]
            Inner::Shared(m) => {
                // SAFETY: as above.
                unsafe { m.remap(new_len_usize, memmap2::RemapOptions::new().may_move(true)) }
            }
            #[cfg(not(target_os = "linux"))]
            Inner::ReadOnly(_) => {
                *self = Mapping::new(file, new_len, Mode::ReadOnly)?;
                Ok(())
            }
            #[cfg(not(target_os = "linux"))]
            Inner::Shared(_) => {
                // A shared mapping's writes are in the page cache already:
                // unmapping the old one loses nothing.
                *self = Mapping::new(file, new_len, Mode::ReadWrite)?;
                Ok(())
            }
        }
    }
}

/// A copy-on-write handle's own memory (rule 6), `len` bytes readable and
/// writable by this handle alone.
///
/// On Linux: one reservation of address space (`PROT_NONE`, several times
/// `len`, costing no memory), of which the first `len` bytes (rounded up to
/// pages) are anonymous memory, except a range of whole pages that maps the
/// file privately at the same offsets. Every mapping is `MAP_NORESERVE`, as
/// a loaded buffer is: memory is charged as pages are written, not for the
/// whole length up front, which the kernel refuses for a store longer than
/// memory and swap. Growth within the reservation maps
/// more anonymous memory in place: nothing is copied, and the file's pages
/// stay shared until written. Growth past it (more than eight times the
/// length at the first change, and at least 1 GiB) copies into a new
/// reservation, as any other OS does at every growth.
#[cfg(target_os = "linux")]
struct PrivateMem {
    // INVARIANTS: `base..base + reserved` is mapped by this value alone
    // (nothing else in the process maps or unmaps it; `drop` unmaps it);
    // `base..base + len.next_multiple_of(PAGE)` is readable and writable,
    // either anonymous memory or a private mapping of the file at the same
    // offset whose pages, until written, hold bytes no process changes
    // (rules 2, 3); `len.next_multiple_of(PAGE) <= reserved`, a multiple
    // of `PAGE`.
    base: std::ptr::NonNull<u8>,
    len: usize,
    reserved: usize,
}

// `PrivateMem` owns its memory as a `Box<[u8]>` does (INVARIANTS): no
// other value refers to it, and `&mut self` is needed to change it.
// SAFETY: so moving it to another thread is sound.
#[cfg(target_os = "linux")]
unsafe impl Send for PrivateMem {}
// SAFETY: as above: `&PrivateMem` only reads.
#[cfg(target_os = "linux")]
unsafe impl Sync for PrivateMem {}

#[cfg(target_os = "linux")]
impl PrivateMem {
    /// `len` bytes of zeros, except, given `(file, mapped)`, the whole pages
    /// `mapped` (inside `len`), which map `file` privately at the same
    /// offsets. The caller vouches that no process changes those bytes of
    /// the file while this lives.
    fn new(
        len: usize,
        file_pages: Option<(&File, std::ops::Range<usize>)>,
    ) -> io::Result<PrivateMem> {
        let pages = len.max(1).next_multiple_of(PAGE);
        let roomy = pages
            .saturating_mul(8)
            .max(1 << 30)
            .min(isize::MAX as usize / 2)
            / PAGE
            * PAGE;
        // Room for eight times the length (at least 1 GiB) to grow in place.
        let roomy = roomy.max(pages);
        let mut mem = match Self::reserve(roomy) {
            Ok(mem) => mem,
            // Address space is limited (`ulimit -v`): no room to grow.
            Err(_) => Self::reserve(pages)?,
        };
        mem.map_anon(0, pages)?;
        if let Some((file, mapped)) = file_pages.filter(|(_, m)| !m.is_empty()) {
            use std::os::unix::io::AsRawFd;
            assert!(
                mapped.start.is_multiple_of(PAGE)
                    && mapped.end.is_multiple_of(PAGE)
                    && mapped.end <= len,
                "whole pages inside the memory"
            );
            // `mapped` lies inside `base..base + reserved` (asserted above:
            // `mapped.end <= len <= pages <= reserved`) and is page aligned.
            // The file mapping is private: this process's writes never reach
            // the file; its bytes until written are the file's, which the
            // caller vouches no process changes (rules 2, 3), and which
            // exist (the file is at least `len` bytes long and never
            // shrinks, rule 5), so reading them raises no SIGBUS.
            // SAFETY: MAP_FIXED replaces only pages of this value's own
            // reservation, which nothing refers to yet.
            let p = unsafe {
                libc::mmap(
                    mem.base.as_ptr().add(mapped.start).cast(),
                    mapped.len(),
                    libc::PROT_READ | libc::PROT_WRITE,
                    libc::MAP_PRIVATE | libc::MAP_FIXED | libc::MAP_NORESERVE,
                    file.as_raw_fd(),
                    mapped.start as libc::off_t,
                )
            };
            if p == libc::MAP_FAILED {
                return Err(io::Error::last_os_error());
            }
        }
        mem.len = len;
        Ok(mem)
    }

    /// A reservation of `reserved` bytes (a multiple of `PAGE`) of address
    /// space: no byte of it may be read or written yet (`len` 0).
    fn reserve(reserved: usize) -> io::Result<PrivateMem> {
        // SAFETY: a new mapping at an address the kernel chooses, so it
        // replaces nothing; PROT_NONE: no byte can be read or written.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                reserved,
                libc::PROT_NONE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        if p == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        let base = std::ptr::NonNull::new(p.cast::<u8>())
            .ok_or_else(|| io::Error::other("mmap returned a null address"))?;
        Ok(PrivateMem {
            base,
            len: 0,
            reserved,
        })
    }

    /// Makes bytes `from..to` (page aligned, inside the reservation)
    /// anonymous zeros, readable and writable.
    fn map_anon(&mut self, from: usize, to: usize) -> io::Result<()> {
        debug_assert!(from.is_multiple_of(PAGE) && to.is_multiple_of(PAGE));
        assert!(from <= to && to <= self.reserved, "inside the reservation");
        if from == to {
            return Ok(());
        }
        // SAFETY: `from..to` lies inside this value's reservation (asserted)
        // and is page aligned: MAP_FIXED replaces only its own pages, and
        // `&mut self` guarantees no reference into them is alive.
        let p = unsafe {
            libc::mmap(
                self.base.as_ptr().add(from).cast(),
                to - from,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        if p == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    fn len(&self) -> usize {
        self.len
    }

    fn as_slice(&self) -> &[u8] {
        // The file pages among the bytes hold bytes no process changes
        // (rules 2, 3).
        // SAFETY: the first `len` bytes are mapped readable (INVARIANTS) and
        // change only through `&mut self`, not while this borrow lives.
        unsafe { std::slice::from_raw_parts(self.base.as_ptr(), self.len) }
    }

    fn as_mut_slice(&mut self) -> &mut [u8] {
        // Writes to file pages copy them (MAP_PRIVATE), never reaching the
        // file another process reads.
        // SAFETY: as in `as_slice`; the mapping is private to this value,
        // so this exclusive borrow is the only access to the bytes.
        unsafe { std::slice::from_raw_parts_mut(self.base.as_ptr(), self.len) }
    }

    /// Grows (or shrinks) to `new_len` bytes; new bytes are zeros.
    fn resize(&mut self, new_len: usize) -> io::Result<()> {
        let (old_pages, new_pages) = (
            self.len.next_multiple_of(PAGE),
            new_len.max(1).next_multiple_of(PAGE),
        );
        if new_pages <= self.reserved {
            if new_len > self.len {
                // The old last page's bytes past `len` are zeros already:
                // nothing writes past `len`.
                self.map_anon(old_pages, new_pages.max(old_pages))?;
            }
            self.len = new_len;
            return Ok(());
        }
        // Past the reservation: a copy, into one with room again.
        let mut grown = PrivateMem::new(new_len, None)?;
        grown.as_mut_slice()[..self.len].copy_from_slice(self.as_slice());
        *self = grown;
        Ok(())
    }

    /// Faults in `len` bytes at `offset` for writing (`MADV_POPULATE_WRITE`),
    /// a hint (see `Mapping::prefault_write`).
    fn populate_write(&self, offset: usize, len: usize) {
        let len = len.min(self.len.saturating_sub(offset));
        if len == 0 {
            return;
        }
        let from = offset / PAGE * PAGE;
        // Populating pages for writing changes no byte (a private file page
        // is copied with its bytes). Errors are ignored: only a hint.
        // SAFETY: `from..offset + len` lies inside the readable and writable
        // part (INVARIANTS), page aligned at its start.
        unsafe {
            libc::madvise(
                self.base.as_ptr().add(from).cast(),
                offset + len - from,
                libc::MADV_POPULATE_WRITE,
            );
        }
    }
}

#[cfg(target_os = "linux")]
impl Drop for PrivateMem {
    fn drop(&mut self) {
        // SAFETY: this value alone maps `base..base + reserved`
        // (INVARIANTS), and `&mut self` in drop guarantees no reference
        // into it is alive.
        unsafe {
            libc::munmap(self.base.as_ptr().cast(), self.reserved);
        }
    }
}

/// Elsewhere: anonymous memory, copied at each growth.
#[cfg(not(target_os = "linux"))]
struct PrivateMem(MmapMut);

#[cfg(not(target_os = "linux"))]
impl PrivateMem {
    fn new(len: usize, _: Option<(&File, std::ops::Range<usize>)>) -> io::Result<PrivateMem> {
        Ok(PrivateMem(MmapMut::map_anon(len)?))
    }
    fn len(&self) -> usize {
        self.0.len()
    }
    fn as_slice(&self) -> &[u8] {
        &self.0
    }
    fn as_mut_slice(&mut self) -> &mut [u8] {
        &mut self.0
    }
    fn resize(&mut self, new_len: usize) -> io::Result<()> {
        let mut grown = MmapMut::map_anon(new_len)?;
        let keep = self.0.len().min(new_len);
        grown[..keep].copy_from_slice(&self.0[..keep]);
        self.0 = grown;
        Ok(())
    }
    fn populate_write(&self, _offset: usize, _len: usize) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Growth in place, then past the reservation (a copy): the bytes kept,
    /// the new ones zeros, and writes through the file's private pages
    /// never reach the file.
    #[test]
    fn private_memory_grows_and_keeps_its_bytes() {
        let mut tmp = tempfile::tempfile().unwrap();
        std::io::Write::write_all(&mut tmp, &[7u8; 3 * PAGE]).unwrap();
        let mut m = Mapping::new(&tmp, 3 * PAGE as u64, Mode::CopyOnWrite).unwrap();
        m.make_private(&tmp, PAGE..3 * PAGE - 1, &[0..8, 8..PAGE])
            .unwrap();
        let bytes = m.bytes_mut().unwrap();
        assert!(bytes[..3 * PAGE - 1].iter().all(|&b| b == 7));
        assert_eq!(bytes[3 * PAGE - 1], 0, "past the ranges asked for: zeros");
        bytes[PAGE] = 1;
        for len in [5 * PAGE, (1 << 30) + PAGE] {
            m.resize(&tmp, len as u64).unwrap();
            let bytes = m.owned().unwrap();
            assert_eq!(bytes.len(), len);
            assert_eq!((bytes[PAGE - 1], bytes[PAGE], bytes[PAGE + 1]), (7, 1, 7));
            assert!(bytes[3 * PAGE..5 * PAGE].iter().all(|&b| b == 0));
        }
        let mut file = vec![0; 3 * PAGE];
        crate::os::read_exact_at(&tmp, &mut file, 0).unwrap();
        assert!(file.iter().all(|&b| b == 7));
    }
}
