//! Schemas to and from plain Python values.
//!
//! A schema crosses the boundary as a dict: `name`, `size`, `align`,
//! `stride`, `fingerprint` and `fields`, a list of tuples
//! `(name, type, endian, count, offset, padding)` with `type` a Rust
//! primitive name (`"f32"`) and `endian` `"<"` or `">"`. `recstore/_dtype.py`
//! turns it into a numpy dtype and back.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use recstore::{Endian, Field, Primitive, Schema};

/// One field as it crosses the boundary.
pub type FieldTuple = (String, String, String, u64, u64, bool);

/// `schema` as a dict.
pub fn to_dict<'py>(py: Python<'py>, schema: &Schema) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("name", schema.name())?;
    d.set_item("size", schema.size())?;
    d.set_item("align", schema.align())?;
    d.set_item("stride", schema.stride())?;
    d.set_item("fingerprint", schema.fingerprint())?;
    let fields: Vec<FieldTuple> = schema
        .fields()
        .iter()
        .map(|f| {
            (
                f.name().to_string(),
                f.primitive().name().to_string(),
                if f.endian() == Endian::Big { ">" } else { "<" }.to_string(),
                f.count(),
                f.offset(),
                f.is_padding(),
            )
        })
        .collect();
    d.set_item("fields", fields)?;
    Ok(d)
}

/// A schema from its parts; the library validates it when a store is
/// created.
pub fn from_parts(
    name: String,
    size: u64,
    align: u64,
    fields: Vec<FieldTuple>,
) -> PyResult<Schema> {
    let mut out = Vec::with_capacity(fields.len());
    for (fname, ty, endian, count, offset, padding) in fields {
        if padding {
            out.push(Field::padding(fname, count, offset));
            continue;
        }
        let primitive = Primitive::ALL
            .into_iter()
            .find(|p| p.name() == ty)
            .ok_or_else(|| {
                PyValueError::new_err(format!(
                    "field {fname:?} has type {ty:?}; recstore stores u8, i8, u16, i16, u32, i32, u64, i64, f32, f64, bool and text"
                ))
            })?;
        let endian = match endian.as_str() {
            "<" => Endian::Little,
            ">" => Endian::Big,
            other => {
                return Err(PyValueError::new_err(format!(
                    "field {fname:?} has byte order {other:?}; use \"<\" or \">\""
                )))
            }
        };
        out.push(Field::new(fname, primitive, endian, count, offset));
    }
    Ok(Schema::new(name, size, align, out))
}
