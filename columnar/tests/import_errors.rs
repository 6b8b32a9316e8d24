//! Import is all or nothing and as strict as the CSV import: a null, a
//! wrong list length, a lossy conversion, a missing field or an unknown
//! column is an error naming the row and field, and the store keeps
//! exactly the records it had (also when earlier batches were appended).
//! Conversions that lose nothing are accepted.

use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use arrow_array::builder::{Float32Builder, ListBuilder, UInt16Builder};
use arrow_array::{
    ArrayRef, FixedSizeListArray, Float32Array, Float64Array, Int64Array, RecordBatch,
};
use arrow_schema::{DataType, Field as AField};
use recstore::{schema_file, RawStore, Schema};
use recstore_arrow::{import, Error, Format};

fn vertex() -> Schema {
    schema_file::load(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../schemas/colored_vertex.toml"
    ))
    .unwrap()
}

/// A store of `vertex()` with one record already committed.
fn store(dir: &Path) -> RawStore {
    let mut s = RawStore::create(dir.join("v.recs"), &vertex()).unwrap();
    s.push(
        &[1; 20][..18]
            .iter()
            .copied()
            .chain([0, 0])
            .collect::<Vec<u8>>(),
    )
    .unwrap();
    s.flush().unwrap();
    s
}

fn fsl_f32(rows: &[[f32; 3]]) -> ArrayRef {
    let values: Vec<f32> = rows.iter().flatten().copied().collect();
    Arc::new(FixedSizeListArray::new(
        Arc::new(AField::new("item", DataType::Float32, false)),
        3,
        Arc::new(Float32Array::from(values)),
        None,
    ))
}

fn list_u16(rows: &[Option<Vec<u16>>]) -> ArrayRef {
    let mut b = ListBuilder::new(UInt16Builder::new());
    for r in rows {
        match r {
            Some(v) => {
                b.values().append_slice(v);
                b.append(true);
            }
            None => b.append(false),
        }
    }
    Arc::new(b.finish())
}

fn batch(columns: Vec<(&str, ArrayRef)>) -> RecordBatch {
    RecordBatch::try_from_iter(columns).unwrap()
}

fn write_ipc(path: &Path, batches: &[RecordBatch]) {
    let mut w =
        arrow_ipc::writer::FileWriter::try_new(File::create(path).unwrap(), &batches[0].schema())
            .unwrap();
    for b in batches {
        w.write(b).unwrap();
    }
    w.finish().unwrap();
}

fn write_parquet(path: &Path, batches: &[RecordBatch]) {
    let mut w = parquet::arrow::ArrowWriter::try_new(
        File::create(path).unwrap(),
        batches[0].schema(),
        None,
    )
    .unwrap();
    for b in batches {
        w.write(b).unwrap();
    }
    w.close().unwrap();
}

/// Imports `batches` (as IPC and as Parquet); the store must refuse with
/// `expected` and keep its one record.
fn refused(batches: &[RecordBatch], expected: &str) {
    for format in [Format::ArrowIpc, Format::Parquet] {
        let dir = tempfile::tempdir().unwrap();
        let mut s = store(dir.path());
        let before = s.data().to_vec();
        let input = dir.path().join("in");
        match format {
            Format::ArrowIpc => write_ipc(&input, batches),
            _ => write_parquet(&input, batches),
        }
        let e = import(&mut s, format, File::open(&input).unwrap(), |_| {}).unwrap_err();
        assert_eq!(e.to_string(), expected, "{format:?}");
        assert!(matches!(e, Error::Value { .. } | Error::Column { .. }));
        assert_eq!(s.len(), 1);
        drop(s);
        let s = RawStore::open_read_only(dir.path().join("v.recs")).unwrap();
        assert_eq!(s.data(), &before[..], "{format:?}: the store is as it was");
        s.verify().unwrap();
    }
}

