"""A short bounded run of bench/bench_batch.py: the benchmark still runs against the real relay,
and every batch it sends is one group commit (the full run is in docs/performance.md)."""
import pathlib
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow
BENCH = pathlib.Path(__file__).parent.parent / "bench" / "bench_batch.py"


def test_the_benchmark_runs_and_each_batch_is_one_commit():
    result = subprocess.run([sys.executable, str(BENCH), "--rounds", "1", "--connections", "8"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "commits per batch : 1.00 (ok)" in result.stdout
    assert "ratio batch/single" in result.stdout
