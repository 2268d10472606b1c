"""kill -9 of the relay in the middle of dispatch: the phone agent (a separate process, as a
real phone would be) reconnects to the restarted relay; no message is lost, none is sent twice,
and every inbound event the phone reported is stored once or still waits in its journal.

RELAY_DEVICE_KILL_TRIALS=10 ./scripts/test.sh tests/test_device_kill9.py runs the long version."""
import collections
import http.client
import json
import os
import subprocess
import sys
import time

import duckdb
import pytest

from relay.agent.journal import Journal

pytestmark = pytest.mark.slow

TRIALS = int(os.environ.get("RELAY_DEVICE_KILL_TRIALS", "1"))
MESSAGES = 120


def _call(port, key, method, path, body=None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request(method, path, json.dumps(body) if body is not None else None,
                           {"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


def _send(port, key, n):
    """The message's id, or None when the relay did not answer (it is being killed)."""
    try:
        status, body = _call(port, key, "POST", "/api/v1/messages",
                             {"phone_id": "phone_main", "channel": "sms", "to": "+12025550143",
                              "text": f"kill test {n}", "idempotency_key": f"k{n}"})
    except OSError:
        return None
    assert status in (200, 202), body
    return body["message_id"]


def _statuses(port, key):
    _, page = _call(port, key, "GET", "/api/v1/messages?limit=500")
    return {m["message_id"]: m["status"] for m in page["messages"]}


def _sent_log(path):
    return path.read_text().split() if path.exists() else []


@pytest.mark.parametrize("trial", range(TRIALS))
def test_kill_9_mid_dispatch_loses_nothing_and_sends_nothing_twice(relay_process, tmp_path,
                                                                   trial):
    # A window smaller than the backlog around the kill: most of it is read back from the log.
    relay = relay_process({"RELAY_DEVICE_QUEUE_WINDOW": "8"})
    key = relay.cli("keys", "create", "--name", "load").stdout.splitlines()[-1]
    code = json.loads(relay.cli("phones", "add", "phone_main").stdout)["pairing_code"]
    relay.start()
    sent_log, agent_log = tmp_path / "sent.log", open(tmp_path / "agent.log", "w")
    agent = subprocess.Popen(
        [sys.executable, "-m", "relay", "phone", "--relay", relay.url, "--pairing-code", code,
         "--state", str(tmp_path / "phone"), "--simulate", "--delay", "0.02",
         "--inbound-per-minute", "3000", "--sent-log", str(sent_log)],
        stdout=agent_log, stderr=subprocess.STDOUT)
    try:
        ids = {}
        for n in range(MESSAGES):
            if n == MESSAGES // 2:       # mid-dispatch: some sent, some in flight, some queued
                deadline = time.monotonic() + 20
                while len(_sent_log(sent_log)) < 10 + 5 * trial:
                    assert time.monotonic() < deadline, "the agent delivered nothing"
                    time.sleep(0.01)
                relay.kill()
                assert len(_sent_log(sent_log)) < n, "not mid-dispatch: all were sent already"
                relay.start()
            message_id = _send(relay.port, key, n)
            while message_id is None:           # retried with the same idempotency key
                time.sleep(0.05)
                message_id = _send(relay.port, key, n)
            ids[n] = message_id
        assert len(set(ids.values())) == MESSAGES

        deadline = time.monotonic() + 60
        while True:
            statuses = _statuses(relay.port, key)
            if all(statuses.get(m) == "sent" for m in ids.values()):
                break
            assert time.monotonic() < deadline, collections.Counter(statuses.values())
            time.sleep(0.1)
        counts = collections.Counter(_sent_log(sent_log))
        assert set(counts) == set(ids.values())
        assert [m for m, c in counts.items() if c > 1] == []      # none sent twice
    finally:
        agent.terminate()
        agent.wait(timeout=30)
        agent_log.close()
        relay.stop()
    _check_inbound(relay.data_dir, tmp_path / "phone" / "journal.jsonl")


def _check_inbound(data_dir, journal_path):
    reported = [json.loads(line)["inbound"]["event_id"]
                for line in journal_path.read_text().splitlines() if '"inbound"' in line]
    journal = Journal(journal_path)
    still_waiting = set(journal.unacked_inbound)
    journal.close()
    with duckdb.connect(str(data_dir / "relay.duckdb"), read_only=True) as con:
        stored = [row[0] for row in con.execute(
            "SELECT device_event_id FROM inbound_events").fetchall()]
    assert len(reported) > 20
    assert len(stored) == len(set(stored))                          # none twice
    assert set(reported) - set(stored) <= still_waiting              # none lost