#[test]
fn a_null_names_its_row_and_field() {
    let colors = list_u16(&[Some(vec![1, 2, 3]), None]);
    refused(
        &[batch(vec![
            ("position", fsl_f32(&[[0.0; 3], [1.0; 3]])),
            ("color", colors),
        ])],
        "row 1, field color: null, and a record has no place for a missing value",
    );
}

#[test]
fn a_wrong_list_length_names_its_row_and_field() {
    let colors = list_u16(&[Some(vec![1, 2, 3]), Some(vec![1, 2, 3]), Some(vec![4, 5])]);
    refused(
        &[batch(vec![
            ("position", fsl_f32(&[[0.0; 3]; 3])),
            ("color", colors),
        ])],
        "row 2, field color: wrong list length: expected 3, got 2",
    );
}

#[test]
fn a_lossy_conversion_names_its_row_and_element() {
    let good = |n| {
        (
            fsl_f32(&vec![[0.5; 3]; n]),
            list_u16(&vec![Some(vec![1, 2, 3]); n]),
        )
    };
    // Float64 positions: 0.1 has no exact f32.
    let pos: ArrayRef = Arc::new(FixedSizeListArray::new(
        Arc::new(AField::new("item", DataType::Float64, false)),
        3,
        Arc::new(Float64Array::from(vec![0.5, 0.25, 1.0, 2.0, 0.1, 3.0])),
        None,
    ));
    refused(
        &[batch(vec![("position", pos), ("color", good(2).1)])],
        "row 1, field position[1]: 0.1 cannot be stored in f32 without rounding",
    );
    // Int64 colours: 70000 does not fit u16. The first batch was fine
    // (and appended) before the second failed.
    let i64_lists = |values: Vec<i64>| -> ArrayRef {
        Arc::new(arrow_array::ListArray::new(
            Arc::new(AField::new("item", DataType::Int64, false)),
            arrow_buffer::OffsetBuffer::from_lengths(vec![3; values.len() / 3]),
            Arc::new(Int64Array::from(values)),
            None,
        ))
    };
    refused(
        &[
            batch(vec![
                ("position", good(5).0),
                ("color", i64_lists(vec![9; 15])),
            ]),
            batch(vec![
                ("position", good(2).0),
                ("color", i64_lists(vec![1, 2, 3, 4, 70000, 6])),
            ]),
        ],
        "row 6, field color[1]: 70000 is out of range for u16",
    );
}

#[test]
fn a_missing_field_or_unknown_column_is_refused_before_reading() {
    refused(
        &[batch(vec![("position", fsl_f32(&[[0.0; 3]]))])],
        "column color: the store's field is missing from the file (as a list column color, \
         or columns color[0] to color[2]); the store (ColoredVertex) needs position, color",
    );
    refused(
        &[batch(vec![
            ("position", fsl_f32(&[[0.0; 3]])),
            ("color", list_u16(&[Some(vec![1, 2, 3])])),
            ("extra", Arc::new(Int64Array::from(vec![1])) as ArrayRef),
        ])],
        "column extra: is not a field of the store (ColoredVertex); the fields are position, color: \
         drop the column, or create the store with --like",
    );
    refused(
        &[batch(vec![
            (
                "position",
                Arc::new(Float32Array::from(vec![1.0])) as ArrayRef,
            ),
            ("color", list_u16(&[Some(vec![1, 2, 3])])),
        ])],
        "column position: has type Float32, and the store's field holds 3 elements: \
         give a list column of 3, or one column per element",
    );
}

