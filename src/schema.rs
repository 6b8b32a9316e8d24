//! Record schemas: what the bytes of one record mean.
//!
//! A [`Schema`] lists every field of a record with its dotted name, primitive
//! type, byte order, element count and byte offset. Its encoding (the schema
//! block of `docs/FORMAT.md`) is canonical: one schema has exactly one
//! encoding, so its [fingerprint](Schema::fingerprint) identifies it and the
//! type check on open is a comparison, not a parse of the data. The codec
//! ([`Schema::encode`], [`Schema::decode`]) lives with the rest of the
//! file's specification in [`crate::format`].
//!
//! Schemas come from `#[derive(Record)]` ([`Record::schema`]), or from a
//! file's header, which is decoded with the same checks as any other hostile
//! input.

use std::fmt;

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

/// Most fields a schema may have.
pub const MAX_FIELDS: usize = 4096;
/// Longest record or field name, in bytes of UTF-8.
pub const MAX_NAME_LEN: usize = 255;
/// Largest record, in bytes.
pub const MAX_RECORD_SIZE: u64 = 1 << 20;
/// Largest record alignment: the data region is page-aligned, so more cannot be promised.
pub const MAX_ALIGN: u64 = 4096;

/// A primitive element type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Primitive {
    /// `u8`
    U8 = 1,
    /// `i8`
    I8 = 2,
    /// `u16`
    U16 = 3,
    /// `i16`
    I16 = 4,
    /// `u32`
    U32 = 5,
    /// `i32`
    I32 = 6,
    /// `u64`
    U64 = 7,
    /// `i64`
    I64 = 8,
    /// `f32`
    F32 = 9,
    /// `f64`
    F64 = 10,
    /// `bool`: one byte, 0 (false) or 1 (true). Any other byte is not a
    /// bool: text formats show it as `invalid:0xNN` and never write it.
    Bool = 11,
    /// UTF-8 text in a field of `count` bytes (its room), padded with NUL
    /// bytes after the text; the text itself holds no NUL. One value per
    /// field, not `count` values: see [`Field::elements`].
    Text = 12,
}

impl Primitive {
    /// All primitives, in code order.
    pub const ALL: [Primitive; 12] = [
        Primitive::U8,
        Primitive::I8,
        Primitive::U16,
        Primitive::I16,
        Primitive::U32,
        Primitive::I32,
        Primitive::U64,
        Primitive::I64,
        Primitive::F32,
        Primitive::F64,
        Primitive::Bool,
        Primitive::Text,
    ];

    /// Size of one element in bytes.
    pub const fn size(self) -> u64 {
        match self {
            Primitive::U8 | Primitive::I8 | Primitive::Bool | Primitive::Text => 1,
            Primitive::U16 | Primitive::I16 => 2,
            Primitive::U32 | Primitive::I32 | Primitive::F32 => 4,
            Primitive::U64 | Primitive::I64 | Primitive::F64 => 8,
        }
    }

    /// The Rust name of the type, e.g. `"f32"`.
    pub const fn name(self) -> &'static str {
        match self {
            Primitive::U8 => "u8",
            Primitive::I8 => "i8",
            Primitive::U16 => "u16",
            Primitive::I16 => "i16",
            Primitive::U32 => "u32",
            Primitive::I32 => "i32",
            Primitive::U64 => "u64",
            Primitive::I64 => "i64",
            Primitive::F32 => "f32",
            Primitive::F64 => "f64",
            Primitive::Bool => "bool",
            Primitive::Text => "text",
        }
    }

    /// The type code stored in the schema block.
    pub const fn code(self) -> u8 {
        self as u8
    }

    /// The primitive with this type code.
    pub fn from_code(code: u8) -> Option<Primitive> {
        Primitive::ALL.into_iter().find(|p| p.code() == code)
    }
}

/// Byte order of a multi-byte field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Endian {
    /// Least significant byte first.
    Little,
    /// Most significant byte first.
    Big,
}

impl Endian {
    /// The byte order of this machine: native-typed fields are stored in it.
    pub const NATIVE: Endian = if cfg!(target_endian = "big") {
        Endian::Big
    } else {
        Endian::Little
    };
}

