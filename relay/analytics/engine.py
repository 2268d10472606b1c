"""Running one query on a reader thread: one statement (its snapshot is consistent), under a
time limit (a timer interrupts the cursor) and a row cap."""
import dataclasses
import datetime as dt
import threading

import duckdb

from relay.analytics import exports
from relay.analytics.filters import Filters
from relay.analytics.sections import Sections
from relay.core.errors import ApiError

REPEAT_INTERRUPT_S = 0.01


@dataclasses.dataclass(frozen=True)
class Limits:
    reply_window: dt.timedelta
    timeout_seconds: float
    max_rows: int

    @classmethod
    def from_settings(cls, settings) -> "Limits":
        return cls(dt.timedelta(hours=settings.reply_window_hours),
                   settings.query_timeout_ms / 1000, settings.query_max_rows)


def _interrupt_after(cur, seconds: float, done: threading.Event) -> None:
    # Again and again: an interrupt that lands while DuckDB still plans the statement is lost.
    if not done.wait(seconds):
        while not done.wait(REPEAT_INTERRUPT_S):
            cur.interrupt()


def within_limits(cur, limits: Limits, client_id: str, filters: Filters, work):
    """work(sections) runs the query's one statement under the time limit."""
    done = threading.Event()
    watchdog = threading.Thread(target=_interrupt_after, name="relay-query-limit",
                                args=(cur, limits.timeout_seconds, done))
    watchdog.start()
    try:
        return work(Sections(cur, client_id, filters, limits.reply_window))
    except duckdb.InterruptException:
        raise ApiError(422, "query_too_slow", f"the query ran longer than "
                       f"{limits.timeout_seconds:g} s; narrow the range or the filters") from None
    except duckdb.OutOfMemoryException:
        raise ApiError(422, "query_too_large", "the query needs more memory than "
                       "query_memory_mb allows; narrow the range or the filters") from None
    finally:
        done.set()
        watchdog.join()


def report(cur, client_id: str, filters: Filters, limits: Limits) -> dict:
    """The JSON answer: every section, and the effective filters."""
    sections = within_limits(cur, limits, client_id, filters,
                             lambda s: s.report(day_limit=limits.max_rows))
    return {"success": True, **sections, "filters": filters.effective()}


def totals(cur, client_id: str, filters: Filters, limits: Limits) -> dict:
    """The inbound and sent summaries alone, for the portal's overview: a statement with only
    their columns, not the whole report."""
    return within_limits(cur, limits, client_id, filters, lambda s: s.run(
        {"summary": s.summary(), "sent_summary": s.sent_summary()}, 1))


def waiting(cur, client_id: str, filters: Filters, limits: Limits) -> list[dict]:
    """The waiting section alone, for the portal's overview."""
    return within_limits(cur, limits, client_id, filters, lambda s: s.run(
        {"waiting": s.waiting()}, filters.limit))["waiting"]


def section_rows(cur, client_id: str, filters: Filters, limits: Limits) -> list[dict]:
    """Every row of the section an export holds; over the row cap is a 4xx."""
    rows = within_limits(cur, limits, client_id, filters,
                         lambda s: s.list_section(filters.section, limits.max_rows + 1))
    if len(rows) > limits.max_rows:
        raise ApiError(422, "too_many_rows", f"the export would hold more than "
                       f"{limits.max_rows} rows; narrow the range or the filters")
    return rows


def export(cur, client_id: str, filters: Filters, limits: Limits) -> exports.Download:
    """The section as a file, rendered here on the reader thread, not on the IOLoop."""
    return exports.render(section_rows(cur, client_id, filters, limits), filters)
