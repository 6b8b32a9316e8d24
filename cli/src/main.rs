//! `recstore`: create a record store from a schema file, fill it from CSV
//! or JSON Lines, look inside, check it, and get the records back out.

use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{CommandFactory, Parser, Subcommand, ValueEnum};
use recstore::{inspect, schema_file, Error as StoreError, ErrorKind, OpenOptions, RawStore};
use recstore_cli::columns::{self, Column};
use recstore_cli::transfer::{self, Format, InputError};
use recstore_mesh::MeshError;

use files::{NotAFile, Output, OutputExists};
use ui::Ui;

#[cfg(feature = "columnar")]
mod columnar;
mod files;
mod mesh;
mod raw;
mod ui;
mod writeback;

/// mimalloc rather than glibc's malloc: the Parquet import allocates and
/// frees a buffer of about 1 MiB per page and per batch, which glibc serves
/// with fresh `mmap`s, each page faulted in and cleared (25,000 page
/// faults and a tenth of the CPU for 10^7 records; about 500 with
/// mimalloc, which keeps and reuses them).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const EXIT_CODES: &str = "`-` is stdin or stdout for every file read or written (a store read from stdin \
is copied to a temporary file first). Status lines and warnings go to stderr.\n\n\
Exit codes: 0 success (also when a reader closes the output pipe early), 1 other error, 2 usage error, \
3 I/O error (missing file, permission, a directory or FIFO where a file is needed, a full disk, a failed write or sync), 4 corrupt or not a store (checksum, header), \
5 locked (by another writer, by readers, or by an in-place update), 6 invalid input \
(CSV/JSON line, schema file, wrong record type, a raw file that is not whole records).";

#[derive(Parser)]
#[command(
    name = "recstore",
    version,
    about = "Typed record stores: one memory-mapped file, checked and zero-copy."
)]
#[command(after_help = EXIT_CODES)]
struct Cli {
    /// Print nothing but the output asked for and errors: no status lines,
    /// warnings or progress.
    #[arg(long, short, global = true)]
    quiet: bool,
    /// Read stores into memory with ordinary reads instead of mapping them
    /// (commands that write a store still map it). A store whose file
    /// cannot be mapped is read this way without it; `info` says which.
    #[arg(long, global = true)]
    no_mmap: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create an empty store from a schema file (or like a Parquet, Arrow
    /// or .npy file).
    #[command(
        after_help = "Example:\n  recstore create mesh.recs --schema schemas/colored_vertex.toml\n  \
        recstore create copy.recs --like mesh.parquet"
    )]
    Create {
        /// The store to create (must not exist).
        store: PathBuf,
        /// The schema file (TOML, see docs/SCHEMA.md); `-` reads stdin.
        #[arg(long, required_unless_present = "like", conflicts_with = "like")]
        schema: Option<PathBuf>,
        /// A .parquet, .arrow or .npy file: the schema it was exported
        /// with, or one derived from its columns without loss.
        #[cfg(feature = "columnar")]
        #[arg(long)]
        like: Option<PathBuf>,
        /// Records to make room for now.
        #[arg(long)]
        capacity: Option<usize>,
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
        /// Only these columns, comma-separated, in this order: a field
        /// (`color`), a struct prefix (`position`) or an element (`color[1]`).
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
    /// Append records from a CSV (header row of column names), JSON Lines,
    /// raw record, Parquet, Arrow IPC or .npy file; all or nothing, then a
    /// durable commit.
    #[command(after_help = "Example:\n  recstore import mesh.recs vertices.csv\n\
        CSV columns are the schema's fields, `name[i]` for array elements; JSON Lines objects use\n\
        the field names, with arrays for array fields. One bad line appends nothing.\n\
        A raw file (.bin, .raw) is headerless: the records' bytes at the schema's stride, laid out\n\
        as the schema says (offsets, byte order, padding stored as given).\n\
        Parquet and Arrow columns are the fields by name (lists or `name[i]` columns for arrays,\n\
        structs for dotted names); .npy fields too. Values are converted only without loss.")]
    Import {
        /// The store.
        store: PathBuf,
        /// The input file: .csv, .jsonl, .bin/.raw (raw records), .parquet,
        /// .arrow or .npy; `-` reads stdin (with --format).
        input: PathBuf,
        /// The input format, if the extension does not say.
        #[arg(long, value_enum)]
        format: Option<TextFormat>,
    },
    /// Write records to a CSV, JSON Lines, raw record, Parquet, Arrow IPC or .npy file.
    #[command(
        after_help = "Example:\n  recstore export mesh.recs out.csv --range 100..200\n  \
        recstore export mesh.recs mesh.parquet --fields position\n\
        Parquet (zstd) and Arrow files carry the store's schema: `create --like` and `import`\n\
        give back the same records. A .npy file opens with np.load(path, mmap_mode=\"r\").\n\
        The file is written beside its place and renamed into it when complete: a failed export\n\
        leaves nothing behind. An existing file is replaced only with --force, and never when it\n\
        is the store itself. A raw file (.bin, .raw) holds exactly the records' bytes, padding\n\
        as stored, with no header."
    )]
    Export {
        /// The store.
        store: PathBuf,
        /// The output file: .csv, .jsonl, .bin/.raw (raw records), .parquet, .arrow or .npy; `-`
        /// writes stdout (with --format).
        output: PathBuf,
        /// Records A..B.
        #[arg(long, value_parser = parse_range)]
        range: Option<(Option<u64>, Option<u64>)>,
        /// Only these columns, in this order (as for `dump --fields`; not
        /// for raw files, which hold whole records).
        #[arg(long, value_delimiter = ',')]
        fields: Option<Vec<String>>,
        /// The output format, if the extension does not say.
        #[arg(long, value_enum)]
        format: Option<TextFormat>,
        /// Replace the output file if it exists.
        #[arg(long)]
        force: bool,
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
    #[command(
        after_help = "The demo writes only new files: it refuses a directory that already holds\n\
        one of demo.recs, colored_vertex.toml or colored_vertex.csv."
    )]
    Demo {
        /// Keep the demo's store and files in this directory (created if
        /// needed) to go on exploring; by default they go to a temporary
        /// directory that is removed.
        #[arg(long, value_name = "DIR", conflicts_with = "dir")]
        keep: Option<PathBuf>,
        /// The same as --keep DIR.
        #[arg(hide = true)]
        dir: Option<PathBuf>,
    },
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    #[command(
        hide = true,
        after_help = "Example:\n  recstore completions bash > ~/.local/share/bash-completion/completions/recstore"
    )]
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), e.g. `recstore man > ~/.local/share/man/man1/recstore.1`.
    #[command(hide = true)]
    Man,
}

