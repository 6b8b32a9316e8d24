//! `recstore`: create a record store from a schema file, fill it from CSV
//! or JSON Lines, look inside, check it, and get the records back out.

use std::fs::File;
use std::io::{BufReader, BufWriter, IsTerminal, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use recstore::{inspect, schema_file, Error as StoreError, OpenOptions, RawStore};
use recstore_cli::columns::{self, Column};
use recstore_cli::transfer::{self, Format, InputError};
use recstore_mesh::MeshError;

mod mesh;

const EXIT_CODES: &str = "Exit codes: 0 success, 1 other error, 2 usage error, 3 I/O error (missing file, \
permission), 4 corrupt or not a store (checksum, header), 5 locked (by another writer, by readers, or by an in-place update), 6 invalid input \
(CSV/JSON line, schema file, wrong record type).";

#[derive(Parser)]
#[command(
    name = "recstore",
    version,
    about = "Typed record stores: one memory-mapped file, checked and zero-copy."
)]
#[command(after_help = EXIT_CODES)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create an empty store from a schema file.
    #[command(
        after_help = "Example:\n  recstore create mesh.recs --schema schemas/colored_vertex.toml"
    )]
    Create {
        /// The store to create (must not exist).
        store: PathBuf,
        /// The schema file (TOML, see docs/SCHEMA.md).
        #[arg(long)]
        schema: PathBuf,
        /// Records to make room for now.
        #[arg(long)]
        capacity: Option<u64>,
    },
    /// Show the schema, counts, sizes, commit, and how to read it with numpy.
    #[command(after_help = "Example:\n  recstore info mesh.recs --json")]
    Info {
        /// The store.
        store: PathBuf,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Print records.
    #[command(
        after_help = "Example:\n  recstore dump mesh.recs --range 0..10 --fields position,color --format json"
    )]
    Dump {
        /// The store.
        store: PathBuf,
        /// Records A..B (half-open; either end may be left out).
        #[arg(long, value_parser = parse_range)]
        range: Option<(Option<u64>, Option<u64>)>,
        /// Only these fields, comma-separated.
        #[arg(long, value_delimiter = ',')]
        fields: Option<Vec<String>>,
        /// Output format.
        #[arg(long, value_enum, default_value = "table")]
        format: DumpFormat,
    },
    /// Show the header fields and records byte by byte, decoded beside.
    #[command(after_help = "Example:\n  recstore inspect mesh.recs --range 0..2")]
    Inspect {
        /// The store.
        store: PathBuf,
        /// Records A..B to show (default: the first 3).
        #[arg(long, value_parser = parse_range)]
        range: Option<(Option<u64>, Option<u64>)>,
    },
    /// Append records from a CSV (header row of column names) or JSON Lines
    /// file; all or nothing, then a durable commit.
    #[command(after_help = "Example:\n  recstore import mesh.recs vertices.csv\n\
        CSV columns are the schema's fields, `name[i]` for array elements; JSON Lines objects use\n\
        the field names, with arrays for array fields. One bad line appends nothing.")]
    Import {
        /// The store.
        store: PathBuf,
        /// The input file: .csv or .jsonl.
        input: PathBuf,
        /// The input format, if the extension does not say.
        #[arg(long, value_enum)]
        format: Option<TextFormat>,
    },
    /// Write records to a CSV or JSON Lines file.
    #[command(after_help = "Example:\n  recstore export mesh.recs out.csv --range 100..200")]
    Export {
        /// The store.
        store: PathBuf,
        /// The output file: .csv or .jsonl.
        output: PathBuf,
        /// Records A..B.
        #[arg(long, value_parser = parse_range)]
        range: Option<(Option<u64>, Option<u64>)>,
        /// The output format, if the extension does not say.
        #[arg(long, value_enum)]
        format: Option<TextFormat>,
    },
    /// Check every record against its checksum.
    #[command(after_help = "Example:\n  recstore verify mesh.recs")]
    Verify {
        /// The store.
        store: PathBuf,
    },
    /// Import PLY, STL or OBJ meshes and look at imported ones.
    #[command(subcommand)]
    Mesh(mesh::MeshCommand),
    /// The main job on a built-in default: create a store from the bundled
    /// colour-vertex schema, import the bundled sample, then info, verify
    /// and dump a range, showing each command.
    Demo {
        /// Where to put the demo store (default: a temporary directory).
        dir: Option<PathBuf>,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum DumpFormat {
    Table,
    Json,
    Jsonl,
    Csv,
}

#[derive(Clone, Copy, ValueEnum)]
enum TextFormat {
    Csv,
    Jsonl,
}

/// A request that cannot be served as asked (exit code 2, like clap's own).
#[derive(Debug)]
struct UsageError(String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

fn usage(message: String) -> anyhow::Error {
    UsageError(message).into()
}

fn parse_range(s: &str) -> Result<(Option<u64>, Option<u64>), String> {
    let (a, b) = s
        .split_once("..")
        .ok_or_else(|| format!("{s:?} is not a range like 10..20"))?;
    let end = |t: &str| -> Result<Option<u64>, String> {
        if t.is_empty() {
            Ok(None)
        } else {
            t.parse()
                .map(Some)
                .map_err(|_| format!("{t:?} is not a record index"))
        }
    };
    Ok((end(a)?, end(b)?))
}

/// Clamps a requested range to the store, refusing one that starts past it.
fn resolve(range: Option<(Option<u64>, Option<u64>)>, len: u64) -> Result<Range<u64>> {
    let (a, b) = range.unwrap_or((None, None));
    let (a, b) = (a.unwrap_or(0), b.unwrap_or(len).min(len));
    if a > len {
        return Err(usage(format!(
            "range {a}..{b} starts past the end of the store ({len} records)"
        )));
    }
    Ok(a..b.max(a))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(exit_code(&e))
        }
    }
}

