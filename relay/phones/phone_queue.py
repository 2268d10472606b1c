"""Reads and writes behind the phone channel: what is still to deliver at start-up, what has
outlived its time to live, the phones' last presence, and their connection events."""
import dataclasses

from relay.core.timefmt import utcnow
from relay.store.bodies import MESSAGE_JOIN, open_sealed
from relay.store.state import TERMINAL
from relay.messages.status import RecordStatus
from relay.store.writer import Operation

_OPEN = """
    SELECT {columns} FROM messages m {join}
    WHERE {condition} NOT EXISTS (SELECT 1 FROM message_events e
                                  WHERE e.message_id = m.message_id AND e.status IN $terminal)
    ORDER BY m.seq"""
_CONTENT = ("m.message_id", "m.phone_id", "m.channel", "m.recipient", "b.text", "b.subject",
            "b.title", "m.tags", "m.created_at", "m.body")


def open_messages(cur, body_keys) -> list[dict]:
    """Every message not yet sent, failed or expired, oldest first, with what a deliver frame
    needs (`to` as the API names it; the body, which retention keeps while a message is open)."""
    rows = cur.execute(_OPEN.format(columns=", ".join(_CONTENT), join=MESSAGE_JOIN,
                                    condition=""), {"terminal": list(TERMINAL)}).fetchall()
    names = [("to" if c == "m.recipient" else c[2:]) for c in _CONTENT]
    return [open_sealed(body_keys, dict(zip(names, row))) for row in rows]


def expired_messages(cur, cutoff) -> list[str]:
    """Ids of open messages accepted before cutoff."""
    return [row[0] for row in cur.execute(
        _OPEN.format(columns="m.message_id", join="", condition="m.created_at < $cutoff AND"),
        {"terminal": list(TERMINAL), "cutoff": cutoff}).fetchall()]


def last_presence(cur) -> dict[str, dict]:
    """phone_id -> {last_seen, battery, signal, app_version} from the latest device events."""
    rows = cur.execute("""
        SELECT phone_id, max(recorded_at),
               arg_max(battery, seq) FILTER (WHERE event = 'heartbeat'),
               arg_max(signal, seq) FILTER (WHERE event = 'heartbeat'),
               arg_max(app_version, seq) FILTER (WHERE event = 'heartbeat')
        FROM device_events GROUP BY phone_id""").fetchall()
    return {phone: {"last_seen": seen, "battery": battery, "signal": signal,
                    "app_version": version}
            for phone, seen, battery, signal, version in rows}


@dataclasses.dataclass
class RecordDeviceEvent(Operation):
    """connected, disconnected or heartbeat (with battery, signal, app_version)."""
    phone_id: str
    event: str
    battery: int | None = None
    signal: int | None = None
    app_version: str | None = None

    def stage(self, batch):
        batch.add("device_events", {
            "seq": batch.next_seq(), "recorded_at": utcnow(), "event": self.event,
            "phone_id": self.phone_id, "battery": self.battery, "signal": self.signal,
            "app_version": self.app_version})


@dataclasses.dataclass
class ExpireMessages(Operation):
    """Marks the given messages expired unless they reached a final status meanwhile."""
    message_ids: list[str]
    ttl_seconds: int

    def stage(self, batch):
        error = f"not sent within the time to live ({self.ttl_seconds} s)"
        return sum(RecordStatus(message_id, "expired", error).stage(batch)
                   for message_id in self.message_ids)
