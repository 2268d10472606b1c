"""Webhooks under load, each figure against a baseline measured in the same run:

1. The outbox's cost: inbound events recorded per second with three matching callbacks (three
   outbox rows committed with each event) against none; and the rate while delivering.
2. Delivery: webhooks delivered per second and latency from the event's commit to its arrival
   at a receiver (p50, p99), against a bare client POSTing the same bodies to the same receiver
   with the same concurrency (no log, no signing: the ceiling).
3. Latency at a steady rate (no backlog) from commit to arrival, to one callback.

    python bench/bench_webhooks.py [--events 2000] [--concurrency 16] [--rate 200]

The receiver is a separate process on loopback; everything stops by itself."""
import argparse
import asyncio
import contextlib
import json
import pathlib
import socket
import statistics
import subprocess
import sys
import tempfile
import time

import tornado.httpclient

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))
from relay.app import Relay  # noqa: E402
from relay.config import load  # noqa: E402
from relay.core.inbound import inbound_event  # noqa: E402
from relay.webhooks.operations import RegisterCallback  # noqa: E402
from relay.phones.inbound import RecordInbound  # noqa: E402
from relay.webhooks.definition import callback_spec  # noqa: E402

RECEIVER = """
import sys, time, tornado.ioloop, tornado.web
arrivals = open(sys.argv[2], "w", buffering=1)
class Hook(tornado.web.RequestHandler):
    def post(self):
        arrivals.write(f"{time.time()} {self.request.headers.get('webhook-id', '-')}\\n")
        self.finish("ok")
tornado.web.Application([(r"/.*", Hook)]).listen(int(sys.argv[1]), "127.0.0.1")
tornado.ioloop.IOLoop.current().start()
"""


@contextlib.contextmanager
def receiver(work: pathlib.Path):
    """The receiver process on a free port: (port, the file it appends each arrival to)."""
    port, arrivals = free_port(), work / "arrivals.txt"
    process = subprocess.Popen([sys.executable, "-c", RECEIVER, str(port), str(arrivals)])
    try:
        yield port, arrivals
    finally:
        process.terminate()
        process.wait()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def event(n: int, run: str):
    return inbound_event({"event_id": f"{run}-{n}", "channel": "sms", "contact": "+12025550143",
                          "text": f"bench {n}", "occurred_at": "2026-11-26T10:00:00Z"}, "US")


async def record(relay, events: int, run: str, parallel: int = 64) -> tuple[float, dict]:
    """Records the events from `parallel` concurrent writers; events/s and commit times."""
    committed: dict[str, float] = {}
    queue = iter(range(events))

    async def worker():
        for n in queue:
            recorded = await relay.store.write(RecordInbound("phone_main", event(n, run)))
            committed[recorded.event_id] = time.time()
    started = time.perf_counter()
    await asyncio.gather(*[worker() for _ in range(parallel)])
    return events / (time.perf_counter() - started), committed


async def wait_for_lines(path: pathlib.Path, count: int, timeout: float = 120) -> list[str]:
    deadline = time.monotonic() + timeout
    while len(lines := path.read_text().splitlines()) < count:
        if time.monotonic() > deadline:
            break
        await asyncio.sleep(0.05)
    return lines


async def bare_client(url: str, bodies: list[bytes], concurrency: int) -> float:
    http = tornado.httpclient.AsyncHTTPClient(force_instance=True, max_clients=concurrency)
    queue = iter(bodies)

    async def worker():
        for body in queue:
            await http.fetch(url, method="POST", body=body,
                             headers={"Content-Type": "application/json"})
    started = time.perf_counter()
    await asyncio.gather(*[worker() for _ in range(concurrency)])
    http.close()
    return len(bodies) / (time.perf_counter() - started)


async def register(relay, port: int, names) -> list[str]:
    return [(await relay.store.write(RegisterCallback("bench", callback_spec(
        {"callback_url": f"http://127.0.0.1:{port}/{name}"}))))["id"] for name in names]


