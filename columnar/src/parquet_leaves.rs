//! Parquet import straight from the leaf columns, without Arrow arrays.
//!
//! arrow-rs builds a list column (a `FixedSizeList` field such as
//! `position`) from its values and repetition levels, which costs more than
//! decoding the values themselves. When every field of the store comes
//! from a column of its own element type (a plain column for a scalar
//! field, a list of them for an array field: what an export writes, and
//! what pyarrow and DuckDB write from the same data), the values of each
//! leaf column are read with parquet's column readers and written straight
//! into the records. Nothing is taken on trust: every definition level
//! must say "present" (no null, no empty or missing list), the repetition
//! levels must cut the values into lists of exactly the field's count, and
//! an `INT32` holding a narrower integer must fit it. A value out of range
//! is an error naming the row and element; any other surprise hands the
//! rest of the row group to the Arrow path ([`Fallback`]), which names the
//! row and field of the problem exactly as before.

use std::sync::Arc;

use arrow_schema::{DataType, Fields};
use parquet::arrow::arrow_reader::ArrowReaderMetadata;
use parquet::basic::Type as Physical;
use parquet::column::reader::{ColumnReader, ColumnReaderImpl};
use parquet::data_type::DataType as ParquetType;
use parquet::file::properties::ReaderProperties;
use parquet::file::reader::{ChunkReader, RowGroupReader};
use parquet::file::serialized_reader::SerializedRowGroupReader;
use recstore::{Endian, Primitive, Schema};

use crate::element::Elem;
use crate::error::{Error, Result};
use crate::mapping::arrow_type;

/// How the leaf columns of a file become the store's fields.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    leaves: Vec<Leaf>,
    stride: usize,
}

#[derive(Debug, Clone)]
struct Leaf {
    /// The Parquet leaf column.
    column: usize,
    /// The field's name, offset, element type and count.
    name: String,
    offset: usize,
    primitive: Primitive,
    big: bool,
    count: usize,
    max_def: i16,
    max_rep: i16,
}

/// Why a row group goes to the Arrow path: after `done` of its rows were
/// handed over, the file holds something this path does not read.
#[derive(Debug)]
pub(crate) struct Fallback {
    pub done: usize,
}

/// The plan, or `None` when some field needs the Arrow path (a text
/// field, per-element columns, a conversion between types, a schema whose
/// leaves this path does not recognise).
pub(crate) fn plan(schema: &Schema, meta: &ArrowReaderMetadata) -> Option<Plan> {
    let mut arrow = Vec::new();
    if !arrow_leaves(meta.schema().fields(), "", &mut arrow) {
        return None;
    }
    let descr = meta.metadata().file_metadata().schema_descr();
    if arrow.len() != descr.num_columns() {
        return None;
    }
    let mut leaves = Vec::new();
    for f in schema.fields().iter().filter(|f| !f.is_padding()) {
        let p = f.primitive();
        if p == Primitive::Text {
            return None;
        }
        let mut found = arrow.iter().enumerate().filter(|(_, (n, _))| n == f.name());
        let (column, (_, t)) = found.next()?;
        if found.next().is_some() {
            return None;
        }
        let want = arrow_type(p);
        let list = match t {
            DataType::FixedSizeList(item, n) => {
                (*n as u64 == f.count() && *item.data_type() == want).then_some(true)?
            }
            DataType::List(item) | DataType::LargeList(item) => {
                (*item.data_type() == want).then_some(true)?
            }
            t => (*t == want).then_some(false)?,
        };
        if list != (f.count() > 1) {
            return None;
        }
        let c = descr.column(column);
        let physical = match p {
            Primitive::Bool => Physical::BOOLEAN,
            Primitive::F32 => Physical::FLOAT,
            Primitive::F64 => Physical::DOUBLE,
            Primitive::U64 | Primitive::I64 => Physical::INT64,
            _ => Physical::INT32,
        };
        if c.physical_type() != physical || c.max_rep_level() != i16::from(list) {
            return None;
        }
        leaves.push(Leaf {
            column,
            name: f.name().to_string(),
            offset: f.offset() as usize,
            primitive: p,
            big: f.endian() == Endian::Big,
            count: f.count() as usize,
            max_def: c.max_def_level(),
            max_rep: c.max_rep_level(),
        });
    }
    // Every column is read (the import map already refused extra ones).
    if leaves.len() != arrow.len() {
        return None;
    }
    Some(Plan {
        leaves,
        stride: schema.stride() as usize,
    })
}

