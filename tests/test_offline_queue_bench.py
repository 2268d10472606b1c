"""A short bounded run of bench/bench_offline_queue.py: the benchmark still runs against the
real relay, and the queue it measures counts every waiting message, before and after a restart
(the full run with 100,000 messages is opt-in: see the script and docs/performance.md)."""
import pytest

from helpers.benches import run_bench

pytestmark = pytest.mark.slow


def test_the_benchmark_runs_and_counts_every_waiting_message():
    output = run_bench("bench_offline_queue.py", "--messages", "300", "--concurrency", "8",
                       timeout=180)
    assert "queue depth           : 300 before the restart, 300 after (ok)" in output
    assert "bytes per waiting message" in output
