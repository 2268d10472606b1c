"""POST/GET /api/v1/messages, POST /api/v1/messages/batch, GET and PATCH
/api/v1/messages/<id> and POST /api/v1/messages/<id>/cancel."""
import datetime as dt

from relay.messages import validate
from relay.core.errors import ApiError, StorageUnavailable, bad_request, json_object
from relay.core.numbers import whole_number
from relay.core.statuses import QUEUED, STATUSES
from relay.core.timefmt import time_field, utcnow
from relay.web.base import BaseHandler
from relay.web.openapi import (CALLBACK_URL, CURSOR, ERROR_DETAIL, GIVEN_TIME, IDEMPOTENCY_KEY,
                               NULLABLE_STRING, OFFSET_TIME, TIME, error_responses, json_body,
                               json_response, or_null, page_response, query_param, tag_list,
                               text)
from relay.messages import queries
from relay.messages.acceptance import Acceptance
from relay.messages.changes import CANCELLED, CancelMessage, Reschedule
from relay.messages.segments import GSM_7, UCS_2

LIST_PARAMS = ("limit", *queries.LIST_FILTERS)
MAX_LIMIT = 500
MAX_BATCH = 1000
# A batch's body may be larger than a single send's (relay/web/base.py MAX_JSON_BODY, 64 KiB):
# it holds 1,000 sms of the longest text (1,600 characters) even when they are written as
# \uXXXX escapes, 6 bytes a character, as json.dumps does by default outside ASCII. It is
# parsed whole on the IOLoop (some 100 ms at the limit), so it is no larger.
MAX_BATCH_BODY = 10 * 1024 * 1024


class MessagesHandler(BaseHandler):
    async def post(self):
        body = self.json_body()
        header_key = validate.idempotency_key(self.request.headers.get("Idempotency-Key"),
                                              "Idempotency-Key")
        acceptance = Acceptance(self.relay, self.client_id, self.key.key_id)
        op = acceptance.operation(body, header_key)
        accepted = await self.store.write(op)
        [(status, answer)] = await acceptance.answers([(op, accepted)])
        self.reply(status, {"success": True, **answer})

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
            queries.list_messages, self.store.body_keys, self.client_id, filters, limit,
            self.relay.devices.ttl)
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


class BatchHandler(BaseHandler):
    max_body = MAX_BATCH_BODY

    async def post(self):
        if "Idempotency-Key" in self.request.headers:
            raise bad_request("Idempotency-Key", "a batch takes no Idempotency-Key header: each "
                              "message has its own idempotency_key", "not_allowed")
        items = _batch_items(self.json_body())
        acceptance = Acceptance(self.relay, self.client_id, self.key.key_id)
        results: list = [None] * len(items)
        ops = []                                  # (index, operation) of the items let in
        for index, item in enumerate(items):
            try:
                ops.append((index, acceptance.operation(item)))
            except ApiError as error:
                results[index] = _item_error(index, error)
        committed = []                            # (index, operation, Accepted)
        outcomes = await self.store.write_group([op for _, op in ops])
        for (index, op), outcome in zip(ops, outcomes):
            if isinstance(outcome, StorageUnavailable):
                outcome = outcome.api_error()
            if isinstance(outcome, ApiError):
                results[index] = _item_error(index, outcome)
            elif isinstance(outcome, BaseException):
                raise outcome
            else:
                committed.append((index, op, outcome))
        answers = await acceptance.answers([(op, accepted) for _, op, accepted in committed])
        for (index, _, _), (status, answer) in zip(committed, answers):
            # "status" is the item's HTTP status here; the message's is message_status.
            answer["message_status"] = answer.pop("status")
            results[index] = {"index": index, "status": status, **answer}
        self.reply(200, {"success": True, "results": results})


def _batch_items(body) -> list:
    json_object(body, ("messages",))
    items = body.get("messages")
    if items is None:
        raise bad_request("messages", "'messages' is required: a list of send objects",
                          "required")
    if not isinstance(items, list):
        raise bad_request("messages", "'messages' must be a list of send objects",
                          "invalid_type")
    if not 1 <= len(items) <= MAX_BATCH:
        raise bad_request("messages", f"'messages' must hold 1-{MAX_BATCH} send objects, not "
                          f"{len(items)}", "too_many" if items else "required")
    return items


