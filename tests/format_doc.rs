//! Guards `docs/FORMAT.md` against drift (redb's in-code comment once
//! disagreed with its doc): every constant in the doc equals the code's, and
//! every field the doc's tables place at an offset holds, in a real file,
//! the value the doc says it holds.

mod common;

use std::collections::HashMap;

use common::{vertex, vertex_store, Vertex, DATA, SLOTS};
use recstore::format::*;
use recstore::schema::{MAX_ALIGN, MAX_FIELDS, MAX_NAME_LEN, MAX_RECORD_SIZE};
use recstore::{Primitive, Record};

/// The rows of the first table after each heading of the doc.
fn tables() -> HashMap<String, Vec<Vec<String>>> {
    let doc =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/FORMAT.md")).unwrap();
    let mut out: HashMap<String, Vec<Vec<String>>> = HashMap::new();
    let mut heading = String::new();
    for line in doc.lines() {
        if let Some(h) = line
            .strip_prefix("## ")
            .or_else(|| line.strip_prefix("### "))
        {
            heading = h.trim().to_string();
        } else if line.starts_with('|') && !line.starts_with("| ---") {
            let cells: Vec<String> = line
                .trim_matches('|')
                .split('|')
                .map(|c| c.trim().trim_matches('`').to_string())
                .collect();
            out.entry(heading.clone()).or_default().push(cells);
        }
    }
    // Drop each table's header row.
    for rows in out.values_mut() {
        rows.remove(0);
    }
    out
}

/// Rows as (offset, size, field), checking they tile `len` bytes exactly.
fn fields(rows: &[Vec<String>], len: usize) -> Vec<(usize, usize, String)> {
    let mut next = 0;
    let out: Vec<_> = rows
        .iter()
        .map(|r| {
            let (o, s) = (
                r[0].parse::<usize>().unwrap(),
                r[1].parse::<usize>().unwrap(),
            );
            assert_eq!(
                o, next,
                "field {} does not start where the previous ends",
                r[2]
            );
            next = o + s;
            (o, s, r[2].clone())
        })
        .collect();
    assert_eq!(
        next, len,
        "the fields do not add up to the structure's length"
    );
    out
}

fn le(bytes: &[u8]) -> u64 {
    bytes
        .iter()
        .rev()
        .fold(0, |acc, &b| (acc << 8) | u64::from(b))
}

#[test]
fn constants_match_the_code() {
    let t = tables();
    let doc: HashMap<&str, &str> = t["Constants"]
        .iter()
        .map(|r| (r[0].as_str(), r[1].as_str()))
        .collect();
    let magic = MAGIC
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(" ");
    let expected: [(&str, String); 20] = [
        ("MAGIC", magic),
        ("VERSION_MAJOR", VERSION_MAJOR.to_string()),
        ("VERSION_MINOR", VERSION_MINOR.to_string()),
        ("PAGE_SIZE", PAGE_SIZE.to_string()),
        ("SUPERBLOCK_LEN", SUPERBLOCK_LEN.to_string()),
        ("SLOT_OFFSET_0", SLOT_OFFSETS[0].to_string()),
        ("SLOT_OFFSET_1", SLOT_OFFSETS[1].to_string()),
        ("SLOT_PAGES_MINOR", SLOT_PAGES_MINOR.to_string()),
        ("ONE_SYNC_MAX_CHECK", ONE_SYNC_MAX_CHECK.to_string()),
        ("SLOT_LEN", SLOT_LEN.to_string()),
        ("SCHEMA_OFFSET", SCHEMA_OFFSET.to_string()),
        ("MAX_SCHEMA_LEN", MAX_SCHEMA_LEN.to_string()),
        ("CHUNK_TARGET_BYTES", CHUNK_TARGET_BYTES.to_string()),
        ("TABLE_ENTRY_LEN", TABLE_ENTRY_LEN.to_string()),
        ("SLOT_UNSYNCED", SLOT_UNSYNCED.to_string()),
        ("SLOT_ONE_SYNC", SLOT_ONE_SYNC.to_string()),
        ("MAX_FIELDS", MAX_FIELDS.to_string()),
        ("MAX_NAME_LEN", MAX_NAME_LEN.to_string()),
        ("MAX_RECORD_SIZE", MAX_RECORD_SIZE.to_string()),
        ("MAX_ALIGN", MAX_ALIGN.to_string()),
    ];
    assert_eq!(
        doc.len(),
        expected.len(),
        "the doc lists constants the test does not know"
    );
    for (name, value) in expected {
        assert_eq!(
            doc.get(name).copied(),
            Some(value.as_str()),
            "constant {name}"
        );
    }
}

