//! Text and bool fields are imported as strictly as the CSV import takes
//! them: a text longer than its field's room (never cut, so never inside a
//! character), a text holding a NUL, bytes that are not UTF-8 (a `.npy`
//! byte string, a character cut at its end), a byte other than 0 or 1 in a
//! `.npy` bool, a null, and a column of the wrong type are errors naming
//! the row and field, and the store keeps exactly the records it had. An
//! export writes bytes that are not a bool or not text as nulls, which an
//! import then refuses by row and field.

use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use arrow_array::{
    ArrayRef, BooleanArray, Float32Array, Int64Array, LargeStringArray, RecordBatch, StringArray,
    UInt64Array,
};
use recstore::{schema_file, RawStore, Schema};
use recstore_arrow::{export, import, Error, ExportOptions, Format};

/// `timestamp_ns u64, value f32, label text[16], unit text[3], valid bool`.
fn tagged() -> Schema {
    schema_file::load(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../schemas/tagged_reading.toml"
    ))
    .unwrap()
}

/// A store of `tagged()` with one record already committed.
fn store(dir: &Path) -> RawStore {
    let mut s = RawStore::create(dir.join("t.recs"), &tagged()).unwrap();
    let mut rec = vec![0u8; 32];
    rec[12..16].copy_from_slice(b"pump");
    rec[28..30].copy_from_slice(b"Pa");
    rec[31] = 1;
    s.push(&rec).unwrap();
    s.flush().unwrap();
    s
}

/// Two rows; `label` and `unit` as given.
fn rows(label: ArrayRef, unit: &[&str], valid: ArrayRef) -> RecordBatch {
    let columns: Vec<(&str, ArrayRef)> = vec![
        ("timestamp_ns", Arc::new(UInt64Array::from(vec![1, 2]))),
        ("value", Arc::new(Float32Array::from(vec![0.5, 1.5]))),
        ("label", label),
        ("unit", Arc::new(StringArray::from(unit.to_vec()))),
        ("valid", valid),
    ];
    RecordBatch::try_from_iter(columns).unwrap()
}

fn bools(v: Vec<Option<bool>>) -> ArrayRef {
    Arc::new(BooleanArray::from(v))
}

fn texts(v: Vec<Option<&str>>) -> ArrayRef {
    Arc::new(StringArray::from(v))
}

fn write(path: &Path, format: Format, batch: &RecordBatch) {
    let f = File::create(path).unwrap();
    if format == Format::Parquet {
        let mut w = parquet::arrow::ArrowWriter::try_new(f, batch.schema(), None).unwrap();
        w.write(batch).unwrap();
        w.close().unwrap();
    } else {
        let mut w = arrow_ipc::writer::FileWriter::try_new(f, &batch.schema()).unwrap();
        w.write(batch).unwrap();
        w.finish().unwrap();
    }
}

/// Imports `file` (written by `make`) into a store with one record: it
/// must refuse with `expected` and keep its record, uncommitted nothing.
fn refused(format: Format, make: impl Fn(&Path), expected: &str) {
    let dir = tempfile::tempdir().unwrap();
    let mut s = store(dir.path());
    let before = s.data().to_vec();
    let input = dir.path().join("in");
    make(&input);
    let e = import(&mut s, format, File::open(&input).unwrap(), |_| {}).unwrap_err();
    assert_eq!(e.to_string(), expected, "{format:?}");
    assert!(matches!(e, Error::Value { .. } | Error::Column { .. }));
    drop(s);
    let s = RawStore::open_read_only(dir.path().join("t.recs")).unwrap();
    assert_eq!(s.data(), &before[..], "{format:?}: the store is as it was");
}

fn refused_columnar(batch: RecordBatch, expected: &str) {
    for format in [Format::Parquet, Format::ArrowIpc] {
        refused(format, |p| write(p, format, &batch), expected);
    }
}

#[test]
fn a_text_longer_than_its_room_names_row_and_field() {
    let ok = "0123456789abcdef";
    let batch = rows(
        texts(vec![Some(ok), Some("Grüße aus Köln")]),
        &["°C", "K"],
        bools(vec![Some(true), Some(false)]),
    );
    refused_columnar(
        batch,
        "row 1, field label: \"Grüße aus Köln\": the text is 17 bytes of UTF-8, 1 more than \
         the field's room of 16 bytes (recstore never cuts text): use a shorter text or a larger field",
    );
    // "°C" fills unit's room of 3; "°C." would end in the middle of nothing
    // but is one byte too many, never cut.
    let batch = rows(
        texts(vec![Some("a"), Some("b")]),
        &["°C", "°C."],
        bools(vec![Some(true), Some(false)]),
    );
    refused_columnar(
        batch,
        "row 1, field unit: \"°C.\": the text is 4 bytes of UTF-8, 1 more than the field's room \
         of 3 bytes (recstore never cuts text): use a shorter text or a larger field",
    );
}

