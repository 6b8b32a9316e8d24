//! Parquet import with row groups decoded in parallel.
//!
//! Decoding dominates an import (turning batches into records is a few
//! percent of it), so row group `g` is decoded on worker `g % threads` and
//! its records are appended by the calling thread in file order. Each
//! worker hands over one batch of records at a time through a channel
//! holding up to [`AHEAD_BYTES`] of them: a worker runs a row group ahead
//! of the one being appended, and memory stays bounded by `threads ×
//! AHEAD_BYTES` whatever the row groups' size. The file is read with positioned reads (`pread`), so
//! the workers share one descriptor without sharing an offset.

use std::fs::File;
use std::io::{BufReader, Read};
use std::os::unix::fs::FileExt;
use std::sync::mpsc::{sync_channel, Receiver};
use std::sync::Arc;

use bytes::Bytes;
use parquet::arrow::arrow_reader::{
    ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReaderBuilder,
};
use parquet::basic::{ConvertedType, LogicalType, Type as PhysicalType};
use parquet::file::metadata::ParquetMetaData;
use parquet::file::reader::{ChunkReader, Length};
use parquet::file::statistics::Statistics;
use parquet::schema::types::ColumnDescriptor;
use recstore::RawStore;

use crate::error::{column, Error, Result};
use crate::mapping::ImportMap;
use crate::parquet_leaves;

const BATCH_ROWS: usize = 1 << 16;

/// How many bytes of decoded records each worker may hold ready for the
/// appending thread: enough to run a whole row group ahead (1 MiB rows of
/// 20 bytes), so the workers decode at the same time instead of waiting
/// their turn, and a bound on memory whatever the file holds.
const AHEAD_BYTES: usize = 32 << 20;

/// A file read with `pread`: clones share the descriptor, not an offset.
#[derive(Clone)]
struct Pread(Arc<File>);

struct PreadReader {
    file: Arc<File>,
    at: u64,
}

impl Read for PreadReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.file.read_at(buf, self.at)?;
        self.at += n as u64;
        Ok(n)
    }
}

impl Length for Pread {
    fn len(&self) -> u64 {
        self.0.metadata().map(|m| m.len()).unwrap_or(0)
    }
}

impl ChunkReader for Pread {
    // Buffered: a page header is read a byte or two at a time (Thrift's
    // varints), and each of those was a `pread` of its own: 25,000 system
    // calls for 10^7 records.
    type T = BufReader<PreadReader>;

    fn get_read(&self, start: u64) -> parquet::errors::Result<Self::T> {
        let reader = PreadReader {
            file: self.0.clone(),
            at: start,
        };
        Ok(BufReader::with_capacity(16 << 10, reader))
    }

    fn get_bytes(&self, start: u64, length: usize) -> parquet::errors::Result<Bytes> {
        let mut buf = vec![0; length];
        self.0.read_exact_at(&mut buf, start)?;
        Ok(buf.into())
    }
}

/// The store's records from the Parquet file, checked; appended, not
/// committed (the caller commits or truncates).
pub(crate) fn import(
    store: &mut RawStore,
    input: File,
    progress: &mut dyn FnMut(u64),
) -> Result<u64> {
    let file = Pread(Arc::new(input));
    let meta = ArrowReaderMetadata::load(&file, ArrowReaderOptions::new())?;
    let map = ImportMap::new(store.schema(), meta.schema())?;
    let plan = parquet_leaves::plan(store.schema(), &meta);
    let groups = meta.metadata().num_row_groups();
    let mut starts = Vec::with_capacity(groups);
    let mut total = 0u64;
    for g in 0..groups {
        starts.push(total);
        total += meta.metadata().row_group(g).num_rows().max(0) as u64;
    }
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 4)
        .min(groups.max(1));
    let stride = store.schema().stride() as usize;
    std::thread::scope(|s| {
        let mut inboxes: Vec<Receiver<Result<Option<Vec<u8>>>>> = Vec::new();
        let depth = (AHEAD_BYTES / (BATCH_ROWS * stride).max(1)).max(1);
        for w in 0..threads {
            let (tx, rx) = sync_channel(depth);
            inboxes.push(rx);
            let (file, meta, map, starts) = (file.clone(), meta.clone(), &map, &starts);
            let plan = plan.as_ref();
            s.spawn(move || {
                for g in (w..groups).step_by(threads) {
                    let mut send = |r: Result<Vec<u8>>| tx.send(r.map(Some)).is_ok();
                    // Straight from the leaf columns when the plan allows,
                    // else (or from where it stopped) through Arrow.
                    let from = match plan.map(|p| {
                        let f = Arc::new(file.clone());
                        parquet_leaves::decode(f, &meta, p, g, starts[g], BATCH_ROWS, &mut send)
                    }) {
                        Some(Ok(sent)) => Err(sent),
                        Some(Err(fallback)) => Ok(fallback.done),
                        None => Ok(0),
                    };
                    let sent = match from {
                        Err(sent) => sent,
                        Ok(done) => {
                            decode(&file, &meta, map, g, done, starts[g], stride, &mut send)
                        }
                    };
                    // `None` ends a row group; a failed send means the
                    // import stopped: nobody listens any more.
                    if !sent || tx.send(Ok(None)).is_err() {
                        return;
                    }
                }
            });
        }
        let mut rows = 0u64;
        for g in 0..groups {
            let inbox = &inboxes[g % threads];
            while let Some(records) = inbox.recv().map_err(|_| worker_died())?? {
                store.extend_from_bytes(&records)?;
                rows += (records.len() / stride) as u64;
                progress(rows);
            }
        }
        Ok(rows)
    })
}

