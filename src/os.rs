//! The few operating-system services recstore needs beyond `std`: reserving
//! disk blocks, the boot id, syncing a directory, and the readers' lock.
//! Safe code only.

use std::fs::File;
use std::io::{self, Write};
use std::path::Path;

/// Grows `file` to `len` bytes with its blocks reserved on disk, so that a
/// full disk is an error now and never a SIGBUS later when the mapped pages
/// are written. Uses `fallocate(2)` where the filesystem supports it, and
/// otherwise writes zeros (which also forces the blocks to be allocated).
///
/// On failure the file is given back its old length: a `fallocate` that
/// fails part-way keeps the blocks it got (ext4 does), and those would stay
/// taken, the disk full for every other program, as the file never shrinks
/// otherwise. The bytes past the old length are ours alone: no reader maps
/// past the length it saw, and no reader saw this one.
pub(crate) fn reserve(file: &File, len: u64) -> io::Result<()> {
    let old = file.metadata()?.len();
    if len <= old {
        return Ok(());
    }
    allocate(file, old, len).inspect_err(|_| {
        let _ = file.set_len(old);
    })
}

/// Reserves the blocks of the file's first `len` bytes (its current
/// length), filling any hole: a store copied sparse (`cp --sparse`, a
/// reflink, a copy-on-write filesystem) would otherwise raise SIGBUS when a
/// hole is first written through the mapping on a full disk. Cheap on a
/// file whose blocks are all allocated (the filesystem walks its extents).
pub(crate) fn reserve_existing(file: &File, len: u64) -> io::Result<()> {
    #[cfg(any(target_os = "linux", target_os = "android", target_os = "freebsd"))]
    {
        use rustix::fs::{fallocate, FallocateFlags};
        // Mode 0 within the file's length allocates holes and never changes the length.
        match fallocate(file, FallocateFlags::empty(), 0, len) {
            Ok(()) => return Ok(()),
            Err(e) if e == rustix::io::Errno::OPNOTSUPP || e == rustix::io::Errno::NOSYS => {}
            Err(e) => return Err(e.into()),
        }
    }
    // Without fallocate there is no cheap way to fill holes; growth still
    // writes zeros over new space (see `allocate`).
    let _ = (file, len);
    Ok(())
}

/// Allocates `old..len` (the file is `old` bytes long now).
fn allocate(file: &File, old: u64, len: u64) -> io::Result<()> {
    #[cfg(any(target_os = "linux", target_os = "android", target_os = "freebsd"))]
    {
        use rustix::fs::{fallocate, FallocateFlags};
        match fallocate(file, FallocateFlags::empty(), old, len - old) {
            Ok(()) => return Ok(()),
            Err(e) if e == rustix::io::Errno::OPNOTSUPP || e == rustix::io::Errno::NOSYS => {}
            Err(e) => return Err(e.into()),
        }
    }
    write_zeros(file, old, len)
}

/// Appends zeros from `from` to `to`, in 1 MiB writes.
fn write_zeros(mut file: &File, from: u64, to: u64) -> io::Result<()> {
    use std::io::{Seek, SeekFrom};
    let zeros = vec![0u8; 1 << 20];
    file.seek(SeekFrom::Start(from))?;
    let mut left = to - from;
    while left > 0 {
        let n = left.min(zeros.len() as u64) as usize;
        file.write_all(&zeros[..n])?;
        left -= n as u64;
    }
    Ok(())
}

/// This boot's identity: 16 bytes that change at every reboot, or all zeros
/// where the OS does not tell (then unsynced commits are trusted across
/// reboots, see `docs/FORMAT.md`).
pub(crate) fn boot_id() -> [u8; 16] {
    static BOOT: std::sync::OnceLock<[u8; 16]> = std::sync::OnceLock::new();
    *BOOT.get_or_init(|| {
        std::fs::read_to_string("/proc/sys/kernel/random/boot_id")
            .ok()
            .and_then(|s| parse_uuid(s.trim()))
            .unwrap_or([0; 16])
    })
}

