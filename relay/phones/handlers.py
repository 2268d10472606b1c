"""GET /api/v1/phones and GET /api/v1/phones/<phone_id>: online or offline, last seen, battery,
signal, queue depth, messages in flight, and pacing (docs/phones.md): the rules, how much of
each cap is used and what is held. A phone's own pacing is set by the owner (`relay phones
pace`, the portal), not by clients."""
from relay.core.errors import ApiError
from relay.web.base import BaseHandler
from relay.web.openapi import NULLABLE_STRING, TIME, error_responses, json_response


class PhonesHandler(BaseHandler):
    def get(self):
        devices = self.relay.devices
        self.reply(200, {"success": True, "phones": [
            devices.describe(phone_id) for phone_id in sorted(self.relay.state.phones)]})


class PhoneHandler(BaseHandler):
    def get(self, phone_id):
        if phone_id not in self.relay.state.phones:
            raise ApiError(404, "unknown_phone", f"no phone '{phone_id}'", "phone_id")
        self.reply(200, {"success": True, "phone": self.relay.devices.describe(phone_id)})


ROUTES = [
    (r"/api/v1/phones", PhonesHandler),
    (r"/api/v1/phones/([^/]+)", PhoneHandler),
]

NULLABLE_INT = {"type": ["integer", "null"]}
_SECONDS = {"type": "number", "minimum": 0}
_CAP = {"type": "integer", "minimum": 0, "description": "0: no cap"}
_USED = {"used_hour": {"type": "integer", "description": "handed in the last hour"},
         "used_day": {"type": "integer", "description": "handed in the last 24 hours"}}
PACING = {
    "type": "object",
    "required": ["min_interval_seconds", "jitter_seconds", "per_hour", "per_day", "own",
                 "used_hour", "used_day", "by_sim", "held", "held_until", "reason"],
    "description": "the pacing in force (the phone's own values, else the relay's settings)",
    "properties": {
        "min_interval_seconds": _SECONDS, "jitter_seconds": _SECONDS,
        "per_hour": _CAP, "per_day": _CAP,
        "own": {"type": "object", "description": "the phone's own values; null: the relay's "
                "setting", "properties": {
                    "min_interval_seconds": {"type": ["number", "null"]},
                    "jitter_seconds": {"type": ["number", "null"]},
                    "per_hour": NULLABLE_INT, "per_day": NULLABLE_INT}},
        **{name: {**schema, "description": schema["description"] + ", by the SIM that used "
                  "the most"} for name, schema in _USED.items()},
        "by_sim": {"type": "array", "items": {
            "type": "object", "required": ["sim", *_USED], "properties": {
                "sim": {**NULLABLE_INT, "description": "null: the phone's default SIM"},
                **_USED}}},
        "held": {"type": "integer", "description": "messages waiting while pacing holds the "
                 "queue's first one"},
        "held_until": TIME, "reason": {"enum": ["interval", "per_hour", "per_day", None]},
        "held_sim": NULLABLE_INT},
}
PHONE = {
    "type": "object",
    "required": ["phone_id", "online", "paired", "connected_at", "last_seen", "battery",
                 "signal", "app_version", "capabilities", "queue_depth", "in_flight", "pacing"],
    "properties": {
        "phone_id": {"type": "string"}, "online": {"type": "boolean"},
        "paired": {"type": "boolean"}, "connected_at": TIME, "last_seen": TIME,
        "battery": NULLABLE_INT, "signal": NULLABLE_INT, "app_version": NULLABLE_STRING,
        "capabilities": {"type": ["array", "null"], "items": {"type": "string"},
                         "description": "the channels the phone last said it can deliver; "
                                        "null until it says (then it is sent every channel)"},
        "queue_depth": {"type": "integer", "description": "messages waiting to be delivered"},
        "in_flight": {"type": "integer",
                      "description": "delivered to the phone, no final status yet"},
        "pacing": PACING},
}
OPENAPI_SCHEMAS = {"Phone": PHONE}
OPENAPI_PATHS = {
    "/api/v1/phones": {"get": {
        "summary": "The configured phones and their connection state",
        "responses": {"200": json_response("the phones", {
            "type": "object", "required": ["success", "phones"],
            "properties": {"success": {"const": True},
                           "phones": {"type": "array",
                                      "items": {"$ref": "#/components/schemas/Phone"}}}}),
            **error_responses(401, 429)}}},
    "/api/v1/phones/{phone_id}": {"get": {
        "summary": "One phone's connection state",
        "parameters": [{"name": "phone_id", "in": "path", "required": True,
                        "schema": {"type": "string"}}],
        "responses": {"200": json_response("the phone", {
            "type": "object", "required": ["success", "phone"],
            "properties": {"success": {"const": True},
                           "phone": {"$ref": "#/components/schemas/Phone"}}}),
            **error_responses(401, 404, 429)}}},
}
