"""Inbound callbacks (webhooks): registration, the deliveries log, and redelivery.

POST/GET/DELETE /api/v1/webchat/callbacks/inbound,
GET /api/v1/webchat/callbacks/inbound/deliveries,
POST /api/v1/webchat/callbacks/inbound/deliveries/<delivery_id>/redeliver."""
import json

from relay.core.errors import bad_request, json_object, not_found
from relay.core.inbound import INBOUND_CHANNELS
from relay.core.numbers import whole_number
from relay.web.base import BaseHandler
from relay.web.openapi import (CALLBACK_URL, CURSOR, NULLABLE_STRING, TIME, error_responses,
                               json_body, json_response, or_null, page_response, query_param,
                               text)
from relay.messages import queries
from relay.webhooks.operations import DeleteCallback, RegisterCallback, Redeliver, describe
from relay.webhooks import delivery_log
from relay.webhooks.definition import (CALLBACK_EVENT_TYPES, FIELDS, PHONE_EVENT_TYPES, TOKEN,
                                       callback_spec)
from relay.webhooks.urls import check_target

BASE = "/api/v1/webchat/callbacks/inbound"
DELETE_BY = ("id", "callback_url")
DELIVERY_PARAMS = ("callback_id", "status", "message_id", "limit", "cursor")
MAX_DELIVERIES = 200


def _single_query(handler, names) -> dict:
    """The query's parameters, each given once and each one of `names`."""
    for name, values in handler.request.query_arguments.items():
        if name not in names:
            raise bad_request(name, f"unknown parameter '{name}'", "unknown_field")
        if len(values) > 1:
            raise bad_request(name, f"'{name}' is given more than once")
    return {name: handler.get_query_argument(name) for name in handler.request.query_arguments}


class CallbacksHandler(BaseHandler):
    async def post(self):
        spec = callback_spec(self.json_body())
        check_target(spec.callback_url, "callback_url", self.relay.webhooks.policy)
        registered = await self.store.write(RegisterCallback(self.client_id, spec))
        callback = self.relay.state.webhooks.callbacks[registered["id"]]
        self.reply(201 if registered["created"] else 200, {
            "success": True, "created": registered["created"], "callback": describe(callback),
            "secret": registered["secret"]})

    def get(self):
        _single_query(self, ())
        callbacks = sorted(self.relay.state.webhooks.client_callbacks(self.client_id),
                           key=lambda c: c.created_at)
        self.reply(200, {"success": True, "callbacks": [describe(c) for c in callbacks]})

    async def delete(self):
        which = _single_query(self, DELETE_BY)
        if self.body:
            if which:
                raise bad_request(None, "name the callback in the body or in the query, not "
                                        "both", "invalid_body")
            which = _deletion_body(self.json_body())
        if len(which) != 1:
            raise bad_request(None, "give either id or callback_url", "required")
        deleted = await self.store.write(DeleteCallback(
            self.client_id, callback_id=which.get("id"), callback_url=which.get("callback_url")))
        self.reply(200, {"success": True, "deleted": deleted})


def _deletion_body(body) -> dict:
    """The callback a DELETE body names: a client may send its registration body again, so
    the registration's other fields are allowed (and ignored)."""
    body = json_object(body, (*DELETE_BY, *FIELDS))
    which = {name: body[name] for name in DELETE_BY if body.get(name) is not None}
    for name, value in which.items():
        if not isinstance(value, str) or not value:
            raise bad_request(name, f"'{name}' must be a non-empty string", "invalid_type")
    return which


def _delivery_filters(query: dict) -> dict:
    filters = {}
    if "callback_id" in query:
        filters["callback_id"] = query["callback_id"]
    if "message_id" in query:
        filters["subject_id"] = query["message_id"]
    if "status" in query:
        statuses = delivery_log.STATUSES
        if query["status"] not in statuses:
            raise bad_request("status", f"'status' must be one of {', '.join(statuses)}")
        filters["status"] = query["status"]
    if "cursor" in query:
        filters["cursor"] = queries.decode_cursor(query["cursor"])
    return filters


