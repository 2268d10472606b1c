"""What pacing writes to the log and reads back from it: a phone's own pacing (one row per
change), the holds by a cap, and at start-up what each phone was handed in the last day."""
import dataclasses
import datetime as dt

from relay.core.errors import ApiError
from relay.core.timefmt import utcnow
from relay.phones import pacing
from relay.store.events import PacingChanged
from relay.store.writer import Operation, Scratch

COLUMNS = tuple(pacing.FIELDS.values())
# The phones' pacing as changed earlier in the same group: phone_id -> its columns.
PACING_IN_GROUP: Scratch[dict[str, dict]] = Scratch(dict)

# Each phone-delivered message first reported sending (or sent) since a time: when the phone
# was handed it, as near as the log knows.
_HANDED = """
    SELECT m.phone_id, m.sim, e.message_id, min(e.recorded_at) AS handed_at
    FROM message_events e JOIN messages m ON m.message_id = e.message_id
    WHERE e.status IN ('sending', 'sent') AND e.recorded_at >= $since
      AND list_contains($channels, m.channel)
    GROUP BY m.phone_id, m.sim, e.message_id ORDER BY handed_at"""


def epoch(at: dt.datetime) -> float:
    """A log time (naive UTC) as the pacing clock counts it."""
    return at.replace(tzinfo=dt.timezone.utc).timestamp()


def log_time(seconds: float) -> dt.datetime:
    """A pacing clock's time as the log and the API keep times (naive UTC, milliseconds)."""
    at = dt.datetime.fromtimestamp(seconds, dt.timezone.utc).replace(tzinfo=None)
    return at.replace(microsecond=at.microsecond // 1000 * 1000)


def handed_since(cur, channels: list[str], since: dt.datetime) -> list[tuple]:
    """(phone_id, sim, message_id, epoch seconds) of each message handed since then, oldest
    first."""
    return [(phone_id, sim, message_id, epoch(at)) for phone_id, sim, message_id, at in
            cur.execute(_HANDED, {"channels": channels, "since": since}).fetchall()]


def load_pacing(con) -> dict[str, dict]:
    """phone_id -> its own pacing columns: its latest row since it was last added."""
    rows = con.execute(f"""
        SELECT p.phone_id, {', '.join('arg_max(p.' + c + ', p.seq)' for c in COLUMNS)}
        FROM phone_pacing p
        WHERE p.seq > (SELECT coalesce(max(a.seq), 0) FROM phone_events a
                       WHERE a.phone_id = p.phone_id AND a.event = 'added')
        GROUP BY p.phone_id""").fetchall()
    return {phone_id: dict(zip(COLUMNS, values)) for phone_id, *values in rows}


@dataclasses.dataclass
class SetPacing(Operation):
    """Changes a phone's own pacing (pacing.checked_changes); returns its columns after."""
    phone_id: str
    changes: dict

    def stage(self, batch):
        state = batch.state
        if self.phone_id not in state.phones:
            raise ApiError(404, "unknown_phone", f"no phone '{self.phone_id}'", "phone_id")
        in_group = batch.scratch(PACING_IN_GROUP)
        before = in_group.get(self.phone_id, state.pacing.get(self.phone_id, {}))
        after = {column: before.get(column) for column in COLUMNS} | self.changes
        in_group[self.phone_id] = after
        batch.add("phone_pacing", {"seq": batch.next_seq(), "recorded_at": utcnow(),
                                   "phone_id": self.phone_id, **after})
        batch.after_commit(lambda: state.pacing.__setitem__(self.phone_id, after))
        batch.publish(PacingChanged(self.phone_id))
        return after


@dataclasses.dataclass
class RecordHold(Operation):
    phone_id: str
    hold: pacing.Hold

    def stage(self, batch):
        batch.add("pacing_holds", {
            "seq": batch.next_seq(), "recorded_at": utcnow(), "phone_id": self.phone_id,
            "sim": self.hold.sim, "reason": self.hold.reason,
            "held_until": log_time(self.hold.until)})
