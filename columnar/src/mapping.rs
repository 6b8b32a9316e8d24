//! A recstore schema as an Arrow schema, and records as Arrow batches, both
//! ways.
//!
//! - A scalar field is an Arrow primitive column; a field of `count > 1`
//!   elements is a `FixedSizeList` of `count`.
//! - Dotted names (`position.x`, the flattened nested structs) become
//!   struct columns (`position` with a child `x`); a schema whose names do
//!   not form a tree (both `a` and `a.b`) keeps flat dotted column names.
//! - Padding is dropped; big-endian fields are given as native values.
//! - A `bool` field is a `Boolean` column (a `FixedSizeList` of them for
//!   `count > 1`), a `text` field a `Utf8` column of its texts without the
//!   NUL padding. Both are nullable: null where the bytes are not a bool
//!   or not NUL-padded UTF-8 text, which an import then refuses.
//! - The schema's metadata carries the recstore schema block (hex, under
//!   [`SCHEMA_KEY`]) when every field is exported, so an import can rebuild
//!   the exact store: same schema, same bytes, padding zero.

use std::collections::HashMap;
use std::sync::Arc;

use arrow_array::{
    cast::AsArray, Array, ArrayRef, BooleanArray, FixedSizeListArray, GenericListArray,
    OffsetSizeTrait, PrimitiveArray, RecordBatch, StringArray, StructArray,
};
use arrow_schema::{
    DataType, Field as ArrowField, FieldRef, Fields, Schema as ArrowSchema, SchemaRef,
};
use recstore::{Endian, Field, Primitive, Schema};

use crate::element::{self, with_elem, Elem};
use crate::error::{column, Error, Result};

/// The Arrow schema metadata key that holds the recstore schema block, in
/// lower-case hex.
pub const SCHEMA_KEY: &str = "recstore:schema";

/// The Arrow type of one element of `p` (of a whole field for `text`).
pub fn arrow_type(p: Primitive) -> DataType {
    use arrow_array::ArrowPrimitiveType;
    match p {
        Primitive::Bool => DataType::Boolean,
        Primitive::Text => DataType::Utf8,
        p => with_elem!(p, T => <T as Elem>::Arrow::DATA_TYPE),
    }
}

/// Whether a column of type `t` can give values to field `f` (one element
/// of it): strings for a text field, booleans for a bool field, numbers
/// (checked one by one when stored) for the others.
fn holds(f: &Field, t: &DataType) -> bool {
    match f.primitive() {
        Primitive::Text => matches!(t, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View),
        Primitive::Bool => *t == DataType::Boolean,
        _ => primitive_of(t).is_some_and(|p| !matches!(p, Primitive::Bool | Primitive::Text)),
    }
}

/// What a column must hold for field `f`, for error messages.
fn wanted(f: &Field) -> &'static str {
    match f.primitive() {
        Primitive::Text => "strings",
        Primitive::Bool => "booleans",
        _ => "numbers",
    }
}

/// The recstore primitive an Arrow type holds without loss, if any
/// (`Boolean` is `bool`, the string types `text`).
pub fn primitive_of(t: &DataType) -> Option<Primitive> {
    Some(match t {
        DataType::Boolean => Primitive::Bool,
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => Primitive::Text,
        DataType::UInt8 => Primitive::U8,
        DataType::Int8 => Primitive::I8,
        DataType::UInt16 => Primitive::U16,
        DataType::Int16 => Primitive::I16,
        DataType::UInt32 => Primitive::U32,
        DataType::Int32 => Primitive::I32,
        DataType::UInt64 => Primitive::U64,
        DataType::Int64 => Primitive::I64,
        DataType::Float32 => Primitive::F32,
        DataType::Float64 => Primitive::F64,
        _ => return None,
    })
}

/// A column of the export: one field, or a struct of columns.
#[derive(Debug, Clone)]
enum Node {
    Leaf(usize),
    Struct(Vec<(String, Node)>),
}

/// How a store's records become Arrow columns (for export).
#[derive(Debug, Clone)]
pub struct ExportMap {
    schema: Schema,
    nodes: Vec<(String, Node)>,
    arrow: SchemaRef,
}

