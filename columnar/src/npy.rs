//! `.npy` files (numpy's format, version 1.0 to 3.0) of structured arrays.
//!
//! An export is numpy's header, whose dtype is the record's (names,
//! offsets, `itemsize` = stride, byte order; padding as unnamed void bytes)
//! and one copy of the records, so `np.load(path, mmap_mode="r")` maps it
//! and every value is the store's. The data starts at a multiple of 64
//! bytes, as numpy writes it.

use std::io::{Read, Write};

use recstore::{Endian, Field, Primitive, Schema};

use crate::element;
use crate::error::{column, Error, Result};

const MAGIC: &[u8; 6] = b"\x93NUMPY";
/// Most header bytes accepted (numpy's own limit is 10 000 without
/// `max_header_size`; recstore's largest schema needs less than this).
const MAX_HEADER: usize = 1 << 20;

/// One data field of a structured dtype, flattened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NpyField {
    pub name: String,
    pub primitive: Primitive,
    pub endian: Endian,
    pub count: u64,
    pub offset: u64,
}

/// A structured dtype and the number of records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NpyLayout {
    pub fields: Vec<NpyField>,
    pub itemsize: u64,
    pub len: u64,
}

/// The numpy type of one element of `p`; a text field is one `S<room>`.
fn type_code(p: Primitive, e: Endian, count: u64) -> String {
    let (kind, order) = match (p, e) {
        (Primitive::Text, _) => return format!("|S{count}"),
        (Primitive::Bool, _) => return "|b1".into(),
        (Primitive::U8, _) => return "|u1".into(),
        (Primitive::I8, _) => return "|i1".into(),
        (Primitive::F32 | Primitive::F64, e) => ('f', e),
        (Primitive::I16 | Primitive::I32 | Primitive::I64, e) => ('i', e),
        (_, e) => ('u', e),
    };
    let order = if order == Endian::Big { '>' } else { '<' };
    format!("{order}{kind}{}", p.size())
}

/// A Python string literal.
fn py_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// numpy's header for `len` records of `schema`, only the fields in
/// `chosen` named (the others are unnamed void bytes, as padding is).
pub(crate) fn header(schema: &Schema, chosen: &[usize], len: u64) -> Vec<u8> {
    let mut items = Vec::new();
    let mut at = 0u64;
    for (i, f) in schema.fields().iter().enumerate() {
        if !chosen.contains(&i) {
            continue;
        }
        if f.offset() > at {
            items.push(format!("('', '|V{}')", f.offset() - at));
        }
        let code = type_code(f.primitive(), f.endian(), f.count());
        items.push(if f.elements() == 1 {
            format!("({}, '{code}')", py_str(f.name()))
        } else {
            format!("({}, '{code}', ({},))", py_str(f.name()), f.count())
        });
        at = f.offset() + f.len();
    }
    if schema.stride() > at {
        items.push(format!("('', '|V{}')", schema.stride() - at));
    }
    let dict = format!(
        "{{'descr': [{}], 'fortran_order': False, 'shape': ({len},), }}",
        items.join(", ")
    );
    let ascii = dict.is_ascii();
    // Version 1.0 has a 2-byte length, 2.0 a 4-byte one, 3.0 allows UTF-8.
    let (major, len_bytes) = match (ascii, dict.len() + 1 + 10 < 65536) {
        (true, true) => (1u8, 2usize),
        (true, false) => (2, 4),
        (false, _) => (3, 4),
    };
    let prefix = MAGIC.len() + 2 + len_bytes;
    let total = (prefix + dict.len() + 1).next_multiple_of(64);
    let hlen = total - prefix;
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&[major, 0]);
    if len_bytes == 2 {
        out.extend_from_slice(&(hlen as u16).to_le_bytes());
    } else {
        out.extend_from_slice(&(hlen as u32).to_le_bytes());
    }
    out.extend_from_slice(dict.as_bytes());
    out.resize(total - 1, b' ');
    out.push(b'\n');
    out
}

/// Writes the header and the records (a whole number of strides).
pub(crate) fn export<W: Write>(
    schema: &Schema,
    chosen: &[usize],
    records: &[u8],
    mut out: W,
    mut progress: impl FnMut(u64),
) -> Result<u64> {
    let stride = schema.stride() as usize;
    let len = (records.len() / stride) as u64;
    out.write_all(&header(schema, chosen, len))?;
    let per_chunk = (16 << 20) / stride + 1;
    let mut done = 0;
    for chunk in records.chunks(per_chunk * stride) {
        out.write_all(chunk)?;
        done += (chunk.len() / stride) as u64;
        progress(done);
    }
    out.flush()?;
    Ok(len)
}

