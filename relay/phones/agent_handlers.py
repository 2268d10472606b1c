"""GET /agent/relay-agent.pyz: the phone agent as one file (relay/phones/agent_file.py).

Public: a phone fetches it before it has any credential, and it holds no secret (the pairing
code that makes it a phone of this relay is given on its command line)."""
import asyncio
import functools

from relay.phones import agent_file
from relay.web.base import BaseHandler


@functools.cache
def _agent_bytes() -> bytes:
    """Built once, on first request: the relay's own code does not change while it runs."""
    return agent_file.build()


class AgentFileHandler(BaseHandler):
    auth = None

    async def get(self):
        content = await asyncio.get_running_loop().run_in_executor(None, _agent_bytes)
        self.set_header("Content-Type", "application/zip")
        self.set_header("Content-Disposition", f'attachment; filename="{agent_file.FILE_NAME}"')
        self.set_header("Cache-Control", "no-cache")      # revalidated by its ETag
        self.finish(content)


ROUTES = [(agent_file.PATH, AgentFileHandler)]
OPENAPI_PATHS = {agent_file.PATH: {"get": {
    "summary": "The phone agent as one file that Python 3.11+ runs with nothing installed "
               "(python relay-agent.pyz --relay URL --pairing-code CODE --backend termux)",
    "security": [],
    "responses": {"200": {"description": "a Python zip application",
                          "content": {"application/zip": {"schema": {
                              "type": "string", "format": "binary"}}}}}}}}
