//! Guards the `bool` and `text` field types (type codes 11 and 12, format
//! 1.2): their schema-file spelling and its errors, the schema block round
//! trip, the rule that decides which bytes are a text or a bool, how a
//! reader shows bytes that are neither (never a failure), the Rust
//! wrappers `Bool` and `Text<N>`, and that a code past the table is an
//! unknown type code, as codes 11 and 12 are to 1.0 and 1.1 readers.

use recstore::{
    decode_text, schema_file, Bool, Endian, Error, Field, Primitive, RawStore, Record, Schema,
    SchemaProblem, Text, Value,
};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

#[derive(Record, FromBytes, IntoBytes, KnownLayout, Immutable, Clone, Copy)]
#[repr(C)]
struct Asset {
    id: u32,
    name: Text<11>,
    active: Bool,
    flags: [Bool; 4],
}

#[test]
fn a_schema_file_spells_text_with_its_room_in_bytes() {
    let s = schema_file::parse(
        r#"
        name = "Asset"
        fields = [
            { name = "id", type = "u32" },
            { name = "name", type = "text", bytes = 11 },
            { name = "active", type = "bool" },
            { name = "flags", type = "bool", count = 4 },
        ]
        "#,
    )
    .unwrap();
    assert_eq!(&s, Asset::schema());
    let name = s.field("name").unwrap();
    assert_eq!(
        (name.primitive(), name.count(), name.elements(), name.len()),
        (Primitive::Text, 11, 1, 11)
    );
    assert_eq!(name.type_name(), "text[11]");
    assert_eq!(s.field("flags").unwrap().type_name(), "[bool; 4]");
    assert_eq!(s.field("flags").unwrap().elements(), 4);
    assert_eq!(s.field("active").unwrap().type_name(), "bool");
    assert_eq!((s.size(), s.align()), (20, 4));
    let table = s.to_string();
    assert!(table.contains("text") && table.contains("bool"), "{table}");
}

fn refused(fields: &str, words: &[&str]) {
    let text = format!("name = \"A\"\nfields = [\n  {fields},\n]");
    match schema_file::parse(&text) {
        Err(e @ Error::SchemaFile { line: 3, .. }) => {
            for w in words {
                assert!(e.to_string().contains(w), "{w:?} missing from: {e}");
            }
        }
        other => panic!("expected a schema file error on line 3, got {other:?}"),
    }
}

