"""The shared base handler: authentication, JSON bodies, and the one error shape.

The body streams in (tornado's stream_request_body): a request is authenticated, and its
body's length checked (relay/web/body.py), before any of its body is read, so a client
without a credential or with a body over the route's `max_body` costs no memory for it."""
import hmac
import json
import logging
import re

import tornado.web

from relay.core import apikeys, ids, jsondecode, storable
from relay.core.errors import ApiError, StorageUnavailable
from relay.core.timefmt import utcnow
from relay.web.body import Body
from relay.web.limits import retry_after

log = logging.getLogger("relay.http")
MAX_JSON_BODY = 64 * 1024
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
_HTTP_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
               405: "method_not_allowed", 413: "body_too_large", 415: "unsupported_media_type",
               429: "rate_limited", 503: "unavailable"}


def allowed_methods(handler: tornado.web.RequestHandler) -> str:
    """The methods the handler's class implements, for the Allow header of a 405 (RFC 9110
    requires it there)."""
    unimplemented = tornado.web.RequestHandler.get     # Tornado's one stub for every method
    return ", ".join(method for method in handler.SUPPORTED_METHODS
                     if getattr(type(handler), method.lower(), unimplemented) is not unimplemented)


def finish_with_error(handler: tornado.web.RequestHandler, status: int, message: str) -> None:
    """The JSON error shape from a handler that is not a BaseHandler (files, websockets)."""
    handler.set_header("Content-Type", "application/json; charset=utf-8")
    if status == 405:
        handler.set_header("Allow", allowed_methods(handler))
    handler.finish(json.dumps(ApiError(status, _HTTP_CODES.get(status, "error"), message).body()))


# One encoder for every response body (json.dumps with arguments builds a new one per call).
_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


