//! PLY through `ply-rs-bw`: its header parser and its per-element readers
//! for ascii and both binary byte orders, driven one element at a time here
//! so that every error names the element and its line (ascii) or byte
//! offset (binary), and so that vertices go straight into plain arrays
//! instead of a map per element.

use super::{fan, malformed, Parsed};
use crate::error::{Location, MeshError, Result};
use crate::types::SourceFormat;
use ply_rs_bw::parser::Parser;
use ply_rs_bw::ply::{
    ElementDef, Encoding, Property, PropertyAccess, PropertyAccessResult, PropertyDef,
    PropertyType, ScalarType,
};
use std::io::BufRead;
use std::path::Path;

const POSITION: [&str; 3] = ["x", "y", "z"];
const NORMAL: [&str; 3] = ["nx", "ny", "nz"];
const COLOR: [&str; 3] = ["red", "green", "blue"];
const UV: [[&str; 2]; 3] = [["s", "t"], ["u", "v"], ["texture_u", "texture_v"]];
const INDICES: [&str; 2] = ["vertex_indices", "vertex_index"];

/// A PLY number as f64 (exact for every PLY scalar type).
fn number(p: &Property) -> Option<f64> {
    Some(match *p {
        Property::Char(v) => v.into(),
        Property::UChar(v) => v.into(),
        Property::Short(v) => v.into(),
        Property::UShort(v) => v.into(),
        Property::Int(v) => v.into(),
        Property::UInt(v) => v.into(),
        Property::Float(v) => v.into(),
        Property::Double(v) => v,
        _ => return None,
    })
}

/// A colour channel scaled to 16 bits: 8-bit ×257, 16-bit as is, floats
/// from 0..=1.
fn channel(p: &Property) -> u16 {
    match *p {
        Property::UChar(v) => u16::from(v) * 257,
        Property::UShort(v) => v,
        Property::Float(v) => (f64::from(v) * 65535.0).round().clamp(0.0, 65535.0) as u16,
        Property::Double(v) => (v * 65535.0).round().clamp(0.0, 65535.0) as u16,
        _ => 0,
    }
}

/// One vertex as read: the properties recstore stores.
struct Vertex {
    position: [f64; 3],
    normal: [f32; 3],
    uv: [f32; 2],
    color: [u16; 3],
}

impl PropertyAccess for Vertex {
    fn new() -> Self {
        Vertex {
            position: [0.0; 3],
            normal: [0.0; 3],
            uv: [0.0; 2],
            color: [u16::MAX; 3],
        }
    }

    fn set_property(&mut self, name: &str, p: Property) -> PropertyAccessResult {
        if let Some(axis) = POSITION.iter().position(|&n| n == name) {
            self.position[axis] = number(&p).unwrap_or(f64::NAN);
        } else if let Some(axis) = NORMAL.iter().position(|&n| n == name) {
            self.normal[axis] = number(&p).unwrap_or(f64::NAN) as f32;
        } else if let Some(c) = COLOR.iter().position(|&n| n == name) {
            self.color[c] = channel(&p);
        } else if let Some(k) = UV
            .iter()
            .find_map(|pair| pair.iter().position(|&n| n == name))
        {
            self.uv[k] = number(&p).unwrap_or(f64::NAN) as f32;
        } else {
            return PropertyAccessResult::Ignored;
        }
        PropertyAccessResult::Set
    }
}

/// One face as read: its index list, widened so any PLY int type fits.
struct Face {
    indices: Vec<i64>,
}

impl PropertyAccess for Face {
    fn new() -> Self {
        Face {
            indices: Vec::new(),
        }
    }

    fn set_property(&mut self, name: &str, p: Property) -> PropertyAccessResult {
        if !INDICES.contains(&name) {
            return PropertyAccessResult::Ignored;
        }
        self.indices = match p {
            Property::ListChar(v) => v.into_iter().map(i64::from).collect(),
            Property::ListUChar(v) => v.into_iter().map(i64::from).collect(),
            Property::ListShort(v) => v.into_iter().map(i64::from).collect(),
            Property::ListUShort(v) => v.into_iter().map(i64::from).collect(),
            Property::ListInt(v) => v.into_iter().map(i64::from).collect(),
            Property::ListUInt(v) => v.into_iter().map(i64::from).collect(),
            _ => return PropertyAccessResult::UnsupportedType,
        };
        PropertyAccessResult::Set
    }
}

