//! Guards the basic promise: what is written comes back, after reopen, in
//! every mode, across many capacity doublings, through every accessor.

mod common;

use common::{reading, vertex, Reading, Vertex};
use recstore::{Error, Mode, OpenOptions, RawStore, Store};

#[test]
fn push_flush_reopen_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v.recs");
    let mut s = Store::<Vertex>::create(&path).unwrap();
    assert!(s.is_empty());
    for i in 0..1000 {
        s.push(&vertex(i)).unwrap();
    }
    s.flush().unwrap();
    assert_eq!(s.len(), 1000);
    drop(s);
    let s = Store::<Vertex>::open(&path).unwrap();
    assert_eq!(s.len(), 1000);
    assert!(s.iter().enumerate().all(|(i, v)| *v == vertex(i as u64)));
    assert_eq!(s.get(999), Some(&vertex(999)));
    assert_eq!(s.get(1000), None);
    s.verify().unwrap();
    assert!(s.recovery().is_none());
}

#[test]
fn a_million_records_across_twenty_doublings() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.recs");
    let mut s = Store::<Reading>::create(&path).unwrap();
    let mut capacities = vec![s.capacity()];
    for i in 0..1_000_000u64 {
        s.push(&reading(i)).unwrap();
        if s.capacity() != *capacities.last().unwrap() {
            capacities.push(s.capacity());
        }
        // Durable commits in between, so growth must protect committed tables.
        if i % 200_000 == 7 {
            s.flush().unwrap();
        }
    }
    s.flush().unwrap();
    s.verify().unwrap();
    drop(s);
    // From a capacity of one record, a million records take 20 doublings.
    let path2 = dir.path().join("tiny-start.recs");
    let mut t = OpenOptions::new()
        .create_new(true)
        .initial_capacity(1)
        .open::<Reading>(&path2)
        .unwrap();
    let mut doublings = 0;
    let mut cap = t.capacity();
    for i in 0..1_000_000u64 {
        t.push(&reading(i)).unwrap();
        if t.capacity() != cap {
            doublings += 1;
            cap = t.capacity();
        }
        if i % 100_003 == 0 {
            t.publish().unwrap();
        }
    }
    t.close().unwrap();
    assert!(capacities.len() > 3, "{capacities:?}");
    let s = Store::<Reading>::open_read_only(&path).unwrap();
    assert_eq!(s.len(), 1_000_000);
    assert!(s.iter().enumerate().all(|(i, r)| *r == reading(i as u64)));
    s.verify().unwrap();
    let t = Store::<Reading>::open_read_only(&path2).unwrap();
    assert_eq!(t.len(), 1_000_000);
    t.verify().unwrap();
    assert!(t.iter().enumerate().all(|(i, r)| *r == reading(i as u64)));
    assert_eq!(doublings, 20);
}

#[test]
fn extend_truncate_get_mut() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v.recs");
    let mut s = Store::<Vertex>::create(&path).unwrap();
    let batch: Vec<Vertex> = (0..10_000).map(vertex).collect();
    s.extend_from_slice(&batch).unwrap();
    s.extend((10_000..10_100).map(vertex)).unwrap();
    assert_eq!(s.len(), 10_100);
    s.get_mut(5).unwrap().color = [1, 2, 3];
    s.as_mut_slice().unwrap()[6].position = [9.0; 3];
    s.truncate(8000).unwrap();
    assert_eq!(s.len(), 8000);
    assert!(matches!(
        s.get_mut(8000),
        Err(Error::IndexOutOfBounds {
            index: 8000,
            len: 8000
        })
    ));
    s.flush().unwrap();
    s.verify().unwrap();
    drop(s);
    let s = Store::<Vertex>::open(&path).unwrap();
    assert_eq!(s.len(), 8000);
    assert_eq!(s[5].color, [1, 2, 3]);
    assert_eq!(s[6].position, [9.0; 3]);
    assert_eq!(s[7], vertex(7));
    s.verify().unwrap();
}

#[test]
fn read_only_mode_refuses_writes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v.recs");
    Store::<Vertex>::create(&path)
        .unwrap()
        .push(&vertex(1))
        .unwrap();
    let mut s = Store::<Vertex>::open_read_only(&path).unwrap();
    assert_eq!(s.mode(), Mode::ReadOnly);
    assert_eq!(s.len(), 1);
    assert!(matches!(s.push(&vertex(2)), Err(Error::ReadOnly { .. })));
    assert!(matches!(s.get_mut(0), Err(Error::ReadOnly { .. })));
    assert!(matches!(s.truncate(0), Err(Error::ReadOnly { .. })));
    assert!(matches!(s.flush(), Err(Error::ReadOnly { .. })));
    s.verify().unwrap();
}

#[test]
fn copy_on_write_leaves_the_file_byte_identical() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v.recs");
    let mut s = Store::<Vertex>::create(&path).unwrap();
    s.extend((0..5000).map(vertex)).unwrap();
    s.close().unwrap();
    let before = std::fs::read(&path).unwrap();
    let mut c = OpenOptions::new()
        .copy_on_write()
        .open::<Vertex>(&path)
        .unwrap();
    c.get_mut(3).unwrap().color = [7, 7, 7];
    c.extend((0..100_000).map(vertex)).unwrap(); // grows past the file's capacity
    c.truncate(10).unwrap();
    c.push(&vertex(42)).unwrap();
    c.publish().unwrap();
    c.flush().unwrap();
    assert_eq!(c.len(), 11);
    assert_eq!(c[3].color, [7, 7, 7]);
    c.verify().unwrap();
    drop(c);
    assert_eq!(std::fs::read(&path).unwrap(), before);
    let s = Store::<Vertex>::open(&path).unwrap();
    assert_eq!(s.len(), 5000);
    assert_eq!(s[3], vertex(3));
}

#[test]
fn raw_store_reads_any_store_through_its_schema() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v.recs");
    let mut s = Store::<Vertex>::create(&path).unwrap();
    s.extend((0..10).map(vertex)).unwrap();
    s.close().unwrap();
    let raw = RawStore::open_read_only(&path).unwrap();
    assert_eq!(raw.len(), 10);
    assert_eq!(raw.schema().stride(), 20);
    let color = raw.schema().field("color").unwrap();
    let rec = raw.record(3).unwrap();
    let values: Vec<String> = color.values(rec).map(|v| v.to_string()).collect();
    assert_eq!(values, ["3", "0", "21"]);
    assert_eq!(raw.records().count(), 10);
    let info = raw.info();
    assert_eq!(
        (info.len, info.data_offset, info.format_version),
        (10, 12_288, (1, 2))
    );
}

#[test]
fn create_refuses_to_replace_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v.recs");
    std::fs::write(&path, b"precious").unwrap();
    assert!(matches!(
        Store::<Vertex>::create(&path),
        Err(Error::AlreadyExists { .. })
    ));
    assert_eq!(std::fs::read(&path).unwrap(), b"precious");
    // create(true) opens what is there, or creates it.
    let p2 = dir.path().join("new.recs");
    OpenOptions::new()
        .create(true)
        .open::<Vertex>(&p2)
        .unwrap()
        .push(&vertex(0))
        .unwrap();
    let s = OpenOptions::new().create(true).open::<Vertex>(&p2).unwrap();
    assert_eq!(s.len(), 1);
    // Created like `File::create`: readable by others unless the umask says no.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let plain = dir.path().join("plain");
        std::fs::File::create(&plain).unwrap();
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&p2), mode(&plain));
        std::fs::remove_file(plain).unwrap();
    }
    // No temporary files are left behind.
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
}
