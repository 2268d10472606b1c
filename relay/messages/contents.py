"""What a delivery needs of a message, read from the log as the bus carries it
(relay/store/events.py MessageAccepted): for the phone queues' reads and the scheduler's
releases. Run on reader threads."""
from relay.store.bodies import MESSAGE_JOIN, open_sealed

# `send_at`: when a scheduled message may go (its latest reschedule, else what it was accepted
# with); NULL for one that went at once.
_COLUMNS = ("m.message_id", "m.phone_id", "m.channel", "m.recipient AS to", "b.text",
            "b.subject", "b.title", "m.tags", "m.created_at", "m.seq", "m.sim",
            "coalesce((SELECT arg_max(x.send_at, x.seq) FROM message_schedule x "
            "WHERE x.message_id = m.message_id AND x.event = 'rescheduled'), m.send_at) "
            "AS send_at", "m.ttl_seconds", "m.expires_at", "m.priority", "m.body")
_NAMES = [column.rsplit(" ", 1)[-1].removeprefix("m.").removeprefix("b.")
          for column in _COLUMNS]
SELECT = f"SELECT {', '.join(_COLUMNS)} FROM messages m {MESSAGE_JOIN}"


def contents(body_keys, rows) -> list[dict]:
    """Rows of SELECT as messages: the body opened (retention keeps it while a message is open)."""
    return [open_sealed(body_keys, dict(zip(_NAMES, row))) for row in rows]


def by_id(cur, body_keys, message_ids: list[str]) -> list[dict]:
    """The contents of these messages, in the order of acceptance."""
    return contents(body_keys, cur.execute(
        f"{SELECT} WHERE list_contains($ids, m.message_id) ORDER BY m.seq",
        {"ids": message_ids}).fetchall())
