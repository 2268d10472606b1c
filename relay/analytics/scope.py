"""The filtered sets one query works on, as common table expressions of the query's one
statement: `book` (the client's current contacts), `inbound` (the inbound events that pass
every filter), `answered` (the same, each with its reply's response time) and `sent` (the
client's accepted messages that pass the filters that apply to them). The sections read only
these.

See docs/analytics.md for the definitions this SQL implements."""
import datetime as dt

from relay.analytics.filters import Filters
from relay.core.inbound import CALL_TYPES
from relay.analytics import contacts

# The client's current contacts (relay/analytics/contacts.py).
_BOOK = ("book AS MATERIALIZED (SELECT contact_key AS address, name, coalesce(tags, []) AS tags "
         "FROM (" + contacts.CURRENT.format(where="") + "))")

# The client's events waiting for a reply (relay/alerts/): past a rule's deadline, alerted,
# and not answered since (a late reply records answered_late in the same commit as its link).
_WAITING = """
    waiting AS NOT MATERIALIZED (
        SELECT w.event_seq AS seq, w.rule_id, w.deadline_at FROM response_alerts w
        WHERE w.client_id = $client AND w.fact = 'waiting' AND NOT EXISTS (
            SELECT 1 FROM response_alerts a WHERE a.fact = 'answered_late'
               AND a.client_id = w.client_id AND a.event_seq = w.event_seq))"""

# An event's own tags, then its contact's that it does not already have.
TAGS = ("list_concat(coalesce({own}, []), list_filter(coalesce(c.tags, []), "
        "lambda t: NOT list_contains(coalesce({own}, []), t)))")

# The inbound events that pass every filter (`inbound`), and the same with each reply's
# response time (`answered`), the reply being its client's link (relay/analytics/replies.py,
# derived as the facts were written) if within the window in force. Only the sections that
# need the response join the links (a hash join on seq); searching each event's next message
# at query time (an ASOF join) costs more than every section together. `inbound` is computed
# once (MATERIALIZED) only where that is cheaper than each section scanning the log with its
# own columns: when it joins the address book (a tag or source filter) or the links
# (has_response). bench/bench_analytics.py measures it (docs/performance.md).
# The set stays narrow (what the filters and sections need); `events` fetches the details
# of its few rows from inbound_events. Tags and names join in only when a filter needs them.
_INBOUND = """
    base AS {base} (
        SELECT * FROM (
            SELECT i.seq, i.channel, i.event_type, {contact} AS contact, i.duration_sec,
                   i.occurred_at {details}
            FROM inbound_events i {book_join}
            WHERE {conditions})
        WHERE {post_conditions}),
    answered AS {answered} (
        SELECT b.*, {response} AS response_min
        FROM base b LEFT JOIN reply_links l ON l.event_seq = b.seq AND l.client_id = $client
        WHERE {response_conditions}),
    inbound AS NOT MATERIALIZED (SELECT * FROM {inbound}),
    responses AS NOT MATERIALIZED ({responses})"""
# The minutes from an event ({event}) to its reply ({link}, a reply_links row), if within the
# window.
RESPONSE = ("CASE WHEN {link}.replied_at <= {event}.occurred_at + $window "
            "THEN round(epoch({link}.replied_at - {event}.occurred_at) / 60.0, 2) END")
# `responses`, the response times of the filtered events that got a reply, from the links
# alone when the filters are on columns a link carries (relay/analytics/replies.py): the join of
# every event with the links costs more than the rest of the summary.
_LINKED = ("SELECT {response} AS response_min FROM reply_links i "
           "WHERE i.client_id = $client AND {conditions}")


def contact_key(alias: str, column: str) -> str:
    """An address as the query compares and groups it: in lower case, as the reply links
    (relay/analytics/replies.py) and the address book compare it. Most channels' addresses are
    lower case already; an e-mail's local part and a chat thread's name may not be."""
    return f"lower({alias}.{column})"


# An inbound event's contact name: the address book's, else the one the phone reported.
NAME = "coalesce(c.name, i.contact_name)"

# The client's accepted messages. A message's tags (its own, then its recipient's contact's)
# and contact name join in only when a filter needs them (sent_by_tag merges the contact's
# tags itself; merging again is harmless). Statuses are read by the sections that show them
# (sections.py): the status of every sent message, joined back to each, costs more than the
# rest of the sent side. Like `inbound`, the set is computed once (MATERIALIZED) only when
# it joins the address book; else each section reads the log with its own columns.
_SENT = """
    sent AS {sent} (
        SELECT * FROM (
            SELECT m.seq, m.message_id, m.created_at, m.channel, {destination} AS destination,
                   {details}
            FROM messages m {book_join}
            WHERE m.client_id = $client AND {conditions})
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
    params["window"] = window
    post = _tag_and_source_conditions(f, "contact", params)
    if f.waiting is not None:
        post.append(f"seq {'' if f.waiting else 'NOT '}IN (SELECT seq FROM waiting)")
    needs_book = bool(f.tags) or f.source_contains is not None
    filtered = f.has_response is not None
    return _INBOUND.format(
        base="MATERIALIZED" if needs_book and not filtered else "NOT MATERIALIZED",
        answered="MATERIALIZED" if filtered else "NOT MATERIALIZED",
        inbound="answered" if filtered else "base",
        details=f", {TAGS.format(own='i.tags')} AS tags, {NAME} AS contact_name"
                if needs_book else "",
        contact=contact_key("i", "contact"),
        book_join=f"LEFT JOIN book c ON c.address = {contact_key('i', 'contact')}"
                  if needs_book else "",
        conditions=" AND ".join(conditions) or "true",
        post_conditions=" AND ".join(post) or "true",
        response=RESPONSE.format(link="l", event="b"),
        responses="SELECT response_min FROM answered"
        if needs_book or filtered or f.waiting is not None else
        _LINKED.format(response=RESPONSE.format(link="i", event="i"),
                       conditions=" AND ".join(conditions) or "true"),
        response_conditions="true" if not filtered else
        f"response_min IS {'NOT ' if f.has_response else ''}NULL")


def _sent_sql(f: Filters, params: dict) -> str:
    conditions = _shared_conditions(f, "created_at", "m", params)
    post = _tag_and_source_conditions(f, "destination", params)
    destination = contact_key("m", "recipient")
    needs_book = bool(f.tags) or f.source_contains is not None
    return _SENT.format(sent="MATERIALIZED" if needs_book else "NOT MATERIALIZED",
                        destination=destination,
                        details=f"{TAGS.format(own='m.tags')} AS tags, c.name AS contact_name"
                                if needs_book else "m.tags",
                        book_join=f"LEFT JOIN book c ON c.address = {destination}"
                                  if needs_book else "",
                        conditions=" AND ".join(conditions) or "true",
                        post_conditions=" AND ".join(post) or "true")


def common_tables(client_id: str, f: Filters, window: dt.timedelta) -> tuple[str, dict]:
    """The WITH clause that defines book, waiting, inbound and sent, and its bound values."""
    params = {"client": client_id}
    sql = ",".join((_BOOK, _WAITING, _inbound_sql(f, window, params), _sent_sql(f, params)))
    return "WITH " + sql, params
