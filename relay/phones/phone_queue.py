"""Reads and writes behind the phone channel: what is still to deliver (at start-up and when
a phone's window in memory runs low), what has outlived its time to live, the phones' last
presence, and their connection events."""
import dataclasses
import datetime as dt
import typing

from relay.core.statuses import ENDED
from relay.core.timefmt import utcnow
from relay.messages import contents
from relay.messages.schedule import EXPIRES_AT, NEWEST_PLACE, SCHEDULE, ready_places
from relay.messages.status import RecordStatus
from relay.store.writer import Operation

_NOT_ENDED = "NOT " + ENDED.format(message_id="r.message_id", also="{also}")
# The ready messages of these channels placed in ($after, $horizon], each with its phone and
# priority. A final status is logged after the message is placed, so only events after `after`
# need a look.
_READY = (f"""
    SELECT r.place, r.message_id, m.seq, m.phone_id, m.priority
    FROM ({ready_places()}) r JOIN messages m USING (message_id)
    WHERE list_contains($channels, m.channel) {{narrow}} AND """
          + _NOT_ENDED.format(also="AND e.seq > $after"))


def _placed(cur, body_keys, found: list[tuple]) -> list[dict]:
    """The contents of (place, message_id, seq) rows, in order of place, each with its place
    as `seq`: the order its queue keeps. The range of seq lets zone maps skip the rest."""
    if not found:
        return []
    seqs = [seq for _, _, seq in found]
    read = {message["message_id"]: message for message in contents.contents(
        body_keys, cur.execute(
            f"{contents.SELECT} WHERE m.seq >= $lo AND m.seq <= $hi "
            "AND list_contains($seqs, m.seq)",
            {"lo": min(seqs), "hi": max(seqs), "seqs": seqs}).fetchall())}
    placed = []
    for place, message_id, _ in sorted(found):
        message = read[message_id]
        message["seq"] = place
        placed.append(message)
    return placed


def open_messages(cur, body_keys, channels: list[str]) -> list[dict]:
    """Every ready message of these channels not yet sent, failed or expired, in order of
    place, with what a delivery needs (`to` as the API names it; the body, which retention
    keeps while a message is open)."""
    horizon = cur.execute(NEWEST_PLACE).fetchone()[0]
    found = cur.execute(_READY.format(narrow=""), {"after": 0, "horizon": horizon,
                                                  "channels": channels}).fetchall()
    return _placed(cur, body_keys, [(place, message_id, seq)
                                    for place, message_id, seq, _, _ in found])


class Waiting(typing.NamedTuple):
    """A phone's open messages after a point: the oldest few, and how many there are in all."""
    messages: list[dict]
    count: int


def waiting_messages(cur, body_keys, channels: list[str], limit: int, phone_id=None,
                     after: int = 0) -> tuple[int, dict[str, Waiting]]:
    """(horizon, phone_id -> Waiting) for one phone or all: the first `limit` ready, open,
    normal-priority messages of these channels placed in (after, horizon], with their content
    as open_messages gives it, and their count. horizon is the newest place when the read
    began; a phone with none is left out. High-priority ones are urgent_messages'."""
    horizon = cur.execute(NEWEST_PLACE).fetchone()[0]
    found = cur.execute(f"""
        SELECT phone_id, list((place, message_id, seq) ORDER BY place)[1:$limit], count(*)
        FROM ({_READY.format(narrow="AND m.phone_id = $phone" if phone_id else "")})
        WHERE priority IS NULL GROUP BY phone_id""", {
        "after": after, "horizon": horizon, "channels": channels, "limit": limit,
        **({"phone": phone_id} if phone_id else {})}).fetchall()
    placed = _placed(cur, body_keys, [item for _, first, _ in found for item in first])
    by_phone: dict[str, list] = {}
    for message in placed:
        by_phone.setdefault(message["phone_id"], []).append(message)
    return horizon, {phone: Waiting(by_phone.get(phone, []), count)
                     for phone, _, count in found}


def urgent_messages(cur, body_keys, channels: list[str]) -> dict[str, list[dict]]:
    """phone_id -> every ready, open, high-priority message of these channels, in order of
    place: few enough to keep in memory whole, and each must be there to go first."""
    horizon = cur.execute(NEWEST_PLACE).fetchone()[0]
    found = cur.execute(_READY.format(narrow="AND m.priority = 'high'"), {
        "after": 0, "horizon": horizon, "channels": channels}).fetchall()
    by_phone: dict[str, list] = {}
    for message in _placed(cur, body_keys, [(place, message_id, seq)
                                            for place, message_id, seq, _, _ in found]):
        by_phone.setdefault(message["phone_id"], []).append(message)
    return by_phone


def expired_messages(cur, now: dt.datetime, default_ttl: dt.timedelta) -> list[str]:
    """Ids of open messages whose expiry (relay/messages/schedule.py) has passed. Only those
    accepted before the relay's own time to live, or with a schedule or expiry of their own,
    can have: the rest are skipped by their time alone."""
    return [row[0] for row in cur.execute(f"""
        SELECT m.message_id FROM messages m
        LEFT JOIN ({SCHEDULE.format(where="")}) s USING (message_id)
        WHERE (m.created_at < $cutoff OR m.send_at IS NOT NULL OR m.ttl_seconds IS NOT NULL
               OR m.expires_at IS NOT NULL OR s.message_id IS NOT NULL)
          AND {EXPIRES_AT} < $now AND NOT """
        + ENDED.format(message_id="m.message_id", also=""),
        {"cutoff": now - default_ttl, "now": now,
         "ttl": int(default_ttl.total_seconds())}).fetchall()]


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

    def stage(self, batch):
        error = "not sent within its time to live"
        return sum(RecordStatus(message_id, "expired", error).stage(batch)
                   for message_id in self.message_ids)
