//! Guards the schema-file reader against hostile files (issue 17): a
//! doubling nest of structs fails fast at the field limit instead of
//! walking 2^D fields; `endian` on a struct-typed field is refused; errors
//! name the right place (a long field name at the name, columns counted in
//! characters, bytes that are not UTF-8 at their line and column); a count
//! past `u32::MAX` is "too large"; a schema block over its 1 MiB limit is
//! refused at the field that passes it; and field names that text formats
//! cannot carry are refused.

use recstore::{schema_file, Error};

/// The line, column and message of a schema-file error.
fn error(text: &str) -> (usize, usize, String) {
    match schema_file::parse(text) {
        Err(Error::SchemaFile {
            line,
            column,
            message,
            ..
        }) => (line, column, message),
        other => panic!("expected a schema file error, got {other:?}"),
    }
}

#[test]
fn a_doubling_nest_of_structs_stops_at_the_field_limit() {
    // S0 holds two S1, S1 two S2, ... S40 two f32: 2^41 fields flattened.
    let depth = 40;
    let mut text = String::from("name = \"Deep\"\nfields = [{ name = \"root\", type = \"S0\" }]\n");
    for i in 0..depth {
        text.push_str(&format!(
            "[structs.S{i}]\nfields = [{{ name = \"a\", type = \"S{n}\" }}, {{ name = \"b\", type = \"S{n}\" }}]\n",
            n = i + 1
        ));
    }
    text.push_str(&format!(
        "[structs.S{depth}]\nfields = [{{ name = \"x\", type = \"f32\" }}, {{ name = \"y\", type = \"f32\" }}]\n"
    ));
    let (_, _, message) = error(&text);
    assert!(message.contains("more than 4096 fields"), "{message}");
}

#[test]
fn endian_on_a_struct_field_is_refused_where_it_is_written() {
    let text = "name = \"A\"\nfields = [\n  { name = \"v\", type = \"V\", endian = \"big\" },\n]\n[structs.V]\nfields = [{ name = \"x\", type = \"u32\" }]\n";
    let (line, column, message) = error(text);
    assert_eq!((line, column), (3, 38), "{message}");
    assert!(
        message.contains("endian") && message.contains("number fields only"),
        "{message}"
    );
    // Set on the struct's own fields, it applies.
    let ok = schema_file::parse(
        "name = \"A\"\nfields = [{ name = \"v\", type = \"V\" }]\n[structs.V]\nfields = [{ name = \"x\", type = \"u32\", endian = \"big\" }]\n",
    )
    .unwrap();
    assert_eq!(ok.fields()[0].endian(), recstore::Endian::Big);
}

#[test]
fn errors_name_the_right_place() {
    // A 256-byte field name: at the field name, not at the record name.
    let long = "n".repeat(256);
    let text = format!("name = \"A\"\nfields = [\n  {{ name = \"{long}\", type = \"u8\" }},\n]\n");
    let (line, column, message) = error(&text);
    assert_eq!((line, column), (3, 12), "{message}");
    assert!(message.contains("256 bytes"), "{message}");
    assert!(message.len() < 300, "{message}");
    // The same once nested names are joined.
    let text = format!(
        "name = \"A\"\nfields = [{{ name = \"{}\", type = \"S\" }}]\n[structs.S]\nfields = [\n  {{ name = \"{}\", type = \"u8\" }},\n]\n",
        "p".repeat(200),
        "q".repeat(60)
    );
    let (line, _, message) = error(&text);
    assert_eq!(line, 5, "{message}");
    assert!(
        message.contains("261 bytes long once nested names are joined"),
        "{message}"
    );
    // Columns are characters: `é` and `ü` are two bytes each.
    let (line, column, message) =
        error("name = \"A\"\nfields = [{ name = \"éü\", type = \"f16\" }]\n");
    assert_eq!((line, column), (2, 33), "{message}");
    // A count past u32::MAX is too large, not too small.
    let (line, _, message) = error(
        "name = \"A\"\nfields = [\n  { name = \"x\", type = \"u8\", count = 4294967296 },\n]\n",
    );
    assert_eq!(line, 3);
    assert!(
        message.contains("too large") && message.contains("4294967295"),
        "{message}"
    );
}

#[test]
fn bytes_that_are_not_utf8_are_a_schema_file_error_with_a_place() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("garbage.toml");
    std::fs::write(&path, b"name = \"A\"\nfie\xff\xfe\x00lds = 1\n").unwrap();
    match schema_file::load(&path) {
        Err(Error::SchemaFile {
            path: p,
            line,
            column,
            message,
        }) => {
            assert_eq!(p, path);
            assert_eq!((line, column), (2, 4), "{message}");
            assert!(
                message.contains("0xff") && message.contains("UTF-8"),
                "{message}"
            );
        }
        other => panic!("expected a schema file error, got {other:?}"),
    }
}

#[test]
fn a_schema_block_over_its_limit_is_refused_at_the_field_that_passes_it() {
    // 4096 fields with 247-byte names: 32 + 4096 x (16 + 247) bytes > 1 MiB.
    let text = format!(
        "name = \"A\"\nfields = [\n  {{ name = \"{}\", type = \"S\", count = 2048 }},\n]\n[structs.S]\nfields = [{{ name = \"{}\", type = \"u8\" }}, {{ name = \"{}\", type = \"u8\" }}]\n",
        "x".repeat(200),
        "y".repeat(40),
        "z".repeat(40)
    );
    let (line, _, message) = error(&text);
    assert_eq!(line, 6, "{message}");
    assert!(message.contains("1048576-byte limit"), "{message}");
}

#[test]
fn names_that_text_formats_cannot_carry_are_refused() {
    for (name, rule) in [
        ("a ", "white space"),
        (" a", "white space"),
        ("a\\nb", "control characters"),
        ("a\\tb", "control characters"),
        ("a,b", "`,`"),
        ("a\\\"b", "`,`"),
        ("a.b", "`.`"),
        ("a[0]", "`[`"),
        ("a]", "`]`"),
        ("", "empty"),
    ] {
        let text =
            format!("name = \"A\"\nfields = [\n  {{ name = \"{name}\", type = \"u8\" }},\n]\n");
        let (line, _, message) = error(&text);
        assert_eq!(line, 3, "{name:?}: {message}");
        assert!(
            message.contains(rule),
            "{name:?}: {rule:?} missing from {message}"
        );
    }
    let (line, _, message) = error("name = \"A\\n\"\nfields = [{ name = \"x\", type = \"u8\" }]\n");
    assert_eq!(line, 1);
    assert!(message.contains("control characters"), "{message}");
    // What they may hold: other punctuation, quotes, backslashes, any script.
    let ok = schema_file::parse(
        "name = \"Ünïcode record\"\nfields = [{ name = \"it's a\\\\b température\", type = \"u8\" }, { name = \"温度 #1 (°C)\", type = \"u8\" }]\n",
    )
    .unwrap();
    assert_eq!(ok.fields()[0].name(), "it's a\\b température");
}
