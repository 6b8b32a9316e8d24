//! A file written to the end and then synced, whose write-back starts
//! while it is still being written.
//!
//! An export is synced before it is renamed into place. Written in one go
//! and synced at the end, the copy and the disk take turns: every page
//! waits in the page cache until `fsync`, which then writes them all while
//! the tool does nothing. Asking the kernel to start writing each
//! [`AHEAD`] bytes as soon as they are complete lets the disk work while
//! the copy goes on, so the final `fsync` waits only for the tail. On this
//! project's machine, copying 200 MB and syncing took 125 ms in turns and
//! 70 ms overlapped (BENCHMARKS.md, issue 15).

use std::fs::File;
use std::io::{self, Write};

use tempfile::NamedTempFile;

/// How many written bytes are handed to the disk at a time: large enough
/// that the extra system call costs nothing, small enough that the disk
/// starts early and the tail left to `fsync` is short.
pub const AHEAD: u64 = 8 << 20;

/// A temporary file written from its start, whose completed bytes are
/// handed to the disk every [`AHEAD`] bytes.
pub struct WriteBehind {
    file: NamedTempFile,
    written: u64,
    started: u64,
}

impl WriteBehind {
    /// Writes `file` from its start (it must be empty).
    pub fn new(file: NamedTempFile) -> Self {
        WriteBehind {
            file,
            written: 0,
            started: 0,
        }
    }

    /// The temporary file, to sync and rename into place.
    pub fn into_inner(self) -> NamedTempFile {
        self.file
    }

    /// The open file.
    pub fn as_file(&self) -> &File {
        self.file.as_file()
    }
}

impl Write for WriteBehind {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.file.write(buf)?;
        self.written += n as u64;
        if self.written - self.started >= AHEAD {
            start_writeback(
                self.file.as_file(),
                self.started,
                self.written - self.started,
            );
            self.started = self.written;
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

/// Starts writing `len` bytes of `file` from `offset` to the disk, without
/// waiting. Only a hint: the final `fsync` is what makes the file durable,
/// so a failure here changes nothing but the speed.
#[cfg(any(target_os = "linux", target_os = "android"))]
fn start_writeback(file: &File, offset: u64, len: u64) {
    use rustix::fs::{fadvise, Advice};
    // `POSIX_FADV_DONTNEED` is the safe, portable call that does this on
    // Linux: it starts write-back of the range's dirty pages without
    // waiting for it (`WB_SYNC_NONE`), then drops only the pages that are
    // already clean, which pages written a moment ago are not, so the
    // output stays in the page cache for whoever reads it next
    // (`fincore` shows all of a 200 MB export still cached).
    let _ = fadvise(
        file,
        offset,
        std::num::NonZeroU64::new(len),
        Advice::DontNeed,
    );
}

/// Elsewhere the page cache is left to write back on its own.
#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn start_writeback(_file: &File, _offset: u64, _len: u64) {}
