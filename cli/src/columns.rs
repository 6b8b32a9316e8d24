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
        for e in 0..f.elements() {
            let name = if f.elements() == 1 {
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
    /// Element `element` of `field` (a text field has one: all of it).
    pub fn new(field: &Field, element: u64) -> Slot {
        let size = field.primitive().size();
        Slot {
            primitive: field.primitive(),
            endian: field.endian(),
            at: (field.offset() + element * size) as usize,
            size: if field.is_text() {
                field.len() as usize
            } else {
                size as usize
            },
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
///
/// Integers are decimal (`-0` is 0 for every type); floats are anything
/// Rust's parser reads (`1e-3`, `inf`, `-inf`, `NaN`), read at their own
/// precision, plus `NaN:0x…` for a NaN with a given sign and payload (the
/// bits in hex, as [`Value`]'s `Display` writes it). Error messages quote
/// the text (at most [`QUOTE_MAX`] characters of it) as it was written.
///
/// A bool is `true`, `false`, `1` or `0` (nothing else: not `yes`, not
/// `2`). A text field takes `text` as it is, untrimmed, NUL-padded to its
/// room; a text longer than the room is refused, never cut.
pub fn parse_into(
    field: &Field,
    element: u64,
    text: &str,
    record: &mut [u8],
) -> Result<(), String> {
    let p = field.primitive();
    let at = (field.offset() + element * p.size()) as usize;
    if field.is_text() {
        let room = &mut record[at..at + field.len() as usize];
        return encode_text(text, room).map_err(|m| format!("{}: {m}", quote(text)));
    }
    let text = text.trim();
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
            put!(match text.parse::<$t>() {
                Ok(v) => v,
                // `-0`, which Rust refuses for unsigned types, is 0.
                Err(_) if text.parse::<i128>() == Ok(0) => 0,
                Err(_) => {
                    return Err(int_error(text, p, <$t>::MIN as i128, <$t>::MAX as i128));
                }
            })
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
        Primitive::F32 => put!(parse_f32(text)?),
        Primitive::F64 => put!(parse_f64(text)?),
        Primitive::Bool => {
            record[at] = match text {
                "true" | "1" => 1,
                "false" | "0" => 0,
                _ => {
                    return Err(format!(
                        "{} is not a bool: write true, false, 1 or 0",
                        quote(text)
                    ))
                }
            }
        }
        Primitive::Text => unreachable!("text fields are handled above"),
    }
    Ok(())
}

/// Writes `text` into a text field's `room` (its bytes), NUL-padded; the
/// error ([`recstore::Error::TextDoesNotFit`]'s message) says why it
/// cannot: a NUL in the text (NUL marks its end), or more bytes than the
/// room (never cut, so never cut inside a character).
fn encode_text(text: &str, room: &mut [u8]) -> Result<(), String> {
    let (len, nul) = (text.len(), text.contains('\0'));
    if nul || len > room.len() {
        return Err(recstore::Error::TextDoesNotFit {
            len,
            room: room.len(),
            nul,
        }
        .to_string());
    }
    room[..len].copy_from_slice(text.as_bytes());
    room[len..].fill(0);
    Ok(())
}

macro_rules! float_parser {
    ($name:ident, $t:ty, $bits:ty, $prim:literal) => {
        /// Parses a float as [`parse_into`] does.
        pub fn $name(text: &str) -> Result<$t, String> {
            if let Some(hex) = nan_bits(text) {
                return <$bits>::from_str_radix(hex, 16)
                    .ok()
                    .map(<$t>::from_bits)
                    .filter(|v| v.is_nan())
                    .ok_or_else(|| {
                        format!(
                            "{} is not a NaN of {}: after `NaN:0x` come the {} bits in hex, \
                             with every exponent bit set and a fraction that is not zero",
                            quote(text),
                            $prim,
                            <$bits>::BITS
                        )
                    });
            }
            let v: $t = text
                .parse()
                .map_err(|_| format!("{} is not a number", quote(text)))?;
            if v.is_infinite() && !text.to_ascii_lowercase().contains("inf") {
                return Err(format!("{} is out of range for {}", quote(text), $prim));
            }
            Ok(v)
        }
    };
}
float_parser!(parse_f32, f32, u32, "f32");
float_parser!(parse_f64, f64, u64, "f64");

/// The hex digits of `NaN:0x…` (any case), if `text` is written so.
fn nan_bits(text: &str) -> Option<&str> {
    let head = text.get(..6)?;
    head.eq_ignore_ascii_case("nan:0x").then(|| &text[6..])
}

/// The most characters of a bad input an error message quotes.
pub const QUOTE_MAX: usize = 40;

/// `text` quoted for an error message: whole if short, else its first
/// [`QUOTE_MAX`] characters and its length, so that a huge bad cell does
/// not make a huge error.
pub fn quote(text: &str) -> String {
    match text.char_indices().nth(QUOTE_MAX) {
        None => format!("{text:?}"),
        Some((cut, _)) => format!("{:?}… ({} bytes)", &text[..cut], text.len()),
    }
}

/// Why `text` is not an integer of type `p`: out of range, not an
/// integer, or not a number at all.
fn int_error(text: &str, p: Primitive, lo: i128, hi: i128) -> String {
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        format!(
            "{} is out of range for {} ({lo}..={hi})",
            quote(text),
            p.name()
        )
    } else if text.parse::<f64>().is_ok() {
        format!(
            "{} is not an integer, and {} holds integers",
            quote(text),
            p.name()
        )
    } else {
        format!("{} is not a number", quote(text))
    }
}

/// Parses one JSON value, as its text, as an element of `field` into
/// `record`: a number (read from the digits as written, so nothing is
/// rounded on the way), or for a float field a string holding what
/// [`parse_into`] reads (`"inf"`, `"NaN:0x…"`, which JSON numbers cannot
/// say).
pub fn parse_json_into(
    field: &Field,
    element: u64,
    v: &serde_json::value::RawValue,
    record: &mut [u8],
) -> Result<(), String> {
    let text = v.get();
    match (field.primitive(), text) {
        (Primitive::Bool, "true" | "false") => return parse_into(field, element, text, record),
        (Primitive::Bool, _)
            if !text.starts_with(['-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9']) =>
        {
            return Err(format!(
                "{} is not a bool: write true, false, 1 or 0",
                quote(text)
            ))
        }
        (Primitive::Text, _) => {
            return match serde_json::from_str::<String>(text) {
                Ok(s) => parse_into(field, element, &s, record),
                Err(_) => Err(format!("{} is not a string", quote(text))),
            }
        }
        _ => {}
    }
    match text.as_bytes().first() {
        Some(b'-' | b'0'..=b'9') => parse_into(field, element, text, record),
        Some(b'"') if matches!(field.primitive(), Primitive::F32 | Primitive::F64) => {
            let s: String = serde_json::from_str(text).map_err(|e| e.to_string())?;
            parse_into(field, element, &s, record)
        }
        _ => Err(format!("{} is not a number", quote(text))),
    }
}

/// An element as JSON: a number, or a string for non-finite floats
/// (`"inf"`, `"-inf"`, `"NaN"`, `"NaN:0x…"`); `true`/`false` for a bool
/// (a string `"invalid:0xNN"` for another byte); a string for a text (its
/// `invalid:"…"` form for bytes that are not text).
///
/// A float is written as the shortest decimal that reads back to the same
/// value *of its own type* (`0.1` for an f32, not `0.10000000149011612`),
/// and kept as that text: serde_json's `arbitrary_precision` feature holds
/// numbers as their text, so no f64 round trip can change a digit.
pub fn json_value(v: Value) -> serde_json::Value {
    use serde_json::Value as J;
    let float = |finite: bool, text: String| {
        if finite {
            text.parse::<serde_json::Number>()
                .map_or(J::String(text), J::Number)
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
        Value::F32(x) => float(x.is_finite(), v.to_string()),
        Value::F64(x) => float(x.is_finite(), v.to_string()),
        Value::Bool(x) => J::Bool(x),
        Value::Text(s) => J::String(s),
        Value::InvalidBool(_) | Value::InvalidText(_) => J::String(v.to_string()),
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
            Primitive::Bool => "b1",
            Primitive::Text => return format!("'|S{}'", f.count()),
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
    let names: Vec<String> = data.iter().map(|f| python_str(f.name())).collect();
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

/// `text` as a Python string literal that parses back to it whatever the
/// text holds: quotes and backslashes escaped, and everything outside
/// printable ASCII written as `\xNN`, `\uNNNN` or `\UNNNNNNNN`, so the
/// line is plain ASCII and survives any terminal or file encoding.
pub fn python_str(text: &str) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(text.len() + 2);
    out.push('\'');
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            ' '..='~' => out.push(c),
            c if (c as u32) < 0x100 => write!(out, "\\x{:02x}", c as u32).expect("a String"),
            c if (c as u32) < 0x10000 => write!(out, "\\u{:04x}", c as u32).expect("a String"),
            c => write!(out, "\\U{:08x}", c as u32).expect("a String"),
        }
    }
    out.push('\'');
    out
}
