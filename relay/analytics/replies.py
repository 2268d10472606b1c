"""Reply links (migration 0004): which message of a client answered which inbound event, derived
as the facts are written, so that a query joins each event to its reply instead of searching
every event's next message (docs/analytics.md has the definition and the figures).

The reply to an inbound event, for one client, is the client's first message accepted strictly
after it, from the same phone, to the same contact (addresses compared in lower case), within
the reply window. Messages are accepted in time order, so a link, once found, never changes.

The writer derives each group's links before its commit, in the same transaction (derive):
  - from memory for what is recent: the inbound events a new message may still answer (those
    of the last window, from `since`), and the messages a newly reported event may have had
    as its reply (those of the last hour, from `sent_since`): phones report an event within
    seconds, and a week of messages per contact would cost memory and a walk per event;
  - from the database for an event older than `sent_since` (a phone that was offline,
    imported history): its committed candidates are read there, and the group's own
    messages are offered as for any event.
At start-up (catch_up) the links of the whole log are derived when there are none yet (the
table is new) or the reply window grew; a shorter window needs nothing, as a query checks each
link against the window in force."""
import collections
import dataclasses
import datetime as dt
import itertools

from relay.core.timefmt import utcnow

MARGIN = dt.timedelta(hours=1)        # memory reaches this much further back than the window
SENT_MEMORY = dt.timedelta(hours=1)   # how far back memory keeps the messages sent
PRUNE_EVERY = dt.timedelta(minutes=1)


def contact_key(address: str) -> str:
    """Two addresses are one contact when equal in lower case (docs/analytics.md)."""
    return address.lower()


# The columns of its event a link carries (migration 0004), after client, message and time.
EVENT_COLUMNS = ("occurred_at", "phone_id", "channel", "event_type", "duration_sec")

# Each event's first message after it, per client, as reply_links rows; {events} gives seq,
# contact and EVENT_COLUMNS, $earliest a time before them all (messages are in time order, so
# DuckDB skips the row groups before it). The ASOF join matches the exact (client, phone,
# contact); it runs only to catch up and for old events, never in a query.
_FIRST_REPLIES = """
    WITH events AS ({events}),
    asked AS (
        SELECT e.*, c.client_id, lower(e.contact) AS contact_key
        FROM events e CROSS JOIN (SELECT DISTINCT client_id FROM messages
                                  WHERE created_at > $earliest) c
        WHERE e.contact IS NOT NULL),
    sent AS (
        SELECT seq, client_id, phone_id, lower(recipient) AS contact_key, created_at
        FROM messages WHERE recipient IS NOT NULL AND created_at > $earliest)
    SELECT a.client_id, a.seq AS event_seq, s.seq AS message_seq, s.created_at AS replied_at,
           """ + ", ".join("a." + c for c in EVENT_COLUMNS) + """
    FROM asked a ASOF JOIN sent s
        ON a.client_id = s.client_id AND a.phone_id = s.phone_id
       AND a.contact_key = s.contact_key AND s.created_at > a.occurred_at
    WHERE s.created_at <= a.occurred_at + $window"""

_STAGED_EVENTS = "SELECT unnest($events, recursive := true)"


def _window_in_force(con) -> int | None:
    row = con.execute("SELECT window_hours FROM reply_windows "
                      "ORDER BY recorded_at DESC LIMIT 1").fetchone()
    return row and row[0]