/// The range of an 8- or 16-bit integer column (stored as `INT32`), or
/// `None` for every other column.
fn narrow_range(column: &ColumnDescriptor) -> Option<(i64, i64)> {
    if column.physical_type() != PhysicalType::INT32 {
        return None;
    }
    let (bits, signed) = match column.logical_type_ref() {
        Some(LogicalType::Integer(int)) => (int.bit_width, int.is_signed),
        Some(_) => return None,
        None => match column.converted_type() {
            ConvertedType::INT_8 => (8, true),
            ConvertedType::INT_16 => (16, true),
            ConvertedType::UINT_8 => (8, false),
            ConvertedType::UINT_16 => (16, false),
            _ => return None,
        },
    };
    match (bits, signed) {
        (8 | 16, true) => Some((-(1i64 << (bits - 1)), (1i64 << (bits - 1)) - 1)),
        (8 | 16, false) => Some((0, (1i64 << bits) - 1)),
        _ => None,
    }
}

/// Refuses row group `g` if one of its 8- or 16-bit integer columns may
/// hold a value outside its annotation's range. arrow-rs would cut such a
/// value (70000 read as a u16 is 4464) before the values are checked into
/// their fields, so this path checks the column's statistics first. (The
/// leaf-column path reads the stored `INT32`s and checks each.)
fn check_narrow_ints(meta: &ParquetMetaData, g: usize) -> Result<()> {
    for chunk in meta.row_group(g).columns() {
        let Some((lo, hi)) = narrow_range(chunk.column_descr()) else {
            continue;
        };
        let name = chunk.column_path().string();
        let (min, max) =
            match chunk.statistics() {
                Some(Statistics::Int32(s)) => match (s.min_opt(), s.max_opt()) {
                    (Some(&min), Some(&max)) => (min, max),
                    _ if chunk.num_values() == 0 => continue,
                    _ => return Err(column(
                        name,
                        "an 8- or 16-bit integer column without min/max statistics: its values \
                         cannot be checked against the field on this path; write the file with \
                         statistics (every common writer does by default)",
                    )),
                },
                _ if chunk.num_values() == 0 => continue,
                _ => {
                    return Err(column(
                        name,
                        "an 8- or 16-bit integer column without min/max statistics: its values \
                     cannot be checked against the field on this path; write the file with \
                     statistics (every common writer does by default)",
                    ))
                }
            };
        // Unsigned columns' statistics are ordered as unsigned numbers (or,
        // in old files, as signed ones): both ends are checked either way.
        let as_stored = |v: i32| {
            if lo == 0 {
                i64::from(v as u32)
            } else {
                i64::from(v)
            }
        };
        for v in [min, max].map(as_stored) {
            if v < lo || v > hi {
                return Err(column(
                    name,
                    format!(
                        "row group {g} holds {v}, outside the {lo}..={hi} its type annotation \
                         allows (the file breaks its own schema); fix the file's writer"
                    ),
                ));
            }
        }
    }
    Ok(())
}

fn worker_died() -> Error {
    Error::Io(std::io::Error::other(
        "a Parquet decoding thread stopped without a result",
    ))
}

/// Decodes row group `g` through Arrow batches, from its row `skip` on,
/// handing each batch's records to `send` (which says whether to go on);
/// returns false if it stopped.
#[allow(clippy::too_many_arguments)]
fn decode(
    file: &Pread,
    meta: &ArrowReaderMetadata,
    map: &ImportMap,
    g: usize,
    skip: usize,
    row0: u64,
    stride: usize,
    send: &mut dyn FnMut(Result<Vec<u8>>) -> bool,
) -> bool {
    if let Err(e) = check_narrow_ints(meta.metadata(), g) {
        send(Err(e));
        return false;
    }
    let reader = ParquetRecordBatchReaderBuilder::new_with_metadata(file.clone(), meta.clone())
        .with_row_groups(vec![g])
        .with_offset(skip)
        .with_batch_size(BATCH_ROWS)
        .build();
    let reader = match reader {
        Ok(r) => r,
        Err(e) => {
            send(Err(e.into()));
            return false;
        }
    };
    let mut row = row0 + skip as u64;
    for batch in reader {
        let result = batch.map_err(Error::from).and_then(|batch| {
            let mut out = vec![0u8; batch.num_rows() * stride];
            map.fill(&batch, &mut out, row)?;
            row += batch.num_rows() as u64;
            Ok(out)
        });
        let failed = result.is_err();
        if !send(result) || failed {
            return false;
        }
    }
    true
}