#[test]
fn exact_conversions_and_per_element_columns_are_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = store(dir.path());
    let f64s = |v: Vec<f64>| Arc::new(Float64Array::from(v)) as ArrayRef;
    let i64s = |v: Vec<i64>| Arc::new(Int64Array::from(v)) as ArrayRef;
    let input = dir.path().join("in.parquet");
    write_parquet(
        &input,
        &[batch(vec![
            ("color[2]", i64s(vec![3, 65535])),
            ("position[0]", f64s(vec![0.5, -2.0])),
            ("position[1]", f64s(vec![1e10, 0.0])),
            ("position[2]", f64s(vec![f64::INFINITY, 1.0])),
            ("color[0]", i64s(vec![1, 0])),
            ("color[1]", i64s(vec![2, 7])),
        ])],
    );
    assert_eq!(
        import(&mut s, Format::Parquet, File::open(&input).unwrap(), |_| {}).unwrap(),
        2
    );
    let mut want = Vec::new();
    for (p, c) in [
        ([0.5f32, 1e10, f32::INFINITY], [1u16, 2, 3]),
        ([-2.0, 0.0, 1.0], [0, 7, 65535]),
    ] {
        p.iter()
            .for_each(|x| want.extend_from_slice(&x.to_le_bytes()));
        c.iter()
            .for_each(|x| want.extend_from_slice(&x.to_le_bytes()));
        want.extend_from_slice(&[0, 0]);
    }
    assert_eq!(&s.data()[20..], &want[..]);

    // A List<Float32> built as pyarrow or DuckDB write them.
    let mut pos = ListBuilder::new(Float32Builder::new());
    pos.values().append_slice(&[9.0, 8.0, 7.0]);
    pos.append(true);
    let input = dir.path().join("in.arrow");
    write_ipc(
        &input,
        &[batch(vec![
            ("position", Arc::new(pos.finish()) as ArrayRef),
            ("color", list_u16(&[Some(vec![4, 5, 6])])),
        ])],
    );
    assert_eq!(
        import(
            &mut s,
            Format::ArrowIpc,
            File::open(&input).unwrap(),
            |_| {}
        )
        .unwrap(),
        1
    );
    assert_eq!(s.len(), 4);
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

#[test]
fn npy_converts_without_loss_or_names_the_row() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = store(dir.path());
    let path = dir.path().join("in.npy");
    // Fields in another order, f8 positions, big-endian u4 colours.
    let descr = "[('color', '>u4', (3,)), ('position', '<f8', (3,))]";
    let mut data = Vec::new();
    for (c, p) in [
        ([1u32, 2, 3], [0.5f64, 1.5, 2.5]),
        ([4, 70000, 6], [0.0, 0.0, 0.0]),
    ] {
        c.iter()
            .for_each(|x| data.extend_from_slice(&x.to_be_bytes()));
        p.iter()
            .for_each(|x| data.extend_from_slice(&x.to_le_bytes()));
    }
    std::fs::write(&path, npy(descr, 2, &data)).unwrap();
    let e = import(&mut s, Format::Npy, File::open(&path).unwrap(), |_| {}).unwrap_err();
    assert_eq!(
        e.to_string(),
        "row 1, field color[1]: 70000 is out of range for u16"
    );
    assert_eq!(s.len(), 1);

    std::fs::write(&path, npy(descr, 1, &data[..36])).unwrap();
    assert_eq!(
        import(&mut s, Format::Npy, File::open(&path).unwrap(), |_| {}).unwrap(),
        1
    );
    let r = s.record(1).unwrap();
    assert_eq!(&r[0..4], &0.5f32.to_le_bytes());
    assert_eq!(&r[12..18], &[1, 0, 2, 0, 3, 0]);

    // A header that promises more records than the file holds.
    std::fs::write(&path, npy(descr, 3, &data)).unwrap();
    let e = import(&mut s, Format::Npy, File::open(&path).unwrap(), |_| {}).unwrap_err();
    assert_eq!(e.to_string(), "not a .npy file recstore can read: the file ends after 0 of the 3 records its header declares");
    assert_eq!(s.len(), 2);

    std::fs::write(&path, npy("[('color', '<u2', (3,))]", 0, &[])).unwrap();
    let e = import(&mut s, Format::Npy, File::open(&path).unwrap(), |_| {}).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("column position: the store's field is missing"),
        "{e}"
    );
}

