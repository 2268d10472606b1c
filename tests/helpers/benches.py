"""Short bounded runs of the scripts in bench/, for the tests that check they still run (their
full runs are in docs/performance.md)."""
import pathlib
import subprocess
import sys

BENCH = pathlib.Path(__file__).resolve().parents[2] / "bench"


def run_bench(script: str, *args: str, timeout: float = 120) -> str:
    """What the script printed, once it exited 0."""
    result = subprocess.run([sys.executable, str(BENCH / script), *args],
                            capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, result.stderr
    return result.stdout
