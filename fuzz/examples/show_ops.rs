//! Prints the operations a `model` input decodes to: `cargo run --example show_ops FILE`.
use arbitrary::{Arbitrary, Unstructured};
fn main() {
    let data = std::fs::read(std::env::args().nth(1).expect("a file")).unwrap();
    let ops = Vec::<recstore_fuzz::Op>::arbitrary(&mut Unstructured::new(&data));
    println!("{ops:#?}");
}