#[test]
fn type_codes_match_the_code() {
    let t = tables();
    let rows = &t["Type codes"];
    assert_eq!(rows.len(), Primitive::ALL.len());
    for r in rows {
        let p = Primitive::from_code(r[0].parse().unwrap()).unwrap();
        assert_eq!(
            (p.name(), p.size().to_string()),
            (r[1].as_str(), r[2].clone())
        );
    }
}

#[test]
fn every_documented_field_holds_the_documented_value_in_a_real_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = vertex_store(dir.path(), "v.recs", 5000);
    let file = std::fs::read(&path).unwrap();
    let t = tables();
    let block = Vertex::schema().encode().unwrap();
    let chunk = 65536 / 20;
    let capacity = recstore::Store::<Vertex>::open_read_only(&path)
        .unwrap()
        .capacity() as u64;

    let sb: HashMap<&str, u64> = [
        ("version_major", 1),
        ("version_minor", 2),
        ("flags", 0),
        ("page_size", 4096),
        ("data_offset", DATA as u64),
        ("schema_offset", 1536),
        ("schema_len", block.len() as u64),
        ("fingerprint", Vertex::schema().fingerprint()),
        ("schema_crc", crc32fast::hash(&block) as u64),
        ("chunk_records", chunk),
        ("stride", 20),
        ("reserved", 0),
        ("crc", crc32fast::hash(&file[..124]) as u64),
    ]
    .into();
    for (o, s, name) in fields(&t["Superblock (offset 0, 128 bytes)"], SUPERBLOCK_LEN) {
        let bytes = &file[o..o + s];
        if name == "magic" {
            assert_eq!(bytes, MAGIC);
        } else if name == "reserved" {
            assert!(bytes.iter().all(|&b| b == 0));
        } else {
            assert_eq!(le(bytes), sb[name.as_str()], "superblock field {name}");
        }
    }

    let records = &file[DATA..DATA + 5000 * 20];
    // Format 1.2: a page for each slot, right before the data; where 1.0
    // and 1.1 put them, zeros, and so is the rest of each slot's page.
    assert_eq!(SLOTS, [DATA - 8192, DATA - 4096]);
    assert!(SLOT_OFFSETS
        .iter()
        .all(|&o| file[o..o + SLOT_LEN].iter().all(|&b| b == 0)));
    assert!(SLOTS
        .iter()
        .all(|&o| file[o + SLOT_LEN..o + 4096].iter().all(|&b| b == 0)));
    for slot in SLOTS {
        let expected: HashMap<&str, u64> = [
            ("count", 5000),
            ("capacity", capacity),
            ("table_offset", DATA as u64 + capacity * 20),
            ("flags", 0),
            (
                "tail_crc",
                crc32fast::hash(&records[(chunk as usize) * 20..]) as u64,
            ),
            ("crc", crc32fast::hash(&file[slot..slot + 124]) as u64),
        ]
        .into();
        for (o, s, name) in fields(
            &t["Commit slot (offsets `data_offset - 8192` and `data_offset - 4096` from 1.2, 512 and 1024 before, 128 bytes each)"],
            SLOT_LEN,
        ) {
            let bytes = &file[slot + o..slot + o + s];
            match name.as_str() {
                "sequence" => assert!(le(bytes) >= 1),
                "boot_id" | "checked_from" | "table_crc" | "reserved" => {
                    assert!(bytes.iter().all(|&b| b == 0), "{name}")
                }
                _ => assert_eq!(le(bytes), expected[name.as_str()], "slot field {name}"),
            }
        }
    }
    // The table holds the CRC of each full chunk.
    let table = DATA + capacity as usize * 20;
    assert_eq!(
        le(&file[table..table + 4]),
        crc32fast::hash(&records[..chunk as usize * 20]) as u64
    );

    let s = &file[1536..1536 + block.len()];
    let head: HashMap<&str, u64> = [
        ("size", 20),
        ("align", 4),
        ("stride", 20),
        ("field_count", 3),
        ("name_len", 6),
        (
            "strings_len",
            ("Vertex".len() + "position".len() + "color".len() + "_pad".len()) as u64,
        ),
        ("reserved", 0),
    ]
    .into();
    for (o, n, name) in fields(&t["Schema head"], 32) {
        assert_eq!(
            le(&s[o..o + n]),
            head[name.as_str()],
            "schema head field {name}"
        );
    }
    // Field 1 is `color: [u16; 3]` at offset 12; field 2 is the padding.
    let desc = |i: usize| &s[32 + 16 * i..32 + 16 * (i + 1)];
    let color: HashMap<&str, u64> = [
        ("name_offset", 14),
        ("name_len", 5),
        ("type", 3),
        ("flags", 0),
        ("count", 3),
        ("offset", 12),
    ]
    .into();
    let pad: HashMap<&str, u64> = [
        ("name_offset", 19),
        ("name_len", 4),
        ("type", 1),
        ("flags", 1),
        ("count", 2),
        ("offset", 18),
    ]
    .into();
    for (o, n, name) in fields(&t["Field descriptor"], 16) {
        assert_eq!(
            le(&desc(1)[o..o + n]),
            color[name.as_str()],
            "descriptor field {name}"
        );
        assert_eq!(
            le(&desc(2)[o..o + n]),
            pad[name.as_str()],
            "descriptor field {name}"
        );
    }
    // The fingerprint is FNV-1a 64 as the doc describes it.
    let fnv = block.iter().fold(0xcbf29ce484222325u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x100000001b3)
    });
    assert_eq!(fnv, Vertex::schema().fingerprint());
    // The file ends on a page, after the table.
    assert_eq!(
        file.len() as u64,
        (table as u64 + 4 * (capacity / chunk)).next_multiple_of(4096)
    );
}

