//! One element of a field: read and written in its byte order, and
//! converted between element types only when no information is lost.

use std::fmt;

use recstore::{Endian, Primitive};

/// An element's value, wide enough for every primitive.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Num {
    Int(i128),
    Float(f64),
}

impl fmt::Display for Num {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Num::Int(i) => write!(f, "{i}"),
            Num::Float(x) => write!(f, "{x}"),
        }
    }
}

/// A Rust element type of a field, tied to its Arrow type.
pub(crate) trait Elem: arrow_buffer::ArrowNativeType {
    /// The recstore primitive.
    const PRIMITIVE: Primitive;
    /// The Arrow primitive type whose native type this is.
    type Arrow: arrow_array::ArrowPrimitiveType<Native = Self>;
    /// The value, widened.
    fn num(self) -> Num;
    /// Reads the element from exactly its size of bytes.
    fn read(big: bool, bytes: &[u8]) -> Self;
    /// Writes the element into exactly its size of bytes.
    fn write(self, big: bool, out: &mut [u8]);
}

macro_rules! elem {
    ($($t:ty => $prim:ident, $arrow:ident, $num:ident;)*) => {$(
        impl Elem for $t {
            const PRIMITIVE: Primitive = Primitive::$prim;
            type Arrow = arrow_array::types::$arrow;
            #[inline]
            fn num(self) -> Num {
                Num::$num(self.into())
            }
            #[inline]
            fn read(big: bool, bytes: &[u8]) -> Self {
                let b = bytes.try_into().expect("exactly one element");
                if big { <$t>::from_be_bytes(b) } else { <$t>::from_le_bytes(b) }
            }
            #[inline]
            fn write(self, big: bool, out: &mut [u8]) {
                let b = if big { self.to_be_bytes() } else { self.to_le_bytes() };
                out.copy_from_slice(&b);
            }
        }
    )*};
}

elem! {
    u8 => U8, UInt8Type, Int;
    i8 => I8, Int8Type, Int;
    u16 => U16, UInt16Type, Int;
    i16 => I16, Int16Type, Int;
    u32 => U32, UInt32Type, Int;
    i32 => I32, Int32Type, Int;
    u64 => U64, UInt64Type, Int;
    i64 => I64, Int64Type, Int;
    f32 => F32, Float32Type, Float;
    f64 => F64, Float64Type, Float;
}

/// Runs `$body` with `$T` the element type of primitive `$p`.
macro_rules! with_elem {
    ($p:expr, $T:ident => $body:expr) => {
        match $p {
            recstore::Primitive::U8 => {
                type $T = u8;
                $body
            }
            recstore::Primitive::I8 => {
                type $T = i8;
                $body
            }
            recstore::Primitive::U16 => {
                type $T = u16;
                $body
            }
            recstore::Primitive::I16 => {
                type $T = i16;
                $body
            }
            recstore::Primitive::U32 => {
                type $T = u32;
                $body
            }
            recstore::Primitive::I32 => {
                type $T = i32;
                $body
            }
            recstore::Primitive::U64 => {
                type $T = u64;
                $body
            }
            recstore::Primitive::I64 => {
                type $T = i64;
                $body
            }
            recstore::Primitive::F32 => {
                type $T = f32;
                $body
            }
            recstore::Primitive::F64 => {
                type $T = f64;
                $body
            }
            // Never reached: bool and text fields are gathered, scattered
            // and converted by their own code (`mapping`, `npy::convert`).
            recstore::Primitive::Bool | recstore::Primitive::Text => {
                type $T = u8;
                $body
            }
        }
    };
}
pub(crate) use with_elem;

/// Reads one element of primitive `p` from `bytes` (exactly its size).
pub(crate) fn read(p: Primitive, endian: Endian, bytes: &[u8]) -> Num {
    let big = endian == Endian::Big;
    with_elem!(p, T => T::read(big, bytes).num())
}

