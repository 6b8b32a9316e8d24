//! The Arrow C stream of a store's records (the Arrow PyCapsule interface).
//!
//! Arrow is columnar and the store holds rows, so each batch is a copy:
//! every field gathered into its own column, in batches of about 4 MiB, so
//! memory stays bounded whatever the store's size. A field of `count > 1`
//! elements is a `FixedSizeList`; fields with dotted names (`position.x`)
//! are gathered into struct columns; padding is left out; big-endian fields
//! are swapped to Arrow's little-endian. A `bool` field is a `Boolean`
//! column and a `text` field a `Utf8` one (one string per field); both are
//! nullable, null where the bytes are not a bool (0 or 1) or not NUL-padded
//! UTF-8 text, for Arrow can hold neither.

use std::ops::Range;
use std::sync::Arc;

use arrow_array::{
    make_array, ArrayRef, BooleanArray, FixedSizeListArray, RecordBatch, RecordBatchOptions,
    RecordBatchReader, StringArray, StructArray,
};
use arrow_buffer::MutableBuffer;
use arrow_data::ArrayData;
use arrow_schema::{
    ArrowError, DataType, Field as ArrowField, Fields, Schema as ArrowSchema, SchemaRef,
};
use recstore::{Endian, Field, Primitive, RawStore, Schema};

/// A column of the Arrow schema: one field, or a struct of columns.
enum Column {
    Leaf(usize),
    Struct(String, Vec<Column>),
}

fn primitive_type(p: Primitive) -> DataType {
    match p {
        Primitive::U8 => DataType::UInt8,
        Primitive::I8 => DataType::Int8,
        Primitive::U16 => DataType::UInt16,
        Primitive::I16 => DataType::Int16,
        Primitive::U32 => DataType::UInt32,
        Primitive::I32 => DataType::Int32,
        Primitive::U64 => DataType::UInt64,
        Primitive::I64 => DataType::Int64,
        Primitive::F32 => DataType::Float32,
        Primitive::F64 => DataType::Float64,
        Primitive::Bool => DataType::Boolean,
        Primitive::Text => DataType::Utf8,
    }
}

/// Whether the field's values may be null: bytes that are not a bool or
/// not text.
fn nullable(f: &Field) -> bool {
    matches!(f.primitive(), Primitive::Bool | Primitive::Text)
}

fn field_type(f: &Field) -> DataType {
    let item = primitive_type(f.primitive());
    if f.elements() == 1 {
        item
    } else {
        DataType::FixedSizeList(
            Arc::new(ArrowField::new("item", item, nullable(f))),
            f.count() as i32,
        )
    }
}

/// Groups the schema's data fields by their dotted names, in order.
fn columns(schema: &Schema) -> Vec<Column> {
    fn insert(into: &mut Vec<Column>, path: &[&str], index: usize) {
        match path {
            [] | [_] => into.push(Column::Leaf(index)),
            [head, rest @ ..] => {
                let existing = into.last_mut().and_then(|c| match c {
                    Column::Struct(name, children) if name == head => Some(children),
                    _ => None,
                });
                match existing {
                    Some(children) => insert(children, rest, index),
                    None => {
                        let mut children = Vec::new();
                        insert(&mut children, rest, index);
                        into.push(Column::Struct(head.to_string(), children));
                    }
                }
            }
        }
    }
    let mut out = Vec::new();
    for (i, f) in schema.fields().iter().enumerate() {
        if !f.is_padding() {
            let path: Vec<&str> = f.name().split('.').collect();
            insert(&mut out, &path, i);
        }
    }
    out
}

fn arrow_field(schema: &Schema, c: &Column) -> ArrowField {
    match c {
        Column::Leaf(i) => {
            let f = &schema.fields()[*i];
            let name = f.name().rsplit('.').next().unwrap_or(f.name());
            ArrowField::new(name, field_type(f), nullable(f) && f.elements() == 1)
        }
        Column::Struct(name, children) => ArrowField::new(
            name,
            DataType::Struct(
                children
                    .iter()
                    .map(|c| arrow_field(schema, c))
                    .collect::<Fields>(),
            ),
            false,
        ),
    }
}

/// The Arrow schema of a store's records.
pub fn arrow_schema(schema: &Schema) -> ArrowSchema {
    ArrowSchema::new(
        columns(schema)
            .iter()
            .map(|c| arrow_field(schema, c))
            .collect::<Vec<_>>(),
    )
}