/// One field of a record: a run of `count` elements of one primitive type.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Field {
    name: String,
    primitive: Primitive,
    endian: Endian,
    count: u64,
    offset: u64,
    padding: bool,
}

impl Field {
    /// A data field of `count` elements of `primitive` at byte `offset`.
    /// Single-byte types are always recorded as little-endian.
    pub fn new(
        name: impl Into<String>,
        primitive: Primitive,
        endian: Endian,
        count: u64,
        offset: u64,
    ) -> Field {
        let endian = if primitive.size() == 1 {
            Endian::Little
        } else {
            endian
        };
        Field {
            name: name.into(),
            primitive,
            endian,
            count,
            offset,
            padding: false,
        }
    }

    /// A padding field: `len` bytes at `offset` that carry no data.
    pub fn padding(name: impl Into<String>, len: u64, offset: u64) -> Field {
        Field {
            padding: true,
            ..Field::new(name, Primitive::U8, Endian::Little, len, offset)
        }
    }

    /// The field as decoded from a schema block: marked padding or not,
    /// whatever its type (the format's rules then refuse padding that is
    /// not bytes).
    pub(crate) fn with_padding(self, padding: bool) -> Field {
        Field { padding, ..self }
    }

    /// The dotted name, e.g. `color.red`.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// The element type.
    pub fn primitive(&self) -> Primitive {
        self.primitive
    }
    /// The byte order of each element.
    pub fn endian(&self) -> Endian {
        self.endian
    }
    /// The number of elements (1 for a scalar, N for `[T; N]`).
    pub fn count(&self) -> u64 {
        self.count
    }
    /// Byte offset of the field in the record.
    pub fn offset(&self) -> u64 {
        self.offset
    }
    /// Whether the field is padding.
    pub fn is_padding(&self) -> bool {
        self.padding
    }
    /// Length of the field in bytes (saturating, for display of invalid schemas).
    pub fn len(&self) -> u64 {
        self.count.saturating_mul(self.primitive.size())
    }
    /// Whether the field is zero bytes long (never true of a valid schema).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Whether the field holds text ([`Primitive::Text`]).
    pub fn is_text(&self) -> bool {
        self.primitive == Primitive::Text && !self.padding
    }
    /// The number of values the field holds: 1 for a text field (its
    /// `count` is the room in bytes), `count` for any other.
    pub fn elements(&self) -> u64 {
        if self.is_text() {
            1
        } else {
            self.count
        }
    }

    /// Type as text: `f32`, `[u16; 3]`, `u32be`, `bool`, `text[16]`, `padding[2]`.
    pub fn type_name(&self) -> String {
        if self.padding {
            return format!("padding[{}]", self.count);
        }
        if self.is_text() {
            return format!("text[{}]", self.count);
        }
        let be = if self.endian == Endian::Big { "be" } else { "" };
        if self.count == 1 {
            format!("{}{be}", self.primitive.name())
        } else {
            format!("[{}{be}; {}]", self.primitive.name(), self.count)
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} @{}", self.name, self.type_name(), self.offset)
    }
}

