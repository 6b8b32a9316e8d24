//! The systems recstore is measured against, each able to write the same
//! N colour vertices and to load and scan them back. Shared by the
//! criterion bench (`benches/benches/peers.rs`), the whole-process loader
//! (`src/bin/loader.rs`) and the report (`src/bin/report.rs`).

pub mod mapped;

use recstore::{OpenOptions, Store};
use std::path::{Path, PathBuf};
use zerocopy::{FromBytes, IntoBytes};

/// The 20-byte colour vertex the tests and fuzz targets use too, with every
/// peer's derives (testkit's `serde` and `rkyv` features).
pub use recstore_testkit::Vertex;

/// The deterministic vertex `i` of the peers' files (its own values, not
/// testkit's `vertex`: target/bench-data keeps files written with them).
pub fn vertex(i: u64) -> Vertex {
    Vertex {
        position: [i as f32, (i * 2) as f32, (i * 3) as f32],
        color: [i as u16, (i >> 16) as u16, 7],
        _pad: [0; 2],
    }
}

/// The scan every system does: the sum of one field over all records.
#[inline]
pub fn sum_color(v: &[Vertex]) -> u64 {
    v.iter().map(|v| u64::from(v.color[0])).sum()
}

/// Every system, by the name the tables use.
pub const SYSTEMS: [&str; 8] = [
    "recstore",
    "raw mmap",
    "fs::read + cast",
    "bincode",
    "rkyv",
    "sqlite sum",
    "sqlite rows",
    "heed",
];

/// The files of one N, one per system.
pub struct Files {
    /// N.
    pub n: u64,
    /// A recstore store.
    pub recstore: PathBuf,
    /// The records alone, no header: what a hand-written mmap reads.
    pub raw: PathBuf,
    /// serde + bincode 2 of a `Vec<Vertex>`.
    pub bincode: PathBuf,
    /// rkyv 0.8 of a `Vec<Vertex>`.
    pub rkyv: PathBuf,
    /// SQLite, one row per record.
    pub sqlite: PathBuf,
    /// An LMDB environment directory (heed).
    pub heed: PathBuf,
}

impl Files {
    /// The file names for `n` under `dir`.
    pub fn at(dir: &Path, n: u64) -> Files {
        Files {
            n,
            recstore: dir.join(format!("vertex_{n}.recs")),
            raw: dir.join(format!("vertex_{n}.raw")),
            bincode: dir.join(format!("vertex_{n}.bincode")),
            rkyv: dir.join(format!("vertex_{n}.rkyv")),
            sqlite: dir.join(format!("vertex_{n}.sqlite")),
            heed: dir.join(format!("vertex_{n}.lmdb")),
        }
    }

    /// Puts every file of this N in the page cache the same way: dropped
    /// from it (`posix_fadvise(DONTNEED)`; they are clean, having been
    /// synced) and read back with plain reads. How fast a mapped file scans
    /// depends on how its page-cache pages were made (large folios from
    /// `write` or readahead, 4 KiB pages from writes through a mapping), and
    /// the files were written by different code in different runs: after
    /// this, every system reads pages the kernel's readahead made.
    pub fn settle(&self) {
        use std::io::Read;
        let heed = self.heed.join("data.mdb");
        let files = [
            &self.recstore,
            &self.raw,
            &self.bincode,
            &self.rkyv,
            &self.sqlite,
            &heed,
        ];
        for path in files {
            let mut file = std::fs::File::open(path).unwrap();
            file.sync_all().unwrap();
            rustix::fs::fadvise(&file, 0, None, rustix::fs::Advice::DontNeed).unwrap();
            let mut buf = vec![0u8; 1 << 20];
            while file.read(&mut buf).unwrap() > 0 {}
        }
    }

