"""Prometheus metrics for one Relay (its own registry, so several can live in one process).
Labels carry channels, statuses and route names only: never numbers, addresses or keys."""
import bisect
import itertools
import time

import prometheus_client as prom
import tornado.web
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily
from prometheus_client.registry import Collector
from prometheus_client.samples import Sample
from prometheus_client.utils import floatToGoString

from relay.store.events import (InboundRecorded, InboundWaiting, MessageAccepted, MessageStatus,
                                WebhookAttempted)

BUCKETS_S = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
GROUP_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 5000)
HTTP_LABELS = ("route", "method", "status")
METHODS = frozenset(tornado.web.RequestHandler.SUPPORTED_METHODS)


class _PerRequestTallies(Collector):
    """The two metrics every send moves, kept as plain numbers and made into metric families
    only when scraped (a custom collector). The IOLoop is their one writer and their one reader
    (the exposition runs there too), so they need none of prometheus_client's locks, nor its
    label lookup and loop over the buckets in Python, a measurable share of the send path's
    IOLoop time (docs/performance.md)."""

    def __init__(self):
        self.accepted: dict[str, list] = {}      # channel -> [count, created]
        self.http: dict[tuple, list] = {}  # (route, method, status) -> [counts, sum, created]

    def count_accepted(self, channel: str) -> None:
        tally = self.accepted.get(channel)
        if tally is None:
            tally = self.accepted[channel] = [0, time.time()]
        tally[0] += 1

    def observe_http(self, labels: tuple, seconds: float) -> None:
        tally = self.http.get(labels)
        if tally is None:
            tally = self.http[labels] = [[0] * (len(BUCKETS_S) + 1), 0.0, time.time()]
        tally[0][bisect.bisect_left(BUCKETS_S, seconds)] += 1      # the first bound >= it
        tally[1] += seconds

    def collect(self):
        accepted = CounterMetricFamily("relay_messages_accepted", "messages accepted, by "
                                       "channel", labels=["channel"])
        for channel, (count, created) in self.accepted.items():
            accepted.add_metric([channel], count, created=created)
        yield accepted
        http = HistogramMetricFamily("relay_http_request_duration_seconds", "HTTP request "
                                     "latency, by route, method and status class",
                                     labels=HTTP_LABELS)
        bounds = [floatToGoString(b) for b in BUCKETS_S] + ["+Inf"]
        for labels, (counts, total, created) in self.http.items():
            http.add_metric(list(labels), list(zip(bounds, itertools.accumulate(counts))), total)
            http.samples.append(Sample(http.name + "_created",
                                       dict(zip(HTTP_LABELS, labels)), created))
        yield http


class Metrics:
    def __init__(self, relay):
        self.registry = registry = prom.CollectorRegistry()
        self._tallies = _PerRequestTallies()
        registry.register(self._tallies)
        self.statuses = prom.Counter("relay_message_status_changes",
                                     "message status changes, by new status", ["status"],
                                     registry=registry)
        self.inbound = prom.Counter("relay_inbound_events", "inbound events recorded, by channel "
                                    "and type", ["channel", "event_type"], registry=registry)
        self.webhooks = prom.Counter("relay_webhook_attempts", "webhook delivery attempts, by "
                                     "outcome", ["outcome"], registry=registry)
        self.commit_groups = prom.Histogram("relay_commit_group_size", "operations per group "
                                            "commit", buckets=GROUP_BUCKETS, registry=registry)
        self.commit_seconds = prom.Histogram("relay_commit_duration_seconds", "time to write "
                                             "and commit one group", buckets=BUCKETS_S,
                                             registry=registry)
        queue = prom.Gauge("relay_queue_depth", "messages not yet in a final state",
                           registry=registry)
        queue.set_function(relay.state.queue_depth)
        phones = prom.Gauge("relay_phones_connected", "phones with a live websocket",
                            registry=registry)
        phones.set_function(lambda: len(relay.online_phones))
        deadlines = prom.Gauge("relay_alert_deadlines_open", "inbound events with a response "
                               "rule's deadline still to come", registry=registry)
        deadlines.set_function(relay.state.alerts.open_count)
        self.alerts = prom.Counter("relay_alerts", "inbound events that passed a response "
                                   "rule's deadline unanswered", registry=registry)
        bus = relay.bus
        bus.subscribe(MessageAccepted, lambda m: self._tallies.count_accepted(m.channel))
        bus.subscribe(MessageStatus, lambda m: self.statuses.labels(m.status).inc())
        bus.subscribe(InboundRecorded, lambda e: self.inbound.labels(e.channel, e.event_type).inc())
        bus.subscribe(WebhookAttempted, lambda a: self.webhooks.labels(a.outcome).inc())
        bus.subscribe(InboundWaiting, lambda _: self.alerts.inc())

    def observe_commit(self, group_size: int, seconds: float, published) -> None:
        """The writer's on_commit hook (writer thread; prometheus_client is thread-safe)."""
        self.commit_groups.observe(group_size)
        self.commit_seconds.observe(seconds)

    def observe_request(self, handler) -> None:
        method = handler.request.method     # any token a client sent: not a label value
        self._tallies.observe_http(
            (type(handler).__name__, method if method in METHODS else "other",
             f"{handler.get_status() // 100}xx"), handler.request.request_time())

    def exposition(self) -> bytes:
        return prom.generate_latest(self.registry)