/// The layout of one record type: its name, size, alignment and every
/// field (name, type, element count, offset), nested structs flattened
/// with dotted names. Stored in the file's header; `#[derive(Record)]`
/// builds it from a struct, [`Schema::new`] (or a schema file) from parts.
///
/// ```
/// use recstore::{Endian, Field, Primitive, Record, Schema};
/// use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};
///
/// #[derive(Record, FromBytes, IntoBytes, KnownLayout, Immutable)]
/// #[repr(C)]
/// struct Vertex {
///     position: [f32; 3],
///     color: [u16; 3],
///     _pad: [u8; 2],
/// }
///
/// let schema = Vertex::schema();
/// assert_eq!((schema.name(), schema.stride()), ("Vertex", 20));
/// let names: Vec<&str> = schema.fields().iter().map(|f| f.name()).collect();
/// assert_eq!(names, ["position", "color", "_pad"]);
/// assert_eq!(schema.fields()[1].type_name(), "[u16; 3]");
///
/// // The same layout from its parts, as a tool without the Rust type would.
/// let by_hand = Schema::new(
///     "Vertex",
///     20,
///     4,
///     vec![
///         Field::new("position", Primitive::F32, Endian::Little, 3, 0),
///         Field::new("color", Primitive::U16, Endian::Little, 3, 12),
///         Field::padding("_pad", 2, 18),
///     ],
/// );
/// assert_eq!(&by_hand, schema);
/// by_hand.validate()?;
///
/// // A record's field values, decoded from its bytes.
/// let v = Vertex { position: [1.0, 2.0, 3.0], color: [7, 8, 9], _pad: [0; 2] };
/// let color: Vec<String> = schema.fields()[1].values(v.as_bytes()).map(|x| x.to_string()).collect();
/// assert_eq!(color, ["7", "8", "9"]);
/// # Ok::<(), recstore::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Schema {
    name: String,
    size: u64,
    align: u64,
    fields: Vec<Field>,
}

impl Schema {
    /// A schema from its parts. Fields are put in offset order; nothing else
    /// is checked until [`validate`](Schema::validate) (which every store
    /// operation runs), so a schema built from a type is never a panic.
    pub fn new(name: impl Into<String>, size: u64, align: u64, mut fields: Vec<Field>) -> Schema {
        fields.sort_by_key(|f| f.offset);
        Schema {
            name: name.into(),
            size,
            align,
            fields,
        }
    }

    /// The record type's name.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// Size of one record in bytes.
    pub fn size(&self) -> u64 {
        self.size
    }
    /// Alignment the record needs.
    pub fn align(&self) -> u64 {
        self.align
    }
    /// Distance between consecutive records (equal to the size in format v1).
    pub fn stride(&self) -> u64 {
        self.size
    }
    /// The fields, in offset order.
    pub fn fields(&self) -> &[Field] {
        &self.fields
    }
    /// The field with this dotted name.
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// One line: `Vertex (20 bytes, align 4, 3 fields)`.
    pub fn summary(&self) -> String {
        format!(
            "{} ({} bytes, align {}, {} fields, fingerprint {:#018x})",
            self.name,
            self.size,
            self.align,
            self.fields.len(),
            self.fingerprint()
        )
    }

    /// The format's rules (see [`validate`](Schema::validate)), as a
    /// problem: for the schema block's decoder (`crate::format`).
    pub(crate) fn check(&self) -> Result<(), SchemaProblem> {
        check_name(&self.name)?;
        let bad_size = |rule| SchemaProblem::BadSize {
            size: self.size,
            align: self.align,
            stride: self.stride(),
            rule,
        };
        if self.size == 0 || self.size > MAX_RECORD_SIZE {
            return Err(bad_size("the size must be 1 to 1 MiB"));
        }
        if !self.align.is_power_of_two() || self.align > MAX_ALIGN {
            return Err(bad_size("the alignment must be a power of two up to 4096"));
        }
        if !self.size.is_multiple_of(self.align) {
            return Err(bad_size("the size must be a multiple of the alignment"));
        }
        if self.fields.is_empty() || self.fields.len() > MAX_FIELDS {
            return Err(SchemaProblem::FieldCount {
                count: self.fields.len() as u64,
            });
        }
        let mut names = std::collections::HashSet::with_capacity(self.fields.len());
        let mut end = 0u64;
        for f in &self.fields {
            check_name(&f.name)?;
            if !names.insert(f.name.as_str()) {
                return Err(SchemaProblem::DuplicateName {
                    name: f.name.clone(),
                });
            }
            let bytes = f
                .count
                .checked_mul(f.primitive.size())
                .filter(|_| f.count > 0)
                .ok_or_else(|| SchemaProblem::BadCount {
                    field: f.name.clone(),
                    count: f.count,
                })?;
            if f.offset != end {
                return Err(SchemaProblem::Layout {
                    field: f.name.clone(),
                    offset: f.offset,
                    expected_offset: end,
                });
            }
            if bytes > self.size - end {
                return Err(SchemaProblem::PastEnd {
                    field: f.name.clone(),
                    offset: f.offset,
                    bytes,
                    size: self.size,
                });
            }
            if f.padding && f.primitive != Primitive::U8 {
                return Err(SchemaProblem::BadFlags {
                    field: f.name.clone(),
                    flags: f.flags(),
                });
            }
            end = f.offset + bytes; // both <= size <= 1 MiB: cannot overflow
        }
        if end != self.size {
            return Err(SchemaProblem::GapAtEnd {
                end,
                size: self.size,
            });
        }
        Ok(())
    }
}