/// Row groups are decoded in parallel: the error is still the first bad
/// row in file order, with its row number in the whole file.
#[test]
fn an_error_in_a_later_row_group_names_its_row_in_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = store(dir.path());
    let rows = 1000;
    let mut colors: Vec<i64> = (0..rows * 3).map(|i| i % 1000).collect();
    colors[777 * 3 + 2] = -1;
    colors[901 * 3] = 1 << 20;
    let colors: ArrayRef = Arc::new(arrow_array::ListArray::new(
        Arc::new(AField::new("item", DataType::Int64, false)),
        arrow_buffer::OffsetBuffer::from_lengths(vec![3; rows as usize]),
        Arc::new(Int64Array::from(colors)),
        None,
    ));
    let b = batch(vec![
        ("position", fsl_f32(&vec![[0.25; 3]; rows as usize])),
        ("color", colors),
    ]);
    let path = dir.path().join("groups.parquet");
    let props = parquet::file::properties::WriterProperties::builder()
        .set_max_row_group_row_count(Some(64))
        .build();
    let mut w =
        parquet::arrow::ArrowWriter::try_new(File::create(&path).unwrap(), b.schema(), Some(props))
            .unwrap();
    w.write(&b).unwrap();
    w.close().unwrap();
    let e = import(&mut s, Format::Parquet, File::open(&path).unwrap(), |_| {}).unwrap_err();
    assert_eq!(
        e.to_string(),
        "row 777, field color[2]: -1 is out of range for u16"
    );
    assert_eq!(s.len(), 1);
}

/// Parquet columns of the fields' own types are read straight from their
/// leaves; a null there hands the rest of the row group to the Arrow
/// path, which still names the row in the whole file (after a first
/// batch of 65 536 records was read the fast way).
#[test]
fn a_null_after_the_first_batch_names_its_row() {
    let rows = 70_000;
    let mut colors: Vec<Option<Vec<u16>>> = (0..rows).map(|i| Some(vec![i as u16; 3])).collect();
    colors[69_999] = None;
    refused(
        &[batch(vec![
            ("position", fsl_f32(&vec![[0.5; 3]; rows])),
            ("color", list_u16(&colors)),
        ])],
        "row 69999, field color: null, and a record has no place for a missing value",
    );
}

/// A Parquet `INT32` annotated as a 16-bit unsigned integer can hold a
/// value that is not one (arrow-rs would cut 70000 to 4464): refused.
#[test]
fn a_narrow_integer_out_of_its_range_is_refused_not_cut() {
    use parquet::data_type::Int32Type;
    use parquet::file::writer::SerializedFileWriter;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("wide.parquet");
    let message = "message m { required int32 a (INTEGER(16,false)); required int32 b; }";
    let schema = Arc::new(parquet::schema::parser::parse_message_type(message).unwrap());
    let mut w = SerializedFileWriter::new(File::create(&path).unwrap(), schema, Default::default())
        .unwrap();
    let mut rg = w.next_row_group().unwrap();
    for values in [[1, 70_000, 3], [4, 5, 6]] {
        let mut col = rg.next_column().unwrap().unwrap();
        col.typed::<Int32Type>()
            .write_batch(&values, None, None)
            .unwrap();
        col.close().unwrap();
    }
    rg.close().unwrap();
    w.close().unwrap();
    let schema = schema_file::parse(
        "name = \"A\"\nfields = [{ name = \"a\", type = \"u16\" }, { name = \"_pad\", padding = 2 }, \
         { name = \"b\", type = \"i32\" }]",
    )
    .unwrap();
    let mut s = RawStore::create(dir.path().join("a.recs"), &schema).unwrap();
    let e = import(&mut s, Format::Parquet, File::open(&path).unwrap(), |_| {}).unwrap_err();
    assert_eq!(
        e.to_string(),
        "row 1, field a: 70000 is out of range for u16"
    );
    assert_eq!(s.len(), 0);
}

