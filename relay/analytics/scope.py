"""The filtered sets one query works on, materialised as temporary tables of the reader's
connection inside one read transaction: `book` (the client's current contacts), `inbound` (the
inbound events that pass every filter, each with its reply's response time) and `sent` (the
client's accepted messages that pass the filters that apply to them). The sections then read
only these small tables. Rolling the transaction back drops them.

See docs/analytics.md for the definitions this SQL implements."""
import dataclasses
import datetime as dt
import uuid

from relay.analytics.filters import Filters
from relay.core.inbound import CALL_TYPES
from relay.store import contacts

# The client's current contacts (relay/store/contacts.py).
_BOOK = ("CREATE TEMP TABLE {book} AS SELECT address, name, coalesce(tags, []) AS tags "
         "FROM (" + contacts.CURRENT.format(where="") + ")")

# An event's own tags, then its contact's that it does not already have.
_TAGS = ("list_concat(coalesce({own}, []), list_filter(coalesce(c.tags, []), "
         "lambda t: NOT list_contains(coalesce({own}, []), t)))")

# The reply to an inbound event: the first message the client sent after it to the same
# contact from the same phone, on any channel (an ASOF join finds it), if within the window.
_INBOUND = """
    CREATE TEMP TABLE {inbound} AS
    WITH replies AS (
        SELECT phone_id, recipient, created_at FROM messages
        WHERE client_id = $client AND recipient IS NOT NULL AND {reply_conditions}),
    base AS (
        SELECT i.seq, i.event_id, i.phone_id, i.channel, i.event_type, i.contact,
               coalesce(c.name, i.contact_name) AS contact_name, i.text, i.duration_sec,
               {tags} AS tags, i.occurred_at
        FROM inbound_events i LEFT JOIN {book} c ON c.address = i.contact
        WHERE {conditions}),
    answered AS (
        SELECT b.*, CASE WHEN r.created_at <= b.occurred_at + $window
                         THEN round(epoch(r.created_at - b.occurred_at) / 60.0, 2) END
                    AS response_min
        FROM base b ASOF LEFT JOIN replies r
            ON b.phone_id = r.phone_id AND b.contact = r.recipient
               AND r.created_at > b.occurred_at)
    SELECT * FROM answered WHERE {post_conditions}"""

_SENT = """
    CREATE TEMP TABLE {sent} AS
    WITH chosen AS (
        SELECT m.seq, m.message_id, m.created_at, m.channel, m.recipient AS destination,
               {tags} AS tags, c.name AS contact_name
        FROM messages m LEFT JOIN {book} c ON c.address = m.recipient
        WHERE m.client_id = $client AND {conditions}),
    current AS (
        SELECT message_id, arg_max(status, seq) AS status FROM message_events
        WHERE message_id IN (SELECT message_id FROM chosen) GROUP BY message_id)
    SELECT chosen.*, coalesce(current.status, 'queued') AS status
    FROM chosen LEFT JOIN current USING (message_id)
    WHERE {post_conditions}"""


@dataclasses.dataclass(frozen=True)
class Tables:
    book: str
    inbound: str
    sent: str


def _shared_conditions(f: Filters, column: str, alias: str, params: dict) -> list[str]:
    """Range, phone and channel: these narrow the inbound and the sent sets alike."""
    conditions = []
    if f.since is not None:
        conditions.append(f"{alias}.{column} >= $since")
        params["since"] = f.since
    if f.until is not None:
        conditions.append(f"{alias}.{column} < $until")
        params["until"] = f.until
    if f.phone_id is not None:
        conditions.append(f"{alias}.phone_id = $phone_id")
        params["phone_id"] = f.phone_id
    if f.channels:
        conditions.append(f"list_contains($channels, {alias}.channel)")
        params["channels"] = list(f.channels)
    return conditions


def _tag_and_source_conditions(f: Filters, address: str, params: dict) -> list[str]:
    conditions = []
    if f.tags:
        function = "list_has_all" if f.tag_mode == "all" else "list_has_any"
        conditions.append(f"{function}(tags, $tags)")
        params["tags"] = list(f.tags)
    if f.source_contains is not None:
        conditions.append(f"(contains(lower(coalesce({address}, '')), $needle) OR "
                          "contains(lower(coalesce(contact_name, '')), $needle))")
        params["needle"] = f.source_contains.lower()
    return conditions


def _inbound_sql(f: Filters, tables: Tables, window: dt.timedelta, params: dict) -> str:
    conditions = _shared_conditions(f, "occurred_at", "i", params)
    if f.event_types:
        kinds = set(f.event_types)
        if "call" in kinds:            # 'call' means any call, whatever its outcome
            kinds.update(CALL_TYPES)
        conditions.append("list_contains($event_types, i.event_type)")
        params["event_types"] = sorted(kinds)
    if f.min_duration_sec is not None:
        conditions.append("i.duration_sec >= $min_duration")
        params["min_duration"] = f.min_duration_sec
    if f.max_duration_sec is not None:
        conditions.append("i.duration_sec <= $max_duration")
        params["max_duration"] = f.max_duration_sec
    reply_conditions = []
    if f.since is not None:
        reply_conditions.append("created_at > $since")
    if f.until is not None:
        reply_conditions.append("created_at <= $reply_until")
        params["reply_until"] = f.until + window
    params["window"] = window
    post = _tag_and_source_conditions(f, "contact", params)
    if f.has_response is not None:
        post.append(f"response_min IS {'NOT ' if f.has_response else ''}NULL")
    return _INBOUND.format(inbound=tables.inbound, book=tables.book,
                           tags=_TAGS.format(own="i.tags"),
                           reply_conditions=" AND ".join(reply_conditions) or "true",
                           conditions=" AND ".join(conditions) or "true",
                           post_conditions=" AND ".join(post) or "true")


def _sent_sql(f: Filters, tables: Tables, params: dict) -> str:
    conditions = _shared_conditions(f, "created_at", "m", params)
    post = _tag_and_source_conditions(f, "destination", params)
    return _SENT.format(sent=tables.sent, book=tables.book, tags=_TAGS.format(own="m.tags"),
                        conditions=" AND ".join(conditions) or "true",
                        post_conditions=" AND ".join(post) or "true")


def materialise(cur, client_id: str, f: Filters, window: dt.timedelta) -> Tables:
    """Creates the three tables; call inside a transaction the caller rolls back."""
    suffix = uuid.uuid4().hex[:16]
    tables = Tables(f"q_book_{suffix}", f"q_inbound_{suffix}", f"q_sent_{suffix}")
    cur.execute(_BOOK.format(book=tables.book), {"client": client_id})
    for build in (lambda p: _inbound_sql(f, tables, window, p),
                  lambda p: _sent_sql(f, tables, p)):
        params = {"client": client_id}
        sql = build(params)
        cur.execute(sql, params)
    return tables