impl ExportMap {
    /// The columns of `schema`, or of only the named fields (in schema
    /// order). Unknown or padding field names are an error that lists the
    /// fields.
    pub fn new(schema: &Schema, only: Option<&[String]>) -> Result<ExportMap> {
        let data: Vec<usize> = (0..schema.fields().len())
            .filter(|&i| !schema.fields()[i].is_padding())
            .collect();
        if let Some(names) = only {
            for n in names {
                if !data.iter().any(|&i| schema.fields()[i].name() == n) {
                    return Err(column(
                        n.as_str(),
                        format!("no such field; the fields are {}", field_list(schema)),
                    ));
                }
            }
        }
        let chosen: Vec<usize> = data
            .into_iter()
            .filter(|&i| {
                only.is_none_or(|names| names.iter().any(|n| n == schema.fields()[i].name()))
            })
            .collect();
        let nodes = tree(schema, &chosen).unwrap_or_else(|| {
            chosen
                .iter()
                .map(|&i| (schema.fields()[i].name().to_string(), Node::Leaf(i)))
                .collect()
        });
        let mut metadata = HashMap::new();
        if only.is_none() {
            metadata.insert(SCHEMA_KEY.to_string(), hex(&schema.encode()?));
        }
        let fields: Vec<ArrowField> = nodes
            .iter()
            .map(|(n, node)| arrow_field(schema, n, node))
            .collect();
        let arrow = Arc::new(ArrowSchema::new_with_metadata(fields, metadata));
        Ok(ExportMap {
            schema: schema.clone(),
            nodes,
            arrow,
        })
    }

    /// The Arrow schema of the export.
    pub fn arrow_schema(&self) -> &SchemaRef {
        &self.arrow
    }

    /// Records (whole strides) as one batch.
    pub fn batch(&self, records: &[u8]) -> Result<RecordBatch> {
        let stride = self.schema.stride() as usize;
        let rows = records.len() / stride;
        let columns: Vec<ArrayRef> = self
            .nodes
            .iter()
            .map(|(_, node)| self.column(node, records, stride))
            .collect();
        let options = arrow_array::RecordBatchOptions::new().with_row_count(Some(rows));
        Ok(RecordBatch::try_new_with_options(
            self.arrow.clone(),
            columns,
            &options,
        )?)
    }

    fn column(&self, node: &Node, records: &[u8], stride: usize) -> ArrayRef {
        match node {
            Node::Leaf(i) => leaf_column(&self.schema.fields()[*i], records, stride),
            Node::Struct(children) => {
                let fields: Fields = children
                    .iter()
                    .map(|(n, c)| arrow_field(&self.schema, n, c))
                    .collect();
                let arrays = children
                    .iter()
                    .map(|(_, c)| self.column(c, records, stride))
                    .collect();
                Arc::new(StructArray::new(fields, arrays, None))
            }
        }
    }
}

fn field_list(schema: &Schema) -> String {
    let names: Vec<&str> = schema
        .fields()
        .iter()
        .filter(|f| !f.is_padding())
        .map(|f| f.name())
        .collect();
    names.join(", ")
}

/// Groups dotted names into a tree, or `None` if they do not form one.
fn tree(schema: &Schema, chosen: &[usize]) -> Option<Vec<(String, Node)>> {
    let mut top: Vec<(String, Node)> = Vec::new();
    for &i in chosen {
        let parts: Vec<&str> = schema.fields()[i].name().split('.').collect();
        if parts.iter().any(|p| p.is_empty()) {
            return None;
        }
        let mut level = &mut top;
        for (depth, part) in parts.iter().enumerate() {
            let last = depth + 1 == parts.len();
            let at = level.iter().position(|(n, _)| n == part);
            match (at, last) {
                (None, true) => {
                    level.push((part.to_string(), Node::Leaf(i)));
                }
                (None, false) => {
                    level.push((part.to_string(), Node::Struct(Vec::new())));
                    let Some((_, Node::Struct(children))) = level.last_mut() else {
                        unreachable!("just pushed")
                    };
                    level = children;
                }
                (Some(at), false) => match &mut level[at].1 {
                    Node::Struct(children) => level = children,
                    Node::Leaf(_) => return None,
                },
                (Some(_), true) => return None,
            }
        }
    }
    Some(top)
}

