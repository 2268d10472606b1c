"""POST/GET /api/v1/messages and GET /api/v1/messages/<id>."""
from relay.messages import validate
from relay.core.errors import ApiError, bad_request
from relay.core.numbers import whole_number
from relay.core.routing import phone_delivers
from relay.core.statuses import QUEUED, STATUSES
from relay.core.timefmt import time_field
from relay.web.base import BaseHandler
from relay.web.openapi import (CALLBACK_URL, CURSOR, GIVEN_TIME, IDEMPOTENCY_KEY, NULLABLE_STRING,
                               TIME, error_responses, json_body, json_response, or_null,
                               page_response,
                               query_param, tag_list, text)
from relay.messages import queries
from relay.messages.operations import AcceptMessage

LIST_PARAMS = ("limit", *queries.LIST_FILTERS)
MAX_LIMIT = 500


class MessagesHandler(BaseHandler):
    async def post(self):
        body = self.json_body()
        header_key = validate.idempotency_key(self.request.headers.get("Idempotency-Key"),
                                              "Idempotency-Key")
        settings = self.relay.settings
        request = validate.message_request(body, header_key, settings.default_region,
                                           bool(settings.strict_phone_numbers))
        if request.phone_id not in self.relay.state.phones:
            raise ApiError(404, "unknown_phone", f"no phone '{request.phone_id}' is configured",
                           "phone_id")
        if request.sim is not None and not phone_delivers(request.channel,
                                                          bool(settings.smtp_host)):
            raise bad_request("sim", f"'sim' is a phone's SIM slot; this relay sends "
                              f"{request.channel} itself", "not_allowed")
        if request.idempotency_key is None or self.relay.state.idempotency(
                (self.client_id, request.idempotency_key)) is None:
            # A repeat of what was accepted is answered as such, whatever the phone says now.
            self.relay.devices.check_channel(request.phone_id, request.channel)
        accepted = await self.store.write(AcceptMessage(request, self.client_id,
                                                        self.key.key_id, self.relay.secret_box))
        answer = {"success": True, "message_id": accepted.message_id,
                  "idempotency_key": request.idempotency_key}
        if accepted.duplicate:
            status = await self.store.read(queries.message_status, accepted.message_id)
            self.reply(200, {**answer, "duplicate": True, "status": status})
        else:
            # With sync_delivery_ms, an email or tg_bot delivery that ends in time is answered
            # with its outcome (status sent or failed) instead of queued.
            settled = await self.relay.senders.settled(accepted.message_id, request.channel)
            self.reply(202, {**answer, "status": QUEUED, **self.relay.devices.offline_notice(
                request.phone_id, request.channel), **settled})

    async def get(self):
        for name in self.request.query_arguments:
            if name not in LIST_PARAMS:
                raise bad_request(name, f"unknown parameter '{name}'", "unknown_field")
        filters = {}
        for name in queries.LIST_FILTERS:
            value = self.get_query_argument(name, None)
            if value is not None:
                filters[name] = _list_filter(name, value)
        limit = whole_number("limit", self.get_query_argument("limit", "50"), 1, MAX_LIMIT)
        messages, next_cursor = await self.store.read(
            queries.list_messages, self.store.body_keys, self.client_id, filters, limit)
        held = self.relay.devices.held
        self.reply(200, {"success": True, "messages": [{**m, **held(m)} for m in messages],
                         "next_cursor": next_cursor})


def _list_filter(name: str, value: str):
    if name == "status" and value not in STATUSES:
        raise bad_request(name, f"'status' must be one of {', '.join(STATUSES)}")
    if name == "channel" and value not in validate.CHANNELS:
        raise bad_request(name, f"'channel' must be one of {', '.join(validate.CHANNELS)}")
    if name in ("since", "until"):
        return time_field(name, value)
    if name == "cursor":
        return queries.decode_cursor(value)
    return value


class MessageHandler(BaseHandler):
    async def get(self, message_id):
        message = await self.store.read(queries.get_message, self.store.body_keys,
                                        self.client_id, message_id)
        if message is None:
            raise ApiError(404, "unknown_message", f"no message '{message_id}'", "message_id")
        self.reply(200, {"success": True, "message": {**message,
                                                      **self.relay.devices.held(message)}})


