"""POST and GET /api/v1/webchat/inbound/query: what came in, what went out, whom the owner never
answered and how fast they answer (docs/analytics.md). With `format` the answer is a download
of one list section. The query runs on a reader thread under a time limit and a row cap."""
from relay.analytics import engine, filters
from relay.analytics.exports import CONTENT_TYPES
from relay.core.inbound import EVENT_TYPES
from relay.messages.validate import CHANNELS, MAX_TAG, MAX_TAGS
from relay.web.base import BaseHandler
from relay.web.openapi import (GIVEN_TIME, NULLABLE_STRING, TIME, error_responses, json_body,
                               or_null, query_param, tag_list, tag_pattern, text)

PATH = "/api/v1/webchat/inbound/query"


class WebchatQueryHandler(BaseHandler):
    async def post(self):
        await self._answer(filters.parse(self.json_body()))

    async def get(self):
        await self._answer(filters.from_query_arguments(self.request.query_arguments))

    async def _answer(self, chosen: filters.Filters) -> None:
        limits = engine.Limits.from_settings(self.relay.settings)
        if chosen.format is None:
            self.reply(200, await self.store.read(engine.report, self.client_id, chosen, limits))
            return
        download = await self.store.read(engine.export, self.client_id, chosen, limits)
        self.set_header("Content-Type", download.content_type)
        self.set_header("Content-Disposition", f'attachment; filename="{download.filename}"')
        self.set_header("X-Relay-Rows", str(download.rows))
        self.finish(download.body)


ROUTES = [(PATH, WebchatQueryHandler)]

# -- OpenAPI ----------------------------------------------------------------------------------
_LIST = {"type": "array", "items": {"type": "string"}}
_INT = {"type": "integer", "minimum": 0, "maximum": filters.MAX_DURATION}


def _choices(allowed) -> dict:
    return {"type": "array", "items": {"enum": list(allowed)}}


# Every field may be null, which is the same as leaving it out.
_FIELDS = {
    "phone_id": text(64), "range": {"enum": list(filters.RANGES), "default": "7d"},
    "from": GIVEN_TIME, "to": {**GIVEN_TIME, "description": "after `from`"},
    "tz": {"enum": sorted(filters.TIME_ZONES), "default": "UTC",
           "description": "IANA time zone of the day and hour buckets"},
    "channels": _choices(CHANNELS), "event_types": _choices(EVENT_TYPES),
    "tags": tag_list(MAX_TAGS, MAX_TAG), "tag_mode": {"enum": ["any", "all"]},
    "source_contains": text(320),
    "min_duration_sec": _INT, "max_duration_sec": {**_INT, "description": "from min_duration_sec"},
    "has_response": {"type": "boolean"},
    "waiting": {"type": "boolean", "description": "only the events waiting for a reply past "
                "a response rule's deadline (true), or only the others (false)"},
    "sort": {"enum": list(filters.SORTS),
             "description": "waiting: the waiting events first, oldest first"},
    "limit": {"type": "integer", "minimum": 1, "maximum": filters.MAX_LIMIT},
    "format": {"enum": list(filters.FORMATS),
               "description": "answer with a download of `section` instead"},
    "section": {"enum": list(filters.LIST_SECTIONS), "default": "events",
                "description": "with `format` only"},
}
_ABSENT = {"type": "null"}
QUERY = {
    "type": "object", "additionalProperties": False,
    "properties": {name: or_null(schema) for name, schema in _FIELDS.items()},
    "allOf": [
        {"anyOf": [{"properties": {"range": _ABSENT}},
                   {"properties": {"from": _ABSENT, "to": _ABSENT}}],
         "description": "either `range` or `from`/`to`"},
        {"anyOf": [{"properties": {"section": _ABSENT}},
                   {"required": ["format"], "properties": {"format": {"not": _ABSENT}}}],
         "description": "`section` with `format` only"}],
}
# GET: the same fields as query parameters, lists comma-separated.
_TAG = tag_pattern(MAX_TAG, also_not=",")


def _query_parameter(name: str, schema: dict) -> dict:
    if name in ("channels", "event_types"):
        one = "|".join(schema["items"]["enum"])     # blank items are left out
        return query_param(name, {"type": "string", "pattern": (
            rf"^\s*({one})?\s*(,\s*({one})?\s*)*$")}, "comma-separated")
    if name == "tags":
        return query_param(name, {"type": "string", "pattern": (
            rf"^{_TAG}(,{_TAG}){{0,{MAX_TAGS - 1}}}$")}, "comma-separated")
    return query_param(name, schema)


_QUERY_PARAMETERS = [_query_parameter(name, schema) for name, schema in _FIELDS.items()]


def _counted(key: str, count: str = "count") -> dict:
    return {"type": "array", "items": {"type": "object", "required": [key, count],
                                        "properties": {key: {"type": ["string", "integer"]},
                                                       count: {"type": "integer"}}}}


_COUNTS = {"type": "object", "additionalProperties": {"type": "integer"}}
# What the events and waiting sections say of an event alike.
_EVENT_FIELDS = {"message_id": {"type": "string", "pattern": "^in_"},
                 "phone_id": {"type": "string"}, "event_type": {"enum": list(EVENT_TYPES)},
                 "channel": {"type": "string"}, "source": NULLABLE_STRING,
                 "contact_name": NULLABLE_STRING, "occurred_at": TIME}
