"""The relay's memory while a phone is offline and messages wait for it: the real relay (a
`relay serve` process) accepts N messages of 4 KB texts for a phone that never connects; the
growth of the process's resident memory (RSS) over the sends, per message, and its RSS after a
restart with all N still waiting, next to the RSS of a start with an empty database (or why
it did not start).

    python bench/bench_offline_queue.py [--messages 100000] [--concurrency 32]
                                        [--query-memory-mb MB]

Linux only (RSS from /proc). A short warm-up to another phone comes first, so that imports,
caches and the database's first pages are not counted as the queue's. The growth includes the
pages DuckDB keeps of what was written, up to its memory limit (query_memory_mb, 384 MB by
default; --query-memory-mb sets it for the run): memory the relay takes whether messages wait
or not."""
import argparse
import asyncio
import json
import os
import pathlib
import re
import subprocess
import sys
import tempfile
import time
import urllib.request

import tornado.httpclient

from bench_send import free_port, relay_cli

TEXT_CHARS = 4096
WARM_UP = 1000
SETTLE_SECONDS = 3       # idle writer checkpoints; freed memory settles


def rss_mb(pid: int, field: str = "VmRSS") -> float:
    for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise SystemExit(f"no {field} in /proc/{pid}/status")


def text(n: int) -> str:
    """A 4 KB text of its own, so no two bodies are alike."""
    return (f"{n:08d} " + os.urandom(TEXT_CHARS // 2).hex())[:TEXT_CHARS]


class Relay:
    def __init__(self, data_dir: str, query_memory_mb: int | None):
        self.data_dir, self.port = data_dir, free_port()
        self.memory = {} if query_memory_mb is None else {
            "RELAY_QUERY_MEMORY_MB": str(query_memory_mb)}
        self.url = f"http://127.0.0.1:{self.port}"
        self.errors = pathlib.Path(data_dir) / "bench-stderr.log"
        self.process = None

    def start(self) -> str | None:
        """None once the relay answers, else the last line it wrote before it exited."""
        with open(self.errors, "w") as errors:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "relay", "serve", "--data-dir", self.data_dir,
                 "--port", str(self.port)], stdout=subprocess.DEVNULL, stderr=errors,
                env={**os.environ, "RELAY_RATE_LIMIT": "0", "RELAY_LOG_LEVEL": "warning",
                     **self.memory})
        while self.process.poll() is None:
            try:
                urllib.request.urlopen(self.url + "/health", timeout=1).close()
                return None
            except OSError:
                time.sleep(0.1)
        lines = [line for line in self.errors.read_text().splitlines()
                 if re.match(r"[\w.]+(Error|Exception): ", line)]
        return lines[-1] if lines else f"exit code {self.process.returncode}"

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait()

    def rss(self, field: str = "VmRSS") -> float:
        return rss_mb(self.process.pid, field)


async def send(url: str, key: str, phone_id: str, count: int, concurrency: int,
               text=text, **fields) -> None:
    """POSTs count messages, text(n) each, with the same other fields."""
    http = tornado.httpclient.AsyncHTTPClient(force_instance=True, max_clients=concurrency)
    numbers = iter(range(count))

    async def worker():
        for n in numbers:
            body = json.dumps({"phone_id": phone_id, "channel": "wa", "to": "+12025550143",
                               "text": text(n), **fields})
            response = await http.fetch(url + "/api/v1/messages", method="POST", body=body,
                                        headers={"Authorization": f"Bearer {key}",
                                                 "Content-Type": "application/json"},
                                        request_timeout=60)
            assert response.code == 202, response.body
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    http.close()


async def queue_depth(url: str, key: str, phone_id: str) -> int:
    http = tornado.httpclient.AsyncHTTPClient(force_instance=True)
    response = await http.fetch(f"{url}/api/v1/phones/{phone_id}",
                                headers={"Authorization": f"Bearer {key}"})
    http.close()
    return json.loads(response.body)["phone"]["queue_depth"]


async def run(args) -> None:
    with tempfile.TemporaryDirectory() as data_dir:
        key = relay_cli(data_dir, "keys", "create", "--name", "bench").splitlines()[-1]
        for phone_id in ("phone_main", "phone_warm"):
            relay_cli(data_dir, "phones", "add", phone_id)
        relay = Relay(data_dir, args.query_memory_mb)
        if relay.start() is not None:
            raise SystemExit("the relay did not start: " + relay.errors.read_text())
        try:
            empty_start = relay.rss()
            await send(relay.url, key, "phone_warm", WARM_UP, args.concurrency)
            time.sleep(SETTLE_SECONDS)
            before = relay.rss()
            started = time.monotonic()
            await send(relay.url, key, "phone_main", args.messages, args.concurrency)
            seconds = time.monotonic() - started
            time.sleep(SETTLE_SECONDS)
            after, peak = relay.rss(), relay.rss("VmHWM")
            depth = await queue_depth(relay.url, key, "phone_main")
        finally:
            relay.stop()
        growth = after - before
        print(f"machine: {os.cpu_count()} cores; {args.messages} messages of {TEXT_CHARS} "
              f"characters for an offline phone, {args.concurrency} concurrent senders "
              f"({args.messages / seconds:.0f} accepted/s); query_memory_mb "
              f"{args.query_memory_mb or 'as configured (default 384)'}")
        print(f"RSS before the sends  : {before:8.1f} MB  (an empty start: {empty_start:.1f} MB)")
        print(f"RSS after the sends   : {after:8.1f} MB  (peak {peak:.1f} MB)")
        print(f"growth                : {growth:8.1f} MB  = "
              f"{growth * 2**20 / args.messages:.0f} bytes per waiting message", flush=True)
        failure = relay.start()
        if failure is not None:
            print(f"after a restart       : the relay did not start: {failure}")
            print(f"queue depth           : {depth} before the restart")
            return
        try:
            restarted, restart_peak = relay.rss(), relay.rss("VmHWM")
            depth_restarted = await queue_depth(relay.url, key, "phone_main")
        finally:
            relay.stop()
    print(f"RSS after a restart   : {restarted:8.1f} MB  (peak {restart_peak:.1f} MB) with "
          f"{depth_restarted} waiting")
    print(f"queue depth           : {depth} before the restart, {depth_restarted} after "
          f"({'ok' if depth == depth_restarted == args.messages else 'WRONG'})")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=100000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--query-memory-mb", type=int)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