def _item_error(index: int, error: ApiError) -> dict:
    return {"index": index, "status": error.status, "error": error.body()["error"]}


class _OneMessage(BaseHandler):
    """What the handlers of one message share."""

    async def message(self, message_id: str) -> dict:
        """The client's message as the API shows it (with its pacing hold), else a 404."""
        message = await self.store.read(queries.get_message, self.store.body_keys,
                                        self.client_id, message_id, self.relay.devices.ttl)
        if message is None:
            raise ApiError(404, "unknown_message", f"no message '{message_id}'", "message_id")
        return {**message, **self.relay.devices.held(message)}

    async def change(self, message: dict, op) -> bool:
        """Writes a change to a message still waiting, keeping it from its phone meanwhile:
        once committed, the change's own fact takes it out of its queue (cancelled, or moved
        to a new time); refused, or changing nothing, it goes back to its place."""
        message_id, phone_id, channel = (message["message_id"], message["phone_id"],
                                         message["channel"])
        devices = self.relay.devices
        if message["status"] == QUEUED and not devices.withhold(phone_id, message_id, channel):
            raise ApiError(409, "already_sending", "the message was already handed to its "
                           "phone", "message_id")
        changed = False
        try:
            changed = await self.store.write(op) is not False
        finally:
            if not changed:
                devices.give_back(phone_id, message_id, channel)
        return changed


class MessageHandler(_OneMessage):
    async def get(self, message_id):
        self.reply(200, {"success": True, "message": await self.message(message_id)})

    async def patch(self, message_id):
        """Moves a waiting message to a new send_at (one in the past: at once)."""
        body = self.json_body()
        json_object(body, ("send_at",))
        if body.get("send_at") is None:
            raise bad_request("send_at", "'send_at' is required", "required")
        send_at, _, _ = validate.timing(body, dt.timedelta(
            days=self.relay.settings.schedule_horizon_days))
        message = await self.message(message_id)
        await self.change(message, Reschedule(message_id, message["phone_id"],
                                              message["channel"], send_at or utcnow()))
        self.reply(200, {"success": True, "message": await self.message(message_id)})


class CancelHandler(_OneMessage):
    async def post(self, message_id):
        """Cancels a message not yet handed on; cancelling it again answers the same."""
        message = await self.message(message_id)
        if not await self.change(message, CancelMessage(message_id)):
            message = await self.message(message_id)
            if message["status"] != "failed" or message["last_error"] != CANCELLED:
                raise ApiError(409, "already_final", f"the message has already ended "
                               f"({message['status']})", "message_id")
        self.reply(200, {"success": True, "message": await self.message(message_id)})


ROUTES = [
    (r"/api/v1/messages", MessagesHandler),
    (r"/api/v1/messages/batch", BatchHandler),     # before the message id's route
    (r"/api/v1/messages/([^/]+)/cancel", CancelHandler),
    (r"/api/v1/messages/([^/]+)", MessageHandler),
]

