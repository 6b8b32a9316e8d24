//! Records as text: the columns a schema gives (one per element, padding
//! left out), parsing text into record bytes and formatting bytes as text.
//!
//! Numbers are written in their shortest form that reads back to the same
//! value, so export → import → export gives the same text.

use recstore::{Endian, Field, Primitive, Schema, Value};

/// One text column: element `element` of field `field`.
#[derive(Debug, Clone)]
pub struct Column {
    /// `name` for a scalar, `name[i]` for an element of an array.
    pub name: String,
    /// Index of the field in the schema.
    pub field: usize,
    /// Element index within the field.
    pub element: u64,
}

/// The data columns of a schema, optionally only of the named fields.
pub fn columns(schema: &Schema, only: Option<&[String]>) -> Result<Vec<Column>, String> {
    if let Some(names) = only {
        for n in names {
            match schema.field(n) {
                Some(f) if !f.is_padding() => {}
                _ => {
                    let known: Vec<&str> = schema
                        .fields()
                        .iter()
                        .filter(|f| !f.is_padding())
                        .map(|f| f.name())
                        .collect();
                    return Err(format!(
                        "no field {n:?}; the fields are {}",
                        known.join(", ")
                    ));
                }
            }
        }
    }
    let mut out = Vec::new();
    for (i, f) in schema.fields().iter().enumerate() {
        if f.is_padding() || only.is_some_and(|names| !names.iter().any(|n| n == f.name())) {
            continue;
        }
        for e in 0..f.count() {
            let name = if f.count() == 1 {
                f.name().to_string()
            } else {
                format!("{}[{e}]", f.name())
            };
            out.push(Column {
                name,
                field: i,
                element: e,
            });
        }
    }
    Ok(out)
}

/// The element of `column` in `record`.
pub fn value(schema: &Schema, column: &Column, record: &[u8]) -> Value {
    Slot::new(&schema.fields()[column.field], column.element).get(record)
}

/// Where one element lives in a record, for decoding it without a lookup.
#[derive(Debug, Clone, Copy)]
pub struct Slot {
    primitive: Primitive,
    endian: Endian,
    at: usize,
    size: usize,
}

impl Slot {
    /// Element `element` of `field`.
    pub fn new(field: &Field, element: u64) -> Slot {
        let size = field.primitive().size();
        Slot {
            primitive: field.primitive(),
            endian: field.endian(),
            at: (field.offset() + element * size) as usize,
            size: size as usize,
        }
    }

    /// The element's value in `record`.
    #[inline]
    pub fn get(&self, record: &[u8]) -> Value {
        Value::decode(
            self.primitive,
            self.endian,
            &record[self.at..self.at + self.size],
        )
        .expect("whole records")
    }
}

/// Parses `text` as an element of `field` and writes it into `record`.
pub fn parse_into(
    field: &Field,
    element: u64,
    text: &str,
    record: &mut [u8],
) -> Result<(), String> {
    let text = text.trim();
    let p = field.primitive();
    let at = (field.offset() + element * p.size()) as usize;
    let big = field.endian() == Endian::Big;
    macro_rules! put {
        ($v:expr) => {{
            let v = $v;
            let b = if big {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            };
            record[at..at + b.len()].copy_from_slice(&b);
        }};
    }
    macro_rules! int {
        ($t:ty) => {
            put!(text.parse::<$t>().map_err(|_| int_error(
                text,
                p,
                <$t>::MIN as i128,
                <$t>::MAX as i128
            ))?)
        };
    }
    match p {
        Primitive::U8 => int!(u8),
        Primitive::I8 => int!(i8),
        Primitive::U16 => int!(u16),
        Primitive::I16 => int!(i16),
        Primitive::U32 => int!(u32),
        Primitive::I32 => int!(i32),
        Primitive::U64 => int!(u64),
        Primitive::I64 => int!(i64),
        // Parsed at their own precision: f32 through f64 would round twice.
        Primitive::F32 => put!(float::<f32>(text, p)?),
        Primitive::F64 => put!(float::<f64>(text, p)?),
    }
    Ok(())
}