/// Writes a one-row-group Parquet file of two `INT32` columns, `a`
/// annotated as a 16-bit unsigned integer, with or without statistics.
fn narrow_file(path: &Path, a: [i32; 3], b: [i32; 3], statistics: bool) {
    use parquet::data_type::Int32Type;
    use parquet::file::properties::{EnabledStatistics, WriterProperties};
    use parquet::file::writer::SerializedFileWriter;
    let message = "message m { required int32 a (INTEGER(16,false)); required int32 b; }";
    let schema = Arc::new(parquet::schema::parser::parse_message_type(message).unwrap());
    let props = WriterProperties::builder()
        .set_statistics_enabled(if statistics {
            EnabledStatistics::Chunk
        } else {
            EnabledStatistics::None
        })
        .build();
    let mut w =
        SerializedFileWriter::new(File::create(path).unwrap(), schema, Arc::new(props)).unwrap();
    let mut rg = w.next_row_group().unwrap();
    for values in [a, b] {
        let mut col = rg.next_column().unwrap().unwrap();
        col.typed::<Int32Type>()
            .write_batch(&values, None, None)
            .unwrap();
        col.close().unwrap();
    }
    rg.close().unwrap();
    w.close().unwrap();
}

/// The same out-of-range narrow integer in a file that takes the Arrow
/// path (field `b` is converted, i32 to i64, so the leaf columns cannot be
/// copied as they are): refused there too, from the column's statistics,
/// not cut to 4464 and stored. In range, the same path stores the values;
/// without statistics it cannot check them, and says so.
#[test]
fn a_narrow_integer_out_of_its_range_is_refused_on_the_arrow_path_too() {
    let dir = tempfile::tempdir().unwrap();
    let schema = schema_file::parse(
        "name = \"A\"\nfields = [{ name = \"a\", type = \"u16\" }, { name = \"_pad\", padding = 6 }, \
         { name = \"b\", type = \"i64\" }]",
    )
    .unwrap();
    let mut s = RawStore::create(dir.path().join("a.recs"), &schema).unwrap();
    let import_file = |s: &mut RawStore, path: &Path| {
        import(s, Format::Parquet, File::open(path).unwrap(), |_| {})
    };

    let wide = dir.path().join("wide.parquet");
    narrow_file(&wide, [1, 70_000, 3], [4, 5, 6], true);
    let e = import_file(&mut s, &wide).unwrap_err();
    assert_eq!(
        e.to_string(),
        "column a: row group 0 holds 70000, outside the 0..=65535 its type annotation allows \
         (the file breaks its own schema); fix the file's writer"
    );
    narrow_file(&wide, [1, -1, 3], [4, 5, 6], true);
    assert!(matches!(
        import_file(&mut s, &wide),
        Err(Error::Column { ref column, .. }) if column == "a"
    ));
    assert_eq!(s.len(), 0);

    let ok = dir.path().join("ok.parquet");
    narrow_file(&ok, [1, 65_535, 3], [4, 5, -6], true);
    import_file(&mut s, &ok).unwrap();
    let a: Vec<u16> = s
        .records()
        .map(|r| u16::from_le_bytes([r[0], r[1]]))
        .collect();
    let b: Vec<i64> = s
        .records()
        .map(|r| i64::from_le_bytes(r[8..16].try_into().unwrap()))
        .collect();
    assert_eq!((a, b), (vec![1, 65_535, 3], vec![4, 5, -6]));

    let bare = dir.path().join("bare.parquet");
    narrow_file(&bare, [1, 2, 3], [4, 5, 6], false);
    let e = import_file(&mut s, &bare).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("column a: an 8- or 16-bit integer column without min/max statistics"),
        "{e}"
    );
    assert_eq!(s.len(), 3);
}
