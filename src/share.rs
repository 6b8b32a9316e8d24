//! The sharing rule: which bytes a writer may change while readers map the
//! file, and how it knows whether readers are there.
//!
//! A `&T` promises the compiler that the bytes behind it do not change while
//! it lives. Readers (a [`Reader`](crate::Reader), a read-only or
//! copy-on-write [`Store`](crate::Store) or [`RawStore`](crate::RawStore))
//! hand out references to the records of the commit they see, without the
//! writer lock. So:
//!
//! - **Readers announce themselves.** Every reader handle takes a *shared*
//!   readers' lock on the store file before it reads a byte of it, and holds
//!   it for its whole life (`os::try_readers_lock`: a Linux OFD lock over the
//!   whole file, which belongs to the handle's open file description, so a
//!   reader and a writer in one process conflict, and closing some other
//!   descriptor of the file does not drop it).
//! - **Appends are free.** Records at or past the highest count that either
//!   commit slot holds (`exposed`) were never visible to any reader: writing
//!   them needs nothing. This keeps the live-follower case lock-free.
//! - **In-place changes need the file to themselves.** Before the writer
//!   changes a record below `exposed` (an update in place, a `truncate`
//!   below it and the appends that follow it), it tries the readers' lock
//!   *exclusively*, without waiting. If a reader holds it, the change is
//!   refused with [`Error::ReadersPresent`] and nothing changes. Otherwise
//!   it keeps the lock until the change is committed, so a reader opening
//!   meanwhile is refused with [`Error::UpdateInProgress`] instead of
//!   mapping records that are being rewritten.
//! - Counts in the commit slots only grow while a reader is present
//!   (lowering one takes the exclusive lock), so `exposed` bounds every
//!   record any present reader can have borrowed. When the lock is let go,
//!   no slot may refer to records past the committed count: after a
//!   `truncate`, the committed count is written to both slots first.
//!
//! Where no lock catches a reader in the writer's own process (every OS but
//! Linux), readers take none and every in-place change of a record below
//! `exposed` is refused ([`Error::Unsupported`]): sound, and appends work.

use std::fs::File;
use std::path::Path;

use crate::error::{Error, Result};
use crate::os::{self, ReadersLock};

/// A writer's side of the sharing rule.
#[derive(Debug)]
pub(crate) struct Share {
    /// Records each commit slot refers to, as readers may see them
    /// (`u64::MAX`: not known).
    slots: [u64; 2],
    /// This handle holds the readers' lock exclusively: no reader has the
    /// file open and none can open it.
    exclusive: bool,
    /// Changes never reach the file (a private mapping): nothing to ask.
    private: bool,
}

/// Announces a reader: takes the shared readers' lock on `file`, before
/// anything of it is read. Fails with [`Error::UpdateInProgress`] while a
/// writer changes records in place.
pub(crate) fn announce_reader(file: &File, path: &Path) -> Result<()> {
    match os::try_readers_lock(file, ReadersLock::Shared) {
        Ok(true) => Ok(()),
        Ok(false) => Err(Error::UpdateInProgress {
            path: path.to_path_buf(),
        }),
        Err(e) => Err(Error::io("take the readers' lock on", path, e)),
    }
}

impl Share {
    /// The writer's state at open. `slots`: the count of each slot that
    /// decodes, `None` for one that does not. A slot that does not decode
    /// might have held other records before it was damaged: if readers are
    /// present, every record counts as visible until they go.
    pub fn writer(file: &File, slots: [Option<u64>; 2], private: bool) -> Share {
        let mut share = Share {
            slots: slots.map(|c| c.unwrap_or(0)),
            exclusive: false,
            private,
        };
        if !private && slots.contains(&None) {
            let alone = os::try_readers_lock(file, ReadersLock::Exclusive).unwrap_or(false);
            if alone {
                let _ = os::try_readers_lock(file, ReadersLock::Unlock);
            } else {
                share.slots = [u64::MAX; 2];
            }
        }
        share
    }

    /// Records below this may be borrowed by a reader.
    #[inline]
    pub fn exposed(&self) -> u64 {
        if self.exclusive || self.private {
            0
        } else {
            self.slots[0].max(self.slots[1])
        }
    }

    /// Called before records from `first` on are changed where readers may
    /// see them; takes the readers' lock exclusively if they may be
    /// borrowed. Changes nothing on refusal.
    #[inline]
    pub fn permit(&mut self, file: &File, path: &Path, first: u64, op: &'static str) -> Result<()> {
        if first < self.exposed() {
            self.acquire(file, path, op)
        } else {
            Ok(())
        }
    }

    #[cold]
    fn acquire(&mut self, file: &File, path: &Path, op: &'static str) -> Result<()> {
        if !os::READERS_LOCK_SUPPORTED {
            return Err(Error::Unsupported {
                path: path.to_path_buf(),
                op,
                reason: "changing records in place needs Linux open file description locks \
                         to know that no reader maps them; append new records instead",
            });
        }
        match os::try_readers_lock(file, ReadersLock::Exclusive) {
            Ok(true) => {
                self.exclusive = true;
                Ok(())
            }
            Ok(false) => Err(Error::ReadersPresent {
                path: path.to_path_buf(),
                op,
            }),
            Err(e) => Err(Error::io("take the readers' lock on", path, e)),
        }
    }

    /// Notes that `slot` now refers to `count` records.
    pub fn slot_written(&mut self, slot: usize, count: u64) {
        self.slots[slot] = count;
    }

    /// Called after a commit of `count` records into `slot`: lets readers in
    /// again if the in-place change is committed and no slot refers to
    /// records past `count`. Returns the slot that still does (the caller
    /// copies the commit there, if it may, and calls again).
    pub fn committed(&mut self, file: &File, count: u64) -> Option<usize> {
        if !self.exclusive {
            return None;
        }
        if let Some(slot) = (0..2).find(|&s| self.slots[s] > count) {
            return Some(slot);
        }
        // Unlocking cannot fail on a valid descriptor; if it did, readers
        // would be refused until this handle closes, which is still sound.
        let _ = os::try_readers_lock(file, ReadersLock::Unlock);
        self.exclusive = false;
        None
    }
}
