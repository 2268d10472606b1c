"""The phone channel's IOLoop service: live sockets, presence (and the phone.offline and
phone.online transitions), dispatch with its pacing, and message expiry.

Built by the Relay. It learns of committed facts from the bus (a message accepted, a status
change, a revoked session) and never touches DuckDB on the IOLoop: the start-up load runs
before the server listens, later reads and writes go through the store's threads."""
import asyncio
import dataclasses
import datetime as dt
import functools
import logging

import tornado.ioloop

from relay.config import ConfigError
from relay.core.errors import ApiError, StorageUnavailable
from relay.core.routing import phone_delivers
from relay.core.statuses import FINAL
from relay.core.timefmt import iso, utcnow
from relay.messages.schedule import message_expiry
from relay.messages.validate import CHANNELS
from relay.agent import protocol
from relay.phones import tokens
from relay.phones.dispatcher import Dispatcher
from relay.core.loops import call_on_loop
from relay.phones import pacing_log, phone_queue as deliveries
from relay.phones.pacing import DAY, Hold, Pacing, Rules
from relay.phones.transitions import OFFLINE, ONLINE, RecordTransition
from relay.store.events import (DeviceRevoked, MessageAccepted, MessageReleased,
                                MessageRescheduled, MessageStatus, PacingChanged)

log = logging.getLogger("relay.device")


@dataclasses.dataclass
class Presence:
    connected_at: dt.datetime | None = None     # set while a socket is open
    last_seen: dt.datetime | None = None
    battery: int | None = None
    signal: int | None = None
    app_version: str | None = None
    channels: tuple[str, ...] | None = None     # what it said it can deliver; None: never said


def _until(hold: Hold | None) -> str | None:
    """When a pacing hold ends, as the API shows times."""
    return None if hold is None else iso(pacing_log.log_time(hold.until))