/// The documented exit code for an error (see `EXIT_CODES`).
fn exit_code(e: &anyhow::Error) -> u8 {
    for cause in e.chain() {
        if let Some(code) = cause.downcast_ref::<MeshError>().and_then(mesh::exit_code) {
            return code;
        }
        if cause.downcast_ref::<InputError>().is_some() {
            return 6;
        }
        if cause.downcast_ref::<UsageError>().is_some() {
            return 2;
        }
        if let Some(s) = cause.downcast_ref::<StoreError>() {
            return match s {
                StoreError::Io { .. } => 3,
                StoreError::Locked { .. }
                | StoreError::ReadersPresent { .. }
                | StoreError::UpdateInProgress { .. } => 5,
                StoreError::SchemaFile { .. }
                | StoreError::InvalidSchema { .. }
                | StoreError::SchemaMismatch { .. }
                | StoreError::RecordLength { .. } => 6,
                StoreError::NotRecstore { .. }
                | StoreError::UnsupportedVersion { .. }
                | StoreError::UnsupportedFeatures { .. }
                | StoreError::FileTooSmall { .. }
                | StoreError::CorruptHeader { .. }
                | StoreError::NoValidCommit { .. }
                | StoreError::ChecksumMismatch { .. }
                | StoreError::Misaligned { .. } => 4,
                _ => 1,
            };
        }
        if cause.downcast_ref::<std::io::Error>().is_some() {
            return 3;
        }
    }
    1
}

fn run(command: Command) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match command {
        Command::Create {
            store,
            schema,
            capacity,
        } => create(&store, &schema, capacity, &mut out),
        Command::Info { store, json } => info(&store, json, &mut out),
        Command::Dump {
            store,
            range,
            fields,
            format,
        } => dump(&store, range, fields, format, &mut out),
        Command::Inspect { store, range } => inspect_store(&store, range, &mut out),
        Command::Import {
            store,
            input,
            format,
        } => import(&store, &input, format, &mut out),
        Command::Export {
            store,
            output,
            range,
            format,
        } => export(&store, &output, range, format, &mut out),
        Command::Verify { store } => verify(&store, &mut out),
        Command::Demo { dir } => demo(dir, &mut out),
        Command::Mesh(command) => mesh::run(command, &mut out),
    }
}

fn open_read(store: &Path) -> Result<RawStore> {
    Ok(RawStore::open_read_only(store)?)
}

/// A progress bar on stderr when it is a terminal and the work is large.
fn progress(total: u64, what: &str) -> ProgressBar {
    if !std::io::stderr().is_terminal() || total < 200_000 {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template("{msg} {bar:40} {human_pos}/{human_len} records, {eta} left")
            .expect("a valid template"),
    );
    bar.set_message(what.to_string());
    bar
}