impl fmt::Display for Schema {
    /// A table: one row per field with name, type, count and offset.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", shown_name(&self.summary()))?;
        writeln!(
            f,
            "  {:<24} {:<12} {:>6} {:>7}",
            "field", "type", "count", "offset"
        )?;
        for field in &self.fields {
            let ty = if field.padding {
                "padding".to_string()
            } else {
                let be = if field.endian == Endian::Big {
                    "be"
                } else {
                    ""
                };
                format!("{}{be}", field.primitive.name())
            };
            writeln!(
                f,
                "  {:<24} {:<12} {:>6} {:>7}",
                shown_name(&field.name),
                ty,
                field.count,
                field.offset
            )?;
        }
        Ok(())
    }
}

/// A name as a table shows it: as it is, or quoted with escapes when it
/// holds what would break the table's lines (a store made before the
/// naming rule may have a newline in a name).
fn shown_name(name: &str) -> std::borrow::Cow<'_, str> {
    if name.chars().any(char::is_control) {
        format!("{name:?}").into()
    } else {
        name.into()
    }
}

fn check_name(name: &str) -> Result<(), SchemaProblem> {
    if name.is_empty() || name.len() > MAX_NAME_LEN {
        return Err(SchemaProblem::BadName {
            name: name.chars().take(64).collect(),
            rule: "names must be 1 to 255 bytes long",
        });
    }
    if name.contains('\0') {
        return Err(SchemaProblem::BadName {
            name: name.into(),
            rule: "names must not contain NUL",
        });
    }
    Ok(())
}

/// The naming rule for the record's name, on top of the format's: no
/// control characters (newlines, tabs, NUL) and no spaces at either end, so
/// that every tool can print it on one line and read it back.
pub fn check_record_name(name: &str) -> Result<(), SchemaProblem> {
    check_name(name)?;
    check_text(name)
}

/// The naming rule for a field's (flattened) name, on top of the format's,
/// so that the name survives every text format (CSV headers, `--fields`
/// lists, the dotted names of nested structs) and reads back as itself:
///
/// - it is parts joined by `.` (the fields of nested structs), each part
///   a name optionally followed by indices `[0]`, `[1]`, … (the elements
///   of an array of structs), and the last part has no index (`name[i]`
///   is how text formats name an element of an array field);
/// - each name in it (see [`check_name_part`]) is non-empty, has no space
///   at either end, no control character, and none of `.` `[` `]` `,` `"`.
pub fn check_field_name(name: &str) -> Result<(), SchemaProblem> {
    check_name(name)?;
    let bad = |rule| {
        Err(SchemaProblem::BadName {
            name: name.into(),
            rule,
        })
    };
    let parts: Vec<&str> = name.split('.').collect();
    for (i, part) in parts.iter().enumerate() {
        let (base, mut indices) = part
            .split_once('[')
            .map_or((*part, ""), |(b, _)| (b, &part[b.len()..]));
        check_name_part(base).or_else(|e| match e {
            SchemaProblem::BadName { rule, .. } => bad(rule),
            other => Err(other),
        })?;
        if !indices.is_empty() && i + 1 == parts.len() {
            return bad("a field name must not end with an index `[N]`: that is how an element of an array field is named");
        }
        while !indices.is_empty() {
            let ok = indices
                .strip_prefix('[')
                .and_then(|r| r.split_once(']'))
                .filter(|(n, _)| {
                    !n.is_empty()
                        && n.bytes().all(|b| b.is_ascii_digit())
                        && (n.len() == 1 || !n.starts_with('0'))
                });
            match ok {
                Some((_, rest)) => indices = rest,
                None => return bad("`[` in a field name opens an index of an array of structs: `[` digits `]`, nothing else"),
            }
        }
    }
    Ok(())
}

