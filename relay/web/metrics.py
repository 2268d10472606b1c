"""Prometheus metrics for one Relay (its own registry, so several can live in one process).
Labels carry channels, statuses and route names only: never numbers, addresses or keys."""
import prometheus_client as prom
import tornado.web

from relay.webhooks.operations import ATTEMPTED

BUCKETS_S = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
GROUP_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 5000)
HTTP_LABELS = ("route", "method", "status")
METHODS = frozenset(tornado.web.RequestHandler.SUPPORTED_METHODS)


class Metrics:
    def __init__(self, relay):
        self.registry = registry = prom.CollectorRegistry()
        self.accepted = prom.Counter("relay_messages_accepted", "messages accepted, by channel",
                                     ["channel"], registry=registry)
        self.http = prom.Histogram("relay_http_request_duration_seconds", "HTTP request latency, "
                                   "by route, method and status class", HTTP_LABELS,
                                   buckets=BUCKETS_S, registry=registry)
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
        bus = relay.bus
        bus.subscribe("message.accepted", lambda m: self.accepted.labels(m["channel"]).inc())
        bus.subscribe("message.status", lambda m: self.statuses.labels(m["status"]).inc())
        bus.subscribe("inbound", lambda e: self.inbound.labels(e["channel"], e["event_type"]).inc())
        bus.subscribe(ATTEMPTED, lambda a: self.webhooks.labels(a["outcome"]).inc())

    def observe_commit(self, group_size: int, seconds: float, published) -> None:
        """The writer's on_commit hook (writer thread; prometheus_client is thread-safe)."""
        self.commit_groups.observe(group_size)
        self.commit_seconds.observe(seconds)

    def observe_request(self, handler) -> None:
        method = handler.request.method     # any token a client sent: not a label value
        self.http.labels(type(handler).__name__, method if method in METHODS else "other",
                         f"{handler.get_status() // 100}xx").observe(handler.request.request_time())

    def exposition(self) -> bytes:
        return prom.generate_latest(self.registry)
