//! Guards the demo's schema and sample bundled in `cli/data/` (the CLI
//! `include_str!`s them, so the crate builds and packages from its own
//! directory): they must stay byte-equal to the top-level
//! `schemas/colored_vertex.toml` and `samples/colored_vertex.csv` the
//! documentation and the other tests use.

use std::path::Path;

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