/// The rule for one name in a field name (a schema file's `name = "…"`):
/// non-empty, no space at either end, no control character, none of `.`
/// `[` `]` `,` `"`.
pub fn check_name_part(name: &str) -> Result<(), SchemaProblem> {
    let bad = |rule| {
        Err(SchemaProblem::BadName {
            name: name.into(),
            rule,
        })
    };
    if name.is_empty() {
        return bad("names must not be empty");
    }
    check_text(name)?;
    if name.contains(['.', '[', ']', ',', '"']) {
        return bad("a field name must not contain `.`, `[`, `]`, `,` or `\"` (`.` and `[N]` join the names of nested structs)");
    }
    Ok(())
}

/// No control characters, no white space at either end.
fn check_text(name: &str) -> Result<(), SchemaProblem> {
    let bad = |rule| {
        Err(SchemaProblem::BadName {
            name: name.into(),
            rule,
        })
    };
    if name.chars().any(char::is_control) {
        return bad("names must not contain control characters (newlines, tabs, NUL)");
    }
    if name.starts_with(char::is_whitespace) || name.ends_with(char::is_whitespace) {
        return bad("names must not start or end with white space");
    }
    Ok(())
}

/// A record type that can live in a store.
///
/// Derive it with `#[derive(Record)]` next to zerocopy's `FromBytes,
/// IntoBytes, KnownLayout, Immutable` on a `#[repr(C)]` struct, so the schema
/// is generated from the struct and can never drift from it. The zerocopy
/// bounds are what make the zero-copy casts safe; the schema is what makes
/// the file self-describing and the type check on open possible.
pub trait Record: FromBytes + IntoBytes + KnownLayout + Immutable + Sized {
    /// The record's schema, built once.
    fn schema() -> &'static Schema;
}

/// Checks that `T`'s schema describes `T` itself: the stride is
/// `size_of::<T>()` and `T` needs no more alignment than the schema says.
/// A derived schema always does; a hand-written `Record` impl may not, and
/// every typed handle checks it at open, before it casts a byte.
pub(crate) fn check_rust_type<T: Record>() -> Result<(), SchemaProblem> {
    let schema = T::schema();
    let (type_size, type_align) = (std::mem::size_of::<T>(), std::mem::align_of::<T>());
    if schema.stride() == type_size as u64 && type_align as u64 <= schema.align() {
        return Ok(());
    }
    Err(SchemaProblem::NotItsType {
        record: schema.name().to_string(),
        stride: schema.stride(),
        align: schema.align(),
        type_size: type_size as u64,
        type_align: type_align as u64,
    })
}

/// A type that can be a field of a [`Record`]: primitives, the little- and
/// big-endian types of `zerocopy::byteorder`, arrays of these, and other
/// records (flattened with dotted names).
///
/// `#[derive(Record)]` implements it for the record itself, so records nest.
pub trait RecordField {
    /// `Some((type, byte order, element count))` when the field is a uniform
    /// run of one primitive; `None` for nested records.
    const ELEMENTS: Option<(Primitive, Endian, u64)>;

    /// Appends this field's schema fields, named from `name`, at `offset`.
    fn describe(name: &str, offset: u64, out: &mut Vec<Field>);
}

macro_rules! primitive_field {
    ($($ty:ty => $prim:ident, $endian:expr;)*) => {$(
        impl RecordField for $ty {
            const ELEMENTS: Option<(Primitive, Endian, u64)> = Some((Primitive::$prim, $endian, 1));
            fn describe(name: &str, offset: u64, out: &mut Vec<Field>) {
                out.push(Field::new(name, Primitive::$prim, $endian, 1, offset));
            }
        }
    )*};
}

