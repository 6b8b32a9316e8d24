//! Guards `bool` and `text` fields through the real binary (issue 16,
//! item 3), on the bundled `schemas/tagged_reading.toml` (label: 16 bytes,
//! unit: 3 bytes, valid: bool): CSV and JSON Lines round trips, including
//! texts that exactly fill their room (ASCII and two-byte characters);
//! a text one byte too long and a multi-byte character cut by the room's
//! end are refused with the line, the field and the length against the
//! room, never truncated; NUL padding on disk; bools as true/false/1/0 and
//! nothing else; `dump` and `inspect` show text, and bytes that are not
//! text or bool as `invalid:…` without failing; `import --format raw`
//! refuses records whose text or bool bytes are invalid; Parquet, Arrow
//! IPC and `.npy` round trip them byte for byte through `create --like`,
//! and refuse a text too long for a smaller room by row and field.

mod common;

use common::*;
use std::path::{Path, PathBuf};

fn tagged() -> PathBuf {
    root().join("schemas/tagged_reading.toml")
}

fn create(dir: &Path, name: &str) -> PathBuf {
    let store = dir.join(name);
    ok(&[&"create", &store, &"--schema", &tagged()]);
    store
}

fn write(dir: &Path, name: &str, text: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn data(store: &Path) -> Vec<u8> {
    recstore::RawStore::open_read_only(store)
        .unwrap()
        .data()
        .to_vec()
}

/// Bytes of record `i`'s label (12..28), unit (28..31) and valid (31).
fn fields(store: &Path, i: usize) -> (Vec<u8>, Vec<u8>, u8) {
    let d = data(store);
    let r = &d[i * 32..i * 32 + 32];
    (r[12..28].to_vec(), r[28..31].to_vec(), r[31])
}

/// A record of the tagged schema, bytes as given.
fn record(label: &[u8], unit: &[u8], valid: u8) -> Vec<u8> {
    let mut r = vec![0u8; 32];
    r[..8].copy_from_slice(&5u64.to_le_bytes());
    r[8..12].copy_from_slice(&1.5f32.to_le_bytes());
    r[12..12 + label.len()].copy_from_slice(label);
    r[28..28 + unit.len()].copy_from_slice(unit);
    r[31] = valid;
    r
}

// Record 1's label and record 3's label fill their 16 bytes (the second
// with two-byte characters); "°C" fills its 3.
const CSV: &str = "timestamp_ns,value,label,unit,valid
1,2.5,pump room,°C,true
2,1,0123456789abcdef,,false
3,-1,\" a, \"\"b\"\" \",K,1
4,0.5,ÄÖÜäöüßé,Pa,0
";

#[test]
fn csv_round_trips_texts_and_bools_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let store = create(dir.path(), "t.recs");
    ok(&[
        &"import",
        &store,
        &write(dir.path(), "in.csv", CSV.as_bytes()),
    ]);
    // NUL padding after the text; a full room has none.
    assert_eq!(
        fields(&store, 0),
        (
            b"pump room\0\0\0\0\0\0\0".to_vec(),
            "°C".as_bytes().to_vec(),
            1
        )
    );
    assert_eq!(
        fields(&store, 1),
        (b"0123456789abcdef".to_vec(), b"\0\0\0".to_vec(), 0)
    );
    // Not trimmed: the spaces and quotes are part of the text.
    assert_eq!(&fields(&store, 2).0[..9], b" a, \"b\" \0");
    assert_eq!(fields(&store, 2).2, 1);
    assert_eq!(fields(&store, 3).0, "ÄÖÜäöüßé".as_bytes());
    let out = dir.path().join("out.csv");
    ok(&[&"export", &store, &out]);
    let expected = CSV.replace(",1\n", ",true\n").replace(",0\n", ",false\n");
    assert_eq!(std::fs::read_to_string(&out).unwrap(), expected);
    // And back: the same bytes.
    let again = create(dir.path(), "again.recs");
    ok(&[&"import", &again, &out]);
    assert_eq!(data(&again), data(&store));
}

