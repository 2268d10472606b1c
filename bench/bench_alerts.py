"""Response-time alerts with 100,000 open deadlines held by the relay, each figure against a
baseline measured in the same run:

1. Memory: the bytes each open deadline costs (the alert state's entry and the service's heap
   entry, measured object by object), against what the relay already holds for each recent
   inbound event to derive its reply link (relay/analytics/replies.py).
2. Delay from a deadline to its inbound.unanswered webhook at the receiver, at a steady load of
   inbound events and accepted messages (each event gets a 2-second deadline), against the
   latency of the same events' own inbound webhooks, from the event's submission to the writer
   to its arrival, in the same run: both paths commit a fact with its outbox row, then send.
3. A restart with them all still open: the whole start-up, and the part of it that loads the
   open deadlines from the log.

    python bench/bench_alerts.py [--open 100000] [--rate 100] [--seconds 10]

A rule minute lasts a second here (alert_minute_seconds=1). The receiver is a separate process
on loopback; everything stops by itself."""
import argparse
import asyncio
import datetime as dt
import pathlib
import resource
import statistics
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))
from bench_webhooks import receiver, wait_for_lines  # noqa: E402
from relay.alerts.operations import SetRule  # noqa: E402
from relay.alerts.rules import rule_spec  # noqa: E402
from relay.alerts.state import AlertState  # noqa: E402
from relay.app import Relay  # noqa: E402
from relay.config import load  # noqa: E402
from relay.core.inbound import inbound_event  # noqa: E402
from relay.core.timefmt import iso, utcnow  # noqa: E402
from relay.messages.operations import AcceptMessage  # noqa: E402
from relay.messages.validate import message_request  # noqa: E402
from relay.phones.inbound import RecordInbound  # noqa: E402
from relay.phones.operations import AddPhone  # noqa: E402
from relay.store.writer import Operation  # noqa: E402
from relay.webhooks.definition import callback_spec  # noqa: E402
from relay.webhooks.operations import RegisterCallback  # noqa: E402


def deep_size(root) -> int:
    """Bytes of every object reachable from root through containers, each counted once."""
    seen, stack, total = set(), [root], 0
    while stack:
        obj = stack.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        total += sys.getsizeof(obj)
        if isinstance(obj, dict):
            stack.extend(obj.keys())
            stack.extend(obj.values())
        elif isinstance(obj, (list, tuple, set, frozenset)):
            stack.extend(obj)
        elif hasattr(obj, "__dict__"):
            stack.append(vars(obj))
        elif hasattr(obj, "__slots__"):
            stack.extend(getattr(obj, name) for name in obj.__slots__ if hasattr(obj, name))
    return total


class RecordMany(Operation):
    """Many inbound events in one operation: filling the relay quickly, as a busy phone's
    backlog would (each staged as the phone channel stages one)."""

    def __init__(self, events):
        self.events = events

    def stage(self, batch):
        return [RecordInbound("phone_main", event).stage(batch) for event in self.events]


def _event(n: int, run: str, channel: str, occurred_at: dt.datetime):
    return inbound_event({"event_id": f"{run}-{n}", "channel": channel,
                          "contact": f"+1202{n:07d}", "text": "hello?",
                          "occurred_at": iso(occurred_at)}, "US")


async def fill(relay, count: int) -> float:
    """count wa events, each under the week-long rule: open deadlines; events/s."""
    started, now = time.perf_counter(), utcnow()
    for first in range(0, count, 1000):
        await relay.store.write(RecordMany([_event(n, "open", "wa", now)
                                            for n in range(first, min(count, first + 1000))]))
    return count / (time.perf_counter() - started)


