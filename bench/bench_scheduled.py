"""What scheduled messages cost while they wait: the real relay (a `relay serve` process)
accepts N messages scheduled for tomorrow; then its start-up time (spawn to /health answering)
and resident memory (RSS) after a restart with all N waiting, against a start of the same relay
with none scheduled, measured in the same run.

    python bench/bench_scheduled.py [--messages 100000] [--concurrency 32]

Linux only (RSS from /proc). Each start is measured --starts times and the median shown."""
import argparse
import asyncio
import datetime as dt
import os
import statistics
import tempfile
import time

from bench_offline_queue import Relay, send
from bench_send import relay_cli


def start_timed(relay: Relay) -> float:
    started = time.monotonic()
    failure = relay.start()
    if failure is not None:
        raise SystemExit(f"the relay did not start: {failure}")
    return time.monotonic() - started


def starts(relay: Relay, count: int) -> tuple[float, float]:
    """Median start-up seconds and RSS (MB) after start-up, over count starts."""
    seconds, memory = [], []
    for _ in range(count):
        seconds.append(start_timed(relay))
        time.sleep(1)                 # the scheduler and the queues' first reads settle
        memory.append(relay.rss())
        relay.stop()
    return statistics.median(seconds), statistics.median(memory)


async def run(args) -> None:
    tomorrow = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=1)).isoformat()
    with tempfile.TemporaryDirectory() as data_dir:
        key = relay_cli(data_dir, "keys", "create", "--name", "bench").splitlines()[-1]
        relay_cli(data_dir, "phones", "add", "phone_main")
        relay = Relay(data_dir, None)
        empty_seconds, empty_rss = starts(relay, args.starts)
        start_timed(relay)
        try:
            began = time.monotonic()
            await send(relay.url, key, "phone_main", args.messages, args.concurrency,
                       text=lambda n: f"reminder {n}: your appointment is tomorrow",
                       send_at=tomorrow)
            rate = args.messages / (time.monotonic() - began)
        finally:
            relay.stop()
        full_seconds, full_rss = starts(relay, args.starts)
    print(f"machine: {os.cpu_count()} cores; {args.messages} messages scheduled for tomorrow "
          f"({rate:.0f} accepted/s, {args.concurrency} concurrent senders); median of "
          f"{args.starts} starts each")
    print(f"{'':24}{'start-up':>10}{'RSS':>10}")
    print(f"{'none scheduled':24}{empty_seconds:9.2f}s{empty_rss:8.1f}MB")
    print(f"{f'{args.messages} scheduled':24}{full_seconds:9.2f}s{full_rss:8.1f}MB")
    print(f"{'ratio / difference':24}{full_seconds / empty_seconds:9.2f}x"
          f"{full_rss - empty_rss:8.1f}MB  = "
          f"{(full_rss - empty_rss) * 2**20 / args.messages:.0f} bytes per scheduled message")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=100000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--starts", type=int, default=3)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