def _shown(delivery: dict) -> dict:
    delivery = dict(delivery)
    del delivery["seq"]
    delivery["message_id"] = delivery.pop("subject_id")
    delivery["payload"] = json.loads(delivery["payload"])
    return delivery


class DeliveriesHandler(BaseHandler):
    async def get(self):
        query = _single_query(self, DELIVERY_PARAMS)
        limit = whole_number("limit", query.get("limit", "50"), 1, MAX_DELIVERIES)
        page, more = await self.store.read(delivery_log.list_deliveries, self.client_id,
                                           _delivery_filters(query), limit)
        self.reply(200, {"success": True, "deliveries": [_shown(d) for d in page],
                         "next_cursor": queries.encode_cursor(more) if more else None})


class RedeliverHandler(BaseHandler):
    async def post(self, delivery_id):
        delivery = await self.store.read(delivery_log.get_delivery, self.client_id, delivery_id)
        if delivery is None:
            raise not_found("unknown_delivery", f"no delivery '{delivery_id}'", "delivery_id")
        await self.store.write(Redeliver(delivery))
        self.reply(202, {"success": True, "delivery_id": delivery_id, "status": "pending"})


ROUTES = [
    (BASE, CallbacksHandler),
    (BASE + "/deliveries", DeliveriesHandler),
    (BASE + r"/deliveries/([^/]+)/redeliver", RedeliverHandler),
]

_CHANNELS = {"type": "array", "items": {"enum": list(INBOUND_CHANNELS)}}
_EVENT_TYPES = {"type": "array", "items": {"enum": list(CALLBACK_EVENT_TYPES)}}
_SECONDS = {"type": ["integer", "null"], "minimum": 0, "maximum": 7 * 86400}
CALLBACK = {
    "type": "object",
    "required": ["id", "callback_url", "channels", "event_types", "active", "created_at"],
    "properties": {
        "id": {"type": "string"}, "callback_url": {"type": "string"},
        "channels": _CHANNELS, "event_types": _EVENT_TYPES,
        "source_filter": NULLABLE_STRING, "keyword_filter": NULLABLE_STRING,
        "min_duration_sec": _SECONDS, "max_duration_sec": _SECONDS,
        "has_callback_token": {"type": "boolean"}, "active": {"type": "boolean"},
        "deactivated_reason": NULLABLE_STRING, "created_at": TIME, "updated_at": TIME},
}
REGISTER = {
    "type": "object", "additionalProperties": False, "required": ["callback_url"],
    "properties": {
        "callback_url": CALLBACK_URL,
        "channels": or_null({**_CHANNELS, "minItems": 1}), "event_types": or_null(_EVENT_TYPES),
        "source_filter": text(320, nullable=True), "keyword_filter": text(200, nullable=True),
        "min_duration_sec": _SECONDS, "max_duration_sec": _SECONDS,
        "callback_token": {"type": ["string", "null"], "writeOnly": True,
                           "pattern": rf"^{TOKEN.pattern}$",
                           "description": "sent back as Authorization: Bearer <token>"},
        "active": {"type": "boolean", "default": True}},
}
DELIVERY = {
    "type": "object",
    "required": ["delivery_id", "callback_id", "type", "message_id", "status", "attempts",
                 "created_at", "next_attempt_at", "events", "payload"],
    "properties": {
        "delivery_id": {"type": "string", "description": "the webhook-id header"},
        "callback_id": {"type": "string"}, "type": {"enum": [
            "inbound", "message.status", *PHONE_EVENT_TYPES, "inbound.unanswered",
            "inbound.answered_late"]},
        "message_id": {"type": "string"}, "status": {"enum": list(delivery_log.STATUSES)},
        "attempts": {"type": "integer"}, "created_at": TIME, "next_attempt_at": TIME,
        "payload": {"type": "object"},
        "events": {"type": "array", "items": {
            "type": "object", "required": ["event", "at"],
            "properties": {"event": {"enum": ["attempt", "redeliver", "cancelled"]},
                           "at": TIME, "attempt": {"type": ["integer", "null"]},
                           "outcome": {"enum": ["delivered", "failed", None]},
                           "status_code": {"type": ["integer", "null"]},
                           "error": NULLABLE_STRING,
                           "duration_ms": {"type": ["integer", "null"]},
                           "next_attempt_at": TIME}}}},
}
_REF = {name: {"$ref": f"#/components/schemas/{name}"}
        for name in ("Callback", "RegisterCallback", "WebhookDelivery")}
