"""Accepted messages per second and latency of POST /api/v1/messages at 64 connections, against
the ceiling of a bare Tornado handler parsing the same JSON, measured in the same run.

    python bench/bench_send.py [--seconds 10] [--rounds 3] [--connections 64]

Both servers run side by side and are measured in alternating rounds after a warm-up, and the
median round of each is reported, so that a passing load on the machine hits both alike.
It also prints, for each server's median round, its IOLoop thread's CPU per request and its
share of the round on CPU, runnable (waiting for a core) and blocked (waiting for the GIL or
for work), from Linux's schedstat.
Needs wrk (apt-get install wrk). Loopback only; stops by itself. Every 202 is checked durable
afterwards: every message answered 202 must be stored (a few more may be stored: requests in
flight when wrk stops are committed but not counted)."""
import argparse
import json
import os
import pathlib
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = pathlib.Path(__file__).resolve().parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(url: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=1).close()
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"{url} did not come up")


def loop_thread_times(pid: int) -> tuple[int, int] | None:
    """Nanoseconds the server's main (IOLoop) thread has run and waited to run (Linux
    schedstat); None where /proc has no such file."""
    try:
        on_cpu, waiting, _ = pathlib.Path(f"/proc/{pid}/task/{pid}/schedstat").read_text().split()
    except OSError:
        return None
    return int(on_cpu), int(waiting)


def run_wrk(url: str, key: str, seconds: int, connections: int, pid: int | None = None) -> dict:
    before, started = pid and loop_thread_times(pid), time.monotonic()
    out = subprocess.run(
        ["wrk", "-t", "2", "-c", str(connections), "-d", f"{seconds}s", "--latency",
         "-s", str(HERE / "send.lua"), url], capture_output=True, text=True, check=True,
        env={**os.environ, "RELAY_KEY": key, "RUN_ID": str(time.monotonic_ns())}).stdout
    line = next(l for l in out.splitlines() if l.startswith("JSON "))
    result = json.loads(line[5:])
    result["per_second"] = (result["requests"] - result["non2xx"]) / result["seconds"]
    after, wall = pid and loop_thread_times(pid), time.monotonic() - started
    if before and after:   # the IOLoop thread's share of the round: on CPU, runnable, blocked
        result["loop_cpu_us"] = (after[0] - before[0]) / 1000 / result["requests"]
        result["loop_on_cpu"] = (after[0] - before[0]) / 1e9 / wall
        result["loop_runnable"] = (after[1] - before[1]) / 1e9 / wall
    return result


def count_stored(url: str, key: str) -> int:
    count, cursor = 0, None
    while True:
        request = urllib.request.Request(
            f"{url}/api/v1/messages?limit=500" + (f"&cursor={cursor}" if cursor else ""),
            headers={"Authorization": f"Bearer {key}"})
        with urllib.request.urlopen(request) as response:
            page = json.loads(response.read())
        count += len(page["messages"])
        cursor = page["next_cursor"]
        if cursor is None:
            return count


def relay_cli(data_dir: str, *args: str) -> str:
    return subprocess.run([sys.executable, "-m", "relay", *args, "--data-dir", data_dir],
                          capture_output=True, text=True, check=True).stdout


def median_round(rounds: list[dict]) -> dict:
    return sorted(rounds, key=lambda r: r["per_second"])[len(rounds) // 2]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=64)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as data_dir:
        key = relay_cli(data_dir, "keys", "create", "--name", "bench").splitlines()[-1]
        relay_cli(data_dir, "phones", "add", "phone_main")
        base_port, relay_port = free_port(), free_port()
        servers = [
            subprocess.Popen([sys.executable, str(HERE / "baseline_server.py"), str(base_port)]),
            subprocess.Popen([sys.executable, "-m", "relay", "serve", "--data-dir", data_dir,
                              "--port", str(relay_port)], stdout=subprocess.DEVNULL,
                             env={**os.environ, "RELAY_RATE_LIMIT": "0"})]
        try:
            wait_until_up(f"http://127.0.0.1:{relay_port}/health")
            base_url, relay_url = f"http://127.0.0.1:{base_port}", f"http://127.0.0.1:{relay_port}"
            for url in (base_url, relay_url):   # warm-up: first commits, imports, caches
                run_wrk(url, key, 2, args.connections)
            ceilings, results = [], []
            for _ in range(args.rounds):
                ceilings.append(run_wrk(base_url, key, args.seconds, args.connections,
                                        servers[0].pid))
                results.append(run_wrk(relay_url, key, args.seconds, args.connections,
                                       servers[1].pid))
            stored = count_stored(relay_url, key)
        finally:
            for server in servers:
                server.terminate()
                server.wait()

    accepted = sum(r["requests"] - r["non2xx"] for r in results)
    ceiling, result = median_round(ceilings), median_round(results)
    print(f"machine: {os.cpu_count()} cores; {args.connections} connections; median of "
          f"{args.rounds} alternating rounds of {args.seconds} s; wrk (2 threads) on the same "
          "machine")
    print(f"bare Tornado ceiling : {ceiling['per_second']:8.0f} req/s  "
          f"p50 {ceiling['p50_ms']:6.2f} ms  p99 {ceiling['p99_ms']:6.2f} ms")
    print(f"relay, durable 202s  : {result['per_second']:8.0f} msg/s  "
          f"p50 {result['p50_ms']:6.2f} ms  p99 {result['p99_ms']:6.2f} ms  "
          f"(non-2xx {result['non2xx']}, socket errors {result['socket_errors']})")
    print(f"ratio relay/ceiling  : {result['per_second'] / ceiling['per_second']:.2f}")
    if "loop_cpu_us" in ceiling and "loop_cpu_us" in result:
        print("IOLoop thread        : " + "; ".join(
            f"{name} {r['loop_cpu_us']:.0f} us CPU a request, on CPU {r['loop_on_cpu']:.0%}, "
            f"runnable {r['loop_runnable']:.0%}, "
            f"blocked {max(0.0, 1 - r['loop_on_cpu'] - r['loop_runnable']):.0%}"
            for name, r in (("bare", ceiling), ("relay", result))))
    print("relay rounds         : " + "; ".join(   # a round with a DuckDB checkpoint shows here
        f"{r['per_second']:.0f}/s p99 {r['p99_ms']:.0f} ms" for r in results))
    warm = stored - accepted   # warm-up messages and requests in flight at each round's end
    print(f"durability check     : {accepted} answered 202 in the rounds, {stored} stored "
          f"({'ok' if warm >= 0 else 'LOST MESSAGES'})")


if __name__ == "__main__":
    main()