/// An element nobody stores: read to move past it.
struct Skip;

impl PropertyAccess for Skip {
    fn new() -> Self {
        Skip
    }
}

fn type_name(t: &PropertyType) -> String {
    fn scalar(s: &ScalarType) -> &'static str {
        match s {
            ScalarType::Char => "char",
            ScalarType::UChar => "uchar",
            ScalarType::Short => "short",
            ScalarType::UShort => "ushort",
            ScalarType::Int => "int",
            ScalarType::UInt => "uint",
            ScalarType::Float => "float",
            ScalarType::Double => "double",
        }
    }
    match t {
        PropertyType::Scalar(s) => scalar(s).to_string(),
        PropertyType::List(n, s) => format!("list {} {}", scalar(n), scalar(s)),
    }
}

/// Reads the elements of one kind one at a time, handing each to `each`
/// with its location.
struct Payload<'a> {
    path: &'a Path,
    encoding: Encoding,
    rest: &'a [u8],
    /// Byte offset of `rest` in the file.
    offset: usize,
    /// 1-based line of `rest`'s first byte (ascii).
    line: u64,
}

impl<'a> Payload<'a> {
    fn location(&self) -> Location {
        match self.encoding {
            Encoding::Ascii => Location::Line(self.line),
            _ => Location::Offset(self.offset as u64),
        }
    }

    fn read<E: PropertyAccess>(
        &mut self,
        def: &ElementDef,
        mut each: impl FnMut(usize, E, Location) -> Result<()>,
    ) -> Result<()> {
        let parser = Parser::<E>::new();
        for i in 0..def.count {
            let at = self.location();
            let fail = |message: String| {
                malformed(
                    self.path,
                    SourceFormat::Ply,
                    format!("{} {i}", def.name),
                    at.clone(),
                    message,
                )
            };
            let element = match self.encoding {
                Encoding::Ascii => {
                    let mut line = String::new();
                    let before = self.rest.len();
                    let read = self
                        .rest
                        .read_line(&mut line)
                        .map_err(|e| fail(format!("not text: {e}")))?;
                    if read == 0 {
                        return Err(fail(format!(
                            "the file ends after {i} of the header's {} {} elements (truncated?)",
                            def.count, def.name
                        )));
                    }
                    self.offset += before - self.rest.len();
                    self.line += 1;
                    let element = parser
                        .read_ascii_element(&line, def)
                        .map_err(|e| fail(one_line(&e.to_string())))?;
                    check_value_count(&line, def).map_err(fail)?;
                    element
                }
                Encoding::BinaryLittleEndian | Encoding::BinaryBigEndian => {
                    let before = self.rest.len();
                    let element = if self.encoding == Encoding::BinaryBigEndian {
                        parser.read_big_endian_element(&mut self.rest, def)
                    } else {
                        parser.read_little_endian_element(&mut self.rest, def)
                    };
                    let element = element.map_err(|e| {
                        if e.kind() == std::io::ErrorKind::UnexpectedEof {
                            fail(format!(
                                "the file ends inside {} {i} of the header's {} (truncated?)",
                                def.name, def.count
                            ))
                        } else {
                            fail(one_line(&e.to_string()))
                        }
                    })?;
                    self.offset += before - self.rest.len();
                    element
                }
            };
            each(i, element, at)?;
        }
        Ok(())
    }
}

/// Checks that an ascii element line holds no more values than its
/// properties take: `ply-rs-bw` reads what it needs and ignores the rest,
/// which would hide a header that does not match its data.
fn check_value_count(line: &str, def: &ElementDef) -> std::result::Result<(), String> {
    let values: Vec<&str> = line.split_ascii_whitespace().collect();
    let mut needed = 0usize;
    for p in def.properties.values() {
        needed = match p.data_type {
            PropertyType::Scalar(_) => needed + 1,
            PropertyType::List(..) => {
                // The crate has read this list, so its length is a number.
                let Some(n) = values.get(needed).and_then(|w| w.parse::<usize>().ok()) else {
                    return Ok(());
                };
                needed.saturating_add(1).saturating_add(n)
            }
        };
    }
    match values.get(needed..) {
        Some(extra) if !extra.is_empty() => {
            const SHOWN: usize = 4;
            let mut shown = extra[..extra.len().min(SHOWN)].join(" ");
            if extra.len() > SHOWN {
                shown.push_str(" ...");
            }
            Err(format!(
                "{} values where the header's properties take {needed}; \"{shown}\" is left over \
                 (the header does not describe this line)",
                values.len()
            ))
        }
        _ => Ok(()),
    }
}