fn parse_uuid(s: &str) -> Option<[u8; 16]> {
    let hex: Vec<u8> = s.bytes().filter(|&b| b != b'-').collect();
    if hex.len() != 32 {
        return None;
    }
    let mut out = [0u8; 16];
    for (i, pair) in hex.chunks_exact(2).enumerate() {
        let s = std::str::from_utf8(pair).ok()?;
        out[i] = u8::from_str_radix(s, 16).ok()?;
    }
    Some(out)
}

/// Starts writing `len` bytes of `file` from `offset` to the disk, without
/// waiting: the sync that ends a large append or export then waits for the
/// tail only, and the disk works while the copy goes on. Only a hint (a
/// failure changes nothing but the speed): the sync is what makes the
/// bytes durable, and bytes written early are no different from bytes the
/// kernel's own write-back took early.
pub fn start_writeback(file: &File, offset: u64, len: u64) {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        use rustix::fs::{fadvise, Advice};
        // `POSIX_FADV_DONTNEED` is the safe call that does this on Linux:
        // it starts write-back of the range's dirty pages without waiting
        // for it (`WB_SYNC_NONE`), then drops only pages that are clean and
        // mapped by nobody, which pages written a moment ago are not (they
        // are dirty or being written), so they stay in the page cache:
        // `fincore` shows all of a 200 MB export still cached. The callers
        // pass only what they wrote since their last call (a page the
        // kernel's own write-back cleaned in between may be dropped: a cost
        // of cache, never of data), and never a range written by others
        // (tests/write_behind.rs).
        let _ = fadvise(
            file,
            offset,
            std::num::NonZeroU64::new(len),
            Advice::DontNeed,
        );
    }
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    {
        let _ = (file, offset, len);
    }
}

/// Makes a new directory entry in `dir` durable.
pub(crate) fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

/// Whether `path` still names the open `file` (the same device and inode):
/// `false` once another file was renamed over the path, or the path was
/// deleted. Always `true` where std does not expose inodes.
pub(crate) fn still_at(file: &File, path: &Path) -> io::Result<bool> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let open = file.metadata()?;
        match std::fs::metadata(path) {
            Ok(now) => Ok(now.dev() == open.dev() && now.ino() == open.ino()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(e),
        }
    }
    #[cfg(not(unix))]
    {
        let _ = (file, path);
        Ok(true)
    }
}

/// The target of `path` if it is a symbolic link to nothing (a dangling
/// link); `None` otherwise, or if that cannot be told.
pub(crate) fn dangling_link(path: &Path) -> Option<std::path::PathBuf> {
    let link = std::fs::symlink_metadata(path).ok()?;
    let dangling = link.file_type().is_symlink()
        && std::fs::metadata(path).is_err_and(|e| e.kind() == io::ErrorKind::NotFound);
    dangling.then(|| std::fs::read_link(path).ok()).flatten()
}

/// Reads exactly `buf.len()` bytes at `offset` (`pread`), not through a
/// mapping: for bytes another process may write meanwhile.
pub(crate) fn read_exact_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<()> {
    match read_at(file, buf, offset)? {
        n if n == buf.len() => Ok(()),
        _ => Err(io::ErrorKind::UnexpectedEof.into()),
    }
}

/// Reads up to `buf.len()` bytes at `offset` (`pread`), fewer only at the
/// end of the file; returns how many.
pub(crate) fn read_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    #[cfg(unix)]
    use std::os::unix::fs::FileExt;
    #[cfg(windows)]
    use std::os::windows::fs::FileExt;
    let mut done = 0;
    while done < buf.len() {
        let at = offset + done as u64;
        #[cfg(unix)]
        let n = file.read_at(&mut buf[done..], at);
        #[cfg(windows)]
        let n = file.seek_read(&mut buf[done..], at);
        match n {
            Ok(0) => break,
            Ok(n) => done += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(done)
}

/// A request on the readers' lock (see `crate::share`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ReadersLock {
    /// A reader announces itself.
    Shared,
    /// The writer makes sure no reader is there, and keeps new ones out.
    Exclusive,
    /// The writer lets readers in again.
    Unlock,
}

