//! Store → Parquet / Arrow IPC / .npy → store is byte-identical for every
//! bundled schema (and for big-endian fields, NaN payloads, names that do
//! not form a struct tree, bools and texts with their NUL padding, the
//! golden v1.2 file): the schema comes back from the file's metadata, every
//! value comes back bit for bit, padding comes back zero. A property test
//! does the same with random bits of every type in both byte orders.

use std::fs::File;
use std::path::Path;

use recstore::{schema_file, Endian, Field, Primitive, RawStore, Schema};
use recstore_arrow::{export, import, schema_like, ExportOptions, Format};

const FORMATS: [Format; 3] = [Format::Parquet, Format::ArrowIpc, Format::Npy];

/// Records of random bits (NaNs with payloads, infinities, extremes) with
/// zero padding; bools are 0 or 1 and texts random UTF-8 (one- to
/// four-byte characters) of any length up to their room, NUL-padded.
fn records(schema: &Schema, n: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    let mut out = vec![0u8; n * schema.stride() as usize];
    for rec in out.chunks_exact_mut(schema.stride() as usize) {
        for f in schema.fields().iter().filter(|f| !f.is_padding()) {
            let bytes = &mut rec[f.offset() as usize..(f.offset() + f.len()) as usize];
            for b in bytes.iter_mut() {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                *b = x as u8;
            }
            match f.primitive() {
                Primitive::Bool => bytes.iter_mut().for_each(|b| *b &= 1),
                Primitive::Text => {
                    let seeds = bytes.to_vec();
                    random_text(&seeds, bytes);
                }
                _ => {}
            }
        }
    }
    out
}

/// Fills a text field's `room` with UTF-8 text chosen by `seeds` (as long
/// as the room), then NUL bytes: sometimes empty, sometimes full.
fn random_text(seeds: &[u8], room: &mut [u8]) {
    const CHARS: [&str; 8] = ["a", "Z", " ", "\"", "é", "°", "✓", "🦀"];
    let want = seeds[0] as usize % (room.len() + 1);
    let mut text = String::new();
    for s in &seeds[1..] {
        let c = CHARS[*s as usize % CHARS.len()];
        if text.len() + c.len() > want {
            break;
        }
        text.push_str(c);
    }
    room.fill(0);
    room[..text.len()].copy_from_slice(text.as_bytes());
}

fn store_with(dir: &Path, name: &str, schema: &Schema, bytes: &[u8]) -> RawStore {
    let mut s = RawStore::create(dir.join(name), schema).unwrap();
    s.extend_from_bytes(bytes).unwrap();
    s.flush().unwrap();
    s
}

fn round_trip(schema: &Schema, rows: usize, options: &ExportOptions) {
    let dir = tempfile::tempdir().unwrap();
    let bytes = records(schema, rows, 0x9e37_79b9_7f4a_7c15);
    let src = store_with(dir.path(), "src.recs", schema, &bytes);
    for format in FORMATS {
        let out = dir.path().join(format!("out.{format:?}"));
        let mut ticks = Vec::new();
        let n = export(&src, format, File::create(&out).unwrap(), options, |t| {
            ticks.push(t)
        })
        .unwrap();
        assert_eq!(n, rows as u64);
        assert_eq!(
            ticks.last().copied().unwrap_or(0),
            rows as u64,
            "{format:?}"
        );
        let like = schema_like(format, File::open(&out).unwrap(), schema.name()).unwrap();
        if format == Format::Npy {
            // numpy has no names for padding: the rest comes back.
            let data = |s: &Schema| -> Vec<Field> {
                s.fields()
                    .iter()
                    .filter(|f| !f.is_padding())
                    .cloned()
                    .collect()
            };
            assert_eq!(data(&like), data(schema), "the dtype's fields come back");
            assert_eq!((like.size(), like.align()), (schema.size(), schema.align()));
        } else {
            assert_eq!(&like, schema, "{format:?}: the schema comes back");
        }
        let copy_path = dir.path().join(format!("copy-{format:?}.recs"));
        let mut copy = RawStore::create(&copy_path, &like).unwrap();
        assert_eq!(
            import(&mut copy, format, File::open(&out).unwrap(), |_| {}).unwrap(),
            rows as u64
        );
        assert!(
            copy.data() == src.data(),
            "{format:?}: {} records differ",
            schema.name()
        );
        drop(copy);
        let reopened = RawStore::open_read_only(&copy_path).unwrap();
        assert!(
            reopened.data() == src.data(),
            "{format:?}: import was committed"
        );
        reopened.verify().unwrap();
    }
}

