//! Where the tool reads and writes.
//!
//! - `-` is standard input or standard output wherever a file is read or
//!   written: streamed (the input of `import`, the output of `export`,
//!   `create --schema`) or, for a store to read, copied to a temporary file
//!   first, since a store is mapped and a pipe cannot be.
//! - A store is checked for its type before it is opened: it is mapped, so
//!   it must be a regular file, and opening a FIFO would block forever. A
//!   streamed input may be a FIFO (`<(command)`) but not a directory.
//! - An output never clobbers: an existing file is replaced only with
//!   `--force`, never when it is the store itself (same device and inode,
//!   whatever symlinks or hard links lead there), and always through a
//!   temporary file beside it, renamed into place once complete and synced,
//!   so a failed export (a full disk, a closed pipe, an error) leaves no
//!   partial file and the old file, if any, untouched.

use std::fmt;
use std::fs::{File, Metadata};
use std::io::{self, Read, Write};
use std::os::fd::AsFd;
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use anyhow::Result;
use recstore::Error as StoreError;

use crate::writeback::WriteBehind;

/// The name that means standard input or output.
pub fn is_dash(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// A path that is not a regular file where one is needed (exit code 3).
#[derive(Debug)]
pub struct NotAFile {
    pub path: PathBuf,
    pub kind: &'static str,
    pub wanted: &'static str,
}

impl fmt::Display for NotAFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} is a {}, not a {}: give the path of a regular file",
            self.path.display(),
            self.kind,
            self.wanted
        )
    }
}

impl std::error::Error for NotAFile {}

/// An output that exists and was not to be replaced (exit code 1).
#[derive(Debug)]
pub struct OutputExists(pub PathBuf);

impl fmt::Display for OutputExists {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} already exists: pass --force to replace it, or choose another name",
            self.0.display()
        )
    }
}

impl std::error::Error for OutputExists {}

fn io_error(op: &'static str, path: &Path, io: io::Error) -> anyhow::Error {
    StoreError::Io {
        op,
        path: path.to_path_buf(),
        io,
    }
    .into()
}

fn kind(meta: &Metadata) -> &'static str {
    let t = meta.file_type();
    if t.is_dir() {
        "directory"
    } else if t.is_fifo() {
        "named pipe (FIFO)"
    } else if t.is_socket() {
        "socket"
    } else if t.is_char_device() {
        "character device"
    } else if t.is_block_device() {
        "block device"
    } else {
        "special file"
    }
}

/// Checks, without opening it, that `path` is a regular file (following
/// symlinks), so that no open can block on a FIFO. `wanted` names what the
/// file should be, for the message ("store", "schema file", ...).
pub fn check_regular(path: &Path, wanted: &'static str) -> Result<()> {
    let meta = std::fs::metadata(path)
        .map_err(|e| dangling_link(path).unwrap_or_else(|| io_error("open", path, e)))?;
    if meta.is_file() {
        Ok(())
    } else {
        Err(NotAFile {
            path: path.to_path_buf(),
            kind: kind(&meta),
            wanted,
        }
        .into())
    }
}

/// Refuses a path that exists but is not a regular file (a directory, a
/// device) where a store is to be created: it is not "a store that exists".
pub fn check_not_special(path: &Path) -> Result<()> {
    match std::fs::metadata(path) {
        Ok(meta) if !meta.is_file() => Err(NotAFile {
            path: path.to_path_buf(),
            kind: kind(&meta),
            wanted: "store",
        }
        .into()),
        _ => Ok(()),
    }
}

/// The library's error for a symbolic link to nothing at `path`
/// ([`StoreError::DanglingSymlink`], naming its target), if it is one.
pub fn dangling_link(path: &Path) -> Option<anyhow::Error> {
    let link = std::fs::symlink_metadata(path).ok()?;
    if !link.file_type().is_symlink() || std::fs::metadata(path).is_ok() {
        return None;
    }
    let target = std::fs::read_link(path).ok()?;
    Some(
        StoreError::DanglingSymlink {
            path: path.to_path_buf(),
            target,
        }
        .into(),
    )
}

