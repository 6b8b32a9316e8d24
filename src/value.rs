//! Field values decoded from raw record bytes through a schema, for tools
//! that read a store without its Rust type.

use std::fmt;

use crate::schema::{Endian, Field, Primitive};

/// One element of a field, decoded (a text field is one element: all of it).
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A `u8` element.
    U8(u8),
    /// An `i8` element.
    I8(i8),
    /// A `u16` element.
    U16(u16),
    /// An `i16` element.
    I16(i16),
    /// A `u32` element.
    U32(u32),
    /// An `i32` element.
    I32(i32),
    /// A `u64` element.
    U64(u64),
    /// An `i64` element.
    I64(i64),
    /// An `f32` element.
    F32(f32),
    /// An `f64` element.
    F64(f64),
    /// A `bool` element holding 0 or 1.
    Bool(bool),
    /// A `bool` element holding any other byte: shown as `invalid:0xNN`.
    InvalidBool(u8),
    /// A text field: its text, without the NUL padding.
    Text(String),
    /// A text field whose bytes are not UTF-8 text followed by NUL padding
    /// (a byte sequence that is not UTF-8, or a NUL followed by something
    /// else): its bytes without the trailing NULs, shown as
    /// `invalid:"…"` with the bytes that are not text escaped.
    InvalidText(Vec<u8>),
}

/// The text a text field's bytes hold: the bytes before the trailing NULs,
/// if they are UTF-8 and hold no NUL themselves; else the bytes (without
/// the trailing NULs) as the error.
pub fn decode_text(bytes: &[u8]) -> Result<&str, &[u8]> {
    let end = bytes.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
    let text = &bytes[..end];
    match std::str::from_utf8(text) {
        Ok(s) if !s.contains('\0') => Ok(s),
        _ => Err(text),
    }
}

impl Value {
    /// Decodes one element of `primitive` from `bytes` (exactly its size;
    /// for [`Primitive::Text`], the whole field).
    pub fn decode(primitive: Primitive, endian: Endian, bytes: &[u8]) -> Option<Value> {
        fn arr<const N: usize>(b: &[u8], endian: Endian) -> Option<[u8; N]> {
            let mut a: [u8; N] = b.try_into().ok()?;
            if endian == Endian::Big {
                a.reverse();
            }
            Some(a)
        }
        Some(match primitive {
            Primitive::U8 => Value::U8(u8::from_le_bytes(arr(bytes, endian)?)),
            Primitive::I8 => Value::I8(i8::from_le_bytes(arr(bytes, endian)?)),
            Primitive::U16 => Value::U16(u16::from_le_bytes(arr(bytes, endian)?)),
            Primitive::I16 => Value::I16(i16::from_le_bytes(arr(bytes, endian)?)),
            Primitive::U32 => Value::U32(u32::from_le_bytes(arr(bytes, endian)?)),
            Primitive::I32 => Value::I32(i32::from_le_bytes(arr(bytes, endian)?)),
            Primitive::U64 => Value::U64(u64::from_le_bytes(arr(bytes, endian)?)),
            Primitive::I64 => Value::I64(i64::from_le_bytes(arr(bytes, endian)?)),
            Primitive::F32 => Value::F32(f32::from_le_bytes(arr(bytes, endian)?)),
            Primitive::F64 => Value::F64(f64::from_le_bytes(arr(bytes, endian)?)),
            Primitive::Bool => match bytes {
                [0] => Value::Bool(false),
                [1] => Value::Bool(true),
                &[b] => Value::InvalidBool(b),
                _ => return None,
            },
            Primitive::Text => match decode_text(bytes) {
                Ok(s) => Value::Text(s.to_string()),
                Err(b) => Value::InvalidText(b.to_vec()),
            },
        })
    }
}

impl fmt::Display for Value {
    /// Numbers as text that reads back to the same bits: integers in
    /// decimal, finite floats as the shortest decimal that parses back to
    /// the same value of their own type, `inf` and `-inf`, `NaN` for the
    /// usual quiet NaN and `NaN:0x…` with every bit in hex for any other
    /// NaN (sign and payload), e.g. `NaN:0x7ff8000000000001`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::U8(v) => write!(f, "{v}"),
            Value::I8(v) => write!(f, "{v}"),
            Value::U16(v) => write!(f, "{v}"),
            Value::I16(v) => write!(f, "{v}"),
            Value::U32(v) => write!(f, "{v}"),
            Value::I32(v) => write!(f, "{v}"),
            Value::U64(v) => write!(f, "{v}"),
            Value::I64(v) => write!(f, "{v}"),
            Value::F32(v) if v.is_nan() && v.to_bits() != f32::NAN.to_bits() => {
                write!(f, "NaN:{:#010x}", v.to_bits())
            }
            Value::F64(v) if v.is_nan() && v.to_bits() != f64::NAN.to_bits() => {
                write!(f, "NaN:{:#018x}", v.to_bits())
            }
            Value::F32(v) => write!(f, "{v}"),
            Value::F64(v) => write!(f, "{v}"),
            Value::Bool(v) => write!(f, "{v}"),
            Value::InvalidBool(b) => write!(f, "invalid:{b:#04x}"),
            Value::Text(s) => f.write_str(s),
            Value::InvalidText(bytes) => {
                f.write_str("invalid:\"")?;
                for chunk in bytes.utf8_chunks() {
                    for c in chunk.valid().chars() {
                        write!(f, "{}", c.escape_debug())?;
                    }
                    for b in chunk.invalid() {
                        write!(f, "\\x{b:02x}")?;
                    }
                }
                f.write_str("\"")
            }
        }
    }
}

impl Field {
    /// This field's bytes within `record` (`None` if the record is too short).
    pub fn bytes<'r>(&self, record: &'r [u8]) -> Option<&'r [u8]> {
        let start = usize::try_from(self.offset()).ok()?;
        let len = usize::try_from(self.len()).ok()?;
        record.get(start..start.checked_add(len)?)
    }

    /// This field's elements within `record`, decoded (empty if the record
    /// is too short); a text field is one element.
    pub fn values<'r>(&self, record: &'r [u8]) -> impl Iterator<Item = Value> + 'r {
        let (primitive, endian) = (self.primitive(), self.endian());
        let bytes = self.bytes(record).unwrap_or(&[]);
        let chunk = if self.is_text() {
            bytes.len().max(1)
        } else {
            primitive.size() as usize
        };
        bytes
            .chunks_exact(chunk)
            .filter_map(move |b| Value::decode(primitive, endian, b))
    }
}
