"""The IOLoop service that delivers server-side messages: tg_bot always, email when an SMTP
server is configured.

Each open message has one task that makes its attempts, one at a time: it logs the start,
sends, then logs the outcome (and, on sent or failed, the final status) before anything else
happens to that message. At most `*_concurrency` attempts per channel run at once, so a slow
SMTP server cannot hold up tg_bot. After a restart, open messages carry on where their log
left off; an attempt cut short counts as made and is made again at once."""
import asyncio
import datetime as dt
import logging
import time

from relay.config import ConfigError
from relay.core.routing import phone_delivers
from relay.core.secretbox import SecretUnreadable
from relay.core.statuses import FINAL
from relay.core.timefmt import iso, utcnow
from relay.core.loops import call_on_loop
from relay.senders.email import EmailSender
from relay.senders.policy import Outcome, RetryPolicy, permanent, transient
from relay.senders.telegram import TelegramSender
from relay.senders import operations as sending
from relay.store.events import MessageAccepted, MessageReleased, MessageStatus

log = logging.getLogger("relay.senders")
STORE_PAUSE = dt.timedelta(seconds=5)   # after the store failed to log an attempt


def start_senders(relay) -> "SendService | None":
    """The Relay's sending service on the running IOLoop; None without one (the CLI's own
    Relay sends nothing). Checks the settings either way."""
    settings = relay.settings
    for name in ("smtp_concurrency", "telegram_concurrency", "send_max_attempts"):
        if getattr(settings, name) < 1:
            raise ConfigError(f"{name} must be at least 1")
    senders = {"tg_bot": TelegramSender(settings)}
    if not phone_delivers("email", bool(settings.smtp_host)):
        senders["email"] = EmailSender(settings)
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return None
    return SendService(relay, senders)


