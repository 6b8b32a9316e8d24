//! CSV and JSON Lines in and out of records, checked against the schema.
//!
//! Import reads everything into record bytes before the store is touched,
//! so one bad line appends nothing: all or nothing.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::io::{BufRead, Read, Write};

use recstore::Schema;
use serde_json::value::RawValue;

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
/// the schema (`name`, or `name[i]` for array elements) once, in any order.
/// `tick` is called with the number of records parsed so far, now and then.
///
/// Line numbers in errors count `\n`, `\r\n` and a lone `\r` each as one
/// line end, blank lines included, and name the line a record starts on.
pub fn read_csv(
    schema: &Schema,
    input: impl Read,
    mut tick: impl FnMut(u64),
) -> Result<Vec<u8>, InputError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(Lines::new(input));
    let wanted = columns::columns(schema, None).expect("all columns");
    let index: HashMap<&str, usize> = wanted
        .iter()
        .enumerate()
        .map(|(i, c)| (c.name.as_str(), i))
        .collect();
    let csv_error = |reader: &csv::Reader<Lines<_>>, e: csv::Error| {
        let byte = e
            .position()
            .map_or_else(|| reader.position().byte(), |p| p.byte());
        let line = reader.get_ref().line_at(byte);
        let message = match e.kind() {
            csv::ErrorKind::UnequalLengths {
                len, expected_len, ..
            } => format!("has {len} fields, the header has {expected_len}"),
            _ => e.to_string(),
        };
        err(line, None, message)
    };
    let mut header = csv::StringRecord::new();
    match reader.read_record(&mut header) {
        Ok(true) => {}
        Ok(false) => {
            return Err(err(
                1,
                None,
                "the input is empty: the first line must name the columns",
            ))
        }
        Err(e) => return Err(csv_error(&reader, e)),
    }
    let header_line = reader.get_ref().line_at(0);
    // For each CSV column, the element of the record it fills.
    let mut order = Vec::with_capacity(header.len());
    let mut seen = vec![false; wanted.len()];
    for name in header.iter() {
        let i = *index.get(name.trim()).ok_or_else(|| {
            let known: Vec<&str> = wanted.iter().take(12).map(|c| c.name.as_str()).collect();
            let more = if wanted.len() > known.len() {
                format!(", … ({} in all)", wanted.len())
            } else {
                String::new()
            };
            err(
                header_line,
                Some(&columns::quote(name)),
                format!("unknown column; the columns are {}{more}", known.join(",")),
            )
        })?;
        if std::mem::replace(&mut seen[i], true) {
            return Err(err(
                header_line,
                Some(&wanted[i].name),
                "duplicate column: name each column once",
            ));
        }
        order.push(i);
    }
    if let Some(missing) = seen.iter().position(|s| !s) {
        return Err(err(
            header_line,
            Some(&wanted[missing].name),
            "missing column",
        ));
    }
    let fields: Vec<(&recstore::Field, u64, &str)> = order
        .iter()
        .map(|&i| {
            let c = &wanted[i];
            (&schema.fields()[c.field], c.element, c.name.as_str())
        })
        .collect();
    let stride = schema.stride() as usize;
    let mut out = Vec::new();
    let mut row = csv::StringRecord::new();
    let mut n = 0u64;
    loop {
        match reader.read_record(&mut row) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => return Err(csv_error(&reader, e)),
        }
        let start = out.len();
        out.resize(start + stride, 0);
        for (text, &(field, element, name)) in row.iter().zip(&fields) {
            if let Err(m) = columns::parse_into(field, element, text, &mut out[start..]) {
                let byte = row.position().map_or(0, |p| p.byte());
                return Err(err(reader.get_ref().line_at(byte), Some(name), m));
            }
        }
        // Line starts before the next record are no longer needed.
        let next = reader.position().byte();
        reader.get_mut().forget_before(next);
        n += 1;
        if n.is_multiple_of(65536) {
            tick(n);
        }
    }
    tick(n);
    Ok(out)
}

/// A reader that notes where lines start, so that an error can name the
/// line of a byte offset: `\n`, `\r\n` and a lone `\r` each end a line.
/// Only the starts of lines with content are kept (a record never starts
/// on a blank line), and only those not yet forgotten, so it holds about
/// one buffer's worth.
struct Lines<R> {
    inner: R,
    /// Bytes read so far.
    offset: u64,
    /// Line ends seen so far.
    ends: u64,
    /// The last byte read was `\r` (a `\n` right after it ends no line).
    after_cr: bool,
    /// The next byte starts a line.
    at_start: bool,
    /// (offset, line number) of the first byte of each non-blank line.
    starts: VecDeque<(u64, u64)>,
}