#[derive(Clone, Copy, ValueEnum)]
enum DumpFormat {
    Table,
    Json,
    Jsonl,
    Csv,
}

/// The formats of `import` and `export`.
#[derive(Clone, Copy, ValueEnum)]
enum TextFormat {
    Csv,
    Jsonl,
    /// Headerless records at the schema's stride, bytes as the schema lays them out.
    Raw,
    #[cfg(feature = "columnar")]
    Parquet,
    #[cfg(feature = "columnar")]
    Arrow,
    #[cfg(feature = "columnar")]
    Npy,
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
    let (a, b) = (end(a)?, end(b)?);
    if let (Some(a), Some(b)) = (a, b) {
        if b < a {
            return Err(format!(
                "{s:?} ends before it starts: give A..B with A <= B"
            ));
        }
    }
    Ok((a, b))
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
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return clap_exit(e),
    };
    let ui = Ui::new(cli.quiet);
    NO_MMAP.store(cli.no_mmap, std::sync::atomic::Ordering::Relaxed);
    match run(cli.command, ui) {
        Ok(()) => ExitCode::SUCCESS,
        // A reader that closed the pipe early (`| head`) wants no more: not an error.
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            // Never panics, even with stderr closed or full.
            let _ = writeln!(std::io::stderr(), "error: {e:#}");
            ExitCode::from(exit_code(&e))
        }
    }
}

/// Prints clap's help, version or usage error, and exits with its code,
/// or with 3 when the help cannot be written (`--help > /dev/full`).
fn clap_exit(e: clap::Error) -> ExitCode {
    if e.use_stderr() {
        let _ = e.print();
        return ExitCode::from(e.exit_code().clamp(0, 255) as u8);
    }
    let mut stdout = std::io::stdout().lock();
    let written = write!(stdout, "{}", e.render().ansi()).and_then(|()| stdout.flush());
    match written {
        Ok(()) => ExitCode::SUCCESS,
        Err(io) if io.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(io) => {
            let _ = writeln!(std::io::stderr(), "error: cannot write to stdout: {io}");
            ExitCode::from(3)
        }
    }
}

