"""POST /admin/v1/actions/<name>: the running relay's side of the CLI (admin token only)."""
import asyncio
import inspect

from relay.admin.actions import ACTIONS
from relay.core.errors import ApiError, bad_request
from relay.web.base import BaseHandler


class ActionHandler(BaseHandler):
    auth = "admin"

    async def post(self, name):
        action = ACTIONS.get(name)
        if action is None:
            raise ApiError(404, "unknown_action", f"no admin action '{name}'")
        args = self.json_body() if self.request.body else {}
        if not isinstance(args, dict):
            raise bad_request(None, "the body must be a JSON object of arguments")
        try:
            inspect.signature(action).bind(self.relay, **args)
        except TypeError as error:
            raise bad_request(None, f"wrong arguments for {name}: {error}") from None
        # Actions wait on the writer; run them off the IOLoop.
        loop = asyncio.get_running_loop()
        result = await loop.run_in_executor(None, lambda: action(self.relay, **args))
        self.reply(200, {"success": True, **result})


ROUTES = [(r"/admin/v1/actions/([a-z_.]+)", ActionHandler)]
