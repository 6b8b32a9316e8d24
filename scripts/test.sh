#!/usr/bin/env bash
# The whole test suite, as CI runs it. Installs what the tests need first.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== setup"
rustup component add rustfmt clippy >/dev/null 2>&1 || true
scripts/setup-python.sh
# tests/disk_full.rs builds a small ext4 image and mounts it (as root, in a
# private mount namespace): it needs mkfs.ext4 and unshare. tests/write_behind.rs
# reads the page cache with fincore (util-linux-extra on Debian 12 and later).
if ! command -v mkfs.ext4 >/dev/null || ! command -v unshare >/dev/null \
    || ! command -v fincore >/dev/null; then
  apt-get update -qq
  apt-get install -y -qq e2fsprogs util-linux >/dev/null
  command -v fincore >/dev/null || apt-get install -y -qq util-linux-extra >/dev/null
fi
scripts/fetch-mesh-data.sh

echo "== cargo fmt --check"
cargo fmt --all -- --check
cargo fmt --manifest-path python/Cargo.toml -- --check

echo "== cargo clippy -D warnings"
cargo clippy --workspace --all-targets -- -D warnings
cargo clippy --manifest-path python/Cargo.toml --all-targets -- -D warnings

echo "== cargo test (unit, integration, doc tests)"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
cargo test --workspace 2>&1 | tee "$log"
passed=$(grep -Eo '[0-9]+ passed' "$log" | awk '{s += $1} END {print s + 0}')
failed=$(grep -Eo '[0-9]+ failed' "$log" | awk '{s += $1} END {print s + 0}')

echo "== the main job, and the examples"
cargo run --release -p recstore-cli -- demo >/dev/null
cargo run --release --example colors >/dev/null
cargo run --release --example sensor_log >/dev/null
cargo run --release -p recstore-mesh --example mesh_viewer_load >/dev/null

echo "== the Python package: one release build (maturin), installed, then pytest"
python3 -m pip install --quiet --disable-pip-version-check ./python
pylog=$(mktemp)
trap 'rm -f "$log" "$pylog"' EXIT
RECSTORE_BIN="$PWD/target/release/recstore" python3 -m pytest -q python/tests 2>&1 | tee "$pylog"
# (pytest prints no "0 failed": grep finding nothing is not an error here)
py_passed=$({ grep -Eo '[0-9]+ passed' "$pylog" || true; } | awk '{s += $1} END {print s + 0}')
py_failed=$({ grep -Eo '[0-9]+ failed' "$pylog" || true; } | awk '{s += $1} END {print s + 0}')
passed=$((passed + py_passed))
failed=$((failed + py_failed))

echo "== benchmarks compile and run once (all of them live in benches/; benches/README.md)"
cargo build --release -p recstore-bench --bin loader
cargo bench -p recstore-bench --benches -- --test >/dev/null
python3 benches/python/numpy_peer.py --quick >/dev/null
python3 benches/python/bench_python.py --quick >/dev/null
python3 benches/python/bench_dask.py --quick >/dev/null
cargo build --release -p recstore-cli
python3 benches/python/columnar_peer.py --quick >/dev/null

echo "== fuzzing: corpora replayed, then each target for 30 s"
scripts/fuzz.sh 30

echo "== all checks passed"
echo "tests: $passed passed, $failed failed"
