//! Raw record files: headerless, the records' bytes one after another at
//! the schema's stride, each laid out exactly as the schema says (field
//! offsets, byte order, padding), as a C program writes an array of structs
//! or a GPU upload takes it.
//!
//! - `import` appends such a file (or stdin) in bounded memory, a buffer of
//!   about 1 MiB at a time; a length that is not a whole number of records
//!   is refused, naming the trailing bytes, and appends nothing: records
//!   appended before the end was seen are truncated away uncommitted.
//! - `export` writes exactly the records' bytes of a range.
//! - Bytes round-trip exactly: padding bytes are stored as given and written
//!   as stored, so store -> raw -> store gives the same data bytes.
//! - Import checks what has rules beyond its bytes: a bool field must hold
//!   0 or 1, a text field UTF-8 text followed by NUL bytes; a record that
//!   breaks them is refused by index, offset and field (exit code 6), and
//!   nothing is appended.

use std::fmt;
use std::io::{ErrorKind, Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use recstore::{Error as StoreError, Primitive, RawStore, Value};

use crate::files::{self, Output};
use crate::ui::Ui;

/// About 1 MiB of whole records (at least one) per read or write.
fn chunk_bytes(stride: u64) -> usize {
    (stride * (1u64 << 20).div_ceil(stride).max(1)) as usize
}

/// Whether `path` and `--format` ask for a raw record file: `--format raw`,
/// or no `--format` and a `.bin` or `.raw` extension (any case).
pub fn wanted(path: &Path, given: Option<crate::TextFormat>) -> bool {
    match given {
        Some(f) => matches!(f, crate::TextFormat::Raw),
        None => path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| e.eq_ignore_ascii_case("bin") || e.eq_ignore_ascii_case("raw")),
    }
}

/// A raw input whose length is not a whole number of records (exit code 6).
#[derive(Debug)]
pub struct TrailingBytes {
    /// The input, as given (`<stdin>` for `-`).
    pub input: String,
    /// Its length in bytes.
    pub len: u64,
    /// The record size.
    pub stride: u64,
    /// The record type's name.
    pub record: String,
}

impl fmt::Display for TrailingBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let trailing = self.len % self.stride;
        write!(
            f,
            "{} is {} bytes, not a whole number of {}-byte {} records: {trailing} trailing byte{} \
             at offset {}: check that it was written with this schema's layout and stride \
             ({} bytes), or cut it to {} bytes",
            self.input,
            self.len,
            self.stride,
            self.record,
            if trailing == 1 { "" } else { "s" },
            self.len - trailing,
            self.stride,
            self.len - trailing,
        )
    }
}

impl std::error::Error for TrailingBytes {}

/// A raw record whose bool or text field holds bytes that are not a bool
/// (0 or 1) or not NUL-padded UTF-8 text (exit code 6).
#[derive(Debug)]
pub struct BadRecord {
    /// The input, as given (`<stdin>` for `-`).
    pub input: String,
    /// The record's index in the input (0-based).
    pub record: u64,
    /// Its byte offset in the input.
    pub offset: u64,
    /// The field's name.
    pub field: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for BadRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}, record {} (byte offset {}), field {}: {}",
            self.input, self.record, self.offset, self.field, self.message
        )
    }
}

impl std::error::Error for BadRecord {}

/// Checks the bool and text fields of whole records `bytes`, the first of
/// which is record `first` of the input.
fn check_records(
    schema: &recstore::Schema,
    bytes: &[u8],
    first: u64,
    input: &str,
) -> Result<(), BadRecord> {
    let checked: Vec<&recstore::Field> = schema
        .fields()
        .iter()
        .filter(|f| f.is_text() || (f.primitive() == Primitive::Bool && !f.is_padding()))
        .collect();
    if checked.is_empty() {
        return Ok(());
    }
    let stride = schema.stride() as usize;
    for (i, record) in bytes.chunks_exact(stride).enumerate() {
        for f in &checked {
            let message = match f
                .values(record)
                .find(|v| matches!(v, Value::InvalidBool(_) | Value::InvalidText(_)))
            {
                Some(v @ Value::InvalidBool(_)) => {
                    format!("{v}: a bool field holds 0 (false) or 1 (true), nothing else")
                }
                Some(v) => format!("{v}: a text field holds UTF-8 text followed by NUL bytes only"),
                None => continue,
            };
            let record = first + i as u64;
            return Err(BadRecord {
                input: input.to_string(),
                record,
                offset: record * stride as u64,
                field: f.name().to_string(),
                message,
            });
        }
    }
    Ok(())
}

