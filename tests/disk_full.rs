//! Guards a full disk on a real filesystem (issue 12, items 6 and 12): a
//! failed growth is an error that leaves the store and the disk as they
//! were (ext4 keeps the blocks a `fallocate` got before it failed: they are
//! given back), a new store larger than the disk is a full-disk error that
//! names the store asked for (not its temporary file) and leaves nothing
//! behind, and a store copied sparse cannot raise SIGBUS when its holes
//! are first written through the mapping (a writer reserves the whole file
//! when it opens). The test builds a small ext4 image, mounts it in a
//! private mount namespace (`unshare -m`, as root: CI and the developers'
//! machines run as root) and runs itself again inside it; a SIGBUS kills that
//! child and fails the test.

mod common;

use std::path::Path;
use std::process::Command;

use common::{vertex, Vertex};
use recstore::{Error, Store};

const INNER: &str = "RECSTORE_FULL_DISK_DIR";

#[test]
fn a_full_disk_is_an_error_never_a_sigbus_and_takes_nothing() {
    if let Some(dir) = std::env::var_os(INNER) {
        return on_a_full_disk(Path::new(&dir));
    }
    let tmp = tempfile::tempdir().unwrap();
    let (image, mnt) = (tmp.path().join("fs.img"), tmp.path().join("mnt"));
    std::fs::create_dir(&mnt).unwrap();
    std::fs::File::create(&image)
        .unwrap()
        .set_len(48 << 20)
        .unwrap();
    let mkfs = Command::new("mkfs.ext4")
        .args(["-q", "-F", "-m", "0"])
        .arg(&image)
        .status()
        .expect("mkfs.ext4 (Debian's e2fsprogs; scripts/test.sh installs it)");
    assert!(mkfs.success());
    let out = Command::new("unshare")
        .args(["-m", "sh", "-c"])
        .arg(r#"mount -o loop "$1" "$2" && exec "$3" --exact "$4" --nocapture --test-threads 1"#)
        .arg("sh")
        .arg(&image)
        .arg(&mnt)
        .arg(std::env::current_exe().unwrap())
        .arg("a_full_disk_is_an_error_never_a_sigbus_and_takes_nothing")
        .env(INNER, &mnt)
        .output()
        .expect("unshare (util-linux)");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && text.contains("1 passed"),
        "the test on a real full disk failed ({:?}; SIGBUS is signal 7):\n{text}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Free bytes on the filesystem of `dir`.
fn free(dir: &Path) -> u64 {
    let st = rustix::fs::statvfs(dir).unwrap();
    st.f_bavail * st.f_frsize
}

fn disk_full<T: std::fmt::Debug>(r: Result<T, Error>) -> bool {
    matches!(r, Err(Error::DiskFull { .. }))
}

fn on_a_full_disk(dir: &Path) {
    // A new store larger than the disk: a full disk named by the store
    // asked for (not the temporary file it was being built in), and
    // nothing left behind.
    let path = dir.join("c.recs");
    let e = recstore::OpenOptions::new()
        .create_new(true)
        .initial_capacity(10_000_000)
        .open::<Vertex>(&path)
        .unwrap_err();
    assert!(
        matches!(&e, Error::DiskFull { path: p, .. } if *p == path),
        "{e}"
    );
    // No store to be "unchanged" or to "open read-only": it was not made.
    let said = e.to_string();
    assert!(
        !said.contains("unchanged") && !said.contains("read-only"),
        "{said}"
    );
    assert!(said.contains("nothing was created"), "{said}");
    let left: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n != "lost+found")
        .collect();
    assert!(left.is_empty(), "{left:?}");
    // A store larger than ext4 allows a file to be (16 TiB).
    let e = recstore::OpenOptions::new()
        .create_new(true)
        .initial_capacity(1 << 40)
        .open::<Vertex>(&path)
        .unwrap_err();
    assert!(matches!(e, Error::CapacityOverflow { .. }), "{e}");

    // A growth the disk cannot hold: an error, the store unchanged, and
    // every block the failed fallocate got given back.
    let path = dir.join("a.recs");
    let mut s = Store::<Vertex>::create(&path).unwrap();
    s.extend((0..10_000).map(vertex)).unwrap();
    s.flush().unwrap();
    let (len, before) = (std::fs::metadata(&path).unwrap().len(), free(dir));
    assert!(disk_full(s.reserve(1 << 30)));
    assert_eq!(std::fs::metadata(&path).unwrap().len(), len);
    assert!(
        free(dir) + (1 << 20) >= before,
        "a failed growth kept {} bytes of the disk",
        before - free(dir)
    );
    // Ordinary growth until the disk is full: errors, never a SIGBUS, and
    // every acknowledged record intact.
    let mut n = 10_000u64;
    let err = loop {
        match s.extend_from_slice(&(n..n + 50_000).map(vertex).collect::<Vec<_>>()) {
            Ok(()) => n += 50_000,
            Err(e) => break e,
        }
        s.flush().unwrap();
    };
    assert!(matches!(err, Error::DiskFull { .. }), "{err}");
    assert_eq!(s.len() as u64, n);
    s.push(&vertex(n)).ok();
    s.close().ok();
    let s = Store::<Vertex>::open_read_only(&path).unwrap();
    assert!(s.len() as u64 >= n);
    assert!(s
        .iter()
        .take(n as usize)
        .enumerate()
        .all(|(i, v)| *v == vertex(i as u64)));
    s.verify().unwrap();
    drop(s);
    std::fs::remove_file(&path).unwrap();

    // A store copied sparse: its unused capacity is holes. On a full disk a
    // writer opening it must fail (it reserves the holes), not die of
    // SIGBUS at the first push into one.
    let b = dir.join("b.recs");
    let mut s = Store::<Vertex>::create(&b).unwrap();
    s.extend((0..1000).map(vertex)).unwrap();
    s.reserve(200_000).unwrap();
    s.close().unwrap();
    let sparse = dir.join("sparse.recs");
    let cp = Command::new("cp")
        .arg("--sparse=always")
        .arg(&b)
        .arg(&sparse)
        .status()
        .unwrap();
    assert!(cp.success());
    std::fs::remove_file(&b).unwrap();
    let filler = std::fs::File::create(dir.join("filler")).unwrap();
    let _ = rustix::fs::fallocate(&filler, rustix::fs::FallocateFlags::empty(), 0, 1 << 30);
    assert!(free(dir) < 64 << 10, "the disk is not full: {}", free(dir));
    match Store::<Vertex>::open(&sparse) {
        Err(Error::DiskFull { .. }) => {}
        Err(e) => panic!("{e}"),
        Ok(mut s) => {
            // Open found room after all: then every write must land.
            for i in 1000..200_000 {
                s.push(&vertex(i)).unwrap();
            }
            s.flush().unwrap();
        }
    }
    // Room again: it opens and takes records.
    drop(filler);
    std::fs::remove_file(dir.join("filler")).unwrap();
    let mut s = Store::<Vertex>::open(&sparse).unwrap();
    s.extend((1000..150_000).map(vertex)).unwrap();
    s.close().unwrap();
    Store::<Vertex>::open_read_only(&sparse)
        .unwrap()
        .verify()
        .unwrap();
}
