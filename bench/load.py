"""Mixed load with phones attached: sends, status reads, list pages and analytics queries
against one relay process, with simulated phones (`relay phone --simulate`) delivering and
reporting inbound events. Loopback only; stops by itself.

    python bench/load.py                   # 60 s, the load test
    python bench/load.py --soak 3600       # an hour, sampling the relay's memory

Prints throughput, p50/p99 per kind of request, the count of 5xx (must be 0), whether every
accepted message reached a final state, and the relay's resident memory over time (a soak
must show no growth beyond the warm-up)."""
import argparse
import asyncio
import json
import os
import pathlib
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

import tornado.httpclient

PHONES = 5
KINDS = ("send", "status", "list", "query")
MIX = (0.6, 0.25, 0.1, 0.05)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cli(data_dir: str, *args: str) -> str:
    return subprocess.run([sys.executable, "-m", "relay", *args, "--data-dir", data_dir],
                          capture_output=True, text=True, check=True).stdout


def rss_mb(pid: int) -> float:
    for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class Load:
    def __init__(self, url: str, key: str, rate: float):
        self.url, self.key, self.rate = url, key, rate
        self.http = tornado.httpclient.AsyncHTTPClient(max_clients=64)
        self.latency = {kind: [] for kind in KINDS}
        self.codes: dict[int, int] = {}
        self.sent_ids: list[str] = []
        self.counter = 0

    async def one(self, kind: str) -> None:
        headers = {"Authorization": f"Bearer {self.key}", "Content-Type": "application/json"}
        self.counter += 1
        if kind == "send":
            phone = f"phone_{self.counter % PHONES}"
            body = json.dumps({"phone_id": phone, "channel": random.choice(["sms", "wa"]),
                               "to": f"+1202555{random.randrange(100, 200):04d}",
                               "text": f"load {self.counter}", "tags": ["load"],
                               "idempotency_key": f"load-{self.counter}"})
            request = tornado.httpclient.HTTPRequest(self.url + "/api/v1/messages", "POST",
                                                     headers, body)
        elif kind == "status" and self.sent_ids:
            request = tornado.httpclient.HTTPRequest(
                f"{self.url}/api/v1/messages/{random.choice(self.sent_ids)}", headers=headers)
        elif kind == "list" or kind == "status":
            request = tornado.httpclient.HTTPRequest(f"{self.url}/api/v1/messages?limit=50",
                                                     headers=headers)
        else:
            request = tornado.httpclient.HTTPRequest(
                f"{self.url}/api/v1/webchat/inbound/query?range=24h&limit=20", headers=headers)
        started = time.perf_counter()
        try:
            response = await self.http.fetch(request, raise_error=False)
            code = response.code
        except Exception:     # a timeout or a dropped connection counts as a server failure
            code, response = 599, None
        self.latency[kind].append(time.perf_counter() - started)
        self.codes[code] = self.codes.get(code, 0) + 1
        if kind == "send" and code == 202:
            self.sent_ids.append(json.loads(response.body)["message_id"])

    async def run(self, seconds: float, on_tick) -> float:
        """Open-loop arrivals at `rate` a second; returns the elapsed time."""
        started = time.monotonic()
        tasks, next_at, next_tick = set(), started, started
        while time.monotonic() - started < seconds:
            now = time.monotonic()
            if now >= next_tick:
                on_tick(now - started)
                next_tick += 5
            while next_at <= now:
                task = asyncio.ensure_future(self.one(random.choices(KINDS, MIX)[0]))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
                next_at += 1 / self.rate
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))
        await asyncio.gather(*tasks)
        return time.monotonic() - started


