"""A message's statuses, in the one order they may take, and how its current status is read
from the log. The server and the phone agent both use these names.

A message starts queued; a status change is an event in message_events and only moves
forward: queued -> sending -> sent | failed | expired. A late, repeated or backward report
is ignored, so a message's latest event is its current status and a final event is its last."""

QUEUED = "queued"
STATUSES = (QUEUED, "sending", "sent", "failed", "expired")
FINAL = ("sent", "failed", "expired")
# What a phone may report of a message it delivers; `expired` is the server's alone.
PHONE_REPORTS = ("sending", "sent", "failed")
# The final statuses share the last rank: none may follow another.
RANK = {QUEUED: 0, "sending": 1, **dict.fromkeys(FINAL, 2)}


def moves_forward(current: str, new: str) -> bool:
    """Whether `new` may follow `current`: a later status, never one of the same rank."""
    return RANK[new] > RANK[current]


def _sql_list(statuses) -> str:
    return "(" + ", ".join(f"'{status}'" for status in statuses) + ")"


# The current status, last error and delivery time of the messages that have status events,
# one row per message; {where} restricts message_events before grouping (a set of ids, a
# range of seq that lets DuckDB skip older row groups). A message without a row is queued:
# read its status as CURRENT_OR_QUEUED.format(status=<the joined column>). A fragment rather
# than a view: DuckDB does not push a filter on message_id through a view's GROUP BY, so a
# view would group the whole log to read one page's statuses.
CURRENT = """
    SELECT message_id, arg_max(status, seq) AS status,
           arg_max(error, seq) FILTER (WHERE error IS NOT NULL) AS last_error,
           max(delivered_at) AS delivered_at
    FROM message_events {where} GROUP BY message_id"""
CURRENT_OR_QUEUED = f"coalesce({{status}}, '{QUEUED}')"

# SQL true when the message whose id is {message_id} has reached a final status: a final
# event is its last, so its existence is enough and needs no grouping. {also} may narrow the
# events looked at (AND e.seq > ...).
ENDED = ("EXISTS (SELECT 1 FROM message_events e WHERE e.message_id = {message_id} "
         f"AND e.status IN {_sql_list(FINAL)} {{also}})")
