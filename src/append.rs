//! The append path's state: the push window, the pages prepared ahead of
//! `push`, and the chunk CRCs computed from appended bytes
//! (`crate::append_crc`). The engine (`crate::engine`) owns the mapping and
//! decides when a window may open; this module keeps what the window needs.
//!
//! Pushes go through a *window*: records `len..push_end`, in one chunk,
//! with their pages prepared, whose bookkeeping (chunk marked changed,
//! pages prepared) was done when the window opened. Inside it, a push is a
//! compare, a copy and an increment.

use std::fs::File;

use crate::append_crc::AppendCrcs;
use crate::format::{self, Layout};
use crate::map::Mapping;

/// Appends of at least this many bytes are written with `pwrite` rather
/// than copied into the mapping: past a few pages, saving the page faults
/// outweighs the system call.
pub(crate) const WRITE_THROUGH_MIN: usize = 16 << 10;

/// Large appends hand their pages to the disk this many bytes at a time
/// (`Appender::write_behind`).
const WRITE_BEHIND: u64 = 8 << 20;

/// `push` faults in this many bytes ahead at a time (see
/// `Mapping::prefault_write`).
const PREFAULT: usize = 256 << 10;
const PAGE: usize = format::PAGE_SIZE as usize;

/// The append path of one writer.
pub(crate) struct Appender {
    /// File offset up to which `push` has asked for pages ahead.
    prefaulted_to: usize,
    /// End of the open push window (records), 0 when none is open.
    push_end: u64,
    /// Records pushed from here to `len` are not yet fed to `crcs`.
    fed_to: u64,
    /// CRCs of chunks filled by `append`, computed from the appended bytes.
    crcs: AppendCrcs,
    /// File offset up to which appends have started write-back (0: this
    /// handle has appended nothing yet).
    written_back_to: u64,
}

impl Appender {
    pub fn new(layout: &Layout) -> Appender {
        Appender {
            prefaulted_to: 0,
            push_end: 0,
            fed_to: 0,
            crcs: AppendCrcs::new(layout.chunk_records, layout.stride as usize),
            written_back_to: 0,
        }
    }

    /// The end of the open push window (0: none is open).
    #[inline]
    pub fn push_end(&self) -> u64 {
        self.push_end
    }

    /// The CRCs known from appended bytes.
    pub fn crcs(&self) -> &AppendCrcs {
        &self.crcs
    }

    /// Records `start..` were appended with these bytes.
    pub fn feed(&mut self, start: u64, bytes: &[u8]) {
        self.crcs.feed(start, bytes);
    }

    /// An append wrote the file from `from` to `to` (byte offsets):
    /// once [`WRITE_BEHIND`] whole pages are written since the last time,
    /// starts their write-back, so that an import of 200 MB does not wait
    /// for all of it in the `fsync` of its commit (~90 ms of a 500 ms
    /// import). The page the append ends in is left out: the next append
    /// writes it again, and a page being written back makes that wait.
    pub fn write_behind(&mut self, map: &Mapping, file: &File, from: u64, to: u64) {
        if !map.is_shared_writable() {
            // A copy-on-write handle wrote its own memory, not the file.
            return;
        }
        let page = PAGE as u64;
        if self.written_back_to == 0 || self.written_back_to > from {
            // The first append, or one after a truncate: from where the
            // appends now are, never over pages this handle did not write
            // (the advice drops clean pages nobody maps, such as the
            // records of a store just opened that others read).
            self.written_back_to = from / page * page;
        }
        let end = to / page * page;
        if end >= self.written_back_to + WRITE_BEHIND {
            crate::os::start_writeback(file, self.written_back_to, end - self.written_back_to);
            self.written_back_to = end;
        }
    }

    /// Something other than an append changed records: the CRCs known
    /// from appended bytes may be stale.
    pub fn forget(&mut self) {
        self.crcs.forget();
    }

