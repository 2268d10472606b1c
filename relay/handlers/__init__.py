"""HTTP handlers: one module per API feature, all built on base.BaseHandler.

Each feature module has ROUTES [(pattern, handler)] and, if it is part of the public API,
OPENAPI_PATHS {path: path item} for /api/v1/openapi.json."""
from relay.handlers import (admin, callbacks, contacts, device, health, messages, metrics,
                            openapi, phones, portal_api, portal_live, portal_overview,
                            portal_session, portal_static, webchat)

FEATURES = (messages, health, admin, openapi, device, phones, callbacks, contacts, webchat,
            metrics, portal_session, portal_api, portal_overview, portal_live, portal_static)
