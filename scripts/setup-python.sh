#!/usr/bin/env bash
# Installs the Python packages the tests use (the independent reader of
# tests/independent_reader.rs reads stores with numpy).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! python3 -c "import numpy" 2>/dev/null; then
    python3 -m pip install --quiet --disable-pip-version-check -r tests/python/requirements.txt
fi
python3 -c "import numpy; print('numpy', numpy.__version__)"
