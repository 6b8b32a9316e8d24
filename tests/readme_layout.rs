//! Guards the README's "Layout of the repository" table against the tree:
//! every top-level directory and every module of `src/` (each `src/*.rs`
//! and each `src/*/` directory) has a row, and every path the table names
//! (in either column) exists. A new module or directory fails this test
//! until it is given a row and its one job; a renamed one fails it until
//! the row follows. The same for `benches/README.md`, the index of every
//! benchmark: each file of `benches/benches/`, `benches/examples/` and
//! `benches/python/` has a row, and each row names a file that exists.

use std::collections::BTreeSet;
use std::path::Path;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The rows of the layout table: (paths of the first column, paths named
/// in the second), each path as written (directories end in `/`).
fn table() -> Vec<(Vec<String>, Vec<String>)> {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let section = readme
        .split("\n## ")
        .find(|s| s.starts_with("Layout of the repository"))
        .expect("README.md has no \"## Layout of the repository\" section");
    let rows: Vec<_> = section
        .lines()
        .filter(|l| l.starts_with("| `"))
        .map(|line| {
            let cells: Vec<&str> = line.trim_matches('|').split(" | ").collect();
            let what = cells.get(1).copied().unwrap_or("");
            (
                code_spans(cells[0]),
                code_spans(what)
                    .into_iter()
                    .filter(|s| looks_like_path(s))
                    .collect(),
            )
        })
        .collect();
    assert!(
        !rows.is_empty(),
        "the layout section of README.md has no table rows"
    );
    rows
}

/// The text of every `code span` in `cell`.
fn code_spans(cell: &str) -> Vec<String> {
    cell.split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect()
}

/// A repository path such as `tests/data/` or `docs/FORMAT.md`, not code
/// such as `Store<T>` or `#[derive(Record)]`.
fn looks_like_path(s: &str) -> bool {
    s.contains('/')
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-./".contains(c))
}

/// Every path the first column lists.
fn listed() -> BTreeSet<String> {
    table().into_iter().flat_map(|(paths, _)| paths).collect()
}

/// What the table must list: `dir/` for every top-level directory (but
/// hidden ones and cargo's `target/`), `src/x.rs` and `src/x/` for every
/// module of the library.
fn required() -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for entry in std::fs::read_dir(root()).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().into_string().unwrap();
        if entry.file_type().unwrap().is_dir() && !name.starts_with('.') && name != "target" {
            out.insert(format!("{name}/"));
        }
    }
    for entry in std::fs::read_dir(root().join("src")).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().into_string().unwrap();
        if entry.file_type().unwrap().is_dir() {
            out.insert(format!("src/{name}/"));
        } else if name.ends_with(".rs") {
            out.insert(format!("src/{name}"));
        }
    }
    out
}

#[test]
fn every_top_level_directory_and_src_module_has_a_row() {
    let listed = listed();
    let missing: Vec<_> = required()
        .into_iter()
        .filter(|p| !listed.contains(p))
        .collect();
    assert!(
        missing.is_empty(),
        "README.md's layout table has no row for {missing:?}: add one with its one job"
    );
}

#[test]
fn every_path_the_table_names_exists() {
    let mut gone = Vec::new();
    for (paths, named) in table() {
        for path in paths.into_iter().chain(named) {
            let on_disk = root().join(&path);
            let exists = if path.ends_with('/') {
                on_disk.is_dir()
            } else {
                on_disk.is_file()
            };
            if !exists {
                gone.push(path);
            }
        }
    }
    assert!(
        gone.is_empty(),
        "README.md's layout table names {gone:?}, which do not exist: fix or remove the rows"
    );
}

#[test]
fn the_benchmark_index_lists_every_benchmark() {
    let benches = root().join("benches");
    let index = std::fs::read_to_string(benches.join("README.md")).unwrap();
    let listed: BTreeSet<String> = index
        .lines()
        .filter(|l| l.starts_with("| `"))
        .flat_map(|l| code_spans(l.trim_matches('|').split(" | ").next().unwrap()))
        .collect();
    let mut files = BTreeSet::new();
    for dir in ["benches", "examples", "python"] {
        for entry in std::fs::read_dir(benches.join(dir)).unwrap() {
            let name = entry.unwrap().file_name().into_string().unwrap();
            if name.ends_with(".rs") || name.ends_with(".py") {
                files.insert(format!("{dir}/{name}"));
            }
        }
    }
    let missing: Vec<_> = files.iter().filter(|f| !listed.contains(*f)).collect();
    assert!(
        missing.is_empty(),
        "benches/README.md has no row for {missing:?}: add one saying what it measures"
    );
    let gone: Vec<_> = listed
        .iter()
        .filter(|p| !benches.join(p).exists())
        .collect();
    assert!(
        gone.is_empty(),
        "benches/README.md names {gone:?}, which do not exist under benches/"
    );
}