fn arrow_field(schema: &Schema, name: &str, node: &Node) -> ArrowField {
    let (t, nullable) = match node {
        Node::Leaf(i) => {
            let f = &schema.fields()[*i];
            (
                leaf_type(f),
                f.elements() == 1 && may_be_null(f.primitive()),
            )
        }
        Node::Struct(children) => (
            DataType::Struct(
                children
                    .iter()
                    .map(|(n, c)| arrow_field(schema, n, c))
                    .collect(),
            ),
            false,
        ),
    };
    ArrowField::new(name, t, nullable)
}

/// Whether values of `p` can be null in an export: bytes that are not a
/// bool, or not text, have no Arrow value.
fn may_be_null(p: Primitive) -> bool {
    matches!(p, Primitive::Bool | Primitive::Text)
}

fn item_field(p: Primitive) -> FieldRef {
    Arc::new(ArrowField::new("item", arrow_type(p), may_be_null(p)))
}

fn leaf_type(f: &Field) -> DataType {
    if f.elements() == 1 {
        arrow_type(f.primitive())
    } else {
        DataType::FixedSizeList(item_field(f.primitive()), f.count() as i32)
    }
}

fn leaf_column(f: &Field, records: &[u8], stride: usize) -> ArrayRef {
    let (start, end) = (f.offset() as usize, (f.offset() + f.len()) as usize);
    let values: ArrayRef = match f.primitive() {
        Primitive::Text => {
            return Arc::new(StringArray::from_iter(
                records
                    .chunks_exact(stride)
                    .map(|r| recstore::decode_text(&r[start..end]).ok()),
            ))
        }
        Primitive::Bool => Arc::new(BooleanArray::from_iter(
            records
                .chunks_exact(stride)
                .flat_map(|r| &r[start..end])
                .map(|&b| match b {
                    0 => Some(false),
                    1 => Some(true),
                    _ => None,
                }),
        )),
        p => with_elem!(p, T => Arc::new(gather::<T>(f, records, stride))),
    };
    if f.count() == 1 {
        values
    } else {
        Arc::new(FixedSizeListArray::new(
            item_field(f.primitive()),
            f.count() as i32,
            values,
            None,
        ))
    }
}

/// The elements of field `f` of every record, in row-major order.
fn gather<T: Elem>(f: &Field, records: &[u8], stride: usize) -> PrimitiveArray<T::Arrow> {
    let size = f.primitive().size() as usize;
    let (start, end) = (f.offset() as usize, (f.offset() + f.len()) as usize);
    let big = f.endian() == Endian::Big;
    let rows = records.len() / stride;
    let mut out: Vec<T> = Vec::with_capacity(rows * f.count() as usize);
    if f.count() == 1 {
        out.extend(
            records
                .chunks_exact(stride)
                .map(|r| T::read(big, &r[start..end])),
        );
    } else {
        for r in records.chunks_exact(stride) {
            out.extend(r[start..end].chunks_exact(size).map(|b| T::read(big, b)));
        }
    }
    PrimitiveArray::new(out.into(), None)
}

/// Lower-case hex.
fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// The recstore schema an Arrow schema carries in its metadata, if any.
pub fn embedded_schema(arrow: &ArrowSchema) -> Result<Option<Schema>> {
    let Some(text) = arrow.metadata().get(SCHEMA_KEY) else {
        return Ok(None);
    };
    let bytes = unhex(text).ok_or_else(|| {
        column(
            SCHEMA_KEY,
            "the schema metadata is not hex; the file was altered: drop the key or re-export",
        )
    })?;
    Schema::decode(&bytes)
        .map(Some)
        .map_err(|problem| Error::Store(recstore::Error::InvalidSchema { problem }))
}

