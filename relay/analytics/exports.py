"""A list section as a download: CSV, Parquet, XLSX or JSON.

Spreadsheets run a cell that starts with = + - @ (or a tab or carriage return) as a formula,
so CSV and XLSX cells of text that start so get a leading apostrophe (OWASP's advice); Parquet
and JSON are data formats for programs and keep the values as they are."""
import csv
import dataclasses
import io
import json

import pyarrow as pa
import pyarrow.parquet as pq

from relay.analytics.filters import Filters
from relay.core.timefmt import parse_iso, utcnow

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json; charset=utf-8",
    "parquet": "application/vnd.apache.parquet",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
_TEXT, _COUNT, _TIME = pa.string(), pa.int64(), pa.timestamp("ms")
# Each list section's columns and their Parquet types, so even an empty export has them.
COLUMNS = {
    "events": {"message_id": _TEXT, "phone_id": _TEXT, "event_type": _TEXT, "channel": _TEXT,
               "source": _TEXT, "contact_name": _TEXT, "text": _TEXT, "duration_sec": _COUNT,
               "tags": pa.list_(pa.string()), "occurred_at": _TIME,
               "response_min": pa.float64()},
    "waiting": {"message_id": _TEXT, "phone_id": _TEXT, "event_type": _TEXT, "channel": _TEXT,
                "source": _TEXT, "contact_name": _TEXT, "occurred_at": _TIME, "rule_id": _TEXT,
                "deadline_at": _TIME, "waited_min": pa.float64()},
    "answered_in_time": {"day": _TEXT, "rule_id": _TEXT, "due": _COUNT,
                         "answered_in_time": _COUNT, "share": pa.float64()},
    "sent_events": {"message_id": _TEXT, "destination": _TEXT, "channel": _TEXT,
                    "status": _TEXT, "created_at": _TIME},
    "sent_by_day": {"day": _TEXT, "count": _COUNT},
    "sent_by_person": {"destination": _TEXT, "total": _COUNT, "last_sent": _TIME},
    "sent_by_tag": {"tag": _TEXT, "count": _COUNT},
    "hourly": {"hour": _COUNT, "count": _COUNT},
    "top_contacts": {"source": _TEXT, "total": _COUNT},
    "email_report.top_inbound_senders": {"sender": _TEXT, "count": _COUNT},
    "email_report.top_sent_recipients": {"recipient": _TEXT, "count": _COUNT},
    "email_report.domains": {"domain": _TEXT, "count": _COUNT},
    "email_report.by_day": {"day": _TEXT, "count": _COUNT},
}


@dataclasses.dataclass(frozen=True)
class Download:
    filename: str
    content_type: str
    body: bytes
    rows: int


def neutralise(value):
    """A spreadsheet cell that cannot run as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _cell(value):
    if isinstance(value, list):
        value = "; ".join(value)
    return neutralise(value)


def _csv(rows: list[dict], columns: list[str]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if row[c] is None else _cell(row[c]) for c in columns])
    return out.getvalue().encode("utf-8")


def _parquet(rows: list[dict], types: dict) -> bytes:
    arrays = []
    for name, arrow_type in types.items():
        values = [row[name] for row in rows]
        if arrow_type == _TIME:
            values = [None if v is None else parse_iso(v) for v in values]
        arrays.append(pa.array(values, type=arrow_type))
    out = io.BytesIO()
    pq.write_table(pa.Table.from_arrays(arrays, names=list(types)), out)
    return out.getvalue()


def _xlsx(rows: list[dict], columns: list[str], sheet: str) -> bytes:
    import pandas   # only exports need it; keeps the server's start-up lean
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    def cell(value):
        # Text may hold control characters (NUL too) that a sheet cannot: U+FFFD stands in.
        value = _cell(value)
        return ILLEGAL_CHARACTERS_RE.sub("\ufffd", value) if isinstance(value, str) else value

    frame = pandas.DataFrame([[cell(row[c]) for c in columns] for row in rows],
                             columns=columns)
    out = io.BytesIO()
    frame.to_excel(out, sheet_name=sheet[:31], index=False, engine="openpyxl")
    return out.getvalue()


def filename(filters: Filters, extension: str) -> str:
    since = filters.since.strftime("%Y%m%d") if filters.since else "start"
    until = (filters.until or utcnow()).strftime("%Y%m%d")
    return f"relay-{filters.section.replace('email_report.', 'email-')}-{since}-{until}." \
           f"{extension}".replace("_", "-")


def render(rows: list[dict], filters: Filters) -> Download:
    types = COLUMNS[filters.section]
    columns = list(types)
    if filters.format == "csv":
        body = _csv(rows, columns)
    elif filters.format == "parquet":
        body = _parquet(rows, types)
    elif filters.format == "xlsx":
        body = _xlsx(rows, columns, filters.section)
    else:
        body = json.dumps(rows, ensure_ascii=False).encode("utf-8")
    return Download(filename(filters, filters.format), CONTENT_TYPES[filters.format], body,
                    len(rows))
