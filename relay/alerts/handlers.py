"""Response-time rules: POST/GET /api/v1/webchat/inbound/rules and GET/PUT/DELETE
/api/v1/webchat/inbound/rules/<rule_id>. Under webchat/inbound, beside the query whose filters
a rule takes: a rule is about the inbound events as that query sees them (docs/alerts.md)."""
from relay.alerts import office_hours, rules
from relay.alerts.operations import DeleteRule, SetRule, describe
from relay.analytics.handlers import QUERY
from relay.core.errors import bad_request, not_found
from relay.messages.validate import CHANNELS
from relay.web.base import BaseHandler
from relay.web.openapi import (CALLBACK_URL, TIME, error_responses, json_body, json_response,
                               or_null, text)

BASE = "/api/v1/webchat/inbound/rules"


class _RuleHandler(BaseHandler):
    def _spec(self) -> rules.RuleSpec:
        settings = self.relay.settings
        return rules.rule_spec(self.json_body(), settings.default_region,
                               bool(settings.strict_phone_numbers))

    def _no_query(self) -> None:
        for name in self.request.query_arguments:
            raise bad_request(name, f"unknown parameter '{name}'", "unknown_field")


class RulesHandler(_RuleHandler):
    async def post(self):
        self._no_query()
        rule = await self.store.write(SetRule(self.client_id, self.key.key_id, self._spec()))
        self.reply(201, {"success": True, "rule": rule})

    def get(self):
        self._no_query()
        owned = sorted(self.relay.state.alerts.client_rules(self.client_id),
                       key=lambda r: (r.created_at, r.rule_id))
        self.reply(200, {"success": True, "rules": [describe(r) for r in owned]})


class RuleHandler(_RuleHandler):
    def get(self, rule_id):
        self._no_query()
        rule = self.relay.state.alerts.rules.get(rule_id)
        if rule is None or rule.client_id != self.client_id:
            raise not_found("unknown_rule", f"no rule '{rule_id}'", "id")
        self.reply(200, {"success": True, "rule": describe(rule)})

    async def put(self, rule_id):
        self._no_query()
        rule = await self.store.write(SetRule(self.client_id, self.key.key_id, self._spec(),
                                              rule_id))
        self.reply(200, {"success": True, "rule": rule})

    async def delete(self, rule_id):
        self._no_query()
        deleted = await self.store.write(DeleteRule(self.client_id, rule_id))
        self.reply(200, {"success": True, "deleted": deleted})


ROUTES = [(BASE, RulesHandler), (BASE + r"/([^/]+)", RuleHandler)]

# -- OpenAPI ----------------------------------------------------------------------------------
_CLOCK = {"type": "string", "pattern": r"^([01][0-9]|2[0-3]):[0-5][0-9]$"}
_OFFICE_HOURS = {
    "type": "object", "additionalProperties": False,
    "description": "the hours the clock runs; `end` after `start`, on the same day",
    "properties": {"tz": QUERY["properties"]["tz"],
                   "days": {"type": "array", "minItems": 1,
                            "items": {"enum": list(office_hours.DAYS)}},
                   "start": {**_CLOCK, "default": "09:00"},
                   "end": {"anyOf": [_CLOCK, {"const": "24:00"}], "default": "17:00"}}}
_NOTIFY = {
    "type": "object", "additionalProperties": False, "required": ["phone_id", "channel"],
    "description": "the owner's message, with the fields of POST /api/v1/messages (its text "
                   "is the alert's) and their rules",
    "properties": {"phone_id": text(64), "channel": {"enum": list(CHANNELS)},
                   "to": text(320), "subject": text(200), "title": text(200)}}
_DEFINITION = {
    "name": text(100, nullable=True),
    "within_minutes": {"type": "integer", "minimum": 1, "maximum": rules.MAX_MINUTES},
    **{name: QUERY["properties"][name] for name in rules.FILTER_FIELDS},
    "office_hours": or_null(_OFFICE_HOURS), "notify": or_null(_NOTIFY),
    "callback_url": or_null({**CALLBACK_URL, "description": "one of the client's callbacks; "
                             "null: every callback that got the event"}),
    "active": {"type": "boolean", "default": True}}
SET_RULE = {"type": "object", "additionalProperties": False, "required": ["within_minutes"],
            "properties": _DEFINITION}
RULE = {"type": "object",
        "required": ["id", "within_minutes", "active", "created_at", "updated_at"],
        "properties": {"id": {"type": "string", "pattern": "^rl_"}, **_DEFINITION,
                       "created_at": TIME, "updated_at": TIME}}
_REF = {name: {"$ref": f"#/components/schemas/{name}"} for name in ("Rule", "SetRule")}
_ONE = {"type": "object", "required": ["success", "rule"],
        "properties": {"success": {"const": True}, "rule": _REF["Rule"]}}
_ID = [{"name": "rule_id", "in": "path", "required": True, "schema": {"type": "string"}}]
OPENAPI_SCHEMAS = {"Rule": RULE, "SetRule": SET_RULE}
OPENAPI_PATHS = {
    BASE: {
        "post": {"summary": "Create a response-time rule: which inbound events must get a "
                            "reply within how many minutes of office hours",
                 "requestBody": json_body(_REF["SetRule"]),
                 "responses": {"201": json_response("created", _ONE),
                               **error_responses(400, 401, 404, 409, 413, 415, 503)}},
        "get": {"summary": "The client's rules",
                "responses": {"200": json_response("the rules", {
                    "type": "object", "required": ["success", "rules"],
                    "properties": {"success": {"const": True},
                                   "rules": {"type": "array", "items": _REF["Rule"]}}}),
                    **error_responses(400, 401)}}},
    BASE + "/{rule_id}": {
        "get": {"summary": "One rule", "parameters": _ID,
                "responses": {"200": json_response("the rule", _ONE),
                              **error_responses(400, 401, 404)}},
        "put": {"summary": "Replace a rule's whole definition; it applies to the events "
                           "recorded from then on",
                "parameters": _ID, "requestBody": json_body(_REF["SetRule"]),
                "responses": {"200": json_response("replaced", _ONE),
                              **error_responses(400, 401, 404, 413, 415, 503)}},
        "delete": {"summary": "Delete a rule and its open deadlines", "parameters": _ID,
                   "responses": {"200": json_response("deleted", {
                       "type": "object", "required": ["success", "deleted"],
                       "properties": {"success": {"const": True},
                                      "deleted": {"type": "string"}}}),
                       **error_responses(400, 401, 404)}}},
}
