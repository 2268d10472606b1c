"""The portal's page and files: / is relay/portal/static/index.html, /favicon.ico its icon,
/static/... the rest, and /static/js/statuses.js the message statuses written from the server's
own (relay/core/statuses.py). Nothing is loaded from elsewhere, and the
Content-Security-Policy says so to the browser."""
import json
import pathlib

import tornado.web

from relay.core.statuses import RANK, STATUSES
from relay.web.base import finish_with_error

STATIC = pathlib.Path(__file__).resolve().parent / "static"
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
                               "style-src 'self' 'unsafe-inline'; connect-src 'self'; "
                               "frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def _secure(handler: tornado.web.RequestHandler) -> None:
    for name, value in SECURITY_HEADERS.items():
        handler.set_header(name, value)


class _Generated(tornado.web.RequestHandler):
    """A portal file the server writes rather than reads from STATIC."""
    def initialize(self, relay):
        self.relay = relay

    def write_error(self, status_code: int, **kwargs):
        finish_with_error(self, status_code, self._reason)


class IndexHandler(_Generated):
    def get(self):
        _secure(self)
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.set_header("Cache-Control", "no-store")
        self.finish((STATIC / "index.html").read_bytes())


class AssetHandler(tornado.web.StaticFileHandler):
    def initialize(self, relay):
        super().initialize(path=str(STATIC))

    def set_extra_headers(self, path):
        _secure(self)
        self.set_header("Cache-Control", "no-cache")

    def write_error(self, status_code: int, **kwargs):
        """A missing file is the API's JSON error, not Tornado's HTML page."""
        finish_with_error(self, status_code, f"no such file: {self.request.path}")


class StatusesModule(_Generated):
    """The statuses in their order and their rank, as a module the pages import."""
    SOURCE = (f"export const STATUSES = {json.dumps(STATUSES)};\n"
              f"export const RANK = {json.dumps(RANK)};\n")

    def get(self):
        _secure(self)
        self.set_header("Content-Type", "text/javascript; charset=utf-8")
        self.set_header("Cache-Control", "no-cache")
        self.finish(self.SOURCE)


class FaviconHandler(AssetHandler):
    """/favicon.ico, which browsers and bookmarking tools ask for unprompted: the portal's
    icon, an SVG (its Content-Type says so, whatever the name asked for)."""

    def get(self, include_body: bool = True):
        return super().get("favicon.svg", include_body)

    def head(self):
        return self.get(include_body=False)


ROUTES = [(r"/", IndexHandler), (r"/favicon\.ico", FaviconHandler),
          (r"/static/js/statuses\.js", StatusesModule), (r"/static/(.*)", AssetHandler)]