/// A schema for the columns of `arrow`: the embedded recstore schema if
/// there is one, otherwise fields in column order (struct children dotted)
/// laid out as a C struct would be, with explicit padding. A string column
/// becomes a text field whose room is `rooms(name)` bytes (the caller
/// measures the longest text; at least 1). Columns that no recstore field
/// can hold without loss (variable-length lists, timestamps, ...) are an
/// error naming them.
pub(crate) fn schema_like(
    arrow: &ArrowSchema,
    name: &str,
    rooms: &dyn Fn(&str) -> u64,
) -> Result<Schema> {
    if let Some(s) = embedded_schema(arrow)? {
        return Ok(s);
    }
    let mut leaves = Vec::new();
    for f in arrow.fields() {
        leaves_of(f.name(), f.data_type(), &mut leaves)?;
    }
    for (n, p, count) in &mut leaves {
        if *p == Primitive::Text {
            *count = rooms(n).max(1);
        }
    }
    Ok(c_layout(name, &leaves)?)
}

/// The string columns of `arrow` (dotted names) and the index of the
/// top-level column each is in: their texts decide the rooms of the text
/// fields [`schema_like`] makes.
pub(crate) fn text_columns(arrow: &ArrowSchema) -> Vec<(String, usize)> {
    let mut leaves = Vec::new();
    let mut out = Vec::new();
    for (i, f) in arrow.fields().iter().enumerate() {
        leaves.clear();
        if leaves_of(f.name(), f.data_type(), &mut leaves).is_ok() {
            out.extend(
                leaves
                    .iter()
                    .filter(|(_, p, _)| *p == Primitive::Text)
                    .map(|(n, _, _)| (n.clone(), i)),
            );
        }
    }
    out
}

/// The longest text, in bytes, of the string column `name` (dotted) of
/// `batch`; 0 if there is no such column.
pub(crate) fn longest_text(batch: &RecordBatch, name: &str) -> usize {
    let Some((path, _)) = find(batch.schema().fields(), name) else {
        return 0;
    };
    let mut a = batch.column(path[0]).clone();
    for &i in &path[1..] {
        a = a.as_struct().column(i).clone();
    }
    match a.data_type() {
        DataType::Utf8 => a.as_string::<i32>().iter().flatten().map(str::len).max(),
        DataType::LargeUtf8 => a.as_string::<i64>().iter().flatten().map(str::len).max(),
        DataType::Utf8View => a.as_string_view().iter().flatten().map(str::len).max(),
        _ => None,
    }
    .unwrap_or(0)
}

fn leaves_of(name: &str, t: &DataType, out: &mut Vec<(String, Primitive, u64)>) -> Result<()> {
    match t {
        DataType::Struct(children) => {
            for c in children {
                leaves_of(&format!("{name}.{}", c.name()), c.data_type(), out)?;
            }
        }
        DataType::FixedSizeList(item, n) => {
            let p = primitive_of(item.data_type())
                .filter(|&p| p != Primitive::Text)
                .ok_or_else(|| unsupported(name, t))?;
            out.push((name.to_string(), p, *n as u64));
        }
        DataType::List(_) | DataType::LargeList(_) => {
            return Err(column(
                name,
                "is a list of any length, and a recstore field has a fixed count: \
                 convert it to a fixed-size list, or create the store from a schema file",
            ))
        }
        t => {
            let p = primitive_of(t).ok_or_else(|| unsupported(name, t))?;
            out.push((name.to_string(), p, 1));
        }
    }
    Ok(())
}

fn unsupported(name: &str, t: &DataType) -> Error {
    column(
        name,
        format!(
            "has type {t}, which no recstore field holds (integers, floats, booleans, \
             strings, fixed-size lists and structs of them): drop or convert the column"
        ),
    )
}