/// The machine's boot id as the format stores it: the 16 bytes of the UUID.
fn boot_id() -> [u8; 16] {
    let text = std::fs::read_to_string("/proc/sys/kernel/random/boot_id").unwrap();
    let hex: String = text.trim().chars().filter(|c| *c != '-').collect();
    std::array::from_fn(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap())
}

#[test]
fn a_one_sync_slot_holds_what_the_doc_says() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("live.recs");
    let mut s = recstore::Store::<Vertex>::create(&path).unwrap();
    s.extend((0..5000).map(vertex)).unwrap();
    s.flush().unwrap();
    s.extend((5000..8000).map(vertex)).unwrap();
    s.flush().unwrap();
    let capacity = s.capacity() as u64;
    // As if the writer were killed: no clean close.
    std::mem::forget(s);
    let file = std::fs::read(&path).unwrap();
    let t = tables();
    let fields = fields(
        &t["Commit slot (offsets `data_offset - 8192` and `data_offset - 4096` from 1.2, 512 and 1024 before, 128 bytes each)"],
        SLOT_LEN,
    );
    let field = |slot: usize, name: &str| {
        let &(o, n, _) = fields.iter().find(|f| f.2 == name).unwrap();
        &file[slot + o..slot + o + n]
    };
    let newest = *SLOTS
        .iter()
        .max_by_key(|&&slot| le(field(slot, "sequence")))
        .unwrap();
    let chunk = 65536 / 20;
    let table = DATA + capacity as usize * 20;
    assert_eq!(le(field(newest, "flags")), u64::from(SLOT_ONE_SYNC));
    assert_eq!(le(field(newest, "count")), 8000);
    assert_eq!(field(newest, "boot_id"), boot_id());
    // The second flush appended from record 5000, in chunk 1.
    assert_eq!(le(field(newest, "checked_from")), chunk);
    assert_eq!(
        le(field(newest, "table_crc")),
        crc32fast::hash(&file[table..table + 2 * 4]) as u64
    );
    assert!(field(newest, "reserved").iter().all(|&b| b == 0));
}

