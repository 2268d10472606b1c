"""Which due delivery to try next, for the webhook service on the IOLoop: a heap of
(next_at, delivery_id) fed as deliveries come due or are rescheduled, so picking the next one
costs log n, not a pass over every pending delivery. The truth stays in WebhookState.due: an
entry here is only a hint, checked against it when it comes up."""
import collections
import datetime as dt
import heapq


class Timetable:
    def __init__(self):
        self._heap: list[tuple[dt.datetime, str]] = []
        self._parked: dict[str, collections.deque] = collections.defaultdict(collections.deque)

    def add(self, next_at: dt.datetime, delivery_id: str) -> None:
        heapq.heappush(self._heap, (next_at, delivery_id))

    def pop_ready(self, now: dt.datetime) -> str | None:
        if self._heap and self._heap[0][0] <= now:
            return heapq.heappop(self._heap)[1]
        return None

    def seconds_until_next(self, now: dt.datetime) -> float | None:
        return (self._heap[0][0] - now).total_seconds() if self._heap else None

    def park(self, callback_id: str, delivery_id: str) -> None:
        """Ready, but its callback has no free slot: waits for one."""
        self._parked[callback_id].append(delivery_id)

    def unpark(self, callback_id: str, now: dt.datetime) -> None:
        """A slot of the callback came free: its longest-waiting parked delivery is ready."""
        parked = self._parked.get(callback_id)
        if parked:
            self.add(now, parked.popleft())
            if not parked:
                del self._parked[callback_id]