    /// Writes every file that is missing.
    pub fn create(&self) {
        let records: Vec<Vertex> = (0..self.n).map(vertex).collect();
        if !self.recstore.exists() {
            let mut s = OpenOptions::new()
                .create_new(true)
                .initial_capacity(self.n.max(1) as usize)
                .open::<Vertex>(&self.recstore)
                .unwrap();
            s.extend_from_slice(&records).unwrap();
            s.close().unwrap();
        }
        if !self.raw.exists() {
            std::fs::write(&self.raw, records.as_bytes()).unwrap();
        }
        if !self.bincode.exists() {
            let bytes =
                bincode::serde::encode_to_vec(&records, bincode::config::standard()).unwrap();
            std::fs::write(&self.bincode, bytes).unwrap();
        }
        if !self.rkyv.exists() {
            let bytes = rkyv::to_bytes::<rkyv::rancor::Error>(&records).unwrap();
            std::fs::write(&self.rkyv, &bytes).unwrap();
        }
        if !self.sqlite.exists() {
            let tmp = self.sqlite.with_extension("sqlite.tmp");
            let _ = std::fs::remove_file(&tmp);
            let mut db = rusqlite::Connection::open(&tmp).unwrap();
            db.execute_batch(
                "CREATE TABLE v (id INTEGER PRIMARY KEY, x REAL, y REAL, z REAL, r INTEGER, g INTEGER, b INTEGER)",
            )
            .unwrap();
            let tx = db.transaction().unwrap();
            {
                let mut insert = tx
                    .prepare("INSERT INTO v VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")
                    .unwrap();
                for (i, v) in records.iter().enumerate() {
                    insert
                        .execute(rusqlite::params![
                            i as i64,
                            v.position[0],
                            v.position[1],
                            v.position[2],
                            v.color[0],
                            v.color[1],
                            v.color[2]
                        ])
                        .unwrap();
                }
            }
            tx.commit().unwrap();
            drop(db);
            std::fs::rename(&tmp, &self.sqlite).unwrap();
        }
        if !self.heed.exists() {
            let tmp = self.heed.with_extension("lmdb.tmp");
            let _ = std::fs::remove_dir_all(&tmp);
            std::fs::create_dir_all(&tmp).unwrap();
            let env = mapped::heed_env(&tmp);
            let mut wtxn = env.write_txn().unwrap();
            let db: mapped::HeedDb = env.create_database(&mut wtxn, None).unwrap();
            for (i, v) in records.iter().enumerate() {
                db.put_with_flags(&mut wtxn, heed::PutFlags::APPEND, &(i as u64), v.as_bytes())
                    .unwrap();
            }
            wtxn.commit().unwrap();
            drop(env);
            std::fs::rename(&tmp, &self.heed).unwrap();
        }
    }
}

/// Opens `system`'s file for `files` and reads the first record's colour
/// (`scan == false`) or sums the colour over all records (`scan == true`):
/// the loader's whole job, the same in-process and as a new process.
pub fn load(system: &str, files: &Files, scan: bool) -> u64 {
    let pick = |v: &[Vertex]| {
        if scan {
            sum_color(v)
        } else {
            u64::from(v[0].color[0])
        }
    };
    match system {
        "recstore" => {
            let s = Store::<Vertex>::open_read_only(&files.recstore).unwrap();
            pick(&s[..])
        }
        "raw mmap" => {
            let map = mapped::map(&files.raw);
            pick(<[Vertex]>::ref_from_bytes(&map).unwrap())
        }
        "fs::read + cast" => {
            let bytes = std::fs::read(&files.raw).unwrap();
            // A Vec<u8> promises 1-byte alignment only (the allocator
            // gives more in practice); copy out if the cast is refused.
            match <[Vertex]>::ref_from_bytes(&bytes) {
                Ok(v) => pick(v),
                Err(_) => {
                    let v: Vec<Vertex> = bytes
                        .chunks_exact(20)
                        .map(|c| Vertex::read_from_bytes(c).unwrap())
                        .collect();
                    pick(&v)
                }
            }
        }
        "bincode" => {
            let bytes = std::fs::read(&files.bincode).unwrap();
            let (v, _): (Vec<Vertex>, usize) =
                bincode::serde::decode_from_slice(&bytes, bincode::config::standard()).unwrap();
            pick(&v)
        }
        "rkyv" => {
            let map = mapped::map(&files.rkyv);
            let archived =
                rkyv::access::<rkyv::Archived<Vec<Vertex>>, rkyv::rancor::Error>(&map).unwrap();
            if scan {
                archived
                    .iter()
                    .map(|v| u64::from(v.color[0].to_native()))
                    .sum()
            } else {
                u64::from(archived[0].color[0].to_native())
            }
        }
        "sqlite sum" | "sqlite rows" => {
            let db = rusqlite::Connection::open_with_flags(
                &files.sqlite,
                rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
            )
            .unwrap();
            if !scan {
                db.query_row("SELECT r FROM v WHERE id = 0", [], |r| r.get::<_, i64>(0))
                    .unwrap() as u64
            } else if system == "sqlite sum" {
                db.query_row("SELECT SUM(r) FROM v", [], |r| r.get::<_, i64>(0))
                    .unwrap() as u64
            } else {
                let mut q = db.prepare("SELECT r FROM v").unwrap();
                let mut rows = q.query([]).unwrap();
                let mut sum = 0u64;
                while let Some(row) = rows.next().unwrap() {
                    sum += row.get::<_, i64>(0).unwrap() as u64;
                }
                sum
            }
        }
        "heed" => {
            let env = mapped::heed_env(&files.heed);
            let rtxn = env.read_txn().unwrap();
            let db: mapped::HeedDb = env.open_database(&rtxn, None).unwrap().unwrap();
            if scan {
                db.iter(&rtxn)
                    .unwrap()
                    .map(|kv| {
                        // LMDB values are not aligned: copy the 20 bytes out.
                        let (_, bytes) = kv.unwrap();
                        u64::from(Vertex::read_from_bytes(bytes).unwrap().color[0])
                    })
                    .sum()
            } else {
                let bytes = db.get(&rtxn, &0).unwrap().unwrap();
                u64::from(Vertex::read_from_bytes(bytes).unwrap().color[0])
            }
        }
        other => panic!("unknown system {other:?}; one of {SYSTEMS:?}"),
    }
}

/// Where the bench keeps its files between runs: `target/bench-data`.
pub fn data_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/bench-data");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