/// Each slot validity rule of FORMAT.md ("Commit slot", rules 1 to 7) has a
/// file that breaks it, in slot 0 of a cleanly closed store (both slots hold
/// the same commit): open must reject the slot for that rule and fall back
/// to slot 1, saying why.
#[test]
fn every_slot_validity_rule_has_a_file_that_breaks_it() {
    use recstore::{SlotProblem, Store};
    let dir = tempfile::tempdir().unwrap();
    let base = std::fs::read(vertex_store(dir.path(), "v.recs", 5000)).unwrap();
    let slot = SLOTS[0];
    let put = |f: &mut Vec<u8>, at: usize, v: u64, w: usize| {
        f[slot + at..slot + at + w].copy_from_slice(&v.to_le_bytes()[..w])
    };
    let fix = |f: &mut Vec<u8>| {
        let crc = crc32fast::hash(&f[slot..slot + 124]);
        f[slot + 124..slot + 128].copy_from_slice(&crc.to_le_bytes());
    };
    let count = le(&base[slot + 8..slot + 16]);
    let capacity = le(&base[slot + 16..slot + 24]);
    type Case<'a> = (
        &'static str,
        Box<dyn Fn(&mut Vec<u8>) + 'a>,
        fn(&SlotProblem) -> bool,
    );
    let cases: Vec<Case<'_>> = vec![
        ("1: crc", Box::new(|f| f[slot] ^= 1), |p| {
            matches!(p, SlotProblem::Checksum { .. })
        }),
        ("2: unknown flag", Box::new(|f| put(f, 32, 4, 4)), |p| {
            matches!(p, SlotProblem::UnknownFlags { .. })
        }),
        ("2: both flags", Box::new(|f| put(f, 32, 3, 4)), |p| {
            matches!(p, SlotProblem::UnknownFlags { .. })
        }),
        (
            "3: unsynced from another boot",
            Box::new(|f| {
                put(f, 32, u64::from(SLOT_UNSYNCED), 4);
                f[slot + 40..slot + 56].copy_from_slice(&[0xee; 16]);
            }),
            |p| matches!(p, SlotProblem::UnsyncedFromEarlierBoot),
        ),
        (
            "4: count over capacity",
            Box::new(|f| put(f, 8, capacity + 1, 8)),
            |p| matches!(p, SlotProblem::CountOverCapacity { .. }),
        ),
        ("5: table offset", Box::new(|f| put(f, 24, 4096, 8)), |p| {
            matches!(p, SlotProblem::TableOffset { .. })
        }),
        (
            "6: table past the end of the file",
            Box::new(|f| {
                put(f, 16, 1 << 30, 8);
                put(f, 24, DATA as u64 + 20 * (1 << 30), 8);
            }),
            |p| matches!(p, SlotProblem::PastEndOfFile { .. }),
        ),
        (
            "7: checked_from past count",
            Box::new(|f| {
                put(f, 32, u64::from(SLOT_ONE_SYNC), 4);
                put(f, 56, count.next_multiple_of(3276) + 3276, 8);
            }),
            |p| matches!(p, SlotProblem::CheckedFrom { .. }),
        ),
        (
            "7: checked_from off a chunk boundary",
            Box::new(|f| {
                put(f, 32, u64::from(SLOT_ONE_SYNC), 4);
                put(f, 56, 1, 8);
            }),
            |p| matches!(p, SlotProblem::CheckedFrom { .. }),
        ),
        (
            "7: the one-sync check fails (another boot, wrong table CRC)",
            Box::new(|f| {
                put(f, 32, u64::from(SLOT_ONE_SYNC), 4);
                f[slot + 40..slot + 56].copy_from_slice(&[0xee; 16]);
                put(f, 64, 12345, 4);
            }),
            |p| matches!(p, SlotProblem::TableNotOnDisk),
        ),
    ];
    for (rule, break_it, expected) in cases {
        let mut f = base.clone();
        break_it(&mut f);
        if !rule.starts_with("1:") {
            fix(&mut f);
        }
        let path = dir.path().join("broken.recs");
        std::fs::write(&path, &f).unwrap();
        let s = Store::<Vertex>::open_read_only(&path).unwrap();
        let r = s
            .recovery()
            .unwrap_or_else(|| panic!("rule {rule}: slot 0 was taken"));
        assert_eq!((r.rejected_slot, r.slot_used), (0, 1), "rule {rule}");
        assert!(expected(&r.problem), "rule {rule}: {:?}", r.problem);
        assert_eq!(s.len() as u64, count);
    }
}

