//! Guards the schema: `#[derive(Record)]` describes every supported field
//! kind exactly (flat and nested forms of the seed's vertex, byteorder
//! types, padding, arrays of records), the encoding is canonical and its
//! fingerprint stable, and decoding any bytes is an error, never a panic.

mod common;

use common::Vertex;
use proptest::prelude::*;
use recstore::{Endian, Field, Primitive, Record, Schema};
use zerocopy::byteorder::{BigEndian, LittleEndian, U16, U32};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

#[derive(Record, FromBytes, IntoBytes, KnownLayout, Immutable, Clone, Copy)]
#[repr(C)]
struct Vector {
    x: f32,
    y: f32,
    z: f32,
}

#[derive(Record, FromBytes, IntoBytes, KnownLayout, Immutable, Clone, Copy)]
#[repr(C)]
struct Color {
    red: u16,
    green: u16,
    blue: u16,
}

/// The seed's vertex, nested.
#[derive(Record, FromBytes, IntoBytes, KnownLayout, Immutable, Clone, Copy)]
#[repr(C)]
#[record(name = "NestedVertex")]
struct NestedVertex {
    vector: Vector,
    color: Color,
    _pad: [u8; 2],
}

#[derive(Record, FromBytes, IntoBytes, KnownLayout, Immutable)]
#[repr(C)]
struct Portable {
    id: U32<LittleEndian>,
    port: U16<BigEndian>,
    #[record(padding)]
    reserved: [u8; 2],
    corners: [Color; 2],
}

fn fields(s: &Schema) -> Vec<(String, String, u64)> {
    s.fields()
        .iter()
        .map(|f| (f.name().to_string(), f.type_name(), f.offset()))
        .collect()
}

#[test]
fn the_flat_vertex() {
    let s = Vertex::schema();
    assert_eq!(
        (s.name(), s.size(), s.align(), s.stride()),
        ("Vertex", 20, 4, 20)
    );
    assert_eq!(
        fields(s),
        [
            ("position".into(), "[f32; 3]".into(), 0),
            ("color".into(), "[u16; 3]".into(), 12),
            ("_pad".into(), "padding[2]".into(), 18)
        ]
    );
    assert!(s.fields()[2].is_padding());
    s.validate().unwrap();
}

#[test]
fn the_nested_vertex_is_flattened_with_dotted_names() {
    let s = NestedVertex::schema();
    assert_eq!((s.name(), s.size(), s.stride()), ("NestedVertex", 20, 20));
    let names: Vec<_> = s.fields().iter().map(|f| (f.name(), f.offset())).collect();
    assert_eq!(
        names,
        [
            ("vector.x", 0),
            ("vector.y", 4),
            ("vector.z", 8),
            ("color.red", 12),
            ("color.green", 14),
            ("color.blue", 16),
            ("_pad", 18)
        ]
    );
    s.validate().unwrap();
    // Same bytes, different description: a different schema.
    assert_ne!(s.fingerprint(), Vertex::schema().fingerprint());
}

#[test]
fn byteorder_types_padding_attribute_and_arrays_of_records() {
    let s = Portable::schema();
    s.validate().unwrap();
    let f = |n: &str| s.field(n).unwrap().clone();
    assert_eq!(
        f("id"),
        Field::new("id", Primitive::U32, Endian::Little, 1, 0)
    );
    assert_eq!(f("port").endian(), Endian::Big);
    assert_eq!(f("port").type_name(), "u16be");
    assert!(f("reserved").is_padding());
    assert_eq!(f("corners[1].blue").offset(), 8 + 6 + 4);
    assert_eq!(s.size(), 20);
    assert_eq!(s.align(), 2);
}

#[test]
fn the_fingerprint_is_pinned() {
    // Changing this value means every existing file of this type stops
    // opening: it may only change with a new format version.
    let block = Vertex::schema().encode().unwrap();
    assert_eq!(
        block.len(),
        32 + 3 * 16 + "Vertex".len() + "position".len() + "color".len() + "_pad".len()
    );
    assert_eq!(
        Vertex::schema().fingerprint(),
        0xf152_1410_c7ec_6a7d,
        "{:#x}",
        Vertex::schema().fingerprint()
    );
}

#[test]
fn display_is_a_table() {
    let text = Vertex::schema().to_string();
    for needle in ["Vertex (20 bytes", "position", "f32", "padding", "18"] {
        assert!(text.contains(needle), "{text}");
    }
}

