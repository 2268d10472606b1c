"""A 202 is never lost: kill -9 the relay while many threads send, restart, check.

RELAY_KILL_TRIALS=40 ./scripts/test.sh tests/test_kill9.py runs the long version."""
import concurrent.futures
import http.client
import json
import os
import threading
import time

import pytest

from helpers.processes import RelayProcess, free_port

pytestmark = pytest.mark.slow

TRIALS = int(os.environ.get("RELAY_KILL_TRIALS", "2"))
THREADS = 16


def _send(port, key, idem):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    body = json.dumps({"phone_id": "phone_main", "channel": "sms", "to": "+12025550143",
                       "text": f"durable {idem}", "idempotency_key": idem})
    try:
        connection.request("POST", "/api/v1/messages", body,
                           {"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


def _all_messages(port, key):
    messages, cursor = [], None
    while True:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.request("GET", "/api/v1/messages?limit=500" + (
            f"&cursor={cursor}" if cursor else ""), headers={"Authorization": f"Bearer {key}"})
        page = json.loads(connection.getresponse().read())
        connection.close()
        messages += page["messages"]
        cursor = page["next_cursor"]
        if cursor is None:
            return messages


@pytest.mark.parametrize("trial", range(TRIALS))
def test_acknowledged_messages_survive_kill_9(tmp_path, trial):
    relay = RelayProcess(tmp_path / "data", free_port())
    key = relay.cli("keys", "create", "--name", "load").stdout.splitlines()[-1]
    relay.cli("phones", "add", "phone_main")
    relay.start()
    acked: dict[str, str] = {}
    attempted: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()

    def sender(worker):
        n = 0
        while not stop.is_set():
            idem = f"t{trial}-w{worker}-{n}"
            n += 1
            with lock:
                attempted.append(idem)
            try:
                status, body = _send(relay.port, key, idem)
            except OSError:
                return   # the relay died under us: this one is unacknowledged
            if status == 202:
                with lock:
                    acked[idem] = body["message_id"]

    with concurrent.futures.ThreadPoolExecutor(THREADS) as pool:
        futures = [pool.submit(sender, w) for w in range(THREADS)]
        deadline = time.monotonic() + 20
        while len(acked) < 200 + 50 * trial and time.monotonic() < deadline:
            time.sleep(0.01)
        relay.kill()      # SIGKILL, mid-stream
        stop.set()
        concurrent.futures.wait(futures)
    assert len(acked) >= 200

    relay.start()
    try:
        stored = _all_messages(relay.port, key)
        by_key = {}
        for message in stored:
            by_key.setdefault(message["idempotency_key"], []).append(message["message_id"])
        for idem, message_id in acked.items():
            assert by_key.get(idem) == [message_id], f"acknowledged {idem} lost or doubled"
        # Retrying every attempt with its key creates nothing twice.
        for idem in attempted:
            status, body = _send(relay.port, key, idem)
            assert status in (200, 202)
            if idem in acked:
                assert (status, body["message_id"]) == (200, acked[idem])
        stored = _all_messages(relay.port, key)
        keys = [m["idempotency_key"] for m in stored]
        assert sorted(keys) == sorted(set(attempted))
    finally:
        relay.stop()
