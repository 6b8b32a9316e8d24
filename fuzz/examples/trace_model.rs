//! Runs one `model` input with a trace of every step: `cargo run --example trace_model FILE`.
fn main() {
    std::env::set_var("RECSTORE_MODEL_TRACE", "1");
    let data = std::fs::read(std::env::args().nth(1).expect("a file")).unwrap();
    recstore_fuzz::model(&data);
}