fn arb_schema() -> impl Strategy<Value = Schema> {
    let prim = prop::sample::select(Primitive::ALL.to_vec());
    let field = (
        prim,
        any::<bool>(),
        1u64..5,
        any::<bool>(),
        "[a-z][a-z0-9_.]{0,12}",
    );
    (
        prop::collection::vec(field, 1..20),
        "[A-Z][A-Za-z0-9]{0,10}",
    )
        .prop_map(|(raw, name)| {
            let mut fields = Vec::new();
            let mut off = 0;
            for (i, (p, big, count, pad, fname)) in raw.into_iter().enumerate() {
                let fname = format!("{fname}{i}");
                let f = if pad {
                    Field::padding(fname, count, off)
                } else {
                    Field::new(
                        fname,
                        p,
                        if big { Endian::Big } else { Endian::Little },
                        count,
                        off,
                    )
                };
                off += f.len();
                fields.push(f);
            }
            Schema::new(name, off, 1, fields)
        })
}

proptest! {
    #[test]
    fn schemas_round_trip_through_their_encoding(schema in arb_schema()) {
        let block = schema.encode().unwrap();
        let back = Schema::decode(&block).unwrap();
        prop_assert_eq!(&back, &schema);
        prop_assert_eq!(back.encode().unwrap(), block);
        prop_assert_eq!(back.fingerprint(), schema.fingerprint());
    }

    #[test]
    fn damaged_encodings_never_decode_to_another_schema(schema in arb_schema(), at in any::<prop::sample::Index>(), bit in 0u8..8) {
        let mut block = schema.encode().unwrap();
        let i = at.index(block.len());
        block[i] ^= 1 << bit;
        if let Ok(other) = Schema::decode(&block) {
            // Only a flip inside a name can still decode; it is then a different schema.
            prop_assert_ne!(other, schema);
        }
    }

    #[test]
    fn arbitrary_bytes_decode_to_an_error_or_a_valid_schema(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        if let Ok(s) = Schema::decode(&bytes) {
            s.validate().unwrap();
        }
    }
}

fn invalid(schema: &Schema) -> (recstore::SchemaProblem, String) {
    match schema.validate() {
        Err(e @ recstore::Error::InvalidSchema { .. }) => {
            let message = e.to_string();
            let recstore::Error::InvalidSchema { problem } = e else {
                unreachable!()
            };
            (problem, message)
        }
        other => panic!("expected an invalid schema, got {other:?}"),
    }
}

/// A field that runs past the record's end is named, with its bytes and
/// the record size; fields that stop short of the end say how many bytes
/// are undeclared.
#[test]
fn a_field_past_the_end_is_named_with_the_sizes() {
    let past = Schema::new(
        "r",
        12,
        4,
        vec![
            Field::new("a", Primitive::U64, Endian::Little, 1, 0),
            Field::new("b", Primitive::U32, Endian::Little, 2, 8),
        ],
    );
    let (problem, message) = invalid(&past);
    assert_eq!(
        problem,
        recstore::SchemaProblem::PastEnd {
            field: "b".into(),
            offset: 8,
            bytes: 8,
            size: 12
        }
    );
    assert!(
        message.contains(
            "field \"b\" takes bytes 8..16 (8 bytes), past the end of the 12-byte record: \
             make the field smaller or the record larger"
        ),
        "{message}"
    );

    let short = Schema::new(
        "r",
        16,
        8,
        vec![Field::new("a", Primitive::U32, Endian::Little, 3, 0)],
    );
    let (problem, message) = invalid(&short);
    assert_eq!(
        problem,
        recstore::SchemaProblem::GapAtEnd { end: 12, size: 16 }
    );
    assert!(
        message.contains("declare the last 4 bytes as a padding field"),
        "{message}"
    );
}

/// A zero-sized field (what `[u64; 0]` in a hand-written `Record` impl
/// describes) says why it cannot be stored and what to do.
#[test]
fn a_zero_count_field_says_to_remove_it() {
    let zero = Schema::new(
        "r",
        8,
        8,
        vec![
            Field::new("a", Primitive::U64, Endian::Little, 1, 0),
            Field::new("none", Primitive::U64, Endian::Little, 0, 8),
        ],
    );
    let (problem, message) = invalid(&zero);
    assert_eq!(
        problem,
        recstore::SchemaProblem::BadCount {
            field: "none".into(),
            count: 0
        }
    );
    assert!(
        message.contains("zero-sized field ([T; 0], PhantomData) cannot be stored: remove it"),
        "{message}"
    );
}