/// The column of field `f` over the records in `data` (whole strides).
fn leaf(f: &Field, data: &[u8], stride: usize) -> Result<ArrayRef, ArrowError> {
    let rows = data.len() / stride;
    let records = || data.chunks_exact(stride);
    if f.is_text() {
        let texts: Vec<Option<&str>> = records()
            .map(|r| f.bytes(r).and_then(|b| recstore::decode_text(b).ok()))
            .collect();
        return Ok(Arc::new(StringArray::from(texts)));
    }
    if f.primitive() == Primitive::Bool {
        let bools: Vec<Option<bool>> = records()
            .flat_map(|r| f.bytes(r).unwrap_or(&[]))
            .map(|&b| match b {
                0 => Some(false),
                1 => Some(true),
                _ => None,
            })
            .collect();
        let values: ArrayRef = Arc::new(BooleanArray::from(bools));
        if f.count() == 1 {
            return Ok(values);
        }
        let list = FixedSizeListArray::try_new(
            Arc::new(ArrowField::new("item", DataType::Boolean, true)),
            f.count() as i32,
            values,
            None,
        )?;
        return Ok(Arc::new(list));
    }
    let size = f.primitive().size() as usize;
    let width = size * f.count() as usize;
    let start = f.offset() as usize;
    let mut buf = MutableBuffer::new(rows * width);
    let swap = size > 1 && f.endian() != Endian::Little;
    for record in data.chunks_exact(stride) {
        let bytes = &record[start..start + width];
        if swap {
            for element in bytes.chunks_exact(size) {
                let mut e = [0u8; 8];
                e[..size].copy_from_slice(element);
                e[..size].reverse();
                buf.extend_from_slice(&e[..size]);
            }
        } else {
            buf.extend_from_slice(bytes);
        }
    }
    let item = primitive_type(f.primitive());
    let values = make_array(
        ArrayData::builder(item.clone())
            .len(rows * f.count() as usize)
            .add_buffer(buf.into())
            .build()?,
    );
    if f.count() == 1 {
        return Ok(values);
    }
    let list = FixedSizeListArray::try_new(
        Arc::new(ArrowField::new("item", item, false)),
        f.count() as i32,
        values,
        None,
    )?;
    Ok(Arc::new(list))
}

fn column(schema: &Schema, c: &Column, data: &[u8]) -> Result<ArrayRef, ArrowError> {
    let stride = schema.stride() as usize;
    match c {
        Column::Leaf(i) => leaf(&schema.fields()[*i], data, stride),
        Column::Struct(_, children) => {
            let fields: Fields = children.iter().map(|c| arrow_field(schema, c)).collect();
            let arrays = children
                .iter()
                .map(|c| column(schema, c, data))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Arc::new(StructArray::try_new(fields, arrays, None)?))
        }
    }
}

/// The records `range` of a store, batch after batch.
pub struct Batches {
    store: Arc<RawStore>,
    schema: SchemaRef,
    columns: Vec<Column>,
    next: u64,
    end: u64,
    batch: u64,
}

impl Batches {
    /// The records of `store` in `range` (clamped to its length).
    pub fn new(store: Arc<RawStore>, range: Range<u64>) -> Batches {
        let schema = store.schema();
        let batch = (4 << 20) / schema.stride().max(1);
        let end = range.end.min(store.len() as u64);
        Batches {
            schema: Arc::new(arrow_schema(schema)),
            columns: columns(schema),
            next: range.start.min(end),
            end,
            batch: batch.max(1024),
            store,
        }
    }
}

impl Iterator for Batches {
    type Item = Result<RecordBatch, ArrowError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.next >= self.end {
            return None;
        }
        let to = (self.next + self.batch).min(self.end);
        let schema = self.store.schema();
        let stride = schema.stride() as usize;
        let data = &self.store.data()[self.next as usize * stride..to as usize * stride];
        let rows = (to - self.next) as usize;
        self.next = to;
        let arrays = self
            .columns
            .iter()
            .map(|c| column(schema, c, data))
            .collect::<Result<Vec<_>, _>>();
        Some(arrays.and_then(|arrays| {
            RecordBatch::try_new_with_options(
                self.schema.clone(),
                arrays,
                &RecordBatchOptions::new().with_row_count(Some(rows)),
            )
        }))
    }
}

impl RecordBatchReader for Batches {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }
}