/// [`export`] of records read from the store's file with positioned reads
/// (`len` records at byte `offset`) instead of through its mapping: a
/// 1 MiB buffer that stays in the CPU's cache, and no page faults on a
/// fresh mapping, which cost more than the copy itself.
#[cfg(unix)]
#[allow(clippy::too_many_arguments)]
pub(crate) fn export_from_file<W: Write>(
    schema: &Schema,
    chosen: &[usize],
    file: &std::fs::File,
    offset: u64,
    len: u64,
    mut out: W,
    mut progress: impl FnMut(u64),
) -> Result<u64> {
    use std::os::unix::fs::FileExt;
    let stride = schema.stride() as usize;
    out.write_all(&header(schema, chosen, len))?;
    let per_chunk = ((1 << 20) / stride).max(1);
    let mut buf = vec![0u8; per_chunk * stride];
    let mut done = 0u64;
    while done < len {
        let n = (per_chunk as u64).min(len - done) as usize;
        let chunk = &mut buf[..n * stride];
        file.read_exact_at(chunk, offset + done * stride as u64)?;
        out.write_all(chunk)?;
        done += n as u64;
        if done % (16 * per_chunk as u64) < n as u64 || done == len {
            progress(done);
        }
    }
    out.flush()?;
    Ok(len)
}

/// Reads the header: the dtype, the record count, and the reader left at
/// the first record.
pub(crate) fn read_header(input: &mut impl Read) -> Result<NpyLayout> {
    let bad = |problem: String| Error::Npy { problem };
    let mut lead = [0u8; 8];
    input
        .read_exact(&mut lead)
        .map_err(|_| bad("shorter than the 10-byte .npy preamble".into()))?;
    if &lead[..6] != MAGIC {
        return Err(bad(format!(
            "it starts with {:02x?}, a .npy file starts with {MAGIC:02x?}",
            &lead[..6]
        )));
    }
    let major = lead[6];
    let hlen = match major {
        1 => {
            let mut b = [0u8; 2];
            input.read_exact(&mut b)?;
            u16::from_le_bytes(b) as usize
        }
        2 | 3 => {
            let mut b = [0u8; 4];
            input.read_exact(&mut b)?;
            u32::from_le_bytes(b) as usize
        }
        v => {
            return Err(bad(format!(
                "format version {v}.{} is unknown (1.0 to 3.0 are): save it with a current numpy",
                lead[7]
            )))
        }
    };
    if hlen > MAX_HEADER {
        return Err(bad(format!("its header claims {hlen} bytes")));
    }
    let mut raw = vec![0u8; hlen];
    input
        .read_exact(&mut raw)
        .map_err(|_| bad(format!("the file ends inside its {hlen}-byte header")))?;
    let text: String = if major == 3 {
        String::from_utf8(raw).map_err(|_| bad("the header is not UTF-8".into()))?
    } else {
        raw.iter().map(|&b| char::from(b)).collect()
    };
    let lit = Parser::new(&text)
        .whole()
        .map_err(|e| bad(format!("header: {e}")))?;
    let Lit::Dict(entries) = lit else {
        return Err(bad("the header is not a dict".into()));
    };
    let get = |key: &str| {
        entries
            .iter()
            .find(|(k, _)| matches!(k, Lit::Str(s) if s == key))
            .map(|(_, v)| v)
            .ok_or_else(|| bad(format!("the header has no {key:?}")))
    };
    let len = match get("shape")? {
        Lit::Tuple(dims) if dims.len() == 1 => match dims[0] {
            Lit::Int(n) if n >= 0 => u64::try_from(n).map_err(|_| bad("shape too large".into()))?,
            _ => return Err(bad("the shape is not a count".into())),
        },
        _ => {
            return Err(bad(
                "the array is not one-dimensional: recstore imports a 1-D array of records".into(),
            ))
        }
    };
    if !matches!(get("fortran_order")?, Lit::Bool(_)) {
        return Err(bad("fortran_order is not True or False".into()));
    }
    let mut fields = Vec::new();
    let itemsize = match get("descr")? {
        Lit::Str(s) => {
            return Err(bad(format!(
                "it holds a plain array of {s}, not records: recstore imports structured \
                 arrays (a dtype with named fields)"
            )))
        }
        Lit::List(items) => flatten(items, "", 0, &mut fields, 0).map_err(bad)?,
        _ => return Err(bad("descr is neither a type nor a list of fields".into())),
    };
    if itemsize == 0 || itemsize > recstore::schema::MAX_RECORD_SIZE {
        return Err(bad(format!(
            "its records are {itemsize} bytes long, and a recstore record is 1 byte to 1 MiB"
        )));
    }
    Ok(NpyLayout {
        fields,
        itemsize,
        len,
    })
}

