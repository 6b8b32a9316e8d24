#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| recstore_fuzz::mesh_source(data));
