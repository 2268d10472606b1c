"""1,000 messages as one POST /api/v1/messages/batch (one group commit) against the same 1,000
as single POST /api/v1/messages at 32 connections, on the same relay in the same run.

    python bench/bench_batch.py [--rounds 5] [--connections 32]

The real relay (a `relay serve` process) is started on a fresh data dir; after a warm-up of
each, every round sends 1,000 single POSTs, then one batch of 1,000 (all sms, each text its
own, no idempotency key), so that a passing load on the machine hits both alike. It prints the
messages accepted per second of each (the median round), p50 and p99 of the batch request and
of a single POST, the ratio of the two rates, and how many group commits each batch took
(relay_commit_group_size on /metrics: one is the design). Loopback only; stops by itself, in
well under a minute at the defaults."""
import argparse
import asyncio
import json
import os
import pathlib
import re
import statistics
import tempfile
import time
import urllib.request

import tornado.httpclient

from bench_offline_queue import Relay
from bench_send import relay_cli

BATCH = 1000


def message(n: int) -> dict:
    return {"phone_id": "phone_main", "channel": "sms", "to": "+12025550143",
            "text": f"batch bench message {n}"}


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def large_commits(url: str, token: str) -> int:
    """Group commits of more than 512 operations so far."""
    request = urllib.request.Request(url + "/metrics",
                                     headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request) as response:
        text = response.read().decode()
    bucket = {bound: float(count) for bound, count in re.findall(
        r'relay_commit_group_size_bucket\{le="([^"]+)"\} (\S+)', text)}
    return int(bucket["+Inf"] - bucket["512.0"])


class Client:
    def __init__(self, url: str, key: str, connections: int):
        self.url, self.connections = url, connections
        self.headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
        self.http = tornado.httpclient.AsyncHTTPClient(force_instance=True,
                                                       max_clients=connections)
        self.sent = 0

    def _bodies(self, count: int) -> list[dict]:
        start, self.sent = self.sent, self.sent + count
        return [message(n) for n in range(start, start + count)]

    async def singles(self, count: int) -> tuple[float, list[float]]:
        """(seconds for all, each request's seconds)."""
        bodies, latencies = iter(self._bodies(count)), []

        async def worker():
            for body in bodies:
                started = time.perf_counter()
                response = await self.http.fetch(self.url + "/api/v1/messages", method="POST",
                                                 body=json.dumps(body), headers=self.headers,
                                                 request_timeout=60)
                latencies.append(time.perf_counter() - started)
                assert response.code == 202, response.body
        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(self.connections)))
        return time.perf_counter() - started, latencies

    async def batch(self, count: int) -> float:
        body = json.dumps({"messages": self._bodies(count)})
        started = time.perf_counter()
        response = await self.http.fetch(self.url + "/api/v1/messages/batch", method="POST",
                                         body=body, headers=self.headers, request_timeout=60)
        seconds = time.perf_counter() - started
        results = json.loads(response.body)["results"]
        assert response.code == 200 and {r["status"] for r in results} == {202}, response.body
        return seconds

    def close(self) -> None:
        self.http.close()


async def run(args) -> None:
    with tempfile.TemporaryDirectory() as data_dir:
        key = relay_cli(data_dir, "keys", "create", "--name", "bench").splitlines()[-1]
        relay_cli(data_dir, "phones", "add", "phone_main")
        relay = Relay(data_dir, None)
        if relay.start() is not None:
            raise SystemExit("the relay did not start: " + relay.errors.read_text())
        token = (pathlib.Path(data_dir) / "admin.token").read_text().strip()
        client = Client(relay.url, key, args.connections)
        try:
            await client.singles(BATCH)              # warm-up: imports, caches, first pages
            await client.batch(BATCH)
            commits_before = large_commits(relay.url, token)
            single_rounds, single_latencies, batch_seconds = [], [], []
            for _ in range(args.rounds):
                seconds, latencies = await client.singles(BATCH)
                single_rounds.append(seconds)
                single_latencies += latencies
                batch_seconds.append(await client.batch(BATCH))
            commits = large_commits(relay.url, token) - commits_before
        finally:
            client.close()
            relay.stop()

    singles_rate = BATCH / statistics.median(single_rounds)
    batch_rate = BATCH / statistics.median(batch_seconds)
    print(f"machine: {os.cpu_count()} cores; {args.rounds} alternating rounds of {BATCH} "
          f"single POSTs at {args.connections} connections and one batch of {BATCH}; the "
          "client on the same machine")
    print(f"single POSTs      : {singles_rate:8.0f} msg/s  "
          f"p50 {percentile(single_latencies, 0.5) * 1e3:7.1f} ms  "
          f"p99 {percentile(single_latencies, 0.99) * 1e3:7.1f} ms a request")
    print(f"batch of {BATCH}     : {batch_rate:8.0f} msg/s  "
          f"p50 {percentile(batch_seconds, 0.5) * 1e3:7.1f} ms  "
          f"p99 {percentile(batch_seconds, 0.99) * 1e3:7.1f} ms a batch")
    print(f"ratio batch/single: {batch_rate / singles_rate:.2f}")
    print(f"commits per batch : {commits / args.rounds:.2f} "
          f"({'ok' if commits == args.rounds else 'WRONG: a batch was split'})")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=32)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
