"""The report's sections, all computed by one statement: each section adds scalar subqueries
over the filtered sets (relay/analytics/scope.py) as columns of a one-row SELECT, so the
whole report reads one snapshot in one round trip; Python only shapes the row.

List sections hold at most $limit rows: the answer's `limit` for JSON, the row cap plus one
for exports (to see that it was passed). Ties are broken by name, so answers are reproducible."""
from relay.analytics import scope
from relay.core.inbound import CALL_TYPES
from relay.core.statuses import CURRENT, CURRENT_OR_QUEUED, QUEUED
from relay.core.timefmt import iso, utcnow
from relay.store.bodies import INBOUND_JOIN
from relay.phones.inbound import event_payload

_CALLS = "event_type IN ('" + "', '".join(CALL_TYPES) + "')"
# Local days and hours: count per UTC quarter-hour first (an integer division), then convert
# only those few buckets to the query's time zone; every zone's offset is a whole number of
# quarter-hours, so a bucket never straddles a local hour.
_QUARTERS = """(
    SELECT list({{'local': local, 'n': n}} ORDER BY local) FROM (
        SELECT {bucket} AS local, sum(n) AS n FROM (
            SELECT epoch_us({column}) // 900000000 AS q, count(*) AS n FROM ({rows})
            GROUP BY q)
        GROUP BY local))"""
_SORTS = {
    "newest": "occurred_at DESC, seq DESC",
    "oldest": "occurred_at ASC, seq ASC",
    "slowest": "response_min DESC NULLS LAST, occurred_at DESC, seq DESC",
    "fastest": "response_min ASC NULLS LAST, occurred_at DESC, seq DESC",
    "longest": "duration_sec DESC NULLS LAST, occurred_at DESC, seq DESC",
    "waiting": "waiting_since ASC NULLS LAST, occurred_at DESC, seq DESC",
}
# An event's time if it is waiting (relay/alerts/), for sort=waiting: those first, oldest first.
_WAITING_SINCE = "CASE WHEN w.seq IS NOT NULL THEN {event}.occurred_at END AS waiting_since"


def _statuses(ids: str) -> str:
    """The current status of the messages of `ids` (a set with message_id) that have events."""
    return CURRENT.format(where=f"WHERE message_id IN (SELECT message_id FROM {ids})")


_EMAILS = ("SELECT contact AS address, occurred_at AS time FROM inbound WHERE channel = 'email' "
           "UNION ALL SELECT destination, created_at FROM sent WHERE channel = 'email'")


def _counted(table: str, key: str, where: str = "true", count: str = "count(*)") -> str:
    """[{k, n}] of `table` grouped by `key`: largest first, at most $limit."""
    return (f"(SELECT list({{'k': k, 'n': n}} ORDER BY n DESC, k) FROM ("
            f"SELECT {key} AS k, {count} AS n FROM {table} WHERE {where} AND {key} IS NOT NULL "
            f"GROUP BY k ORDER BY n DESC, k LIMIT $limit))")


def _ranked(name: str, count: str = "count"):
    return lambda rows: [{name: row["k"], count: row["n"]} for row in rows or []]


def _waiting(row: dict) -> dict | None:
    """An event's mark when it waits for a reply: its rule and its deadline."""
    if row["rule_id"] is None:
        return None
    return {"rule_id": row["rule_id"], "deadline_at": iso(row["deadline_at"])}


def waiting_row(row: dict, now) -> dict:
    """A row of the `waiting` section (and the portal's waiting list)."""
    return {"message_id": row["event_id"], "phone_id": row["phone_id"],
            "event_type": row["event_type"], "channel": row["channel"],
            "source": row["contact"], "contact_name": row["contact_name"],
            "occurred_at": iso(row["occurred_at"]), "rule_id": row["rule_id"],
            "deadline_at": iso(row["deadline_at"]),
            "waited_min": round((now - row["occurred_at"]).total_seconds() / 60, 1)}


def _sorted(counts: dict | None) -> dict:
    return dict(sorted((counts or {}).items()))