/// The process's file-size limit (`ulimit -f`, `RLIMIT_FSIZE`) in bytes, or
/// `None` where there is none. A write or `fallocate` past it fails with
/// `EFBIG` like a length the filesystem itself cannot hold, so the two are
/// told apart by this limit.
#[cfg(unix)]
pub(crate) fn file_size_limit() -> Option<u64> {
    use nix::sys::resource::{getrlimit, Resource, RLIM_INFINITY};
    match getrlimit(Resource::RLIMIT_FSIZE) {
        Ok((soft, _)) if soft != RLIM_INFINITY => Some(soft),
        _ => None,
    }
}

#[cfg(not(unix))]
pub(crate) fn file_size_limit() -> Option<u64> {
    None
}

/// Whether the readers' lock can be taken on this OS: Linux open file
/// description (OFD) locks, which conflict between two descriptors of one
/// process and survive the closing of other descriptors of the file.
pub(crate) const READERS_LOCK_SUPPORTED: bool = cfg!(target_os = "linux");

/// Tries `request` on the readers' lock of `file`, without waiting: a Linux
/// OFD `fcntl` record lock (`F_OFD_SETLK`) over the whole file (`l_start`
/// 0, `l_len` 0: every byte, however long the file grows). It belongs to
/// the open file description of `file`, so it is released when `file` (and
/// every duplicate of its descriptor) is closed, and it is independent of
/// the writer's `flock`. Returns `Ok(false)` if a conflicting lock is held.
#[cfg(target_os = "linux")]
pub(crate) fn try_readers_lock(file: &File, request: ReadersLock) -> io::Result<bool> {
    use nix::errno::Errno;
    use nix::fcntl::{fcntl, FcntlArg};
    let l_type = match request {
        ReadersLock::Shared => libc::F_RDLCK,
        ReadersLock::Exclusive => libc::F_WRLCK,
        ReadersLock::Unlock => libc::F_UNLCK,
    };
    let lock = libc::flock {
        l_type: l_type as libc::c_short,
        l_whence: libc::SEEK_SET as libc::c_short,
        l_start: 0,
        l_len: 0,
        l_pid: 0,
    };
    match fcntl(file, FcntlArg::F_OFD_SETLK(&lock)) {
        Ok(_) => Ok(true),
        Err(Errno::EAGAIN | Errno::EACCES) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// Elsewhere there is no lock that catches a reader in the same process
/// (classic `fcntl` locks are per process and vanish when any descriptor of
/// the file closes): readers take none, and the writer refuses every change
/// a reader could see (see `crate::share`).
#[cfg(not(target_os = "linux"))]
pub(crate) fn try_readers_lock(_file: &File, request: ReadersLock) -> io::Result<bool> {
    Ok(request != ReadersLock::Exclusive)
}

#[cfg(test)]
mod tests {
    #[test]
    fn parses_a_boot_id() {
        let id = super::parse_uuid("c2a8e229-58d7-441e-834e-d5105d392207").unwrap();
        assert_eq!(id[0], 0xc2);
        assert_eq!(id[15], 0x07);
        assert!(super::parse_uuid("nonsense").is_none());
    }

    /// Two descriptors of one file in one process: OFD locks conflict
    /// (classic `fcntl` locks would not), and closing a third descriptor
    /// drops neither.
    #[cfg(target_os = "linux")]
    #[test]
    fn readers_lock_conflicts_within_one_process() {
        use super::{try_readers_lock, ReadersLock::*};
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, b"x").unwrap();
        let open = || std::fs::File::open(&path).unwrap();
        let reader = open();
        let writer = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
            .unwrap();
        assert!(try_readers_lock(&reader, Shared).unwrap());
        assert!(try_readers_lock(&open(), Shared).unwrap()); // opened and closed
        assert!(!try_readers_lock(&writer, Exclusive).unwrap());
        drop(reader);
        assert!(try_readers_lock(&writer, Exclusive).unwrap());
        assert!(!try_readers_lock(&open(), Shared).unwrap());
        assert!(try_readers_lock(&writer, Unlock).unwrap());
        assert!(try_readers_lock(&open(), Shared).unwrap());
    }
}
