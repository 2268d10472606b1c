"""A short, bounded run of bench/load.py (the load test and soak): mixed traffic with simulated
phones attached must give no 5xx and bring every accepted message to a final state."""
import pathlib
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow

LOAD = pathlib.Path(__file__).resolve().parent.parent / "bench" / "load.py"


def test_mixed_load_with_phones_attached():
    result = subprocess.run([sys.executable, str(LOAD), "--seconds", "6", "--rate", "60"],
                            capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "5xx (and transport errors): 0" in result.stdout
