//! CSV and JSON Lines in and out of records, checked against the schema.
//!
//! Import reads everything into record bytes before the store is touched,
//! so one bad line appends nothing: all or nothing.

use std::fmt;
use std::io::{BufRead, Read, Write};

use recstore::Schema;

use crate::columns::{self, Column};

/// A bad line of input: where, which field, why.
#[derive(Debug)]
pub struct InputError {
    /// Line number in the input (1-based; the CSV header is line 1).
    pub line: u64,
    /// The column or field concerned, if one is.
    pub field: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.field {
            Some(field) => write!(f, "line {}, field {field}: {}", self.line, self.message),
            None => write!(f, "line {}: {}", self.line, self.message),
        }
    }
}

impl std::error::Error for InputError {}

fn err(line: u64, field: Option<&str>, message: impl Into<String>) -> InputError {
    InputError {
        line,
        field: field.map(str::to_string),
        message: message.into(),
    }
}

/// Input formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Comma-separated values with a header row naming the columns.
    Csv,
    /// One JSON object per line.
    JsonLines,
}

impl Format {
    /// The format a file name's extension says, if any.
    pub fn from_path(path: &std::path::Path) -> Option<Format> {
        match path.extension()?.to_str()? {
            "csv" => Some(Format::Csv),
            "jsonl" | "ndjson" => Some(Format::JsonLines),
            _ => None,
        }
    }
}

/// Parses CSV into record bytes. The header must name every data column of
/// the schema (`name`, or `name[i]` for array elements), in any order.
/// `tick` is called with the number of records parsed so far, now and then.
pub fn read_csv(
    schema: &Schema,
    input: impl Read,
    mut tick: impl FnMut(u64),
) -> Result<Vec<u8>, InputError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(input);
    let wanted = columns::columns(schema, None).expect("all columns");
    let header = reader
        .headers()
        .map_err(|e| err(1, None, e.to_string()))?
        .clone();
    // For each CSV column, which schema column it fills.
    let mut order = Vec::with_capacity(header.len());
    for name in header.iter() {
        let col = wanted
            .iter()
            .find(|c| c.name == name.trim())
            .ok_or_else(|| {
                let known: Vec<&str> = wanted.iter().map(|c| c.name.as_str()).collect();
                err(
                    1,
                    Some(name),
                    format!("unknown column; the columns are {}", known.join(",")),
                )
            })?;
        order.push(col.clone());
    }
    if let Some(missing) = wanted
        .iter()
        .find(|c| !order.iter().any(|o| o.name == c.name))
    {
        return Err(err(1, Some(&missing.name), "missing column"));
    }
    let stride = schema.stride() as usize;
    let mut out = Vec::new();
    let mut row = csv::StringRecord::new();
    let mut n = 0u64;
    loop {
        let line = reader.position().line();
        match reader.read_record(&mut row) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let line = e.position().map_or(line, |p| p.line());
                let message = match e.kind() {
                    csv::ErrorKind::UnequalLengths {
                        len, expected_len, ..
                    } => {
                        format!("has {len} fields, the header has {expected_len}")
                    }
                    _ => e.to_string(),
                };
                return Err(err(line, None, message));
            }
        }
        let line = row.position().map_or(line, |p| p.line());
        let start = out.len();
        out.resize(start + stride, 0);
        for (text, col) in row.iter().zip(&order) {
            let field = &schema.fields()[col.field];
            columns::parse_into(field, col.element, text, &mut out[start..])
                .map_err(|m| err(line, Some(&col.name), m))?;
        }
        n += 1;
        if n.is_multiple_of(65536) {
            tick(n);
        }
    }
    tick(n);
    Ok(out)
}