_EVENT = {
    "type": "object",
    "required": ["message_id", "event_type", "channel", "source", "contact_name", "text",
                 "duration_sec", "tags", "occurred_at", "response_min"],
    "properties": {**_EVENT_FIELDS, "text": NULLABLE_STRING,
                   "duration_sec": {"type": ["integer", "null"]}, "tags": _LIST,
                   "response_min": {"type": ["number", "null"]},
                   "waiting": {"type": ["object", "null"], "description": "the rule it waits "
                               "under, past its deadline, or null",
                               "properties": {"rule_id": {"type": "string"},
                                              "deadline_at": TIME}}}}
_WAITING = {
    "type": "object",
    "required": [*_EVENT_FIELDS, "rule_id", "deadline_at", "waited_min"],
    "properties": {**_EVENT_FIELDS, "rule_id": {"type": "string"}, "deadline_at": TIME,
                   "waited_min": {"type": "number", "description": "minutes since it came"}}}
REPORT = {
    "type": "object",
    "required": ["success", "summary", "sent_summary", "sent_by_channel", "sent_by_day",
                 "sent_by_person", "sent_by_tag", "sent_events", "email_report", "hourly",
                 "top_contacts", "events", "waiting", "answered_in_time", "count", "filters"],
    "properties": {
        "success": {"const": True},
        "summary": {"type": "object", "properties": {
            name: {"type": "integer"} for name in (
                "inbound_total", "calls_total", "messages_total", "answered_calls",
                "missed_calls")} | {"avg_call_duration_sec": {"type": "number"},
                                    "median_response_min": {"type": "number"},
                                    "channels": _COUNTS}},
        "sent_summary": {"type": "object", "properties": {
            "sent_total": {"type": "integer"}, "channels": _COUNTS, "statuses": _COUNTS,
            "delivered": {"type": "integer", "description": "sent, and the network reported "
                          "them delivered"},
            "undelivered": {"type": "integer", "description": "sent, and the network reported "
                            "them undelivered"}}},
        "sent_by_channel": _COUNTS, "sent_by_day": _counted("day"),
        "sent_by_person": {"type": "array", "items": {"type": "object", "properties": {
            "destination": {"type": "string"}, "total": {"type": "integer"},
            "last_sent": TIME}}},
        "sent_by_tag": _counted("tag"),
        "sent_events": {"type": "array", "items": {"type": "object", "properties": {
            "message_id": {"type": "string"}, "destination": NULLABLE_STRING,
            "channel": {"type": "string"}, "status": {"type": "string"}, "created_at": TIME}}},
        "email_report": {"type": "object", "properties": {
            "inbound_total": {"type": "integer"}, "sent_total": {"type": "integer"},
            "top_inbound_senders": _counted("sender"),
            "top_sent_recipients": _counted("recipient"),
            "domains": _counted("domain"), "by_day": _counted("day")}},
        "hourly": _counted("hour"), "top_contacts": _counted("source", "total"),
        "events": {"type": "array", "items": _EVENT}, "count": {"type": "integer"},
        "waiting": {"type": "array", "items": _WAITING, "description": "the filtered events "
                    "past a response rule's deadline with no reply yet, oldest first"},
        "answered_in_time": {"type": "array", "description": "per local day and response "
                             "rule: the events whose deadline passed, and the share replied "
                             "to by then", "items": {
                                 "type": "object",
                                 "required": ["day", "rule_id", "due", "answered_in_time",
                                              "share"],
                                 "properties": {"day": {"type": "string", "format": "date"},
                                                "rule_id": {"type": "string"},
                                                "due": {"type": "integer"},
                                                "answered_in_time": {"type": "integer"},
                                                "share": {"type": "number"}}}},
        "filters": {"type": "object"},
    },
}


def _rows_of(section: str) -> dict:
    """The schema of one row of a list section (filters.LIST_SECTIONS), as in the report."""
    part = REPORT
    for key in section.split("."):
        part = part["properties"][key]
    return part["items"]


EXPORT = {"type": "array", "description": "format=json: every row of `section`",
          "items": {"anyOf": list({str(row): row for row in map(
              _rows_of, filters.LIST_SECTIONS)}.values())}}
_DOWNLOAD_HEADERS = {
    "Content-Disposition": {"description": "with `format`: attachment; filename=...",
                            "schema": {"type": "string"}},
    "X-Relay-Rows": {"description": "with `format`: the rows the download holds",
                     "schema": {"type": "integer", "minimum": 0}}}
# What a 200 is depends on `format`: the report (no format) and format=json are both
# application/json, an object and an array of rows; csv is text; parquet and xlsx are binary.
_ANSWERS = {
    "200": {"description": "no `format`: every section over the filtered events "
                           "(InboundReport); with `format`, a download of `section`: json an "
                           "array of its rows (InboundExport), csv text, parquet and xlsx files",
            "headers": _DOWNLOAD_HEADERS,
            "content": {
                "application/json": {"schema": {"oneOf": [
                    {"$ref": "#/components/schemas/InboundReport"},
                    {"$ref": "#/components/schemas/InboundExport"}]}},
                CONTENT_TYPES["csv"].split(";")[0]: {"schema": {"type": "string"}},
                **{CONTENT_TYPES[name]: {"schema": {"type": "string", "format": "binary"}}
                   for name in ("parquet", "xlsx")}}},
    **error_responses(400, 401, 413, 415, 422)}
OPENAPI_SCHEMAS = {"InboundQuery": QUERY, "InboundReport": REPORT, "InboundExport": EXPORT}
OPENAPI_PATHS = {PATH: {
    "post": {"summary": "Query inbound and sent activity: every report section, or an export",
             "requestBody": json_body({"$ref": "#/components/schemas/InboundQuery"}),
             "responses": _ANSWERS},
    "get": {"summary": "The same query with the fields as query parameters (lists "
                       "comma-separated)",
            "parameters": _QUERY_PARAMETERS,
            "responses": _ANSWERS},
}}