async def outbox_cost(settings, events: int) -> None:
    """Recording only: this relay's webhook service is stopped, so nothing competes."""
    relay = Relay(settings)
    relay.webhooks.close()
    try:
        bare_rate, _ = await record(relay, events, "bare")
        await register(relay, 9, ("a", "b", "c"))
        outbox_rate, _ = await record(relay, events, "outbox")
    finally:
        relay.close()
    print(f"inbound events recorded/s: {bare_rate:.0f} without callbacks, {outbox_rate:.0f} "
          f"with 3 matching ones (3 outbox rows each; ratio {outbox_rate / bare_rate:.2f})")


async def delivery(settings, events: int, port: int, arrivals: pathlib.Path,
                   concurrency: int) -> None:
    relay = Relay(settings)
    try:
        main_id, *_ = await register(relay, port, ("main", "a", "b"))
        recording_rate, committed = await record(relay, events, "hooks")
        total = 3 * events
        started = time.time()
        lines = await wait_for_lines(arrivals, total)
        if len(lines) < total:
            raise SystemExit(f"only {len(lines)} of {total} arrived")
        delivered = [line.split() for line in lines[:total]]
        elapsed = max(float(at) for at, _ in delivered) - started
        ids = dict(relay.store.read_sync(lambda cur: cur.execute(
            "SELECT delivery_id, subject_id FROM webhook_deliveries WHERE callback_id = ?",
            [main_id]).fetchall()))
    finally:
        relay.close()
    latencies = sorted((float(at) - committed[ids[wid]]) * 1000
                       for at, wid in delivered if wid in ids)
    bodies = [json.dumps({"type": "inbound", "n": n, "text": "bench"}).encode()
              for n in range(total)]
    ceiling = await bare_client(f"http://127.0.0.1:{port}/bare", bodies, concurrency)
    rate = total / elapsed
    print(f"while delivering: {recording_rate:.0f} inbound events recorded/s")
    print(f"webhooks delivered/s: {rate:.0f} (bare client on the same receiver: "
          f"{ceiling:.0f}, ratio {rate / ceiling:.2f}); commit-to-arrival latency of the "
          f"{len(latencies)} deliveries to one callback: p50 {statistics.median(latencies):.0f}"
          f" ms, p99 {latencies[int(len(latencies) * 0.99) - 1]:.0f} ms (a backlog: all "
          "events are committed at once)")


async def steady_latency(settings, rate: int, seconds: float, port: int,
                         arrivals: pathlib.Path) -> None:
    """Events at a steady rate to one callback: commit-to-arrival latency with no backlog."""
    relay = Relay(settings)
    earlier = len(arrivals.read_text().splitlines())   # the receiver appends to one file
    committed: dict[str, float] = {}
    try:
        [callback_id] = await register(relay, port, ("steady",))
        count = int(rate * seconds)
        started = time.perf_counter()
        for n in range(count):
            await asyncio.sleep(max(0.0, started + n / rate - time.perf_counter()))
            recorded = await relay.store.write(RecordInbound("phone_main", event(n, "steady")))
            committed[recorded.event_id] = time.time()
        lines = (await wait_for_lines(arrivals, earlier + count))[earlier:]
        ids = dict(relay.store.read_sync(lambda cur: cur.execute(
            "SELECT delivery_id, subject_id FROM webhook_deliveries WHERE callback_id = ?",
            [callback_id]).fetchall()))
    finally:
        relay.close()
    latencies = sorted((float(at) - committed[ids[wid]]) * 1000
                       for at, wid in (line.split() for line in lines) if wid in ids)
    print(f"steady {rate} events/s to one callback: commit-to-arrival p50 "
          f"{statistics.median(latencies):.1f} ms, p99 "
          f"{latencies[int(len(latencies) * 0.99) - 1]:.1f} ms over {len(latencies)} deliveries")


async def main(args) -> None:
    work = pathlib.Path(tempfile.mkdtemp(prefix="relay-bench-webhooks-"))
    with receiver(work) as (port, arrivals):
        def settings(name):
            return load({"data_dir": str(work / name)}, environ={}).replace(
                callback_allow_networks="127.0.0.0/8", callback_concurrency=args.concurrency)
        await outbox_cost(settings("outbox"), args.events)
        await delivery(settings("delivery"), args.events, port, arrivals, args.concurrency)
        await steady_latency(settings("steady"), args.rate, 5.0, port, arrivals)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rate", type=int, default=200, help="events/s of the steady phase")
    asyncio.run(main(parser.parse_args()))
