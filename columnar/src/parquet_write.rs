//! Parquet export with row groups encoded in parallel.
//!
//! Encoding and compressing dominate an export (turning records into Arrow
//! batches is a few percent of it), so row group `g` is encoded on worker
//! `g % threads` with arrow-rs' column writers, and the calling thread
//! appends the encoded row groups to the file in order. A worker holds at
//! most one finished row group waiting, so memory stays bounded by `2 ×
//! threads` compressed row groups whatever the store's size.

use std::io::Write;
use std::sync::mpsc::{sync_channel, Receiver};

use parquet::arrow::arrow_writer::{compute_leaves, ArrowColumnChunk, ArrowRowGroupWriterFactory};
use parquet::arrow::ArrowWriter;
use parquet::file::properties::WriterProperties;

use crate::error::{Error, Result};
use crate::mapping::ExportMap;
use crate::ExportOptions;

/// Writes `records` (whole strides) as a Parquet file; returns how many.
pub(crate) fn export<W: Write + Send>(
    map: &ExportMap,
    stride: usize,
    records: &[u8],
    out: W,
    props: WriterProperties,
    options: &ExportOptions,
    progress: &mut dyn FnMut(u64),
) -> Result<u64> {
    // ArrowWriter sets the file up (the schema, ARROW:schema metadata);
    // its parts then take the row groups from the workers.
    let writer = ArrowWriter::try_new(out, map.arrow_schema().clone(), Some(props))?;
    let (mut file, factory) = writer.into_serialized_writer()?;
    let groups: Vec<&[u8]> = records
        .chunks(options.row_group_rows.max(1) * stride)
        .collect();
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 4)
        .min(groups.len().max(1));
    let done = std::thread::scope(|s| {
        let mut inboxes: Vec<Receiver<Result<Vec<ArrowColumnChunk>>>> = Vec::new();
        for w in 0..threads {
            let (tx, rx) = sync_channel(1);
            inboxes.push(rx);
            let (factory, groups) = (&factory, &groups);
            s.spawn(move || {
                for g in (w..groups.len()).step_by(threads) {
                    let r = encode(map, factory, g, groups[g], stride, options.batch_rows);
                    let failed = r.is_err();
                    if tx.send(r).is_err() || failed {
                        return;
                    }
                }
            });
        }
        let mut done = 0u64;
        for (g, group) in groups.iter().enumerate() {
            let chunks = inboxes[g % threads].recv().map_err(|_| {
                Error::Io(std::io::Error::other(
                    "a Parquet encoding thread stopped without a result",
                ))
            })??;
            let mut rg = file.next_row_group()?;
            for c in chunks {
                c.append_to_row_group(&mut rg)?;
            }
            rg.close()?;
            done += (group.len() / stride) as u64;
            progress(done);
        }
        Ok::<_, Error>(done)
    })?;
    file.close()?;
    Ok(done)
}

/// Encodes one row group, batch by batch.
fn encode(
    map: &ExportMap,
    factory: &ArrowRowGroupWriterFactory,
    g: usize,
    records: &[u8],
    stride: usize,
    batch_rows: usize,
) -> Result<Vec<ArrowColumnChunk>> {
    let mut writers = factory.create_column_writers(g)?;
    let schema = map.arrow_schema();
    for chunk in records.chunks(batch_rows.max(1) * stride) {
        let batch = map.batch(chunk)?;
        let mut leaf = 0;
        for (field, column) in schema.fields().iter().zip(batch.columns()) {
            for l in compute_leaves(field, column)? {
                writers[leaf].write(&l)?;
                leaf += 1;
            }
        }
    }
    writers
        .into_iter()
        .map(|w| w.close().map_err(Error::from))
        .collect()
}
