"""Health for people and orchestrators, no auth: /health (the summary), /livez (the IOLoop
answers) and /readyz (the relay can accept writes)."""
import relay
from relay.web.base import BaseHandler
from relay.web.openapi import json_response
from relay.store.migrations import versions

LATEST_SCHEMA = versions()[-1][0]


def database_writable(relay) -> bool:
    """The writer thread runs and its last commit succeeded."""
    return relay.store.writer.healthy and relay.store.writer.alive


class HealthHandler(BaseHandler):
    auth = None

    def get(self):
        writable = database_writable(self.relay)
        self.reply(200 if writable else 503, {
            "success": writable,
            "status": "ok" if writable else "degraded",
            "database": "writable" if writable else "not writable",
            "version": relay.__version__,
            "queue_depth": self.relay.state.queue_depth(),
            "phones_online": len(self.relay.online_phones),
            "phones_configured": len(self.relay.state.phones),
        })


class LiveHandler(BaseHandler):
    auth = None

    def get(self):
        self.reply(200, {"success": True, "status": "live"})


class ReadyHandler(BaseHandler):
    auth = None

    def get(self):
        checks = {"database_writable": database_writable(self.relay),
                  "schema_applied": self.store.schema_version == LATEST_SCHEMA,
                  "disk_space": self.relay.disk.ok()}
        ready = all(checks.values())
        self.reply(200 if ready else 503, {"success": ready, "ready": ready, "checks": checks,
                                           "free_disk_mb": self.relay.disk.free_bytes >> 20})


ROUTES = [(r"/health", HealthHandler), (r"/livez", LiveHandler), (r"/readyz", ReadyHandler)]
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
OPENAPI_PATHS["/livez"] = {"get": {
    "summary": "Liveness: the event loop answers", "security": [],
    "responses": {"200": json_response("live", {"type": "object", "required": ["success"]})}}}
OPENAPI_PATHS["/readyz"] = {"get": {
    "summary": "Readiness: database writable, schema applied, disk space above the minimum",
    "security": [],
    "responses": {code: json_response(text, {
        "type": "object", "required": ["success", "ready", "checks"],
        "properties": {"success": {"type": "boolean"}, "ready": {"type": "boolean"},
                       "checks": {"type": "object",
                                  "additionalProperties": {"type": "boolean"}},
                       "free_disk_mb": {"type": "integer"}}})
        for code, text in (("200", "ready"), ("503", "not ready: see checks"))}}}
