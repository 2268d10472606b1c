"""Webhook test helpers: a real receiver (an HTTP server on loopback, in its own threads, that
records what it is sent and answers as each test scripts it) and inbound events recorded as the
phone channel records them. The `hooks` fixture (tests/conftest.py) is a relay allowed to reach
the receiver."""
import asyncio
import collections
import http.server
import itertools
import json
import threading
import time

from relay.core.inbound import inbound_event
from relay.phones.inbound import RecordInbound

LOOPBACK = "127.0.0.0/8,::1/128"
CALLBACKS = "/api/v1/webchat/callbacks/inbound"
_device_ids = itertools.count()

HANG = "hang"      # an answer that never comes (until the receiver is closed)


class Receiver:
    """POST /<name>: recorded under name; answered with the next scripted answer for name
    (a status, (status, headers) or HANG), else 200."""

    def __init__(self):
        self.received: dict[str, list] = collections.defaultdict(list)
        self.answers: dict[str, list] = collections.defaultdict(list)
        self.release = threading.Event()
        self.lock = threading.Lock()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                name = self.path.strip("/")
                record = {"headers": dict(self.headers), "body": body, "at": time.monotonic()}
                with receiver.lock:
                    receiver.received[name].append(record)
                    answer = receiver.answers[name].pop(0) if receiver.answers[name] else 200
                if answer == HANG:
                    receiver.release.wait()
                    answer = 200
                status, headers = answer if isinstance(answer, tuple) else (answer, {})
                record["status"] = status
                self.send_response(status)
                for header, value in headers.items():
                    self.send_header(header, value)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/{name}"

    def script(self, name: str, *answers) -> None:
        with self.lock:
            self.answers[name].extend(answers)

    def bodies(self, name: str) -> list[dict]:
        with self.lock:
            return [json.loads(r["body"]) for r in self.received[name]]

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


async def register(api, url: str, **fields) -> dict:
    status, body = await api.post(CALLBACKS, {"callback_url": url, **fields})
    assert status in (200, 201), body
    return body


async def inbound(running, phone_id: str = "phone_main", **fields) -> str:
    """Records an inbound event as the phone channel does; returns its event id."""
    data = {"event_id": f"dev-{next(_device_ids)}", "channel": "sms", "event_type": "message",
            "contact": "+12025550143", "text": "hello", "occurred_at": "2026-11-26T10:00:00Z",
            **fields}
    recorded = await running.relay.store.write(RecordInbound(phone_id,
                                                             inbound_event(data, "US")))
    return recorded.event_id


async def deliveries(api, **query) -> list[dict]:
    path = CALLBACKS + "/deliveries?" + "&".join(f"{k}={v}" for k, v in query.items())
    status, body = await api.get(path)
    assert status == 200, body
    return body["deliveries"]


async def settled(api, timeout: float = 10.0) -> list[dict]:
    """Waits until no delivery is pending; returns them all."""
    deadline = time.monotonic() + timeout
    while True:
        found = await deliveries(api, limit=200)
        if not any(d["status"] == "pending" for d in found):
            return found
        assert time.monotonic() < deadline, f"deliveries still pending: {found}"
        await asyncio.sleep(0.1)