class DeviceService:
    def __init__(self, relay):
        self.relay = relay
        settings = relay.settings
        self.signing_key = tokens.signing_key(settings.data_dir)
        self.token_lifetime = dt.timedelta(seconds=settings.device_token_seconds)
        self.ttl = dt.timedelta(seconds=settings.message_ttl_seconds)
        self.offline_after = dt.timedelta(seconds=settings.offline_after_seconds)
        if settings.device_queue_window < 1:
            raise ConfigError("device_queue_window must be at least 1")
        self.channels = [c for c in CHANNELS if phone_delivers(c, bool(settings.smtp_host))]
        self.default_pacing = Rules(settings.pacing_interval_ms / 1000,
                                    settings.pacing_jitter_ms / 1000, settings.pacing_per_hour,
                                    settings.pacing_per_day)
        self.pacing = Pacing(self.rules_of, self._held)
        self.dispatcher = Dispatcher(settings.max_in_flight, settings.device_queue_window,
                                     self._frame, self._read_waiting, self.pacing)
        self.sockets: dict = {}                      # phone_id -> its live DeviceSocket
        self.presence: dict[str, Presence] = {}
        self._offline_checks: dict[str, asyncio.TimerHandle] = {}   # phone_id -> its check
        self._tasks: set[asyncio.Task] = set()
        self._sweeper = None
        try:
            self.loop = asyncio.get_running_loop()
        except RuntimeError:        # the CLI's own Relay serves no phones
            self.loop = None
        else:
            self._start()

    # -- start and stop --------------------------------------------------------------------
    def _start(self) -> None:
        store = self.relay.store
        for phone_id, seen in store.read_sync(deliveries.last_presence).items():
            self.presence[phone_id] = Presence(**seen)
        horizon, waiting = store.read_sync(deliveries.waiting_messages, store.body_keys,
                                           self.channels, self.dispatcher.window)
        for phone_id, found in waiting.items():
            self.dispatcher.load(phone_id, horizon, found)
        for phone_id, urgent in store.read_sync(deliveries.urgent_messages, store.body_keys,
                                                self.channels).items():
            self.dispatcher.load_urgent(phone_id, urgent)
        for handed in store.read_sync(pacing_log.handed_since, self.channels,
                                      utcnow() - dt.timedelta(seconds=DAY)):
            self.pacing.load(*handed)
        for phone_id in self.relay.state.phones:   # those that were online, from when last seen
            if self.relay.state.transitions.get(phone_id) != OFFLINE:
                self._check_offline_later(phone_id)
        bus = self.relay.bus
        bus.subscribe(MessageAccepted, self._accepted)
        bus.subscribe(MessageReleased, self._released)
        bus.subscribe(MessageRescheduled, self._rescheduled)
        bus.subscribe(MessageStatus, self._status)
        bus.subscribe(DeviceRevoked, self._revoked)
        bus.subscribe(PacingChanged, lambda changed: self.dispatcher.repace(changed.phone_id))
        seconds = min(60.0, max(1.0, self.ttl.total_seconds() / 10))
        self._sweeper = tornado.ioloop.PeriodicCallback(self._sweep, seconds * 1000)
        self._sweeper.start()

    def close(self) -> None:
        """Stops the sweep and closes every socket (1001): on the IOLoop's thread, or scheduled
        there when called from another thread."""
        call_on_loop(self.loop, self._shut_down)

    def _shut_down(self) -> None:
        if self._sweeper is not None:
            self._sweeper.stop()
        for check in self._offline_checks.values():
            check.cancel()
        for socket in list(self.sockets.values()):
            socket.close(1001, "the relay is stopping")

    # -- bus subscribers -------------------------------------------------------------------
    def _delivers(self, channel: str) -> bool:
        return phone_delivers(channel, bool(self.relay.settings.smtp_host))

    def _accepted(self, accepted: MessageAccepted) -> None:
        if accepted.send_at is None:           # else it waits for its release
            self._released(accepted)

    def _released(self, ready: MessageAccepted) -> None:
        if self._delivers(ready.channel):
            self.dispatcher.add(ready.phone_id, ready.fields())

    def _rescheduled(self, moved: MessageRescheduled) -> None:
        if self._delivers(moved.channel):
            self.dispatcher.drop(moved.phone_id, moved.message_id)

    def withhold(self, phone_id: str, message_id: str, channel: str) -> bool:
        """Keeps a message from its phone while a change to it is written (give_back after a
        refusal); False when the phone has it already."""
        return not self._delivers(channel) or self.dispatcher.withhold(phone_id, message_id)

    def give_back(self, phone_id: str, message_id: str, channel: str) -> None:
        if self._delivers(channel):
            self.dispatcher.give_back(phone_id, message_id)

    def _frame(self, message: dict) -> dict:
        return protocol.deliver_frame(message, message_expiry(message, self.ttl))

    async def _read_waiting(self, phone_id: str, after: int, limit: int):
        """(horizon, Waiting or None) of one phone's queue, for its dispatcher."""
        store = self.relay.store
        horizon, waiting = await store.read(deliveries.waiting_messages, store.body_keys,
                                            self.channels, limit, phone_id, after)
        return horizon, waiting.get(phone_id)

    def _status(self, change: MessageStatus) -> None:
        if change.status in FINAL:
            self.dispatcher.finish(change.phone_id, change.message_id)

    def _revoked(self, revoked: DeviceRevoked) -> None:
        socket = self.sockets.get(revoked.phone_id)
        if socket is not None and revoked.session_id in (None, socket.session_id):
            socket.close(protocol.CLOSE_REVOKED, revoked.reason)

    # -- sockets ---------------------------------------------------------------------------
    def authenticate(self, token: str) -> dict:
        """The claims of a usable access token, else a 401 ApiError."""
        claims = tokens.verify_access_token(self.signing_key, token)
        state = self.relay.state
        if claims["sub"] not in state.phones or not state.credentials.session_valid(
                claims["sid"], claims["sub"]):
            raise tokens.unauthorized("revoked_token", "the phone was removed or re-paired; "
                                      "pair it again")
        return claims

    def connected(self, socket) -> None:
        phone_id = socket.phone_id
        previous = self.sockets.get(phone_id)
        if previous is not None:
            self.dispatcher.detach(phone_id, previous.send_frame)
            previous.close(protocol.CLOSE_REPLACED, "replaced by a newer connection")
        elif self.offline(phone_id):
            self.record(RecordTransition(phone_id, ONLINE, self._last_seen(phone_id)))
        self._cancel_offline_check(phone_id)
        self.sockets[phone_id] = socket
        self.relay.online_phones.add(phone_id)
        presence = self.presence.setdefault(phone_id, Presence())
        presence.connected_at = presence.last_seen = utcnow()
        self.record(deliveries.RecordDeviceEvent(phone_id, "connected"))
        self.dispatcher.attach(phone_id, socket.send_frame)

    def disconnected(self, socket) -> None:
        phone_id = socket.phone_id
        self.dispatcher.detach(phone_id, socket.send_frame)
        if self.sockets.get(phone_id) is socket:
            del self.sockets[phone_id]
            self.relay.online_phones.discard(phone_id)
            presence = self.presence[phone_id]
            presence.connected_at, presence.last_seen = None, utcnow()
            self.record(deliveries.RecordDeviceEvent(phone_id, "disconnected"))
            self._check_offline_later(phone_id)

    def seen(self, phone_id: str, heartbeat: dict | None = None) -> None:
        presence = self.presence.setdefault(phone_id, Presence())
        presence.last_seen = utcnow()
        if heartbeat is not None:
            presence.battery, presence.signal = heartbeat["battery"], heartbeat["signal"]
            presence.app_version = heartbeat["app_version"]

    def capable(self, phone_id: str, channels: tuple[str, ...]) -> None:
        """What the phone said it can deliver, once that fact is committed."""
        self.presence.setdefault(phone_id, Presence()).channels = channels

    def check_channel(self, phone_id: str, channel: str) -> None:
        """422 channel_unavailable when the phone's last known capabilities exclude a channel
        it would deliver; a phone that never said accepts every channel."""
        presence = self.presence.get(phone_id)
        if (presence is None or presence.channels is None or channel in presence.channels
                or not self._delivers(channel)):
            return
        raise ApiError(422, "channel_unavailable",
                       f"phone '{phone_id}' cannot deliver '{channel}'; it can deliver: "
                       f"{', '.join(presence.channels) or 'nothing'}", "channel")

    def record(self, op, then=None) -> None:
        """Writes a fact nobody waits for (connection events, heartbeats); `then` runs once
        it is committed."""
        task = asyncio.ensure_future(self.relay.store.write(op))
        self._tasks.add(task)
        task.add_done_callback(functools.partial(self._recorded, then))

    def _recorded(self, then, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        error = None if task.cancelled() else task.exception()
        if error is not None:   # StorageUnavailable when stopping: the event is just lost
            log.log(logging.DEBUG if isinstance(error, StorageUnavailable) else logging.WARNING,
                    "could not record a device event: %s", error)
        elif then is not None and not task.cancelled():
            then()

    # -- phone.offline (phone.online is recorded as it connects) -----------------------------
    def _check_offline_later(self, phone_id: str) -> None:
        """When the phone will have been unseen for offline_after_seconds, it is offline unless
        it connected meanwhile."""
        seen = self._last_seen(phone_id)
        if seen is None:
            return
        self._cancel_offline_check(phone_id)
        # A little past the moment, since `offline` counts only what is over the threshold.
        delay = (seen + self.offline_after - utcnow()).total_seconds() + 0.01
        self._offline_checks[phone_id] = self.loop.call_later(max(0.0, delay),
                                                              self._check_offline, phone_id)

    def _check_offline(self, phone_id: str) -> None:
        del self._offline_checks[phone_id]
        if self.offline(phone_id):
            self.record(RecordTransition(phone_id, OFFLINE, self._last_seen(phone_id)))
        elif phone_id not in self.sockets:
            self._check_offline_later(phone_id)

    def _cancel_offline_check(self, phone_id: str) -> None:
        check = self._offline_checks.pop(phone_id, None)
        if check is not None:
            check.cancel()

    # -- pacing ----------------------------------------------------------------------------
    def rules_of(self, phone_id: str) -> Rules:
        return Rules.of(self.default_pacing, self.relay.state.pacing.get(phone_id, {}))

    def _held(self, phone_id: str, hold: Hold) -> None:
        """A cap began to hold the phone's messages: a fact of the log."""
        self.record(pacing_log.RecordHold(phone_id, hold))

    def held(self, message: dict) -> dict:
        """What GET /api/v1/messages/<id> adds: held_until and held_reason while pacing holds
        the message (it waits for its phone, and the first message of that phone's queue is
        held), else nulls; a message waiting for its scheduled time is in no queue yet."""
        hold = None
        if (message["status"] == "queued" and message["channel"] in self.channels
                and message["message_id"] not in self.relay.state.scheduled):
            hold = self.pacing.hold(message["phone_id"], message["message_id"])
        return {"held_until": _until(hold), "held_reason": None if hold is None else hold.reason}

    def _pacing_shown(self, phone_id: str, waiting: int) -> dict:
        rules, own = self.rules_of(phone_id), self.relay.state.pacing.get(phone_id, {})
        used = self.pacing.used(phone_id)
        hold = self.pacing.hold(phone_id) if waiting else None
        return {**rules.shown(),
                "own": Rules.own_shown(own),
                "used_hour": max((hour for hour, _ in used.values()), default=0),
                "used_day": max((day for _, day in used.values()), default=0),
                "by_sim": [{"sim": sim, "used_hour": hour, "used_day": day}
                           for sim, (hour, day) in sorted(used.items(),
                                                          key=lambda item: item[0] or 0)],
                "held": waiting if hold else 0,
                "held_until": _until(hold),
                "reason": None if hold is None else hold.reason,
                "held_sim": None if hold is None else hold.sim}

    # -- what the API shows ----------------------------------------------------------------
    def offline(self, phone_id: str) -> bool:
        """True when the phone has no socket and was last seen longer ago than allowed."""
        if phone_id in self.sockets:
            return False
        seen = self._last_seen(phone_id)
        return seen is None or utcnow() - seen > self.offline_after

    def _last_seen(self, phone_id: str) -> dt.datetime | None:
        presence = self.presence.get(phone_id)
        return None if presence is None else presence.last_seen

    def offline_notice(self, phone_id: str, channel: str) -> dict:
        """What a 202 adds: whether the message waits for a phone that is offline."""
        if not (self._delivers(channel) and self.offline(phone_id)):
            return {"phone_offline": False}
        return {"phone_offline": True, "warning": f"phone '{phone_id}' is offline (last seen "
                f"{iso(self._last_seen(phone_id)) or 'never'}); the message is queued until it "
                "connects"}

    def describe(self, phone_id: str) -> dict:
        presence = self.presence.get(phone_id, Presence())
        waiting, in_flight = self.dispatcher.depth(phone_id)
        return {"phone_id": phone_id, "online": phone_id in self.sockets,
                "paired": self.relay.state.credentials.paired(phone_id),
                "connected_at": iso(presence.connected_at), "last_seen": iso(presence.last_seen),
                "battery": presence.battery, "signal": presence.signal,
                "app_version": presence.app_version,
                "capabilities": None if presence.channels is None else list(presence.channels),
                "queue_depth": waiting,
                "in_flight": in_flight,
                "pacing": self._pacing_shown(phone_id, waiting)}

    # -- expiry ----------------------------------------------------------------------------
    async def _sweep(self) -> None:
        store = self.relay.store
        try:
            expired = await store.read(deliveries.expired_messages, utcnow(), self.ttl)
            if expired:
                await store.write(deliveries.ExpireMessages(expired))
            # Counts again what waits in the database only: some of it may have expired (or
            # a read failed, which nothing else retries while no message moves).
            self.dispatcher.refresh()
        except Exception as error:   # the store is closing or failing; the next sweep retries
            log.warning("message expiry sweep failed: %s", error)