/// Flattens a structured descr (nested ones with dotted names); returns
/// its item size.
fn flatten(
    items: &[Lit],
    prefix: &str,
    base: u64,
    out: &mut Vec<NpyField>,
    depth: u32,
) -> Result<u64, String> {
    if depth > 16 {
        return Err("the dtype nests more than 16 levels".into());
    }
    let mut at = 0u64;
    for item in items {
        let Lit::Tuple(parts) = item else {
            return Err("a field of descr is not a tuple".into());
        };
        let name = match parts.first() {
            Some(Lit::Str(s)) => s.clone(),
            Some(Lit::Tuple(t)) if t.len() == 2 => match &t[1] {
                Lit::Str(s) => s.clone(),
                _ => return Err("a field name is not a string".into()),
            },
            _ => return Err("a field name is not a string".into()),
        };
        let count = match parts.get(2) {
            None => 1u64,
            Some(Lit::Tuple(dims)) => dims.iter().try_fold(1u64, |acc, d| match d {
                Lit::Int(n) if *n > 0 && *n < 1 << 32 => acc
                    .checked_mul(*n as u64)
                    .ok_or("a shape overflows".to_string()),
                _ => Err("a field shape is not positive counts".to_string()),
            })?,
            Some(Lit::Int(n)) if *n > 0 && *n < 1 << 32 => *n as u64,
            Some(_) => return Err("a field shape is not a tuple".into()),
        };
        let full = format!("{prefix}{name}");
        let size = match parts.get(1) {
            Some(Lit::Str(code)) => match parse_code(code)? {
                Code::Text(_) if count != 1 => {
                    return Err(format!(
                        "field {full:?} is an array of byte strings ({code}), and a recstore \
                         text field holds one text: put each text in a field of its own"
                    ))
                }
                Code::Text(room) => {
                    if name.is_empty() {
                        return Err("a typed field has no name".into());
                    }
                    out.push(NpyField {
                        name: full,
                        primitive: Primitive::Text,
                        endian: Endian::Little,
                        count: room,
                        offset: base + at,
                    });
                    room
                }
                Code::Void(n) if name.is_empty() => {
                    n.checked_mul(count).ok_or("a shape overflows")?
                }
                Code::Void(_) => {
                    return Err(format!(
                        "field {full:?} holds raw bytes (void), which recstore cannot type"
                    ))
                }
                Code::Prim(p, e) => {
                    if name.is_empty() {
                        return Err("a typed field has no name".into());
                    }
                    out.push(NpyField {
                        name: full,
                        primitive: p,
                        endian: e,
                        count,
                        offset: base + at,
                    });
                    p.size().checked_mul(count).ok_or("a shape overflows")?
                }
            },
            Some(Lit::List(sub)) if count == 1 => {
                flatten(sub, &format!("{full}."), base + at, out, depth + 1)?
            }
            Some(Lit::List(_)) => {
                return Err(format!(
                    "field {full:?} is an array of structs, which recstore cannot import"
                ))
            }
            _ => return Err("a field type is not a string".into()),
        };
        at = at.checked_add(size).ok_or("the dtype is too large")?;
    }
    Ok(at)
}

enum Code {
    Prim(Primitive, Endian),
    Void(u64),
    /// `S<n>`: a byte string of `n` bytes, NUL-padded (recstore's text).
    Text(u64),
}