#[test]
fn every_bundled_schema_round_trips_byte_for_byte() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../schemas");
    let mut seen = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            let schema = schema_file::load(&path).unwrap();
            round_trip(&schema, 3000, &ExportOptions::default());
            seen += 1;
        }
    }
    assert!(seen >= 6, "the bundled schemas were found");
}

#[test]
fn many_batches_and_row_groups_round_trip() {
    let schema = schema_file::load(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../schemas/particle.toml"
    ))
    .unwrap();
    let mut options = ExportOptions::default();
    options.batch_rows = 1000;
    options.row_group_rows = 2500;
    round_trip(&schema, 10_007, &options);
    round_trip(&schema, 0, &options);
}

#[test]
fn big_endian_fields_round_trip_and_export_native_values() {
    let schema = Schema::new(
        "Be",
        24,
        8,
        vec![
            Field::new("a", Primitive::U32, Endian::Big, 1, 0),
            Field::new("b", Primitive::F32, Endian::Big, 1, 4),
            Field::new("c", Primitive::I64, Endian::Big, 2, 8),
        ],
    );
    round_trip(&schema, 500, &ExportOptions::default());

    // The Arrow values are the numbers, not the stored bytes.
    let dir = tempfile::tempdir().unwrap();
    let mut rec = vec![0u8; 24];
    rec[0..4].copy_from_slice(&7u32.to_be_bytes());
    rec[4..8].copy_from_slice(&1.5f32.to_be_bytes());
    let src = store_with(dir.path(), "be.recs", &schema, &rec);
    let map = recstore_arrow::ExportMap::new(&schema, None).unwrap();
    let batch = map.batch(src.data()).unwrap();
    use arrow_array::cast::AsArray;
    let a = batch
        .column(0)
        .as_primitive::<arrow_array::types::UInt32Type>();
    assert_eq!(a.value(0), 7);
    let b = batch
        .column(1)
        .as_primitive::<arrow_array::types::Float32Type>();
    assert_eq!(b.value(0), 1.5);
}

#[test]
fn names_that_are_not_a_tree_stay_flat_and_round_trip() {
    let schema = Schema::new(
        "Odd",
        12,
        4,
        vec![
            Field::new("a", Primitive::F32, Endian::Little, 1, 0),
            Field::new("a.b", Primitive::F32, Endian::Little, 1, 4),
            Field::new("c", Primitive::U32, Endian::Little, 1, 8),
        ],
    );
    let map = recstore_arrow::ExportMap::new(&schema, None).unwrap();
    let names: Vec<&String> = map
        .arrow_schema()
        .fields()
        .iter()
        .map(|f| f.name())
        .collect();
    assert_eq!(names, ["a", "a.b", "c"]);
    round_trip(&schema, 100, &ExportOptions::default());
}

#[test]
fn nested_structs_are_struct_columns() {
    let schema = schema_file::load(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../schemas/particle.toml"
    ))
    .unwrap();
    let map = recstore_arrow::ExportMap::new(&schema, None).unwrap();
    let s = map.arrow_schema();
    let names: Vec<&String> = s.fields().iter().map(|f| f.name()).collect();
    assert_eq!(names, ["position", "velocity", "color", "mass"]);
    assert!(matches!(s.field(0).data_type(), arrow_schema::DataType::Struct(c) if c.len() == 3));
    assert!(s.metadata().contains_key(recstore_arrow::SCHEMA_KEY));
}

#[test]
fn a_range_and_a_field_subset_export_only_those() {
    let schema = schema_file::load(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../schemas/colored_vertex.toml"
    ))
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let bytes = records(&schema, 100, 5);
    let src = store_with(dir.path(), "s.recs", &schema, &bytes);
    let mut options = ExportOptions::default();
    options.range = Some(10..20);
    options.fields = Some(vec!["color".into()]);
    let out = dir.path().join("c.arrow");
    assert_eq!(
        export(
            &src,
            Format::ArrowIpc,
            File::create(&out).unwrap(),
            &options,
            |_| {}
        )
        .unwrap(),
        10
    );
    let reader = arrow_ipc::reader::FileReader::try_new(File::open(&out).unwrap(), None).unwrap();
    let s = reader.schema();
    assert_eq!(s.fields().len(), 1);
    assert!(
        !s.metadata().contains_key(recstore_arrow::SCHEMA_KEY),
        "a subset is not the store's schema"
    );
    let rows: usize = reader.map(|b| b.unwrap().num_rows()).sum();
    assert_eq!(rows, 10);

    options.fields = Some(vec!["_pad".into()]);
    let e = export(
        &src,
        Format::Parquet,
        File::create(&out).unwrap(),
        &options,
        |_| {},
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "column _pad: no such field; the fields are position, color"
    );
    options.fields = None;
    options.range = Some(90..101);
    assert!(export(
        &src,
        Format::Npy,
        File::create(&out).unwrap(),
        &options,
        |_| {}
    )
    .is_err());
}

