"""A short bounded run of bench/bench_analytics.py: the benchmark still runs, and its
pandas-only summary agrees with the query's (the full runs are opt-in: see the script)."""
import pytest

from helpers.benches import run_bench

pytestmark = pytest.mark.slow


def test_the_benchmark_runs_and_pandas_agrees():
    output = run_bench("bench_analytics.py", "--events", "20000", "--runs", "1")
    assert "same counts: True" in output
    assert sum(line.lstrip().startswith("full query") for line in output.splitlines()) == 5