class Sections:
    """The sections of one query. Each method adds the columns it needs and returns the
    function that shapes them from the row; run() executes the statement."""

    def __init__(self, cur, client_id: str, filters, window):
        self.cur, self.f = cur, filters
        self.with_clause, self.params = scope.common_tables(client_id, filters, window)
        self.columns: dict[str, str] = {}

    def _column(self, name: str, sql: str) -> str:
        self.columns[name] = sql
        return name

    def run(self, shapers: dict, limit: int) -> dict:
        names = list(self.columns)
        sql = (self.with_clause + " SELECT "
               + ", ".join(f"{self.columns[n]} AS {n}" for n in names))
        params = {**self.params, "tz": self.f.tz, "limit": limit}
        row = self.cur.execute(sql, {k: v for k, v in params.items()
                                     if f"${k}" in sql}).fetchone()
        values = dict(zip(names, row))
        return {name: shape(values) for name, shape in shapers.items()}

    def _local(self, name: str, bucket: str, column: str, rows: str) -> str:
        local = bucket.format("timezone($tz, to_timestamp(q * 900))")
        return self._column(name, _QUARTERS.format(bucket=local, column=column, rows=rows))

    # -- the inbound side ---------------------------------------------------------------
    def summary(self):
        # One pass over the inbound set (histogram() counts the channels in the same scan);
        # only the median needs the replies.
        totals = self._column("summary", f"""(SELECT {{
            'inbound_total': count(*), 'calls_total': count(*) FILTER ({_CALLS}),
            'messages_total': count(*) FILTER (event_type = 'message'),
            'answered_calls': count(*) FILTER (event_type = 'answered'),
            'missed_calls': count(*) FILTER (event_type = 'missed'),
            'avg_call_duration_sec': coalesce(avg(duration_sec) FILTER ({_CALLS}), 0),
            'median_response_min': (SELECT coalesce(median(response_min), 0) FROM responses),
            'channels': histogram(channel)}}
            FROM inbound)""")
        return lambda v: {**v[totals], "avg_call_duration_sec":
                          round(float(v[totals]["avg_call_duration_sec"]), 1),
                          "median_response_min": round(float(v[totals]["median_response_min"]), 2),
                          "channels": _sorted(v[totals]["channels"])}

    def hourly(self):
        name = self._local("hourly", "hour({})", "occurred_at", "SELECT * FROM inbound")

        def shape(v):
            counts = {row["local"]: row["n"] for row in v[name] or []}
            return [{"hour": hour, "count": counts.get(hour, 0)} for hour in range(24)]
        return shape

    def top_contacts(self):
        name = self._column("top_contacts", _counted("inbound", "contact"))
        return lambda v: _ranked("source", "total")(v[name])

    def events(self):
        sort = _SORTS[self.f.sort]
        source = "answered" if "response_min" in sort else "inbound"
        if self.f.sort == "waiting":
            source = (f"(SELECT s.*, {_WAITING_SINCE.format(event='s')} FROM inbound s "
                      "LEFT JOIN waiting w USING (seq))")
        name = self._column("events", f"""(
            SELECT list({{'event_id': event_id, 'phone_id': phone_id, 'event_type': event_type,
                          'channel': channel, 'contact': contact, 'contact_name': contact_name,
                          'text': text, 'duration_sec': duration_sec, 'tags': tags,
                          'occurred_at': occurred_at, 'response_min': response_min,
                          'rule_id': rule_id, 'deadline_at': deadline_at}}
                        ORDER BY {sort})
            FROM (SELECT i.seq, i.event_id, i.phone_id, i.event_type, i.channel, i.contact,
                         {scope.NAME} AS contact_name, ib.text, i.duration_sec,
                         {scope.TAGS.format(own="i.tags")} AS tags, i.occurred_at,
                         chosen.response_min, w.rule_id, w.deadline_at,
                         {_WAITING_SINCE.format(event="i")}
                  FROM (SELECT e.seq, {scope.RESPONSE.format(link="l", event="e")} AS response_min
                        FROM (SELECT seq, occurred_at FROM {source} ORDER BY {sort}
                              LIMIT $limit) AS e
                        LEFT JOIN reply_links l
                            ON l.event_seq = e.seq AND l.client_id = $client) AS chosen
                  JOIN inbound_events i USING (seq) {INBOUND_JOIN}
                  LEFT JOIN waiting w USING (seq)
                  LEFT JOIN book c ON c.address = {scope.contact_key("i", "contact")}))""")
        return lambda v: [{**event_payload(row), "response_min": row["response_min"],
                           "waiting": _waiting(row)} for row in v[name] or []]

    def waiting(self):
        """The filtered events waiting for a reply, oldest first, with their rule."""
        name = self._column("waiting", f"""(
            SELECT list({{'event_id': event_id, 'phone_id': phone_id, 'event_type': event_type,
                          'channel': channel, 'contact': contact, 'contact_name': contact_name,
                          'occurred_at': occurred_at, 'rule_id': rule_id,
                          'deadline_at': deadline_at}} ORDER BY occurred_at, seq)
            FROM (SELECT i.seq, i.event_id, i.phone_id, i.event_type, i.channel, i.contact,
                         {scope.NAME} AS contact_name, i.occurred_at, w.rule_id, w.deadline_at
                  FROM waiting w JOIN inbound_events i USING (seq)
                  LEFT JOIN book c ON c.address = {scope.contact_key("i", "contact")}
                  WHERE w.seq IN (SELECT seq FROM inbound)
                  ORDER BY i.occurred_at, i.seq LIMIT $limit))""")
        return lambda v: [waiting_row(row, utcnow()) for row in v[name] or []]

    def answered_in_time(self):
        """Per local day and response rule, the filtered events whose deadline has passed
        (`due`) and those replied to by then: the share answered in time."""
        self.params["now"] = utcnow()
        name = self._column("answered_in_time", """(
            SELECT list({'day': day, 'rule_id': rule_id, 'due': due, 'in_time': in_time}
                        ORDER BY day, rule_id)
            FROM (SELECT CAST(timezone($tz, to_timestamp(epoch(d.occurred_at))) AS DATE) AS day,
                         d.rule_id, count(*) AS due,
                         count(*) FILTER (l.replied_at <= d.deadline_at) AS in_time
                  FROM response_alerts d LEFT JOIN reply_links l
                      ON l.event_seq = d.event_seq AND l.client_id = d.client_id
                  WHERE d.client_id = $client AND d.fact = 'due' AND d.deadline_at <= $now
                    AND d.event_seq IN (SELECT seq FROM inbound)
                  GROUP BY ALL ORDER BY day, rule_id LIMIT $limit))""")
        return lambda v: [{"day": row["day"].isoformat(), "rule_id": row["rule_id"],
                           "due": row["due"], "answered_in_time": row["in_time"],
                           "share": round(row["in_time"] / row["due"], 3)}
                          for row in v[name] or []]

    # -- the sent side ------------------------------------------------------------------
    def sent_summary(self):
        # Statuses of the messages that have status events; the rest are still queued.
        name = self._column("sent_summary", f"""(SELECT {{
            'sent_total': count(*), 'channels': histogram(channel),
            'statuses': (SELECT histogram(status) FROM ({_statuses("sent")})),
            'deliveries': (SELECT histogram(result) FROM delivery_reports
                           WHERE message_id IN (SELECT message_id FROM sent))}}
            FROM sent)""")

        def shape(v):
            total, statuses = v[name]["sent_total"], dict(v[name]["statuses"] or {})
            if total > sum(statuses.values()):
                statuses[QUEUED] = statuses.get(QUEUED, 0) + total - sum(statuses.values())
            deliveries = v[name]["deliveries"] or {}
            return {"sent_total": total, "channels": _sorted(v[name]["channels"]),
                    "statuses": _sorted(statuses),
                    "delivered": deliveries.get("delivered", 0),
                    "undelivered": deliveries.get("undelivered", 0)}
        return shape

    def sent_by_channel(self):
        summary = self.sent_summary()
        return lambda v: summary(v)["channels"]

    def _days(self, name: str, column: str, rows: str):
        name = self._local(name, "CAST({} AS DATE)", column, rows)
        return lambda v: [{"day": row["local"].isoformat(), "count": row["n"]}
                          for row in v[name] or []]

    def sent_by_day(self):
        return self._days("sent_by_day", "created_at", "SELECT * FROM sent")

    def sent_by_person(self):
        name = self._column("sent_by_person", """(
            SELECT list({'destination': destination, 'total': n, 'last_sent': last}
                        ORDER BY n DESC, destination)
            FROM (SELECT destination, count(*) AS n, max(created_at) AS last FROM sent
                  WHERE destination IS NOT NULL GROUP BY destination
                  ORDER BY n DESC, destination LIMIT $limit))""")
        return lambda v: [{**row, "last_sent": iso(row["last_sent"])} for row in v[name] or []]

    def sent_by_tag(self):
        # A message without tags of its own has its contact's: those count per recipient, so
        # the tags merge only for the messages that have their own (merging again is harmless).
        tagged = (f"(SELECT unnest({scope.TAGS.format(own='s.tags')}) AS tag, 1 AS n FROM sent s "
                  "LEFT JOIN book c ON c.address = s.destination WHERE len(s.tags) > 0 "
                  "UNION ALL SELECT unnest(c.tags), g.n FROM (SELECT destination, count(*) AS n "
                  "FROM sent WHERE coalesce(len(tags), 0) = 0 GROUP BY destination) g "
                  "JOIN book c ON c.address = g.destination)")
        name = self._column("sent_by_tag", _counted(tagged, "tag", count="sum(n)"))
        return lambda v: _ranked("tag")(v[name])

    def sent_events(self):
        name = self._column("sent_events", f"""(
            WITH latest AS MATERIALIZED (
                SELECT * FROM sent ORDER BY created_at DESC, seq DESC LIMIT $limit)
            SELECT list({{'message_id': message_id, 'destination': destination,
                         'channel': channel, 'status': {CURRENT_OR_QUEUED.format(status='status')},
                         'created_at': created_at}} ORDER BY created_at DESC, seq DESC)
            FROM latest LEFT JOIN ({_statuses("latest")}) USING (message_id))""")
        return lambda v: [{**row, "created_at": iso(row["created_at"])} for row in v[name] or []]

    # -- e-mail, both ways --------------------------------------------------------------
    def email_top_inbound_senders(self):
        name = self._column("email_senders", _counted("inbound", "contact", "channel = 'email'"))
        return lambda v: _ranked("sender")(v[name])

    def email_top_sent_recipients(self):
        name = self._column("email_recipients",
                            _counted("sent", "destination", "channel = 'email'"))
        return lambda v: _ranked("recipient")(v[name])

    def email_domains(self):
        name = self._column("email_domains", _counted(
            f"(SELECT split_part(address, '@', -1) AS domain FROM ({_EMAILS}) "
            "WHERE contains(address, '@'))", "domain"))
        return lambda v: _ranked("domain")(v[name])

    def email_by_day(self):
        return self._days("email_by_day", "time", _EMAILS)

    def email_report(self):
        totals = self._column("email_totals", """(SELECT {
            'inbound_total': (SELECT count(*) FROM inbound WHERE channel = 'email'),
            'sent_total': (SELECT count(*) FROM sent WHERE channel = 'email')})""")
        parts = {"top_inbound_senders": self.email_top_inbound_senders(),
                 "top_sent_recipients": self.email_top_sent_recipients(),
                 "domains": self.email_domains(), "by_day": self.email_by_day()}
        return lambda v: {**v[totals], **{key: shape(v) for key, shape in parts.items()}}

    # -- by name ------------------------------------------------------------------------
    def list_section(self, name: str, limit: int) -> list[dict]:
        """One of filters.LIST_SECTIONS, at most `limit` rows."""
        shape = getattr(self, name.replace("email_report.", "email_"))()
        return self.run({"rows": shape}, limit)["rows"][:limit]

    def report(self, day_limit: int) -> dict:
        """Every section; lists hold at most the query's `limit` rows (days: day_limit)."""
        names = ("summary", "sent_summary", "sent_by_channel", "sent_by_day", "sent_by_person",
                 "sent_by_tag", "sent_events", "email_report", "hourly", "top_contacts",
                 "events", "waiting", "answered_in_time")
        answer = self.run({name: getattr(self, name)() for name in names}, self.f.limit)
        for days in (answer["sent_by_day"], answer["email_report"]["by_day"]):
            del days[day_limit:]
        answer["count"] = len(answer["events"])
        return answer