/// A running count on stderr when it is a terminal and the input is large
/// (an import cannot know its record count before it has read it all).
fn counter(input_bytes: u64, what: &str) -> ProgressBar {
    if !std::io::stderr().is_terminal() || input_bytes < 8 << 20 {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new_spinner();
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg} {human_pos} records ({elapsed})")
            .expect("a valid template"),
    );
    bar.set_message(what.to_string());
    bar
}

fn create(store: &Path, schema: &Path, capacity: Option<u64>, out: &mut impl Write) -> Result<()> {
    let schema = schema_file::load(schema)?;
    let mut options = OpenOptions::new();
    options.create_new(true);
    if let Some(c) = capacity {
        options.initial_capacity(c);
    }
    options.open_raw(store, Some(&schema))?.close()?;
    writeln!(
        out,
        "created {} ({}, {} bytes per record)",
        store.display(),
        schema.name(),
        schema.stride()
    )?;
    Ok(())
}

fn info(store: &Path, json: bool, out: &mut impl Write) -> Result<()> {
    let raw = open_read(store)?;
    let i = raw.info();
    let schema = raw.schema();
    let file_size = std::fs::metadata(store)
        .with_context(|| format!("cannot stat {}", store.display()))?
        .len();
    let dtype = columns::numpy_dtype(schema);
    let memmap = format!(
        "np.memmap({:?}, dtype={dtype}, mode='r', offset={}, shape=({},))",
        store.display().to_string(),
        i.data_offset,
        i.len
    );
    if json {
        let fields: Vec<serde_json::Value> = schema
            .fields()
            .iter()
            .map(|f| {
                serde_json::json!({
                    "name": f.name(), "type": f.primitive().name(), "count": f.count(), "offset": f.offset(),
                    "endian": if f.endian() == recstore::Endian::Big { "big" } else { "little" },
                    "padding": f.is_padding(),
                })
            })
            .collect();
        let v = serde_json::json!({
            "path": store.display().to_string(),
            "format_version": format!("{}.{}", i.format_version.0, i.format_version.1),
            "record": schema.name(), "size": schema.size(), "align": schema.align(), "stride": schema.stride(),
            "fingerprint": format!("{:#018x}", schema.fingerprint()),
            "fields": fields,
            "count": i.len, "capacity": i.capacity, "file_size": file_size,
            "data_offset": i.data_offset, "chunk_records": i.chunk_records,
            "sequence": i.sequence, "unsynced": i.unsynced, "one_sync": i.one_sync,
            "recovery": raw.recovery().map(|r| r.to_string()),
            "numpy_dtype": dtype, "numpy_memmap": memmap,
        });
        writeln!(out, "{}", serde_json::to_string_pretty(&v)?)?;
        return Ok(());
    }
    writeln!(out, "store:          {}", store.display())?;
    writeln!(
        out,
        "format:         recstore {}.{}",
        i.format_version.0, i.format_version.1
    )?;
    writeln!(out, "records:        {} (capacity {})", i.len, i.capacity)?;
    writeln!(out, "file size:      {file_size} bytes")?;
    writeln!(
        out,
        "commit:         sequence {}{}",
        i.sequence,
        if i.unsynced {
            ", published, not yet synced"
        } else if i.one_sync {
            ", durable (one sync)"
        } else {
            ""
        }
    )?;
    if let Some(r) = raw.recovery() {
        writeln!(out, "recovery:       {r}")?;
    }
    writeln!(
        out,
        "data offset:    {} (checksum chunk: {} records)",
        i.data_offset, i.chunk_records
    )?;
    writeln!(out, "schema:\n{schema}")?;
    writeln!(out, "numpy:          {memmap}")?;
    Ok(())
}

fn dump(
    store: &Path,
    range: Option<(Option<u64>, Option<u64>)>,
    fields: Option<Vec<String>>,
    format: DumpFormat,
    out: &mut impl Write,
) -> Result<()> {
    let raw = open_read(store)?;
    let schema = raw.schema();
    let cols = columns::columns(schema, fields.as_deref()).map_err(usage)?;
    let r = resolve(range, raw.len())?;
    let records = r.clone().map(|i| raw.record(i).expect("in range"));
    let mut out = BufWriter::new(out);
    match format {
        DumpFormat::Csv => transfer::write_csv(schema, &cols, records, &mut out, |_| {})?,
        DumpFormat::Jsonl => transfer::write_jsonl(schema, &cols, records, &mut out, |_| {})?,
        DumpFormat::Json => {
            let all: Vec<serde_json::Value> = records
                .map(|rec| transfer::json_object(schema, &cols, rec))
                .collect();
            writeln!(out, "{}", serde_json::to_string_pretty(&all)?)?;
        }
        DumpFormat::Table => dump_table(schema, &cols, r, &raw, &mut out)?,
    }
    out.flush()?;
    Ok(())
}