/// Whether `e` comes from writing to a pipe whose reader has gone, however
/// deep the `io::Error` is wrapped (CSV and JSON writers wrap it).
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    fn io_is_broken(io: &std::io::Error) -> bool {
        io.kind() == std::io::ErrorKind::BrokenPipe
            || io.get_ref().is_some_and(|inner| error_is_broken(inner))
    }
    fn error_is_broken(e: &(dyn std::error::Error + 'static)) -> bool {
        let mut cause = Some(e);
        while let Some(c) = cause {
            if let Some(io) = c.downcast_ref::<std::io::Error>() {
                if io_is_broken(io) {
                    return true;
                }
            }
            if let Some(csv::ErrorKind::Io(io)) = c.downcast_ref::<csv::Error>().map(|e| e.kind()) {
                if io_is_broken(io) {
                    return true;
                }
            }
            if let Some(StoreError::Io { io, .. }) = c.downcast_ref::<StoreError>() {
                if io_is_broken(io) {
                    return true;
                }
            }
            cause = c.source();
        }
        false
    }
    e.chain().any(error_is_broken)
}

/// The documented exit code for an error (see `EXIT_CODES`).
fn exit_code(e: &anyhow::Error) -> u8 {
    for cause in e.chain() {
        if let Some(code) = cause.downcast_ref::<MeshError>().and_then(mesh::exit_code) {
            return code;
        }
        if cause.downcast_ref::<InputError>().is_some()
            || cause.downcast_ref::<raw::TrailingBytes>().is_some()
            || cause.downcast_ref::<raw::BadRecord>().is_some()
        {
            return 6;
        }
        if cause.downcast_ref::<UsageError>().is_some() {
            return 2;
        }
        #[cfg(feature = "columnar")]
        if let Some(code) = columnar::exit_code(cause) {
            return code;
        }
        if cause.downcast_ref::<NotAFile>().is_some() {
            return 3;
        }
        if cause.downcast_ref::<OutputExists>().is_some() {
            return 1;
        }
        if let Some(s) = cause.downcast_ref::<StoreError>() {
            return store_exit_code(s.kind());
        }
        if cause.downcast_ref::<std::io::Error>().is_some() {
            return 3;
        }
    }
    1
}

/// The exit code for a library error, by its kind: every kind this CLI
/// knows is listed (the test `every_store_error_kind_has_its_exit_code`
/// checks the list against `ErrorKind::ALL`, so a kind added to the library
/// fails it until it is given a code here).
fn store_exit_code(kind: ErrorKind) -> u8 {
    match kind {
        ErrorKind::Io
        | ErrorKind::NotFound
        | ErrorKind::PermissionDenied
        | ErrorKind::DiskFull
        | ErrorKind::Poisoned
        | ErrorKind::Replaced => 3,
        ErrorKind::NotAStore
        | ErrorKind::Corrupt
        | ErrorKind::ChecksumMismatch
        | ErrorKind::UnsupportedFormat => 4,
        ErrorKind::Locked | ErrorKind::ReadersPresent | ErrorKind::UpdateInProgress => 5,
        ErrorKind::SchemaMismatch | ErrorKind::InvalidSchema | ErrorKind::InvalidInput => 6,
        ErrorKind::AlreadyExists
        | ErrorKind::Unsupported
        | ErrorKind::ReadOnly
        | ErrorKind::OutOfBounds
        | ErrorKind::CapacityOverflow => 1,
        // `ErrorKind` is non-exhaustive: only a kind newer than this list
        // lands here, and the test above fails for it.
        _ => 1,
    }
}

