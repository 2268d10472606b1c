"""Reads of messages for the API. Run on reader threads; every value is bound."""
import base64
import datetime as dt

from relay.core.errors import bad_request
from relay.messages.delivery import outcomes
from relay.messages.schedule import timings
from relay.messages.validate import SERVER_CHANNELS
from relay.core.numbers import ascii_digits
from relay.core.statuses import CURRENT, CURRENT_OR_QUEUED, FINAL, QUEUED
from relay.core.timefmt import iso
from relay.store.bodies import MESSAGE_JOIN, message_body, open_sealed
from relay.store.readers import snapshot

_MESSAGE_COLUMNS = ("m.seq, m.message_id, m.created_at, m.phone_id, m.channel, m.recipient, "
                    "m.source, m.tags, m.idempotency_key, m.sim, m.send_at, m.ttl_seconds, "
                    "m.expires_at, m.priority, m.encoding, m.segments, m.body")
# text, subject and title are the body's (relay/store/bodies.py): NULL once retention dropped it.
_COLUMNS = (_MESSAGE_COLUMNS + ", b.text, b.subject, b.title"
            f", {CURRENT_OR_QUEUED.format(status='s.status')} AS status"
            ", s.last_error, s.delivered_at")
_NAMES = ("seq", "message_id", "created_at", "phone_id", "channel", "to", "source", "tags",
          "idempotency_key", "sim", "send_at", "ttl_seconds", "expires_at", "priority",
          "encoding", "segments", "body", "text", "subject", "title", "status", "last_error",
          "delivered_at")


def _message(row, body_keys) -> dict:
    message = open_sealed(body_keys, dict(zip(_NAMES, row)))
    del message["seq"]
    for name in ("created_at", "delivered_at"):
        message[name] = iso(message[name])
    message["tags"] = list(message["tags"] or [])
    message["next_attempt_at"] = None
    return message


def _with_attempts(cur, messages: list[dict]) -> list[dict]:
    """An open email or tg_bot message shows its latest failed attempt's reason as last_error
    and when the next attempt is due (none while one is under way): the attempts log has both
    from the moment an attempt ends, well before any status change."""
    open_ids = [m["message_id"] for m in messages
                if m["channel"] in SERVER_CHANNELS and m["status"] not in FINAL]
    if not open_ids:
        return messages
    latest = {message_id: (error, next_at if event == "ended" else None)
              for message_id, error, next_at, event in cur.execute("""
        SELECT message_id, arg_max(error, seq) FILTER (WHERE error IS NOT NULL),
               arg_max(next_attempt_at, seq), arg_max(event, seq)
        FROM send_attempts WHERE list_contains(?, message_id) GROUP BY message_id""",
        [open_ids]).fetchall()}
    for message in messages:
        error, next_at = latest.get(message["message_id"], (None, None))
        message["last_error"] = error or message["last_error"]
        message["next_attempt_at"] = iso(next_at)
    return messages


def get_message(cur, body_keys, client_id: str, message_id: str,
                default_ttl: dt.timedelta) -> dict | None:
    """The message with its history, outcome, schedule and attempts, all read in one snapshot:
    an attempt committed between two of the reads would show its error on a message still
    queued."""
    with snapshot(cur):
        return _get_message(cur, body_keys, client_id, message_id, default_ttl)


def _get_message(cur, body_keys, client_id: str, message_id: str,
                 default_ttl: dt.timedelta) -> dict | None:
    row = cur.execute(f"SELECT {_MESSAGE_COLUMNS} FROM messages m "
                      "WHERE m.message_id = $id AND m.client_id = $client",
                      {"id": message_id, "client": client_id}).fetchone()
    if row is None:
        return None
    # The body sealed in the row, or an older message's apart, by its time: a join would scan
    # every body's id (2M messages: 40 ms, not 21).
    body = message_body(cur, body_keys, message_id, row[2], row[-1])
    # A message's events all come after it in the log: seq skips the older row groups.
    events = cur.execute("SELECT status, recorded_at, error, delivered_at FROM message_events "
                         "WHERE seq > ? AND message_id = ? ORDER BY seq",
                         [row[0], message_id]).fetchall()
    errors = [error for _, _, error, _ in events if error is not None]
    delivered = [at for *_, at in events if at is not None]
    message = _message((*row[:-1], None, *body, events[-1][0] if events else QUEUED,
                        errors[-1] if errors else None, max(delivered) if delivered else None),
                       body_keys)
    message["history"] = [{"status": QUEUED, "at": message["created_at"], "error": None}] + [
        {"status": status, "at": iso(at), "error": error} for status, at, error, _ in events]
    outcomes(cur, [message], row[0])
    timings(cur, [message], row[0], default_ttl)
    if message["delivery_result"] is not None:
        message["history"].append({"status": "sent", "at": message["delivery_reported_at"],
                                   "error": None, "delivery_result": message["delivery_result"]})
    return _with_attempts(cur, [message])[0]