fn parse_code(code: &str) -> Result<Code, String> {
    let mut chars = code.chars();
    let order = chars.next().ok_or("an empty type code")?;
    let (endian, rest) = match order {
        '<' | '|' => (Endian::Little, chars.as_str()),
        '>' => (Endian::Big, chars.as_str()),
        '=' => (Endian::NATIVE, chars.as_str()),
        _ => (Endian::NATIVE, code),
    };
    let p = match rest {
        "u1" | "B" => Primitive::U8,
        "i1" | "b" => Primitive::I8,
        "u2" => Primitive::U16,
        "i2" => Primitive::I16,
        "u4" => Primitive::U32,
        "i4" => Primitive::I32,
        "u8" => Primitive::U64,
        "i8" => Primitive::I64,
        "f4" => Primitive::F32,
        "f8" => Primitive::F64,
        "b1" | "?" => Primitive::Bool,
        v if v.starts_with('V') => {
            let n: u64 = v[1..]
                .parse()
                .map_err(|_| format!("type {code:?} is not a void size"))?;
            return Ok(Code::Void(n));
        }
        v if v.starts_with('S') || v.starts_with('a') => {
            let n: u64 = v[1..]
                .parse()
                .ok()
                .filter(|&n| n >= 1)
                .ok_or_else(|| format!("type {code:?} is not a byte string size"))?;
            return Ok(Code::Text(n));
        }
        v if v.starts_with('U') => {
            return Err(format!(
                "type {code:?} is numpy's UTF-32 text, which recstore does not store: convert \
                 the field to UTF-8 bytes (S<n>, e.g. with np.char.encode(a, 'utf-8'))"
            ))
        }
        _ => {
            return Err(format!(
                "type {code:?} has no recstore equivalent (integers u1..u8, i1..i8, floats f4, \
                 f8, bool b1 and byte strings S<n> have)"
            ))
        }
    };
    Ok(Code::Prim(p, endian))
}

/// A schema for an `.npy` dtype, named `name`: its fields, offsets and
/// byte orders, the gaps as padding, the item size as stride.
pub(crate) fn schema_like(layout: &NpyLayout, name: &str) -> Result<Schema> {
    let mut fields = Vec::new();
    let mut at = 0;
    let mut sorted = layout.fields.clone();
    sorted.sort_by_key(|f| f.offset);
    let mut max = 1;
    for f in &sorted {
        if f.offset > at {
            fields.push(Field::padding(format!("_pad{at}"), f.offset - at, at));
        }
        fields.push(Field::new(
            f.name.clone(),
            f.primitive,
            f.endian,
            f.count,
            f.offset,
        ));
        at = f.offset + f.primitive.size() * f.count;
        max = max.max(f.primitive.size());
    }
    if layout.itemsize > at {
        fields.push(Field::padding(
            format!("_pad{at}"),
            layout.itemsize - at,
            at,
        ));
    }
    // The largest alignment the layout keeps: every field on a multiple
    // of its element size (or of the alignment), the size a multiple.
    let mut align = max;
    while align > 1
        && !(layout.itemsize.is_multiple_of(align)
            && sorted
                .iter()
                .all(|f| f.offset.is_multiple_of(align.min(f.primitive.size()))))
    {
        align /= 2;
    }
    let schema = Schema::new(name, layout.itemsize, align, fields);
    schema.validate()?;
    Ok(schema)
}

/// How an `.npy` file's records become the store's.
pub(crate) enum Plan {
    /// The same layout: records are copied as they are.
    Copy,
    /// For each store field, the file's field with that name.
    Convert(Vec<(usize, NpyField)>),
}

