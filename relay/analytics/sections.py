"""The report's sections, each a small query over the filtered tables (relay/analytics/scope.py).

List sections take a row limit: the answer's `limit` for JSON, the row cap (plus one, to see
that it was passed) for exports. Ties are broken by name so that answers are reproducible."""
from relay.core.inbound import CALL_TYPES
from relay.core.timefmt import iso
from relay.store.inbound import event_payload

_CALLS = "event_type IN ('" + "', '".join(CALL_TYPES) + "')"
# A store time (naive UTC) as a local day or hour of the query's time zone.
_LOCAL = "timezone($tz, {column} AT TIME ZONE 'UTC')"
_DAY = "strftime(" + _LOCAL + ", '%Y-%m-%d')"
_SORTS = {
    "newest": "occurred_at DESC, seq DESC",
    "oldest": "occurred_at ASC, seq ASC",
    "slowest": "response_min DESC NULLS LAST, occurred_at DESC, seq DESC",
    "fastest": "response_min ASC NULLS LAST, occurred_at DESC, seq DESC",
    "longest": "duration_sec DESC NULLS LAST, occurred_at DESC, seq DESC",
}


class Sections:
    """The sections of one query: `cur` has the query's tables (scope.Tables) in view."""

    def __init__(self, cur, tables, filters):
        self.cur, self.t, self.f = cur, tables, filters

    def _rows(self, sql: str, params: dict | None = None) -> list[tuple]:
        return self.cur.execute(sql, params or {}).fetchall()

    def _counts(self, table: str, column: str) -> dict:
        return dict(self._rows(f"SELECT {column}, count(*) FROM {table} GROUP BY 1 ORDER BY 1"))

    # -- the inbound side ---------------------------------------------------------------
    def summary(self) -> dict:
        (total, calls, messages, answered, missed, avg_duration, median_response), = self._rows(
            f"""SELECT count(*), count(*) FILTER ({_CALLS}),
                       count(*) FILTER (event_type = 'message'),
                       count(*) FILTER (event_type = 'answered'),
                       count(*) FILTER (event_type = 'missed'),
                       avg(duration_sec) FILTER ({_CALLS}), median(response_min)
                FROM {self.t.inbound}""")
        return {"inbound_total": total, "calls_total": calls, "messages_total": messages,
                "answered_calls": answered, "missed_calls": missed,
                "avg_call_duration_sec": round(float(avg_duration or 0), 1),
                "median_response_min": round(float(median_response or 0), 2),
                "channels": self._counts(self.t.inbound, "channel")}

    def hourly(self, limit=None) -> list[dict]:
        counts = dict(self._rows(
            f"SELECT hour({_LOCAL.format(column='occurred_at')}) AS h, count(*) "
            f"FROM {self.t.inbound} GROUP BY h", {"tz": self.f.tz}))
        return [{"hour": hour, "count": counts.get(hour, 0)} for hour in range(24)]

    def top_contacts(self, limit: int) -> list[dict]:
        return [{"source": source, "total": total} for source, total in self._rows(
            f"SELECT contact, count(*) AS n FROM {self.t.inbound} WHERE contact IS NOT NULL "
            "GROUP BY contact ORDER BY n DESC, contact LIMIT $limit", {"limit": limit})]

    def events(self, limit: int) -> list[dict]:
        cursor = self.cur.execute(
            f"SELECT event_id, phone_id, event_type, channel, contact, contact_name, text, "
            f"duration_sec, tags, occurred_at, response_min FROM {self.t.inbound} "
            f"ORDER BY {_SORTS[self.f.sort]} LIMIT $limit", {"limit": limit})
        names = [d[0] for d in cursor.description]
        return [{**event_payload(row), "response_min": row["response_min"]}
                for row in (dict(zip(names, values)) for values in cursor.fetchall())]

    # -- the sent side ------------------------------------------------------------------
    def sent_summary(self) -> dict:
        (total,), = self._rows(f"SELECT count(*) FROM {self.t.sent}")
        return {"sent_total": total, "channels": self.sent_by_channel(),
                "statuses": self._counts(self.t.sent, "status")}

    def sent_by_channel(self) -> dict:
        return self._counts(self.t.sent, "channel")

    def _by_day(self, select: str, limit: int) -> list[dict]:
        return [{"day": day, "count": count} for day, count in self._rows(
            f"SELECT day, count(*) FROM ({select}) GROUP BY day ORDER BY day LIMIT $limit",
            {"tz": self.f.tz, "limit": limit})]

    def sent_by_day(self, limit: int) -> list[dict]:
        return self._by_day(f"SELECT {_DAY.format(column='created_at')} AS day "
                            f"FROM {self.t.sent}", limit)

    def sent_by_person(self, limit: int) -> list[dict]:
        return [{"destination": destination, "total": total, "last_sent": iso(last)}
                for destination, total, last in self._rows(
                    f"SELECT destination, count(*) AS n, max(created_at) FROM {self.t.sent} "
                    "WHERE destination IS NOT NULL GROUP BY destination "
                    "ORDER BY n DESC, destination LIMIT $limit", {"limit": limit})]

    def sent_by_tag(self, limit: int) -> list[dict]:
        return [{"tag": tag, "count": count} for tag, count in self._rows(
            f"SELECT tag, count(*) AS n FROM (SELECT unnest(tags) AS tag FROM {self.t.sent}) "
            "GROUP BY tag ORDER BY n DESC, tag LIMIT $limit", {"limit": limit})]

    def sent_events(self, limit: int) -> list[dict]:
        return [{"message_id": message_id, "destination": destination, "channel": channel,
                 "status": status, "created_at": iso(created_at)}
                for message_id, destination, channel, status, created_at in self._rows(
                    f"SELECT message_id, destination, channel, status, created_at "
                    f"FROM {self.t.sent} ORDER BY created_at DESC, seq DESC LIMIT $limit",
                    {"limit": limit})]

    # -- e-mail, both ways --------------------------------------------------------------
    def _email_addresses(self) -> str:
        return (f"SELECT contact AS address, occurred_at AS time FROM {self.t.inbound} "
                f"WHERE channel = 'email' UNION ALL "
                f"SELECT destination, created_at FROM {self.t.sent} WHERE channel = 'email'")

    def _top(self, table: str, column: str, name: str, limit: int) -> list[dict]:
        return [{name: address, "count": count} for address, count in self._rows(
            f"SELECT {column}, count(*) AS n FROM {table} "
            f"WHERE channel = 'email' AND {column} IS NOT NULL "
            f"GROUP BY {column} ORDER BY n DESC, {column} LIMIT $limit", {"limit": limit})]

    def email_top_inbound_senders(self, limit: int) -> list[dict]:
        return self._top(self.t.inbound, "contact", "sender", limit)

    def email_top_sent_recipients(self, limit: int) -> list[dict]:
        return self._top(self.t.sent, "destination", "recipient", limit)

    def email_domains(self, limit: int) -> list[dict]:
        return [{"domain": domain, "count": count} for domain, count in self._rows(
            f"SELECT split_part(address, '@', -1) AS domain, count(*) AS n "
            f"FROM ({self._email_addresses()}) WHERE contains(address, '@') "
            "GROUP BY domain ORDER BY n DESC, domain LIMIT $limit", {"limit": limit})]

    def email_by_day(self, limit: int) -> list[dict]:
        return self._by_day(f"SELECT {_DAY.format(column='time')} AS day "
                            f"FROM ({self._email_addresses()})", limit)

    def email_report(self, limit: int, by_day_limit: int) -> dict:
        (inbound,), = self._rows(f"SELECT count(*) FROM {self.t.inbound} "
                                 "WHERE channel = 'email'")
        (sent,), = self._rows(f"SELECT count(*) FROM {self.t.sent} WHERE channel = 'email'")
        return {"inbound_total": inbound, "sent_total": sent,
                "top_inbound_senders": self.email_top_inbound_senders(limit),
                "top_sent_recipients": self.email_top_sent_recipients(limit),
                "domains": self.email_domains(limit),
                "by_day": self.email_by_day(by_day_limit)}

    # -- by name ------------------------------------------------------------------------
    def list_section(self, name: str, limit: int) -> list[dict]:
        """One of filters.LIST_SECTIONS."""
        return getattr(self, name.replace("email_report.", "email_"))(limit)

    def report(self, by_day_limit: int) -> dict:
        """Every section; lists hold at most `limit` rows (day lists up to by_day_limit)."""
        limit = self.f.limit
        events = self.events(limit)
        return {"summary": self.summary(), "sent_summary": self.sent_summary(),
                "sent_by_channel": self.sent_by_channel(),
                "sent_by_day": self.sent_by_day(by_day_limit),
                "sent_by_person": self.sent_by_person(limit),
                "sent_by_tag": self.sent_by_tag(limit), "sent_events": self.sent_events(limit),
                "email_report": self.email_report(limit, by_day_limit),
                "hourly": self.hourly(), "top_contacts": self.top_contacts(limit),
                "events": events, "count": len(events)}
