"""A short bounded run of bench/bench_batch.py: the benchmark still runs against the real relay,
and every batch it sends is one group commit (the full run is in docs/performance.md)."""
import pytest

from helpers.benches import run_bench

pytestmark = pytest.mark.slow


def test_the_benchmark_runs_and_each_batch_is_one_commit():
    output = run_bench("bench_batch.py", "--rounds", "1", "--connections", "8")
    assert "commits per batch : 1.00 (ok)" in output
    assert "ratio batch/single" in output