#[test]
fn bools_and_texts_round_trip_with_their_padding() {
    let schema = schema_file::load(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../schemas/tagged_reading.toml"
    ))
    .unwrap();
    let mut options = ExportOptions::default();
    options.batch_rows = 700;
    options.row_group_rows = 1500;
    round_trip(&schema, 5000, &options);
    // Texts inside structs, arrays of bools, a one-byte room, big-endian
    // neighbours.
    let schema = Schema::new(
        "Odd",
        24,
        4,
        vec![
            Field::new("tag.name", Primitive::Text, Endian::Little, 7, 0),
            Field::new("tag.ok", Primitive::Bool, Endian::Little, 3, 7),
            Field::new("c", Primitive::Text, Endian::Little, 1, 10),
            Field::padding("_pad", 1, 11),
            Field::new("n", Primitive::U32, Endian::Big, 1, 12),
            Field::new("flags", Primitive::Bool, Endian::Little, 8, 16),
        ],
    );
    schema.validate().unwrap();
    round_trip(&schema, 3000, &ExportOptions::default());
}

#[test]
fn the_golden_v1_2_file_round_trips_and_exports_strings_and_booleans() {
    let golden = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/data/v1.2-tagged-reading.recs"
    );
    let src = RawStore::open_read_only(golden).unwrap();
    let dir = tempfile::tempdir().unwrap();
    for format in FORMATS {
        let out = dir.path().join(format!("golden.{format:?}"));
        let n = export(
            &src,
            format,
            File::create(&out).unwrap(),
            &ExportOptions::default(),
            |_| {},
        )
        .unwrap();
        assert_eq!(n, src.len() as u64);
        let like = schema_like(format, File::open(&out).unwrap(), "TaggedReading").unwrap();
        let mut copy =
            RawStore::create(dir.path().join(format!("{format:?}.recs")), &like).unwrap();
        import(&mut copy, format, File::open(&out).unwrap(), |_| {}).unwrap();
        assert!(copy.data() == src.data(), "{format:?}");
    }
    // The Arrow columns are strings and booleans, the texts without padding.
    let map = recstore_arrow::ExportMap::new(src.schema(), None).unwrap();
    let batch = map.batch(src.data()).unwrap();
    use arrow_array::cast::AsArray;
    let s = batch.schema();
    assert_eq!(s.field(2).data_type(), &arrow_schema::DataType::Utf8);
    assert_eq!(s.field(4).data_type(), &arrow_schema::DataType::Boolean);
    let labels = batch.column(2).as_string::<i32>();
    let units = batch.column(3).as_string::<i32>();
    let valid = batch.column(4).as_boolean();
    assert_eq!(
        (labels.value(0), units.value(0), valid.value(0)),
        ("sensor-0", "°C", false)
    );
    assert_eq!((labels.value(7), units.value(2)), ("0123456789abcdef", ""));
    assert_eq!(labels.value(13), "Grüße ✓");
    assert!(valid.value(1));
}

#[test]
fn strings_without_a_recstore_schema_get_the_longest_text_as_room() {
    use arrow_array::{ArrayRef, BooleanArray, RecordBatch, StringArray, UInt16Array};
    use std::sync::Arc;
    let columns: Vec<(&str, ArrayRef)> = vec![
        ("id", Arc::new(UInt16Array::from(vec![1, 2, 3]))),
        (
            "name",
            Arc::new(StringArray::from(vec!["a", "Grüße ✓", ""])),
        ),
        ("ok", Arc::new(BooleanArray::from(vec![true, false, true]))),
    ];
    let batch = RecordBatch::try_from_iter(columns).unwrap();
    let dir = tempfile::tempdir().unwrap();
    for (format, file) in [
        (Format::Parquet, "s.parquet"),
        (Format::ArrowIpc, "s.arrow"),
    ] {
        let path = dir.path().join(file);
        let f = File::create(&path).unwrap();
        if format == Format::Parquet {
            let mut w = parquet::arrow::ArrowWriter::try_new(f, batch.schema(), None).unwrap();
            w.write(&batch).unwrap();
            w.close().unwrap();
        } else {
            let mut w = arrow_ipc::writer::FileWriter::try_new(f, &batch.schema()).unwrap();
            w.write(&batch).unwrap();
            w.finish().unwrap();
        }
        let like = schema_like(format, File::open(&path).unwrap(), "S").unwrap();
        let types: Vec<String> = like
            .fields()
            .iter()
            .map(|f| format!("{} {}", f.name(), f.type_name()))
            .collect();
        assert_eq!(types, ["id u16", "name text[11]", "ok bool"]);
        let mut store = RawStore::create(dir.path().join(format!("{file}.recs")), &like).unwrap();
        import(&mut store, format, File::open(&path).unwrap(), |_| {}).unwrap();
        // Record 1 (14 bytes on): its name fills the room.
        assert_eq!(&store.data()[16..27], "Grüße ✓".as_bytes());
        assert_eq!((store.data()[13], store.data()[27]), (1, 0));
    }
}

