"""The IOLoop service that releases each scheduled message when its time comes: it reads the
messages that are due (on a reader thread) and logs their release (relay/messages/changes.py),
whose MessageReleased puts each in its queue.

It keeps (time, message_id) of every waiting message in a heap, from the state's `scheduled`
at start-up and from the bus after. A message moved or ended meanwhile is left in the heap and
passed over when it comes up: the state says when each message may go now, and the release
checks it again on the writer's turn. A relay that was down past a message's time releases it
at once on start."""
import asyncio
import datetime as dt
import heapq
import logging

from relay.core.loops import call_on_loop
from relay.core.timefmt import utcnow
from relay.messages import contents
from relay.messages.changes import ReleaseMessages
from relay.store.events import MessageAccepted, MessageRescheduled

log = logging.getLogger("relay.scheduler")
CHUNK = 1000                             # messages released in one read and one write
RETRY = dt.timedelta(seconds=5)          # after the store failed to release


def start_scheduler(relay) -> "Scheduler | None":
    """The Relay's scheduler on the running IOLoop; None without one (the CLI's Relay)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return None
    return Scheduler(relay)


class Scheduler:
    def __init__(self, relay):
        self.relay = relay
        self.loop = asyncio.get_running_loop()
        self._due = [(send_at, message_id)
                     for message_id, send_at in relay.state.scheduled.items()]
        heapq.heapify(self._due)
        self._timer: asyncio.TimerHandle | None = None
        self._releasing: asyncio.Task | None = None
        relay.bus.subscribe(MessageAccepted, self._accepted)
        relay.bus.subscribe(MessageRescheduled, self._moved)
        self._arm()

    def close(self) -> None:
        call_on_loop(self.loop, self._stop)

    def _stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        if self._releasing is not None:
            self._releasing.cancel()

    def _accepted(self, accepted: MessageAccepted) -> None:
        if accepted.send_at is not None:
            self._add(accepted.send_at, accepted.message_id)

    def _moved(self, moved: MessageRescheduled) -> None:
        self._add(moved.send_at, moved.message_id)

    def _add(self, send_at: dt.datetime, message_id: str) -> None:
        first = self._due[0][0] if self._due else None
        heapq.heappush(self._due, (send_at, message_id))
        if first is None or send_at < first:
            self._arm()

    def _arm(self, at: dt.datetime | None = None) -> None:
        """Wakes at `at`, else when the first message is due; not while a release runs (it
        arms again when it ends)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._releasing is not None or not (at or self._due):
            return
        delay = ((at or self._due[0][0]) - utcnow()).total_seconds()
        self._timer = self.loop.call_later(max(0.0, delay), self._wake)

    def _wake(self) -> None:
        self._timer = None
        self._releasing = self.loop.create_task(self._release_due())
        self._releasing.add_done_callback(self._released)

    def _released(self, task: asyncio.Task) -> None:
        self._releasing = None
        if not task.cancelled():
            self._arm(task.result())

    async def _release_due(self) -> dt.datetime | None:
        """Releases what is due, a chunk at a time; returns when to try again after a failure,
        else None (the next message's time)."""
        scheduled = self.relay.state.scheduled
        while self._due and self._due[0][0] <= utcnow():
            chunk = []
            while self._due and self._due[0][0] <= utcnow() and len(chunk) < CHUNK:
                send_at, message_id = heapq.heappop(self._due)
                if scheduled.get(message_id) == send_at:      # else moved or ended
                    chunk.append((send_at, message_id))
            if not chunk:
                continue
            store = self.relay.store
            try:
                due = await store.read(contents.by_id, store.body_keys,
                                       [message_id for _, message_id in chunk])
                await store.write(ReleaseMessages(due))
            except Exception as error:     # the store is closing or failing: try again
                log.warning("could not release %d scheduled messages: %s", len(chunk), error)
                for entry in chunk:
                    heapq.heappush(self._due, entry)
                return utcnow() + RETRY
        return None
