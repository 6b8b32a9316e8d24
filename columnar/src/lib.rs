//! Parquet, Arrow IPC and `.npy` export and import for recstore stores.
//!
//! ```
//! use recstore::{schema_file, RawStore};
//! use recstore_arrow::{export, import, ExportOptions, Format};
//!
//! # let dir = tempfile::tempdir()?;
//! let schema = schema_file::parse(r#"
//!     name = "Reading"
//!     fields = [{ name = "t", type = "u64" }, { name = "xyz", type = "f32", count = 3 }, { name = "_pad", padding = 4 }]
//! "#)?;
//! let mut store = RawStore::create(dir.path().join("a.recs"), &schema)?;
//! let mut rec = [0u8; 24];
//! rec[0] = 7;
//! store.push(&rec)?;
//! store.flush()?;
//!
//! let path = dir.path().join("a.parquet");
//! let mut file = std::fs::File::create(&path)?;
//! export(&store, Format::Parquet, &mut file, &ExportOptions::default(), |_| {})?;
//!
//! // A new store just like it, filled from the file: the same bytes.
//! let like = recstore_arrow::schema_like(Format::Parquet, std::fs::File::open(&path)?, "Reading")?;
//! let mut copy = RawStore::create(dir.path().join("b.recs"), &like)?;
//! import(&mut copy, Format::Parquet, std::fs::File::open(&path)?, |_| {})?;
//! assert_eq!(copy.data(), store.data());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # The mapping
//!
//! A scalar field is an Arrow primitive column, a field of `count > 1`
//! elements a `FixedSizeList`, nested structs (dotted names, `position.x`)
//! struct columns; padding is dropped and big-endian fields are given as
//! native values. A `bool` field is a `Boolean` column and a `text` field a
//! `Utf8` one (the text without its NUL padding; `.npy`: `|b1` and
//! `|S<room>`); bytes that are not a bool or not text export as nulls. The Arrow schema's metadata carries the recstore schema
//! block ([`SCHEMA_KEY`]), so [`schema_like`] rebuilds the exact schema and
//! an import gives back the same bytes (padding written as zeros).
//!
//! Import is strict, as the CSV import of the `recstore` tool is: a
//! missing field, an unknown column, a null, a wrong list length, a value
//! that the field's type cannot hold exactly, or a text longer than its
//! field's room (never cut) or not UTF-8 is an error naming the row and
//! field, and the store is left as it was. Otherwise the records
//! are committed durably.
//!
//! Both ways stream batch by batch (Parquet row group by row group), so
//! memory stays bounded whatever the store's size.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, Read, Seek, Write};
use std::ops::Range;
use std::path::Path;

use arrow_array::RecordBatch;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::ProjectionMask;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;
use recstore::{RawStore, Schema};

mod element;
mod error;
mod mapping;
mod npy;
#[cfg(unix)]
mod parquet_leaves;
#[cfg(unix)]
mod parquet_read;
mod parquet_write;

pub use error::{Error, Result};
pub use mapping::{arrow_type, embedded_schema, ExportMap, ImportMap, SCHEMA_KEY};

/// A columnar file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Apache Parquet, zstd-compressed.
    Parquet,
    /// The Arrow IPC file format (Feather v2).
    ArrowIpc,
    /// numpy's `.npy`, a structured array.
    Npy,
}

impl Format {
    /// The format a file name's extension says: `.parquet`/`.pq`,
    /// `.arrow`/`.feather`/`.ipc`, `.npy`.
    pub fn from_path(path: &Path) -> Option<Format> {
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "parquet" | "pq" => Some(Format::Parquet),
            "arrow" | "feather" | "ipc" => Some(Format::ArrowIpc),
            "npy" => Some(Format::Npy),
            _ => None,
        }
    }
}

/// What to export, and how.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ExportOptions {
    /// Records `a..b` (default: all).
    pub range: Option<Range<u64>>,
    /// Only these fields, in schema order (default: all). The recstore
    /// schema is embedded only when every field is exported.
    pub fields: Option<Vec<String>>,
    /// Rows per Arrow batch (default 65 536).
    pub batch_rows: usize,
    /// Rows per Parquet row group (default 1 048 576: large enough for fast
    /// scans, small enough to stream).
    pub row_group_rows: usize,
}

impl Default for ExportOptions {
    fn default() -> Self {
        ExportOptions {
            range: None,
            fields: None,
            batch_rows: 1 << 16,
            row_group_rows: 1 << 20,
        }
    }
}

/// The records `options` asks for (all of them by default), checked
/// against the store's count.
fn checked_range(store: &RawStore, options: &ExportOptions) -> Result<std::ops::Range<u64>> {
    let len = store.len() as u64;
    let range = options.range.clone().unwrap_or(0..len);
    if range.start > range.end || range.end > len {
        return Err(Error::Store(recstore::Error::IndexOutOfBounds {
            index: range.end.max(range.start),
            len,
        }));
    }
    Ok(range)
}

