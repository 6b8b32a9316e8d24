//! The memory mapping: the only module of recstore with `unsafe` code.
//!
//! It hands the rest of the crate plain `&[u8]` / `&mut [u8]` views of a
//! file; everything that interprets those bytes is safe code elsewhere.
//!
//! # What a shared file mapping can and cannot promise
//!
//! A mapping of a file is only sound while nothing changes the mapped bytes
//! behind Rust's back and nothing shrinks the file. recstore cannot stop
//! another program from doing either; it keeps its own side of the contract:
//!
//! - a recstore writer never changes the bytes of published records (except
//!   through the explicit in-place update methods, which are documented as
//!   such) and only appends past the published count;
//! - the commit slots, the only bytes a writer rewrites while readers map
//!   them, are read here with volatile reads into a private copy and then
//!   checked by their CRC;
//! - a recstore writer never shrinks a file (`truncate` is logical);
//! - only `&mut self` methods remap, so the borrow checker proves that no
//!   reference into an old mapping survives a remap.
//!
//! Another program that truncates or rewrites a store in place breaks this
//! contract; on Linux the result is a SIGBUS or changed bytes, as with every
//! mmap-based store (LMDB documents the same).

use std::fs::File;
use std::io;

use memmap2::{Mmap, MmapMut, MmapOptions};

/// How the file is mapped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Read-only shared mapping.
    ReadOnly,
    /// Writable shared mapping: writes reach the file.
    ReadWrite,
    /// Private copy-on-write mapping: writes stay in this process's memory.
    CopyOnWrite,
}

/// A mapping of a whole file (or, after a private mapping has grown, of
/// anonymous memory holding a copy of it).
pub(crate) struct Mapping {
    inner: Inner,
}

enum Inner {
    ReadOnly(Mmap),
    Shared(MmapMut),
    Private(MmapMut),
}

fn to_usize(len: u64) -> io::Result<usize> {
    usize::try_from(len).map_err(|_| {
        io::Error::new(
            io::ErrorKind::OutOfMemory,
            "file larger than the address space",
        )
    })
}

impl Mapping {
    /// Maps the first `len` bytes of `file` (the caller has checked that the
    /// file is at least that long).
    pub fn new(file: &File, len: u64, mode: Mode) -> io::Result<Mapping> {
        let mut options = MmapOptions::new();
        options.len(to_usize(len)?);
        // For all three: `file` is at least `len` bytes long (checked by the
        // caller against its metadata), and other recstore processes change
        // the mapped bytes only as the module documentation lists: never the
        // bytes this process holds references into, except the commit slots,
        // which are read with `read_shared` (volatile) only.
        let inner = match mode {
            // SAFETY: `file` is long enough and changed only as listed above.
            Mode::ReadOnly => Inner::ReadOnly(unsafe { options.map(file)? }),
            // SAFETY: as above; this process holds the file's writer lock, so
            // no other recstore writer changes it.
            Mode::ReadWrite => Inner::Shared(unsafe { options.map_mut(file)? }),
            // SAFETY: as above; the mapping is private, so this process's
            // writes never reach the file or other processes.
            Mode::CopyOnWrite => Inner::Private(unsafe { options.map_copy(file)? }),
        };
        Ok(Mapping { inner })
    }

    /// The mapped bytes.
    #[inline]
    pub fn bytes(&self) -> &[u8] {
        match &self.inner {
            Inner::ReadOnly(m) => m,
            Inner::Shared(m) | Inner::Private(m) => m,
        }
    }

    /// The mapped bytes, writable, unless the mapping is read-only.
    pub fn bytes_mut(&mut self) -> Option<&mut [u8]> {
        match &mut self.inner {
            Inner::ReadOnly(_) => None,
            Inner::Shared(m) | Inner::Private(m) => Some(m),
        }
    }

    /// Length of the mapping.
    pub fn len(&self) -> usize {
        self.bytes().len()
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
            Inner::ReadOnly(_) => Err(io::Error::new(
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
            #[cfg(target_os = "linux")]
            Inner::ReadOnly(m) => {
                // SAFETY: the file is at least `new_len` bytes long (checked
                // by the caller), and `&mut self` guarantees no reference
                // into the old mapping is alive, so moving it is sound.
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