fn run(command: Command, ui: Ui) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match command {
        Command::Create {
            store,
            schema,
            #[cfg(feature = "columnar")]
            like,
            capacity,
        } => match schema {
            Some(schema) => create(&store, &schema, capacity, ui),
            #[cfg(feature = "columnar")]
            None => columnar::create_like(&store, &like.expect("clap requires one"), capacity, ui),
            #[cfg(not(feature = "columnar"))]
            None => unreachable!("clap requires --schema"),
        },
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
        } => {
            #[cfg(feature = "columnar")]
            if let Some(f) = columnar::format(&input, format) {
                return columnar::import(&store, &input, f, ui);
            }
            import(&store, &input, format, ui)
        }
        Command::Export {
            store,
            output,
            range,
            fields,
            format,
            force,
        } => {
            let opts = ExportOptions {
                range,
                fields,
                format,
                force,
            };
            #[cfg(feature = "columnar")]
            if let Some(f) = columnar::format(&output, format) {
                columnar::export(&store, &output, f, opts, ui, &mut out)?;
                return Ok(out.flush()?);
            }
            export(&store, &output, opts, ui, &mut out)
        }
        Command::Verify { store } => verify(&store, ui, &mut out),
        Command::Demo { keep, dir } => demo(keep.or(dir), ui, &mut out),
        Command::Completions { shell } => {
            // Into memory first: clap_complete panics when a write fails.
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "recstore", &mut script);
            Ok(out.write_all(&script)?)
        }
        Command::Man => Ok(clap_mangen::Man::new(Cli::command()).render(&mut out)?),
        // The import's report and warnings are status; info and verify answer on stdout.
        Command::Mesh(mesh::MeshCommand::Import {
            input,
            output,
            format,
            layout,
            strict,
        }) if files::is_dash(&input) => {
            // The mesh parsers read a file: stdin is copied to one first.
            let format = format.ok_or_else(|| {
                usage("cannot tell the format of `-` (stdin): pass --format ply, stl or obj".into())
            })?;
            let ext = match format {
                mesh::FormatArg::Ply => "ply",
                mesh::FormatArg::Stl => "stl",
                mesh::FormatArg::Obj => "obj",
            };
            let spool = files::spool_stdin(&format!("stdin.{ext}"))?;
            let command = mesh::MeshCommand::Import {
                input: spool.path().to_path_buf(),
                output,
                format: Some(format),
                layout,
                strict,
            };
            mesh::run(command, &mut ui.writer()).context("the mesh read from stdin")
        }
        Command::Mesh(command @ mesh::MeshCommand::Import { .. }) => {
            mesh::run(command, &mut ui.writer())
        }
        Command::Mesh(command) => mesh::run(command, &mut out),
    }?;
    // Whatever is still buffered must reach stdout, or the run failed (a full disk).
    out.flush()
        .map_err(|e| anyhow::Error::new(e).context("cannot write to stdout"))
}

/// A store opened to read, and where it is.
struct ReadStore {
    raw: RawStore,
    /// The file mapped: the path given, or the copy of stdin.
    path: PathBuf,
    /// The name to show: the path given, or `<stdin>`.
    shown: String,
    /// The copy of stdin, removed when done.
    _spool: Option<files::Spool>,
}

/// Opens a store to read, after checking that it is a regular file (a FIFO
/// would block the open). `-` reads the store from stdin: copied to a
/// temporary file first, since a store is mapped and a pipe cannot be.
/// `--no-mmap`: stores are opened for reading without a mapping.
static NO_MMAP: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Opens a store read-only, mapped unless `--no-mmap` was given; with
/// `window`, only those records (`OpenOptions::window`).
fn open_read_only(path: &Path, window: Option<Range<u64>>) -> recstore::Result<RawStore> {
    let mmap = !NO_MMAP.load(std::sync::atomic::Ordering::Relaxed);
    let mut options = OpenOptions::new();
    options.read_only().mmap(mmap);
    if let Some(w) = window {
        options.window(w.start as usize..w.end as usize);
    }
    options.open_raw(path, None)
}

fn open_read(store: &Path) -> Result<ReadStore> {
    open_read_window(store, None)
}

/// Opens the records `range` of a store (clamped to it, see [`resolve`])
/// through a window, so that only their pages are mapped, however large
/// the store: `raw.record(0)` is record `range.start`. Returns the store
/// and the records.
fn open_records(
    store: &Path,
    range: Option<(Option<u64>, Option<u64>)>,
) -> Result<(ReadStore, Range<u64>)> {
    // An empty window first, for the count: it maps no record.
    let mut opened = open_read_window(store, Some(0..0))?;
    let r = resolve(range, opened.raw.info().len as u64)?;
    // Opened while the first is open: its readers' lock keeps the records.
    opened.raw = open_read_only(&opened.path, Some(r.clone())).with_context(|| {
        format!(
            "cannot open records {}..{} of {}",
            r.start, r.end, opened.shown
        )
    })?;
    Ok((opened, r))
}

fn open_read_window(store: &Path, window: Option<Range<u64>>) -> Result<ReadStore> {
    if files::is_dash(store) {
        let spool = files::spool_stdin("stdin.recs")?;
        let path = spool.path().to_path_buf();
        let raw = open_read_only(&path, window).context("the store read from stdin")?;
        return Ok(ReadStore {
            raw,
            path,
            shown: "<stdin>".to_string(),
            _spool: Some(spool),
        });
    }
    files::check_regular(store, "store")?;
    Ok(ReadStore {
        raw: open_read_only(store, window)?,
        path: store.to_path_buf(),
        shown: store.display().to_string(),
        _spool: None,
    })
}

