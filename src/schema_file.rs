//! Schema files: a record layout written in TOML, for people and tools
//! without a Rust type. `docs/SCHEMA.md` is the reference.
//!
//! ```
//! let schema = recstore::schema_file::parse(r#"
//!     name = "ColoredVertex"
//!     fields = [
//!         { name = "position", type = "f32", count = 3 },
//!         { name = "color", type = "u16", count = 3 },
//!         { name = "_pad", padding = 2 },
//!     ]
//! "#)?;
//! assert_eq!((schema.size(), schema.stride()), (20, 20));
//! # Ok::<(), recstore::Error>(())
//! ```
//!
//! Fields are laid out as `#[repr(C)]` lays out a struct: in order, each at
//! the next multiple of its alignment, so a schema file and the equivalent
//! `#[derive(Record)]` type give the same schema and fingerprint. Where C
//! would insert padding, a schema file is an error instead (declare it):
//! recstore records never hold bytes without meaning.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use crate::error::{Error, Result};
use crate::format::{FIELD_DESC_LEN, MAX_SCHEMA_LEN, SCHEMA_HEAD_LEN};
use crate::schema::{
    check_name_part, Endian, Field, Primitive, Schema, MAX_ALIGN, MAX_FIELDS, MAX_NAME_LEN,
    MAX_RECORD_SIZE,
};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSpec {
    name: Spanned<String>,
    align: Option<Spanned<u64>>,
    fields: Spanned<Vec<FieldSpec>>,
    #[serde(default)]
    structs: BTreeMap<String, StructSpec>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StructSpec {
    fields: Spanned<Vec<FieldSpec>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FieldSpec {
    name: Spanned<String>,
    #[serde(rename = "type")]
    ty: Option<Spanned<String>>,
    count: Option<Spanned<i64>>,
    bytes: Option<Spanned<i64>>,
    endian: Option<Spanned<String>>,
    padding: Option<Spanned<i64>>,
    offset: Option<Spanned<i64>>,
}

/// Reads and parses a schema file.
pub fn load(path: impl AsRef<Path>) -> Result<Schema> {
    let path = path.as_ref();
    let bytes = std::fs::read(path).map_err(|e| Error::io("read", path, e))?;
    let parsed = match std::str::from_utf8(&bytes) {
        Ok(text) => parse(text),
        Err(e) => {
            // Locate the first bad byte in the valid text before it.
            let valid = std::str::from_utf8(&bytes[..e.valid_up_to()]).expect("valid up to here");
            let (line, column) = line_column(valid, valid.len());
            Err(Error::SchemaFile {
                path: PathBuf::new(),
                line,
                column,
                message: format!(
                    "byte {:#04x} is not UTF-8 text: a schema file is TOML text (see docs/SCHEMA.md)",
                    bytes[e.valid_up_to()]
                ),
            })
        }
    };
    parsed.map_err(|e| match e {
        Error::SchemaFile {
            line,
            column,
            message,
            ..
        } => Error::SchemaFile {
            path: path.to_path_buf(),
            line,
            column,
            message,
        },
        other => other,
    })
}

/// Parses the text of a schema file.
pub fn parse(text: &str) -> Result<Schema> {
    let at = |span: Range<usize>, message: String| {
        let (line, column) = line_column(text, span.start);
        Error::SchemaFile {
            path: PathBuf::from("<schema>"),
            line,
            column,
            message,
        }
    };
    let spec: FileSpec = toml::from_str(text)
        .map_err(|e| at(e.span().unwrap_or(0..0), e.message().trim().to_string()))?;
    let record_name = spec.name.get_ref();
    crate::schema::check_record_name(record_name)
        .map_err(|e| at(spec.name.span(), e.to_string()))?;
    let mut builder = Builder {
        structs: &spec.structs,
        fields: Vec::new(),
        visiting: HashSet::new(),
        aligns: HashMap::new(),
        block_len: SCHEMA_HEAD_LEN + record_name.len(),
        at: &at,
    };
    let (size, natural_align) = builder.layout(&spec.fields, "", 0)?;
    let align = match &spec.align {
        None => natural_align,
        Some(a) => {
            let v = *a.get_ref();
            if !v.is_power_of_two() || v > MAX_ALIGN || v < natural_align {
                return Err(at(
                    a.span(),
                    format!(
                        "align must be a power of two from the fields' own alignment ({natural_align}) to {MAX_ALIGN}, not {v}"
                    ),
                ));
            }
            v
        }
    };
    if !size.is_multiple_of(align) {
        return Err(at(
            spec.fields.span(),
            format!(
                "the record is {size} bytes, not a multiple of its alignment {align}: \
                 add a padding field of {} bytes at the end",
                align - size % align
            ),
        ));
    }
    let schema = Schema::new(spec.name.get_ref().clone(), size, align, builder.fields);
    schema
        .validate()
        .map_err(|e| at(spec.name.span(), e.to_string()))?;
    Ok(schema)
}

/// Line and column (both 1-based, the column in characters) of byte
/// `offset` of `text`.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (
        before.matches('\n').count() + 1,
        before[line_start..].chars().count() + 1,
    )
}