def message_statuses(cur, message_ids: list[str]) -> dict[str, str]:
    """message_id -> its current status, for each of message_ids."""
    where = "WHERE list_contains(?, message_id)"
    found = dict(cur.execute(f"SELECT message_id, status FROM ({CURRENT.format(where=where)})",
                             [message_ids]).fetchall())
    return {message_id: found.get(message_id, QUEUED) for message_id in message_ids}


MAX_SEQ = 2**63 - 1     # a BIGINT: a larger number in a forged cursor cannot be bound


def encode_cursor(seq: int) -> str:
    return base64.urlsafe_b64encode(f"s{seq}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        text = ""
    seq = ascii_digits(text[1:]) if text.startswith("s") else None
    if seq is None or seq > MAX_SEQ:
        raise bad_request("cursor", "'cursor' is not a cursor this relay gave out")
    return seq


# filter name -> SQL condition on the joined row; values are bound as $name.
LIST_FILTERS = {
    "status": CURRENT_OR_QUEUED.format(status="s.status") + " = $status",
    "channel": "m.channel = $channel",
    "phone_id": "m.phone_id = $phone_id",
    "source": "m.source = $source",
    "since": "m.created_at >= $since",
    "until": "m.created_at < $until",
    "cursor": "m.seq < $cursor",
}


def list_messages(cur, body_keys, client_id: str, filters: dict, limit: int,
                  default_ttl: dt.timedelta) -> tuple[list, str | None]:
    """filters: a subset of LIST_FILTERS' names with already validated values. The page and
    what is added to it are read in one snapshot, as get_message's are."""
    with snapshot(cur):
        return _list_messages(cur, body_keys, client_id, filters, limit, default_ttl)


def _list_messages(cur, body_keys, client_id: str, filters: dict, limit: int,
                   default_ttl: dt.timedelta) -> tuple[list, str | None]:
    conditions = ["m.client_id = $client"] + [LIST_FILTERS[name] for name in filters]
    params = {"client": client_id, "limit": limit + 1, **filters}
    if "status" in filters:      # the status of every candidate is needed to filter
        rows = cur.execute(
            f"WITH s AS ({CURRENT.format(where='')}), "
            "     m AS (SELECT m.* FROM messages m LEFT JOIN s USING (message_id) "
            f"           WHERE {' AND '.join(conditions)} ORDER BY m.seq DESC LIMIT $limit) "
            f"SELECT {_COLUMNS} FROM m LEFT JOIN s USING (message_id) {MESSAGE_JOIN} "
            "ORDER BY m.seq DESC", params).fetchall()
    else:
        # The page first, then the status events of its messages only: they all come after
        # the page's oldest message in the log, so seq skips the older row groups.
        rows = cur.execute(
            f"WITH m AS (SELECT * FROM messages m WHERE {' AND '.join(conditions)} "
            "            ORDER BY m.seq DESC LIMIT $limit) "
            f"SELECT {_COLUMNS} FROM m LEFT JOIN ("
            + CURRENT.format(where="WHERE seq >= (SELECT min(seq) FROM m) "
                                    "AND message_id IN (SELECT message_id FROM m)")
            + f") s USING (message_id) {MESSAGE_JOIN} ORDER BY m.seq DESC", params).fetchall()
    next_cursor = encode_cursor(rows[limit - 1][0]) if len(rows) > limit else None
    page = [_message(row, body_keys) for row in rows[:limit]]
    if page:    # the page's oldest message is its last
        outcomes(cur, page, rows[len(page) - 1][0])
        timings(cur, page, rows[len(page) - 1][0], default_ttl)
    return _with_attempts(cur, page), next_cursor