pub(crate) fn plan(schema: &Schema, layout: &NpyLayout) -> Result<Plan> {
    let data: Vec<&Field> = schema.fields().iter().filter(|f| !f.is_padding()).collect();
    let same = |f: &Field, n: &NpyField| {
        f.name() == n.name
            && f.primitive() == n.primitive
            && (f.endian() == n.endian || f.primitive().size() == 1)
            && f.count() == n.count
            && f.offset() == n.offset
    };
    if layout.itemsize == schema.stride()
        && data.len() == layout.fields.len()
        && data
            .iter()
            .all(|f| layout.fields.iter().any(|n| same(f, n)))
    {
        return Ok(Plan::Copy);
    }
    let names: Vec<&str> = data.iter().map(|f| f.name()).collect();
    if let Some(extra) = layout
        .fields
        .iter()
        .find(|n| !names.contains(&n.name.as_str()))
    {
        return Err(column(
            extra.name.as_str(),
            format!(
                "is not a field of the store ({}); the fields are {}: drop it, or create the store with --like",
                schema.name(),
                names.join(", ")
            ),
        ));
    }
    let mut pairs = Vec::new();
    for (i, f) in schema.fields().iter().enumerate() {
        if f.is_padding() {
            continue;
        }
        let n = layout
            .fields
            .iter()
            .find(|n| n.name == f.name())
            .ok_or_else(|| {
                column(
                    f.name(),
                    format!(
                        "the store's field is missing from the file; the store ({}) needs {}",
                        schema.name(),
                        names.join(", ")
                    ),
                )
            })?;
        let kind = |p: Primitive| match p {
            Primitive::Text => "text (S<n>)",
            Primitive::Bool => "bool (b1)",
            _ => "numbers",
        };
        if kind(n.primitive) != kind(f.primitive()) {
            return Err(column(
                f.name(),
                format!(
                    "the file's field holds {}, the store's field ({}) {}: convert the field, \
                     or create the store with --like",
                    kind(n.primitive),
                    f.type_name(),
                    kind(f.primitive())
                ),
            ));
        }
        if n.count != f.count() && !f.is_text() {
            return Err(column(
                f.name(),
                format!(
                    "the file's field has {} elements, the store's has {}: wrong list length",
                    n.count,
                    f.count()
                ),
            ));
        }
        pairs.push((i, n.clone()));
    }
    Ok(Plan::Convert(pairs))
}

/// Checks the bool and text fields of records copied as they are (a
/// [`Plan::Copy`]): a byte other than 0 or 1 in a bool field, or bytes that
/// are not UTF-8 text followed by NUL padding in a text field, is an error
/// naming the row and field, as in every other import.
pub(crate) fn check(schema: &Schema, records: &[u8], row0: u64) -> Result<()> {
    let checked: Vec<&Field> = schema
        .fields()
        .iter()
        .filter(|f| !f.is_padding() && matches!(f.primitive(), Primitive::Bool | Primitive::Text))
        .collect();
    if checked.is_empty() {
        return Ok(());
    }
    let stride = schema.stride() as usize;
    for (r, rec) in records.chunks_exact(stride).enumerate() {
        for f in &checked {
            let bytes = &rec[f.offset() as usize..(f.offset() + f.len()) as usize];
            valid(f, bytes).map_err(|problem| Error::Value {
                row: row0 + r as u64,
                field: field_name(f, 0),
                problem,
            })?;
        }
    }
    Ok(())
}

/// Why the bytes of a bool or text field are not a value, if they are not.
fn valid(f: &Field, bytes: &[u8]) -> Result<(), String> {
    if f.is_text() {
        return recstore::decode_text(bytes).map(|_| ()).map_err(not_text);
    }
    match bytes.iter().find(|&&b| b > 1) {
        Some(b) => Err(not_bool(*b)),
        None => Ok(()),
    }
}

fn not_text(bytes: &[u8]) -> String {
    format!(
        "the bytes {} are not UTF-8 text followed by NUL padding (a text field holds UTF-8 \
         without NUL): fix the text, or import it into a u8 array field",
        recstore::Value::InvalidText(bytes.to_vec())
    )
}

fn not_bool(b: u8) -> String {
    format!("the byte {b:#04x} is not a bool (0 or 1): fix the value, or import it into a u8 field")
}

fn field_name(f: &Field, e: usize) -> String {
    if f.elements() == 1 {
        f.name().to_string()
    } else {
        format!("{}[{e}]", f.name())
    }
}