def memory(relay) -> None:
    alerts = relay.state.alerts
    held = alerts.open_count()
    deadlines = deep_size(alerts.open) + deep_size(relay.alerts._heap)
    replies = relay.state.replies
    recent = sum(len(v) for v in replies._open.values())
    links = deep_size(replies._open)
    per_deadline, per_event = deadlines / held, links / recent
    print(f"open deadlines held: {held}; {deadlines / 2**20:.1f} MiB, {per_deadline:.0f} bytes "
          f"each (state entry and heap entry)")
    print(f"baseline, the reply links' memory of the same {recent} recent events: "
          f"{links / 2**20:.1f} MiB, {per_event:.0f} bytes each; ratio "
          f"{per_deadline / per_event:.2f}")
    print(f"process peak resident memory: "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


async def steady(relay, rate: int, seconds: float, arrivals: pathlib.Path) -> None:
    """rate sms events/s (2-second deadlines, none answered) and rate messages/s accepted."""
    earlier = len(arrivals.read_text().splitlines())
    submitted: dict[str, float] = {}
    count = int(rate * seconds)
    send = message_request({"phone_id": "phone_main", "channel": "sms", "to": "+12025550100",
                            "text": "load"}, None, "US")

    async def sends():
        started = time.perf_counter()
        for n in range(count):
            await asyncio.sleep(max(0.0, started + n / rate - time.perf_counter()))
            await relay.store.write(AcceptMessage(send, "bench", "bench"))
    sender = asyncio.ensure_future(sends())
    started = time.perf_counter()
    for n in range(count):
        await asyncio.sleep(max(0.0, started + n / rate - time.perf_counter()))
        at = time.time()
        recorded = await relay.store.write(RecordInbound("phone_main", _event(
            n, "steady", "sms", utcnow())))
        submitted[recorded.event_id] = at
    await sender
    lines = (await wait_for_lines(arrivals, earlier + 2 * count, timeout=60))[earlier:]
    rows = relay.store.read_sync(lambda cur: cur.execute("""
        SELECT d.delivery_id, d.kind, d.subject_id, epoch(a.deadline_at)
        FROM webhook_deliveries d JOIN inbound_events i ON i.event_id = d.subject_id
        LEFT JOIN response_alerts a ON a.event_seq = i.seq AND a.fact = 'due'
        WHERE i.event_id LIKE 'in_%' AND d.kind IN ('inbound', 'inbound.unanswered')
        """).fetchall())
    deliveries = {delivery_id: (kind, subject, deadline)
                  for delivery_id, kind, subject, deadline in rows if subject in submitted}
    alert_delay, webhook_latency = [], []
    for at, webhook_id in (line.split() for line in lines):
        if webhook_id not in deliveries:
            continue
        kind, subject, deadline = deliveries[webhook_id]
        if kind == "inbound":
            webhook_latency.append((float(at) - submitted[subject]) * 1000)
        else:
            alert_delay.append((float(at) - deadline) * 1000)
    for name, values in (("deadline to inbound.unanswered arrival", alert_delay),
                         ("baseline: submission to inbound webhook arrival", webhook_latency)):
        values.sort()
        print(f"{name}: p50 {statistics.median(values):.1f} ms, p99 "
              f"{values[int(len(values) * 0.99) - 1]:.1f} ms over {len(values)}")
    print(f"at {rate} inbound events/s and {rate} messages/s accepted: delay / baseline, p50 "
          f"{statistics.median(alert_delay) / statistics.median(webhook_latency):.2f}")


async def main(args) -> None:
    work = pathlib.Path(tempfile.mkdtemp(prefix="relay-bench-alerts-"))
    settings = load({"data_dir": str(work / "data")}, environ={}).replace(
        callback_allow_networks="127.0.0.0/8", alert_minute_seconds=1)
    with receiver(work) as (port, arrivals):
        await run(settings, port, arrivals, args)


async def run(settings, port: int, arrivals: pathlib.Path, args) -> None:
    relay = Relay(settings)
    try:
        await relay.store.write(AddPhone("phone_main"))
        for body in ({"within_minutes": 10080, "channels": ["wa"]},
                     {"within_minutes": 2, "channels": ["sms"]}):
            await relay.store.write(SetRule("bench", "bench", rule_spec(body)))
        await relay.store.write(RegisterCallback("bench", callback_spec(   # not the wa ones
            {"callback_url": f"http://127.0.0.1:{port}/hook", "channels": ["sms"]})))
        print(f"filled at {await fill(relay, args.open):.0f} inbound events/s (1000 an "
              "operation), each with its deadline")
        memory(relay)
        await steady(relay, args.rate, args.seconds, arrivals)
    finally:
        relay.close()
    started = time.perf_counter()
    relay = Relay(settings)
    try:
        whole = time.perf_counter() - started
        alerts = relay.state.alerts
        started = time.perf_counter()
        relay.store.read_sync(AlertState(alerts.reply_window, alerts.minute).load)
        print(f"restart with {alerts.open_count()} open deadlines: {whole:.2f} s, of which "
              f"loading them {time.perf_counter() - started:.2f} s")
    finally:
        relay.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--open", type=int, default=100_000, help="open deadlines to hold")
    parser.add_argument("--rate", type=int, default=100, help="events/s and messages/s")
    parser.add_argument("--seconds", type=float, default=10.0)
    asyncio.run(main(parser.parse_args()))
