#!/usr/bin/env bash
# The whole test suite, as CI runs it. Installs what the tests need first.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== setup"
rustup component add rustfmt clippy >/dev/null 2>&1 || true
scripts/setup-python.sh

echo "== cargo fmt --check"
cargo fmt --all -- --check

echo "== cargo clippy -D warnings"
cargo clippy --workspace --all-targets -- -D warnings

echo "== cargo test (unit, integration, doc tests)"
cargo test --workspace

echo "== examples"
cargo run --release --example colors >/dev/null
cargo run --release --example sensor_log >/dev/null

echo "== benchmarks compile and run once"
cargo bench --bench core -- --test >/dev/null

echo "== all checks passed"