/// Converts `rows` of the file's records into the store's (`out` zeroed).
pub(crate) fn convert(
    schema: &Schema,
    pairs: &[(usize, NpyField)],
    itemsize: usize,
    input: &[u8],
    out: &mut [u8],
    row0: u64,
) -> Result<()> {
    let stride = schema.stride() as usize;
    for (r, (src, dst)) in input
        .chunks_exact(itemsize)
        .zip(out.chunks_exact_mut(stride))
        .enumerate()
    {
        for (i, n) in pairs {
            let f = &schema.fields()[*i];
            let error = |e: usize| {
                move |problem| Error::Value {
                    row: row0 + r as u64,
                    field: field_name(f, e),
                    problem,
                }
            };
            if f.is_text() {
                let from = &src[n.offset as usize..(n.offset + n.count) as usize];
                let text = recstore::decode_text(from).map_err(|b| error(0)(not_text(b)))?;
                let to = &mut dst[f.offset() as usize..(f.offset() + f.len()) as usize];
                crate::mapping::put_text(text, to).map_err(error(0))?;
                continue;
            }
            if f.primitive() == Primitive::Bool {
                for e in 0..f.count() as usize {
                    let b = src[n.offset as usize + e];
                    if b > 1 {
                        return Err(error(e)(not_bool(b)));
                    }
                    dst[f.offset() as usize + e] = b;
                }
                continue;
            }
            let (ss, ds) = (n.primitive.size() as usize, f.primitive().size() as usize);
            for e in 0..f.count() as usize {
                let at = n.offset as usize + e * ss;
                let v = element::read(n.primitive, n.endian, &src[at..at + ss]);
                let to = f.offset() as usize + e * ds;
                element::write(f.primitive(), f.endian(), v, &mut dst[to..to + ds]).map_err(
                    |problem| Error::Value {
                        row: row0 + r as u64,
                        field: if f.count() == 1 {
                            f.name().to_string()
                        } else {
                            format!("{}[{e}]", f.name())
                        },
                        problem,
                    },
                )?;
            }
        }
    }
    Ok(())
}

/// A Python literal, as numpy writes headers.
#[derive(Debug, Clone, PartialEq)]
enum Lit {
    Dict(Vec<(Lit, Lit)>),
    List(Vec<Lit>),
    Tuple(Vec<Lit>),
    Str(String),
    Int(i128),
    Bool(bool),
    None,
}

struct Parser<'a> {
    s: &'a [u8],
    text: &'a str,
    at: usize,
    depth: u32,
}

impl<'a> Parser<'a> {
    fn new(text: &'a str) -> Self {
        Parser {
            s: text.as_bytes(),
            text,
            at: 0,
            depth: 0,
        }
    }

    fn whole(mut self) -> Result<Lit, String> {
        let v = self.value()?;
        self.ws();
        if self.at != self.s.len() {
            return Err(format!("unexpected text at byte {}", self.at));
        }
        Ok(v)
    }

    fn ws(&mut self) {
        while self.s.get(self.at).is_some_and(|c| c.is_ascii_whitespace()) {
            self.at += 1;
        }
    }

