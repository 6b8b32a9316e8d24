//! Guards the naming rule for new schemas (docs/SCHEMA.md, "Names";
//! issue 17): names text formats cannot carry (`a,b`, a trailing space, a
//! newline, a bare `[`) are refused when a schema is validated and when a
//! store is created, from a `Schema` as from a schema file; the flattened
//! names of nested structs (`a.b`, `c[1].d`) are allowed; and a store
//! written before the rule, whose names break it, still opens (with or
//! without its schema given), reads, appends, and shows one line per field
//! in its schema table.

use recstore::{Endian, Error, Field, Primitive, RawStore, Schema, SchemaProblem};

fn fields(names: &[&str]) -> Schema {
    let fields = names
        .iter()
        .enumerate()
        .map(|(i, n)| Field::new(*n, Primitive::U8, Endian::Little, 1, i as u64))
        .collect();
    Schema::new("Old", names.len() as u64, 1, fields)
}

fn two_fields(a: &str, b: &str) -> Schema {
    fields(&[a, b])
}

#[test]
fn new_schemas_keep_the_naming_rule() {
    for bad in [
        "a,b", "a ", " a", "a\nb", "a\"b", "a[", "a]", "a[x].b", "a[01].b", "a[0]", "a..b", ".a",
    ] {
        match two_fields(bad, "ok").validate() {
            Err(Error::InvalidSchema {
                problem: SchemaProblem::BadName { name, .. },
            }) => assert_eq!(name, bad),
            other => panic!("{bad:?} accepted: {other:?}"),
        }
    }
    for good in [
        "a.b",
        "c[1].d",
        "c[10][2].e f",
        "it's",
        "back\\slash",
        "température",
    ] {
        two_fields(good, "ok")
            .validate()
            .unwrap_or_else(|e| panic!("{good:?}: {e}"));
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("new.recs");
    assert!(matches!(
        RawStore::create(&path, &two_fields("ab", "c ")),
        Err(Error::InvalidSchema { .. })
    ));
    assert!(!path.exists());
}

/// FNV-1a 64, as docs/FORMAT.md gives it for the fingerprint.
fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

fn u32_at(data: &[u8], at: usize) -> usize {
    u32::from_le_bytes(data[at..at + 4].try_into().unwrap()) as usize
}

#[test]
fn a_store_made_before_the_rule_still_opens() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.recs");
    let mut store = RawStore::create(&path, &fields(&["ab", "cd", "ef"])).unwrap();
    store.extend_from_bytes(&[1, 2, 3, 4, 5, 6]).unwrap();
    store.close().unwrap();
    // Rename the fields to `a,`, `c ` and `e\n` in place, as a writer from
    // before the rule could have named them: schema block, fingerprint, CRCs.
    let mut data = std::fs::read(&path).unwrap();
    let (offset, len) = (u32_at(&data, 24), u32_at(&data, 28));
    let block = &mut data[offset..offset + len];
    let strings = block.len() - 6;
    assert_eq!(&block[strings..], b"abcdef");
    block[strings + 1] = b',';
    block[strings + 3] = b' ';
    block[strings + 5] = b'\n';
    let (fingerprint, crc) = (fnv(block), crc32fast::hash(block));
    data[32..40].copy_from_slice(&fingerprint.to_le_bytes());
    data[40..44].copy_from_slice(&crc.to_le_bytes());
    let crc = crc32fast::hash(&data[..124]);
    data[124..128].copy_from_slice(&crc.to_le_bytes());
    std::fs::write(&path, data).unwrap();

    let old = RawStore::open_read_only(&path).unwrap();
    let names: Vec<&str> = old.schema().fields().iter().map(|f| f.name()).collect();
    assert_eq!(names, ["a,", "c ", "e\n"]);
    assert_eq!(old.data(), &[1, 2, 3, 4, 5, 6]);
    // Its table (`recstore info`) keeps one line per field.
    let table = old.schema().to_string();
    assert_eq!(table.lines().count(), 2 + 3, "{table}");
    assert!(table.contains("\"e\\n\""), "{table}");
    old.verify().unwrap();
    assert_ne!(old.schema().fingerprint(), 0);
    // Such a schema is not one a new store may be made with.
    assert!(
        matches!(
            old.schema().validate(),
            Err(Error::InvalidSchema {
                problem: SchemaProblem::BadName { ref name, .. }
            }) if name == "a,"
        ),
        "{:?}",
        old.schema().validate()
    );
    // Opened with its own schema as the expected one, too.
    let schema = old.schema().clone();
    drop(old);
    recstore::OpenOptions::new()
        .read_only()
        .open_raw(&path, Some(&schema))
        .unwrap();
    let mut old = RawStore::open(&path).unwrap();
    old.push(&[7, 8, 9]).unwrap();
    old.close().unwrap();
    assert_eq!(RawStore::open_read_only(&path).unwrap().len(), 3);
}
