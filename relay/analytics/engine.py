"""Running one query on a reader thread: the filtered tables and the sections in one read
transaction, under a time limit (a timer interrupts the cursor) and a row cap."""
import dataclasses
import datetime as dt
import threading

import duckdb

from relay.analytics import exports
from relay.analytics.filters import Filters
from relay.analytics.scope import materialise
from relay.analytics.sections import Sections
from relay.core.errors import ApiError


@dataclasses.dataclass(frozen=True)
class Limits:
    reply_window: dt.timedelta
    timeout_seconds: float
    max_rows: int

    @classmethod
    def from_settings(cls, settings) -> "Limits":
        return cls(dt.timedelta(hours=settings.reply_window_hours),
                   settings.query_timeout_ms / 1000, settings.query_max_rows)


def _within_limits(cur, limits: Limits, client_id: str, filters: Filters, work):
    """work(sections) runs with the query's tables; the transaction is always rolled back,
    which drops them."""
    timer = threading.Timer(limits.timeout_seconds, cur.interrupt)
    cur.execute("BEGIN TRANSACTION")
    timer.start()
    try:
        tables = materialise(cur, client_id, filters, limits.reply_window)
        return work(Sections(cur, tables, filters))
    except duckdb.InterruptException:
        raise ApiError(422, "query_too_slow", f"the query ran longer than "
                       f"{limits.timeout_seconds:g} s; narrow the range or the filters") from None
    finally:
        timer.cancel()
        timer.join()
        cur.execute("ROLLBACK")


def report(cur, client_id: str, filters: Filters, limits: Limits) -> dict:
    """The JSON answer: every section, and the effective filters."""
    sections = _within_limits(cur, limits, client_id, filters,
                              lambda s: s.report(by_day_limit=limits.max_rows))
    return {"success": True, **sections, "filters": filters.effective()}


def section_rows(cur, client_id: str, filters: Filters, limits: Limits) -> list[dict]:
    """Every row of the section an export holds; over the row cap is a 4xx."""
    rows = _within_limits(cur, limits, client_id, filters,
                          lambda s: s.list_section(filters.section, limits.max_rows + 1))
    if len(rows) > limits.max_rows:
        raise ApiError(422, "too_many_rows", f"the export would hold more than "
                       f"{limits.max_rows} rows; narrow the range or the filters")
    return rows


def export(cur, client_id: str, filters: Filters, limits: Limits) -> exports.Download:
    """The section as a file, rendered here on the reader thread, not on the IOLoop."""
    return exports.render(section_rows(cur, client_id, filters, limits), filters)
