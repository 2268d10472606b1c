"""The IOLoop service that sends due webhook deliveries.

Due deliveries live in memory (relay.webhooks.state, loaded at start-up, kept by the writer
thread). This service takes the due ones in order of their time, at most `concurrency` at once
and a few per callback (so one hung receiver cannot take every slot), POSTs each with a
timeout, and records the outcome through the writer; it sends a delivery again only after its
previous try is committed. Connections go only to addresses the policy allows, checked by the
resolver on the address actually connected to."""
import asyncio
import collections
import logging
import time

import tornado.httpclient
import tornado.simple_httpclient

from relay import __version__
from relay.config import ConfigError
from relay.core.errors import StorageUnavailable
from relay.core.timefmt import utcnow
from relay.core.loops import call_on_loop, running_loop
from relay.store.events import WebhookQueued
from relay.webhooks.operations import CancelDelivery, RecordAttempt
from relay.webhooks import schedule, signing
from relay.core.networks import parse_networks
from relay.webhooks.addresses import AddressPolicy, GuardedResolver
from relay.webhooks.timetable import Timetable

log = logging.getLogger("relay.webhooks")
PER_CALLBACK = 4             # tries in flight to one callback at once
IDLE_S = 30.0                # look again this often even when nothing woke us
MAX_ERROR = 500
STORE_PAUSE_S = 5.0          # after the store failed to record a try: don't hammer the receiver


def start_webhooks(relay) -> "WebhookService | None":
    """The Relay's webhook service, started on the running IOLoop; None without one (the CLI's
    own Relay sends no webhooks). Checks the allowed networks either way."""
    settings = relay.settings
    try:
        policy = AddressPolicy(parse_networks(settings.callback_allow_networks))
    except ValueError as error:
        raise ConfigError(f"callback_allow_networks: {error}") from None
    for name in ("callback_concurrency", "callback_timeout_seconds"):
        if getattr(settings, name) < 1:
            raise ConfigError(f"{name} must be at least 1")
    return WebhookService(relay, policy) if running_loop() is not None else None


class WebhookService:
    def __init__(self, relay, policy: AddressPolicy):
        self.relay = relay
        self.policy = policy
        settings = relay.settings
        self.concurrency = settings.callback_concurrency
        self.timeout = float(settings.callback_timeout_seconds)
        self.webhooks = relay.state.webhooks
        self._in_flight: set[str] = set()
        self._per_callback: collections.Counter = collections.Counter()
        self._tasks: set[asyncio.Task] = set()
        self._wake = asyncio.Event()
        self._timetable = Timetable()
        for due in list(self.webhooks.due.values()):
            self._timetable.add(due.next_at, due.delivery_id)
        self._http = tornado.simple_httpclient.SimpleAsyncHTTPClient(
            force_instance=True, max_clients=self.concurrency,
            resolver=GuardedResolver(policy=policy))
        self.loop = asyncio.get_running_loop()
        relay.bus.subscribe(WebhookQueued, self._queued)
        self._main = self._spawn(self._run())

    def _spawn(self, coroutine) -> asyncio.Task:
        task = self.loop.create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def _queued(self, queued: WebhookQueued) -> None:
        self._timetable.add(queued.next_at, queued.delivery_id)
        self._wake.set()

    async def _run(self) -> None:
        while True:
            self._wake.clear()
            wait = self._start_due()
            try:
                await asyncio.wait_for(self._wake.wait(), wait)
            except TimeoutError:
                pass

    def _start_due(self) -> float:
        """Starts the due deliveries there is room for, oldest first; returns the seconds
        until the next one comes due."""
        now = utcnow()
        while len(self._in_flight) < self.concurrency:
            delivery_id = self._timetable.pop_ready(now)
            if delivery_id is None:
                break
            due = self.webhooks.due.get(delivery_id)
            if due is None or delivery_id in self._in_flight:
                continue          # ended, or running: its outcome reschedules it
            if due.next_at > now:
                self._timetable.add(due.next_at, delivery_id)    # rescheduled meanwhile
            elif self._per_callback[due.callback_id] >= PER_CALLBACK:
                self._timetable.park(due.callback_id, delivery_id)
            else:
                self._in_flight.add(delivery_id)
                self._per_callback[due.callback_id] += 1
                self._spawn(self._try(due))
        wait = self._timetable.seconds_until_next(now)
        return IDLE_S if wait is None else min(IDLE_S, max(0.01, wait))

    async def _try(self, due) -> None:
        try:
            next_at = await self.relay.store.write(await self._attempt(due))
        except StorageUnavailable as error:
            log.warning("could not record webhook %s: %s", due.delivery_id, error)
            next_at = await self._pause()
        except Exception:
            log.exception("webhook %s: recording the try failed", due.delivery_id)
            next_at = await self._pause()
        finally:
            self._in_flight.discard(due.delivery_id)
            self._per_callback[due.callback_id] -= 1
            if self._per_callback[due.callback_id] <= 0:
                del self._per_callback[due.callback_id]
            self._timetable.unpark(due.callback_id, utcnow())
            self._wake.set()
        if next_at is not None:
            self._timetable.add(next_at, due.delivery_id)

    @staticmethod
    async def _pause():
        """The try was not recorded, so the delivery is still due: wait before the next one
        rather than hammer the receiver while the store fails."""
        await asyncio.sleep(STORE_PAUSE_S)
        return utcnow()

    async def _attempt(self, due):
        """POSTs the delivery once; returns the operation that records what happened."""
        callback = self.webhooks.callbacks.get(due.callback_id)
        if callback is None or not callback.spec.active:
            return CancelDelivery(due.delivery_id, "the callback was deleted" if callback is None
                                  else "the callback is inactive")
        body = due.payload.encode()
        headers = {"Content-Type": "application/json",
                   "User-Agent": f"Relay-Webhooks/{__version__}",
                   **signing.headers(callback.secret, due.delivery_id, int(time.time()), body)}
        if callback.spec.callback_token:
            headers["Authorization"] = f"Bearer {callback.spec.callback_token}"
        request = tornado.httpclient.HTTPRequest(
            callback.spec.callback_url, method="POST", body=body, headers=headers,
            follow_redirects=False, connect_timeout=self.timeout, request_timeout=self.timeout,
            streaming_callback=lambda _chunk: None)   # the receiver's body is not kept
        started = time.monotonic()
        code, error, retry_after = None, None, None
        try:
            response = await self._http.fetch(request, raise_error=False)
            code = response.code
            if not 200 <= code < 300:
                error = f"HTTP {code}"
                if 300 <= code < 400:
                    error += " (redirects are not followed)"
                if code in (429, 503):
                    retry_after = schedule.retry_after(response.headers.get("Retry-After"),
                                                       utcnow())
        except Exception as failure:     # refused address, DNS, connection, timeout
            error = (f"{type(failure).__name__}: {failure}")[:MAX_ERROR]
        return RecordAttempt(due.delivery_id, delivered=error is None, status_code=code,
                             error=error, duration_ms=int((time.monotonic() - started) * 1000),
                             retry_after=retry_after)

    def close(self) -> None:
        """Stops sending (a try in flight is sent again after a restart)."""
        call_on_loop(self.loop, self._shut_down)

    def _shut_down(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        self._http.close()
