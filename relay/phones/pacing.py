"""Pacing of the messages handed to one phone, so that a carrier does not take its SIM for a
spammer's: a least interval between two messages (plus a random jitter drawn for each gap), and
caps on the messages handed in any hour and any 24 hours, counted per SIM slot (a message
without `sim` counts for the phone's default SIM). Pure logic on a clock, run on the IOLoop.

The dispatcher asks `delay` before it hands a phone its queue's first message and tells
`handed` when it did. What was handed is counted from the log at start-up (`load`: the first
`sending` or `sent` of each message), so a restart neither resets a cap nor sends a burst. A
message handed again (after a dropped connection) is not counted again, nor held: the phone
already has it and de-duplicates it.

A message that has to wait is held: it stays queued, and so does every message behind it (the
queue keeps its order). `hold` says until when and why; a new hold by a cap is passed to
`on_hold` to be logged."""
import bisect
import dataclasses
import random
import time
import typing

from relay.core.errors import bad_request

HOUR, DAY = 3600.0, 86400.0
INTERVAL, PER_HOUR, PER_DAY = "interval", "per_hour", "per_day"
CAPS = (PER_HOUR, PER_DAY)
MAX_SECONDS = 86400      # the longest interval or jitter
MAX_CAP = 10_000_000
# A phone's own pacing as the API and the CLI name it -> its column in the log (phone_pacing).
FIELDS = {"min_interval_seconds": "min_interval_ms", "jitter_seconds": "jitter_ms",
          "per_hour": "per_hour", "per_day": "per_day"}


@dataclasses.dataclass(frozen=True)
class Rules:
    """One phone's pacing; zero turns each part off."""
    min_interval: float = 0.0      # seconds
    jitter: float = 0.0            # seconds
    per_hour: int = 0
    per_day: int = 0

    @property
    def off(self) -> bool:
        return not (self.min_interval or self.jitter or self.per_hour or self.per_day)

    @classmethod
    def of(cls, defaults: "Rules", own: dict) -> "Rules":
        """A phone's rules: its own values (log columns; None: the relay-wide default)."""
        def pick(column, default):
            return default if own.get(column) is None else own[column]
        return cls(pick("min_interval_ms", defaults.min_interval * 1000) / 1000,
                   pick("jitter_ms", defaults.jitter * 1000) / 1000,
                   pick("per_hour", defaults.per_hour), pick("per_day", defaults.per_day))

    def shown(self) -> dict:
        return {"min_interval_seconds": self.min_interval, "jitter_seconds": self.jitter,
                "per_hour": self.per_hour, "per_day": self.per_day}

    @staticmethod
    def own_shown(own: dict) -> dict:
        """A phone's own values (log columns) as the API names them; null: the relay's."""
        return {name: (None if own.get(column) is None else
                       own[column] / 1000 if name.endswith("_seconds") else own[column])
                for name, column in FIELDS.items()}


def checked_changes(body) -> dict:
    """column -> value of a change to a phone's own pacing: each field given sets it, null
    puts it back to the relay-wide setting, a field left out stays."""
    if not isinstance(body, dict):
        raise bad_request("pacing", "'pacing' must be a JSON object", "invalid_type")
    changes = {}
    for name, value in body.items():
        if name not in FIELDS:
            raise bad_request(name, f"unknown field '{name}'; pacing takes "
                              f"{', '.join(FIELDS)}", "unknown_field")
        if value is None:
            changes[FIELDS[name]] = None
        elif name.endswith("_seconds"):
            if (isinstance(value, bool) or not isinstance(value, (int, float))
                    or not 0 <= value <= MAX_SECONDS):
                raise bad_request(name, f"'{name}' must be a number of seconds from 0 to "
                                  f"{MAX_SECONDS}, or null for the relay's setting")
            changes[FIELDS[name]] = round(value * 1000)
        else:
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_CAP:
                raise bad_request(name, f"'{name}' must be a whole number from 0 (no cap) to "
                                  f"{MAX_CAP}, or null for the relay's setting")
            changes[FIELDS[name]] = value
    return changes


@dataclasses.dataclass(frozen=True)
class Hold:
    until: float                   # epoch seconds
    reason: str                    # interval | per_hour | per_day
    sim: int | None                # the SIM of the message held


@dataclasses.dataclass
class _Phone:
    """What one phone was handed in the last 24 hours."""
    times: dict[int | None, list[float]] = dataclasses.field(default_factory=dict)  # by SIM
    counted: dict[str, float] = dataclasses.field(default_factory=dict)  # id -> when, in order
    last_at: float | None = None   # the latest handing
    gap: float = 0.0               # the jitter drawn for the gap after it
    hold: Hold | None = None       # the latest hold of its first message