mod exact_values {
    //! Random bits of every type, both byte orders, through every format.
    use super::*;
    use proptest::prelude::*;

    /// Every primitive in both byte orders (one-byte types have one), two
    /// elements each (a text field: a room of 5), packed.
    fn everything() -> Schema {
        let mut fields = Vec::new();
        let mut offset = 0;
        for p in Primitive::ALL {
            let orders: &[Endian] = if p.size() == 1 {
                &[Endian::Little]
            } else {
                &[Endian::Little, Endian::Big]
            };
            for &e in orders {
                let name = format!("{}_{e:?}", p.name());
                let count = if p == Primitive::Text { 5 } else { 2 };
                fields.push(Field::new(name, p, e, count, offset));
                offset += count * p.size();
            }
        }
        let schema = Schema::new("Everything", offset, 1, fields);
        schema.validate().unwrap();
        schema
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        #[test]
        fn every_bit_comes_back(seed in any::<u64>(), rows in 0usize..40) {
            let schema = everything();
            let bytes = records(&schema, rows, seed);
            let dir = tempfile::tempdir().unwrap();
            let src = store_with(dir.path(), "src.recs", &schema, &bytes);
            for format in FORMATS {
                let out = dir.path().join(format!("out.{format:?}"));
                export(&src, format, File::create(&out).unwrap(), &ExportOptions::default(), |_| {}).unwrap();
                let like = schema_like(format, File::open(&out).unwrap(), "Everything").unwrap();
                let mut copy = RawStore::create(dir.path().join(format!("{format:?}.recs")), &like).unwrap();
                import(&mut copy, format, File::open(&out).unwrap(), |_| {}).unwrap();
                prop_assert!(copy.data() == src.data(), "{:?}", format);
            }
        }
    }
}

#[test]
fn npy_from_the_store_file_is_the_same_file() {
    let schema = schema_file::load(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../schemas/tagged_reading.toml"
    ))
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    // More than one 1 MiB chunk of 32-byte records, and a partial one.
    let bytes = records(&schema, 70_000, 3);
    let src = store_with(dir.path(), "s.recs", &schema, &bytes);
    let file = File::open(dir.path().join("s.recs")).unwrap();
    let mut options = ExportOptions::default();
    for (range, fields) in [
        (None, None),
        (
            Some(1000..65_537),
            Some(vec!["label".to_string(), "valid".into()]),
        ),
    ] {
        options.range = range;
        options.fields = fields;
        let (mut mapped, mut read) = (Vec::new(), Vec::new());
        export(&src, Format::Npy, &mut mapped, &options, |_| {}).unwrap();
        let mut ticks = Vec::new();
        let n = recstore_arrow::export_npy_from_file(&src, &file, &mut read, &options, |t| {
            ticks.push(t)
        })
        .unwrap();
        assert_eq!(Some(&n), ticks.last());
        assert!(read == mapped, "the same header and records");
    }
    // A store opened on a window of records: the window's records.
    let window = recstore::OpenOptions::new()
        .read_only()
        .window(60_000..69_999)
        .open_raw(dir.path().join("s.recs"), None)
        .unwrap();
    options.range = Some(5..9_000);
    options.fields = None;
    let (mut mapped, mut read) = (Vec::new(), Vec::new());
    export(&window, Format::Npy, &mut mapped, &options, |_| {}).unwrap();
    recstore_arrow::export_npy_from_file(&window, &file, &mut read, &options, |_| {}).unwrap();
    assert!(read == mapped, "a window's records");
    let stride = schema.stride() as usize;
    assert!(read.ends_with(&bytes[60_005 * stride..69_000 * stride]));
    // A file that cannot be the store's is refused.
    let other = File::create(dir.path().join("short")).unwrap();
    let e = recstore_arrow::export_npy_from_file(
        &src,
        &other,
        Vec::new(),
        &ExportOptions::default(),
        |_| {},
    )
    .unwrap_err();
    assert!(
        e.to_string()
            .contains("pass the file the store was opened from"),
        "{e}"
    );
}