/// Writes `v` as an element of primitive `p` into `out` (exactly its size),
/// or says why it cannot be stored without loss.
pub(crate) fn write(p: Primitive, endian: Endian, v: Num, out: &mut [u8]) -> Result<(), String> {
    let big = endian == Endian::Big;
    match p {
        Primitive::U8 => int::<u8>(v, p)?.write(big, out),
        Primitive::I8 => int::<i8>(v, p)?.write(big, out),
        Primitive::U16 => int::<u16>(v, p)?.write(big, out),
        Primitive::I16 => int::<i16>(v, p)?.write(big, out),
        Primitive::U32 => int::<u32>(v, p)?.write(big, out),
        Primitive::I32 => int::<i32>(v, p)?.write(big, out),
        Primitive::U64 => int::<u64>(v, p)?.write(big, out),
        Primitive::I64 => int::<i64>(v, p)?.write(big, out),
        Primitive::F32 => to_f32(v)?.write(big, out),
        Primitive::F64 => to_f64(v)?.write(big, out),
        Primitive::Bool | Primitive::Text => {
            return Err(format!("{} fields are not supported here", p.name()))
        }
    }
    Ok(())
}

fn int<T: TryFrom<i128>>(v: Num, p: Primitive) -> Result<T, String> {
    let i = match v {
        Num::Int(i) => i,
        // Integral floats well inside i128 convert exactly.
        Num::Float(f) if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e38 => f as i128,
        Num::Float(f) => {
            return Err(format!(
                "{f} is not an integer, and {} holds integers",
                p.name()
            ))
        }
    };
    T::try_from(i).map_err(|_| format!("{v} is out of range for {}", p.name()))
}

fn to_f64(v: Num) -> Result<f64, String> {
    match v {
        Num::Float(f) => Ok(f),
        Num::Int(i) => {
            let f = i as f64;
            if f as i128 == i {
                Ok(f)
            } else {
                Err(format!("{i} cannot be stored in f64 without rounding"))
            }
        }
    }
}

fn to_f32(v: Num) -> Result<f32, String> {
    let exact = match v {
        Num::Float(f) => {
            let x = f as f32;
            (f64::from(x) == f || f.is_nan()).then_some(x)
        }
        Num::Int(i) => {
            let x = i as f32;
            (x as i128 == i).then_some(x)
        }
    };
    exact.ok_or_else(|| format!("{v} cannot be stored in f32 without rounding"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put(p: Primitive, v: Num) -> Result<Vec<u8>, String> {
        let mut out = vec![0; p.size() as usize];
        write(p, Endian::Little, v, &mut out).map(|()| out)
    }

    #[test]
    fn lossless_conversions_pass() {
        assert_eq!(put(Primitive::U8, Num::Int(255)).unwrap(), [255]);
        assert_eq!(
            put(Primitive::I16, Num::Float(-3.0)).unwrap(),
            (-3i16).to_le_bytes()
        );
        assert_eq!(
            put(Primitive::F32, Num::Float(0.5)).unwrap(),
            0.5f32.to_le_bytes()
        );
        assert_eq!(
            put(Primitive::F32, Num::Int(1 << 24)).unwrap(),
            16777216f32.to_le_bytes()
        );
        assert_eq!(
            put(Primitive::F64, Num::Int(-(1 << 53))).unwrap(),
            (-(2f64.powi(53))).to_le_bytes()
        );
        assert!(put(Primitive::F32, Num::Float(f64::NAN)).is_ok());
        assert!(put(Primitive::F32, Num::Float(f64::INFINITY)).is_ok());
    }

    #[test]
    fn lossy_conversions_are_refused() {
        let e = put(Primitive::U8, Num::Int(256)).unwrap_err();
        assert_eq!(e, "256 is out of range for u8");
        assert!(put(Primitive::U32, Num::Int(-1))
            .unwrap_err()
            .contains("out of range"));
        assert!(put(Primitive::I32, Num::Float(1.5))
            .unwrap_err()
            .contains("not an integer"));
        assert!(put(Primitive::F32, Num::Float(0.1))
            .unwrap_err()
            .contains("rounding"));
        assert!(put(Primitive::F32, Num::Float(1e300))
            .unwrap_err()
            .contains("rounding"));
        assert!(put(Primitive::F32, Num::Int((1 << 24) + 1))
            .unwrap_err()
            .contains("rounding"));
        assert!(put(Primitive::F64, Num::Int(u64::MAX.into()))
            .unwrap_err()
            .contains("rounding"));
    }

    #[test]
    fn byte_order_is_kept() {
        let mut out = [0; 4];
        write(Primitive::U32, Endian::Big, Num::Int(1), &mut out).unwrap();
        assert_eq!(out, [0, 0, 0, 1]);
        assert_eq!(read(Primitive::U32, Endian::Big, &out).to_string(), "1");
    }
}