async def final_states(url: str, key: str, ids: list[str], timeout: float) -> int:
    """How many of ids are not yet sent or failed after waiting up to timeout. Reads the
    message list page by page (500 a page), not one message at a time: a soak accepts tens of
    thousands."""
    http = tornado.httpclient.AsyncHTTPClient()
    pending = set(ids)
    deadline = time.monotonic() + timeout
    while pending and time.monotonic() < deadline:
        cursor = None
        while True:
            page = json.loads((await http.fetch(
                f"{url}/api/v1/messages?limit=500" + (f"&cursor={cursor}" if cursor else ""),
                headers={"Authorization": f"Bearer {key}"})).body)
            pending -= {m["message_id"] for m in page["messages"]
                        if m["status"] in ("sent", "failed")}
            cursor = page["next_cursor"]
            if cursor is None:
                break
        if pending:
            await asyncio.sleep(1)
    return len(pending)


def pct(values: list[float], share: float) -> float:
    return sorted(values)[min(len(values) - 1, int(len(values) * share))] * 1000 if values else 0


async def main_async(args) -> int:
    with tempfile.TemporaryDirectory() as data_dir:
        key = cli(data_dir, "keys", "create", "--name", "load").splitlines()[-1]
        codes = [json.loads(cli(data_dir, "phones", "add", f"phone_{n}"))["pairing_code"]
                 for n in range(PHONES)]
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        env = {**os.environ, "RELAY_RATE_LIMIT": "0"}
        relay = subprocess.Popen([sys.executable, "-m", "relay", "serve", "--data-dir",
                                  data_dir, "--port", str(port)], env=env,
                                 stdout=subprocess.DEVNULL)
        phones = []
        try:
            for _ in range(100):
                try:
                    urllib.request.urlopen(url + "/health", timeout=1).close()
                    break
                except OSError:
                    time.sleep(0.1)
            for n, code in enumerate(codes):
                phones.append(subprocess.Popen(
                    [sys.executable, "-m", "relay", "phone", "--relay", url, "--pairing-code",
                     code, "--state", f"{data_dir}/phone{n}", "--simulate", "--delay", "0.05",
                     "--failure-rate", "0.02", "--inbound-per-minute", "30", "--seed", str(n)],
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            load = Load(url, key, args.rate)
            memory = []

            def tick(elapsed):
                memory.append((elapsed, rss_mb(relay.pid)))
            elapsed = await load.run(args.soak or args.seconds, tick)
            tick(elapsed)
            unfinished = await final_states(url, key, load.sent_ids, timeout=60)
        finally:
            for process in phones + [relay]:
                process.terminate()
                process.wait()

    total = sum(load.codes.values())
    errors = sum(n for code, n in load.codes.items() if code >= 500 or code == 599)
    print(f"machine: {os.cpu_count()} cores; {PHONES} simulated phones; open-loop "
          f"{args.rate:.0f} requests/s for {elapsed:.0f} s (mix: "
          + ", ".join(f"{k} {m:.0%}" for k, m in zip(KINDS, MIX)) + ")")
    print(f"requests: {total} ({total / elapsed:.0f}/s); status codes: {dict(sorted(load.codes.items()))}")
    for kind in KINDS:
        values = load.latency[kind]
        print(f"  {kind:6s}: {len(values):6d}  p50 {pct(values, 0.5):7.2f} ms  "
              f"p99 {pct(values, 0.99):7.2f} ms")
    print(f"5xx (and transport errors): {errors}")
    print(f"accepted messages not in a final state 60 s after the run: {unfinished} "
          f"of {len(load.sent_ids)}")
    warm = [mb for t, mb in memory if t >= min(30, elapsed / 4)]
    print("relay RSS MB over time: " + ", ".join(f"{t:.0f}s {mb:.0f}" for t, mb in memory[::max(1, len(memory) // 12)]))
    if len(warm) >= 2:
        print(f"RSS after warm-up: first {warm[0]:.0f} MB, last {warm[-1]:.0f} MB, "
              f"max {max(warm):.0f} MB, median {statistics.median(warm):.0f} MB")
    return 1 if errors or unfinished else 0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--rate", type=float, default=150, help="requests a second (150)")
    parser.add_argument("--soak", type=float, default=0, help="seconds of soak instead")
    raise SystemExit(asyncio.run(main_async(parser.parse_args())))


if __name__ == "__main__":
    main()
