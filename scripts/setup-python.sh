#!/usr/bin/env bash
# Installs the Python packages the tests use: numpy (the independent reader
# of tests/independent_reader.rs), plyfile (the independent PLY reader of
# mesh/tests/real_meshes.rs), and what the recstore Python package's tests
# and benchmarks need (python/requirements-test.txt: maturin, pytest, pyarrow,
# polars, duckdb, trimesh, h5py, mypy, dask[dataframe], distributed). The
# package itself is built and installed by scripts/test.sh, after the Rust
# build. pyarrow and duckdb are also the columnar clients of
# cli/tests/columnar_clients.rs.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! python3 -c "import numpy, plyfile, pyarrow, duckdb" 2>/dev/null; then
    python3 -m pip install --quiet --disable-pip-version-check -r tests/python/requirements.txt
fi
if ! python3 -c "import maturin, pytest, pyarrow, polars, duckdb, trimesh, h5py, mypy, dask.dataframe, distributed" 2>/dev/null; then
    python3 -m pip install --quiet --disable-pip-version-check -r python/requirements-test.txt
fi
python3 -c "import numpy, plyfile; print('numpy', numpy.__version__, 'plyfile', plyfile.__version__ if hasattr(plyfile, '__version__') else 'ok')"
