"""A short bounded run of bench/bench_analytics.py: the benchmark still runs, and its
pandas-only summary agrees with the query's (the full runs are opt-in: see the script)."""
import pathlib
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow

BENCH = pathlib.Path(__file__).parent.parent / "bench" / "bench_analytics.py"


def test_the_benchmark_runs_and_pandas_agrees():
    result = subprocess.run([sys.executable, str(BENCH), "--events", "20000", "--runs", "1"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "same counts: True" in result.stdout
    lines = result.stdout.splitlines()
    assert sum(line.lstrip().startswith("full query") for line in lines) == 5