impl<R> Lines<R> {
    fn new(inner: R) -> Lines<R> {
        Lines {
            inner,
            offset: 0,
            ends: 0,
            after_cr: false,
            at_start: true,
            starts: VecDeque::new(),
        }
    }

    /// The line of the first non-blank line starting at or after `byte`
    /// (where a record that starts at `byte` really begins).
    fn line_at(&self, byte: u64) -> u64 {
        let i = self.starts.partition_point(|&(o, _)| o < byte);
        match self.starts.get(i) {
            Some(&(_, line)) => line,
            None => self.ends + 1,
        }
    }

    /// Drops what is known about lines starting before `byte`.
    fn forget_before(&mut self, byte: u64) {
        while self.starts.front().is_some_and(|&(o, _)| o < byte) {
            self.starts.pop_front();
        }
    }

    fn note(&mut self, buf: &[u8]) {
        let mut from = 0;
        for end in memchr::memchr2_iter(b'\r', b'\n', buf).chain([buf.len()]) {
            if end > from && self.at_start {
                self.starts
                    .push_back((self.offset + from as u64, self.ends + 1));
            }
            if end > from {
                self.after_cr = false;
            }
            let Some(&b) = buf.get(end) else { break };
            if b == b'\r' || !self.after_cr {
                self.ends += 1;
            }
            self.after_cr = b == b'\r';
            self.at_start = true;
            from = end + 1;
        }
        if from < buf.len() {
            self.at_start = false;
        }
        self.offset += buf.len() as u64;
    }
}

impl<R: Read> Read for Lines<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.note(&buf[..n]);
        Ok(n)
    }
}

/// One JSON object: its entries in input order (duplicates kept, so that
/// they can be refused by name), each value as its text.
struct Entries<'a>(Vec<(String, &'a RawValue)>);

impl<'de> serde::Deserialize<'de> for Entries<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Entries<'de>, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = Entries<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Entries<'de>, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = map.next_entry()? {
                    entries.push(entry);
                }
                Ok(Entries(entries))
            }
        }
        d.deserialize_map(Visit)
    }
}

/// Parses JSON Lines into record bytes: one object per line whose keys are
/// the schema's data fields, each once; arrays for fields of more than one
/// element. Blank lines are skipped, a UTF-8 byte order mark at the start
/// is ignored (as in CSV), and numbers are read from the text as written.
pub fn read_jsonl(
    schema: &Schema,
    input: impl BufRead,
    mut tick: impl FnMut(u64),
) -> Result<Vec<u8>, InputError> {
    let fields: Vec<&recstore::Field> =
        schema.fields().iter().filter(|f| !f.is_padding()).collect();
    let index: HashMap<&str, usize> = fields
        .iter()
        .enumerate()
        .map(|(i, f)| (f.name(), i))
        .collect();
    let stride = schema.stride() as usize;
    let mut out = Vec::new();
    let mut n = 0u64;
    for (i, text) in input.lines().enumerate() {
        let line = i as u64 + 1;
        let text = text.map_err(|e| err(line, None, e.to_string()))?;
        let text = match text.strip_prefix('\u{feff}') {
            Some(rest) if i == 0 => rest,
            _ => &text,
        };
        if text.trim().is_empty() {
            continue;
        }
        let Entries(entries) = serde_json::from_str(text).map_err(|e| match e.classify() {
            serde_json::error::Category::Data => err(line, None, "not a JSON object"),
            _ => err(line, None, format!("not JSON: {e}")),
        })?;
        let mut values: Vec<Option<&RawValue>> = vec![None; fields.len()];
        for (k, v) in entries {
            let i = *index
                .get(k.as_str())
                .ok_or_else(|| err(line, Some(&columns::quote(&k)), "unknown field"))?;
            if values[i].replace(v).is_some() {
                return Err(err(line, Some(&k), "duplicate key: give each field once"));
            }
        }
        let start = out.len();
        out.resize(start + stride, 0);
        for (f, v) in fields.iter().zip(&values) {
            let v = v
                .as_ref()
                .ok_or_else(|| err(line, Some(f.name()), "missing field"))?;
            let record = &mut out[start..];
            if f.elements() == 1 {
                columns::parse_json_into(f, 0, v, record)
                    .map_err(|m| err(line, Some(f.name()), m))?;
            } else {
                let items: Vec<&RawValue> = v
                    .get()
                    .starts_with('[')
                    .then(|| serde_json::from_str(v.get()).ok())
                    .flatten()
                    .ok_or_else(|| {
                        err(
                            line,
                            Some(f.name()),
                            format!("expected an array of {}", f.elements()),
                        )
                    })?;
                if items.len() as u64 != f.elements() {
                    return Err(err(
                        line,
                        Some(f.name()),
                        format!(
                            "wrong array length: expected {}, got {}",
                            f.elements(),
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
