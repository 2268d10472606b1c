"""POST /admin/v1/actions/<name>: the running relay's side of the CLI (admin token only)."""
import asyncio

from relay.admin.actions import ACTIONS, check_arguments
from relay.core.errors import ApiError
from relay.web.base import BaseHandler


class ActionHandler(BaseHandler):
    auth = "admin"

    async def post(self, name):
        if name not in ACTIONS:
            raise ApiError(404, "unknown_action", f"no admin action '{name}'")
        args = self.json_body() if self.body else {}
        check_arguments(name, args)
        # Actions wait on the writer; run them off the IOLoop.
        loop = asyncio.get_running_loop()
        result = await loop.run_in_executor(None, lambda: ACTIONS[name](self.relay, **args))
        self.reply(200, {"success": True, **result})


ROUTES = [(r"/admin/v1/actions/([a-z_.]+)", ActionHandler)]
