"""The phone's side of the API: POST /api/v1/device/pair, POST /api/v1/device/token and the
websocket /api/v1/device/ws (docs/device-protocol.md)."""
import asyncio
import contextlib
import datetime as dt
import functools
import logging
import time

import tornado.websocket

from relay.core.errors import ApiError, StorageUnavailable, bad_request
from relay.core.inbound import inbound_event
from relay.core.timefmt import iso, utcnow
from relay.agent import protocol
from relay.phones import tokens
from relay.web.base import BaseHandler
from relay.web.openapi import error_responses, json_body, json_response
from relay.phones import credentials
from relay.phones.phone_queue import RecordDeviceEvent
from relay.phones.inbound import RecordInbound
from relay.messages.delivery import record_delivery
from relay.messages.status import RecordStatus

log = logging.getLogger("relay.device")
WS_PATH = "/api/v1/device/ws"
HEARTBEAT_SECONDS = 30
MAX_PENDING_FRAMES = 64    # a phone's frames being committed at once; then reading waits


def _secret_field(body, name: str) -> str:
    if not isinstance(body, dict):
        raise bad_request(None, "the body must be a JSON object", "invalid_body")
    for field in body:
        if field != name:
            raise bad_request(field, f"unknown field '{field}'", "unknown_field")
    value = body.get(name)
    if not isinstance(value, str) or not 1 <= len(value) <= 200:
        raise bad_request(name, f"'{name}' is required", "required")
    return value


class PhoneAuth:
    """The phone endpoints authenticate with their own secrets (pairing code, refresh token,
    access token), under the same per-address limit on failed attempts as client keys."""
    auth = None

    @contextlib.contextmanager
    def counting_failures(self):
        try:
            yield
        except ApiError as error:
            if error.status != 401:
                raise
            raise self.counted_failure(error) from None


class GrantHandler(PhoneAuth, BaseHandler):
    """Answers a pairing or a refresh with a fresh access token and refresh token."""

    def grant(self, grant: credentials.Grant) -> None:
        devices = self.relay.devices
        token = tokens.issue_access_token(devices.signing_key, grant.phone_id, grant.session_id,
                                          devices.token_lifetime, utcnow())
        base = self.relay.settings.url
        self.reply(200, {"success": True, "phone_id": grant.phone_id, "token_type": "Bearer",
                         "access_token": token,
                         "expires_in": int(devices.token_lifetime.total_seconds()),
                         "refresh_token": grant.refresh_token, "protocol": protocol.VERSION,
                         "ws_url": "ws" + base[len("http"):] + WS_PATH})


class PairHandler(GrantHandler):
    async def post(self):
        code = _secret_field(self.json_body(), "pairing_code")
        with self.counting_failures():
            self.grant(await self.store.write(credentials.Pair(code)))


class TokenHandler(GrantHandler):
    async def post(self):
        refresh_token = _secret_field(self.json_body(), "refresh_token")
        with self.counting_failures():
            grant = await self.store.write(credentials.Refresh(refresh_token))
            if grant.reused:
                raise tokens.unauthorized("refresh_token_reused", "this refresh token was "
                                          "already used; the phone's tokens are revoked: pair "
                                          "it again")
        self.grant(grant)