fn create(store: &Path, schema_path: &Path, capacity: Option<usize>, ui: Ui) -> Result<()> {
    if let Some(e) = files::dangling_link(store) {
        return Err(e);
    }
    files::check_not_special(store)?;
    if std::fs::symlink_metadata(store).is_ok() {
        return Err(anyhow::anyhow!(
            "{} already exists; nothing was created: add records to it with `recstore import {} FILE`, \
             look at it with `recstore info {}`, or choose a new name",
            store.display(),
            store.display(),
            store.display()
        ));
    }
    let schema = if files::is_dash(schema_path) {
        schema_file::parse(&files::read_text(schema_path, "schema file")?).map_err(|e| match e {
            StoreError::SchemaFile {
                line,
                column,
                message,
                ..
            } => StoreError::SchemaFile {
                path: PathBuf::from("<stdin>"),
                line,
                column,
                message,
            },
            other => other,
        })?
    } else {
        files::check_streamable(schema_path, "schema file")?;
        schema_file::load(schema_path)?
    };
    let mut options = OpenOptions::new();
    options.create_new(true);
    if let Some(c) = capacity {
        options.initial_capacity(c);
    }
    match options.open_raw(store, Some(&schema)) {
        Ok(raw) => raw.close()?,
        Err(StoreError::CapacityOverflow { requested, stride }) => {
            return Err(usage(format!(
                "--capacity {requested} is too large: {requested} records of {stride} bytes do not fit \
                 in a file; give a smaller capacity (a store grows as records are added)"
            )))
        }
        Err(StoreError::AlreadyExists { .. }) => {
            return Err(anyhow::anyhow!(
                "{} already exists; nothing was created: choose a new name",
                store.display()
            ))
        }
        Err(e) => return Err(e.into()),
    }
    ui.say(format_args!(
        "created {} ({}, {} bytes per record)",
        store.display(),
        schema.name(),
        schema.stride()
    ));
    Ok(())
}

fn info(store: &Path, json: bool, out: &mut impl Write) -> Result<()> {
    let opened = open_read(store)?;
    let (raw, store, shown) = (&opened.raw, &opened.path, &opened.shown);
    let i = raw.info();
    let schema = raw.schema();
    let file_size = std::fs::metadata(store)
        .with_context(|| format!("cannot stat {shown}"))?
        .len();
    let dtype = columns::numpy_dtype(schema);
    let memmap = format!(
        "np.memmap({}, dtype={dtype}, mode='r', offset={}, shape=({},))",
        columns::python_str(shown),
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
            "path": shown,
            "format_version": format!("{}.{}", i.format_version.0, i.format_version.1),
            "record": schema.name(), "size": schema.size(), "align": schema.align(), "stride": schema.stride(),
            "fingerprint": format!("{:#018x}", schema.fingerprint()),
            "fields": fields,
            "count": i.len, "capacity": i.capacity, "file_size": file_size,
            "data_offset": i.data_offset, "chunk_records": i.chunk_records,
            "sequence": i.sequence, "unsynced": i.unsynced, "one_sync": i.one_sync,
            "recovery": raw.recovery().map(|r| r.to_string()),
            "read_path": i.read_path.name(),
            "map_error": match &i.read_path {
                recstore::ReadPath::Loaded { map_error } => map_error.clone(),
                _ => None,
            },
            "numpy_dtype": dtype, "numpy_memmap": memmap,
        });
        writeln!(out, "{}", serde_json::to_string_pretty(&v)?)?;
        return Ok(());
    }
    writeln!(out, "store:          {shown}")?;
    writeln!(
        out,
        "format:         recstore {}.{}",
        i.format_version.0, i.format_version.1
    )?;
    writeln!(out, "records:        {} (capacity {})", i.len, i.capacity)?;
    writeln!(out, "file size:      {file_size} bytes")?;
    writeln!(out, "read path:      {}", i.read_path)?;
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

/// The columns `--fields` selects (all data columns without it).
fn selected(schema: &recstore::Schema, fields: Option<&[String]>) -> Result<Vec<Column>> {
    match fields {
        None => columns::columns(schema, None).map_err(anyhow::Error::msg),
        Some(names) => recstore_cli::select::columns(schema, names).map_err(usage),
    }
}

fn dump(
    store: &Path,
    range: Option<(Option<u64>, Option<u64>)>,
    fields: Option<Vec<String>>,
    format: DumpFormat,
    out: &mut impl Write,
) -> Result<()> {
    let (opened, r) = open_records(store, range)?;
    let raw = opened.raw;
    let schema = raw.schema();
    let cols = selected(schema, fields.as_deref())?;
    let records = (0..raw.len()).map(|i| raw.record(i).expect("in the window"));
    let mut out = BufWriter::new(out);
    // Every format streams: memory stays bounded whatever the range.
    match format {
        DumpFormat::Csv => transfer::write_csv(schema, &cols, records, &mut out, |_| {})?,
        DumpFormat::Jsonl => transfer::write_jsonl(schema, &cols, records, &mut out, |_| {})?,
        DumpFormat::Json => {
            use serde::Serializer as _;
            let mut json = serde_json::Serializer::pretty(&mut out);
            json.collect_seq(records.map(|rec| transfer::json_object(schema, &cols, rec)))
                .map_err(std::io::Error::from)?;
            writeln!(out)?;
        }
        DumpFormat::Table => dump_table(schema, &cols, r, &raw, &mut out)?,
    }
    out.flush()?;
    Ok(())
}

