"""Shared fixtures: a real relay on a loopback port with a DuckDB file in a temp dir, and a
small JSON client over Tornado's AsyncHTTPClient."""
import json
import os
import socket
import ssl
import subprocess
import sys
import time
import urllib.request

import pytest
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
    tests/test_limits.py covers the limit itself."""
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


@pytest.fixture
def data_dir(tmp_path):
    return tmp_path / "data"


@pytest.fixture
async def relay(data_dir):
    running = await start_relay(make_settings(data_dir))
    yield running
    await stop_relay(running)


@pytest.fixture
async def client(relay):
    """A client key for client 'app' and a configured phone 'phone_main'."""
    api = await relay.new_client("app")
    await relay.api.admin("phones.add", phone_id="phone_main")
    yield api
    api.close()


def sms(**fields) -> dict:
    return {"phone_id": "phone_main", "channel": "sms", "to": "+12025550143", "text": "hello",
            **fields}


# -- a relay as a separate process, for kill -9 and CLI tests -------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RelayProcess:
    def __init__(self, data_dir, port: int, env: dict | None = None):
        self.data_dir, self.port = data_dir, port
        self.url = f"http://127.0.0.1:{port}"
        self.env = {**os.environ, "RELAY_RATE_LIMIT": "0", **(env or {})}
        self.proc = None

    def cli(self, *args, check=True) -> subprocess.CompletedProcess:
        result = subprocess.run([sys.executable, "-m", "relay", *args, "--data-dir",
                                 str(self.data_dir)], capture_output=True, text=True,
                                env=self.env, timeout=60)
        if check and result.returncode != 0:
            raise AssertionError(f"relay {' '.join(args)} failed: {result.stderr}")
        return result

    @property
    def log_path(self):
        return self.data_dir.parent / f"{self.data_dir.name}-{self.port}.log"

    def log_text(self) -> str:
        """What the relay printed (JSON lines), through all its starts."""
        return self.log_path.read_text() if self.log_path.exists() else ""

    def start(self):
        # Output goes to a file: the relay logs every request, and an unread pipe would fill
        # and block it.
        with open(self.log_path, "a") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "relay", "serve", "--data-dir", str(self.data_dir),
                 "--port", str(self.port)], env=self.env, stdout=log, stderr=subprocess.STDOUT)
        scheme_url = self.url
        context = ssl._create_unverified_context() if scheme_url.startswith("https") else None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(scheme_url + "/health", timeout=1,
                                            context=context) as response:
                    if response.status == 200:
                        return self
            except OSError:
                if self.proc.poll() is not None:
                    raise AssertionError("relay exited: " + self.log_text())
                time.sleep(0.1)
        raise AssertionError("relay did not start")

    def kill(self):
        self.proc.kill()
        self.proc.wait()

    def stop(self) -> int:
        self.proc.terminate()
        return self.proc.wait(timeout=30)


@pytest.fixture
def relay_process(tmp_path):
    processes = []

    def make(env=None):
        process = RelayProcess(tmp_path / "proc-data", free_port(), env)
        processes.append(process)
        return process
    yield make
    for process in processes:
        if process.proc is not None and process.proc.poll() is None:
            process.kill()
