"""Reads and writes behind the phone channel: what is still to deliver (at start-up and when
a phone's window in memory runs low), what has outlived its time to live, the phones' last
presence, and their connection events."""
import dataclasses
import typing

from relay.core.statuses import ENDED
from relay.core.timefmt import utcnow
from relay.store.bodies import MESSAGE_JOIN, open_sealed
from relay.messages.status import RecordStatus
from relay.store.writer import Operation

_OPEN = ("SELECT {columns} FROM messages m {join} WHERE {condition} NOT "
         + ENDED.format(message_id="m.message_id", also="") + " ORDER BY m.seq")
_CONTENT = ("m.message_id", "m.phone_id", "m.channel", "m.recipient", "b.text", "b.subject",
            "b.title", "m.tags", "m.created_at", "m.seq", "m.sim", "m.body")
_NAMES = [("to" if c == "m.recipient" else c[2:]) for c in _CONTENT]

# The seqs of each phone's open messages in (after, horizon], oldest first, and their count.
# A final status is logged after its message, so only events after `after` need a look.
_WAITING = ("""
    SELECT m.phone_id, list(m.seq ORDER BY m.seq)[1:$limit], count(*) FROM messages m
    WHERE m.seq > $after AND m.seq <= $horizon AND list_contains($channels, m.channel) {phone}
      AND NOT """ + ENDED.format(message_id="m.message_id", also="AND e.seq > $after")
            + " GROUP BY m.phone_id")


def _contents(body_keys, rows) -> list[dict]:
    return [open_sealed(body_keys, dict(zip(_NAMES, row))) for row in rows]


def open_messages(cur, body_keys, channels: list[str]) -> list[dict]:
    """Every message of these channels not yet sent, failed or expired, oldest first, with
    what a delivery needs (`to` as the API names it; the body, which retention keeps while a
    message is open)."""
    return _contents(body_keys, cur.execute(
        _OPEN.format(columns=", ".join(_CONTENT), join=MESSAGE_JOIN,
                     condition="list_contains($channels, m.channel) AND"),
        {"channels": channels}).fetchall())


class Waiting(typing.NamedTuple):
    """A phone's open messages after a point: the oldest few, and how many there are in all."""
    messages: list[dict]
    count: int


def waiting_messages(cur, body_keys, channels: list[str], limit: int, phone_id=None,
                     after: int = 0) -> tuple[int, dict[str, Waiting]]:
    """(horizon, phone_id -> Waiting) for one phone or all: the first `limit` open messages of
    these channels with a seq in (after, horizon], with their content as open_messages gives
    it, and their count. horizon is the newest message's seq when the read began; a phone with
    none is left out."""
    horizon = cur.execute("SELECT coalesce(max(seq), 0) FROM messages").fetchone()[0]
    found = cur.execute(_WAITING.format(phone="AND m.phone_id = $phone" if phone_id else ""), {
        "after": after, "horizon": horizon, "channels": channels, "limit": limit,
        **({"phone": phone_id} if phone_id else {})}).fetchall()
    seqs = [seq for _, first, _ in found for seq in first]
    contents: dict[str, list] = {}
    if seqs:    # the bodies of those alone: the range lets zone maps skip the rest
        for message in _contents(body_keys, cur.execute(
                f"SELECT {', '.join(_CONTENT)} FROM messages m {MESSAGE_JOIN} "
                "WHERE m.seq >= $lo AND m.seq <= $hi AND list_contains($seqs, m.seq) "
                "ORDER BY m.seq", {"lo": min(seqs), "hi": max(seqs), "seqs": seqs}).fetchall()):
            contents.setdefault(message["phone_id"], []).append(message)
    return horizon, {phone: Waiting(contents.get(phone, []), count) for phone, _, count in found}


def expired_messages(cur, cutoff) -> list[str]:
    """Ids of open messages accepted before cutoff."""
    return [row[0] for row in cur.execute(
        _OPEN.format(columns="m.message_id", join="", condition="m.created_at < $cutoff AND"),
        {"cutoff": cutoff}).fetchall()]


def last_presence(cur) -> dict[str, dict]:
    """phone_id -> {last_seen, battery, signal, app_version, channels} from the latest device
    events (channels: those of the latest heartbeat that named them, else None)."""
    rows = cur.execute("""
        SELECT phone_id, max(recorded_at),
               arg_max(battery, seq) FILTER (WHERE event = 'heartbeat'),
               arg_max(signal, seq) FILTER (WHERE event = 'heartbeat'),
               arg_max(app_version, seq) FILTER (WHERE event = 'heartbeat'),
               arg_max(channels, seq) FILTER (WHERE channels IS NOT NULL)
        FROM device_events GROUP BY phone_id""").fetchall()
    return {phone: {"last_seen": seen, "battery": battery, "signal": signal,
                    "app_version": version,
                    "channels": None if channels is None else tuple(channels)}
            for phone, seen, battery, signal, version, channels in rows}


@dataclasses.dataclass
class RecordDeviceEvent(Operation):
    """connected, disconnected or heartbeat (with battery, signal, app_version and the
    channels the phone can deliver when it said)."""
    phone_id: str
    event: str
    battery: int | None = None
    signal: int | None = None
    app_version: str | None = None
    channels: tuple[str, ...] | None = None

    def stage(self, batch):
        batch.add("device_events", {
            "seq": batch.next_seq(), "recorded_at": utcnow(), "event": self.event,
            "phone_id": self.phone_id, "battery": self.battery, "signal": self.signal,
            "app_version": self.app_version,
            "channels": None if self.channels is None else list(self.channels)})


@dataclasses.dataclass
class ExpireMessages(Operation):
    """Marks the given messages expired unless they reached a final status meanwhile."""
    message_ids: list[str]
    ttl_seconds: int

    def stage(self, batch):
        error = f"not sent within the time to live ({self.ttl_seconds} s)"
        return sum(RecordStatus(message_id, "expired", error).stage(batch)
                   for message_id in self.message_ids)
