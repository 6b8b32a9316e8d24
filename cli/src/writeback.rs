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

const PAGE: u64 = 4096;

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
        // Whole pages only: the next write fills the last page up, and a
        // page being written back would make it wait.
        let end = self.written / PAGE * PAGE;
        if end >= self.started + AHEAD {
            recstore::__private::start_writeback(
                self.file.as_file(),
                self.started,
                end - self.started,
            );
            self.started = end;
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}