/// Fields laid out as `#[repr(C)]` would, padding explicit.
pub(crate) fn c_layout(
    name: &str,
    leaves: &[(String, Primitive, u64)],
) -> recstore::Result<Schema> {
    let mut fields = Vec::new();
    let (mut offset, mut align) = (0u64, 1u64);
    for (n, p, count) in leaves {
        // A text field is `count` bytes aligned to 1.
        let a = p.size();
        if !offset.is_multiple_of(a) {
            let pad = a - offset % a;
            fields.push(Field::padding(format!("_pad{offset}"), pad, offset));
            offset += pad;
        }
        fields.push(Field::new(n.clone(), *p, Endian::Little, *count, offset));
        offset = offset.saturating_add(count.saturating_mul(a));
        align = align.max(a);
    }
    if !offset.is_multiple_of(align) {
        let pad = align - offset % align;
        fields.push(Field::padding(format!("_pad{offset}"), pad, offset));
        offset += pad;
    }
    let schema = Schema::new(name, offset, align, fields);
    schema.validate()?;
    Ok(schema)
}

/// Where each field of a store comes from in a file's columns (for import).
#[derive(Debug, Clone)]
pub struct ImportMap {
    schema: Schema,
    targets: Vec<Target>,
}

#[derive(Debug, Clone)]
struct Target {
    field: usize,
    source: Source,
}

/// A column, as the child indices from the top of the batch.
type Path = Vec<usize>;

#[derive(Debug, Clone)]
enum Source {
    /// A primitive column for a scalar field.
    Scalar(Path),
    /// A fixed-size or variable list column for an array field.
    List(Path),
    /// One primitive column per element (`name[0]`, `name[1]`, ...).
    Elements(Vec<Path>),
}

impl ImportMap {
    /// Matches the file's columns to the store's fields by name: every data
    /// field needs a column, every column needs a field, and each column's
    /// type must be one whose values can be checked into the field.
    pub fn new(schema: &Schema, arrow: &ArrowSchema) -> Result<ImportMap> {
        let mut used: Vec<Path> = Vec::new();
        let mut targets = Vec::new();
        for (i, f) in schema.fields().iter().enumerate() {
            if f.is_padding() {
                continue;
            }
            let source = match find(arrow.fields(), f.name()) {
                Some((path, t)) => {
                    let list = is_list(f, &t)?;
                    used.push(path.clone());
                    if list {
                        Source::List(path)
                    } else {
                        Source::Scalar(path)
                    }
                }
                None if f.elements() > 1 => {
                    let mut paths = Vec::new();
                    for e in 0..f.count() {
                        let name = format!("{}[{e}]", f.name());
                        let (path, t) =
                            find(arrow.fields(), &name).ok_or_else(|| missing(schema, f))?;
                        if !holds(f, &t) {
                            return Err(wrong_type(&name, f, &t));
                        }
                        used.push(path.clone());
                        paths.push(path);
                    }
                    Source::Elements(paths)
                }
                None => return Err(missing(schema, f)),
            };
            targets.push(Target { field: i, source });
        }
        // Every leaf column must have been used.
        let mut all = Vec::new();
        leaf_paths(arrow.fields(), &mut Vec::new(), "", &mut all);
        if let Some((_, name)) = all.iter().find(|(p, _)| !used.iter().any(|u| u == p)) {
            return Err(column(
                name.as_str(),
                format!(
                    "is not a field of the store ({}); the fields are {}: drop the column, \
                     or create the store with --like",
                    schema.name(),
                    field_list(schema)
                ),
            ));
        }
        Ok(ImportMap {
            schema: schema.clone(),
            targets,
        })
    }

    /// Writes the batch's rows as records into `out` (`rows × stride`
    /// bytes, zeroed: padding stays zero). `row0` is the batch's first row
    /// in the file, for error messages.
    pub fn fill(&self, batch: &RecordBatch, out: &mut [u8], row0: u64) -> Result<()> {
        let rows = batch.num_rows();
        let stride = self.schema.stride() as usize;
        debug_assert_eq!(out.len(), rows * stride);
        for t in &self.targets {
            let f = &self.schema.fields()[t.field];
            let count = f.count() as usize;
            match &t.source {
                Source::Scalar(path) if f.is_text() => {
                    let a = get(batch, path, f.name(), row0)?;
                    scatter_text(&a, f, stride, out, row0)?;
                }
                Source::Scalar(path) => {
                    let a = get(batch, path, f.name(), row0)?;
                    scatter(&a, 1, 0, f, stride, out, row0)?;
                }
                Source::Elements(paths) => {
                    for (e, path) in paths.iter().enumerate() {
                        let a = get(batch, path, f.name(), row0)?;
                        scatter(&a, 1, e, f, stride, out, row0)?;
                    }
                }
                Source::List(path) => {
                    let a = get(batch, path, f.name(), row0)?;
                    let values = list_values(&a, rows, count, f.name(), row0)?;
                    scatter(&values, count, 0, f, stride, out, row0)?;
                }
            }
        }
        Ok(())
    }
}

