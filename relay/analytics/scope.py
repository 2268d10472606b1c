"""The filtered sets one query works on, as common table expressions of the query's one
statement: `book` (the client's current contacts), `inbound` (the inbound events that pass
every filter, each with its reply's response time) and `sent` (the client's accepted messages
that pass the filters that apply to them). The sections read only these, and each is computed
once (MATERIALIZED: inlining them into each section was faster at 1M events but three times
slower at 10M, where the reply join then ran once per section that needs it).

See docs/analytics.md for the definitions this SQL implements."""
import datetime as dt

from relay.analytics.filters import Filters
from relay.core.inbound import CALL_TYPES
from relay.store import contacts

# The client's current contacts (relay/store/contacts.py).
_BOOK = ("book AS MATERIALIZED (SELECT address, name, coalesce(tags, []) AS tags "
         "FROM (" + contacts.CURRENT.format(where="") + "))")

# An event's own tags, then its contact's that it does not already have.
TAGS = ("list_concat(coalesce({own}, []), list_filter(coalesce(c.tags, []), "
        "lambda t: NOT list_contains(coalesce({own}, []), t)))")

# The reply to an inbound event: the first message the client sent after it to the same
# contact from the same phone, on any channel (an ASOF join finds it), if within the window.
# The join matches a 64-bit hash of (phone, contact): integer keys join several times faster
# than the strings, and a collision among a store's contacts is vanishingly unlikely.
# The set stays narrow (what the filters and sections need); `events` fetches the details
# of its few rows from inbound_events. Tags and names join in only when a filter needs them.
_INBOUND = """
    replies AS (
        SELECT hash(phone_id, recipient) AS reply_key, created_at FROM messages
        WHERE client_id = $client AND recipient IS NOT NULL AND {reply_conditions}),
    base AS (
        SELECT i.seq, i.phone_id, i.channel, i.event_type, i.contact, i.duration_sec,
               i.occurred_at, hash(i.phone_id, i.contact) AS reply_key {details}
        FROM inbound_events i {book_join}
        WHERE {conditions}),
    answered AS (
        SELECT b.* EXCLUDE (reply_key),
               CASE WHEN r.created_at <= b.occurred_at + $window
                    THEN round(epoch(r.created_at - b.occurred_at) / 60.0, 2) END
                   AS response_min
        FROM base b ASOF LEFT JOIN replies r
            ON b.reply_key = r.reply_key AND r.created_at > b.occurred_at),
    inbound AS MATERIALIZED (SELECT * FROM answered WHERE {post_conditions})"""
# An inbound event's contact name: the address book's, else the one the phone reported.
NAME = "coalesce(c.name, i.contact_name)"

_SENT = """
    chosen AS (
        SELECT m.seq, m.message_id, m.created_at, m.channel, m.recipient AS destination,
               {tags} AS tags, c.name AS contact_name
        FROM messages m LEFT JOIN book c ON c.address = m.recipient
        WHERE m.client_id = $client AND {conditions}),
    current AS (
        SELECT message_id, arg_max(status, seq) AS status FROM message_events
        WHERE message_id IN (SELECT message_id FROM chosen) GROUP BY message_id),
    sent AS MATERIALIZED (
        SELECT chosen.*, coalesce(current.status, 'queued') AS status
        FROM chosen LEFT JOIN current USING (message_id)
        WHERE {post_conditions})"""


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


def _inbound_sql(f: Filters, window: dt.timedelta, params: dict) -> str:
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
    needs_book = bool(f.tags) or f.source_contains is not None
    return _INBOUND.format(
        details=f", {TAGS.format(own='i.tags')} AS tags, {NAME} AS contact_name"
                if needs_book else "",
        book_join="LEFT JOIN book c ON c.address = i.contact" if needs_book else "",
        reply_conditions=" AND ".join(reply_conditions) or "true",
        conditions=" AND ".join(conditions) or "true",
        post_conditions=" AND ".join(post) or "true")


def _sent_sql(f: Filters, params: dict) -> str:
    conditions = _shared_conditions(f, "created_at", "m", params)
    post = _tag_and_source_conditions(f, "destination", params)
    return _SENT.format(tags=TAGS.format(own="m.tags"),
                        conditions=" AND ".join(conditions) or "true",
                        post_conditions=" AND ".join(post) or "true")


def common_tables(client_id: str, f: Filters, window: dt.timedelta) -> tuple[str, dict]:
    """The WITH clause that defines book, inbound and sent, and its bound values."""
    params = {"client": client_id}
    sql = ",".join((_BOOK, _inbound_sql(f, window, params), _sent_sql(f, params)))
    return "WITH " + sql, params