/// A table, right-aligned, one column per field (arrays as `[a, b, c]`), of
/// the records `r`: those of `raw`, opened on a window of them.
/// Two passes over the records, the first for the column widths, so that
/// nothing is held but one cell; cells of any width are padded by hand
/// (`format!("{:>w$}")` panics past a width of 65535).
fn dump_table(
    schema: &recstore::Schema,
    cols: &[Column],
    r: Range<u64>,
    raw: &RawStore,
    out: &mut impl Write,
) -> Result<()> {
    let groups = recstore_cli::select::groups(schema, cols);
    let slots: Vec<columns::Slot> = cols
        .iter()
        .map(|c| columns::Slot::new(&schema.fields()[c.field], c.element))
        .collect();
    let cell = |rec: &[u8], g: &recstore_cli::select::Group, buf: &mut String| {
        use std::fmt::Write as _;
        buf.clear();
        if g.array {
            buf.push('[');
        }
        for (k, slot) in slots[g.columns.clone()].iter().enumerate() {
            if k > 0 {
                buf.push_str(", ");
            }
            write!(buf, "{}", slot.get(rec)).expect("writing to a String");
        }
        if g.array {
            buf.push(']');
        }
    };
    let width = |s: &str| s.chars().count();
    let mut header = vec!["#".to_string()];
    header.extend(groups.iter().map(|g| g.name.clone()));
    let mut widths: Vec<usize> = header.iter().map(|h| width(h)).collect();
    widths[0] = widths[0].max(r.end.saturating_sub(1).to_string().len());
    let mut buf = String::new();
    for i in r.clone() {
        let rec = raw.record((i - r.start) as usize).expect("in the window");
        for (g, w) in groups.iter().zip(&mut widths[1..]) {
            cell(rec, g, &mut buf);
            *w = (*w).max(width(&buf));
        }
    }
    fn pad(out: &mut impl Write, text: &str, w: usize, first: bool) -> std::io::Result<()> {
        if !first {
            out.write_all(b"  ")?;
        }
        let n = w.saturating_sub(text.chars().count());
        for _ in 0..n / 64 {
            out.write_all(&[b' '; 64])?;
        }
        out.write_all(&[b' '; 64][..n % 64])?;
        out.write_all(text.as_bytes())
    }
    for (k, (h, &w)) in header.iter().zip(&widths).enumerate() {
        pad(out, h, w, k == 0)?;
    }
    writeln!(out)?;
    for i in r.clone() {
        let rec = raw.record((i - r.start) as usize).expect("in the window");
        pad(out, &i.to_string(), widths[0], true)?;
        for (g, &w) in groups.iter().zip(&widths[1..]) {
            cell(rec, g, &mut buf);
            pad(out, &buf, w, false)?;
        }
        writeln!(out)?;
    }
    writeln!(out, "({} of {} records)", r.end - r.start, raw.info().len)?;
    Ok(())
}

fn inspect_store(
    store: &Path,
    range: Option<(Option<u64>, Option<u64>)>,
    out: &mut impl Write,
) -> Result<()> {
    let default = Some((Some(0), Some(3)));
    let (opened, r) = open_records(store, range.or(default))?;
    let (raw, store) = (&opened.raw, &opened.path);
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
        raw.info().len,
        raw.schema().stride()
    )?;
    for i in r.clone() {
        let offset = data_offset + i * raw.schema().stride();
        let record = raw.record((i - r.start) as usize).expect("in the window");
        write!(
            out,
            "{}",
            inspect::annotate(raw.schema(), i, offset, record)
        )?;
    }
    Ok(())
}