ROUTES = [
    (r"/api/v1/messages", MessagesHandler),
    (r"/api/v1/messages/([^/]+)", MessageHandler),
]

MESSAGE = {
    "type": "object",
    "required": ["message_id", "status", "last_error", "created_at", "delivered_at", "channel",
                 "phone_id", "to", "source"],
    "properties": {
        "message_id": {"type": "string"}, "status": {"enum": list(STATUSES)},
        "last_error": NULLABLE_STRING, "created_at": TIME,
        "sent_at": {**TIME, "description": "when it was handed on: to the network by the phone, "
                    "or to the SMTP server or Bot API by the relay; null until sent"},
        "delivered_at": {**TIME, "description": "when it was delivered as far as the relay "
                         "knows: the network's time when a delivery report said delivered, "
                         "else sent_at; null when the network reported it undelivered"},
        "delivery_result": {"enum": ["delivered", "undelivered", None], "description":
                            "the network's delivery report; null until one comes (many phones "
                            "never get one)"},
        "delivery_reported_at": {**TIME, "description": "the time of the delivery report"},
        "next_attempt_at": {**TIME, "description": "email and tg_bot sent by the relay: when "
                            "the next attempt is due after a failed one; else null"},
        "channel": {"enum": list(validate.CHANNELS)}, "phone_id": {"type": "string"},
        "to": NULLABLE_STRING, "text": NULLABLE_STRING, "subject": NULLABLE_STRING,
        "title": NULLABLE_STRING, "source": NULLABLE_STRING, "idempotency_key": NULLABLE_STRING,
        "tags": {"type": "array", "items": {"type": "string"}},
        "sim": {"type": ["integer", "null"], "description": "the SIM slot asked for"},
        "held_until": {**TIME, "description": "while the phone's pacing holds the message "
                       "(it stays queued): when it may be handed to the phone; else null"},
        "held_reason": {"enum": ["interval", "per_hour", "per_day", None], "description":
                        "what holds it: the least interval between two messages, or the "
                        "hourly or daily cap of its SIM (or of the message ahead of it)"},
        "history": {"type": "array", "items": {
            "type": "object", "required": ["status", "at"],
            "properties": {"status": {"type": "string"}, "at": TIME,
                           "error": NULLABLE_STRING,
                           "delivery_result": {"enum": ["delivered", "undelivered"],
                                               "description": "a delivery report's entry"}}}},
    },
}
_NONE = {"type": "null"}
_PHONE = {"type": "string", "pattern": r"^\+[1-9][0-9]{6,14}$",
          "description": "a phone number in E.164 (a national one is read in the relay's "
                         "default region); one the numbering plan has"}
_TG_NAME = r"@[A-Za-z][A-Za-z0-9_]{3,31}"
_SINGLE_LINE = {"not": {"pattern": "[\r\n]"}}
# What each channel needs and takes beyond the fields every message has (relay.messages.validate).
_CHANNELS = {
    "sms": {"to": _PHONE, "text": {"maxLength": validate.MAX_SMS_TEXT}},
    "wa": {"to": _PHONE},
    "tg": {"to": {"anyOf": [{"type": "string", "pattern": rf"^\s*{_TG_NAME}\s*$"}, _PHONE]}},
    "email": {"to": {"type": "string", "format": "email", "maxLength": 320},
              "subject": {**text(validate.MAX_SUBJECT), **_SINGLE_LINE}},
    "tg_bot": {"to": {"type": "string", "maxLength": 320,
                      "pattern": rf"^\s*(-?[0-9]{{1,20}}|{_TG_NAME})\s*$"},
               "bot_token": {"type": "string", "pattern": rf"^{validate.BOT_TOKEN.pattern}$",
                             "writeOnly": True}},
    "notify": {"subject": or_null({"type": "string", "maxLength": validate.MAX_SUBJECT,
                                   **_SINGLE_LINE}),
               "title": or_null({"type": "string", "maxLength": validate.MAX_SUBJECT})},
    "pchat": {},
}
_REQUIRED = {"sms": ["to"], "wa": ["to"], "tg": ["to"], "email": ["to", "subject"],
             "tg_bot": ["to", "bot_token"]}


