//! `bool` and text fields for Rust records: [`Bool`] and [`Text`].
//!
//! Rust's `bool` cannot be read zero-copy from a file (a byte other than 0
//! or 1 would be undefined behaviour), and `[u8; N]` is a `u8` array to the
//! schema. These one-byte-aligned wrappers are what a `#[derive(Record)]`
//! type holds for a schema's `bool` and `text` fields: any bytes are a
//! valid `Bool` or `Text`, and reading one checks it.
//!
//! ```
//! use recstore::{Bool, Record, Text};
//! use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};
//!
//! #[derive(Record, FromBytes, IntoBytes, KnownLayout, Immutable, Clone, Copy)]
//! #[repr(C)]
//! struct Asset { id: u32, name: Text<11>, active: Bool }
//!
//! let a = Asset { id: 7, name: Text::new("pump")?, active: Bool::TRUE };
//! assert_eq!((a.name.as_str(), a.active.get()), (Ok("pump"), Some(true)));
//! assert!(Text::<3>::new("°C").is_ok() && Text::<2>::new("°C").is_err()); // ° is 2 bytes
//! # Ok::<(), recstore::Error>(())
//! ```

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout, Unaligned};

use crate::error::{Error, Result};
use crate::schema::{Endian, Field, Primitive, RecordField};

/// A `bool` field: one byte, 0 for false and 1 for true.
#[derive(
    FromBytes,
    IntoBytes,
    KnownLayout,
    Immutable,
    Unaligned,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Default,
)]
#[repr(transparent)]
pub struct Bool(u8);

impl Bool {
    /// False (0).
    pub const FALSE: Bool = Bool(0);
    /// True (1).
    pub const TRUE: Bool = Bool(1);

    /// `b` as a field.
    pub const fn new(b: bool) -> Bool {
        Bool(b as u8)
    }
    /// The value: `None` for a byte other than 0 or 1, which is not a bool.
    pub const fn get(self) -> Option<bool> {
        match self.0 {
            0 => Some(false),
            1 => Some(true),
            _ => None,
        }
    }
    /// The byte as stored.
    pub const fn byte(self) -> u8 {
        self.0
    }
}

impl From<bool> for Bool {
    fn from(b: bool) -> Bool {
        Bool::new(b)
    }
}

impl std::fmt::Debug for Bool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.get() {
            Some(b) => write!(f, "{b}"),
            None => write!(f, "invalid:{:#04x}", self.0),
        }
    }
}

impl RecordField for Bool {
    const ELEMENTS: Option<(Primitive, Endian, u64)> = Some((Primitive::Bool, Endian::Little, 1));
    fn describe(name: &str, offset: u64, out: &mut Vec<Field>) {
        out.push(Field::new(name, Primitive::Bool, Endian::Little, 1, offset));
    }
}

/// A text field of `N` bytes: UTF-8 text, then NUL bytes to the end.
///
/// An array of texts (`[Text<N>; M]`) is not a schema field (its names
/// would end in `[i]`, which the naming rule keeps for array elements):
/// put the text in a struct and make an array of that.
#[derive(
    FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned, Clone, Copy, PartialEq, Eq, Hash,
)]
#[repr(transparent)]
pub struct Text<const N: usize>([u8; N]);

impl<const N: usize> Text<N> {
    /// The empty text (all NUL).
    pub const EMPTY: Text<N> = Text([0; N]);

    /// `text`, NUL-padded; refused ([`Error::TextDoesNotFit`]) if longer
    /// than `N` bytes (never cut) or holding a NUL.
    pub fn new(text: &str) -> Result<Text<N>> {
        let (len, room) = (text.len(), N);
        if text.contains('\0') || len > room {
            return Err(Error::TextDoesNotFit {
                len,
                room,
                nul: text.contains('\0'),
            });
        }
        let mut bytes = [0; N];
        bytes[..len].copy_from_slice(text.as_bytes());
        Ok(Text(bytes))
    }
    /// The text, without its NUL padding; the bytes (without trailing
    /// NULs) as the error when they are not UTF-8 text followed by NULs.
    pub fn as_str(&self) -> std::result::Result<&str, &[u8]> {
        crate::value::decode_text(&self.0)
    }
    /// The field's bytes as stored.
    pub const fn bytes(&self) -> &[u8; N] {
        &self.0
    }
}

impl<const N: usize> Default for Text<N> {
    fn default() -> Self {
        Text::EMPTY
    }
}

impl<const N: usize> std::fmt::Debug for Text<N> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.as_str() {
            Ok(s) => write!(f, "{s:?}"),
            Err(b) => write!(f, "{}", crate::Value::InvalidText(b.to_vec())),
        }
    }
}

impl<const N: usize> RecordField for Text<N> {
    /// `None`: a text is one value however long, never a run of elements
    /// that an array could lengthen.
    const ELEMENTS: Option<(Primitive, Endian, u64)> = None;
    fn describe(name: &str, offset: u64, out: &mut Vec<Field>) {
        out.push(Field::new(
            name,
            Primitive::Text,
            Endian::Little,
            N as u64,
            offset,
        ));
    }
}