/// Writes records of `store` to `out` in `format`; returns how many.
/// `progress` is called with the number of records written so far, now and
/// then. `out` is flushed, not synced.
pub fn export<W: Write + Send>(
    store: &RawStore,
    format: Format,
    out: W,
    options: &ExportOptions,
    progress: impl FnMut(u64),
) -> Result<u64> {
    let range = checked_range(store, options)?;
    let stride = store.schema().stride() as usize;
    let records = &store.data()[range.start as usize * stride..range.end as usize * stride];
    export_records(store.schema(), records, format, out, options, progress)
}

/// [`export`] to `.npy` reading the records from `file`, the store's own
/// file, with positioned reads rather than through the store's mapping:
/// about half the CPU time of copying from a fresh mapping (its page
/// faults cost more than the copy). `file` must be the file `store` was
/// opened from (the caller checks, e.g. by device and inode); a file too
/// short to hold the records is an error. The records are those
/// committed when `store` was opened or last refreshed, as for [`export`]:
/// the store being open keeps writers from changing them in place.
#[cfg(unix)]
pub fn export_npy_from_file<W: Write>(
    store: &RawStore,
    file: &File,
    out: W,
    options: &ExportOptions,
    progress: impl FnMut(u64),
) -> Result<u64> {
    let range = checked_range(store, options)?;
    let schema = store.schema();
    let map = ExportMap::new(schema, options.fields.as_deref())?;
    // A store opened on a window of records: its record 0 is the file's
    // record `window.start`.
    let first = store.info().window.map_or(0, |w| w.start as u64);
    let offset = store.data_offset() + (first + range.start) * schema.stride();
    let end = offset + (range.end - range.start) * schema.stride();
    if file.metadata()?.len() < end {
        return Err(Error::Io(std::io::Error::other(format!(
            "the file given as the store's is {} bytes long, and the store's records end at \
             byte {end}: pass the file the store was opened from",
            file.metadata()?.len()
        ))));
    }
    npy::export_from_file(
        schema,
        &map.field_indices(),
        file,
        offset,
        range.end - range.start,
        out,
        progress,
    )
}

/// [`export`] of records given as bytes (a whole number of strides of
/// `schema`), e.g. a typed store's `as_bytes()`. `options.range` is ignored.
pub fn export_records<W: Write + Send>(
    schema: &Schema,
    records: &[u8],
    format: Format,
    mut out: W,
    options: &ExportOptions,
    mut progress: impl FnMut(u64),
) -> Result<u64> {
    let map = ExportMap::new(schema, options.fields.as_deref())?;
    if format == Format::Npy {
        return npy::export(schema, &map.field_indices(), records, out, progress);
    }
    let stride = schema.stride() as usize;
    let mut done = 0u64;
    match format {
        Format::Parquet => {
            let props = WriterProperties::builder()
                .set_compression(Compression::ZSTD(ZstdLevel::default()))
                .set_max_row_group_row_count(Some(options.row_group_rows.max(1)))
                .set_created_by(format!("recstore-arrow {}", env!("CARGO_PKG_VERSION")))
                .build();
            done = parquet_write::export(
                &map,
                stride,
                records,
                &mut out,
                props,
                options,
                &mut progress,
            )?;
        }
        Format::ArrowIpc => {
            let mut w = arrow_ipc::writer::FileWriter::try_new(&mut out, map.arrow_schema())?;
            for c in records.chunks(options.batch_rows.max(1) * stride) {
                let batch = map.batch(c)?;
                w.write(&batch)?;
                done += batch.num_rows() as u64;
                progress(done);
            }
            w.finish()?;
        }
        Format::Npy => unreachable!("handled above"),
    }
    out.flush()?;
    Ok(done)
}

/// The schema of a store that holds the file's records without loss: the
/// embedded recstore schema if the file has one (then an import gives the
/// exact records back), otherwise one derived from the columns (Parquet,
/// Arrow) or the dtype (`.npy`), laid out as a C struct, named `name`.
/// Without an embedded schema, a string column becomes a text field as
/// long as the file's longest text in it (read for that, at least 1 byte).
pub fn schema_like(format: Format, input: File, name: &str) -> Result<Schema> {
    let mut rooms: HashMap<String, u64> = HashMap::new();
    let mut measure = |batch: &RecordBatch, texts: &[(String, usize)]| {
        for (n, _) in texts {
            let longest = mapping::longest_text(batch, n) as u64;
            let room = rooms.entry(n.clone()).or_insert(0);
            *room = (*room).max(longest);
        }
    };
    match format {
        Format::Parquet => {
            let builder = ParquetRecordBatchReaderBuilder::try_new(input)?;
            let arrow = builder.schema().clone();
            let texts = text_columns(&arrow)?;
            if !texts.is_empty() {
                let roots = texts.iter().map(|(_, i)| *i).collect::<Vec<_>>();
                let mask = ProjectionMask::roots(builder.parquet_schema(), roots);
                for batch in builder.with_projection(mask).build()? {
                    measure(&batch?, &texts);
                }
            }
            mapping::schema_like(&arrow, name, &|n| rooms.get(n).copied().unwrap_or(1))
        }
        Format::ArrowIpc => {
            let mut input = BufReader::new(input);
            let arrow = arrow_ipc::reader::FileReader::try_new(&mut input, None)?.schema();
            let texts = text_columns(&arrow)?;
            if !texts.is_empty() {
                let mut roots = texts.iter().map(|(_, i)| *i).collect::<Vec<_>>();
                roots.dedup();
                input.rewind()?;
                for batch in arrow_ipc::reader::FileReader::try_new(&mut input, Some(roots))? {
                    measure(&batch?, &texts);
                }
            }
            mapping::schema_like(&arrow, name, &|n| rooms.get(n).copied().unwrap_or(1))
        }
        Format::Npy => npy::schema_like(&npy::read_header(&mut BufReader::new(input))?, name),
    }
}

