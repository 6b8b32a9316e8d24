//! Guards that the CLI crate builds and packages from its own directory:
//! no `include_str!`, `include_bytes!`, `include!` or `#[path]` in `cli/src`
//! reaches a file outside `cli/` (a packaged crate has only its own files),
//! and the demo's schema and sample bundled in `cli/data/` stay byte-equal
//! to the top-level `schemas/colored_vertex.toml` and
//! `samples/colored_vertex.csv` the documentation and the other tests use.

use std::path::{Component, Path, PathBuf};

/// Every `.rs` file under `dir`.
fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `path` with `.` and `..` resolved by hand (the file need not exist).
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// Where the macro call or attribute that `rest` starts inside ends: the
/// `)` or `]` that closes it, skipping nested calls and string literals.
fn call_end(rest: &str) -> usize {
    let (mut depth, mut in_string) = (1, false);
    for (i, c) in rest.char_indices() {
        match c {
            '"' => in_string = !in_string,
            '(' | '[' if !in_string => depth += 1,
            ')' | ']' if !in_string => {
                depth -= 1;
                if depth == 0 {
                    return i;
                }
            }
            _ => {}
        }
    }
    rest.len()
}

/// The path each include in `text` names, resolved against `dir` (the
/// including file's directory) or against the crate root for
/// `concat!(env!("CARGO_MANIFEST_DIR"), "…")`.
fn included_paths(text: &str, dir: &Path, root: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for macro_name in ["include_str!(", "include_bytes!(", "include!(", "#[path = "] {
        for (at, _) in text.match_indices(macro_name) {
            let rest = &text[at + macro_name.len()..];
            let call = &rest[..call_end(rest)];
            let from_root = call.contains("CARGO_MANIFEST_DIR");
            // The last string literal of the call is the path (or its tail).
            let literal = call
                .rsplit('"')
                .nth(1)
                .unwrap_or_else(|| panic!("{macro_name}{call}: no string literal in the path"));
            let base = if from_root { root } else { dir };
            found.push(normalize(&base.join(literal.trim_start_matches('/'))));
        }
    }
    found
}

#[test]
fn no_include_in_the_sources_leaves_the_crate() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    sources(&root.join("src"), &mut files);
    let mut includes = 0;
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for path in included_paths(&text, file.parent().unwrap(), root) {
            includes += 1;
            assert!(
                path.starts_with(root),
                "{} includes {}, outside cli/: the packaged crate would not build; \
                 copy the file under cli/data/ and include that",
                file.display(),
                path.display()
            );
            assert!(
                path.exists(),
                "{} includes {}, which does not exist",
                file.display(),
                path.display()
            );
        }
    }
    // The demo's schema and sample: a scanner that finds nothing checks nothing.
    assert!(
        includes >= 2,
        "found {includes} includes in cli/src, expected the demo's two"
    );
}

#[test]
fn the_scanner_sees_a_path_that_leaves_the_crate() {
    let root = Path::new("/r/cli");
    let text = r#"const A: &str = include_str!("../../schemas/x.toml");
        const B: &[u8] = include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/data/y.csv"));"#;
    let found = included_paths(text, &root.join("src"), root);
    assert_eq!(
        found,
        [
            PathBuf::from("/r/schemas/x.toml"),
            PathBuf::from("/r/cli/data/y.csv")
        ]
    );
}

#[test]
fn the_bundled_demo_files_equal_the_top_level_ones() {
    let cli = Path::new(env!("CARGO_MANIFEST_DIR"));
    for (bundled, top) in [
        ("data/colored_vertex.toml", "../schemas/colored_vertex.toml"),
        ("data/colored_vertex.csv", "../samples/colored_vertex.csv"),
    ] {
        let read = |p: &str| std::fs::read(cli.join(p)).unwrap_or_else(|e| panic!("{p}: {e}"));
        assert!(
            read(bundled) == read(top),
            "cli/{bundled} differs from {top}: copy the top-level file over it"
        );
    }
}