/// The fewest bytes one element can take: its scalars and list lengths in
/// binary, a digit and a separator per property in ascii.
fn min_len(def: &ElementDef, encoding: Encoding) -> usize {
    let size = |s: &ScalarType| match s {
        ScalarType::Char | ScalarType::UChar => 1,
        ScalarType::Short | ScalarType::UShort => 2,
        ScalarType::Int | ScalarType::UInt | ScalarType::Float => 4,
        ScalarType::Double => 8,
    };
    let len = match encoding {
        Encoding::Ascii => 2 * def.properties.len(),
        _ => def
            .properties
            .values()
            .map(|p| match &p.data_type {
                PropertyType::Scalar(s) | PropertyType::List(s, _) => size(s),
            })
            .sum(),
    };
    len.max(1)
}

/// The crate's messages quote the line over several lines; keep one.
fn one_line(message: &str) -> String {
    message.split_whitespace().collect::<Vec<_>>().join(" ")
}

pub(crate) fn parse(path: &Path, bytes: &[u8]) -> Result<Parsed> {
    let header_error = |line: Option<usize>, message: String| {
        malformed(
            path,
            SourceFormat::Ply,
            "header",
            line.map_or(Location::Unknown, |l| Location::Line(l as u64)),
            message,
        )
    };
    let mut reader = ply_rs_bw::parser::Reader::new(bytes);
    let header = Parser::<Skip>::new()
        .read_header(&mut reader)
        .map_err(|e| header_error(e.line(), one_line(&e.to_string())))?;
    let rest: &[u8] = reader.get_ref();
    let header_len = bytes.len() - rest.len();
    let header_lines = bytes[..header_len].iter().filter(|&&b| b == b'\n').count() as u64;

    let Some(vertex_def) = header.elements.get("vertex") else {
        return Err(header_error(
            None,
            "no 'vertex' element: nothing to import".into(),
        ));
    };
    let unsupported =
        |element: &str, name: &str, t: &PropertyType, needs: &str| MeshError::Unsupported {
            path: path.to_path_buf(),
            message: format!(
                "{element} property '{name}' has type '{}'; recstore needs {needs}",
                type_name(t)
            ),
        };
    let mut parsed = Parsed::default();
    let has = |names: &[&str]| names.iter().all(|n| vertex_def.properties.contains_key(*n));
    for axis in POSITION {
        if !has(&[axis]) {
            return Err(header_error(
                None,
                format!("element 'vertex' has no property '{axis}'"),
            ));
        }
    }
    let has_normal = has(&NORMAL);
    let has_color = has(&COLOR);
    let has_uv = UV.iter().any(|pair| has(pair));
    for (name, def) in &vertex_def.properties {
        let known = POSITION.contains(&name.as_str())
            || (has_normal && NORMAL.contains(&name.as_str()))
            || (has_uv && UV.iter().any(|pair| pair.contains(&name.as_str())))
            || (has_color && COLOR.contains(&name.as_str()));
        if known {
            match (&def.data_type, COLOR.contains(&name.as_str())) {
                (PropertyType::List(..), _) => {
                    return Err(unsupported(
                        "vertex",
                        name,
                        &def.data_type,
                        "a scalar number",
                    ))
                }
                (
                    PropertyType::Scalar(
                        ScalarType::Char | ScalarType::Short | ScalarType::Int | ScalarType::UInt,
                    ),
                    true,
                ) => {
                    return Err(unsupported(
                        "vertex",
                        name,
                        &def.data_type,
                        "uchar, ushort, float or double colours",
                    ))
                }
                _ => {}
            }
        } else {
            parsed.ignored.push(format!(
                "vertex property '{name}' ({})",
                type_name(&def.data_type)
            ));
        }
    }
    let face_def = header.elements.get("face");
    if let Some(face_def) = face_def {
        let index = INDICES
            .iter()
            .find_map(|n| face_def.properties.get(*n).map(|p| (n, p)));
        match index {
            None => {
                return Err(header_error(
                    None,
                    "element 'face' has no 'vertex_indices' property".into(),
                ))
            }
            Some((
                _,
                PropertyDef {
                    data_type:
                        PropertyType::List(
                            _,
                            ScalarType::Char
                            | ScalarType::UChar
                            | ScalarType::Short
                            | ScalarType::UShort
                            | ScalarType::Int
                            | ScalarType::UInt,
                        ),
                    ..
                },
            )) => {}
            Some((name, def)) => {
                return Err(unsupported(
                    "face",
                    name,
                    &def.data_type,
                    "a list of integers",
                ))
            }
        }
        for (name, def) in &face_def.properties {
            if !INDICES.contains(&name.as_str()) {
                parsed.ignored.push(format!(
                    "face property '{name}' ({})",
                    type_name(&def.data_type)
                ));
            }
        }
    }
    for (name, def) in &header.elements {
        if name != "vertex" && name != "face" {
            parsed
                .ignored
                .push(format!("element '{name}' ({} of them)", def.count));
        }
    }

    // Never trust a count for an allocation: reserve only as many elements
    // as the rest of the file can hold at their smallest.
    let cap = |def: &ElementDef| def.count.min(rest.len() / min_len(def, header.encoding));
    let n = cap(vertex_def);
    let mut positions = Vec::with_capacity(n);
    let mut normals = Vec::with_capacity(if has_normal { n } else { 0 });
    let mut uvs = Vec::with_capacity(if has_uv { n } else { 0 });
    let mut colors = Vec::with_capacity(if has_color { n } else { 0 });
    let mut faces = Vec::with_capacity(face_def.map_or(0, cap));
    let mut payload = Payload {
        path,
        encoding: header.encoding,
        rest,
        offset: header_len,
        line: header_lines + 1,
    };
    let mut vertex_count = None;
    let mut source_faces = 0;
    let mut polygon: Vec<u32> = Vec::new();
    for (name, def) in &header.elements {
        match name.as_str() {
            "vertex" => {
                payload.read::<Vertex>(def, |i, v, at| {
                    let position = v.position.map(|c| c as f32);
                    if position.iter().any(|c| !c.is_finite()) {
                        return Err(malformed(
                            path,
                            SourceFormat::Ply,
                            format!("vertex {i}"),
                            at,
                            format!(
                                "position {:?} is not finite (NaN, infinite, or beyond f32)",
                                v.position
                            ),
                        ));
                    }
                    positions.push(position);
                    normals.push(v.normal);
                    uvs.push(v.uv);
                    colors.push(v.color);
                    Ok(())
                })?;
                vertex_count = Some(def.count);
            }
            "face" => {
                payload.read::<Face>(def, |i, f, at| {
                    let fail = |message: String| {
                        malformed(
                            path,
                            SourceFormat::Ply,
                            format!("face {i}"),
                            at.clone(),
                            message,
                        )
                    };
                    if f.indices.len() < 3 {
                        return Err(fail(format!(
                            "a face needs at least 3 vertices; this one has {}",
                            f.indices.len()
                        )));
                    }
                    // Faces usually follow the vertices; if not, the
                    // shared check after parsing catches bad indices.
                    let limit = vertex_count.unwrap_or(u32::MAX as usize) as i64;
                    polygon.clear();
                    for &index in &f.indices {
                        if index < 0 || index >= limit {
                            return Err(fail(format!(
                                "vertex index {index} is out of range for {limit} vertices"
                            )));
                        }
                        polygon.push(index as u32);
                    }
                    fan(&polygon, &mut faces);
                    source_faces += 1;
                    Ok(())
                })?;
            }
            _ => payload.read::<Skip>(def, |_, _, _| Ok(()))?,
        }
    }
    if !payload.rest.is_empty() && payload.rest.iter().any(|b| !b.is_ascii_whitespace()) {
        parsed.warnings.push(format!(
            "{} bytes after the last element are ignored",
            payload.rest.len()
        ));
    }
    parsed.positions = positions;
    parsed.normals = has_normal.then_some(normals);
    parsed.uvs = has_uv.then_some(uvs);
    parsed.colors = has_color.then_some(colors);
    parsed.triangles = faces;
    parsed.source_faces = source_faces;
    parsed.corners = parsed.positions.len() as u64;
    Ok(parsed)
}