#[test]
fn a_text_holding_a_nul_is_refused() {
    let batch = rows(
        texts(vec![Some("a\0b"), Some("b")]),
        &["K", "K"],
        bools(vec![Some(true), Some(false)]),
    );
    refused_columnar(
        batch,
        "row 0, field label: \"a\\0b\": the text holds a NUL character, which a text field \
         cannot hold (NUL bytes pad the text after its end): use a text without NUL",
    );
}

#[test]
fn nulls_name_row_and_field() {
    let batch = rows(
        texts(vec![Some("a"), None]),
        &["K", "K"],
        bools(vec![Some(true), Some(false)]),
    );
    refused_columnar(
        batch,
        "row 1, field label: null, and a record has no place for a missing value",
    );
    let batch = rows(
        texts(vec![Some("a"), Some("b")]),
        &["K", "K"],
        bools(vec![None, Some(false)]),
    );
    refused_columnar(
        batch,
        "row 0, field valid: null, and a record has no place for a missing value",
    );
}

#[test]
fn columns_of_the_wrong_type_are_refused_before_reading() {
    let batch = rows(
        texts(vec![Some("a"), Some("b")]),
        &["K", "K"],
        Arc::new(Int64Array::from(vec![1, 0])),
    );
    refused_columnar(
        batch,
        "column valid: has type Int64, and the store's field (bool) takes booleans: convert \
         the column, or create the store with --like",
    );
    let batch = rows(
        Arc::new(Float32Array::from(vec![1.0, 2.0])),
        &["K", "K"],
        bools(vec![Some(true), Some(false)]),
    );
    refused_columnar(
        batch,
        "column label: has type Float32, and the store's field (text[16]) takes strings: \
         convert the column, or create the store with --like",
    );
}

#[test]
fn large_strings_are_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = store(dir.path());
    let path = dir.path().join("in.arrow");
    let batch = rows(
        Arc::new(LargeStringArray::from(vec!["x", "0123456789abcdef"])),
        &["°C", ""],
        bools(vec![Some(false), Some(true)]),
    );
    write(&path, Format::ArrowIpc, &batch);
    import(&mut s, Format::ArrowIpc, File::open(&path).unwrap(), |_| {}).unwrap();
    let r = s.record(2).unwrap();
    assert_eq!(&r[12..28], b"0123456789abcdef");
    assert_eq!((&r[28..31], r[31]), (&[0u8; 3][..], 1));
    assert_eq!(&s.record(1).unwrap()[12..16], b"x\0\0\0");
}

/// A `.npy` header for `descr` and `shape`, as numpy writes it.
fn npy(descr: &str, len: u64, data: &[u8]) -> Vec<u8> {
    let dict = format!("{{'descr': {descr}, 'fortran_order': False, 'shape': ({len},), }}");
    let total = (10 + dict.len() + 1).next_multiple_of(64);
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend_from_slice(&((total - 10) as u16).to_le_bytes());
    out.extend_from_slice(dict.as_bytes());
    out.resize(total - 1, b' ');
    out.push(b'\n');
    out.extend_from_slice(data);
    out
}

/// The store's own dtype, as `export` writes it.
const SAME: &str = "[('timestamp_ns', '<u8'), ('value', '<f4'), ('label', '|S16'), \
                    ('unit', '|S3'), ('valid', '|b1')]";

fn record(label: &[u8], unit: &[u8], valid: u8) -> Vec<u8> {
    let mut r = vec![0u8; 32];
    r[12..12 + label.len()].copy_from_slice(label);
    r[28..28 + unit.len()].copy_from_slice(unit);
    r[31] = valid;
    r
}

