//! Annotated hex views of records: each field's bytes beside its name and
//! decoded values. For debugging files, examples and the CLI.

use std::fmt;

use crate::schema::Schema;
use crate::value::Value;

/// Displays one record field by field:
///
/// ```text
/// record 1 @ 0x1014
///   +0   00 00 80 3f 00 00 00 40 00 00 40 40  position  [f32; 3] = [1, 2, 3]
///   +12  ff 00 00 00 00 00                    color     [u16; 3] = [255, 0, 0]
///   +18  00 00                                _pad      padding[2]
/// ```
pub struct AnnotatedRecord<'a> {
    schema: &'a Schema,
    index: u64,
    file_offset: u64,
    bytes: &'a [u8],
}

/// An annotated view of record `index`, whose `bytes` start at
/// `file_offset` in the file.
pub fn annotate<'a>(
    schema: &'a Schema,
    index: u64,
    file_offset: u64,
    bytes: &'a [u8],
) -> AnnotatedRecord<'a> {
    AnnotatedRecord {
        schema,
        index,
        file_offset,
        bytes,
    }
}

impl fmt::Display for AnnotatedRecord<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "record {} @ {:#x}", self.index, self.file_offset)?;
        let hex_width = self
            .schema
            .fields()
            .iter()
            .map(|x| (x.len().min(16) * 3) as usize)
            .max()
            .unwrap_or(0);
        let name_width = self
            .schema
            .fields()
            .iter()
            .map(|x| x.name().len())
            .max()
            .unwrap_or(0);
        for field in self.schema.fields() {
            let bytes = field.bytes(self.bytes).unwrap_or(&[]);
            let mut hex: String = bytes.iter().take(16).map(|b| format!("{b:02x} ")).collect();
            if bytes.len() > 16 {
                hex.replace_range(hex.len() - 1.., "…");
            }
            write!(
                f,
                "  +{:<4} {:<hex_width$} {:<name_width$}  {}",
                field.offset(),
                hex,
                field.name(),
                field.type_name()
            )?;
            if !field.is_padding() {
                let values: Vec<String> = field
                    .values(self.bytes)
                    .map(|v| match v {
                        // Quoted, so that spaces and an empty text show.
                        Value::Text(s) => format!("{s:?}"),
                        v => v.to_string(),
                    })
                    .collect();
                if field.elements() == 1 {
                    write!(f, " = {}", values.join(""))?;
                } else {
                    write!(f, " = [{}]", values.join(", "))?;
                }
            }
            writeln!(f)?;
        }
        Ok(())
    }
}

/// One header field as stored in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderField {
    /// Byte offset in the file.
    pub offset: usize,
    /// Length in bytes.
    pub size: usize,
    /// The field's name in `docs/FORMAT.md`, prefixed by its structure.
    pub name: String,
    /// The stored value, decoded.
    pub value: String,
}

/// The superblock's and both commit slots' fields, decoded as stored
/// (without judging them: see [`crate::RawStore`] for that). Fields past
/// the end of `header` are left out.
pub fn header_fields(header: &[u8]) -> Vec<HeaderField> {
    use crate::format::{slot_offsets, SlotBytes, Superblock, SLOT_OFFSETS};
    use zerocopy::FromBytes;
    let mut out = Vec::new();
    let mut push = |offset: usize, size: usize, name: String, value: String| {
        if offset + size <= header.len() {
            out.push(HeaderField {
                offset,
                size,
                name,
                value,
            });
        }
    };
    // Each field's offset and size come from the format's structures, and
    // its name is the structure's field name.
    macro_rules! field {
        ($struct:ident, $at:expr, $prefix:expr, $s:ident . $f:ident, $value:expr) => {
            push(
                $at + std::mem::offset_of!($struct, $f),
                std::mem::size_of_val(&$s.$f),
                format!("{}.{}", $prefix, stringify!($f)),
                $value,
            )
        };
    }
    let hex = |b: &[u8]| {
        b.iter()
            .map(|x| format!("{x:02x}"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    if let Ok((sb, _)) = Superblock::ref_from_prefix(header) {
        let at = 0;
        let p = "superblock";
        field!(Superblock, at, p, sb.magic, hex(&sb.magic));
        field!(
            Superblock,
            at,
            p,
            sb.version_major,
            sb.version_major.to_string()
        );
        field!(
            Superblock,
            at,
            p,
            sb.version_minor,
            sb.version_minor.to_string()
        );
        field!(
            Superblock,
            at,
            p,
            sb.flags,
            format!("{:#x}", sb.flags.get())
        );
        field!(Superblock, at, p, sb.page_size, sb.page_size.to_string());
        field!(
            Superblock,
            at,
            p,
            sb.data_offset,
            sb.data_offset.to_string()
        );
        field!(
            Superblock,
            at,
            p,
            sb.schema_offset,
            sb.schema_offset.to_string()
        );
        field!(Superblock, at, p, sb.schema_len, sb.schema_len.to_string());
        let fingerprint = format!("{:#018x}", sb.fingerprint.get());
        field!(Superblock, at, p, sb.fingerprint, fingerprint);
        let schema_crc = format!("{:#010x}", sb.schema_crc.get());
        field!(Superblock, at, p, sb.schema_crc, schema_crc);
        field!(
            Superblock,
            at,
            p,
            sb.chunk_records,
            sb.chunk_records.to_string()
        );
        field!(Superblock, at, p, sb.stride, sb.stride.to_string());
        field!(Superblock, at, p, sb.crc, format!("{:#010x}", sb.crc.get()));
    }
    // Where the slots lie depends on the version (1.2 moved them).
    let slots = match Superblock::ref_from_prefix(header) {
        Ok((sb, _)) => {
            slot_offsets(sb.version_minor.get(), sb.data_offset.get().into()).map(|o| o as usize)
        }
        Err(_) => SLOT_OFFSETS,
    };
    for (i, &at) in slots.iter().enumerate() {
        let Some(Ok((s, _))) = header.get(at..).map(SlotBytes::ref_from_prefix) else {
            continue;
        };
        let p = format!("slot{i}");
        field!(SlotBytes, at, p, s.sequence, s.sequence.to_string());
        field!(SlotBytes, at, p, s.count, s.count.to_string());
        field!(SlotBytes, at, p, s.capacity, s.capacity.to_string());
        field!(SlotBytes, at, p, s.table_offset, s.table_offset.to_string());
        field!(SlotBytes, at, p, s.flags, format!("{:#x}", s.flags.get()));
        let tail_crc = format!("{:#010x}", s.tail_crc.get());
        field!(SlotBytes, at, p, s.tail_crc, tail_crc);
        let boot: String = s.boot_id.iter().map(|x| format!("{x:02x}")).collect();
        field!(SlotBytes, at, p, s.boot_id, boot);
        field!(SlotBytes, at, p, s.checked_from, s.checked_from.to_string());
        let table_crc = format!("{:#010x}", s.table_crc.get());
        field!(SlotBytes, at, p, s.table_crc, table_crc);
        field!(SlotBytes, at, p, s.crc, format!("{:#010x}", s.crc.get()));
    }
    out
}