def catch_up(con, window: dt.timedelta) -> bool:
    """Derives the links the whole log lacks for this window; True if it had to."""
    hours = int(window.total_seconds() // 3600)
    in_force = _window_in_force(con)
    if in_force == hours:
        return False
    grew = in_force is None or in_force < hours
    con.execute("BEGIN TRANSACTION")
    try:
        if grew:
            con.execute(f"""INSERT INTO reply_links
                SELECT * FROM ({_FIRST_REPLIES.format(events='SELECT * FROM inbound_events')}) r
                WHERE NOT EXISTS (SELECT 1 FROM reply_links l
                                  WHERE l.event_seq = r.event_seq AND l.client_id = r.client_id)
                ORDER BY event_seq""", {"window": window, "earliest": dt.datetime.min})
        con.execute("INSERT INTO reply_windows VALUES (?, ?)", [utcnow(), hours])
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    return grew


def _event(row) -> dict:
    """What a link keeps of its event: seq and EVENT_COLUMNS."""
    return {"seq": row["seq"], **{c: row[c] for c in EVENT_COLUMNS}}


@dataclasses.dataclass
class _Open:
    """An inbound event a new message may still answer."""
    event: dict                 # _event()
    answered: set[str]          # the clients that already replied


class ReplyLinks:
    """The writer thread's memory of recent events and messages, and the derivation."""

    def __init__(self, window: dt.timedelta):
        self.window = window
        self.since = self.sent_since = utcnow()
        self._pruned = self.since
        self._open: dict[tuple[str, str], list[_Open]] = {}
        self._sent: dict[tuple[str, str], list[tuple[dt.datetime, int, str]]] = {}

    def load(self, con) -> None:
        """Catches the links up, then remembers the recent events and messages."""
        catch_up(con, self.window)
        self._pruned = utcnow()
        self.since = self._pruned - self.window - MARGIN
        self.sent_since = self._pruned - SENT_MEMORY
        cursor = con.execute(f"""
                SELECT i.seq, {", ".join("i." + c for c in EVENT_COLUMNS)}, i.contact,
                       list(l.client_id) FILTER (l.client_id IS NOT NULL) AS answered
                FROM inbound_events i LEFT JOIN reply_links l ON l.event_seq = i.seq
                WHERE i.occurred_at >= ? AND i.contact IS NOT NULL
                GROUP BY ALL ORDER BY i.seq""", [self.since])
        names = [d[0] for d in cursor.description]
        for values in cursor.fetchall():
            row = dict(zip(names, values))
            self._open.setdefault((row["phone_id"], contact_key(row["contact"])), []).append(
                _Open(_event(row), set(row["answered"] or ())))
        for seq, client_id, phone_id, recipient, created_at in con.execute(
                "SELECT seq, client_id, phone_id, recipient, created_at FROM messages "
                "WHERE created_at >= ? AND recipient IS NOT NULL ORDER BY seq",
                [self.sent_since]).fetchall():
            self._sent.setdefault((phone_id, contact_key(recipient)), []).append(
                (created_at, seq, client_id))

    def derive(self, batch) -> None:
        """Adds the links the batch's messages and events complete to the batch; memory
        follows once it is committed."""
        events = [r for r in batch.rows.get("inbound_events", ()) if r["contact"] is not None]
        sent = [r for r in batch.rows.get("messages", ()) if r["recipient"] is not None]
        if not events and not sent:
            return
        # (event seq, client) -> the first reply: (created_at, message seq, event, _Open)
        links: dict[tuple[int, str], tuple] = {}

        def offer(event, client_id, created_at, message_seq, entry=None):
            occurred_at, key = event["occurred_at"], (event["seq"], client_id)
            if occurred_at < created_at <= occurred_at + self.window:
                if key not in links or (created_at, message_seq) < links[key][:2]:
                    links[key] = (created_at, message_seq, event, entry)

        staged_sent = collections.defaultdict(list)
        for m in sent:
            key = (m["phone_id"], contact_key(m["recipient"]))
            staged_sent[key].append((m["created_at"], m["seq"], m["client_id"]))
            for entry in self._open.get(key, ()):
                if m["client_id"] not in entry.answered:
                    offer(entry.event, m["client_id"], m["created_at"], m["seq"], entry)
        old = [e for e in events if e["occurred_at"] < self.sent_since]
        for e in events:    # the committed candidates of an old event come from the database
            key = (e["phone_id"], contact_key(e["contact"]))
            remembered = () if e["occurred_at"] < self.sent_since else self._sent.get(key, ())
            for created_at, message_seq, client_id in itertools.chain(
                    remembered, staged_sent.get(key, ())):
                offer(_event(e), client_id, created_at, message_seq)
        if old:
            by_seq = {e["seq"]: _event(e) for e in old}
            for client_id, seq, message_seq, created_at, *_ in batch.con.execute(
                    _FIRST_REPLIES.format(events=_STAGED_EVENTS),
                    {"window": self.window,
                     "earliest": min(e["occurred_at"] for e in old), "events": [
                        {**by_seq[e["seq"]], "contact": e["contact"]} for e in old]}).fetchall():
                offer(by_seq[seq], client_id, created_at, message_seq)
        for (seq, client_id), (created_at, message_seq, event, _) in sorted(links.items()):
            batch.add("reply_links", {**event, "client_id": client_id, "event_seq": seq,
                                      "message_seq": message_seq, "replied_at": created_at})
        batch.after_commit(lambda: self._remember(events, staged_sent, links))

    def _remember(self, events, staged_sent, links) -> None:
        for key, rows in staged_sent.items():
            self._sent.setdefault(key, []).extend(rows)
        answered = collections.defaultdict(set)
        for (seq, client_id), (_, _, _, entry) in links.items():
            if entry is not None:
                entry.answered.add(client_id)
            answered[seq].add(client_id)
        for e in events:
            if e["occurred_at"] >= self.since:
                self._open.setdefault((e["phone_id"], contact_key(e["contact"])), []).append(
                    _Open(_event(e), answered[e["seq"]]))
        self._prune()

    def _prune(self) -> None:
        now = utcnow()
        if now - self._pruned < PRUNE_EVERY:
            return
        self._pruned, cutoff, sent_cutoff = now, now - self.window - MARGIN, now - SENT_MEMORY
        self._open = {key: kept for key, entries in self._open.items()
                      if (kept := [e for e in entries if e.event["occurred_at"] >= cutoff])}
        self._sent = {key: kept for key, rows in self._sent.items()
                      if (kept := [r for r in rows if r[0] >= sent_cutoff])}
        self.since, self.sent_since = cutoff, sent_cutoff
