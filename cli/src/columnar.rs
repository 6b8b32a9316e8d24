//! Parquet, Arrow IPC and `.npy` in `recstore export`, `import` and
//! `create --like`, through the `recstore-arrow` crate (the `columnar`
//! feature, on by default). Kept apart from the CSV / JSON Lines plumbing
//! of `main.rs`: the commands ask [`format`] first and come here when it
//! names a columnar format. Outputs go through the same [`Output`] (a
//! temporary file renamed into place, `--force`, `-` for stdout).

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use anyhow::{Context, Result};
use recstore::{Error as StoreError, OpenOptions, RawStore, Schema};
use recstore_arrow::{Error, Format};

use crate::files::{self, Output};
use crate::ui::Ui;
use crate::{open_records, usage, ExportOptions, TextFormat};

/// The columnar format `--format` or the file's extension names, if any.
pub fn format(path: &Path, given: Option<TextFormat>) -> Option<Format> {
    match given {
        Some(TextFormat::Parquet) => Some(Format::Parquet),
        Some(TextFormat::Arrow) => Some(Format::ArrowIpc),
        Some(TextFormat::Npy) => Some(Format::Npy),
        Some(_) => None,
        None => Format::from_path(path),
    }
}

/// The exit code of a columnar error (see `EXIT_CODES`), `None` for the
/// store's and I/O errors, which `main` maps.
pub fn exit_code(cause: &(dyn std::error::Error + 'static)) -> Option<u8> {
    match cause.downcast_ref::<Error>()? {
        Error::Store(_) | Error::Io(_) => None,
        // Bad input: a file that is not what it says, or does not fit.
        _ => Some(6),
    }
}

/// A library error as the CLI reports it: store and I/O errors as
/// themselves, so that they get their own exit codes.
fn cli_error(e: Error) -> anyhow::Error {
    match e {
        Error::Store(s) => s.into(),
        Error::Io(io) => io.into(),
        other => other.into(),
    }
}

/// The whole fields `--fields` selects (whole fields or struct prefixes;
/// a columnar file has no place for one element of an array).
fn fields(schema: &Schema, names: Option<&[String]>) -> Result<Option<Vec<String>>> {
    let Some(names) = names else {
        return Ok(None);
    };
    let cols = recstore_cli::select::columns(schema, names).map_err(usage)?;
    let mut chosen: Vec<usize> = cols.iter().map(|c| c.field).collect();
    chosen.sort_unstable();
    chosen.dedup();
    for &i in &chosen {
        let f = &schema.fields()[i];
        let taken = cols.iter().filter(|c| c.field == i).count() as u64;
        if taken != f.count() {
            return Err(usage(format!(
                "--fields selects part of {}: a .parquet, .arrow or .npy export takes whole fields \
                 (or struct prefixes); name {} instead",
                f.name(),
                f.name()
            )));
        }
    }
    Ok(Some(
        chosen
            .into_iter()
            .map(|i| schema.fields()[i].name().to_string())
            .collect(),
    ))
}

pub fn export(
    store: &Path,
    output: &Path,
    format: Format,
    opts: ExportOptions,
    ui: Ui,
    stdout: &mut dyn Write,
) -> Result<()> {
    let (opened, r) = open_records(store, opts.range)?;
    let raw = &opened.raw;
    // Opened on a window of the records `r`: all of them are exported.
    let options_range = 0..raw.len() as u64;
    let mut options = recstore_arrow::ExportOptions::default();
    options.range = Some(options_range);
    options.fields = fields(raw.schema(), opts.fields.as_deref())?;
    let store_meta = std::fs::metadata(&opened.path).map_err(|e| StoreError::Io {
        op: "read the metadata of",
        path: opened.path.clone(),
        io: e,
    })?;
    let mut target = Output::create(output, &store_meta, opts.force, stdout)?;
    let bar = ui.progress(r.end - r.start, "exporting");
    let tick = |n| bar.set_position(n);
    // A .npy file is the records as they are: copied from the store's
    // file with positioned reads, when the path still names the file that
    // was opened, rather than through a fresh mapping (its page faults
    // cost more than the copy).
    let source = match format {
        Format::Npy => same_file(&opened.path, &store_meta),
        _ => None,
    };
    let run = |w: &mut (dyn Write + Send)| match &source {
        #[cfg(unix)]
        Some(file) => recstore_arrow::export_npy_from_file(raw, file, w, &options, tick),
        _ => recstore_arrow::export(raw, format, w, &options, tick),
    };
    // The Parquet writer wants a writer it could send to another thread:
    // the file itself, or a fresh handle on stdout.
    let written = match &mut target {
        Output::Temp { file, .. } => {
            let mut w = BufWriter::with_capacity(1 << 20, file);
            run(&mut w)
        }
        Output::Stream(file) => {
            let mut w = BufWriter::with_capacity(1 << 20, file);
            run(&mut w)
        }
        Output::Stdout(_) => {
            let mut w = BufWriter::with_capacity(1 << 20, std::io::stdout());
            run(&mut w)
        }
    };
    let n = written
        .map_err(cli_error)
        .with_context(|| format!("cannot write {}", output.display()))?;
    bar.finish_and_clear();
    // Only a complete output is renamed into place.
    target.commit(output)?;
    ui.say(format_args!("exported {n} records to {}", output.display()));
    Ok(())
}

/// The file at `path` if it is the one `meta` describes (same device and
/// inode): the store's own file, not one renamed onto its path since.
#[cfg(unix)]
fn same_file(path: &Path, meta: &std::fs::Metadata) -> Option<File> {
    use std::os::unix::fs::MetadataExt;
    let file = File::open(path).ok()?;
    let m = file.metadata().ok()?;
    (m.dev() == meta.dev() && m.ino() == meta.ino()).then_some(file)
}

#[cfg(not(unix))]
fn same_file(_: &Path, _: &std::fs::Metadata) -> Option<File> {
    None
}

/// The input as a file: Parquet and Arrow IPC are read from the end, so
/// stdin is copied to a temporary file first.
fn input_file(input: &Path, format: Format) -> Result<(File, Option<files::Spool>)> {
    let (path, spool) = if files::is_dash(input) {
        let ext = match format {
            Format::Parquet => "parquet",
            Format::ArrowIpc => "arrow",
            Format::Npy => "npy",
        };
        let spool = files::spool_stdin(&format!("stdin.{ext}"))?;
        (spool.path().to_path_buf(), Some(spool))
    } else {
        files::check_regular(input, "file to import")?;
        (input.to_path_buf(), None)
    };
    let file = File::open(&path).map_err(|io| StoreError::Io {
        op: "open",
        path: input.to_path_buf(),
        io,
    })?;
    Ok((file, spool))
}

pub fn import(store: &Path, input: &Path, format: Format, ui: Ui) -> Result<()> {
    if !files::is_dash(input) {
        files::check_regular(input, "file to import")?;
    }
    // The store first: a locked or corrupt store is reported before the
    // input is read.
    files::check_regular(store, "store")?;
    let mut raw = RawStore::open(store)?;
    let (file, _spool) = input_file(input, format)?;
    let bar = ui.counter(file.metadata().map(|m| m.len()).unwrap_or(0), "importing");
    let before = raw.len();
    recstore_arrow::import(&mut raw, format, file, |n| bar.set_position(n))
        .map_err(cli_error)
        .with_context(|| format!("nothing was imported from {}", input.display()))?;
    bar.finish_and_clear();
    crate::commit_import(raw, before, store, &ui)
}

/// `create --like FILE`: a store whose schema holds the file's records
/// without loss (the one it was exported from, if it carries one).
pub fn create_like(store: &Path, like: &Path, capacity: Option<usize>, ui: Ui) -> Result<()> {
    if let Some(e) = files::dangling_link(store) {
        return Err(e);
    }
    files::check_not_special(store)?;
    if std::fs::symlink_metadata(store).is_ok() {
        return Err(anyhow::anyhow!(
            "{} already exists; nothing was created: add records to it with `recstore import {} {}`, \
             or choose a new name",
            store.display(),
            store.display(),
            like.display()
        ));
    }
    let format = Format::from_path(like).ok_or_else(|| {
        usage(format!(
            "cannot tell the format of {} from its extension: name it .parquet, .arrow or .npy",
            like.display()
        ))
    })?;
    let name = like
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "Record".into());
    let (file, _spool) = input_file(like, format)?;
    let schema = recstore_arrow::schema_like(format, file, &name)
        .map_err(cli_error)
        .with_context(|| format!("no store can hold {} without loss", like.display()))?;
    let mut options = OpenOptions::new();
    options.create_new(true);
    if let Some(c) = capacity {
        options.initial_capacity(c);
    }
    options.open_raw(store, Some(&schema))?.close()?;
    ui.say(format_args!(
        "created {} ({}, {} bytes per record, like {})",
        store.display(),
        schema.name(),
        schema.stride(),
        like.display()
    ));
    Ok(())
}