/// Refuses to import a store into itself (`import s.recs s.recs`, or
/// `< s.recs`): it would read the store's header and records as records,
/// and could chase its own growth, since appends may grow the file read.
fn refuse_the_store(store: &Path, input: &Path) -> Result<()> {
    use std::os::fd::AsFd;
    use std::os::unix::fs::MetadataExt;
    let id = |m: std::fs::Metadata| (m.dev(), m.ino());
    let input_id = if files::is_dash(input) {
        std::io::stdin()
            .as_fd()
            .try_clone_to_owned()
            .ok()
            .and_then(|fd| std::fs::File::from(fd).metadata().ok())
            .map(id)
    } else {
        std::fs::metadata(input).ok().map(id)
    };
    if input_id.is_some() && input_id == std::fs::metadata(store).ok().map(id) {
        return Err(crate::usage(format!(
            "{} is the store itself: a store cannot be imported into itself; export it to a \
             raw file first (`recstore export {} copy.bin`)",
            if files::is_dash(input) {
                "stdin".to_string()
            } else {
                input.display().to_string()
            },
            store.display()
        )));
    }
    Ok(())
}

/// Reads until `buf` is full or the input ends; returns the bytes read.
fn fill(input: &mut dyn Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match input.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// Appends a raw record file to `store`: all or nothing, then a durable commit.
pub fn import(store: &Path, input: &Path, ui: Ui) -> Result<()> {
    let shown = if files::is_dash(input) {
        "<stdin>".to_string()
    } else {
        files::check_streamable(input, "file to import")?;
        input.display().to_string()
    };
    files::check_regular(store, "store")?;
    refuse_the_store(store, input)?;
    let mut raw = RawStore::open(store)?;
    let stride = raw.schema().stride();
    let trailing = |len: u64, raw: &RawStore| TrailingBytes {
        input: shown.clone(),
        len,
        stride,
        record: raw.schema().name().to_string(),
    };
    let (mut source, size) = files::open_input(input, "file to import")?;
    // A regular file's length is known: refuse a bad one before appending.
    let is_file = !files::is_dash(input) && std::fs::metadata(input).is_ok_and(|m| m.is_file());
    if is_file && size % stride != 0 {
        return Err(anyhow::Error::new(trailing(size, &raw)))
            .context(format!("nothing was imported into {}", store.display()));
    }
    let before = raw.len();
    let bar = ui.counter(size, "importing");
    let mut buf = vec![0u8; chunk_bytes(stride)];
    let mut total = 0u64;
    let appended = (|| -> Result<()> {
        loop {
            let n = fill(&mut *source, &mut buf).map_err(|e| StoreError::Io {
                op: "read",
                path: PathBuf::from(&shown),
                io: e,
            })?;
            total += n as u64;
            let whole = n - n % stride as usize;
            check_records(
                raw.schema(),
                &buf[..whole],
                (total - n as u64) / stride,
                &shown,
            )?;
            raw.extend_from_bytes(&buf[..whole])?;
            bar.set_position(total);
            if n < buf.len() {
                if whole < n {
                    return Err(trailing(total, &raw).into());
                }
                return Ok(());
            }
        }
    })();
    bar.finish_and_clear();
    if let Err(e) = appended {
        // Nothing appended is committed yet: cut it away, so that the close
        // on drop commits the store as it was.
        if raw.truncate(before).is_err() {
            // Never commit a partial import: end the handle as a killed
            // process would, leaving the last commit in effect.
            std::mem::forget(raw);
        }
        return Err(e).context(format!("nothing was imported into {}", store.display()));
    }
    crate::commit_import(raw, before, store, &ui)
}

/// Writes the records of `range` as a raw record file.
pub fn export(
    store: &Path,
    output: &Path,
    range: Option<(Option<u64>, Option<u64>)>,
    force: bool,
    ui: Ui,
    stdout: &mut dyn Write,
) -> Result<()> {
    let (opened, r) = crate::open_records(store, range)?;
    let (raw, store) = (&opened.raw, &opened.path);
    let store_meta = std::fs::metadata(store).map_err(|e| StoreError::Io {
        op: "read the metadata of",
        path: store.to_path_buf(),
        io: e,
    })?;
    let mut target = Output::create(output, &store_meta, force, stdout)?;
    let stride = raw.schema().stride();
    let bar = ui.progress(r.end - r.start, "exporting");
    // The store was opened on a window of the records `r`.
    let bytes = raw.data();
    let mut written = r.start;
    for chunk in bytes.chunks(chunk_bytes(stride)) {
        target
            .write_all(chunk)
            .with_context(|| format!("cannot write {}", output.display()))?;
        written += chunk.len() as u64 / stride;
        bar.set_position(written - r.start);
    }
    bar.finish_and_clear();
    // Only a complete output is renamed into place.
    target.commit(output)?;
    ui.say(format_args!(
        "exported {} records to {} ({} bytes)",
        r.end - r.start,
        output.display(),
        bytes.len()
    ));
    Ok(())
}