class Pacing:
    def __init__(self, rules_of: typing.Callable[[str], Rules],
                 on_hold: typing.Callable[[str, Hold], None] = lambda phone_id, hold: None,
                 clock: typing.Callable[[], float] = time.time,
                 draw: typing.Callable[[], float] = random.random):
        self._rules_of = rules_of      # phone_id -> its Rules now
        self._on_hold = on_hold        # a new hold by a cap began
        self._clock, self._draw = clock, draw
        self._phones: dict[str, _Phone] = {}

    def load(self, phone_id: str, sim: int | None, message_id: str, at: float) -> None:
        """A message handed before the start, as the log has it (oldest first)."""
        self._count(self._phone(phone_id), sim, message_id, at)

    def delay(self, phone_id: str, message: dict) -> float | None:
        """None when the message may be handed now; else the seconds until it may."""
        phone, rules = self._phone(phone_id), self._rules_of(phone_id)
        now = self._clock()
        if rules.off or message["message_id"] in phone.counted:
            phone.hold = None
            return None
        self._forget(phone, now)
        hold = self._hold(phone, rules, message.get("sim"), now)
        if hold is not None and hold.reason in CAPS and hold != phone.hold:
            self._on_hold(phone_id, hold)
        phone.hold = hold
        return None if hold is None else hold.until - now

    def handed(self, phone_id: str, message: dict) -> None:
        phone = self._phone(phone_id)
        if message["message_id"] in phone.counted:
            return
        now = self._clock()
        self._forget(phone, now)
        self._count(phone, message.get("sim"), message["message_id"], now)
        phone.gap = self._draw() * self._rules_of(phone_id).jitter
        phone.hold = None

    def hold(self, phone_id: str, message_id: str | None = None) -> Hold | None:
        """The hold of the phone's first waiting message, while it lasts: every message still
        to be handed to the phone (not `message_id`, once handed) waits behind it."""
        phone = self._phones.get(phone_id)
        hold = phone.hold if phone is not None else None
        if hold is None or hold.until <= self._clock() or message_id in phone.counted:
            return None
        return hold

    def used(self, phone_id: str) -> dict[int | None, tuple[int, int]]:
        """SIM -> (handed in the last hour, in the last 24 hours)."""
        phone = self._phones.get(phone_id)
        if phone is None:
            return {}
        now = self._clock()
        self._forget(phone, now)
        return {sim: (len(times) - bisect.bisect_right(times, now - HOUR), len(times))
                for sim, times in phone.times.items() if times}

    # -- the rules ---------------------------------------------------------------------------
    def _hold(self, phone: _Phone, rules: Rules, sim: int | None, now: float) -> Hold | None:
        """The latest of the times the interval and the caps allow, if it is still to come."""
        waits = []
        if phone.last_at is not None and (rules.min_interval or phone.gap):
            waits.append((phone.last_at + rules.min_interval + phone.gap, INTERVAL))
        times = phone.times.get(sim, [])
        for cap, window, reason in ((rules.per_hour, HOUR, PER_HOUR),
                                    (rules.per_day, DAY, PER_DAY)):
            recent = len(times) - bisect.bisect_right(times, now - window)
            if cap and recent >= cap:
                # The cap is free again when enough of those handed in the window leave it.
                waits.append((times[len(times) - cap] + window, reason))
        if not waits:
            return None
        until, reason = max(waits)
        return Hold(until, reason, sim) if until > now else None

    def _phone(self, phone_id: str) -> _Phone:
        phone = self._phones.get(phone_id)
        if phone is None:
            phone = self._phones[phone_id] = _Phone()
        return phone

    @staticmethod
    def _count(phone: _Phone, sim: int | None, message_id: str, at: float) -> None:
        if message_id in phone.counted:
            return
        phone.counted[message_id] = at
        bisect.insort(phone.times.setdefault(sim, []), at)
        phone.last_at = at if phone.last_at is None else max(phone.last_at, at)

    @staticmethod
    def _forget(phone: _Phone, now: float) -> None:
        """Drops what was handed more than 24 hours ago."""
        cutoff = now - DAY
        for times in phone.times.values():
            del times[:bisect.bisect_left(times, cutoff)]
        while phone.counted and next(iter(phone.counted.values())) < cutoff:
            del phone.counted[next(iter(phone.counted))]
