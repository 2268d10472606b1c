"""Short bounded runs of bench/bench_scheduled.py and bench/bench_alerts.py: each still runs
against the real relay and prints its figures against its baseline."""
import pytest

from helpers.benches import run_bench

pytestmark = pytest.mark.slow


def test_the_scheduled_messages_benchmark_runs():
    output = run_bench("bench_scheduled.py", "--messages", "300", "--starts", "1",
                       "--concurrency", "8")
    assert "300 scheduled" in output and "bytes per scheduled message" in output


def test_the_alerts_benchmark_runs():
    output = run_bench("bench_alerts.py", "--open", "2000", "--rate", "20", "--seconds", "3",
                       timeout=180)
    assert "open deadlines held" in output and "delay / baseline" in output