fn missing(schema: &Schema, f: &Field) -> Error {
    let how = if f.elements() > 1 {
        format!(
            " (as a list column {0}, or columns {0}[0] to {0}[{1}])",
            f.name(),
            f.count() - 1
        )
    } else {
        String::new()
    };
    column(
        f.name(),
        format!(
            "the store's field is missing from the file{how}; the store ({}) needs {}",
            schema.name(),
            field_list(schema)
        ),
    )
}

/// Whether a column of type `t` gives field `f` its values as a list (or
/// as one value per row), or why it cannot give them.
fn is_list(f: &Field, t: &DataType) -> Result<bool> {
    let count = f.elements();
    let item = match t {
        DataType::FixedSizeList(item, _) | DataType::List(item) | DataType::LargeList(item) => {
            Some(item.data_type())
        }
        _ => None,
    };
    match item {
        Some(_) if count == 1 => Err(column(
            f.name(),
            format!(
                "is a list column, and the store's field ({}) is a single value: \
                 give a column of {}",
                f.type_name(),
                wanted(f)
            ),
        )),
        Some(it) => {
            if let DataType::FixedSizeList(_, n) = t {
                if *n as u64 != count {
                    return Err(column(
                        f.name(),
                        format!(
                            "has lists of {n} elements, the store's field has {count}: wrong list length"
                        ),
                    ));
                }
            }
            if !holds(f, it) {
                return Err(wrong_type(f.name(), f, t));
            }
            Ok(true)
        }
        None if count == 1 => {
            if !holds(f, t) {
                return Err(wrong_type(f.name(), f, t));
            }
            Ok(false)
        }
        None => Err(column(
            f.name(),
            format!(
                "has type {t}, and the store's field holds {count} elements: \
                 give a list column of {count}, or one column per element"
            ),
        )),
    }
}

/// A column whose type cannot give field `f` its values.
fn wrong_type(name: &str, f: &Field, t: &DataType) -> Error {
    column(
        name,
        format!(
            "has type {t}, and the store's field ({}) takes {}: convert the column, \
             or create the store with --like",
            f.type_name(),
            wanted(f)
        ),
    )
}

/// Finds the column for a dotted name: a top-level column with that exact
/// name, or a struct column for a prefix holding the rest.
fn find(fields: &Fields, name: &str) -> Option<(Path, DataType)> {
    if let Some((i, f)) = fields.iter().enumerate().find(|(_, f)| f.name() == name) {
        return Some((vec![i], f.data_type().clone()));
    }
    for (dot, _) in name.match_indices('.') {
        let (prefix, rest) = (&name[..dot], &name[dot + 1..]);
        for (i, f) in fields.iter().enumerate() {
            if f.name() != prefix {
                continue;
            }
            if let DataType::Struct(children) = f.data_type() {
                if let Some((mut path, t)) = find(children, rest) {
                    path.insert(0, i);
                    return Some((path, t));
                }
            }
        }
    }
    None
}

fn leaf_paths(fields: &Fields, prefix: &mut Path, name: &str, out: &mut Vec<(Path, String)>) {
    for (i, f) in fields.iter().enumerate() {
        prefix.push(i);
        let full = if name.is_empty() {
            f.name().clone()
        } else {
            format!("{name}.{}", f.name())
        };
        match f.data_type() {
            DataType::Struct(children) => leaf_paths(children, prefix, &full, out),
            _ => out.push((prefix.clone(), full)),
        }
        prefix.pop();
    }
}