struct Builder<'a, F> {
    structs: &'a BTreeMap<String, StructSpec>,
    fields: Vec<Field>,
    visiting: HashSet<String>,
    /// Alignments of the structs worked out so far: each struct is walked
    /// once, however often it is used (a walk per use is exponential in
    /// the nesting depth).
    aligns: HashMap<String, u64>,
    /// Length of the schema block the fields so far encode to.
    block_len: usize,
    at: &'a F,
}

impl<F: Fn(Range<usize>, String) -> Error> Builder<'_, F> {
    /// Lays out `specs` at `base`, naming fields under `prefix`; returns
    /// the size and alignment of the struct they make.
    fn layout(
        &mut self,
        specs: &Spanned<Vec<FieldSpec>>,
        prefix: &str,
        base: u64,
    ) -> Result<(u64, u64)> {
        let at = self.at;
        if specs.get_ref().is_empty() {
            return Err(at(specs.span(), "a record needs at least one field".into()));
        }
        let mut offset = 0u64;
        let mut align = 1u64;
        let mut names = HashSet::new();
        for spec in specs.get_ref() {
            let name = spec.name.get_ref();
            let span = spec.name.span();
            if !names.insert(name.as_str()) {
                return Err(at(span, format!("duplicate field name {name:?}")));
            }
            let full = if prefix.is_empty() {
                name.clone()
            } else {
                format!("{prefix}.{name}")
            };
            if full.len() > MAX_NAME_LEN {
                return Err(at(
                    span,
                    format!(
                        "the field name {} is {} bytes long once nested names are joined; \
                         the limit is {MAX_NAME_LEN}: shorten it",
                        short(&full),
                        full.len()
                    ),
                ));
            }
            check_name_part(name).map_err(|e| at(span.clone(), e.to_string()))?;
            let count = match &spec.count {
                None => 1,
                Some(c) if *c.get_ref() >= 1 && *c.get_ref() <= i64::from(u32::MAX) => {
                    *c.get_ref() as u64
                }
                Some(c) if *c.get_ref() < 1 => {
                    return Err(at(
                        c.span(),
                        format!("count must be at least 1, not {}", c.get_ref()),
                    ))
                }
                Some(c) => {
                    return Err(at(
                        c.span(),
                        format!(
                            "count {} is too large: at most {} (and a record at most {MAX_RECORD_SIZE} bytes)",
                            c.get_ref(),
                            u32::MAX
                        ),
                    ))
                }
            };
            let is_text = spec.ty.as_ref().is_some_and(|t| t.get_ref() == "text");
            let count = match (&spec.bytes, is_text) {
                (Some(b), false) => {
                    return Err(at(
                        b.span(),
                        "`bytes = N` is the room of a text field (`type = \"text\"`) only: \
                         other fields take `count`"
                            .into(),
                    ))
                }
                (None, true) => {
                    return Err(at(
                        span,
                        format!(
                            "text field {name:?} needs its room in bytes: `bytes = N` \
                             (e.g. {{ name = {name:?}, type = \"text\", bytes = 16 }})"
                        ),
                    ))
                }
                (Some(b), true) => {
                    if let Some(c) = &spec.count {
                        return Err(at(
                            c.span(),
                            "a text field is one text of `bytes = N`; for several texts, \
                             put the text field in a struct and give the struct a count"
                                .into(),
                        ));
                    }
                    match *b.get_ref() {
                        n if n >= 1 && n as u64 <= MAX_RECORD_SIZE => n as u64,
                        n => {
                            return Err(at(
                                b.span(),
                                format!(
                                "a text field's room must be 1 to {MAX_RECORD_SIZE} bytes, not {n}"
                            ),
                            ))
                        }
                    }
                }
                (None, false) => count,
            };
            let kind = if let Some(p) = &spec.padding {
                if spec.ty.is_some() || spec.count.is_some() || spec.endian.is_some() {
                    return Err(at(
                        p.span(),
                        "a padding field has `padding = N` only: no type, count or endian".into(),
                    ));
                }
                match *p.get_ref() {
                    n if n >= 1 && n as u64 <= MAX_RECORD_SIZE => Kind::Padding(n as u64),
                    n => {
                        return Err(at(
                            p.span(),
                            format!("padding must be 1 to {MAX_RECORD_SIZE} bytes, not {n}"),
                        ))
                    }
                }
            } else if let Some(t) = &spec.ty {
                match parse_primitive(t.get_ref()) {
                    Some(p) => Kind::Primitive(p, self.endian(spec, p)?),
                    None if self.structs.contains_key(t.get_ref()) => {
                        if let Some(e) = &spec.endian {
                            return Err(at(
                                e.span(),
                                format!(
                                    "field {name:?} is a struct ({}): `endian` applies to number fields only; \
                                     set it on the fields of struct {:?} instead",
                                    t.get_ref(),
                                    t.get_ref()
                                ),
                            ));
                        }
                        Kind::Struct(t.get_ref().clone())
                    }
                    None => {
                        return Err(at(
                            t.span(),
                            format!(
                                "unknown type {:?}: use u8, i8, u16, i16, u32, i32, u64, i64, f32, f64, \
                                 bool, text (with `bytes = N`) or a struct defined under [structs]",
                                t.get_ref()
                            ),
                        ))
                    }
                }
            } else {
                return Err(at(
                    span,
                    format!("field {name:?} needs a `type` (or `padding = N`)"),
                ));
            };
            let field_align = match &kind {
                Kind::Struct(s) => self.struct_align(s, &spec.name, 0)?,
                other => other.align(),
            };
            if !offset.is_multiple_of(field_align) {
                let pad = field_align - offset % field_align;
                return Err(at(
                    span,
                    format!(
                        "field {name:?} would start at byte {offset}, which is misaligned for its alignment \
                         {field_align}: add a padding field of {pad} bytes before it"
                    ),
                ));
            }
            if let Some(o) = &spec.offset {
                if *o.get_ref() != offset as i64 {
                    return Err(at(
                        o.span(),
                        format!(
                            "field {name:?} is declared at offset {}, but the fields before it end at {offset} \
                             (fields must not overlap or leave gaps)",
                            o.get_ref()
                        ),
                    ));
                }
            }
            let start = base + offset;
            let size = match kind {
                Kind::Padding(n) => {
                    self.push(Field::padding(full, n, start));
                    n
                }
                Kind::Primitive(p, endian) => {
                    self.push(Field::new(
                        full,
                        p,
                        endian.unwrap_or(Endian::Little),
                        count,
                        start,
                    ));
                    p.size() * count
                }
                Kind::Struct(ref s) => self.nested(s, &full, start, count, &spec.name)?,
            };
            if self.block_len > MAX_SCHEMA_LEN {
                return Err(at(
                    span,
                    format!(
                        "the schema block would pass its {MAX_SCHEMA_LEN}-byte limit at field {name:?} \
                         ({SCHEMA_HEAD_LEN} bytes, {FIELD_DESC_LEN} per field and every name's bytes): \
                         use fewer fields or shorter names"
                    ),
                ));
            }
            offset = offset.checked_add(size).filter(|&o| o <= MAX_RECORD_SIZE).ok_or_else(|| {
                at(span.clone(), format!("the record grows past the {MAX_RECORD_SIZE}-byte limit at field {name:?}"))
            })?;
            if self.fields.len() > MAX_FIELDS {
                return Err(at(
                    span,
                    format!("more than {MAX_FIELDS} fields once nested structs are flattened"),
                ));
            }
            align = align.max(field_align);
        }
        // A nested struct is padded to its alignment, as in C.
        if !offset.is_multiple_of(align) {
            return Err(at(
                specs.span(),
                format!(
                    "these fields end at byte {offset}, not a multiple of their alignment {align}: \
                     add a padding field of {} bytes at the end",
                    align - offset % align
                ),
            ));
        }
        Ok((offset, align))
    }

    fn push(&mut self, field: Field) {
        self.block_len += FIELD_DESC_LEN + field.name().len();
        self.fields.push(field);
    }

    /// A struct's alignment: that of its most aligned field, as in C.
    fn struct_align(&mut self, name: &str, span: &Spanned<String>, depth: usize) -> Result<u64> {
        if let Some(&a) = self.aligns.get(name) {
            return Ok(a);
        }
        if depth > 64 {
            return Err((self.at)(
                span.span(),
                format!("struct {name:?} nests too deep (or contains itself)"),
            ));
        }
        let structs = self.structs;
        let mut align = 1;
        for spec in structs[name].fields.get_ref() {
            let a = match (&spec.padding, &spec.ty) {
                (Some(_), _) | (None, None) => 1,
                (None, Some(t)) => match parse_primitive(t.get_ref()) {
                    Some(_) if spec.endian.is_some() => 1,
                    Some(p) => p.size(),
                    None if self.structs.contains_key(t.get_ref()) => {
                        self.struct_align(t.get_ref(), span, depth + 1)?
                    }
                    None => 1, // reported when the struct is laid out
                },
            };
            align = align.max(a);
        }
        self.aligns.insert(name.to_string(), align);
        Ok(align)
    }

    fn endian(&self, spec: &FieldSpec, p: Primitive) -> Result<Option<Endian>> {
        let Some(e) = &spec.endian else {
            return Ok(None);
        };
        match e.get_ref().as_str() {
            "little" => Ok(Some(Endian::Little)),
            "big" if p.size() > 1 => Ok(Some(Endian::Big)),
            "big" => Err((self.at)(
                e.span(),
                "a one-byte type has no byte order".into(),
            )),
            other => Err((self.at)(
                e.span(),
                format!("endian is \"little\" or \"big\", not {other:?}"),
            )),
        }
    }

    fn nested(
        &mut self,
        name: &str,
        full: &str,
        start: u64,
        count: u64,
        span: &Spanned<String>,
    ) -> Result<u64> {
        if !self.visiting.insert(name.to_string()) {
            return Err((self.at)(
                span.span(),
                format!("struct {name:?} contains itself"),
            ));
        }
        let structs = self.structs;
        let def = &structs[name];
        let mut size = 0;
        for i in 0..count {
            let prefix = if count == 1 {
                full.to_string()
            } else {
                format!("{full}[{i}]")
            };
            let (s, _) = self.layout(&def.fields, &prefix, start + i * size)?;
            size = s;
            if self.fields.len() > MAX_FIELDS {
                return Err((self.at)(
                    span.span(),
                    format!("more than {MAX_FIELDS} fields once flattened"),
                ));
            }
        }
        self.visiting.remove(name);
        Ok(size * count)
    }
}

enum Kind {
    Padding(u64),
    /// With an explicit byte order the field is a `zerocopy::byteorder`
    /// type: alignment 1. Without, a native type: alignment = size.
    Primitive(Primitive, Option<Endian>),
    Struct(String),
}

impl Kind {
    /// Alignment of a non-struct field (structs: `Builder::struct_align`).
    fn align(&self) -> u64 {
        match self {
            Kind::Padding(_) | Kind::Primitive(_, Some(_)) | Kind::Struct(_) => 1,
            Kind::Primitive(p, None) => p.size(),
        }
    }
}

/// A name quoted for a message: whole if short, else its start.
fn short(name: &str) -> String {
    match name.char_indices().nth(40) {
        None => format!("{name:?}"),
        Some((cut, _)) => format!("{:?}…", &name[..cut]),
    }
}

fn parse_primitive(name: &str) -> Option<Primitive> {
    Primitive::ALL.into_iter().find(|p| p.name() == name)
}