fn float<F: std::str::FromStr + Into<f64> + Copy>(text: &str, p: Primitive) -> Result<F, String> {
    let v: F = text
        .parse()
        .map_err(|_| format!("{text:?} is not a number"))?;
    if v.into().is_infinite() && !text.to_ascii_lowercase().contains("inf") {
        return Err(format!("{text} is out of range for {}", p.name()));
    }
    Ok(v)
}

/// Why `text` is not an integer of type `p`: out of range, not an
/// integer, or not a number at all.
fn int_error(text: &str, p: Primitive, lo: i128, hi: i128) -> String {
    match text.parse::<i128>() {
        Ok(v) => format!("{v} is out of range for {} ({lo}..={hi})", p.name()),
        Err(_) if text.parse::<f64>().is_ok() => {
            format!(
                "{text:?} is not an integer, and {} holds integers",
                p.name()
            )
        }
        Err(_) => format!("{text:?} is not a number"),
    }
}

/// Parses a JSON value as an element of `field` into `record`.
pub fn parse_json_into(
    field: &Field,
    element: u64,
    v: &serde_json::Value,
    record: &mut [u8],
) -> Result<(), String> {
    match v {
        serde_json::Value::Number(n) => parse_into(field, element, &n.to_string(), record),
        // Non-finite floats, which JSON cannot write as numbers.
        serde_json::Value::String(s)
            if matches!(field.primitive(), Primitive::F32 | Primitive::F64) =>
        {
            parse_into(field, element, s, record)
        }
        other => Err(format!("{other} is not a number")),
    }
}

/// An element as JSON: a number, or a string for non-finite floats.
pub fn json_value(v: Value) -> serde_json::Value {
    use serde_json::Value as J;
    let float = |f: f64, text: String| {
        if f.is_finite() {
            // Parse the shortest text back so f32 values stay short (0.1, not 0.10000000149).
            serde_json::from_str::<J>(&text).unwrap_or(J::String(text))
        } else {
            J::String(text)
        }
    };
    match v {
        Value::U8(x) => J::from(x),
        Value::I8(x) => J::from(x),
        Value::U16(x) => J::from(x),
        Value::I16(x) => J::from(x),
        Value::U32(x) => J::from(x),
        Value::I32(x) => J::from(x),
        Value::U64(x) => J::from(x),
        Value::I64(x) => J::from(x),
        Value::F32(x) => float(f64::from(x), x.to_string()),
        Value::F64(x) => float(x, x.to_string()),
    }
}

/// The numpy dtype that reads these records, as Python source.
pub fn numpy_dtype(schema: &Schema) -> String {
    let code = |f: &Field| {
        let c = match f.primitive() {
            Primitive::U8 => "u1",
            Primitive::I8 => "i1",
            Primitive::U16 => "u2",
            Primitive::I16 => "i2",
            Primitive::U32 => "u4",
            Primitive::I32 => "i4",
            Primitive::U64 => "u8",
            Primitive::I64 => "i8",
            Primitive::F32 => "f4",
            Primitive::F64 => "f8",
        };
        let order = match (f.primitive().size(), f.endian()) {
            (1, _) => "|",
            (_, Endian::Little) => "<",
            (_, Endian::Big) => ">",
        };
        if f.count() == 1 {
            format!("'{order}{c}'")
        } else {
            format!("('{order}{c}', ({},))", f.count())
        }
    };
    let data: Vec<&Field> = schema.fields().iter().filter(|f| !f.is_padding()).collect();
    let names: Vec<String> = data.iter().map(|f| format!("'{}'", f.name())).collect();
    let formats: Vec<String> = data.iter().map(|f| code(f)).collect();
    let offsets: Vec<String> = data.iter().map(|f| f.offset().to_string()).collect();
    format!(
        "np.dtype({{'names': [{}], 'formats': [{}], 'offsets': [{}], 'itemsize': {}}})",
        names.join(", "),
        formats.join(", "),
        offsets.join(", "),
        schema.stride()
    )
}
