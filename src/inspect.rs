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
    if let Ok((sb, _)) = Superblock::ref_from_prefix(header) {
        let hex = |b: &[u8]| {
            b.iter()
                .map(|x| format!("{x:02x}"))
                .collect::<Vec<_>>()
                .join(" ")
        };
        push(0, 8, "superblock.magic".into(), hex(&sb.magic));
        push(
            8,
            2,
            "superblock.version_major".into(),
            sb.version_major.get().to_string(),
        );
        push(
            10,
            2,
            "superblock.version_minor".into(),
            sb.version_minor.get().to_string(),
        );
        push(
            12,
            4,
            "superblock.flags".into(),
            format!("{:#x}", sb.flags.get()),
        );
        push(
            16,
            4,
            "superblock.page_size".into(),
            sb.page_size.get().to_string(),
        );
        push(
            20,
            4,
            "superblock.data_offset".into(),
            sb.data_offset.get().to_string(),
        );
        push(
            24,
            4,
            "superblock.schema_offset".into(),
            sb.schema_offset.get().to_string(),
        );
        push(
            28,
            4,
            "superblock.schema_len".into(),
            sb.schema_len.get().to_string(),
        );
        push(
            32,
            8,
            "superblock.fingerprint".into(),
            format!("{:#018x}", sb.fingerprint.get()),
        );
        push(
            40,
            4,
            "superblock.schema_crc".into(),
            format!("{:#010x}", sb.schema_crc.get()),
        );
        push(
            44,
            4,
            "superblock.chunk_records".into(),
            sb.chunk_records.get().to_string(),
        );
        push(
            48,
            4,
            "superblock.stride".into(),
            sb.stride.get().to_string(),
        );
        push(
            124,
            4,
            "superblock.crc".into(),
            format!("{:#010x}", sb.crc.get()),
        );
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
        let name = |f: &str| format!("slot{i}.{f}");
        push(at, 8, name("sequence"), s.sequence.get().to_string());
        push(at + 8, 8, name("count"), s.count.get().to_string());
        push(at + 16, 8, name("capacity"), s.capacity.get().to_string());
        push(
            at + 24,
            8,
            name("table_offset"),
            s.table_offset.get().to_string(),
        );
        push(at + 32, 4, name("flags"), format!("{:#x}", s.flags.get()));
        push(
            at + 36,
            4,
            name("tail_crc"),
            format!("{:#010x}", s.tail_crc.get()),
        );
        let boot = s
            .boot_id
            .iter()
            .map(|x| format!("{x:02x}"))
            .collect::<String>();
        push(at + 40, 16, name("boot_id"), boot);
        push(
            at + 56,
            8,
            name("checked_from"),
            s.checked_from.get().to_string(),
        );
        push(
            at + 64,
            4,
            name("table_crc"),
            format!("{:#010x}", s.table_crc.get()),
        );
        push(at + 124, 4, name("crc"), format!("{:#010x}", s.crc.get()));
    }
    out
}