/// Appends the file's records to `store`, all or nothing, then commits
/// durably; returns how many. Columns are matched to fields by name (see
/// the crate docs); `progress` is called with the records read so far.
pub fn import(
    store: &mut RawStore,
    format: Format,
    input: File,
    mut progress: impl FnMut(u64),
) -> Result<u64> {
    let before = store.len();
    let result = match format {
        #[cfg(unix)]
        Format::Parquet => parquet_read::import(store, input, &mut progress),
        #[cfg(not(unix))]
        Format::Parquet => {
            let builder = ParquetRecordBatchReaderBuilder::try_new(input)?;
            let map = ImportMap::new(store.schema(), builder.schema())?;
            import_batches(
                store,
                &map,
                builder.with_batch_size(1 << 16).build()?,
                &mut progress,
            )
        }
        Format::ArrowIpc => {
            let reader = arrow_ipc::reader::FileReader::try_new(BufReader::new(input), None)?;
            let map = ImportMap::new(store.schema(), &reader.schema())?;
            import_batches(store, &map, reader, &mut progress)
        }
        Format::Npy => import_npy(
            store,
            BufReader::with_capacity(1 << 20, input),
            &mut progress,
        ),
    };
    match result {
        Ok(n) => {
            store.flush()?;
            Ok(n)
        }
        Err(e) => {
            // Appended records were never committed; forget them so the
            // close does not commit them either.
            store.truncate(before)?;
            Err(e)
        }
    }
}

/// The string columns whose longest text gives a derived text field its
/// room: none when the file carries its recstore schema.
fn text_columns(arrow: &arrow_schema::Schema) -> Result<Vec<(String, usize)>> {
    Ok(match embedded_schema(arrow)? {
        Some(_) => Vec::new(),
        None => mapping::text_columns(arrow),
    })
}

fn import_batches<E>(
    store: &mut RawStore,
    map: &ImportMap,
    batches: impl Iterator<Item = Result<RecordBatch, E>>,
    progress: &mut dyn FnMut(u64),
) -> Result<u64>
where
    Error: From<E>,
{
    let stride = store.schema().stride() as usize;
    let mut buf = Vec::new();
    let mut rows = 0u64;
    for batch in batches {
        let batch = batch?;
        buf.clear();
        buf.resize(batch.num_rows() * stride, 0);
        map.fill(&batch, &mut buf, rows)?;
        store.extend_from_bytes(&buf)?;
        rows += batch.num_rows() as u64;
        progress(rows);
    }
    Ok(rows)
}

fn import_npy(
    store: &mut RawStore,
    mut input: impl Read,
    progress: &mut dyn FnMut(u64),
) -> Result<u64> {
    let layout = npy::read_header(&mut input)?;
    let plan = npy::plan(store.schema(), &layout)?;
    let (itemsize, stride) = (layout.itemsize as usize, store.schema().stride() as usize);
    let per_chunk = ((8 << 20) / itemsize.max(1)).max(1) as u64;
    let short = |got: u64| Error::Npy {
        problem: format!(
            "the file ends after {got} of the {} records its header declares",
            layout.len
        ),
    };
    let (mut raw, mut out) = (Vec::new(), Vec::new());
    let mut done = 0u64;
    while done < layout.len {
        let n = per_chunk.min(layout.len - done);
        raw.resize(n as usize * itemsize, 0);
        input.read_exact(&mut raw).map_err(|e| match e.kind() {
            std::io::ErrorKind::UnexpectedEof => short(done),
            _ => Error::Io(e),
        })?;
        match &plan {
            npy::Plan::Copy => {
                npy::check(store.schema(), &raw, done)?;
                store.extend_from_bytes(&raw)?
            }
            npy::Plan::Convert(pairs) => {
                out.clear();
                out.resize(n as usize * stride, 0);
                npy::convert(store.schema(), pairs, itemsize, &raw, &mut out, done)?;
                store.extend_from_bytes(&out)?;
            }
        }
        done += n;
        progress(done);
    }
    if input.read(&mut [0u8; 1])? != 0 {
        return Err(Error::Npy {
            problem: format!(
                "bytes follow the {} records its header declares: the header is wrong or the file was appended to",
                layout.len
            ),
        });
    }
    Ok(done)
}
