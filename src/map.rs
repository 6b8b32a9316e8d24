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
//!    it copies the mapping into anonymous memory of its own
//!    ([`Mapping::make_private`]) and changes only that.
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
}

enum Inner {
    /// A reader's mapping, or a copy-on-write handle's before its first
    /// change: only `stable` ranges are ever borrowed.
    ReadOnly(Mmap),
    /// The writer's mapping: no other process writes the file.
    Shared(MmapMut),
    /// Anonymous memory holding a copy-on-write handle's own copy.
    Private(MmapMut),
    /// Anonymous memory, as long as the file, into which a reader reads
    /// its committed records with `pread` (`load`): records are borrowed
    /// from it; everything else in it is zeros or stale, and is read from
    /// the file instead (`owned` is `None`). `filled`: the end of the
    /// furthest range loaded.
    Loaded { buf: MmapMut, filled: usize },
}

fn to_usize(len: u64) -> io::Result<usize> {
    usize::try_from(len).map_err(|_| {
        io::Error::new(
            io::ErrorKind::OutOfMemory,
            "file larger than the address space",
        )
    })
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
            // SAFETY: `file` is at least `len` bytes long (checked by the
            // caller against its metadata). Of the mapped bytes, this process
            // only ever borrows `stable` ranges: committed records, which no
            // process following the module's rules changes while this handle
            // holds the readers' lock (rules 2, 3); nobody shrinks the file
            // (rule 5). Everything else is read with `pread` (rule 4).
            Mode::ReadOnly | Mode::CopyOnWrite => Inner::ReadOnly(unsafe { options.map(file)? }),
            // SAFETY: as above for the length; this process holds the writer
            // lock, so no other process writes the file (rule 1), and
            // readers never write: every byte of the mapping changes only
            // through this handle, under `&mut self`.
            Mode::ReadWrite => Inner::Shared(unsafe { options.map_mut(file)? }),
        };
        Ok(Mapping { inner })
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
        })
    }

    /// Reads bytes `range` of `file` into a loaded buffer at the same
    /// offsets (`pread`); a no-op for a mapping, which shows them already.
    /// `&mut self`: no reference into the buffer lives while it changes.
    pub fn load(&mut self, file: &File, range: std::ops::Range<usize>) -> io::Result<()> {
        if let Inner::Loaded { buf, filled } = &mut self.inner {
            let end = range.end;
            let dst = buf.get_mut(range.clone()).ok_or_else(|| {
                io::Error::new(io::ErrorKind::InvalidInput, "read past the loaded buffer")
            })?;
            crate::os::read_exact_at(file, dst, range.start as u64)?;
            *filled = (*filled).max(end);
        }
        Ok(())
    }

    /// Whether the records are read into memory of this handle rather
    /// than mapped (see [`loaded`](Mapping::loaded)).
    pub fn is_loaded(&self) -> bool {
        matches!(self.inner, Inner::Loaded { .. })
    }

    /// The bytes of `range`, which the caller knows no process changes
    /// while the reference lives: committed records (or the writer's own
    /// bytes). `None` if out of bounds.
    #[inline]
    pub fn stable(&self, range: std::ops::Range<usize>) -> Option<&[u8]> {
        let all: &[u8] = match &self.inner {
            Inner::ReadOnly(m) => m,
            Inner::Shared(m) | Inner::Private(m) | Inner::Loaded { buf: m, .. } => m,
        };
        all.get(range)
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
            Inner::Shared(m) | Inner::Private(m) => Some(m),
        }
    }

    /// The whole mapping, writable, where only this handle changes it
    /// (see `owned`).
    #[inline]
    pub fn bytes_mut(&mut self) -> Option<&mut [u8]> {
        match &mut self.inner {
            Inner::ReadOnly(_) | Inner::Loaded { .. } => None,
            Inner::Shared(m) | Inner::Private(m) => Some(m),
        }
    }

    /// Length of the mapping.
    pub fn len(&self) -> usize {
        match &self.inner {
            Inner::ReadOnly(m) => m.len(),
            Inner::Shared(m) | Inner::Private(m) | Inner::Loaded { buf: m, .. } => m.len(),
        }
    }

    /// A copy-on-write handle's first change: replaces a read-only mapping
    /// by anonymous memory holding a copy of `file`'s first `len()` bytes,
    /// read with `pread` (the records past the commit, the table and the
    /// slots may be changing in the writer's process), so that its changes
    /// stay in this process and no reference aliases the shared file.
    /// Costs a copy of the file, once. A loaded buffer is replaced the
    /// same way: it holds the records only.
    pub fn make_private(&mut self, file: &File) -> io::Result<()> {
        if let Inner::ReadOnly(_) | Inner::Loaded { .. } = &self.inner {
            let mut copy = MmapMut::map_anon(self.len())?;
            crate::os::read_exact_at(file, &mut copy, 0)?;
            self.inner = Inner::Private(copy);
        }
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
            Inner::Private(m) => {
                m[offset..end].copy_from_slice(bytes);
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
        if let Inner::Shared(m) | Inner::Private(m) = &self.inner {
            let len = len.min(m.len().saturating_sub(offset));
            if len > 0 {
                let _ = m.advise_range(memmap2::Advice::PopulateWrite, offset, len);
            }
        }
        #[cfg(not(target_os = "linux"))]
        let _ = (offset, len);
    }

    /// Whether the mapping shows the file's pages, or records read from
    /// the file (not a private copy that may have outgrown it).
    pub fn is_file_backed(&self) -> bool {
        !matches!(self.inner, Inner::Private(_))
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
        // Linux moves the mapping with mremap; elsewhere the file is mapped anew.
        #[cfg(target_os = "linux")]
        let _ = file;
        match &mut self.inner {
            Inner::Private(old) => {
                let mut grown = MmapMut::map_anon(new_len_usize)?;
                let keep = old.len().min(new_len_usize);
                grown[..keep].copy_from_slice(&old[..keep]);
                self.inner = Inner::Private(grown);
                Ok(())
            }
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
                // SAFETY: the file is at least `new_len` bytes long (checked
                // by the caller), and `&mut self` guarantees no reference
                // into the old mapping is alive, so moving it is sound; the
                // new bytes are borrowed under the rules of `new`.
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
