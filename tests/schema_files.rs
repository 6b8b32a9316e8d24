//! Guards the schema-file language (`docs/SCHEMA.md`): every bundled schema
//! in `schemas/` gives exactly the schema, and so the fingerprint, of the
//! equivalent `#[derive(Record)]` type, and every kind of bad schema file is
//! an error naming its line and what to do.

use recstore::{schema_file, Bool, Error, Record, Schema, Text};
use zerocopy::byteorder::{BigEndian, U32};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

fn bundled(name: &str) -> Schema {
    let path = format!("{}/schemas/{name}.toml", env!("CARGO_MANIFEST_DIR"));
    schema_file::load(&path).unwrap_or_else(|e| panic!("{e}"))
}

macro_rules! record {
    ($(#[$m:meta])* $name:ident { $($f:ident : $t:ty),* $(,)? }) => {
        #[derive(Record, FromBytes, IntoBytes, KnownLayout, Immutable, Clone, Copy)]
        #[repr(C)]
        $(#[$m])*
        #[allow(dead_code)]
        struct $name { $($f: $t),* }
    };
}

record!(ColoredVertex {
    position: [f32; 3],
    color: [u16; 3],
    _pad: [u8; 2]
});
record!(VertexNormalUv {
    position: [f32; 3],
    normal: [f32; 3],
    uv: [f32; 2]
});
record!(Triangle { indices: [u32; 3] });
record!(CloudPoint {
    x: f64,
    y: f64,
    z: f64,
    rgba: [u8; 4],
    _pad: [u8; 4]
});
record!(SensorReading {
    timestamp_ns: u64,
    sensor_id: u32,
    value: f32,
    flags: u32,
    _pad: [u8; 4]
});
record!(Vec3 {
    x: f32,
    y: f32,
    z: f32
});
record!(Rgba {
    r: u8,
    g: u8,
    b: u8,
    a: u8
});
record!(Particle {
    position: Vec3,
    velocity: Vec3,
    color: Rgba,
    mass: f32
});

record!(TaggedReading {
    timestamp_ns: u64,
    value: f32,
    label: Text<16>,
    unit: Text<3>,
    valid: Bool
});

#[test]
fn every_bundled_schema_equals_its_derived_type() {
    let pairs: [(&str, &Schema); 7] = [
        ("colored_vertex", ColoredVertex::schema()),
        ("vertex_normal_uv", VertexNormalUv::schema()),
        ("triangle", Triangle::schema()),
        ("point_cloud", CloudPoint::schema()),
        ("sensor_reading", SensorReading::schema()),
        ("particle", Particle::schema()),
        ("tagged_reading", TaggedReading::schema()),
    ];
    for (file, derived) in pairs {
        let loaded = bundled(file);
        assert_eq!(&loaded, derived, "{file}");
        assert_eq!(loaded.fingerprint(), derived.fingerprint(), "{file}");
    }
    // Every file in schemas/ is covered above.
    let count = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/schemas"))
        .unwrap()
        .count();
    assert_eq!(count, pairs.len());
    assert_eq!(bundled("colored_vertex").stride(), 20);
    assert_eq!(bundled("particle").field("color.a").unwrap().offset(), 27);
}

record!(#[record(name = "Wire")] Wire { id: U32<BigEndian>, code: u8, _pad: [u8; 3], corners: [Rgba; 2] });

#[test]
fn byte_order_struct_arrays_and_alignment_match_rust() {
    let loaded = schema_file::parse(
        r#"
        name = "Wire"
        fields = [
            { name = "id", type = "u32", endian = "big" },
            { name = "code", type = "u8" },
            { name = "_pad", padding = 3 },
            { name = "corners", type = "Rgba", count = 2 },
        ]
        [structs.Rgba]
        fields = [{ name = "r", type = "u8" }, { name = "g", type = "u8" }, { name = "b", type = "u8" }, { name = "a", type = "u8" }]
        "#,
    )
    .unwrap();
    assert_eq!(&loaded, Wire::schema());
    assert_eq!(loaded.align(), 1);
}

/// (schema text, expected line, words the message must contain)
fn bad(text: &str, line: usize, words: &[&str]) {
    match schema_file::parse(text) {
        Err(e @ Error::SchemaFile { .. }) => {
            let Error::SchemaFile {
                line: l,
                ref message,
                ..
            } = e
            else {
                unreachable!()
            };
            assert_eq!(l, line, "{e}");
            for w in words {
                assert!(message.contains(w), "{w:?} missing from: {e}");
            }
        }
        other => panic!("expected a schema file error, got {other:?}"),
    }
}

#[test]
fn bad_schema_files_name_the_line_and_the_problem() {
    bad(
        "name = \"A\"\nfields = [\n  { name = \"x\", type = \"f16\" },\n]",
        3,
        &["unknown type", "f16"],
    );
    bad(
        "name = \"A\"\nfields = [\n  { name = \"x\", type = \"u8\", count = 0 },\n]",
        3,
        &["count must be at least 1"],
    );
    bad(
        "name = \"A\"\nfields = [\n  { name = \"x\", type = \"u8\" },\n  { name = \"y\", type = \"u32\" },\n]",
        4,
        &["misaligned", "padding field of 3 bytes"],
    );
    bad(
        "name = \"A\"\nfields = [\n  { name = \"x\", type = \"u32\" },\n  { name = \"y\", type = \"u32\", offset = 2 },\n]",
        4,
        &["offset 2", "overlap"],
    );
    bad(
        "name = \"A\"\nfields = [\n  { name = \"x\", type = \"u8\" },\n  { name = \"x\", type = \"u8\" },\n]",
        4,
        &["duplicate field name"],
    );
    bad(
        "name = \"A\"\nfields = [\n  { name = \"x\", type = \"u8\", count = 2000000 },\n]",
        3,
        &["limit"],
    );
    bad("name = \"A\"\nfields = [\n  { name = \"x\", type = \"u32\" },\n  { name = \"y\", type = \"u8\" },\n]", 2, &["padding field of 3 bytes at the end"]);
    bad(
        "name = \"A\"\nfields = [\n  { name = \"x\", typo = \"u8\" },\n]",
        3,
        &["typo"],
    );
    bad(
        "name = \"A\"\nfields = [\n  { name = \"x\" type = \"u8\" },\n]",
        3,
        &[],
    );
    bad("name = \"A\"\nfields = []\n", 2, &["at least one field"]);
    bad(
        "name = \"A\"\nalign = 3\nfields = [{ name = \"x\", type = \"u8\" }]\n",
        2,
        &["power of two"],
    );
    bad(
        "name = \"A\"\nfields = [{ name = \"x\", type = \"S\" }]\n[structs.S]\nfields = [{ name = \"y\", type = \"S\" }]\n",
        2,
        &["\"S\"", "contains itself"],
    );
    bad(
        "name = \"A\"\nfields = [{ name = \"x\", type = \"u8\", endian = \"big\" }]\n",
        2,
        &["one-byte"],
    );
}

#[test]
fn loading_a_file_puts_its_path_in_the_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.toml");
    std::fs::write(
        &path,
        "name = \"A\"\nfields = [{ name = \"x\", type = \"u7\" }]\n",
    )
    .unwrap();
    let e = schema_file::load(&path).unwrap_err();
    assert!(
        e.to_string().starts_with(&format!("{}:2:", path.display())),
        "{e}"
    );
    assert!(matches!(
        schema_file::load(dir.path().join("missing.toml")),
        Err(Error::Io { .. })
    ));
}

record!(Event {
    r#type: u32,
    at: u32
});

/// A Rust keyword as a field name (`r#type`) is the field `type`: a store
/// created from the schema file that names it `type` opens with the Rust
/// type, and the derived schema equals the file's.
#[test]
fn a_raw_identifier_field_is_named_without_its_prefix() {
    let loaded = schema_file::parse(
        r#"
        name = "Event"
        fields = [{ name = "type", type = "u32" }, { name = "at", type = "u32" }]
        "#,
    )
    .unwrap();
    assert_eq!(Event::schema().fields()[0].name(), "type");
    assert_eq!(&loaded, Event::schema());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.recs");
    recstore::RawStore::create(&path, &loaded)
        .unwrap()
        .close()
        .unwrap();
    let mut store = recstore::Store::<Event>::open(&path).unwrap();
    store.push(&Event { r#type: 7, at: 1 }).unwrap();
    assert_eq!(store[0].r#type, 7);
}