/// Checks, without opening it, that `path` can be streamed from: a file, a
/// FIFO (`<(command)`, `/dev/stdin`) or a device, but not a directory.
pub fn check_streamable(path: &Path, wanted: &'static str) -> Result<()> {
    let meta = std::fs::metadata(path).map_err(|e| io_error("open", path, e))?;
    if meta.is_dir() {
        Err(NotAFile {
            path: path.to_path_buf(),
            kind: kind(&meta),
            wanted,
        }
        .into())
    } else {
        Ok(())
    }
}

/// Opens an input to stream: standard input for `-`, else a file, FIFO or
/// device (a directory is refused before the open). Returns the reader and
/// its size if known.
pub fn open_input(path: &Path, wanted: &'static str) -> Result<(Box<dyn Read>, u64)> {
    if is_dash(path) {
        return Ok((Box::new(io::stdin()), 0));
    }
    check_streamable(path, wanted)?;
    let file = File::open(path).map_err(|e| io_error("open", path, e))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    Ok((Box::new(file), size))
}

/// A copy of stdin in a temporary directory, for what must be a file (a
/// store is mapped; the mesh parsers read files). Removed when dropped.
pub struct Spool {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

impl Spool {
    /// The copy, named `name` (e.g. `stdin.obj`, so that messages read well).
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Copies stdin into a new temporary file called `name`.
pub fn spool_stdin(name: &str) -> Result<Spool> {
    let stdin = Path::new("<stdin>");
    let dir = tempfile::Builder::new()
        .prefix("recstore-")
        .tempdir()
        .map_err(|e| io_error("create a temporary directory for", stdin, e))?;
    let path = dir.path().join(name);
    let mut file = File::create_new(&path).map_err(|e| io_error("copy", stdin, e))?;
    io::copy(&mut io::stdin().lock(), &mut file).map_err(|e| io_error("copy", stdin, e))?;
    Ok(Spool { _dir: dir, path })
}

/// The whole of a small text input (a schema file), `-` for stdin.
pub fn read_text(path: &Path, wanted: &'static str) -> Result<String> {
    let (mut input, _) = open_input(path, wanted)?;
    let mut text = String::new();
    input
        .read_to_string(&mut text)
        .map_err(|e| io_error("read", path, e))?;
    Ok(text)
}

/// tempfile's error names the temporary file ("... at path \".x.csv.tmp\""),
/// which the user never asked for: keep the OS error's own text.
fn without_temp_path(e: io::Error) -> io::Error {
    let text = e.to_string();
    match text.split_once(" at path ") {
        Some((os, _)) => io::Error::new(e.kind(), os.to_string()),
        None => e,
    }
}

/// The device and inode of a file, to tell whether two paths are one file.
fn identity(meta: &Metadata) -> (u64, u64) {
    (meta.dev(), meta.ino())
}

/// Where an export goes.
pub enum Output<'a> {
    /// Standard output (`-`).
    Stdout(&'a mut dyn Write),
    /// An existing FIFO or device, written as it is (renaming over it would
    /// replace it with a file).
    Stream(File),
    /// A temporary file beside `target`, renamed onto it by `commit`,
    /// handed to the disk as it is written.
    Temp {
        file: WriteBehind,
        target: PathBuf,
        replace: bool,
    },
}

impl<'a> Output<'a> {
    /// Prepares to write `path`: `-` is `stdout`; an existing file must not
    /// be the store (`store`: its metadata) and is replaced only with `force`.
    pub fn create(
        path: &Path,
        store: &Metadata,
        force: bool,
        stdout: &'a mut dyn Write,
    ) -> Result<Output<'a>> {
        let the_store = || {
            crate::usage(format!(
                "{} is the store being exported: writing it would destroy the records; \
                 choose another output file",
                if is_dash(path) {
                    "stdout".into()
                } else {
                    path.display().to_string()
                }
            ))
        };
        let stdout_identity = io::stdout()
            .as_fd()
            .try_clone_to_owned()
            .ok()
            .and_then(|fd| File::from(fd).metadata().ok())
            .map(|m| identity(&m));
        let followed = std::fs::metadata(path);
        // `/dev/stdout` (or any path to what stdout already is, as in
        // `export s.recs /dev/stdout > out.csv`) is written as stdout.
        let is_stdout = is_dash(path)
            || followed
                .as_ref()
                .is_ok_and(|m| Some(identity(m)) == stdout_identity);
        if is_stdout {
            // `export s.recs - >> s.recs` would append to the store itself.
            if stdout_identity == Some(identity(store)) {
                return Err(the_store());
            }
            return Ok(Output::Stdout(stdout));
        }
        let exists = followed.is_ok() || std::fs::symlink_metadata(path).is_ok();
        if let Ok(meta) = &followed {
            if identity(meta) == identity(store) {
                return Err(the_store());
            }
            if meta.is_dir() {
                return Err(NotAFile {
                    path: path.to_path_buf(),
                    kind: "directory",
                    wanted: "file to write",
                }
                .into());
            }
            if !meta.is_file() {
                // A FIFO, a terminal, /dev/null: written in place, never replaced.
                let file = std::fs::OpenOptions::new()
                    .write(true)
                    .open(path)
                    .map_err(|e| io_error("open", path, e))?;
                return Ok(Output::Stream(file));
            }
        }
        if exists && !force {
            return Err(OutputExists(path.to_path_buf()).into());
        }
        // Replace what a symlink points at, not the link itself.
        let target = match &followed {
            Ok(_) => std::fs::canonicalize(path).map_err(|e| io_error("resolve", path, e))?,
            Err(_) => path.to_path_buf(),
        };
        let dir = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        // A new file gets the usual 0666 less the umask; a replaced one keeps its mode.
        let mode = followed.as_ref().map_or(0o666, |m| m.mode() & 0o7777);
        let file = tempfile::Builder::new()
            .prefix(&format!(".{name}."))
            .suffix(".tmp")
            .permissions(std::fs::Permissions::from_mode(mode))
            .tempfile_in(&dir)
            .map_err(|e| io_error("create", path, without_temp_path(e)))?;
        if followed.is_ok() {
            // The umask applied at creation; the old file's mode is restored exactly.
            file.as_file()
                .set_permissions(std::fs::Permissions::from_mode(mode))
                .map_err(|e| io_error("set the permissions of", path, e))?;
        }
        Ok(Output::Temp {
            file: WriteBehind::new(file),
            target,
            replace: exists,
        })
    }

    /// Makes the written output visible: syncs the temporary file and
    /// renames it into place. Dropping an `Output` without `commit` removes
    /// the temporary file and leaves the target as it was.
    pub fn commit(self, shown: &Path) -> Result<()> {
        match self {
            Output::Stdout(w) => w.flush().map_err(|e| io_error("write", shown, e)),
            Output::Stream(mut f) => f.flush().map_err(|e| io_error("write", shown, e)),
            Output::Temp {
                file,
                target,
                replace,
            } => {
                file.as_file()
                    .sync_all()
                    .map_err(|e| io_error("sync", shown, e))?;
                let file = file.into_inner();
                let persisted = if replace {
                    file.persist(&target)
                } else {
                    file.persist_noclobber(&target)
                };
                persisted.map_err(|e| io_error("rename into place", shown, e.error))?;
                Ok(())
            }
        }
    }
}

impl Write for Output<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Output::Stdout(w) => w.write(buf),
            Output::Stream(f) => f.write(buf),
            Output::Temp { file, .. } => file.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Output::Stdout(w) => w.flush(),
            Output::Stream(f) => f.flush(),
            Output::Temp { file, .. } => file.flush(),
        }
    }
}
