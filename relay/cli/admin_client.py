"""Runs an admin action on the data dir: through the running relay if there is one (DuckDB lets
one process open the file), else on a Relay opened here for the call."""
import json
import os
import ssl
import urllib.error
import urllib.request

from relay.admin.actions import ACTIONS
from relay.app import ADMIN_TOKEN_FILE, Relay
from relay.config import Settings
from relay.core import storable
from relay.core.errors import ApiError
from relay.server import SERVER_FILE
from relay.store.database import DatabaseLocked


class RelayUnreachable(Exception):
    pass


def running_server(settings: Settings) -> dict | None:
    path = settings.data_dir / SERVER_FILE
    try:
        server = json.loads(path.read_text())
        os.kill(server["pid"], 0)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return server


def loopback_tls(url: str) -> ssl.SSLContext | None:
    """The admin URL is always loopback; a relay serving TLS has a certificate for its public
    name, not for 127.0.0.1, so on loopback the certificate is not checked."""
    return ssl._create_unverified_context() if url.startswith("https://") else None


def _remote(settings: Settings, url: str, name: str, params: dict) -> dict:
    token = (settings.data_dir / ADMIN_TOKEN_FILE).read_text().strip()
    request = urllib.request.Request(
        f"{url}/admin/v1/actions/{name}", data=json.dumps(params).encode(), method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30, context=loopback_tls(url)) as response:
            body = json.loads(response.read())
    except urllib.error.HTTPError as error:
        body = json.loads(error.read() or b"{}")
        problem = body.get("error") or {}
        raise ApiError(error.code, problem.get("code", "error"), problem.get("message", ""),
                       problem.get("field")) from None
    except urllib.error.URLError as error:
        raise RelayUnreachable(f"the relay at {url} did not answer: {error.reason}") from None
    body.pop("success", None)
    return body


def call(settings: Settings, name: str, params: dict) -> dict:
    storable.check(params)      # what was read from stdin besides the checked arguments
    server = running_server(settings)
    if server is not None:
        return _remote(settings, server["url"], name, params)
    try:
        relay = Relay(settings)
    except DatabaseLocked:
        raise RelayUnreachable("another process holds the database, but no running relay is "
                               f"recorded in {settings.data_dir / SERVER_FILE}") from None
    try:
        return ACTIONS[name](relay, **params)
    finally:
        relay.close()