use zerocopy::byteorder::{BigEndian as BE, LittleEndian as LE};
primitive_field! {
    u8 => U8, Endian::Little;
    i8 => I8, Endian::Little;
    u16 => U16, Endian::NATIVE;
    i16 => I16, Endian::NATIVE;
    u32 => U32, Endian::NATIVE;
    i32 => I32, Endian::NATIVE;
    u64 => U64, Endian::NATIVE;
    i64 => I64, Endian::NATIVE;
    f32 => F32, Endian::NATIVE;
    f64 => F64, Endian::NATIVE;
    zerocopy::byteorder::U16<LE> => U16, Endian::Little;
    zerocopy::byteorder::I16<LE> => I16, Endian::Little;
    zerocopy::byteorder::U32<LE> => U32, Endian::Little;
    zerocopy::byteorder::I32<LE> => I32, Endian::Little;
    zerocopy::byteorder::U64<LE> => U64, Endian::Little;
    zerocopy::byteorder::I64<LE> => I64, Endian::Little;
    zerocopy::byteorder::F32<LE> => F32, Endian::Little;
    zerocopy::byteorder::F64<LE> => F64, Endian::Little;
    zerocopy::byteorder::U16<BE> => U16, Endian::Big;
    zerocopy::byteorder::I16<BE> => I16, Endian::Big;
    zerocopy::byteorder::U32<BE> => U32, Endian::Big;
    zerocopy::byteorder::I32<BE> => I32, Endian::Big;
    zerocopy::byteorder::U64<BE> => U64, Endian::Big;
    zerocopy::byteorder::I64<BE> => I64, Endian::Big;
    zerocopy::byteorder::F32<BE> => F32, Endian::Big;
    zerocopy::byteorder::F64<BE> => F64, Endian::Big;
}

impl<T: RecordField, const N: usize> RecordField for [T; N] {
    const ELEMENTS: Option<(Primitive, Endian, u64)> = match T::ELEMENTS {
        Some((p, e, c)) => Some((p, e, c * N as u64)),
        None => None,
    };

    fn describe(name: &str, offset: u64, out: &mut Vec<Field>) {
        match Self::ELEMENTS {
            Some((p, e, c)) => out.push(Field::new(name, p, e, c, offset)),
            None => {
                let size = std::mem::size_of::<T>() as u64;
                for i in 0..N as u64 {
                    T::describe(&format!("{name}[{i}]"), offset + i * size, out);
                }
            }
        }
    }
}

/// What is wrong with a schema.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SchemaProblem {
    /// A name is empty, too long, or not UTF-8.
    BadName {
        /// The name (lossily decoded).
        name: String,
        /// What the rule is.
        rule: &'static str,
    },
    /// Two fields share a name.
    DuplicateName {
        /// The name.
        name: String,
    },
    /// The record size is zero or over the limit, or not a multiple of the alignment.
    BadSize {
        /// Record size.
        size: u64,
        /// Record alignment.
        align: u64,
        /// Stride.
        stride: u64,
        /// What the rule is.
        rule: &'static str,
    },
    /// The schema has no fields, or more than the limit.
    FieldCount {
        /// Number of fields.
        count: u64,
    },
    /// Fields overlap or leave a gap between them.
    Layout {
        /// The field.
        field: String,
        /// Its offset.
        offset: u64,
        /// Where it was expected to start (the previous field's end).
        expected_offset: u64,
    },
    /// A field's element count is zero or its bytes overflow.
    BadCount {
        /// The field.
        field: String,
        /// Its count.
        count: u64,
    },
    /// A field runs past the end of the record.
    PastEnd {
        /// The field.
        field: String,
        /// Its offset.
        offset: u64,
        /// Its size in bytes.
        bytes: u64,
        /// The record size.
        size: u64,
    },
    /// A `Record` impl's schema does not describe its Rust type: the
    /// stride is not the type's size, or the type needs more alignment.
    NotItsType {
        /// The record name in the schema.
        record: String,
        /// The schema's stride.
        stride: u64,
        /// The schema's alignment.
        align: u64,
        /// `size_of` the Rust type.
        type_size: u64,
        /// `align_of` the Rust type.
        type_align: u64,
    },
    /// The fields end before the record does: its last bytes are not
    /// declared.
    GapAtEnd {
        /// Where the last field ends.
        end: u64,
        /// The record size.
        size: u64,
    },
    /// A field's primitive type code is unknown.
    UnknownType {
        /// The field (or its index if the name is unknown).
        field: String,
        /// The type code.
        code: u8,
    },
    /// A field sets flag bits the format does not define, or padding that is not `u8`.
    BadFlags {
        /// The field.
        field: String,
        /// The flags.
        flags: u8,
    },
    /// The encoded block's lengths do not add up.
    Encoding {
        /// What does not add up.
        what: &'static str,
    },
    /// The block decodes, but is not in canonical form.
    NotCanonical,
}

