//! The parts of the `recstore` tool that benches and tests use directly:
//! records as text columns, and the CSV / JSON Lines readers and writers.

pub mod columns;
pub mod select;
pub mod transfer;
