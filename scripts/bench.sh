#!/usr/bin/env bash
# The full benchmark run behind BENCHMARKS.md, in one command (about 15
# minutes; the first run also writes ~2 GB of peer files to
# target/bench-data, kept for later runs):
#   recstore vs peers and limits (bench/benches/peers.rs), numpy's memmap of
#   the same files (bench/python/numpy_peer.py), the mesh loader
#   (mesh/benches/mesh_load.rs), the Python package against numpy, h5py and
#   pyarrow (benches/python/bench_python.py), recstore.dask on 1 and 2 worker
#   processes (benches/python/bench_dask.py), then the report that writes
#   BENCHMARKS.md and docs/bench/*.svg. The columnar comparison with pyarrow,
#   numpy and DuckDB (bench/python/columnar_peer.py) prints its own tables,
#   which bench/notes.md quotes.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-python.sh >/dev/null
scripts/fetch-mesh-data.sh
cargo build --release -p recstore-bench --bin loader --bin report
cargo bench -p recstore-bench --bench peers
python3 bench/python/numpy_peer.py
python3 -m pip install --quiet --disable-pip-version-check ./python
python3 benches/python/bench_python.py
python3 benches/python/bench_dask.py
cargo bench -p recstore-mesh --bench mesh_load
target/release/report
cargo build --release -p recstore-cli
python3 bench/python/columnar_peer.py
