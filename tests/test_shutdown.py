"""SIGTERM while clients send on kept-alive connections: no request is committed without its
answer. What was answered 202 is stored, nothing else is; a request that arrived once stopping
was answered 503 with `Connection: close`."""
import http.client
import json
import signal
import threading
import time

import duckdb

from helpers.processes import RelayProcess, free_port
from relay.store.database import DB_FILE

CLIENTS = 6
SENDING_S = 1.0


class Sender(threading.Thread):
    """One client on one kept-alive connection, sending until the relay stops answering."""

    def __init__(self, port: int, key: str, name: str):
        super().__init__(daemon=True)
        self.port, self.key, self.name = port, key, name
        self.accepted: list[str] = []      # idempotency keys answered 202
        self.refused: list[str] = []       # answered 503 shutting_down, Connection: close
        self.unanswered: list[str] = []
        self.other: list = []

    def run(self):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=15)
        try:
            self._send_until_stopped(connection)
        finally:
            connection.close()

    def _send_until_stopped(self, connection):
        for n in range(1_000_000):
            key = f"{self.name}-{n}"
            body = json.dumps({"phone_id": "phone_main", "channel": "sms",
                               "to": "+12025550143", "text": "hi", "idempotency_key": key})
            try:
                connection.request("POST", "/api/v1/messages", body, {
                    "Authorization": f"Bearer {self.key}", "Content-Type": "application/json"})
                response = connection.getresponse()
                answer = json.loads(response.read())
            except (OSError, http.client.HTTPException):
                self.unanswered.append(key)
                return
            if response.status == 202:
                self.accepted.append(key)
                continue
            if (response.status, answer["error"]["code"], response.getheader("Connection")) == (
                    503, "shutting_down", "close"):
                self.refused.append(key)
            else:
                self.other.append((key, response.status, answer))
            return


def test_sigterm_answers_every_committed_request_and_commits_no_unanswered_one(tmp_path):
    relay = RelayProcess(tmp_path / "data", free_port())
    key = relay.cli("keys", "create", "--name", "app").stdout.splitlines()[-1]
    relay.cli("phones", "add", "phone_main")
    relay.start()
    senders = [Sender(relay.port, key, f"c{i}") for i in range(CLIENTS)]
    try:
        for sender in senders:
            sender.start()
        time.sleep(SENDING_S)
        assert all(sender.accepted for sender in senders), "every client is sending"
        relay.proc.send_signal(signal.SIGTERM)
        assert relay.proc.wait(timeout=30) == 0
        for sender in senders:
            sender.join(timeout=15)
            assert not sender.is_alive()
    finally:
        if relay.proc.poll() is None:
            relay.kill()
    assert [s.other for s in senders] == [[]] * CLIENTS
    accepted = {k for s in senders for k in s.accepted}
    not_accepted = {k for s in senders for k in s.refused + s.unanswered}
    with duckdb.connect(str(relay.data_dir / DB_FILE), read_only=True) as con:
        stored = {k for (k,) in con.execute("SELECT idempotency_key FROM messages").fetchall()}
    assert not stored & not_accepted, "committed without an answer"
    assert stored == accepted
