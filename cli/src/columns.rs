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

/// Formats one element as text.
pub fn format_value(v: Value) -> String {
    v.to_string()
}

/// The element of `column` in `record`.
pub fn value(schema: &Schema, column: &Column, record: &[u8]) -> Value {
    let f = &schema.fields()[column.field];
    f.values(record)
        .nth(column.element as usize)
        .expect("records are whole")
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
    let bytes: Vec<u8> = match p {
        Primitive::F32 | Primitive::F64 => {
            let v: f64 = text
                .parse()
                .map_err(|_| format!("{text:?} is not a number"))?;
            if p == Primitive::F32 {
                let narrowed = v as f32;
                if narrowed.is_infinite() && v.is_finite() {
                    return Err(format!("{text} is out of range for f32"));
                }
                narrowed.to_le_bytes().to_vec()
            } else {
                v.to_le_bytes().to_vec()
            }
        }
        _ => {
            let v: i128 = text.parse().map_err(|_| {
                if text.parse::<f64>().is_ok() {
                    format!(
                        "{text:?} is not an integer, and {} holds integers",
                        p.name()
                    )
                } else {
                    format!("{text:?} is not a number")
                }
            })?;
            int_bytes(p, v)?
        }
    };
    store(field, element, bytes, record);
    Ok(())
}

/// Parses a JSON value as an element of `field` into `record`.
pub fn parse_json_into(
    field: &Field,
    element: u64,
    v: &serde_json::Value,
    record: &mut [u8],
) -> Result<(), String> {
    match v {
        serde_json::Value::Number(n) => {
            let p = field.primitive();
            let bytes = match p {
                Primitive::F32 | Primitive::F64 => {
                    return parse_into(field, element, &n.to_string(), record)
                }
                _ => {
                    let i = n
                        .as_i64()
                        .map(i128::from)
                        .or(n.as_u64().map(i128::from))
                        .ok_or_else(|| {
                            format!("{n} is not an integer, and {} holds integers", p.name())
                        })?;
                    int_bytes(p, i)?
                }
            };
            store(field, element, bytes, record);
            Ok(())
        }
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

fn int_bytes(p: Primitive, v: i128) -> Result<Vec<u8>, String> {
    let range = |lo: i128, hi: i128| {
        if v < lo || v > hi {
            Err(format!(
                "{v} is out of range for {} ({lo}..={hi})",
                p.name()
            ))
        } else {
            Ok(())
        }
    };
    Ok(match p {
        Primitive::U8 => range(0, u8::MAX.into()).map(|_| vec![v as u8])?,
        Primitive::I8 => {
            range(i8::MIN.into(), i8::MAX.into()).map(|_| (v as i8).to_le_bytes().to_vec())?
        }
        Primitive::U16 => range(0, u16::MAX.into()).map(|_| (v as u16).to_le_bytes().to_vec())?,
        Primitive::I16 => {
            range(i16::MIN.into(), i16::MAX.into()).map(|_| (v as i16).to_le_bytes().to_vec())?
        }
        Primitive::U32 => range(0, u32::MAX.into()).map(|_| (v as u32).to_le_bytes().to_vec())?,
        Primitive::I32 => {
            range(i32::MIN.into(), i32::MAX.into()).map(|_| (v as i32).to_le_bytes().to_vec())?
        }
        Primitive::U64 => range(0, u64::MAX.into()).map(|_| (v as u64).to_le_bytes().to_vec())?,
        Primitive::I64 => {
            range(i64::MIN.into(), i64::MAX.into()).map(|_| (v as i64).to_le_bytes().to_vec())?
        }
        Primitive::F32 | Primitive::F64 => unreachable!("floats are parsed apart"),
    })
}

/// Writes a little-endian element into its place, in the field's byte order.
fn store(field: &Field, element: u64, mut le: Vec<u8>, record: &mut [u8]) {
    if field.endian() == Endian::Big {
        le.reverse();
    }
    let size = field.primitive().size();
    let at = (field.offset() + element * size) as usize;
    record[at..at + size as usize].copy_from_slice(&le);
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