    /// A commit wrote what was known.
    pub fn committed(&mut self) {
        self.crcs.committed();
    }

    /// Closes the window without feeding what it pushed: the handle was
    /// poisoned, and the fast path of `push` checks nothing else.
    pub fn abort_window(&mut self) {
        self.push_end = 0;
    }

    /// Feeds the records pushed in the open window (up to `len`) to the
    /// chunk CRCs.
    pub fn feed_pushed(&mut self, len: u64, map: &Mapping, layout: &Layout) {
        if self.push_end != 0 && self.fed_to < len {
            let (a, b) = (
                (layout.data_offset + self.fed_to * layout.stride) as usize,
                (layout.data_offset + len * layout.stride) as usize,
            );
            let pushed = map.owned().expect("pushed, so writable");
            self.crcs.feed(self.fed_to, &pushed[a..b]);
        }
        self.fed_to = len;
    }

    /// Ends the push window: every operation but `push` calls this first,
    /// so that it sees the pushed records fed and its own changes cannot
    /// fall inside a window whose bookkeeping was done before them.
    pub fn close_window(&mut self, len: u64, map: &Mapping, layout: &Layout) {
        self.feed_pushed(len, map, layout);
        self.push_end = 0;
    }

    /// Opens the window at record `len` (the caller checked that it may
    /// and fed what the last window pushed): prepares the pages ahead if
    /// needed, and ends the window at the chunk's end, the capacity or the
    /// last prepared page, whichever comes first. Records below `kept` are
    /// covered by a commit or borrowed by readers: never written here.
    pub fn open_window(&mut self, len: u64, capacity: u64, kept: u64, io: WindowIo<'_>) {
        let layout = io.layout;
        let chunk = len / layout.chunk_records;
        let stride = layout.stride as usize;
        let start = layout.data_offset as usize + len as usize * stride;
        if start + stride > self.prefaulted_to {
            self.prefault(start, capacity, kept, io);
        }
        let prepared = ((self.prefaulted_to - layout.data_offset as usize) / stride) as u64;
        self.push_end = capacity
            .min((chunk + 1) * layout.chunk_records)
            .min(prepared);
        debug_assert!(self.push_end > len);
    }

    /// Prepares the pages from `start` on (`PREFAULT` bytes, or one record
    /// if records are larger, never past the data region) for `push`: zeros
    /// written through the file put them in the page cache in large folios
    /// at memcpy speed, then one `madvise` maps them, instead of a page
    /// fault (and a read of a reserved block) every 4 KiB. Only unused space
    /// past the last record is written, never a record below `kept`. A
    /// failure here is ignored: the pages then fault in as usual.
    #[cold]
    fn prefault(&mut self, start: usize, capacity: u64, kept: u64, io: WindowIo<'_>) {
        static ZEROS: [u8; PREFAULT] = [0; PREFAULT];
        let layout = io.layout;
        let stride = layout.stride as usize;
        let data_end = (layout.data_offset + capacity * layout.stride) as usize;
        let from = start / PAGE * PAGE;
        // At least the record at `start`: the window must hold one.
        let end = data_end.min(start + PREFAULT.max(stride));
        let mut zeros_from = start.max((layout.data_offset + kept * layout.stride) as usize);
        while zeros_from < end {
            let n = (end - zeros_from).min(PREFAULT);
            if io.map.write_at(io.file, zeros_from, &ZEROS[..n]).is_err() {
                break;
            }
            zeros_from += n;
        }
        io.map.prefault_write(from, end.saturating_sub(from));
        self.prefaulted_to = end;
        // The records pushed before `start` are written: their pages too
        // can go to the disk early (this is `push`'s cold path, once per
        // `PREFAULT` bytes).
        self.write_behind(io.map, io.file, start as u64, start as u64);
    }
}

/// What opening a window needs of the engine.
pub(crate) struct WindowIo<'a> {
    pub layout: &'a Layout,
    pub file: &'a File,
    pub map: &'a mut Mapping,
}
