"""The webchat inbound query's fields: validated into a Filters value, from a JSON body or from
query parameters (lists comma-separated). Every bad value is a 400 naming its field."""
import dataclasses
import datetime as dt

import duckdb

from relay.core.errors import bad_request
from relay.core.inbound import EVENT_TYPES
from relay.core.numbers import whole_number
from relay.core.timefmt import iso, time_field, utcnow
from relay.messages.validate import CHANNELS
from relay.messages.validate import _tags as tag_list  # the same rules as a message's tags

RANGES = {"1h": dt.timedelta(hours=1), "24h": dt.timedelta(hours=24),
          "7d": dt.timedelta(days=7), "30d": dt.timedelta(days=30),
          "90d": dt.timedelta(days=90), "365d": dt.timedelta(days=365), "all": None}
SORTS = ("newest", "oldest", "slowest", "fastest", "longest", "waiting")
FORMATS = ("json", "csv", "parquet", "xlsx")
MAX_LIMIT = 1000
MAX_DURATION = 86400 * 7
FIELDS = ("phone_id", "range", "from", "to", "tz", "channels", "event_types", "tags",
          "tag_mode", "source_contains", "min_duration_sec", "max_duration_sec",
          "has_response", "waiting", "sort", "limit", "format", "section")
LIST_FIELDS = ("channels", "event_types", "tags")
# The sections an export can hold: every list in the answer.
LIST_SECTIONS = ("events", "waiting", "answered_in_time", "sent_events", "sent_by_day", "sent_by_person",
                 "sent_by_tag", "hourly", "top_contacts", "email_report.top_inbound_senders",
                 "email_report.top_sent_recipients", "email_report.domains",
                 "email_report.by_day")

# The IANA names DuckDB's ICU knows, so that a zone accepted here also works in the SQL.
with duckdb.connect() as _con:
    TIME_ZONES = frozenset(name for (name,) in _con.execute(
        "SELECT name FROM pg_timezone_names()").fetchall())


@dataclasses.dataclass(frozen=True)
class Filters:
    since: dt.datetime | None = None       # inclusive; None: from the beginning
    until: dt.datetime | None = None       # exclusive; None: no upper bound
    range: str | None = "7d"               # the range it came from, or None for from/to
    phone_id: str | None = None
    tz: str = "UTC"
    channels: tuple[str, ...] = ()         # empty: every channel
    event_types: tuple[str, ...] = ()      # empty: every type
    tags: tuple[str, ...] = ()
    tag_mode: str = "any"
    source_contains: str | None = None
    min_duration_sec: int | None = None
    max_duration_sec: int | None = None
    has_response: bool | None = None
    waiting: bool | None = None            # past a rule's deadline, alerted, no reply yet
    sort: str = "newest"
    limit: int = 100
    format: str | None = None              # None: the JSON answer with every section
    section: str = "events"

    def effective(self) -> dict:
        """The filters as the answer echoes them."""
        return {"phone_id": self.phone_id, "range": self.range, "from": iso(self.since),
                "to": iso(self.until), "tz": self.tz, "channels": list(self.channels),
                "event_types": list(self.event_types), "tags": list(self.tags),
                "tag_mode": self.tag_mode, "source_contains": self.source_contains,
                "min_duration_sec": self.min_duration_sec,
                "max_duration_sec": self.max_duration_sec, "has_response": self.has_response,
                "waiting": self.waiting, "sort": self.sort, "limit": self.limit}


def _choices(name: str, values, allowed) -> tuple[str, ...]:
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise bad_request(name, f"'{name}' must be a list of strings", "invalid_type")
    chosen = tuple(dict.fromkeys(v.strip().lower() for v in values if v.strip()))
    for value in chosen:
        if value not in allowed:
            raise bad_request(name, f"'{name}' may hold only {', '.join(allowed)}; not {value!r}")
    return chosen


