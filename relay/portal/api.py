"""The portal's JSON API under /portal/api: the public API's own handlers and the admin actions
for keys and phones, opened by the owner's portal session (auth 'portal') instead of a key.
The page names the client it acts for in the X-Relay-Client header."""
from relay.core.errors import ApiError
from relay.phones.pairing_qr import pairing_svg
from relay.admin import handlers as admin
from relay.alerts import handlers as rules
from relay.webhooks import handlers as callbacks
from relay.messages import handlers as messages
from relay.phones import handlers as phones
from relay.analytics import handlers as webchat

PREFIX = "/portal/api"
ACTIONS = ("keys.create", "keys.list", "keys.rotate", "keys.revoke",
           "phones.add", "phones.list", "phones.pair", "phones.pace", "phones.remove")


def _for_portal(handler: type) -> type:
    """The public API's handler, authenticated by the portal session."""
    return type("Portal" + handler.__name__, (handler,), {"auth": "portal"})


class ActionHandler(admin.ActionHandler):
    """The admin actions a portal page may run; a pairing comes with its Setup QR as SVG."""

    auth = "portal"

    async def post(self, name):
        if name not in ACTIONS:
            raise ApiError(404, "unknown_action", f"no portal action '{name}'")
        await super().post(name)

    def reply(self, status: int, body: dict) -> None:
        if "pairing_code" in body:
            body = {**body, "qr_svg": pairing_svg(body)}
        super().reply(status, body)


ROUTES = [(PREFIX + route.removeprefix("/api/v1"), _for_portal(handler))
          for module in (messages, phones, callbacks, webchat, rules)
          for route, handler in module.ROUTES]
ROUTES.append((PREFIX + r"/actions/([a-z_.]+)", ActionHandler))
