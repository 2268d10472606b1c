"""GET /api/v1/phones and GET /api/v1/phones/<phone_id>: online or offline, last seen, battery,
signal, queue depth and messages in flight."""
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
PHONE = {
    "type": "object",
    "required": ["phone_id", "online", "paired", "connected_at", "last_seen", "battery",
                 "signal", "app_version", "capabilities", "queue_depth", "in_flight"],
    "properties": {
        "phone_id": {"type": "string"}, "online": {"type": "boolean"},
        "paired": {"type": "boolean"}, "connected_at": TIME, "last_seen": TIME,
        "battery": NULLABLE_INT, "signal": NULLABLE_INT, "app_version": NULLABLE_STRING,
        "capabilities": {"type": ["array", "null"], "items": {"type": "string"},
                         "description": "the channels the phone last said it can deliver; "
                                        "null until it says (then it is sent every channel)"},
        "queue_depth": {"type": "integer", "description": "messages waiting to be delivered"},
        "in_flight": {"type": "integer",
                      "description": "delivered to the phone, no final status yet"}},
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
