"""A short bounded run of bench/bench_offline_queue.py: the benchmark still runs against the
real relay, and the queue it measures counts every waiting message, before and after a restart
(the full run with 100,000 messages is opt-in: see the script and docs/performance.md)."""
import pathlib
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow
BENCH = pathlib.Path(__file__).parent.parent / "bench" / "bench_offline_queue.py"


def test_the_benchmark_runs_and_counts_every_waiting_message():
    result = subprocess.run([sys.executable, str(BENCH), "--messages", "300",
                             "--concurrency", "8"], capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr
    assert "queue depth           : 300 before the restart, 300 after (ok)" in result.stdout
    assert "bytes per waiting message" in result.stdout
