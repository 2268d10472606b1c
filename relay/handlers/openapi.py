"""GET /api/v1/openapi.json: the OpenAPI 3.1 document of the client API."""
import importlib.resources

from relay.handlers.base import BaseHandler

SPEC = importlib.resources.files("relay").joinpath("openapi.json")


class OpenApiHandler(BaseHandler):
    auth = None

    def get(self):
        self.finish(SPEC.read_bytes())


ROUTES = [(r"/api/v1/openapi.json", OpenApiHandler)]