/// The leaf columns in Parquet's order, by dotted name: a struct's
/// children, a list as one leaf. `false` for any other nesting.
fn arrow_leaves(fields: &Fields, prefix: &str, out: &mut Vec<(String, DataType)>) -> bool {
    for f in fields {
        let name = format!("{prefix}{}", f.name());
        match f.data_type() {
            DataType::Struct(children) => {
                if !arrow_leaves(children, &format!("{name}."), out) {
                    return false;
                }
            }
            DataType::FixedSizeList(item, _) | DataType::List(item) | DataType::LargeList(item)
                if item.data_type().is_primitive() || *item.data_type() == DataType::Boolean =>
            {
                out.push((name, f.data_type().clone()))
            }
            t if t.is_primitive() || *t == DataType::Boolean => {
                out.push((name, t.clone()));
            }
            _ => return false,
        }
    }
    true
}

/// One leaf column's reader, typed.
enum Reader {
    Bool(ColumnReaderImpl<parquet::data_type::BoolType>, Vec<bool>),
    I32(ColumnReaderImpl<parquet::data_type::Int32Type>, Vec<i32>),
    I64(ColumnReaderImpl<parquet::data_type::Int64Type>, Vec<i64>),
    F32(ColumnReaderImpl<parquet::data_type::FloatType>, Vec<f32>),
    F64(ColumnReaderImpl<parquet::data_type::DoubleType>, Vec<f64>),
}

/// Reads up to `rows` records of one column into `values`, with levels.
fn read<T: ParquetType>(
    r: &mut ColumnReaderImpl<T>,
    rows: usize,
    def: &mut Vec<i16>,
    rep: &mut Vec<i16>,
    values: &mut Vec<T::T>,
) -> Result<usize> {
    values.clear();
    def.clear();
    rep.clear();
    let mut got = 0;
    while got < rows {
        let (records, _, _) = r.read_records(rows - got, Some(def), Some(rep), values)?;
        if records == 0 {
            break;
        }
        got += records;
    }
    Ok(got)
}