def _boolean(name: str, value) -> bool:
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    if not isinstance(value, bool):
        raise bad_request(name, f"'{name}' must be true or false")
    return value


def _text(name: str, value, max_len: int) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > max_len:
        raise bad_request(name, f"'{name}' must be a non-empty string of at most {max_len} "
                                "characters")
    return value.strip()


def _one_of(name: str, value, allowed) -> str:
    if value not in allowed:
        raise bad_request(name, f"'{name}' must be one of {', '.join(allowed)}")
    return value


def from_query_arguments(arguments: dict[str, list[bytes]]) -> Filters:
    """GET: every field is a query parameter; lists are comma-separated."""
    params = {}
    for name, values in arguments.items():
        if len(values) != 1:
            raise bad_request(name, f"give '{name}' once (lists are comma-separated)")
        text = values[0].decode("utf-8", "replace")
        params[name] = text.split(",") if name in LIST_FIELDS else text
    return parse(params)


def parse(params) -> Filters:
    """params: the JSON body's object (or the query parameters made into one)."""
    if not isinstance(params, dict):
        raise bad_request(None, "the body must be a JSON object", "invalid_body")
    for name in params:
        if name not in FIELDS:
            raise bad_request(name, f"unknown field '{name}'", "unknown_field")
    values = {name: value for name, value in params.items() if value is not None}
    fields: dict = {}
    if "from" in values or "to" in values:
        if "range" in values:
            raise bad_request("range", "give either 'range' or 'from'/'to', not both")
        fields["range"] = None
        if "from" in values:
            fields["since"] = time_field("from", values["from"])
        if "to" in values:
            fields["until"] = time_field("to", values["to"])
        if "since" in fields and "until" in fields and fields["since"] >= fields["until"]:
            raise bad_request("to", "'to' must be after 'from'")
    else:
        name = _one_of("range", values.get("range", "7d"), tuple(RANGES))
        fields["range"] = name
        if RANGES[name] is not None:
            fields["since"] = utcnow() - RANGES[name]
    if "phone_id" in values:
        fields["phone_id"] = _text("phone_id", values["phone_id"], 64)
    if "tz" in values:
        fields["tz"] = values["tz"]
        if not isinstance(fields["tz"], str) or fields["tz"] not in TIME_ZONES:
            raise bad_request("tz", "'tz' must be an IANA time zone such as Europe/Berlin")
    if "channels" in values:
        fields["channels"] = _choices("channels", values["channels"], CHANNELS)
    if "event_types" in values:
        fields["event_types"] = _choices("event_types", values["event_types"], EVENT_TYPES)
    if "tags" in values:
        fields["tags"] = tag_list(values)
    if "tag_mode" in values:
        fields["tag_mode"] = _one_of("tag_mode", values["tag_mode"], ("any", "all"))
    if "source_contains" in values:
        fields["source_contains"] = _text("source_contains", values["source_contains"], 320)
    for name in ("min_duration_sec", "max_duration_sec"):
        if name in values:
            fields[name] = whole_number(name, values[name], 0, MAX_DURATION)
    if fields.get("min_duration_sec", 0) > fields.get("max_duration_sec", MAX_DURATION):
        raise bad_request("max_duration_sec", "'max_duration_sec' is below 'min_duration_sec'")
    for name in ("has_response", "waiting"):
        if name in values:
            fields[name] = _boolean(name, values[name])
    if "sort" in values:
        fields["sort"] = _one_of("sort", values["sort"], SORTS)
    if "limit" in values:
        fields["limit"] = whole_number("limit", values["limit"], 1, MAX_LIMIT)
    if "format" in values:
        fields["format"] = _one_of("format", values["format"], FORMATS)
    if "section" in values:
        if "format" not in fields:
            raise bad_request("section", "'section' chooses what an export holds: give "
                                         "'format' too")
        fields["section"] = _one_of("section", values["section"], LIST_SECTIONS)
    return Filters(**fields)