fn dump_table(
    schema: &recstore::Schema,
    cols: &[Column],
    r: Range<u64>,
    raw: &RawStore,
    out: &mut impl Write,
) -> Result<()> {
    // One column per field: arrays shown as [a, b, c].
    let mut fields: Vec<usize> = cols.iter().map(|c| c.field).collect();
    fields.dedup();
    let rows: Vec<Vec<String>> = r
        .clone()
        .map(|i| {
            let rec = raw.record(i).expect("in range");
            let mut row = vec![i.to_string()];
            for &f in &fields {
                let field = &schema.fields()[f];
                let vals: Vec<String> = field.values(rec).map(|v| v.to_string()).collect();
                row.push(if field.count() == 1 {
                    vals.concat()
                } else {
                    format!("[{}]", vals.join(", "))
                });
            }
            row
        })
        .collect();
    let mut header = vec!["#".to_string()];
    header.extend(
        fields
            .iter()
            .map(|&f| schema.fields()[f].name().to_string()),
    );
    let widths: Vec<usize> = (0..header.len())
        .map(|c| {
            rows.iter()
                .map(|r| r[c].len())
                .chain([header[c].len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    for row in std::iter::once(&header).chain(&rows) {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:>w$}"))
            .collect();
        writeln!(out, "{}", cells.join("  "))?;
    }
    writeln!(out, "({} of {} records)", r.end - r.start, raw.len())?;
    Ok(())
}

fn inspect_store(
    store: &Path,
    range: Option<(Option<u64>, Option<u64>)>,
    out: &mut impl Write,
) -> Result<()> {
    let raw = open_read(store)?;
    let data_offset = raw.info().data_offset;
    let mut header = vec![0u8; data_offset as usize];
    {
        use std::io::Read;
        File::open(store)?
            .read_exact(&mut header)
            .with_context(|| format!("cannot read {}", store.display()))?;
    }
    writeln!(out, "header ({} bytes):", data_offset)?;
    for f in inspect::header_fields(&header) {
        let hex: String = header[f.offset..f.offset + f.size.min(8)]
            .iter()
            .map(|b| format!("{b:02x} "))
            .collect();
        writeln!(
            out,
            "  {:>5}  {:<24} {:<26} = {}",
            f.offset, hex, f.name, f.value
        )?;
    }
    if let Some(r) = raw.recovery() {
        writeln!(out, "  note: {r}")?;
    }
    writeln!(
        out,
        "\nrecords ({} in all, {} bytes each):",
        raw.len(),
        raw.schema().stride()
    )?;
    let default = Some((Some(0), Some(3)));
    let r = resolve(range.or(default), raw.len())?;
    for i in r {
        let offset = data_offset + i * raw.schema().stride();
        write!(
            out,
            "{}",
            inspect::annotate(raw.schema(), i, offset, raw.record(i).expect("in range"))
        )?;
    }
    Ok(())
}

fn text_format(path: &Path, given: Option<TextFormat>) -> Result<Format> {
    match given {
        Some(TextFormat::Csv) => Ok(Format::Csv),
        Some(TextFormat::Jsonl) => Ok(Format::JsonLines),
        None => Format::from_path(path).ok_or_else(|| {
            usage(format!(
                "cannot tell the format of {} from its extension: name it .csv or .jsonl, or pass --format",
                path.display()
            ))
        }),
    }
}

fn import(
    store: &Path,
    input: &Path,
    format: Option<TextFormat>,
    out: &mut impl Write,
) -> Result<()> {
    let format = text_format(input, format)?;
    // Open (and lock) the store first: a locked or corrupt store is reported
    // before the input is read.
    let mut raw = RawStore::open(store)?;
    let file = File::open(input).map_err(|e| StoreError::Io {
        op: "open",
        path: input.to_path_buf(),
        io: e,
    })?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let bar = counter(size, "importing");
    let reader = BufReader::with_capacity(1 << 20, file);
    let bytes = match format {
        Format::Csv => transfer::read_csv(raw.schema(), reader, |n| bar.set_position(n)),
        Format::JsonLines => transfer::read_jsonl(raw.schema(), reader, |n| bar.set_position(n)),
    }
    .with_context(|| format!("nothing was imported: {} is invalid", input.display()))?;
    bar.finish_and_clear();
    let before = raw.len();
    raw.extend_from_bytes(&bytes)?;
    raw.flush()?;
    let added = raw.len() - before;
    raw.close()?;
    writeln!(
        out,
        "imported {added} records into {} ({} in all)",
        store.display(),
        before + added
    )?;
    Ok(())
}

fn export(
    store: &Path,
    output: &Path,
    range: Option<(Option<u64>, Option<u64>)>,
    format: Option<TextFormat>,
    out: &mut impl Write,
) -> Result<()> {
    let format = text_format(output, format)?;
    let raw = open_read(store)?;
    let r = resolve(range, raw.len())?;
    let cols = columns::columns(raw.schema(), None).map_err(anyhow::Error::msg)?;
    let file = File::create(output).map_err(|e| StoreError::Io {
        op: "create",
        path: output.to_path_buf(),
        io: e,
    })?;
    let w = BufWriter::with_capacity(1 << 20, file);
    let bar = progress(r.end - r.start, "exporting");
    let records = r.clone().map(|i| raw.record(i).expect("in range"));
    match format {
        Format::Csv => {
            transfer::write_csv(raw.schema(), &cols, records, w, |n| bar.set_position(n))
        }
        Format::JsonLines => {
            transfer::write_jsonl(raw.schema(), &cols, records, w, |n| bar.set_position(n))
        }
    }
    .with_context(|| format!("cannot write {}", output.display()))?;
    bar.finish_and_clear();
    writeln!(
        out,
        "exported {} records to {}",
        r.end - r.start,
        output.display()
    )?;
    Ok(())
}

fn verify(store: &Path, out: &mut impl Write) -> Result<()> {
    let raw = open_read(store)?;
    let bar = progress(raw.len(), "verifying");
    let result = raw.verify_with_progress(|n| bar.set_position(n));
    bar.finish_and_clear();
    result?;
    if let Some(r) = raw.recovery() {
        writeln!(out, "warning: {r}")?;
    }
    writeln!(
        out,
        "ok: {} records in {} verified, every checksum matches",
        raw.len(),
        store.display()
    )?;
    Ok(())
}

const DEMO_SCHEMA: &str = include_str!("../../schemas/colored_vertex.toml");
const DEMO_SAMPLE: &str = include_str!("../../samples/colored_vertex.csv");

fn demo(dir: Option<PathBuf>, out: &mut impl Write) -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let dir = dir.unwrap_or_else(|| tmp.path().to_path_buf());
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let (schema, sample, store) = (
        dir.join("colored_vertex.toml"),
        dir.join("colored_vertex.csv"),
        dir.join("demo.recs"),
    );
    std::fs::write(&schema, DEMO_SCHEMA)?;
    std::fs::write(&sample, DEMO_SAMPLE)?;
    if store.exists() {
        std::fs::remove_file(&store)?;
    }
    fn step(out: &mut impl Write, title: &str, cmd: String) -> std::io::Result<()> {
        writeln!(out, "\n$ recstore {cmd}    # {title}")
    }
    step(
        out,
        "a store from the bundled schema",
        format!("create {} --schema {}", store.display(), schema.display()),
    )?;
    create(&store, &schema, None, out)?;
    step(
        out,
        "fill it from the bundled sample",
        format!("import {} {}", store.display(), sample.display()),
    )?;
    import(&store, &sample, None, out)?;
    step(out, "look inside", format!("info {}", store.display()))?;
    info(&store, false, out)?;
    step(
        out,
        "check every checksum",
        format!("verify {}", store.display()),
    )?;
    verify(&store, out)?;
    step(
        out,
        "print a range",
        format!("dump {} --range 0..8", store.display()),
    )?;
    dump(
        &store,
        Some((Some(0), Some(8))),
        None,
        DumpFormat::Table,
        out,
    )?;
    Ok(())
}