#[test]
fn bad_text_and_bool_fields_in_a_schema_file_say_what_to_write() {
    refused(r#"{ name = "t", type = "text" }"#, &["bytes = N"]);
    refused(
        r#"{ name = "t", type = "text", bytes = 4, count = 2 }"#,
        &["struct"],
    );
    refused(r#"{ name = "t", type = "text", bytes = 0 }"#, &["1 to"]);
    refused(r#"{ name = "t", type = "u8", bytes = 4 }"#, &["text field"]);
    refused(
        r#"{ name = "t", type = "bool", endian = "big" }"#,
        &["no byte order"],
    );
    refused(
        r#"{ name = "t", type = "text", bytes = 4, endian = "big" }"#,
        &["no byte order"],
    );
    refused(r#"{ name = "t", type = "string" }"#, &["bool", "text"]);
}

#[test]
fn text_and_bool_codes_round_trip_through_the_schema_block() {
    let s = Asset::schema();
    let block = s.encode().unwrap();
    assert_eq!(&Schema::decode(&block).unwrap(), s);
    // Descriptors start at 32, 16 bytes each; the type code is byte 6.
    let codes: Vec<u8> = (0..4).map(|i| block[32 + 16 * i + 6]).collect();
    assert_eq!(codes, [5, 12, 11, 11]); // u32, text, bool, bool
                                        // Count of a text field = its room.
    assert_eq!(&block[32 + 16 + 8..32 + 16 + 12], &11u32.to_le_bytes());
}

#[test]
fn a_type_code_past_the_table_is_an_unknown_type() {
    // What a 1.0 or 1.1 reader (codes 1 to 10) does with codes 11 and 12.
    let mut block = Asset::schema().encode().unwrap();
    block[32 + 16 + 6] = 13;
    assert!(matches!(
        Schema::decode(&block),
        Err(SchemaProblem::UnknownType { code: 13, ref field }) if field == "name"
    ));
    assert_eq!(Primitive::from_code(11), Some(Primitive::Bool));
    assert_eq!(Primitive::from_code(12), Some(Primitive::Text));
    assert_eq!(Primitive::from_code(13), None);
}

#[test]
fn padding_and_big_endian_flags_are_refused_on_text_and_bool() {
    let s = Schema::new(
        "A",
        4,
        1,
        vec![
            Field::new("t", Primitive::Text, Endian::Big, 3, 0),
            Field::new("b", Primitive::Bool, Endian::Big, 1, 3),
        ],
    );
    // One-byte types are stored little-endian whatever was asked.
    assert_eq!(s.fields()[0].endian(), Endian::Little);
    let block = s.encode().unwrap();
    for (desc, flag) in [(0, 1u8), (0, 2), (1, 1), (1, 2)] {
        let mut b = block.clone();
        b[32 + 16 * desc + 7] = flag;
        assert!(
            matches!(Schema::decode(&b), Err(SchemaProblem::BadFlags { .. })),
            "descriptor {desc} flags {flag}"
        );
    }
}

#[test]
fn text_is_utf8_then_nul_padding_and_nothing_else() {
    assert_eq!(decode_text(b"pump\0\0\0"), Ok("pump"));
    assert_eq!(decode_text(b"0123"), Ok("0123")); // fills its room
    assert_eq!(decode_text("°C".as_bytes()), Ok("°C"));
    assert_eq!(decode_text(b"\0\0\0"), Ok(""));
    assert_eq!(decode_text(b""), Ok(""));
    assert_eq!(decode_text(b"a\0b\0"), Err(&b"a\0b"[..])); // NUL then text
    assert_eq!(decode_text(b"ab\xff\0"), Err(&b"ab\xff"[..]));
    // A character cut at the end of the room is not text.
    assert_eq!(decode_text(&"é".as_bytes()[..1]), Err(&[0xc3][..]));
}

#[test]
fn values_show_text_bools_and_what_is_neither_without_failing() {
    let s = Asset::schema();
    let mut r = vec![0u8; 20];
    r[4..8].copy_from_slice(b"pump");
    r[15] = 1;
    r[16..20].copy_from_slice(&[0, 1, 2, 255]);
    let shown = |r: &[u8]| -> Vec<String> {
        s.fields()
            .iter()
            .flat_map(|f| f.values(r))
            .map(|v| v.to_string())
            .collect()
    };
    assert_eq!(
        shown(&r),
        [
            "0",
            "pump",
            "true",
            "false",
            "true",
            "invalid:0x02",
            "invalid:0xff"
        ]
    );
    r[4..15].copy_from_slice(b"ab\xffc\0d\"\n\0\0\0");
    assert_eq!(shown(&r)[1], r#"invalid:"ab\xffc\0d\"\n""#);
    let name = s.field("name").unwrap();
    assert_eq!(
        name.values(&r).collect::<Vec<_>>(),
        [Value::InvalidText(b"ab\xffc\0d\"\n".to_vec())]
    );
    // A record too short for the field has no values, as for numbers.
    assert_eq!(name.values(&r[..6]).count(), 0);
}

#[test]
fn rust_records_hold_bool_and_text_zero_copy() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("assets.recs");
    let mut store = recstore::Store::<Asset>::create(&path).unwrap();
    let a = Asset {
        id: 1,
        name: Text::new("Grüße ✓").unwrap(), // 11 bytes: fills its room
        active: Bool::TRUE,
        flags: [false, true, true, false].map(Bool::from),
    };
    store.push(&a).unwrap();
    store.close().unwrap();
    let store = recstore::Store::<Asset>::open_read_only(&path).unwrap();
    let back = store.first().unwrap();
    assert_eq!(back.name.as_str(), Ok("Grüße ✓"));
    assert_eq!(back.active.get(), Some(true));
    assert_eq!(back.flags.map(Bool::get)[1], Some(true));
    assert_eq!(format!("{:?}", back.name), "\"Grüße ✓\"");
    // Any byte is a `Bool`; only 0 and 1 are bools.
    assert_eq!(Bool::read_from_bytes(&[2]).unwrap().get(), None);
    assert_eq!(
        format!("{:?}", Bool::read_from_bytes(&[2]).unwrap()),
        "invalid:0x02"
    );
    let raw = RawStore::open_read_only(&path).unwrap();
    assert_eq!(raw.schema(), Asset::schema());
}

#[test]
fn a_text_that_does_not_fit_is_refused_never_cut() {
    assert!(Text::<4>::new("abcd").is_ok());
    let long = Text::<4>::new("abcde").unwrap_err();
    assert!(matches!(
        long,
        Error::TextDoesNotFit {
            len: 5,
            room: 4,
            nul: false
        }
    ));
    assert!(long.to_string().contains("5 bytes"), "{long}");
    assert!(long.to_string().contains("room of 4 bytes"), "{long}");
    // "aé" is 3 bytes: a room of 2 would cut the é in half.
    assert!(matches!(
        Text::<2>::new("aé"),
        Err(Error::TextDoesNotFit {
            len: 3,
            room: 2,
            ..
        })
    ));
    assert!(matches!(
        Text::<4>::new("a\0b"),
        Err(Error::TextDoesNotFit { nul: true, .. })
    ));
    assert_eq!(Text::<4>::new("ab").unwrap().bytes(), b"ab\0\0");
    assert_eq!(Text::<4>::default().as_str(), Ok(""));
}

#[test]
fn an_array_of_texts_is_refused_by_the_naming_rule() {
    #[derive(Record, FromBytes, IntoBytes, KnownLayout, Immutable)]
    #[repr(C)]
    struct Labels {
        labels: [Text<4>; 2],
    }
    let e = Labels::schema().validate().unwrap_err();
    assert!(e.to_string().contains("index"), "{e}");
}
