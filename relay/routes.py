"""Every route of the app, collected from the feature packages.

Each handlers module has ROUTES [(pattern, handler)] and, if it is part of the public API,
OPENAPI_PATHS {path: path item} for /api/v1/openapi.json."""
from relay.admin import handlers as admin_handlers
from relay.analytics import contacts_handlers, handlers as analytics_handlers
from relay.messages import handlers as messages_handlers
from relay.phones import agent_handlers, device_handlers, handlers as phones_handlers
from relay.portal import api as portal_api, live, overview, session, static_files
from relay.web import health, metrics_handler, openapi
from relay.webhooks import handlers as webhooks_handlers

FEATURES = (messages_handlers, health, admin_handlers, openapi, device_handlers, phones_handlers,
            webhooks_handlers, contacts_handlers, analytics_handlers, metrics_handler, session,
            portal_api, overview, live, static_files, agent_handlers)
