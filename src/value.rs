//! Field values decoded from raw record bytes through a schema, for tools
//! that read a store without its Rust type.

use std::fmt;

use crate::schema::{Endian, Field, Primitive};

/// One element of a field, decoded.
#[derive(Debug, Clone, Copy, PartialEq)]
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
}

impl Value {
    /// Decodes one element of `primitive` from `bytes` (exactly its size).
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
    /// is too short).
    pub fn values<'r>(&self, record: &'r [u8]) -> impl Iterator<Item = Value> + 'r {
        let (primitive, endian) = (self.primitive(), self.endian());
        self.bytes(record)
            .unwrap_or(&[])
            .chunks_exact(primitive.size() as usize)
            .filter_map(move |b| Value::decode(primitive, endian, b))
    }
}