@tornado.web.stream_request_body
class BaseHandler(tornado.web.RequestHandler):
    """Subclasses set `auth`: 'client' (a client API key), 'admin' (the data dir's admin
    token), 'portal' (the owner's portal session, which the relay's PortalAccess checks) or
    None (public)."""

    auth: str | None = "client"
    max_body = MAX_JSON_BODY

    def initialize(self, relay):
        self.relay = relay          # relay.app.Relay: settings, store, and the services
        self.key = None             # the client's KeyRecord once authenticated
        self._body = None           # the request's Body, once prepare let it in
        # An answer before prepare has passed comes before the body is read, and tornado
        # closes the connection after it: the answer says so, lest the client reuse it.
        self._before_body = True

    @property
    def store(self):
        return self.relay.store

    def set_default_headers(self):
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.set_header("Cache-Control", "no-store")

    def prepare(self):
        given = self.request.headers.get("X-Request-Id")
        self.request_id = given if given and REQUEST_ID.fullmatch(given) else ids.request_id()
        self.set_header("X-Request-Id", self.request_id)
        self.request.remote_ip = self.relay.proxies.client_address(self.request.remote_ip,
                                                                   self.request.headers)
        if self.auth is not None:
            self._authenticate()
        self._body = Body(self.request, self.max_body)
        if (self.auth is not None and self.request.method in WRITE_METHODS
                and not self.relay.disk.ok()):
            raise ApiError(503, "disk_full", "free disk space is below the configured minimum; "
                           "the relay accepts no writes until space is freed")
        self._before_body = False

    def _authenticate(self):
        if self.auth == "client":
            self.key = self._client_key()
            wait = self.relay.request_limits.take(self.key.key_id)
            if wait:
                raise ApiError(429, "rate_limited", "too many requests for this key",
                               headers={"Retry-After": retry_after(wait)})
        elif self.auth == "admin":
            self._check_admin()
        elif self.auth == "portal":
            self.key = self.relay.portal.authenticate(self)

    def data_received(self, chunk: bytes) -> None:
        """A chunk of the body, after prepare. Once the response is sent (a 413 from here),
        tornado passes no more and closes the connection."""
        error = self._body.take(chunk)
        if error is not None:
            self._before_body = True
            self.send_error(error.status, exc_info=(ApiError, error, None))

    @property
    def body(self) -> bytes:
        """The request body: read whole by the time the method runs."""
        return self._body.data

    def counted_failure(self, error: ApiError) -> ApiError:
        """A failed authentication counts against the client's address; past the budget the
        answer is 429 rather than 401. Only a request whose credential failed comes here: a
        correct one passes however often others behind the same address (a proxy) fail,
        and a guess gets no further (every credential has 60 random bits or more)."""
        wait = self.relay.auth_failures.take(self.request.remote_ip)
        if wait:
            return ApiError(429, "too_many_failures", "too many failed authentications from "
                            "this address", headers={"Retry-After": retry_after(wait)})
        return error

    def _auth_failed(self, code: str, message: str, **kw) -> ApiError:
        return self.counted_failure(ApiError(401, code, message, **kw))

    def _bearer(self) -> str | None:
        header = self.request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        return token.strip() if scheme.lower() == "bearer" and token.strip() else None

    def _client_key(self):
        token = self._bearer()
        if token is None:
            raise self._auth_failed("missing_key", "send the client key as 'Authorization: "
                                    "Bearer <key>'", headers={"WWW-Authenticate": "Bearer"})
        # Only hashes of issued keys are stored, so a key found is well formed; the checksum is
        # checked on a miss alone, to tell a mistyped key from a revoked one.
        now = utcnow()
        record = (self.relay.state.key_for(apikeys.key_hash(token), now)
                  if apikeys.has_key_shape(token) else None)
        if record is None:
            message = ("the key is unknown, revoked or expired" if apikeys.well_formed(token)
                       else "this is not a Relay key (its checksum does not match: mistyped?)")
            raise self._auth_failed("invalid_key", message,
                                    headers={"WWW-Authenticate": "Bearer"})
        self.relay.state.note_key_use(record, now)
        return record

    def _check_admin(self):
        token = self._bearer() or ""
        if not hmac.compare_digest(token.encode(), self.relay.admin_token.encode()):
            raise self._auth_failed("invalid_admin_token", "this endpoint needs the admin "
                                    "token from the data dir")

    @property
    def client_id(self) -> str:
        return self.key.client_id

    def json_body(self):
        content_type = self.request.headers.get("Content-Type", "")
        if content_type.split(";")[0].strip().lower() != "application/json":
            raise ApiError(415, "unsupported_media_type", "send the body as application/json")
        try:
            text = self.body.decode("utf-8")
            body = jsondecode.loads(text)
        except (UnicodeDecodeError, ValueError) as error:
            raise ApiError(400, "invalid_json", f"the body is not valid JSON: {error}") from None
        storable.check_json(text, body)
        return body

    def reply(self, status: int, body: dict) -> None:
        self.set_status(status)
        self.finish(_encode(body))

    def log_exception(self, typ, value, tb):
        if isinstance(value, (ApiError, StorageUnavailable, tornado.web.HTTPError)):
            return
        super().log_exception(typ, value, tb)

    def write_error(self, status_code: int, **kwargs):
        error = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(error, StorageUnavailable):
            error = error.api_error()
        elif not isinstance(error, ApiError):
            reason = getattr(error, "log_message", None) or self._reason
            error = ApiError(status_code, _HTTP_CODES.get(status_code, "internal_error"),
                             reason if status_code < 500 else "internal error")
        for name, value in error.headers.items():
            self.set_header(name, value)
        if error.status == 405:
            self.set_header("Allow", allowed_methods(self))
        if getattr(self, "request_id", None):       # send_error cleared the headers
            self.set_header("X-Request-Id", self.request_id)
        if self._before_body:
            self.set_header("Connection", "close")
        self.set_status(error.status)
        self.set_default_headers()
        self.finish(json.dumps(error.body()))


class NotFoundHandler(BaseHandler):
    auth = None

    def prepare(self):
        raise self._no_such_endpoint()

    def _no_such_endpoint(self) -> ApiError:
        return ApiError(404, "not_found", f"no such endpoint: {self.request.path}")

    def write_error(self, status_code: int, **kwargs):
        # Tornado refuses a method it does not know (TRACE) before prepare, with a 405; here no
        # method is allowed, for the path is unknown.
        super().write_error(404, exc_info=(ApiError, self._no_such_endpoint(), None))