#[test]
fn npy_bytes_that_are_not_text_or_not_a_bool_are_refused_even_when_copied() {
    let bad = |recs: Vec<Vec<u8>>| {
        move |p: &Path| std::fs::write(p, npy(SAME, 2, &recs.concat())).unwrap()
    };
    let good = record(b"ok", b"K", 1);
    refused(
        Format::Npy,
        bad(vec![good.clone(), record(b"a\xff", b"K", 0)]),
        "row 1, field label: the bytes invalid:\"a\\xff\" are not UTF-8 text followed by NUL \
         padding (a text field holds UTF-8 without NUL): fix the text, or import it into a u8 \
         array field",
    );
    // "°" cut after its first byte, at the end of the room.
    refused(
        Format::Npy,
        bad(vec![good.clone(), record(b"x", b"C\xc2", 0)]),
        "row 1, field unit: the bytes invalid:\"C\\xc2\" are not UTF-8 text followed by NUL \
         padding (a text field holds UTF-8 without NUL): fix the text, or import it into a u8 \
         array field",
    );
    refused(
        Format::Npy,
        bad(vec![record(b"x", b"K", 2), good.clone()]),
        "row 0, field valid: the byte 0x02 is not a bool (0 or 1): fix the value, or import \
         it into a u8 field",
    );
    // A NUL inside the text (not only after it).
    refused(
        Format::Npy,
        bad(vec![good, record(b"a\0b", b"K", 1)]),
        "row 1, field label: the bytes invalid:\"a\\0b\" are not UTF-8 text followed by NUL \
         padding (a text field holds UTF-8 without NUL): fix the text, or import it into a u8 \
         array field",
    );
}

#[test]
fn npy_texts_convert_into_another_room_only_when_they_fit() {
    // Another layout: a longer byte string, fields in another order.
    let descr = "[('valid', '?'), ('label', 'S20'), ('unit', '|S2'), ('value', '<f8'), \
                 ('timestamp_ns', '<i8')]";
    let rec = |label: &[u8], valid: u8| {
        let mut r = vec![0u8; 39];
        r[0] = valid;
        r[1..1 + label.len()].copy_from_slice(label);
        r[21..23].copy_from_slice(b"Pa");
        r[23..31].copy_from_slice(&0.25f64.to_le_bytes());
        r[31..39].copy_from_slice(&7i64.to_le_bytes());
        r
    };
    let data = [rec(b"0123456789abcdef", 1), rec(b"0123456789abcdefg", 0)].concat();
    refused(
        Format::Npy,
        |p| std::fs::write(p, npy(descr, 2, &data)).unwrap(),
        "row 1, field label: \"0123456789abcdefg\": the text is 17 bytes of UTF-8, 1 more than \
         the field's room of 16 bytes (recstore never cuts text): use a shorter text or a larger field",
    );
    let dir = tempfile::tempdir().unwrap();
    let mut s = store(dir.path());
    let path = dir.path().join("in.npy");
    std::fs::write(&path, npy(descr, 1, &data[..39])).unwrap();
    import(&mut s, Format::Npy, File::open(&path).unwrap(), |_| {}).unwrap();
    assert_eq!(
        s.record(1).unwrap(),
        &[
            &7u64.to_le_bytes()[..],
            &0.25f32.to_le_bytes(),
            b"0123456789abcdef",
            b"Pa\0",
            &[1]
        ]
        .concat()[..]
    );
    // A bool from a number, or a text from bytes of another kind: refused.
    refused(
        Format::Npy,
        |p| {
            let d = "[('timestamp_ns', '<u8'), ('value', '<f4'), ('label', '|S16'), \
                     ('unit', '|S3'), ('valid', '|u1')]";
            std::fs::write(p, npy(d, 1, &record(b"a", b"b", 1))).unwrap()
        },
        "column valid: the file's field holds numbers, the store's field (bool) bool (b1): \
         convert the field, or create the store with --like",
    );
}

#[test]
fn bytes_that_are_not_a_bool_or_text_export_as_nulls_and_are_refused_on_import() {
    let cases = [
        (record(b"fine", b"K", 7), "row 1, field valid"),
        (record(b"\xc3", b"K", 0), "row 1, field label"),
    ];
    for (bad, at) in cases {
        let dir = tempfile::tempdir().unwrap();
        let mut src = RawStore::create(dir.path().join("src.recs"), &tagged()).unwrap();
        src.push(&record(b"fine", b"K", 1)).unwrap();
        src.push(&bad).unwrap();
        src.flush().unwrap();
        for format in [Format::Parquet, Format::ArrowIpc] {
            let out = dir.path().join(format!("o.{format:?}"));
            export(
                &src,
                format,
                File::create(&out).unwrap(),
                &ExportOptions::default(),
                |_| {},
            )
            .unwrap();
            refused(
                format,
                |p| {
                    std::fs::copy(&out, p).unwrap();
                },
                &format!("{at}: null, and a record has no place for a missing value"),
            );
        }
    }
}