impl fmt::Display for SchemaProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SchemaProblem::BadName { name, rule } => write!(f, "name {name:?}: {rule}"),
            SchemaProblem::DuplicateName { name } => write!(f, "two fields are named {name:?}"),
            SchemaProblem::BadSize {
                size,
                align,
                stride,
                rule,
            } => write!(f, "size {size}, alignment {align}, stride {stride}: {rule}"),
            SchemaProblem::FieldCount { count } => write!(
                f,
                "{count} fields; a record needs 1 to {} fields",
                MAX_FIELDS
            ),
            SchemaProblem::Layout {
                field,
                offset,
                expected_offset,
            } => write!(
                f,
                "field {field:?} starts at byte {offset}, expected {expected_offset}: fields must tile the record \
                 exactly, in order, with padding declared as padding fields"
            ),
            SchemaProblem::BadCount { field, count: 0 } => write!(
                f,
                "field {field:?} has element count 0: every field needs at least one element, so a \
                 zero-sized field ([T; 0], PhantomData) cannot be stored: remove it"
            ),
            SchemaProblem::BadCount { field, count } => write!(
                f,
                "field {field:?} has element count {count}, whose size in bytes overflows: use a smaller count"
            ),
            SchemaProblem::PastEnd {
                field,
                offset,
                bytes,
                size,
            } => write!(
                f,
                "field {field:?} takes bytes {offset}..{} ({bytes} bytes), past the end of the \
                 {size}-byte record: make the field smaller or the record larger",
                offset.saturating_add(*bytes)
            ),
            SchemaProblem::NotItsType {
                record,
                stride,
                align,
                type_size,
                type_align,
            } => write!(
                f,
                "the schema of {record:?} describes records of {stride} bytes aligned to {align}, \
                 but its Rust type is {type_size} bytes aligned to {type_align}: its Record impl \
                 describes another layout; derive it with #[derive(Record)], or fix the impl's \
                 schema to match the type"
            ),
            SchemaProblem::GapAtEnd { end, size } => write!(
                f,
                "the fields end at byte {end} but the record is {size} bytes: declare the last {} \
                 bytes as a padding field, or make the record smaller",
                size.saturating_sub(*end)
            ),
            SchemaProblem::UnknownType { field, code } => {
                write!(f, "field {field:?} has unknown type code {code}")
            }
            SchemaProblem::BadFlags { field, flags } => write!(
                f,
                "field {field:?} has flags {flags:#04x}: unknown bits, or padding that is not u8"
            ),
            SchemaProblem::Encoding { what } => write!(f, "{what}"),
            SchemaProblem::NotCanonical => write!(f, "the block is not in canonical form"),
        }
    }
}

/// Support for the code `#[derive(Record)]` generates. Not public API.
#[doc(hidden)]
pub mod derive_support {
    pub use super::{Field, Record, RecordField, Schema};

    /// Describes a padding field of `len` bytes.
    pub fn padding(name: &str, offset: u64, len: u64, out: &mut Vec<Field>) {
        out.push(Field::padding(name, len, offset));
    }

    /// Describes a nested field, prefixing its fields' names.
    pub fn nested<F: RecordField>(name: &str, offset: u64, out: &mut Vec<Field>) {
        F::describe(name, offset, out);
    }

    /// Joins a prefix and a field name with a dot (no dot for an empty prefix).
    pub fn join(prefix: &str, name: &str) -> String {
        if prefix.is_empty() {
            name.to_string()
        } else {
            format!("{prefix}.{name}")
        }
    }
}