fn text_format(path: &Path, given: Option<TextFormat>) -> Result<Format> {
    match given {
        Some(TextFormat::Csv) => Ok(Format::Csv),
        Some(TextFormat::Jsonl) => Ok(Format::JsonLines),
        // `import` and `export` hand raw files to raw.rs before asking.
        Some(TextFormat::Raw) => Err(usage(
            "raw record files are not text: this command does not take --format raw".to_string(),
        )),
        #[cfg(feature = "columnar")]
        Some(_) => unreachable!("columnar formats go to columnar.rs"),
        None if files::is_dash(path) => Err(usage(
            "cannot tell the format of `-` (stdin or stdout): pass --format csv, jsonl or raw"
                .to_string(),
        )),
        // `.CSV` is `.csv`.
        None => path
            .extension()
            .and_then(|e| Format::from_path(&Path::new("x").with_extension(e.to_ascii_lowercase())))
            .ok_or_else(|| {
                usage(format!(
                    "cannot tell the format of {} from its extension: name it .csv or .jsonl, \
                 .bin or .raw (raw records){}, or pass --format",
                    path.display(),
                    if cfg!(feature = "columnar") {
                        ", .parquet, .arrow or .npy"
                    } else {
                        ""
                    }
                ))
            }),
    }
}

fn import(store: &Path, input: &Path, format: Option<TextFormat>, ui: Ui) -> Result<()> {
    if raw::wanted(input, format) {
        return raw::import(store, input, ui);
    }
    let format = text_format(input, format)?;
    // The input is checked (a directory refused) before the store is locked;
    // a locked or corrupt store is then reported before the input is opened.
    if !files::is_dash(input) {
        files::check_streamable(input, "file to import")?;
    }
    files::check_regular(store, "store")?;
    let mut raw = RawStore::open(store)?;
    let (source, size) = files::open_input(input, "file to import")?;
    let bar = ui.counter(size, "importing");
    let reader = BufReader::with_capacity(1 << 20, source);
    let bytes = match format {
        Format::Csv => transfer::read_csv(raw.schema(), reader, |n| bar.set_position(n)),
        Format::JsonLines => transfer::read_jsonl(raw.schema(), reader, |n| bar.set_position(n)),
    }
    .with_context(|| format!("nothing was imported: {} is invalid", input.display()))?;
    bar.finish_and_clear();
    let before = raw.len();
    raw.extend_from_bytes(&bytes)?;
    commit_import(raw, before, store, &ui)
}

/// Ends an import: the durable commit of what was appended to `raw` since
/// it held `before` records, then the report.
fn commit_import(mut raw: RawStore, before: usize, store: &Path, ui: &Ui) -> Result<()> {
    raw.flush()?;
    let added = raw.len() - before;
    raw.close()?;
    ui.say(format_args!(
        "imported {added} records into {} ({} in all)",
        store.display(),
        before + added
    ));
    Ok(())
}

struct ExportOptions {
    range: Option<(Option<u64>, Option<u64>)>,
    fields: Option<Vec<String>>,
    format: Option<TextFormat>,
    force: bool,
}

fn export(
    store: &Path,
    output: &Path,
    opts: ExportOptions,
    ui: Ui,
    stdout: &mut dyn Write,
) -> Result<()> {
    if raw::wanted(output, opts.format) {
        if opts.fields.is_some() {
            return Err(usage(
                "--fields selects columns, but a raw file holds whole records: leave out \
                 --fields, or export the columns to .csv or .jsonl"
                    .to_string(),
            ));
        }
        return raw::export(store, output, opts.range, opts.force, ui, stdout);
    }
    let format = text_format(output, opts.format)?;
    let (opened, r) = open_records(store, opts.range)?;
    let (raw, store) = (&opened.raw, &opened.path);
    let cols = selected(raw.schema(), opts.fields.as_deref())?;
    let store_meta = std::fs::metadata(store).map_err(|e| StoreError::Io {
        op: "read the metadata of",
        path: store.to_path_buf(),
        io: e,
    })?;
    let mut target = Output::create(output, &store_meta, opts.force, stdout)?;
    let bar = ui.progress(r.end - r.start, "exporting");
    let records = (0..raw.len()).map(|i| raw.record(i).expect("in the window"));
    let w = BufWriter::with_capacity(1 << 20, &mut target);
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
    // Only a complete output is renamed into place; on any error above the
    // temporary file is removed and an existing file left as it was.
    target.commit(output)?;
    ui.say(format_args!(
        "exported {} records to {}",
        r.end - r.start,
        output.display()
    ));
    Ok(())
}

fn verify(store: &Path, ui: Ui, out: &mut impl Write) -> Result<()> {
    let opened = open_read(store)?;
    let raw = &opened.raw;
    let bar = ui.progress(raw.len() as u64, "verifying");
    let result = raw.verify_with_progress(|n| bar.set_position(n as u64));
    bar.finish_and_clear();
    result?;
    if let Some(r) = raw.recovery() {
        ui.say(format_args!("warning: {r}"));
    }
    if !ui.quiet() {
        writeln!(
            out,
            "ok: {} records in {} verified, every checksum matches",
            raw.len(),
            opened.shown
        )?;
    }
    Ok(())
}

