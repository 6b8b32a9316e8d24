//! Replays every committed corpus file through its target, as an ordinary
//! test on stable Rust: what the fuzzer once found stays fixed.

use std::path::Path;

fn replay(target: &str, run: fn(&[u8])) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("corpus")
        .join(target);
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        run(&std::fs::read(&path).unwrap());
        n += 1;
    }
    assert!(n > 0, "the {target} corpus is empty");
    println!("{target}: {n} inputs replayed");
}

#[test]
fn open_file() {
    replay("open_file", recstore_fuzz::open_file);
}

#[test]
fn schema_block() {
    replay("schema_block", recstore_fuzz::schema_block);
}

#[test]
fn schema_file() {
    replay("schema_file", recstore_fuzz::schema_file);
}

#[test]
fn model() {
    replay("model", recstore_fuzz::model);
}

#[test]
fn mesh_source() {
    replay("mesh_source", recstore_fuzz::mesh_source);
}
