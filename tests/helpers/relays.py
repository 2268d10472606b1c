"""A real relay in the test's own IOLoop on a loopback port, with its DuckDB file in a temp dir,
and a small JSON client over Tornado's AsyncHTTPClient."""
import json

import tornado.httpclient
import tornado.testing

from relay import config
from relay.app import make_app
from relay.server import http_server


class Api:
    """A client that speaks the relay's JSON API and returns (status, body)."""

    def __init__(self, base_url: str, key: str | None = None, admin_token: str | None = None):
        self.base_url = base_url
        self.key = key
        self.admin_token = admin_token
        self.http = tornado.httpclient.AsyncHTTPClient(force_instance=True)

    async def request(self, method: str, path: str, body=None, key: str | None = None,
                      headers: dict | None = None, raw: bytes | None = None):
        headers = dict(headers or {})
        token = key if key is not None else self.key
        if token:
            headers.setdefault("Authorization", f"Bearer {token}")
        if body is not None or raw is not None:
            headers.setdefault("Content-Type", "application/json")
        payload = raw if raw is not None else (json.dumps(body).encode()
                                               if body is not None else None)
        if payload is None and method in ("POST", "PUT", "PATCH"):
            payload = b""
        response = await self.http.fetch(self.base_url + path, method=method, headers=headers,
                                         body=payload, raise_error=False,
                                         allow_nonstandard_methods=True, request_timeout=30)
        text = response.body.decode() if response.body else ""
        try:
            data = json.loads(text) if text else None
        except ValueError:
            data = text
        return response.code, data

    async def get(self, path, **kw):
        return await self.request("GET", path, **kw)

    async def post(self, path, body=None, **kw):
        return await self.request("POST", path, body, **kw)

    async def admin(self, action: str, **params):
        status, body = await self.request("POST", f"/admin/v1/actions/{action}", params,
                                          key=self.admin_token)
        assert status == 200, body
        return body

    def close(self):
        self.http.close()


class RunningRelay:
    def __init__(self, app, server, base_url, settings):
        self.app, self.server, self.base_url, self.settings = app, server, base_url, settings
        self.relay = app.relay
        self.api = Api(base_url, admin_token=self.relay.admin_token)

    async def new_client(self, name: str) -> Api:
        created = await self.api.admin("keys.create", name=name)
        return Api(self.base_url, key=created["key"], admin_token=self.relay.admin_token)


def make_settings(data_dir, **overrides) -> config.Settings:
    """Default settings, but with the per-key rate limit off: tests send in bursts.
    tests/test_appliance.py covers the limit itself."""
    return config.load({"data_dir": str(data_dir)}, environ={}).replace(
        **{"rate_limit": 0, **overrides})


async def start_relay(settings) -> RunningRelay:
    sock, port = tornado.testing.bind_unused_port()
    settings = settings.replace(port=port)
    app = make_app(settings)
    server = http_server(app)
    server.add_sockets([sock])
    return RunningRelay(app, server, f"http://127.0.0.1:{port}", settings)


async def stop_relay(running: RunningRelay) -> None:
    running.server.stop()
    await running.server.close_all_connections()
    running.api.close()
    running.relay.close()


async def add_client_and_phone(running: RunningRelay) -> Api:
    """A client key for client 'app' and a configured phone 'phone_main'."""
    api = await running.new_client("app")
    await running.api.admin("phones.add", phone_id="phone_main")
    return api


async def relay_with_client(data_dir, **overrides) -> tuple[RunningRelay, Api]:
    """A relay started with make_settings(data_dir, **overrides), its client 'app' and phone."""
    running = await start_relay(make_settings(data_dir, **overrides))
    return running, await add_client_and_phone(running)


def sms(**fields) -> dict:
    return {"phone_id": "phone_main", "channel": "sms", "to": "+12025550143", "text": "hello",
            **fields}


async def send_sms(client: Api, count: int, **fields) -> list[str]:
    """Sends `count` sms (texts m0, m1, ...) to phone_main; their ids, in order."""
    ids = []
    for n in range(count):
        status, body = await client.post("/api/v1/messages", sms(text=f"m{n}", **fields))
        assert status == 202, body
        ids.append(body["message_id"])
    return ids