#[test]
fn json_lines_round_trip_texts_and_bools_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let store = create(dir.path(), "t.recs");
    let input = r#"{"timestamp_ns":1,"value":2.5,"label":"pump room","unit":"°C","valid":true}
{"timestamp_ns":2,"value":1,"label":"0123456789abcdef","unit":"","valid":0}
{"timestamp_ns":3,"value":-1,"label":"tab\there \"q\"","unit":"K","valid":1}
{"timestamp_ns":4,"value":0.5,"label":"ÄÖÜäöüßé","unit":"Pa","valid":false}
"#;
    ok(&[
        &"import",
        &store,
        &write(dir.path(), "in.jsonl", input.as_bytes()),
    ]);
    assert_eq!(&fields(&store, 2).0[..12], b"tab\there \"q\"");
    let out = dir.path().join("out.jsonl");
    ok(&[&"export", &store, &out]);
    let expected = input
        .replace(r#""valid":0"#, r#""valid":false"#)
        .replace(r#""valid":1"#, r#""valid":true"#);
    assert_eq!(std::fs::read_to_string(&out).unwrap(), expected);
    let again = create(dir.path(), "again.recs");
    ok(&[&"import", &again, &out]);
    assert_eq!(data(&again), data(&store));
    // And the CSV of the same store reads back to the same bytes too.
    let csv = dir.path().join("out.csv");
    ok(&[&"export", &store, &csv]);
    let third = create(dir.path(), "third.recs");
    ok(&[&"import", &third, &csv]);
    assert_eq!(data(&third), data(&store));
}

const HEADER: &str = "timestamp_ns,value,label,unit,valid\n";

/// A CSV of one good row then `row`, which must be refused (exit 6) on
/// line 3 with `words`, appending nothing.
fn refused_csv(row: &str, words: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let store = create(dir.path(), "t.recs");
    let text = format!("{HEADER}1,2,ok,K,true\n{row}\n");
    let input = write(dir.path(), "in.csv", text.as_bytes());
    let mut all = vec!["line 3", "nothing was imported"];
    all.extend_from_slice(words);
    fails(6, &[&"import", &store, &input], &all);
    assert!(data(&store).is_empty());
}

#[test]
fn a_text_longer_than_its_room_is_refused_never_cut() {
    // One byte too long.
    refused_csv(
        "2,1,0123456789abcdefg,K,true",
        &["field label", "17 bytes", "room of 16 bytes"],
    );
    // 15 ASCII bytes and a two-byte é: cutting at 16 would split the é.
    refused_csv(
        "2,1,0123456789abcdeé,K,true",
        &["field label", "17 bytes", "room of 16 bytes"],
    );
    // "a°C": 4 bytes, and the room ends after the °.
    refused_csv(
        "2,1,x,a°C,true",
        &["field unit", "4 bytes", "room of 3 bytes"],
    );
    // "K°": the room's end falls inside the °.
    refused_csv(
        "2,1,x,KK°,true",
        &["field unit", "4 bytes", "room of 3 bytes"],
    );
}

#[test]
fn bools_are_true_false_1_or_0_and_nothing_else() {
    for bad in ["2", "yes", "TRUE", "-1", ""] {
        refused_csv(
            &format!("2,1,x,K,{bad}"),
            &["field valid", "not a bool", "true, false, 1 or 0"],
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let store = create(dir.path(), "t.recs");
    for bad in ["2", "\"true\"", "null", "1.0"] {
        let line =
            format!(r#"{{"timestamp_ns":1,"value":2,"label":"x","unit":"K","valid":{bad}}}"#);
        let input = write(dir.path(), "in.jsonl", line.as_bytes());
        fails(
            6,
            &[&"import", &store, &input],
            &["line 1", "field valid", "true, false, 1 or 0"],
        );
    }
    // A text field wants a JSON string, and holds no NUL.
    for (bad, word) in [("17", "not a string"), (r#""a\u0000b""#, "NUL")] {
        let line =
            format!(r#"{{"timestamp_ns":1,"value":2,"label":{bad},"unit":"K","valid":true}}"#);
        let input = write(dir.path(), "in.jsonl", line.as_bytes());
        fails(
            6,
            &[&"import", &store, &input],
            &["line 1", "field label", word],
        );
    }
    assert!(data(&store).is_empty());
}

/// A store holding one good record and one whose label is not UTF-8, has a
/// NUL inside, and whose bool is 2 (written with the library: every
/// importer of the CLI refuses these).
fn damaged(dir: &Path) -> PathBuf {
    let store = create(dir, "bad.recs");
    let mut raw = recstore::RawStore::open(&store).unwrap();
    raw.push(&record(b"pump room", "°C".as_bytes(), 1)).unwrap();
    raw.push(&record(b"ab\xffc\0d", b"K\0x", 2)).unwrap();
    raw.close().unwrap();
    store
}

#[test]
fn dump_and_inspect_show_text_and_mark_bytes_that_are_not_text_or_bool() {
    let dir = tempfile::tempdir().unwrap();
    let store = damaged(dir.path());
    let table = ok(&[&"dump", &store]).stdout;
    assert!(table.contains("pump room"), "{table}");
    assert!(table.contains("°C"), "{table}");
    assert!(table.contains(r#"invalid:"ab\xffc\0d""#), "{table}");
    assert!(table.contains(r#"invalid:"K\0x""#), "{table}");
    assert!(table.contains("invalid:0x02"), "{table}");
    let jsonl = ok(&[&"dump", &store, &"--format", &"jsonl"]).stdout;
    let lines: Vec<serde_json::Value> = jsonl
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines[0]["label"], "pump room");
    assert_eq!(lines[0]["valid"], true);
    assert_eq!(lines[1]["label"], r#"invalid:"ab\xffc\0d""#);
    assert_eq!(lines[1]["valid"], "invalid:0x02");
    let csv = ok(&[&"dump", &store, &"--format", &"csv"]).stdout;
    assert!(csv.contains("invalid:0x02"), "{csv}");
    let inspect = ok(&[&"inspect", &store]).stdout;
    assert!(inspect.contains(r#"text[16] = "pump room""#), "{inspect}");
    assert!(inspect.contains(r#"bool = true"#), "{inspect}");
    assert!(
        inspect.contains(r#"text[16] = invalid:"ab\xffc\0d""#),
        "{inspect}"
    );
    assert!(inspect.contains("bool = invalid:0x02"), "{inspect}");
    // The marker of a bad bool is not a bool: exporting such a store and
    // importing the file is refused, not read as true.
    let mut raw = recstore::RawStore::open(&store).unwrap();
    raw.record_mut(1)
        .unwrap()
        .copy_from_slice(&record(b"x", b"K", 2));
    raw.close().unwrap();
    let out = dir.path().join("out.csv");
    ok(&[&"export", &store, &out]);
    let again = create(dir.path(), "again.recs");
    fails(
        6,
        &[&"import", &again, &out],
        &["line 3", "field valid", "\"invalid:0x02\" is not a bool"],
    );
}

#[test]
fn raw_import_refuses_bytes_that_are_not_text_or_bool() {
    let dir = tempfile::tempdir().unwrap();
    let store = create(dir.path(), "t.recs");
    let good = record("ÄÖÜäöüßé".as_bytes(), b"K", 1);
    let cases: [(Vec<u8>, &[&str]); 4] = [
        (
            record(b"ok", b"K", 2),
            &["record 1", "byte offset 32", "field valid", "invalid:0x02"],
        ),
        (
            record(b"ab\xff", b"K", 0),
            &["record 1", "field label", r#"invalid:"ab\xff""#],
        ),
        (
            record(b"a\0b", b"K", 0),
            &["record 1", "field label", r#"invalid:"a\0b""#],
        ),
        // A two-byte character cut by the end of the room.
        (
            record(b"ok", &"KK°".as_bytes()[..3], 0),
            &["record 1", "field unit", r#"invalid:"KK\xc2""#],
        ),
    ];
    for (bad, words) in cases {
        let input = write(dir.path(), "in.bin", &[good.clone(), bad].concat());
        let mut all = vec!["nothing was imported"];
        all.extend_from_slice(words);
        fails(6, &[&"import", &store, &input], &all);
        assert!(data(&store).is_empty());
    }
    let input = write(dir.path(), "in.bin", &[good.clone(), good.clone()].concat());
    ok(&[&"import", &store, &input]);
    assert_eq!(data(&store), [good.clone(), good].concat());
}

#[test]
fn info_shows_the_types_and_a_numpy_dtype_for_them() {
    let dir = tempfile::tempdir().unwrap();
    let store = create(dir.path(), "t.recs");
    let info = ok(&[&"info", &store]).stdout;
    assert!(info.contains("'|S16', '|S3', '|b1'"), "{info}");
    let json: serde_json::Value =
        serde_json::from_str(&ok(&[&"info", &store, &"--json"]).stdout).unwrap();
    let label = &json["fields"][2];
    assert_eq!(
        (&label["type"], &label["count"]),
        (&"text".into(), &16.into())
    );
}

#[test]
fn the_columnar_formats_round_trip_texts_and_bools_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let store = create(dir.path(), "t.recs");
    ok(&[
        &"import",
        &store,
        &write(dir.path(), "in.csv", CSV.as_bytes()),
    ]);
    for out in ["o.parquet", "o.arrow", "o.npy"] {
        let file = dir.path().join(out);
        ok(&[&"export", &store, &file]);
        let copy = dir.path().join(format!("{out}.recs"));
        ok(&[&"create", &copy, &"--like", &file]);
        ok(&[&"import", &copy, &file]);
        assert_eq!(
            data(&copy),
            data(&store),
            "{out}: the same bytes, NUL padding included"
        );
        // Into a store whose text fields are too small: refused by row and field.
        let small = dir.path().join(format!("{out}.small.recs"));
        let schema = write(
            dir.path(),
            "small.toml",
            b"name = \"S\"\nfields = [{ name = \"timestamp_ns\", type = \"u64\" }, \
              { name = \"value\", type = \"f32\" }, { name = \"label\", type = \"text\", bytes = 15 }, \
              { name = \"unit\", type = \"text\", bytes = 3 }, { name = \"valid\", type = \"bool\" }, { name = \"_pad\", padding = 1 }]\n",
        );
        ok(&[&"create", &small, &"--schema", &schema]);
        fails(
            6,
            &[&"import", &small, &file],
            &[
                "row 1, field label",
                "16 bytes of UTF-8",
                "room of 15 bytes",
            ],
        );
    }
}