/// Decodes row group `g` batch by batch (`batch_rows` records each),
/// handing each batch's records to `send` (which says whether to go on).
/// `Ok(false)` if `send` stopped it; `Err(Fallback)` when the rest of the
/// row group must go through the Arrow path.
pub(crate) fn decode<R: ChunkReader + 'static>(
    file: Arc<R>,
    meta: &ArrowReaderMetadata,
    plan: &Plan,
    g: usize,
    row0: u64,
    batch_rows: usize,
    send: &mut dyn FnMut(Result<Vec<u8>>) -> bool,
) -> std::result::Result<bool, Fallback> {
    let group = meta.metadata().row_group(g);
    let total = group.num_rows().max(0) as usize;
    let props = Arc::new(ReaderProperties::builder().build());
    let rg = match SerializedRowGroupReader::new(file, group, None, props) {
        Ok(rg) => rg,
        Err(_) => return Err(Fallback { done: 0 }),
    };
    let mut readers = Vec::with_capacity(plan.leaves.len());
    for leaf in &plan.leaves {
        let r = match rg.get_column_reader(leaf.column) {
            Ok(r) => r,
            Err(_) => return Err(Fallback { done: 0 }),
        };
        readers.push(match r {
            ColumnReader::BoolColumnReader(r) => Reader::Bool(r, Vec::new()),
            ColumnReader::Int32ColumnReader(r) => Reader::I32(r, Vec::new()),
            ColumnReader::Int64ColumnReader(r) => Reader::I64(r, Vec::new()),
            ColumnReader::FloatColumnReader(r) => Reader::F32(r, Vec::new()),
            ColumnReader::DoubleColumnReader(r) => Reader::F64(r, Vec::new()),
            _ => return Err(Fallback { done: 0 }),
        });
    }
    let (mut def, mut rep) = (Vec::new(), Vec::new());
    let mut done = 0usize;
    while done < total {
        let rows = batch_rows.min(total - done);
        let mut out = vec![0u8; rows * plan.stride];
        let row = row0 + done as u64;
        for (leaf, reader) in plan.leaves.iter().zip(&mut readers) {
            let got = match reader {
                Reader::Bool(r, v) => read(r, rows, &mut def, &mut rep, v),
                Reader::I32(r, v) => read(r, rows, &mut def, &mut rep, v),
                Reader::I64(r, v) => read(r, rows, &mut def, &mut rep, v),
                Reader::F32(r, v) => read(r, rows, &mut def, &mut rep, v),
                Reader::F64(r, v) => read(r, rows, &mut def, &mut rep, v),
            };
            let values = match reader {
                Reader::Bool(_, v) => v.len(),
                Reader::I32(_, v) => v.len(),
                Reader::I64(_, v) => v.len(),
                Reader::F32(_, v) => v.len(),
                Reader::F64(_, v) => v.len(),
            };
            // Whole records of whole lists, nothing missing; else the
            // Arrow path reads this row group from this batch on, and
            // names what is wrong.
            if got.ok() != Some(rows)
                || values != rows * leaf.count
                || (leaf.max_def > 0 && !all_equal(&def, values, leaf.max_def))
                || (leaf.max_rep > 0 && !lists_of(&rep, leaf.count, values))
            {
                return Err(Fallback { done });
            }
            let placed = match reader {
                Reader::Bool(_, v) => {
                    place(leaf, plan.stride, v, &mut out, |b| b);
                    Ok(())
                }
                Reader::I32(_, v) => place_i32(leaf, plan.stride, v, &mut out, row),
                // INT64 holds u64 as the same 64 bits.
                Reader::I64(_, v) if leaf.primitive == Primitive::U64 => {
                    place_bits(leaf, plan.stride, v, &mut out, |x| x as u64);
                    Ok(())
                }
                Reader::I64(_, v) => {
                    place_bits(leaf, plan.stride, v, &mut out, |x| x);
                    Ok(())
                }
                Reader::F32(_, v) => {
                    place_bits(leaf, plan.stride, v, &mut out, |x| x);
                    Ok(())
                }
                Reader::F64(_, v) => {
                    place_bits(leaf, plan.stride, v, &mut out, |x| x);
                    Ok(())
                }
            };
            if let Err(e) = placed {
                send(Err(e));
                return Ok(false);
            }
        }
        done += rows;
        if !send(Ok(out)) {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Whether there are `values` definition levels, all `max`: nothing is
/// missing. One pass with no early exit, which the compiler vectorises
/// (a test per level was a tenth of an import).
fn all_equal(def: &[i16], values: usize, max: i16) -> bool {
    def.len() == values && def.iter().fold(0, |any, &d| any | (d ^ max)) == 0
}

/// Whether repetition levels cut `values` values into lists of `count`:
/// a new record (level 0) exactly every `count` values. Compared a block
/// of whole lists at a time against the pattern they must follow (`0, 1,
/// 1, 0, 1, 1, ...`), a comparison of memory rather than a test per level.
fn lists_of(rep: &[i16], count: usize, values: usize) -> bool {
    if rep.len() != values || count == 0 || !values.is_multiple_of(count) {
        return false;
    }
    let block: Vec<i16> = (0..(4096 / count).max(1) * count)
        .map(|i| i16::from(i % count != 0))
        .collect();
    rep.chunks(block.len()).all(|c| c == &block[..c.len()])
}

/// A value written into an element of a record, in the field's byte order.
trait Put {
    fn put(self, big: bool, out: &mut [u8]);
}

impl<T: Elem> Put for T {
    fn put(self, big: bool, out: &mut [u8]) {
        self.write(big, out)
    }
}

impl Put for bool {
    fn put(self, _: bool, out: &mut [u8]) {
        out[0] = u8::from(self);
    }
}

/// Writes each leaf value, converted by `conv`, into its record, in the
/// field's byte order.
fn place<S: Copy, T: Put>(
    leaf: &Leaf,
    stride: usize,
    values: &[S],
    out: &mut [u8],
    conv: impl Fn(S) -> T,
) {
    // The byte order chosen once, outside the loop over 10^7 records.
    if leaf.big {
        place_in::<S, T, true>(leaf, stride, values, out, conv)
    } else {
        place_in::<S, T, false>(leaf, stride, values, out, conv)
    }
}

fn place_in<S: Copy, T: Put, const BIG: bool>(
    leaf: &Leaf,
    stride: usize,
    values: &[S],
    out: &mut [u8],
    conv: impl Fn(S) -> T,
) {
    let size = std::mem::size_of::<T>();
    let width = leaf.count * size;
    let rows = out
        .chunks_exact_mut(stride)
        .zip(values.chunks_exact(leaf.count));
    for (rec, vals) in rows {
        let slots = rec[leaf.offset..leaf.offset + width].chunks_exact_mut(size);
        for (slot, v) in slots.zip(vals) {
            conv(*v).put(BIG, slot);
        }
    }
}

/// [`place`] of values whose bytes are the field's (same size, the value
/// converted `as` the field's type keeps every bit), copied a list at a
/// time when the field is little-endian like this machine.
fn place_bits<S: arrow_buffer::ArrowNativeType, T: Put>(
    leaf: &Leaf,
    stride: usize,
    values: &[S],
    out: &mut [u8],
    conv: impl Fn(S) -> T,
) {
    use arrow_buffer::ToByteSlice;
    debug_assert_eq!(std::mem::size_of::<S>(), std::mem::size_of::<T>());
    if leaf.big || cfg!(target_endian = "big") {
        return place(leaf, stride, values, out, conv);
    }
    let width = leaf.count * std::mem::size_of::<S>();
    copy_lists(out, stride, leaf.offset, values.to_byte_slice(), width);
}

/// Copies each `width` bytes of `lists` into its record at `offset`. A
/// copy of a length known only at run time is a call to `memcpy` per
/// record, most of an import's time in the records' own code: the
/// common widths get a copy the compiler sees the size of.
fn copy_lists(out: &mut [u8], stride: usize, offset: usize, lists: &[u8], width: usize) {
    fn fixed<const W: usize>(out: &mut [u8], stride: usize, offset: usize, lists: &[u8]) {
        for (rec, list) in out.chunks_exact_mut(stride).zip(lists.chunks_exact(W)) {
            rec[offset..offset + W].copy_from_slice(list);
        }
    }
    match width {
        1 => fixed::<1>(out, stride, offset, lists),
        2 => fixed::<2>(out, stride, offset, lists),
        4 => fixed::<4>(out, stride, offset, lists),
        6 => fixed::<6>(out, stride, offset, lists),
        8 => fixed::<8>(out, stride, offset, lists),
        12 => fixed::<12>(out, stride, offset, lists),
        16 => fixed::<16>(out, stride, offset, lists),
        24 => fixed::<24>(out, stride, offset, lists),
        32 => fixed::<32>(out, stride, offset, lists),
        _ => {
            for (rec, list) in out.chunks_exact_mut(stride).zip(lists.chunks_exact(width)) {
                rec[offset..offset + width].copy_from_slice(list);
            }
        }
    }
}

/// An `INT32` column into a field of 8 to 32 bits: the narrower types
/// must hold every value (Parquet stores them widened); the first that
/// does not is an error naming its row and element.
fn place_i32(leaf: &Leaf, stride: usize, v: &[i32], out: &mut [u8], row0: u64) -> Result<()> {
    let p = leaf.primitive;
    let (lo, hi) = match p {
        Primitive::U16 => (0, i32::from(u16::MAX)),
        Primitive::I16 => (i32::from(i16::MIN), i32::from(i16::MAX)),
        Primitive::U8 => (0, i32::from(u8::MAX)),
        Primitive::I8 => (i32::from(i8::MIN), i32::from(i8::MAX)),
        _ => (i32::MIN, i32::MAX),
    };
    if let Some(i) = v.iter().position(|x| !(lo..=hi).contains(x)) {
        let (r, e) = (i / leaf.count, i % leaf.count);
        return Err(Error::Value {
            row: row0 + r as u64,
            field: if leaf.count == 1 {
                leaf.name.clone()
            } else {
                format!("{}[{e}]", leaf.name)
            },
            problem: format!("{} is out of range for {}", v[i], p.name()),
        });
    }
    // In range: the casts below keep every value.
    match p {
        Primitive::I32 => place_bits(leaf, stride, v, out, |x| x),
        // UINT_32 is stored as the same 32 bits.
        Primitive::U32 => place_bits(leaf, stride, v, out, |x| x as u32),
        Primitive::U16 => place(leaf, stride, v, out, |x| x as u16),
        Primitive::I16 => place(leaf, stride, v, out, |x| x as i16),
        Primitive::U8 => place(leaf, stride, v, out, |x| x as u8),
        Primitive::I8 => place(leaf, stride, v, out, |x| x as i8),
        _ => unreachable!("INT32 columns are planned for 8- to 32-bit integers only"),
    }
    Ok(())
}
#[cfg(test)]
mod tests {
    use super::*;
    use crate::{export_records, ExportOptions, Format};
    use bytes::Bytes;
    use parquet::arrow::arrow_reader::ArrowReaderOptions;
    use recstore::Field;

    proptest::proptest! {
        /// The block-at-a-time level checks say what a test per level says.
        #[test]
        fn level_checks_agree_with_one_level_at_a_time(
            count in 1usize..9,
            lists in 0usize..3000,
            flips in proptest::collection::vec((0usize..30000, 0i16..3), 0..3),
        ) {
            let values = count * lists;
            let mut rep: Vec<i16> = (0..values).map(|i| i16::from(i % count != 0)).collect();
            let mut def = vec![1i16; values];
            for &(at, level) in &flips {
                if at < values {
                    rep[at] = level;
                    def[at] = level;
                }
            }
            let lists_ok = rep
                .chunks_exact(count)
                .all(|l| l[0] == 0 && l[1..].iter().all(|&r| r == 1));
            proptest::prop_assert_eq!(lists_of(&rep, count, values), lists_ok);
            proptest::prop_assert_eq!(all_equal(&def, values, 1), def.iter().all(|&d| d == 1));
            // A level too many or too few is never whole lists.
            proptest::prop_assert!(!all_equal(&def, values + 1, 1));
            if values > 0 {
                proptest::prop_assert!(!lists_of(&rep[1..], count, values - 1) || count == 1);
            }
        }
    }

    /// Every type but text, both byte orders, one and three elements.
    fn everything() -> Schema {
        let mut fields = Vec::new();
        let mut offset = 0;
        for p in Primitive::ALL.into_iter().filter(|&p| p != Primitive::Text) {
            for (e, endian) in [Endian::Little, Endian::Big].into_iter().enumerate() {
                if e == 1 && p.size() == 1 {
                    continue;
                }
                for count in [1, 3] {
                    let name = format!("{}_{e}_{count}", p.name());
                    fields.push(Field::new(name, p, endian, count, offset));
                    offset += count * p.size();
                }
            }
        }
        let schema = Schema::new("Everything", offset, 1, fields);
        schema.validate().unwrap();
        schema
    }

    fn file(schema: &Schema, records: &[u8], options: &ExportOptions) -> Bytes {
        let mut out = Vec::new();
        export_records(schema, records, Format::Parquet, &mut out, options, |_| {}).unwrap();
        out.into()
    }

    #[test]
    fn every_type_is_read_straight_from_the_leaves_bit_for_bit() {
        let schema = everything();
        let stride = schema.stride() as usize;
        let mut x = 0x2545_f491_4f6c_dd1du64;
        let mut records = vec![0u8; 5000 * stride];
        for b in &mut records {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            *b = x as u8;
        }
        for f in schema.fields() {
            if f.primitive() == Primitive::Bool {
                for rec in records.chunks_exact_mut(stride) {
                    for b in &mut rec[f.offset() as usize..(f.offset() + f.len()) as usize] {
                        *b &= 1;
                    }
                }
            }
        }
        let options = ExportOptions {
            row_group_rows: 2000,
            ..ExportOptions::default()
        };
        let bytes = file(&schema, &records, &options);
        let meta = ArrowReaderMetadata::load(&bytes, ArrowReaderOptions::new()).unwrap();
        let plan = plan(&schema, &meta).expect("an export is read from its leaves");
        let mut got = Vec::new();
        let mut row0 = 0;
        for g in 0..meta.metadata().num_row_groups() {
            let mut send = |r: Result<Vec<u8>>| {
                got.extend_from_slice(&r.unwrap());
                true
            };
            let done = decode(
                Arc::new(bytes.clone()),
                &meta,
                &plan,
                g,
                row0,
                700,
                &mut send,
            );
            assert!(matches!(done, Ok(true)), "row group {g}");
            row0 += meta.metadata().row_group(g).num_rows() as u64;
        }
        assert!(got == records, "the records come back bit for bit");
    }

    #[test]
    fn text_fields_and_element_columns_take_the_arrow_path() {
        let schema = recstore::schema_file::parse(
            "name = \"T\"\nfields = [{ name = \"a\", type = \"u32\" }, \
             { name = \"t\", type = \"text\", bytes = 4 }]",
        )
        .unwrap();
        let bytes = file(&schema, &[0; 8], &ExportOptions::default());
        let meta = ArrowReaderMetadata::load(&bytes, ArrowReaderOptions::new()).unwrap();
        assert!(plan(&schema, &meta).is_none());
        // The same file into a store whose `a` is a u64: a conversion.
        let wide = recstore::schema_file::parse(
            "name = \"T\"\nfields = [{ name = \"a\", type = \"u64\" }]",
        )
        .unwrap();
        let narrow = recstore::schema_file::parse(
            "name = \"T\"\nfields = [{ name = \"a\", type = \"u32\" }]",
        )
        .unwrap();
        let bytes = file(&narrow, &[0; 4], &ExportOptions::default());
        let meta = ArrowReaderMetadata::load(&bytes, ArrowReaderOptions::new()).unwrap();
        assert!(plan(&wide, &meta).is_none());
        assert!(plan(&narrow, &meta).is_some());
    }
}
