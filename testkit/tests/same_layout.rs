//! The shared test vertex has the layout of the mesh crate's public
//! `ColoredVertex` and of the bundled schema file `schemas/colored_vertex.toml`
//! (3 × f32 position at 0, 3 × u16 colour at 12, 2 padding bytes at 18,
//! 20-byte stride, 4-byte alignment): a store the tests write is a store
//! the mesh crate and the CLI's demo schema read.

use recstore::{schema_file, Primitive, Record, Schema};
use recstore_mesh::ColoredVertex;
use recstore_testkit::Vertex;

/// Everything but the record name.
fn layout(s: &Schema) -> (u64, u64, u64, Vec<recstore::Field>) {
    (s.size(), s.align(), s.stride(), s.fields().to_vec())
}

#[test]
fn the_vertex_is_20_bytes_of_position_colour_and_padding() {
    let s = Vertex::schema();
    assert_eq!((s.size(), s.align(), s.stride()), (20, 4, 20));
    let fields: Vec<_> = s
        .fields()
        .iter()
        .map(|f| (f.name(), f.offset(), f.len(), f.is_padding()))
        .collect();
    assert_eq!(
        fields,
        [
            ("position", 0, 12, false),
            ("color", 12, 6, false),
            ("_pad", 18, 2, true),
        ]
    );
    assert_eq!(s.fields()[0].primitive(), Primitive::F32);
    assert_eq!(s.fields()[1].primitive(), Primitive::U16);
}

#[test]
fn the_vertex_has_the_mesh_crates_layout() {
    assert_eq!(layout(Vertex::schema()), layout(ColoredVertex::schema()));
}

#[test]
fn the_vertex_has_the_bundled_schema_files_layout() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../schemas/colored_vertex.toml"
    );
    let file = schema_file::load(path).unwrap();
    assert_eq!(layout(Vertex::schema()), layout(&file));
}