class SendService:
    def __init__(self, relay, senders: dict):
        self.relay = relay
        settings = relay.settings
        self.senders = senders
        self.policy = RetryPolicy.from_settings(settings)
        self.sync_wait_s = settings.sync_delivery_ms / 1000
        self.limits = {"email": asyncio.Semaphore(settings.smtp_concurrency),
                       "tg_bot": asyncio.Semaphore(settings.telegram_concurrency)}
        self.jobs: dict[str, asyncio.Task] = {}            # message_id -> its task
        self._ending: set[str] = set()                     # tasks logging a final outcome
        self._waiters: dict[str, list[asyncio.Future]] = {}
        self._tasks: set[asyncio.Task] = set()
        self.loop = asyncio.get_running_loop()
        relay.bus.subscribe(MessageAccepted, self._accepted)
        relay.bus.subscribe(MessageReleased, self._released)
        relay.bus.subscribe(MessageStatus, self._status)
        self._spawn(self._resume())

    def _spawn(self, coroutine) -> asyncio.Task:
        task = self.loop.create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def close(self) -> None:
        """Stops every attempt (a cut one is made again after the next start): on the IOLoop's
        thread, or scheduled there when called from another thread."""
        call_on_loop(self.loop, self._stop)

    def _stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        self.senders["tg_bot"].close()

    # -- what starts a message's task --------------------------------------------------------
    async def _resume(self) -> None:
        store = self.relay.store
        try:
            stale = await store.read(sending.stale_bot_tokens)
            if stale:
                await store.write(sending.DropBotTokens(stale))
            for message in await store.read(sending.open_sends, store.body_keys,
                                            list(self.senders)):
                self._start(message, message.pop("attempts"), message.pop("due"))
        except Exception:      # the store is closing: the next start resumes them
            log.exception("could not resume server-side deliveries")

    def _accepted(self, accepted: MessageAccepted) -> None:
        if accepted.send_at is None:           # else it waits for its release
            self._released(accepted)

    def _released(self, ready: MessageAccepted) -> None:
        if ready.channel in self.senders:
            self._start(ready.fields(), 0, utcnow())

    def _start(self, message: dict, attempts: int, due) -> None:
        message_id = message["message_id"]
        if message_id not in self.jobs:
            self.jobs[message_id] = self._spawn(self._deliver(message, attempts, due))

    def _status(self, change: MessageStatus) -> None:
        """A message ended another way (it expired): stop its task and drop its token."""
        message_id = change.message_id
        job = self.jobs.get(message_id)
        if change.status in FINAL and job is not None and message_id not in self._ending:
            job.cancel()
            self._spawn(self.relay.store.write(sending.DropBotTokens([message_id])))
            self._settle(message_id, {"status": change.status, "last_error": change.error})

    # -- one message ---------------------------------------------------------------------
    async def _deliver(self, message: dict, attempts: int, due) -> None:
        message_id = message["message_id"]
        try:
            while due is not None:
                await asyncio.sleep(max(0.0, (due - utcnow()).total_seconds()))
                attempts += 1
                try:
                    due = await self._attempt(message, attempts)
                except Exception as error:
                    # The store could not log it. Counted as made all the same: the log may
                    # skip a number but never shows one twice.
                    log.warning("could not log attempt %d of %s: %s", attempts, message_id,
                                error)
                    due = utcnow() + STORE_PAUSE
        finally:
            self.jobs.pop(message_id, None)

    async def _attempt(self, message: dict, attempt: int):
        """Makes attempt n; returns when the next is due, or None: the delivery is over."""
        store, message_id, channel = self.relay.store, message["message_id"], message["channel"]
        async with self.limits[channel]:
            if not await store.write(sending.StartAttempt(message_id, attempt)):
                return None                       # it ended meanwhile (expired)
            started = time.monotonic()
            outcome = await self._send(message)
            duration_ms = round((time.monotonic() - started) * 1000)
        now = utcnow()
        next_at = None
        if outcome.sent:
            result, error = "sent", None
        elif outcome.permanent:
            result, error = "failed", outcome.error
        else:
            next_at = self.policy.next_attempt(
                attempt, message["send_at"] or message["created_at"], now, outcome.retry_after)
            result = "retry" if next_at is not None else "failed"
            error = outcome.error if next_at is not None else (
                f"gave up after {attempt} attempt{'s' if attempt > 1 else ''}: {outcome.error}")
        if result != "retry":
            self._ending.add(message_id)
        try:
            ended_at = await store.write(sending.EndAttempt(message_id, attempt, result, error,
                                                            duration_ms, next_at))
        finally:
            self._ending.discard(message_id)
        if result == "failed":
            log.info("%s %s failed: %s", channel, message_id, error)
        if result != "retry":
            self._settle(message_id, {"status": result, "last_error": error,
                                      "delivered_at": iso(ended_at) if outcome.sent else None})
        return next_at

    async def _send(self, message: dict) -> Outcome:
        sender = self.senders[message["channel"]]
        try:
            if message["channel"] != "tg_bot":
                return await sender.send(message)
            sealed = await self.relay.store.read(sending.sealed_bot_token,
                                                 message["message_id"])
            if sealed is None:
                return permanent("the message's bot_token is no longer stored")
            token = self.relay.secret_box.open(sealed, message["message_id"])
            return await sender.send(message, token)
        except SecretUnreadable as error:
            return permanent(f"the message's bot_token cannot be read: {error}")
        except Exception as error:   # a bug must not stop the message for good: retry it
            log.exception("sending %s failed unexpectedly", message["message_id"])
            return transient(f"internal error: {type(error).__name__}")

    # -- the sent-immediately answer -----------------------------------------------------
    def waits(self, channel: str) -> bool:
        """Whether a new message's answer waits for its delivery (sync_delivery_ms)."""
        return bool(self.sync_wait_s) and channel in self.senders

    async def settled(self, message_id: str, channel: str) -> dict:
        """With sync_delivery_ms set, waits up to that long for a new server-side message's
        delivery to end: its status, last_error and delivered_at, else {} (still queued)."""
        if not self.waits(channel):
            return {}
        waiter = self.loop.create_future()
        self._waiters.setdefault(message_id, []).append(waiter)
        try:
            return await asyncio.wait_for(waiter, self.sync_wait_s)
        except TimeoutError:
            return {}
        finally:
            waiters = self._waiters.get(message_id, [])
            if waiter in waiters:
                waiters.remove(waiter)
            if not waiters:
                self._waiters.pop(message_id, None)

    def _settle(self, message_id: str, final: dict) -> None:
        for waiter in self._waiters.pop(message_id, []):
            if not waiter.done():
                waiter.set_result({"delivered_at": None, **final})

