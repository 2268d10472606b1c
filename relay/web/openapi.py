"""GET /api/v1/openapi.json: the OpenAPI 3.1 document, assembled from each feature module's
OPENAPI_PATHS so that the description lives beside the handler it describes."""
import json

import relay
from relay.web.base import BaseHandler

ERROR = {"$ref": "#/components/schemas/Error"}


def json_response(description: str, schema: dict) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def error_responses(*statuses: int) -> dict:
    """The error answers of an operation. One that authenticates (401) may also answer 429:
    failed authentications are limited per address, on every route."""
    if 401 in statuses:
        statuses = (*statuses, 429)
    return {str(s): json_response("error", ERROR) for s in sorted(set(statuses))}


def json_body(schema: dict) -> dict:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def query_param(name: str, schema: dict, description: str = "") -> dict:
    return {"name": name, "in": "query", "required": False, "schema": schema,
            "description": description}


NULLABLE_STRING = {"type": ["string", "null"]}
TIME = {"type": ["string", "null"], "format": "date-time"}

COMPONENTS = {
    "securitySchemes": {"clientKey": {"type": "http", "scheme": "bearer",
                                      "description": "a client key made by `relay keys create`"}},
    "schemas": {
        "Error": {
            "type": "object", "required": ["success", "error"],
            "properties": {
                "success": {"const": False},
                "error": {"type": "object", "required": ["code", "message", "field"],
                          "properties": {"code": {"type": "string"},
                                         "message": {"type": "string"},
                                         "field": NULLABLE_STRING}}}},
    },
}


def document() -> dict:
    from relay.routes import FEATURES  # FEATURES includes this module
    paths = {}
    for feature in FEATURES:
        paths.update(getattr(feature, "OPENAPI_PATHS", {}))
    schemas = dict(COMPONENTS["schemas"])
    for feature in FEATURES:
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


ROUTES = [(r"/api/v1/openapi.json", OpenApiHandler)]
OPENAPI_PATHS = {"/api/v1/openapi.json": {"get": {
    "summary": "This document", "security": [],
    "responses": {"200": json_response("the OpenAPI document", {"type": "object"})}}}}
