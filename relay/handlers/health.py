"""GET /health: no auth; 503 when the database cannot be written."""
import relay
from relay.handlers.base import BaseHandler
from relay.handlers.openapi import json_response


class HealthHandler(BaseHandler):
    auth = None

    def get(self):
        writable = self.store.writer.healthy and self.store.writer.alive
        self.reply(200 if writable else 503, {
            "success": writable,
            "status": "ok" if writable else "degraded",
            "database": "writable" if writable else "not writable",
            "version": relay.__version__,
            "queue_depth": self.relay.state.queue_depth(),
            "phones_online": len(self.relay.online_phones),
            "phones_configured": len(self.relay.state.phones),
        })


ROUTES = [(r"/health", HealthHandler)]
OPENAPI_PATHS = {"/health": {"get": {
    "summary": "Health: database state, version, queue depth, phones online", "security": [],
    "responses": {code: json_response(text, {
        "type": "object",
        "required": ["success", "status", "database", "version", "queue_depth", "phones_online"],
        "properties": {"success": {"type": "boolean"}, "status": {"type": "string"},
                       "database": {"type": "string"}, "version": {"type": "string"},
                       "queue_depth": {"type": "integer"}, "phones_online": {"type": "integer"},
                       "phones_configured": {"type": "integer"}}})
        for code, text in (("200", "the relay can accept messages"),
                           ("503", "the database cannot be written"))}}}}