def _channel_rules(channel: str) -> dict:
    given = _CHANNELS[channel]
    properties = {"channel": {"const": channel}, **given}
    if channel == "tg_bot":                             # sent by the relay, not a phone
        properties["sim"] = _NONE
    for name in ("subject", "title", "bot_token"):      # only for the channels that take them
        properties.setdefault(name, _NONE)
    return {"properties": properties, "required": _REQUIRED.get(channel, [])}


SEND = {
    "type": "object", "additionalProperties": False, "required": ["phone_id", "channel", "text"],
    "properties": {
        "phone_id": text(64), "channel": {"enum": list(validate.CHANNELS)},
        "to": {"type": ["string", "null"], "maxLength": 320,
               "description": "sms, wa: a phone number; tg: @username or a phone number; email: "
                              "an address; tg_bot: a chat id or @channel; notify, pchat: a "
                              "thread name, optional"},
        "text": text(validate.MAX_TEXT),
        "source": or_null({"type": "string", "maxLength": validate.MAX_SOURCE}),
        "idempotency_key": or_null(IDEMPOTENCY_KEY),
        "subject": or_null({"type": "string", "maxLength": validate.MAX_SUBJECT}),
        "title": or_null({"type": "string", "maxLength": validate.MAX_SUBJECT}),
        "bot_token": {"type": ["string", "null"], "writeOnly": True},
        "tags": tag_list(validate.MAX_TAGS, validate.MAX_TAG),
        "sim": or_null({"enum": list(validate.SIM_SLOTS), "description":
                        "the phone's SIM slot to send from (a phone without it fails the "
                        "message); not for a channel the relay sends itself"}),
        "status_callback_url": or_null({
            **CALLBACK_URL, "description": "a callback URL the client registered (and left "
                                           "active); gets the message's status changes"}),
    },
    "oneOf": [_channel_rules(channel) for channel in validate.CHANNELS],
}
ACCEPTED = {
    "type": "object", "required": ["success", "message_id", "status", "idempotency_key"],
    "properties": {"success": {"const": True}, "message_id": {"type": "string"},
                   "status": {"type": "string"}, "idempotency_key": NULLABLE_STRING,
                   "duplicate": {"type": "boolean"},
                   "phone_offline": {"type": "boolean", "description":
                                     "the phone that delivers it has been offline longer than "
                                     "offline_after_seconds; the message waits for it"},
                   "warning": {"type": "string"},
                   "last_error": NULLABLE_STRING, "delivered_at": TIME},
}
OPENAPI_SCHEMAS = {"Message": MESSAGE, "SendMessage": SEND, "Accepted": ACCEPTED}
OPENAPI_PATHS = {
    "/api/v1/messages": {
        "post": {
            "summary": "Queue a message for delivery",
            "parameters": [{"name": "Idempotency-Key", "in": "header", "required": False,
                            "schema": IDEMPOTENCY_KEY}],
            "requestBody": json_body({"$ref": "#/components/schemas/SendMessage"}),
            "responses": {
                "202": json_response("accepted and durably queued",
                                     {"$ref": "#/components/schemas/Accepted"}),
                "200": json_response("a repeat of an earlier request with the same "
                                     "idempotency key", {"$ref": "#/components/schemas/Accepted"}),
                **error_responses(400, 401, 404, 413, 415, 422, 503)}},
        "get": {
            "summary": "List the client's messages, newest first",
            "parameters": [
                query_param("limit", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT}),
                query_param("status", {"enum": list(STATUSES)}),
                query_param("channel", {"enum": list(validate.CHANNELS)}),
                query_param("phone_id", {"type": "string"}),
                query_param("source", {"type": "string"}),
                query_param("since", GIVEN_TIME),
                query_param("until", GIVEN_TIME),
                query_param("cursor", CURSOR, "next_cursor of the previous page")],
            "responses": {
                "200": page_response("a page of messages", "messages",
                                     {"$ref": "#/components/schemas/Message"}),
                **error_responses(400, 401)}},
    },
    "/api/v1/messages/{message_id}": {
        "get": {
            "summary": "A message with its status history",
            "parameters": [{"name": "message_id", "in": "path", "required": True,
                            "schema": {"type": "string"}}],
            "responses": {
                "200": json_response("the message", {
                    "type": "object", "required": ["success", "message"],
                    "properties": {"success": {"const": True},
                                   "message": {"$ref": "#/components/schemas/Message"}}}),
                **error_responses(401, 404)}},
    },
}