    fn eat(&mut self, c: u8) -> bool {
        self.ws();
        if self.s.get(self.at) == Some(&c) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn value(&mut self) -> Result<Lit, String> {
        self.ws();
        self.depth += 1;
        if self.depth > 64 {
            return Err("nested too deeply".into());
        }
        let v = match self.s.get(self.at) {
            Some(b'{') => {
                self.at += 1;
                let mut entries = Vec::new();
                while !self.eat(b'}') {
                    let k = self.value()?;
                    if !self.eat(b':') {
                        return Err(format!("expected ':' at byte {}", self.at));
                    }
                    let v = self.value()?;
                    entries.push((k, v));
                    if !self.eat(b',') {
                        if !self.eat(b'}') {
                            return Err(format!("expected ',' or '}}' at byte {}", self.at));
                        }
                        break;
                    }
                }
                Lit::Dict(entries)
            }
            Some(&open @ (b'[' | b'(')) => {
                self.at += 1;
                let close = if open == b'[' { b']' } else { b')' };
                let mut items = Vec::new();
                while !self.eat(close) {
                    items.push(self.value()?);
                    if !self.eat(b',') {
                        if !self.eat(close) {
                            return Err(format!(
                                "expected ',' or '{}' at byte {}",
                                close as char, self.at
                            ));
                        }
                        break;
                    }
                }
                if open == b'[' {
                    Lit::List(items)
                } else {
                    Lit::Tuple(items)
                }
            }
            Some(b'\'' | b'"') => Lit::Str(self.string()?),
            Some(c) if c.is_ascii_digit() || *c == b'-' => {
                let start = self.at;
                self.at += 1;
                while self.s.get(self.at).is_some_and(u8::is_ascii_digit) {
                    self.at += 1;
                }
                let n = self.text[start..self.at]
                    .parse()
                    .map_err(|_| format!("bad number at byte {start}"))?;
                if self.s.get(self.at) == Some(&b'L') {
                    self.at += 1;
                }
                Lit::Int(n)
            }
            _ => {
                let rest = &self.text[self.at..];
                let (v, n) = if rest.starts_with("True") {
                    (Lit::Bool(true), 4)
                } else if rest.starts_with("False") {
                    (Lit::Bool(false), 5)
                } else if rest.starts_with("None") {
                    (Lit::None, 4)
                } else {
                    return Err(format!("unexpected text at byte {}", self.at));
                };
                self.at += n;
                v
            }
        };
        self.depth -= 1;
        Ok(v)
    }

    fn string(&mut self) -> Result<String, String> {
        let quote = self.s[self.at];
        self.at += 1;
        let mut out = String::new();
        let mut chars = self.text[self.at..].char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                c if c as u32 == u32::from(quote) => {
                    self.at += i + 1;
                    return Ok(out);
                }
                '\\' => {
                    let (_, e) = chars.next().ok_or("unterminated string")?;
                    match e {
                        'n' => out.push('\n'),
                        't' => out.push('\t'),
                        'r' => out.push('\r'),
                        '0' => out.push('\0'),
                        'x' | 'u' | 'U' => {
                            let n = match e {
                                'x' => 2,
                                'u' => 4,
                                _ => 8,
                            };
                            let hex: String = (0..n)
                                .filter_map(|_| chars.next().map(|(_, c)| c))
                                .collect();
                            let code = u32::from_str_radix(&hex, 16)
                                .map_err(|_| "bad escape in a string")?;
                            out.push(char::from_u32(code).ok_or("bad escape in a string")?);
                        }
                        other => out.push(other),
                    }
                }
                c => out.push(c),
            }
        }
        Err("unterminated string".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_is_what_numpy_writes() {
        let schema = recstore::schema_file::parse(
            "name = \"V\"\nfields = [{ name = \"position\", type = \"f32\", count = 3 }, \
             { name = \"color\", type = \"u16\", count = 3 }, { name = \"_pad\", padding = 2 }]",
        )
        .unwrap();
        let h = header(&schema, &[0, 1], 7);
        assert_eq!(h.len() % 64, 0);
        let text = std::str::from_utf8(&h[10..]).unwrap();
        assert!(text.starts_with(
            "{'descr': [('position', '<f4', (3,)), ('color', '<u2', (3,)), ('', '|V2')], \
             'fortran_order': False, 'shape': (7,), }"
        ));
        assert!(text.ends_with(" \n"));
        let layout = read_header(&mut &h[..]).unwrap();
        assert_eq!(layout.itemsize, 20);
        assert_eq!(layout.len, 7);
        assert!(matches!(plan(&schema, &layout).unwrap(), Plan::Copy));
    }

    #[test]
    fn strings_and_nesting_parse() {
        let text = "{'descr': [(('t', 'a\\'b'), '>i4'), ('s', [('x', '<f8'), ('', '|V8')], ), (\"q\", '|u1', (2, 3))], 'fortran_order': False, 'shape': (2,)}";
        let mut h = MAGIC.to_vec();
        h.extend_from_slice(&[1, 0]);
        h.extend_from_slice(&(text.len() as u16).to_le_bytes());
        h.extend_from_slice(text.as_bytes());
        let l = read_header(&mut &h[..]).unwrap();
        let names: Vec<&str> = l.fields.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["a'b", "s.x", "q"]);
        assert_eq!(l.fields[0].endian, Endian::Big);
        assert_eq!(l.fields[2].offset, 20);
        assert_eq!(l.fields[2].count, 6);
        assert_eq!(l.itemsize, 26);
    }

    #[test]
    fn hostile_headers_are_errors() {
        for text in [
            "{",
            "{'descr': '<f4', 'fortran_order': False, 'shape': (3,)}",
            "((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((",
            "{'descr': [('a', '<c8')], 'fortran_order': False, 'shape': (1,)}",
            "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1, 2)}", "{'descr': [('a', '<f4'), ('', '|V1099511627776')], 'fortran_order': False, 'shape': (1,)}", "{'descr': [('a', '<f8', (4294967295, 4294967295))], 'fortran_order': False, 'shape': (1,)}",
        ] {
            let mut h = MAGIC.to_vec();
            h.extend_from_slice(&[1, 0]);
            h.extend_from_slice(&(text.len() as u16).to_le_bytes());
            h.extend_from_slice(text.as_bytes());
            assert!(
                matches!(read_header(&mut &h[..]), Err(Error::Npy { .. })),
                "{text}"
            );
        }
    }
}