OPENAPI_SCHEMAS = {"Callback": CALLBACK, "RegisterCallback": REGISTER, "WebhookDelivery": DELIVERY}
OPENAPI_PATHS = {
    BASE: {
        "post": {
            "summary": "Register a callback for inbound events (or replace the one with this "
                       "URL); answers with its signing secret, shown only here",
            "requestBody": json_body(_REF["RegisterCallback"]),
            "responses": {
                **{code: json_response(text, {
                    "type": "object", "required": ["success", "callback", "secret", "created"],
                    "properties": {"success": {"const": True}, "created": {"type": "boolean"},
                                   "callback": _REF["Callback"],
                                   "secret": {"type": "string", "pattern": "^whsec_"}}})
                   for code, text in (("201", "registered"), ("200", "replaced"))},
                **error_responses(400, 401, 409, 413, 415, 503)}},
        "get": {
            "summary": "The client's callbacks (never their token or secret)",
            "responses": {
                "200": json_response("the callbacks", {
                    "type": "object", "required": ["success", "callbacks"],
                    "properties": {"success": {"const": True},
                                   "callbacks": {"type": "array", "items": _REF["Callback"]}}}),
                **error_responses(400, 401)}},
        "delete": {
            "summary": "Delete a callback by id or by URL, given as a query parameter or in a "
                       "JSON body (the registration body will do)",
            "parameters": [query_param("id", {"type": "string"}),
                           query_param("callback_url", {"type": "string"})],
            "requestBody": {**json_body({
                "type": "object", "properties": {"id": {"type": "string"},
                                                 **REGISTER["properties"]}}),
                            "required": False},
            "responses": {
                "200": json_response("deleted", {
                    "type": "object", "required": ["success", "deleted"],
                    "properties": {"success": {"const": True}, "deleted": {"type": "string"}}}),
                **error_responses(400, 401, 404, 415)}},
    },
    BASE + "/deliveries": {
        "get": {
            "summary": "Webhook deliveries, newest first, with every attempt and the outcome",
            "parameters": [
                query_param("callback_id", {"type": "string"}),
                query_param("status", {"enum": list(delivery_log.STATUSES)}),
                query_param("message_id", {"type": "string"},
                            "the inbound event's or the message's id"),
                query_param("limit", {"type": "integer", "minimum": 1,
                                      "maximum": MAX_DELIVERIES}),
                query_param("cursor", CURSOR, "next_cursor of the previous page")],
            "responses": {
                "200": page_response("a page of deliveries", "deliveries",
                                     _REF["WebhookDelivery"]),
                **error_responses(400, 401)}},
    },
    BASE + "/deliveries/{delivery_id}/redeliver": {
        "post": {
            "summary": "Send a delivery again now (same webhook-id and body, new retry window)",
            "parameters": [{"name": "delivery_id", "in": "path", "required": True,
                            "schema": {"type": "string"}}],
            "responses": {
                "202": json_response("queued", {
                    "type": "object", "required": ["success", "delivery_id", "status"],
                    "properties": {"success": {"const": True},
                                   "delivery_id": {"type": "string"},
                                   "status": {"const": "pending"}}}),
                **error_responses(401, 404, 409)}},
    },
}