/// The column at `path`, refusing a null anywhere along it.
fn get(batch: &RecordBatch, path: &[usize], field: &str, row0: u64) -> Result<ArrayRef> {
    let mut a = batch.column(path[0]).clone();
    for &i in &path[1..] {
        no_nulls(a.as_ref(), 1, field, row0)?;
        a = a.as_struct().column(i).clone();
    }
    no_nulls(a.as_ref(), 1, field, row0)?;
    Ok(a)
}

fn no_nulls(a: &dyn Array, per_row: usize, field: &str, row0: u64) -> Result<()> {
    if a.null_count() == 0 {
        return Ok(());
    }
    let first = (0..a.len()).find(|&i| a.is_null(i)).unwrap_or(0);
    Err(Error::Value {
        row: row0 + (first / per_row) as u64,
        field: field.to_string(),
        problem: "null, and a record has no place for a missing value".into(),
    })
}

/// The values of a list column of `rows` lists of `count`, row-major.
fn list_values(
    a: &ArrayRef,
    rows: usize,
    count: usize,
    field: &str,
    row0: u64,
) -> Result<ArrayRef> {
    let wrong = |row: usize, len: usize| Error::Value {
        row: row0 + row as u64,
        field: field.to_string(),
        problem: format!("wrong list length: expected {count}, got {len}"),
    };
    let values = match a.data_type() {
        DataType::FixedSizeList(..) => {
            let l = a.as_fixed_size_list();
            l.values().slice(l.value_offset(0) as usize, rows * count)
        }
        DataType::List(_) => {
            whole_lists(a.as_list::<i32>(), rows, count).map_err(|(r, len)| wrong(r, len))?
        }
        DataType::LargeList(_) => {
            whole_lists(a.as_list::<i64>(), rows, count).map_err(|(r, len)| wrong(r, len))?
        }
        t => unreachable!("checked when the map was built: {t}"),
    };
    no_nulls(values.as_ref(), count, field, row0)?;
    Ok(values)
}

/// The values of `rows` lists of `l` if each holds `count` of them, else
/// the first row that does not and its length.
fn whole_lists<O: OffsetSizeTrait>(
    l: &GenericListArray<O>,
    rows: usize,
    count: usize,
) -> Result<ArrayRef, (usize, usize)> {
    let offsets = l.value_offsets();
    for r in 0..rows {
        let len = (offsets[r + 1] - offsets[r]).as_usize();
        if len != count {
            return Err((r, len));
        }
    }
    Ok(l.values().slice(offsets[0].as_usize(), rows * count))
}

/// Writes `values` (`per_row` elements per record, row-major) into
/// elements `first..first + per_row` of field `f` of each record.
fn scatter(
    values: &ArrayRef,
    per_row: usize,
    first: usize,
    f: &Field,
    stride: usize,
    out: &mut [u8],
    row0: u64,
) -> Result<()> {
    if let DataType::Boolean = values.data_type() {
        // A bool field (checked when the map was built); nulls were refused.
        let base = f.offset() as usize + first;
        let bools = values.as_boolean();
        for (r, rec) in out.chunks_exact_mut(stride).enumerate() {
            for e in 0..per_row {
                rec[base + e] = u8::from(bools.value(r * per_row + e));
            }
        }
        return Ok(());
    }
    macro_rules! source {
        ($($dt:ident => $t:ty),*) => {
            match values.data_type() {
                $(DataType::$dt => {
                    let v: &[$t] = values.as_primitive::<<$t as Elem>::Arrow>().values();
                    scatter_typed::<$t>(v, per_row, first, f, stride, out, row0)
                })*
                t => unreachable!("checked when the map was built: {t}"),
            }
        };
    }
    source!(UInt8 => u8, Int8 => i8, UInt16 => u16, Int16 => i16, UInt32 => u32,
        Int32 => i32, UInt64 => u64, Int64 => i64, Float32 => f32, Float64 => f64)
}

