"""Deliveries pending when the relay is killed with SIGKILL are made after the restart, each
with the webhook-id of its earlier tries, and none twice."""
import collections
import json
import time
import urllib.request

import pytest

from helpers.processes import RelayProcess, free_port
from helpers.relays import make_settings
from helpers.webhooks import CALLBACKS, LOOPBACK, Receiver
from relay.app import Relay
from relay.core.inbound import inbound_event
from relay.phones.inbound import RecordInbound

pytestmark = pytest.mark.slow

EVENTS = 20


def _call(relay, key, method, path, body=None):
    request = urllib.request.Request(
        relay.url + path, method=method, data=json.dumps(body).encode() if body else None,
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def _wait(condition, what, timeout=20.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def _record_inbound_events(data_dir) -> list[str]:
    """As the phone channel would, on the stopped relay's data dir."""
    relay = Relay(make_settings(data_dir))
    try:
        return [relay.store.write_sync(RecordInbound("phone_main", inbound_event({
            "event_id": f"k9-{n}", "channel": "sms", "contact": "+12025550143",
            "text": f"event {n}", "occurred_at": "2026-11-26T10:00:00Z"}, "US"))).event_id
            for n in range(EVENTS)]
    finally:
        relay.close()


def test_pending_deliveries_survive_kill_9(tmp_path):
    receiver = Receiver()
    relay = RelayProcess(tmp_path / "data", free_port(),
                         {"RELAY_CALLBACK_ALLOW_NETWORKS": LOOPBACK})
    try:
        key = relay.cli("keys", "create", "--name", "app").stdout.splitlines()[-1]
        relay.start()
        _call(relay, key, "POST", CALLBACKS, {"callback_url": receiver.url("hook")})
        relay.stop()
        event_ids = _record_inbound_events(relay.data_dir)

        receiver.script("hook", *[(503, {"Retry-After": "1"})] * 1000)
        relay.start()

        def tried():
            with receiver.lock:
                return {json.loads(r["body"])["message_id"] for r in receiver.received["hook"]}
        _wait(lambda: tried() == set(event_ids), "a first try of every delivery")
        relay.kill()
        with receiver.lock:
            receiver.answers["hook"].clear()          # healthy from now on
            first_ids = {json.loads(r["body"])["message_id"]: r["headers"]["Webhook-Id"]
                         for r in receiver.received["hook"]}

        relay.start()

        def delivered():
            with receiver.lock:
                return [r for r in receiver.received["hook"] if r.get("status") == 200]
        _wait(lambda: len(delivered()) >= EVENTS, "every delivery after the restart")
        time.sleep(0.5)
        ok = collections.Counter(json.loads(r["body"])["message_id"] for r in delivered())
        assert ok == {event_id: 1 for event_id in event_ids}
        for record in delivered():
            assert record["headers"]["Webhook-Id"] == first_ids[json.loads(record["body"])[
                "message_id"]]
        listed = _call(relay, key, "GET", CALLBACKS + "/deliveries?limit=200")["deliveries"]
        assert len(listed) == EVENTS
        # A first try whose 503 was not yet committed when the relay was killed is not
        # counted: the same delivery (same Webhook-Id) is simply tried again.
        assert all(d["status"] == "delivered" and d["attempts"] >= 1 for d in listed), [
            (d["status"], d["attempts"]) for d in listed]
    finally:
        if relay.proc is not None and relay.proc.poll() is None:
            relay.kill()
        receiver.close()