/// What FORMAT.md says a reader ignores ("What a reader refuses and what it
/// ignores") is ignored: reserved bytes (with the checksums fixed), fields of
/// a plain slot that only one-sync slots use, bytes after the schema block,
/// where 1.0 kept its slots and after a 1.2 slot, and a length that is not
/// whole pages.
#[test]
fn what_the_doc_says_a_reader_ignores_is_ignored() {
    use recstore::Store;
    let dir = tempfile::tempdir().unwrap();
    let base = std::fs::read(vertex_store(dir.path(), "v.recs", 5000)).unwrap();
    let fix = |f: &mut Vec<u8>, at: usize| {
        let crc = crc32fast::hash(&f[at..at + 124]);
        f[at + 124..at + 128].copy_from_slice(&crc.to_le_bytes());
    };
    type Change<'a> = Box<dyn Fn(&mut Vec<u8>) + 'a>;
    let cases: Vec<(&str, Change<'_>)> = vec![
        (
            "superblock reserved",
            Box::new(|f| {
                f[60] = 7;
                fix(f, 0)
            }),
        ),
        (
            "slot reserved, both slots",
            Box::new(|f| {
                for s in SLOTS {
                    f[s + 70] = 7;
                    fix(f, s)
                }
            }),
        ),
        (
            "plain slot's one-sync fields",
            Box::new(|f| {
                for s in SLOTS {
                    f[s + 40..s + 72].fill(0x5a);
                    f[s + 68..s + 72].fill(0);
                    fix(f, s)
                }
            }),
        ),
        ("after the schema block", Box::new(|f| f[4000] = 1)),
        (
            "where 1.0 kept its slots",
            Box::new(|f| {
                f[512] = 1;
                f[1100] = 1
            }),
        ),
        (
            "the rest of a slot's page",
            Box::new(|f| f[SLOTS[1] + 2000] = 1),
        ),
        (
            "a length off whole pages",
            Box::new(|f| f.extend_from_slice(&[0; 100])),
        ),
    ];
    for (what, change) in cases {
        let mut f = base.clone();
        change(&mut f);
        let path = dir.path().join("odd.recs");
        std::fs::write(&path, &f).unwrap();
        let s = Store::<Vertex>::open_read_only(&path).unwrap_or_else(|e| panic!("{what}: {e}"));
        assert!(s.recovery().is_none(), "{what}");
        assert_eq!(s.len(), 5000, "{what}");
        s.verify().unwrap_or_else(|e| panic!("{what}: {e}"));
    }
}

/// `recstore::inspect::header_fields` (the CLI's `inspect --header`) shows
/// every field the doc's superblock and slot tables list but `reserved`,
/// with the doc's name, offset and size, and the value stored there.
#[test]
fn inspect_shows_every_documented_header_field_where_the_doc_puts_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = vertex_store(dir.path(), "v.recs", 5000);
    let file = std::fs::read(&path).unwrap();
    let shown = recstore::inspect::header_fields(&file[..DATA]);
    let t = tables();
    let mut expected = Vec::new();
    for (o, s, name) in fields(&t["Superblock (offset 0, 128 bytes)"], SUPERBLOCK_LEN) {
        expected.push((o, s, format!("superblock.{name}")));
    }
    let slot_rows = &t["Commit slot (offsets `data_offset - 8192` and `data_offset - 4096` from 1.2, 512 and 1024 before, 128 bytes each)"];
    for (i, at) in SLOTS.into_iter().enumerate() {
        for (o, s, name) in fields(slot_rows, SLOT_LEN) {
            expected.push((at + o, s, format!("slot{i}.{name}")));
        }
    }
    expected.retain(|(_, _, name)| !name.ends_with(".reserved"));
    let got: Vec<_> = shown
        .iter()
        .map(|f| (f.offset, f.size, f.name.clone()))
        .collect();
    assert_eq!(got, expected);
    for f in &shown {
        let bytes = &file[f.offset..f.offset + f.size];
        if f.name.ends_with(".magic") || f.name.ends_with(".boot_id") {
            continue;
        }
        let value = le(bytes);
        let decimal = value.to_string();
        let hex = f.value.strip_prefix("0x");
        assert!(
            f.value == decimal || hex.and_then(|h| u64::from_str_radix(h, 16).ok()) == Some(value),
            "{}: shown {:?}, stored {decimal}",
            f.name,
            f.value
        );
    }
}
