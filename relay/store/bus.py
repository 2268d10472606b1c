"""Committed facts, handed from the writer thread to subscribers on the IOLoop.

Topics: message.accepted, message.status (and the ones later parts add). A subscriber runs on
the IOLoop and must not block; it learns of a fact only after it is durable."""
import asyncio
import collections
import logging

log = logging.getLogger("relay.store.bus")
ATTEMPTED = "webhook.attempt"  # a webhook try was recorded, with its outcome (metrics)


class Bus:
    def __init__(self):
        self._subscribers = collections.defaultdict(list)
        try:
            self._loop = asyncio.get_running_loop()
        except RuntimeError:      # the CLI's own Relay: nobody listens
            self._loop = None

    def subscribe(self, topic: str, callback) -> None:
        self._subscribers[topic].append(callback)

    def from_writer(self, group_size: int, seconds: float, published: list) -> None:
        """The writer's on_commit hook (writer thread)."""
        if published and self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._deliver, published)

    def _deliver(self, published: list) -> None:
        for topic, payload in published:
            for callback in self._subscribers.get(topic, ()):
                try:
                    callback(payload)
                except Exception:
                    log.exception("subscriber of %s failed", topic)
