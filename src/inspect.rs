//! Annotated hex views of records: each field's bytes beside its name and
//! decoded values. For debugging files, examples and the CLI.

use std::fmt;

use crate::schema::Schema;

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
                let values: Vec<String> = field.values(self.bytes).map(|v| v.to_string()).collect();
                if field.count() == 1 {
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
