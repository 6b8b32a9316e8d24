"""The type stubs (`_native.pyi`, the annotated modules) match what the
package really exports, as mypy's stubtest sees it."""

import subprocess
import sys


def test_stubtest_finds_no_difference(tmp_path):
    out = subprocess.run([sys.executable, "-m", "mypy.stubtest", "recstore",
                          "--mypy-config-file", "/dev/null"],
                         capture_output=True, text=True, cwd=tmp_path, timeout=600)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "Success" in out.stdout
