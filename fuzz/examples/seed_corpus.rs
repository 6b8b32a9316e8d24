//! Writes the seed corpora into `corpus/<target>/`: valid files, and one
//! file per corruption class. `cargo run --example seed_corpus` (from `fuzz/`).

use std::path::Path;

use recstore::{OpenOptions, RawStore, Record, Store};
use recstore_fuzz::Vertex;

fn vertex(i: u16) -> Vertex {
    Vertex {
        position: [f32::from(i), 0.5, -1.0],
        color: [i, 2, 3],
        _pad: [0; 2],
    }
}

fn store_bytes(
    dir: &Path,
    name: &str,
    n: u16,
    capacity: u64,
    finish: impl FnOnce(Store<Vertex>),
) -> Vec<u8> {
    let path = dir.join(name);
    let mut s = OpenOptions::new()
        .create_new(true)
        .initial_capacity(capacity as usize)
        .open::<Vertex>(&path)
        .unwrap();
    s.extend((0..n).map(vertex)).unwrap();
    finish(s);
    std::fs::read(&path).unwrap()
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    let tmp = tempfile::tempdir().unwrap();
    let put = |target: &str, name: &str, bytes: &[u8]| {
        let dir = root.join(target);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(name), bytes).unwrap();
    };
    // open_file: valid stores, then each corruption class.
    let empty = store_bytes(tmp.path(), "empty", 0, 0, |s| s.close().unwrap());
    let five = store_bytes(tmp.path(), "five", 5, 8, |s| s.close().unwrap());
    let unsynced = store_bytes(tmp.path(), "unsynced", 3, 8, |mut s| {
        s.flush().unwrap();
        s.push(&vertex(9)).unwrap();
        s.publish().unwrap();
        s.simulate_crash();
    });
    put("open_file", "valid-empty", &empty);
    put("open_file", "valid-five", &five);
    put("open_file", "valid-unsynced-newest", &unsynced);
    let mut torn = five.clone();
    torn[512 + 20] ^= 0xff;
    put("open_file", "torn-slot0", &torn);
    let mut both = torn.clone();
    both[1024 + 3] ^= 0x10;
    put("open_file", "both-slots-bad", &both);
    let mut flipped = five.clone();
    flipped[4096 + 22] ^= 1;
    put("open_file", "flipped-data", &flipped);
    put("open_file", "truncated-header", &five[..600]);
    put("open_file", "truncated-data", &five[..4096 + 30]);
    let mut future = five.clone();
    future[8] = 2;
    put("open_file", "future-version", &future);
    let mut bad_schema = five.clone();
    bad_schema[1536 + 40] ^= 0x20;
    put("open_file", "schema-crc", &bad_schema);
    put("open_file", "not-a-store", b"position,color\n1,2\n");
    put("open_file", "empty-file", b"");
    let particle = recstore::schema_file::load(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../schemas/particle.toml"),
    )
    .unwrap();
    let p = tmp.path().join("particle");
    let mut raw = OpenOptions::new()
        .create_new(true)
        .initial_capacity(4)
        .open_raw(&p, Some(&particle))
        .unwrap();
    raw.push(&[7u8; 32]).unwrap();
    raw.close().unwrap();
    put("open_file", "valid-particle", &std::fs::read(&p).unwrap());
    let _ = RawStore::open_read_only(&p).unwrap();

    // schema_block: the encodings of the bundled schemas and the vertex.
    put(
        "schema_block",
        "vertex",
        &Vertex::schema().encode().unwrap(),
    );
    for entry in
        std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("../schemas")).unwrap()
    {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_str().unwrap().to_string();
        put(
            "schema_block",
            &name,
            &recstore::schema_file::load(&path)
                .unwrap()
                .encode()
                .unwrap(),
        );
        // schema_file: the bundled files themselves.
        put("schema_file", &name, &std::fs::read(&path).unwrap());
    }
    put("schema_file", "misaligned", b"name = \"A\"\nfields = [{ name = \"a\", type = \"u8\" }, { name = \"b\", type = \"u32\" }]\n");
    put("schema_file", "recursive", b"name = \"A\"\nfields = [{ name = \"x\", type = \"S\" }]\n[structs.S]\nfields = [{ name = \"y\", type = \"S\" }]\n");
    put("schema_file", "not-toml", b"name = [\n");

    // model: arbitrary byte strings become operation sequences.
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    for i in 0..12 {
        let bytes: Vec<u8> = (0..64 + i * 24)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        put("model", &format!("random-{i}"), &bytes);
    }
}
