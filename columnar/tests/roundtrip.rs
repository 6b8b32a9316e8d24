//! Store → Parquet / Arrow IPC / .npy → store is byte-identical for every
//! bundled schema (and for big-endian fields, NaN payloads and names that
//! do not form a struct tree): the schema comes back from the file's
//! metadata, every value comes back bit for bit, padding comes back zero.

use std::fs::File;
use std::path::Path;

use recstore::{schema_file, Endian, Field, Primitive, RawStore, Schema};
use recstore_arrow::{export, import, schema_like, ExportOptions, Format};

const FORMATS: [Format; 3] = [Format::Parquet, Format::ArrowIpc, Format::Npy];

/// Records of random bits (NaNs with payloads, infinities, extremes) with
/// zero padding.
fn records(schema: &Schema, n: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    let mut out = vec![0u8; n * schema.stride() as usize];
    for rec in out.chunks_exact_mut(schema.stride() as usize) {
        for f in schema.fields().iter().filter(|f| !f.is_padding()) {
            for b in &mut rec[f.offset() as usize..(f.offset() + f.len()) as usize] {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                *b = x as u8;
            }
        }
    }
    out
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
            // Bool and text fields are refused by the columnar formats
            // (cli/tests/text_fields.rs checks the refusal).
            if schema.fields().iter().any(|f| {
                matches!(
                    f.primitive(),
                    recstore::Primitive::Bool | recstore::Primitive::Text
                )
            }) {
                continue;
            }
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