/// Parses JSON Lines into record bytes: one object per line whose keys are
/// the schema's data fields; arrays for fields of more than one element.
pub fn read_jsonl(
    schema: &Schema,
    input: impl BufRead,
    mut tick: impl FnMut(u64),
) -> Result<Vec<u8>, InputError> {
    let fields: Vec<&recstore::Field> =
        schema.fields().iter().filter(|f| !f.is_padding()).collect();
    let stride = schema.stride() as usize;
    let mut out = Vec::new();
    let mut n = 0u64;
    for (i, text) in input.lines().enumerate() {
        let line = i as u64 + 1;
        let text = text.map_err(|e| err(line, None, e.to_string()))?;
        if text.trim().is_empty() {
            continue;
        }
        let value: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| err(line, None, format!("not JSON: {e}")))?;
        let object = value
            .as_object()
            .ok_or_else(|| err(line, None, "not a JSON object"))?;
        if let Some(k) = object
            .keys()
            .find(|k| !fields.iter().any(|f| f.name() == k.as_str()))
        {
            return Err(err(line, Some(k), "unknown field"));
        }
        let start = out.len();
        out.resize(start + stride, 0);
        for f in &fields {
            let v = object
                .get(f.name())
                .ok_or_else(|| err(line, Some(f.name()), "missing field"))?;
            let record = &mut out[start..];
            if f.count() == 1 {
                columns::parse_json_into(f, 0, v, record)
                    .map_err(|m| err(line, Some(f.name()), m))?;
            } else {
                let items = v.as_array().ok_or_else(|| {
                    err(
                        line,
                        Some(f.name()),
                        format!("expected an array of {}", f.count()),
                    )
                })?;
                if items.len() as u64 != f.count() {
                    return Err(err(
                        line,
                        Some(f.name()),
                        format!(
                            "wrong array length: expected {}, got {}",
                            f.count(),
                            items.len()
                        ),
                    ));
                }
                for (e, item) in items.iter().enumerate() {
                    columns::parse_json_into(f, e as u64, item, record)
                        .map_err(|m| err(line, Some(&format!("{}[{e}]", f.name())), m))?;
                }
            }
        }
        n += 1;
        if n.is_multiple_of(65536) {
            tick(n);
        }
    }
    tick(n);
    Ok(out)
}

/// Writes records as CSV with a header row.
pub fn write_csv<'a>(
    schema: &Schema,
    columns: &[Column],
    records: impl Iterator<Item = &'a [u8]>,
    out: impl Write,
    mut tick: impl FnMut(u64),
) -> std::io::Result<()> {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(out);
    w.write_record(columns.iter().map(|c| c.name.as_str()))?;
    let slots: Vec<columns::Slot> = columns
        .iter()
        .map(|c| columns::Slot::new(&schema.fields()[c.field], c.element))
        .collect();
    let mut cell = String::new();
    for (i, record) in records.enumerate() {
        for slot in &slots {
            use std::fmt::Write as _;
            cell.clear();
            write!(cell, "{}", slot.get(record)).expect("writing to a String");
            w.write_field(&cell)?;
        }
        w.write_record(None::<&[u8]>)?;
        if (i as u64 + 1).is_multiple_of(65536) {
            tick(i as u64 + 1);
        }
    }
    w.flush()
}

/// One record as a JSON object, keys in the order of `columns`: a field
/// selected whole is one key (an array for several elements), a lone
/// element is keyed `name[i]`.
pub fn json_object(schema: &Schema, columns: &[Column], record: &[u8]) -> serde_json::Value {
    let mut map = serde_json::Map::new();
    for g in crate::select::groups(schema, columns) {
        let mut values = columns[g.columns]
            .iter()
            .map(|c| columns::json_value(columns::value(schema, c, record)));
        let v = if g.array {
            serde_json::Value::Array(values.collect())
        } else {
            values.next().expect("one column")
        };
        map.insert(g.name, v);
    }
    serde_json::Value::Object(map)
}

/// Writes records as JSON Lines.
pub fn write_jsonl<'a>(
    schema: &Schema,
    columns: &[Column],
    records: impl Iterator<Item = &'a [u8]>,
    mut out: impl Write,
    mut tick: impl FnMut(u64),
) -> std::io::Result<()> {
    for (i, record) in records.enumerate() {
        serde_json::to_writer(&mut out, &json_object(schema, columns, record))?;
        out.write_all(b"\n")?;
        if (i as u64 + 1).is_multiple_of(65536) {
            tick(i as u64 + 1);
        }
    }
    out.flush()
}