# When a message may go and expires, and its priority: on the 202 and on the message.
_TIMING = {
    "scheduled_for": {**TIME, "description": "when a scheduled message may go (its send_at, "
                      "or the latest PATCH's); null for one sent at once"},
    "expires_at": {**TIME, "description": "when it expires unless it ends first: its own "
                   "expires_at, else its ttl_seconds (or the relay's) from when it may go"},
    "priority": {"enum": list(validate.PRIORITIES)},
}
_SEGMENTS = {
    "encoding": {"enum": [GSM_7, UCS_2, None], "description": "sms: the alphabet the text "
                 "goes in, GSM-7 when the GSM 03.38 alphabet holds it, else UCS-2; null for "
                 "other channels"},
    "segments": {"type": ["integer", "null"], "minimum": 1, "description": "sms: the SMS "
                 "parts the text needs (GSM-7: 160 septets alone, 153 a part; UCS-2: 70 UTF-16 "
                 "units alone, 67 a part); null for other channels"},
}
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
        **_TIMING,
        **_SEGMENTS,
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
        "send_at": or_null({**OFFSET_TIME, "description": "not before then (a time past: at "
                            "once); at most schedule_horizon_days ahead"}),
        "ttl_seconds": or_null({"type": "integer", "minimum": 1, "maximum": 315360000,
                                "description": "its own time to live, from when it may go "
                                "(not with expires_at)"}),
        "expires_at": or_null({**OFFSET_TIME, "description": "its own expiry, after now and "
                               "after send_at (not with ttl_seconds)"}),
        "priority": or_null({"enum": list(validate.PRIORITIES), "description":
                             "high goes ahead of normal messages in its phone's queue"}),
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
                   "last_error": NULLABLE_STRING, "delivered_at": TIME, **_SEGMENTS,
                   **_TIMING},
}
_BATCH_ACCEPTED = {
    "type": "object", "required": ["index", "status", "message_id", "message_status",
                                   "idempotency_key"],
    "properties": {
        **{name: value for name, value in ACCEPTED["properties"].items()
           if name not in ("success", "status")},
        "index": {"type": "integer", "minimum": 0},
        "status": {"enum": [200, 202], "description": "202: a new message; 200: a repeat of "
                   "an accepted one (its idempotency key), duplicate true"},
        "message_status": {"type": "string", "description": "the message's status (the "
                           "single send's `status`)"}},
}
_BATCH_FAILED = {
    "type": "object", "required": ["index", "status", "error"],
    "properties": {"index": {"type": "integer", "minimum": 0},
                   "status": {"type": "integer", "minimum": 400, "maximum": 599,
                              "description": "what a single send of the item would answer"},
                   "error": ERROR_DETAIL},
}
BATCH = {
    "type": "object", "additionalProperties": False, "required": ["messages"],
    "properties": {"messages": {
        "type": "array", "minItems": 1, "maxItems": MAX_BATCH,
        "items": {"description": "a SendMessage object; one that is not gets an error in its "
                                 "own result, and the others are accepted all the same"}}},
}
BATCH_RESULTS = {
    "type": "object", "required": ["success", "results"],
    "properties": {"success": {"const": True}, "results": {
        "type": "array", "description": "one result per message, in their order",
        "items": {"oneOf": [_BATCH_ACCEPTED, _BATCH_FAILED]}}},
}
_MESSAGE_ID = {"name": "message_id", "in": "path", "required": True,
               "schema": {"type": "string"}}
_ONE_MESSAGE = json_response("the message", {
    "type": "object", "required": ["success", "message"],
    "properties": {"success": {"const": True},
                   "message": {"$ref": "#/components/schemas/Message"}}})
OPENAPI_SCHEMAS = {"Message": MESSAGE, "SendMessage": SEND, "Accepted": ACCEPTED,
                   "SendBatch": BATCH, "BatchResults": BATCH_RESULTS}
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
    "/api/v1/messages/batch": {
        "post": {
            "summary": "Queue up to 1,000 messages in one commit, each answered on its own",
            "description": "Each message is a SendMessage with its own optional "
                           "idempotency_key (the Idempotency-Key header is refused). The body "
                           f"may be up to {MAX_BATCH_BODY // 2**20} MiB.",
            "requestBody": json_body({"$ref": "#/components/schemas/SendBatch"}),
            "responses": {
                "200": json_response("every message's result, in order",
                                     {"$ref": "#/components/schemas/BatchResults"}),
                **error_responses(400, 401, 413, 415, 503)}},
    },
    "/api/v1/messages/{message_id}": {
        "get": {
            "summary": "A message with its status history",
            "parameters": [_MESSAGE_ID],
            "responses": {"200": _ONE_MESSAGE, **error_responses(401, 404)}},
        "patch": {
            "summary": "Move a message still waiting to a new send_at",
            "parameters": [_MESSAGE_ID],
            "requestBody": json_body({
                "type": "object", "additionalProperties": False, "required": ["send_at"],
                "properties": {"send_at": {**OFFSET_TIME, "description": "the new time (a "
                                           "time past: at once)"}}}),
            "responses": {"200": _ONE_MESSAGE,
                          **error_responses(400, 401, 404, 409, 413, 415)}},
    },
    "/api/v1/messages/{message_id}/cancel": {
        "post": {
            "summary": "Cancel a message not yet handed on (again: the same answer)",
            "parameters": [_MESSAGE_ID],
            "responses": {"200": _ONE_MESSAGE, **error_responses(401, 404, 409)}},
    },
}