/// Writes the texts of a string column (nulls already refused) into text
/// field `f` of each record, NUL-padded; a text longer than the field's
/// room, or holding a NUL, is an error naming its row.
fn scatter_text(
    values: &ArrayRef,
    f: &Field,
    stride: usize,
    out: &mut [u8],
    row0: u64,
) -> Result<()> {
    fn put<'a>(
        texts: impl Iterator<Item = Option<&'a str>>,
        f: &Field,
        stride: usize,
        out: &mut [u8],
        row0: u64,
    ) -> Result<()> {
        let (start, room) = (f.offset() as usize, f.len() as usize);
        for (r, (rec, text)) in out.chunks_exact_mut(stride).zip(texts).enumerate() {
            let text = text.unwrap_or_default();
            let slot = &mut rec[start..start + room];
            put_text(text, slot).map_err(|problem| Error::Value {
                row: row0 + r as u64,
                field: f.name().to_string(),
                problem,
            })?;
        }
        Ok(())
    }
    match values.data_type() {
        DataType::Utf8 => put(values.as_string::<i32>().iter(), f, stride, out, row0),
        DataType::LargeUtf8 => put(values.as_string::<i64>().iter(), f, stride, out, row0),
        DataType::Utf8View => put(values.as_string_view().iter(), f, stride, out, row0),
        t => unreachable!("checked when the map was built: {t}"),
    }
}

/// Writes `text` into a text field's bytes (`slot`, zeroed), or says why
/// it does not fit: longer than the room (recstore never cuts text, so
/// never inside a character), or holding a NUL.
pub(crate) fn put_text(text: &str, slot: &mut [u8]) -> Result<(), String> {
    let (len, nul) = (text.len(), text.contains('\0'));
    if nul || len > slot.len() {
        let e = recstore::Error::TextDoesNotFit {
            len,
            room: slot.len(),
            nul,
        };
        return Err(format!("{}: {e}", quote(text)));
    }
    slot[..len].copy_from_slice(text.as_bytes());
    slot[len..].fill(0);
    Ok(())
}

/// `text` quoted for an error message, at most 40 characters of it.
pub(crate) fn quote(text: &str) -> String {
    match text.char_indices().nth(40) {
        None => format!("{text:?}"),
        Some((cut, _)) => format!("{:?}… ({} bytes)", &text[..cut], text.len()),
    }
}

fn scatter_typed<T: Elem>(
    values: &[T],
    per_row: usize,
    first: usize,
    f: &Field,
    stride: usize,
    out: &mut [u8],
    row0: u64,
) -> Result<()> {
    let size = f.primitive().size() as usize;
    let base = f.offset() as usize + first * size;
    let big = f.endian() == Endian::Big;
    let rows = out
        .chunks_exact_mut(stride)
        .zip(values.chunks_exact(per_row));
    if T::PRIMITIVE == f.primitive() {
        for (rec, vals) in rows {
            let slots = rec[base..base + per_row * size].chunks_exact_mut(size);
            for (slot, v) in slots.zip(vals) {
                v.write(big, slot);
            }
        }
        return Ok(());
    }
    for (r, (rec, vals)) in rows.enumerate() {
        let slots = rec[base..base + per_row * size].chunks_exact_mut(size);
        for (e, (slot, v)) in slots.zip(vals).enumerate() {
            element::write(f.primitive(), f.endian(), v.num(), slot).map_err(|problem| {
                Error::Value {
                    row: row0 + r as u64,
                    field: if f.count() == 1 {
                        f.name().to_string()
                    } else {
                        format!("{}[{}]", f.name(), first + e)
                    },
                    problem,
                }
            })?;
        }
    }
    Ok(())
}

impl ExportMap {
    /// The schema indices of the exported fields, in schema order.
    pub fn field_indices(&self) -> Vec<usize> {
        fn walk(node: &Node, out: &mut Vec<usize>) {
            match node {
                Node::Leaf(i) => out.push(*i),
                Node::Struct(children) => children.iter().for_each(|(_, c)| walk(c, out)),
            }
        }
        let mut out = Vec::new();
        self.nodes.iter().for_each(|(_, n)| walk(n, &mut out));
        out.sort_unstable();
        out
    }
}
