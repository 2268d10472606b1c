"""Every route of the app, collected from the feature packages, and the OpenAPI document
assembled from them.

Each handlers module has ROUTES [(pattern, handler)] and, if it is part of the public API,
OPENAPI_PATHS {path: path item} (and OPENAPI_SCHEMAS) for /api/v1/openapi.json."""
import json

import relay
from relay.admin import handlers as admin_handlers
from relay.alerts import handlers as alerts_handlers
from relay.analytics import contacts_handlers, handlers as analytics_handlers
from relay.messages import handlers as messages_handlers
from relay.phones import agent_handlers, device_handlers, handlers as phones_handlers
from relay.portal import api as portal_api, live, overview, session, static_files
from relay.web import health, metrics_handler
from relay.web.base import BaseHandler
from relay.web.openapi import COMPONENTS, json_response
from relay.webhooks import handlers as webhooks_handlers

FEATURES = (messages_handlers, health, admin_handlers, device_handlers, phones_handlers,
            webhooks_handlers, contacts_handlers, analytics_handlers, alerts_handlers,
            metrics_handler, session, portal_api, overview, live, static_files, agent_handlers)
OPENAPI_PATHS = {"/api/v1/openapi.json": {"get": {
    "summary": "This document", "security": [],
    "responses": {"200": json_response("the OpenAPI document", {"type": "object"})}}}}


def document() -> dict:
    paths = dict(OPENAPI_PATHS)
    schemas = dict(COMPONENTS["schemas"])
    for feature in FEATURES:
        paths.update(getattr(feature, "OPENAPI_PATHS", {}))
        schemas.update(getattr(feature, "OPENAPI_SCHEMAS", {}))
    return {
        "openapi": "3.1.0",
        "info": {"title": "Relay API", "version": relay.__version__,
                 "description": "Send messages through your own phone; see docs/api.md."},
        "servers": [{"url": "/"}],
        "security": [{"clientKey": []}],
        "paths": paths,
        "components": {**COMPONENTS, "schemas": schemas},
    }


class OpenApiHandler(BaseHandler):
    auth = None

    def get(self):
        self.finish(json.dumps(document()))


ROUTES = [(r"/api/v1/openapi.json", OpenApiHandler),
          *(route for feature in FEATURES for route in feature.ROUTES)]
