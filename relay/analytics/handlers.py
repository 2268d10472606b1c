"""POST and GET /api/v1/webchat/inbound/query: what came in, what went out, whom the owner never
answered and how fast they answer (docs/analytics.md). With `format` the answer is a download
of one list section. The query runs on a reader thread under a time limit and a row cap."""
from relay.analytics import engine, filters
from relay.analytics.exports import CONTENT_TYPES
from relay.core.inbound import EVENT_TYPES
from relay.messages.validate import CHANNELS
from relay.web.base import BaseHandler
from relay.web.openapi import NULLABLE_STRING, TIME, error_responses, json_body, query_param

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
QUERY = {
    "type": "object", "additionalProperties": False,
    "properties": {
        "phone_id": {"type": "string"}, "range": {"enum": list(filters.RANGES)},
        "from": {"type": "string", "format": "date-time"},
        "to": {"type": "string", "format": "date-time"},
        "tz": {"type": "string", "description": "IANA time zone of the day and hour buckets"},
        "channels": {"type": "array", "items": {"enum": list(CHANNELS)}},
        "event_types": {"type": "array", "items": {"enum": list(EVENT_TYPES)}},
        "tags": _LIST, "tag_mode": {"enum": ["any", "all"]},
        "source_contains": {"type": "string"},
        "min_duration_sec": _INT, "max_duration_sec": _INT,
        "has_response": {"type": "boolean"}, "sort": {"enum": list(filters.SORTS)},
        "limit": {"type": "integer", "minimum": 1, "maximum": filters.MAX_LIMIT},
        "format": {"enum": list(filters.FORMATS),
                   "description": "answer with a download of `section` instead"},
        "section": {"enum": list(filters.LIST_SECTIONS), "default": "events"},
    },
}


def _counted(key: str, count: str = "count") -> dict:
    return {"type": "array", "items": {"type": "object", "required": [key, count],
                                        "properties": {key: {"type": ["string", "integer"]},
                                                       count: {"type": "integer"}}}}


_COUNTS = {"type": "object", "additionalProperties": {"type": "integer"}}
_EVENT = {
    "type": "object",
    "required": ["message_id", "event_type", "channel", "source", "contact_name", "text",
                 "duration_sec", "tags", "occurred_at", "response_min"],
    "properties": {"message_id": {"type": "string", "pattern": "^in_"},
                   "phone_id": {"type": "string"}, "event_type": {"enum": list(EVENT_TYPES)},
                   "channel": {"type": "string"}, "source": NULLABLE_STRING,
                   "contact_name": NULLABLE_STRING, "text": NULLABLE_STRING,
                   "duration_sec": {"type": ["integer", "null"]}, "tags": _LIST,
                   "occurred_at": TIME, "response_min": {"type": ["number", "null"]}}}
REPORT = {
    "type": "object",
    "required": ["success", "summary", "sent_summary", "sent_by_channel", "sent_by_day",
                 "sent_by_person", "sent_by_tag", "sent_events", "email_report", "hourly",
                 "top_contacts", "events", "count", "filters"],
    "properties": {
        "success": {"const": True},
        "summary": {"type": "object", "properties": {
            name: {"type": "integer"} for name in (
                "inbound_total", "calls_total", "messages_total", "answered_calls",
                "missed_calls")} | {"avg_call_duration_sec": {"type": "number"},
                                    "median_response_min": {"type": "number"},
                                    "channels": _COUNTS}},
        "sent_summary": {"type": "object", "properties": {
            "sent_total": {"type": "integer"}, "channels": _COUNTS, "statuses": _COUNTS}},
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
            "parameters": [query_param(name, schema if schema.get("type") != "array"
                                       else {"type": "string"}, "comma-separated"
                                       if schema.get("type") == "array" else "")
                           for name, schema in QUERY["properties"].items()],
            "responses": _ANSWERS},
}}
