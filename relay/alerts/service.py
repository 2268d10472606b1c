"""The IOLoop service that turns passed deadlines into alerts: a heap of the open deadlines
(from memory at start, then from each committed DeadlineSet), and one task that sleeps until
the earliest and hands every passed one to the writer (RecordWaiting), in groups. Whether an
event is still open is decided by the writer, so a deadline handed over twice alerts once;
one the relay was down for is already past at start, so it alerts at once."""
import asyncio
import heapq
import logging
import time

from relay.alerts.operations import RecordWaiting
from relay.core.errors import StorageUnavailable
from relay.core.loops import call_on_loop, running_loop
from relay.store.events import DeadlineSet

log = logging.getLogger("relay.alerts")
GROUP = 500                  # deadlines handed to the writer in one operation
IDLE_S = 30.0                # look again this often even when nothing woke us
STORE_PAUSE_S = 5.0          # after the store failed: try those deadlines again then


def start_alerts(relay) -> "AlertService | None":
    """Started on the running IOLoop; None without one (the CLI's own Relay alerts no one)."""
    return AlertService(relay) if running_loop() is not None else None


class AlertService:
    def __init__(self, relay):
        self.relay = relay
        self.alerts = relay.state.alerts
        # (deadline epoch seconds, event seq, client_id); entries answered meanwhile stay
        # until they come up, and the writer finds them closed.
        self._heap: list[tuple[float, int, str]] = [
            (deadline, seq, client_id)
            for client_id, deadlines in list(self.alerts.open.items())
            for seq, deadline in list(deadlines.items())]
        heapq.heapify(self._heap)
        self._wake = asyncio.Event()
        self.loop = asyncio.get_running_loop()
        relay.bus.subscribe(DeadlineSet, self._deadline_set)
        self._task = self.loop.create_task(self._run())

    def _deadline_set(self, event: DeadlineSet) -> None:
        heapq.heappush(self._heap, (event.deadline, event.event_seq, event.client_id))
        if self._heap[0][1] == event.event_seq:
            self._wake.set()

    def _passed(self, now: float) -> list[tuple[str, int]]:
        passed = []
        while self._heap and self._heap[0][0] <= now and len(passed) < GROUP:
            _, seq, client_id = heapq.heappop(self._heap)
            if self.alerts.deadline_of(client_id, seq) is not None:
                passed.append((client_id, seq))
        return passed

    async def _run(self) -> None:
        while True:
            self._wake.clear()
            passed = self._passed(time.time())
            if passed:
                await self._record(passed)
                continue
            wait = IDLE_S if not self._heap else min(IDLE_S, self._heap[0][0] - time.time())
            try:
                await asyncio.wait_for(self._wake.wait(), max(0.001, wait))
            except TimeoutError:
                pass

    async def _record(self, passed: list[tuple[str, int]]) -> None:
        try:
            await self.relay.store.write(RecordWaiting(passed))
            return
        except StorageUnavailable as error:
            log.warning("could not record %d passed deadlines: %s", len(passed), error)
        except Exception:
            log.exception("recording %d passed deadlines failed", len(passed))
        await asyncio.sleep(STORE_PAUSE_S)     # still open: they come up again
        retry = time.time()
        for client_id, seq in passed:
            heapq.heappush(self._heap, (retry, seq, client_id))

    def close(self) -> None:
        call_on_loop(self.loop, self._task.cancel)
