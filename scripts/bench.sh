#!/usr/bin/env bash
# The full benchmark run behind BENCHMARKS.md, in one command (about 15
# minutes; the first run also writes ~2 GB of peer files to
# target/bench-data, kept for later runs). Every benchmark lives in
# benches/ (the recstore-bench crate and benches/python/; benches/README.md
# lists them):
#   recstore vs peers (benches/benches/peers.rs), numpy's memmap of the same
#   files (benches/python/numpy_peer.py), the Python package against numpy,
#   h5py and pyarrow (benches/python/bench_python.py), recstore.dask on 1
#   and 2 worker processes (benches/python/bench_dask.py), the mesh loader
#   (benches/benches/mesh_load.rs), then the report that writes
#   BENCHMARKS.md's tables and benches/plots/*.svg. After it, the benches
#   whose tables criterion prints (the report does not read them): recstore
#   against the limits (benches/benches/core.rs), the CLI's import and
#   export (benches/benches/transfer.rs), recstore-arrow in-process
#   (benches/benches/columnar.rs), and the columnar comparison with pyarrow,
#   numpy and DuckDB (benches/python/columnar_peer.py), which BENCHMARKS.md's
#   hand-written part quotes.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-python.sh >/dev/null
scripts/fetch-mesh-data.sh
cargo build --release -p recstore-bench --bin loader --bin report
cargo build --release -p recstore-cli
cargo bench -p recstore-bench --bench peers
python3 benches/python/numpy_peer.py
python3 -m pip install --quiet --disable-pip-version-check ./python
python3 benches/python/bench_python.py
python3 benches/python/bench_dask.py
cargo bench -p recstore-bench --bench mesh_load
target/release/report
cargo bench -p recstore-bench --bench core --bench transfer --bench columnar
python3 benches/python/columnar_peer.py