const DEMO_SCHEMA: &str = include_str!("../data/colored_vertex.toml");
const DEMO_SAMPLE: &str = include_str!("../data/colored_vertex.csv");

/// The main job, narrated on stdout. It writes only files it creates: in a
/// kept directory that already holds one of its file names it stops before
/// writing anything.
fn demo(keep: Option<PathBuf>, ui: Ui, out: &mut impl Write) -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let dir = keep.clone().unwrap_or_else(|| tmp.path().to_path_buf());
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let (schema, sample, store) = (
        dir.join("colored_vertex.toml"),
        dir.join("colored_vertex.csv"),
        dir.join("demo.recs"),
    );
    for path in [&schema, &sample, &store] {
        if std::fs::symlink_metadata(path).is_ok() {
            return Err(anyhow::anyhow!(
                "{} already exists, and the demo writes only new files: \
                 give a new or empty directory, or move the file away",
                path.display()
            ));
        }
    }
    let write_new = |path: &Path, text: &str| -> Result<()> {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
            .map_err(|e| StoreError::Io {
                op: "create",
                path: path.to_path_buf(),
                io: e,
            })?;
        f.write_all(text.as_bytes())?;
        Ok(())
    };
    write_new(&schema, DEMO_SCHEMA)?;
    write_new(&sample, DEMO_SAMPLE)?;
    // The status lines of each step are part of the demo's transcript.
    let ui = ui.transcript();
    fn step(out: &mut impl Write, title: &str, cmd: String) -> std::io::Result<()> {
        writeln!(out, "\n$ recstore {cmd}    # {title}")
    }
    step(
        out,
        "a store from the bundled schema",
        format!("create {} --schema {}", store.display(), schema.display()),
    )?;
    create(&store, &schema, None, ui)?;
    step(
        out,
        "fill it from the bundled sample",
        format!("import {} {}", store.display(), sample.display()),
    )?;
    import(&store, &sample, None, ui)?;
    step(out, "look inside", format!("info {}", store.display()))?;
    info(&store, false, out)?;
    step(
        out,
        "check every checksum",
        format!("verify {}", store.display()),
    )?;
    verify(&store, ui, out)?;
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
    if keep.is_some() {
        writeln!(
            out,
            "\nThe demo's files are kept in {}: {}, {} and {}. Go on with e.g.\n  \
             recstore dump {} --range 100..110 --format json",
            dir.display(),
            store.display(),
            schema.display(),
            sample.display(),
            store.display()
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every library error kind with its documented exit code (`EXIT_CODES`).
    const CODES: &[(ErrorKind, u8)] = &[
        (ErrorKind::Io, 3),
        (ErrorKind::NotFound, 3),
        (ErrorKind::PermissionDenied, 3),
        (ErrorKind::DiskFull, 3),
        (ErrorKind::Poisoned, 3),
        (ErrorKind::Replaced, 3),
        (ErrorKind::NotAStore, 4),
        (ErrorKind::Corrupt, 4),
        (ErrorKind::ChecksumMismatch, 4),
        (ErrorKind::UnsupportedFormat, 4),
        (ErrorKind::Locked, 5),
        (ErrorKind::ReadersPresent, 5),
        (ErrorKind::UpdateInProgress, 5),
        (ErrorKind::SchemaMismatch, 6),
        (ErrorKind::InvalidSchema, 6),
        (ErrorKind::InvalidInput, 6),
        (ErrorKind::AlreadyExists, 1),
        (ErrorKind::Unsupported, 1),
        (ErrorKind::ReadOnly, 1),
        (ErrorKind::OutOfBounds, 1),
        (ErrorKind::CapacityOverflow, 1),
    ];

    #[test]
    fn every_store_error_kind_has_its_exit_code() {
        for kind in ErrorKind::ALL {
            let Some(&(_, code)) = CODES.iter().find(|(k, _)| k == kind) else {
                panic!("{kind:?} has no exit code: add it to store_exit_code and to CODES");
            };
            assert_eq!(store_exit_code(*kind), code, "{kind:?}");
        }
        assert_eq!(
            CODES.len(),
            ErrorKind::ALL.len(),
            "CODES lists a kind twice"
        );
    }

    #[test]
    fn a_store_error_is_found_anywhere_in_the_chain() {
        let e = anyhow::Error::new(StoreError::Locked {
            path: "s.recs".into(),
        })
        .context("opening");
        assert_eq!(exit_code(&e), 5);
    }
}
