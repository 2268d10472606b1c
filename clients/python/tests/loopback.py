"""Real servers on loopback for the client's tests: a relay with a simulated phone (both
`relay` processes from the repo's .venv), a TCP proxy in front of it that can lose answers, a
stand-in that answers with scripted statuses, and a webhook receiver."""
from __future__ import annotations

import http.server
import json
import os
import pathlib
import socket
import subprocess
import threading
import time
import urllib.request
from typing import Callable, List

REPO = pathlib.Path(__file__).resolve().parents[3]
PHONE = "phone_main"
# Inbound history for the query's sections: imported before the relay starts.
HISTORY = [
    {"channel": "sms", "event_type": "message", "contact": "+12025550143", "contact_name": "Ann",
     "text": "Are you open today?", "occurred_at": "2026-11-20T09:00:00Z", "event_id": "h-1"},
    {"channel": "sms", "event_type": "missed", "contact": "+12025550178", "duration_sec": 0,
     "occurred_at": "2026-11-20T10:30:00Z", "event_id": "h-2"},
]


def relay_command() -> List[str]:
    """`relay` from RELAY_BIN, else the repo's .venv (what ./scripts/test.sh makes)."""
    return [os.environ.get("RELAY_BIN") or str(REPO / ".venv" / "bin" / "relay")]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(condition: Callable, timeout: float = 30.0, what: str = "the condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


class RelayWithPhone:
    """`relay serve` on a free port with a fresh data dir, a client key, and phone_main paired
    to `relay phone --simulate`, which writes the id of each message it sends to sent_log."""

    def __init__(self, folder: pathlib.Path):
        self.folder = folder
        self.data_dir = folder / "data"
        self.sent_log = folder / "sent.log"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        # tg_bot messages go to a closed loopback port: the relay sends nothing off the machine.
        self.env = {**os.environ, "RELAY_RATE_LIMIT": "0",
                    "RELAY_CALLBACK_ALLOW_NETWORKS": "127.0.0.1/32",
                    "RELAY_TELEGRAM_API_BASE": f"http://127.0.0.1:{free_port()}"}
        self.processes: List[subprocess.Popen] = []

    def cli(self, *args: str) -> str:
        done = subprocess.run([*relay_command(), *args, "--data-dir", str(self.data_dir)],
                              capture_output=True, text=True, env=self.env, timeout=60)
        assert done.returncode == 0, f"relay {' '.join(args)}: {done.stderr}"
        return done.stdout

    def _spawn(self, args: List[str], log_name: str) -> None:
        with open(self.folder / log_name, "a") as log:
            self.processes.append(subprocess.Popen([*relay_command(), *args], env=self.env,
                                                   stdout=log, stderr=subprocess.STDOUT))

    def start(self) -> "RelayWithPhone":
        self.key = self.cli("keys", "create", "--name", "clients").splitlines()[-1]
        code = json.loads(self.cli("phones", "add", PHONE))["pairing_code"]
        history = self.folder / "history.jsonl"
        history.write_text("".join(json.dumps(event) + "\n" for event in HISTORY))
        self.cli("events", "import", str(history))
        self._spawn(["serve", "--data-dir", str(self.data_dir), "--port", str(self.port)],
                    "relay.log")
        wait_for(self._healthy, what="the relay to start: " + self.log("relay.log"))
        self._spawn(["phone", "--simulate", "--relay", self.url, "--pairing-code", code,
                     "--state", str(self.folder / "phone"), "--sent-log", str(self.sent_log),
                     "--delay", "0.02"], "phone.log")
        wait_for(self._phone_online, what="the phone to connect: " + self.log("phone.log"))
        return self

    def log(self, name: str) -> str:
        path = self.folder / name
        return path.read_text() if path.exists() else ""

    def _get(self, path: str) -> dict:
        request = urllib.request.Request(self.url + path,
                                         headers={"Authorization": f"Bearer {self.key}"})
        with urllib.request.urlopen(request, timeout=5) as response:
            return json.loads(response.read())

    def _healthy(self) -> bool:
        try:
            return self._get("/health")["database"] == "writable"
        except OSError:
            assert self.processes[0].poll() is None, "relay exited: " + self.log("relay.log")
            return False

    def _phone_online(self) -> bool:
        return any(p["online"] for p in self._get("/api/v1/phones")["phones"])

    def times_sent(self, message_id: str) -> int:
        """How often the simulated phone sent the message."""
        if not self.sent_log.exists():
            return 0
        return self.sent_log.read_text().split().count(message_id)

    def stop(self) -> None:
        for process in reversed(self.processes):
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


class _Server:
    """A TCP server on a loopback port, one thread per connection."""

    def __init__(self):
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.connections = 0
        self.lock = threading.Lock()
        self.closed = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.closed.is_set():
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            with self.lock:
                self.connections += 1
                number = self.connections
            threading.Thread(target=self.serve, args=(connection, number), daemon=True).start()

    def serve(self, connection: socket.socket, number: int) -> None:
        raise NotImplementedError

    def close(self) -> None:
        self.closed.set()
        self.listener.close()


class LosingProxy(_Server):
    """Forwards each connection to `upstream`; on the first `lose` connections the relay's
    answer is swallowed (read and dropped), so the client sees none and times out, while the
    relay has done the request."""

    def __init__(self, upstream_port: int, lose: int = 1):
        self.upstream_port, self.lose = upstream_port, lose
        super().__init__()

    def serve(self, connection: socket.socket, number: int) -> None:
        upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
        with connection, upstream:
            back = threading.Thread(target=_pump, args=(upstream, connection, number <= self.lose),
                                    daemon=True)
            back.start()
            _pump(connection, upstream, False)
            back.join()


def _pump(source: socket.socket, target: socket.socket, swallow: bool) -> None:
    try:
        while data := source.recv(65536):
            if not swallow:
                target.sendall(data)
    except OSError:
        pass
    finally:
        for end in (source, target):
            try:
                end.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class ScriptedServer(_Server):
    """Answers every request with the next of `answers` (status, headers), with the relay's
    error shape and Connection: close, counting the requests: for what the client does on each
    status."""

    def __init__(self, *answers: tuple):
        self.answers = list(answers)
        self.requests: List[float] = []       # when each arrived (monotonic)
        super().__init__()

    def serve(self, connection: socket.socket, number: int) -> None:
        with connection:
            received = b""
            while b"\r\n\r\n" not in received:
                chunk = connection.recv(65536)
                if not chunk:
                    return
                received += chunk
            head, _, body = received.partition(b"\r\n\r\n")
            length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                           if line.lower().startswith(b"content-length:")), 0)
            while len(body) < length:
                body += connection.recv(65536)
            with self.lock:
                self.requests.append(time.monotonic())
                status, headers = self.answers.pop(0) if self.answers else (200, {})
            payload = json.dumps({"success": True, "message_id": "msg_scripted"} if status < 400
                                 else {"success": False, "error": {
                                     "code": f"code_{status}", "message": "scripted",
                                     "field": None}}).encode()
            lines = [f"HTTP/1.1 {status} Scripted", "Content-Type: application/json",
                     f"Content-Length: {len(payload)}", "Connection: close",
                     *(f"{name}: {value}" for name, value in headers.items())]
            connection.sendall("\r\n".join(lines).encode() + b"\r\n\r\n" + payload)


class Receiver:
    """A webhook receiver: records each POST's raw body and headers, answers 200."""

    def __init__(self):
        self.received: List[dict] = []
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.received.append({"body": body, "headers": dict(self.headers)})
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def first(self, predicate: Callable[[dict], bool], timeout: float = 20.0) -> dict:
        """The first delivery whose JSON body passes predicate, waiting for it."""
        return wait_for(lambda: next((d for d in list(self.received)
                                      if predicate(json.loads(d["body"]))), None),
                        timeout, "a webhook delivery")

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