class DeviceSocket(PhoneAuth, BaseHandler, tornado.websocket.WebSocketHandler):
    """One phone's live connection. The access token is checked before the upgrade."""

    def initialize(self, relay):
        super().initialize(relay)
        self.phone_id = self.session_id = None    # set once the access token is accepted
        self._pending: set[asyncio.Task] = set()
        self._expiry = None

    def prepare(self):
        super().prepare()
        if self.request.query:
            raise bad_request(None, "the device socket takes no query parameters; send the "
                              "access token as 'Authorization: Bearer <token>'", "token_in_url")
        with self.counting_failures():
            token = self._bearer()
            if token is None:
                raise tokens.unauthorized("missing_token", "send the access token as "
                                          "'Authorization: Bearer <token>'")
            claims = self.relay.devices.authenticate(token)
        self.phone_id, self.session_id = claims["sub"], claims["sid"]
        self.token_expires = claims["exp"]

    @property
    def ping_interval(self):
        return self.relay.settings.device_ping_seconds

    @property
    def ping_timeout(self):
        return self.relay.settings.device_ping_seconds

    @property
    def max_message_size(self):
        return protocol.MAX_FRAME

    def open(self):
        devices = self.relay.devices
        self._expiry = asyncio.get_running_loop().call_later(
            max(0.0, self.token_expires - time.time()), self.close,
            protocol.CLOSE_TOKEN_EXPIRED, "the access token expired")
        self.send_frame({"type": "hello", "protocol": protocol.VERSION,
                         "phone_id": self.phone_id,
                         "max_in_flight": self.relay.settings.max_in_flight,
                         "heartbeat_seconds": HEARTBEAT_SECONDS,
                         "token_expires_at": iso(dt.datetime.fromtimestamp(
                             self.token_expires, dt.timezone.utc).replace(tzinfo=None))})
        devices.connected(self)

    def send_frame(self, frame: dict) -> None:
        try:
            self.write_message(protocol.encode(frame))
        except tornado.websocket.WebSocketClosedError:
            pass      # what was in flight is redelivered on the next connection

    def on_pong(self, data):
        self.relay.devices.seen(self.phone_id)

    async def on_message(self, raw):
        self.relay.devices.seen(self.phone_id)
        try:
            frame = protocol.decode(raw)
        except ApiError as error:
            self.send_frame(protocol.error_frame(error, None))
            return
        # Frames are committed concurrently (each is answered after its own commit); status
        # only moves forward and inbound events are de-duplicated, so their order is free.
        task = asyncio.ensure_future(self._answer(frame))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)
        if len(self._pending) >= MAX_PENDING_FRAMES:
            await asyncio.wait(self._pending, return_when=asyncio.FIRST_COMPLETED)

    async def _answer(self, frame: dict) -> None:
        try:
            answer = await getattr(self, "_on_" + frame["type"])(frame)
        except ApiError as error:
            answer = protocol.error_frame(error, frame)
        except StorageUnavailable as error:
            answer = protocol.error_frame(ApiError(503, "storage_unavailable", str(error)), frame)
        except Exception:   # a frame nobody foresaw still gets its answer; the socket stays
            log.exception("answering a %s frame of %s failed", frame["type"], self.phone_id)
            answer = protocol.error_frame(ApiError(500, "internal_error", "internal error"),
                                          frame)
        if answer is not None:
            self.send_frame(answer)

    async def _on_status(self, frame: dict) -> dict:
        message_id, status, error, delivered_at = protocol.status_report(frame)
        recorded = await self.store.write(RecordStatus(message_id, status, error, delivered_at,
                                                       phone_id=self.phone_id))
        report = protocol.delivery_report(frame)
        if report is not None:      # the network's word on it, once it is sent
            recorded = await record_delivery(self.store, self.phone_id, message_id, report)
        return {"type": "ack", "for": "status", "message_id": message_id, "status": status,
                "recorded": recorded}

    async def _on_inbound(self, frame: dict) -> dict:
        event = inbound_event(protocol.inbound_fields(frame),
                              self.relay.settings.default_region)
        recorded = await self.store.write(RecordInbound(self.phone_id, event))
        return {"type": "ack", "for": "inbound", "event_id": event.device_event_id,
                "relay_event_id": recorded.event_id, "duplicate": recorded.duplicate}

    async def _on_heartbeat(self, frame: dict) -> None:
        values, channels = protocol.heartbeat(frame), protocol.capabilities(frame)
        devices = self.relay.devices
        devices.seen(self.phone_id, values)
        devices.record(RecordDeviceEvent(self.phone_id, "heartbeat", **values, channels=channels),
                       then=None if channels is None else functools.partial(
                           devices.capable, self.phone_id, channels))

    def on_close(self):
        if self._expiry is not None:
            self._expiry.cancel()
        if self.phone_id is not None:
            self.relay.devices.disconnected(self)


ROUTES = [
    (r"/api/v1/device/pair", PairHandler),
    (r"/api/v1/device/token", TokenHandler),
    (WS_PATH, DeviceSocket),
]

GRANT = {
    "type": "object",
    "required": ["success", "phone_id", "access_token", "expires_in", "refresh_token"],
    "properties": {"success": {"const": True}, "phone_id": {"type": "string"},
                   "token_type": {"const": "Bearer"}, "access_token": {"type": "string"},
                   "expires_in": {"type": "integer"}, "refresh_token": {"type": "string"},
                   "protocol": {"type": "integer"}, "ws_url": {"type": "string"}},
}
OPENAPI_SCHEMAS = {"DeviceGrant": GRANT}


def _grant_path(summary: str, field: str) -> dict:
    return {"post": {
        "summary": summary, "security": [],
        "requestBody": json_body({"type": "object", "additionalProperties": False,
                                  "required": [field], "properties": {field: {
                                      "type": "string", "minLength": 1, "maxLength": 200}}}),
        "responses": {"200": json_response("tokens for the phone",
                                           {"$ref": "#/components/schemas/DeviceGrant"}),
                      **error_responses(400, 401, 415, 429)}}}


OPENAPI_PATHS = {
    "/api/v1/device/pair": _grant_path("A phone trades a single-use pairing code for tokens",
                                       "pairing_code"),
    "/api/v1/device/token": _grant_path("A phone renews its tokens (the refresh token rotates; "
                                        "a reused one revokes the phone)", "refresh_token"),
    WS_PATH: {"get": {
        "summary": "The phone's websocket (docs/device-protocol.md); the access token goes in "
                   "the Authorization header",
        "security": [],
        "responses": {"101": {"description": "switched to the device protocol"},
                      **error_responses(400, 401, 429)}}},
}
