"""Committed facts, handed from the writer thread to subscribers on the IOLoop.

The facts are the types of relay/store/events.py; a subscriber registers for one type and gets
its instances. It runs on the IOLoop and must not block; it learns of a fact only after it is
durable."""
import asyncio
import collections
import logging

from relay.store.events import Event

log = logging.getLogger("relay.store.bus")


class Bus:
    def __init__(self):
        self._subscribers = collections.defaultdict(list)
        try:
            self._loop = asyncio.get_running_loop()
        except RuntimeError:      # the CLI's own Relay: nobody listens
            self._loop = None

    def subscribe(self, event_type: type[Event], callback) -> None:
        self._subscribers[event_type].append(callback)

    def from_writer(self, group_size: int, seconds: float, published: list) -> None:
        """The writer's on_commit hook (writer thread)."""
        if published and self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._deliver, published)

    def _deliver(self, published: list) -> None:
        for event in published:
            for callback in self._subscribers.get(type(event), ()):
                try:
                    callback(event)
                except Exception:
                    log.exception("subscriber of %s failed", event.topic)
