"""Deadlines that pass while the relay is killed with SIGKILL, or while it starts again, alert
exactly once: one `waiting` fact and one inbound.unanswered delivery (one webhook-id) per
event, however the kill fell among them.

RELAY_KILL_TRIALS=10 ./scripts/test.sh tests/test_alerts_kill9.py runs more kills."""
import collections
import datetime as dt
import json
import os
import time

import pytest

from helpers.agents import call, wait_for
from helpers.alerts import QUERY, RULES, alert_settings
from helpers.processes import RelayProcess, free_port
from helpers.webhooks import CALLBACKS, LOOPBACK, Receiver
from relay.app import Relay
from relay.core.inbound import inbound_event
from relay.phones.inbound import RecordInbound

pytestmark = pytest.mark.slow

TRIALS = int(os.environ.get("RELAY_KILL_TRIALS", "1"))
EVENTS = 40
SPREAD_S = 4.0            # the events' deadlines pass over this long, from the start on


def _record_events(data_dir, trial: int) -> list[str]:
    """Inbound events whose 2-second deadlines pass one after another, SPREAD_S long,
    recorded as the phone channel records them, on the stopped relay's data dir."""
    relay = Relay(alert_settings(data_dir))
    start = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=1)
    try:
        return [relay.store.write_sync(RecordInbound("phone_main", inbound_event({
            "event_id": f"k9-{trial}-{n}", "channel": "sms", "contact": f"+1202555{n:04d}",
            "text": "hello?", "occurred_at": (start + dt.timedelta(
                seconds=SPREAD_S * n / EVENTS)).isoformat()}, "US"))).event_id
            for n in range(EVENTS)]
    finally:
        relay.close()


def _unanswered(receiver) -> dict[str, set[str]]:
    """event id -> the webhook-ids of the inbound.unanswered deliveries that reached it."""
    ids = collections.defaultdict(set)
    with receiver.lock:
        for record in receiver.received["hook"]:
            body = json.loads(record["body"])
            if body["type"] == "inbound.unanswered":
                ids[body["message_id"]].add(record["headers"]["Webhook-Id"])
    return ids


@pytest.mark.parametrize("trial", range(TRIALS))
def test_deadlines_passing_around_a_kill_9_alert_exactly_once(tmp_path, trial):
    receiver = Receiver()
    relay = RelayProcess(tmp_path / "data", free_port(), {
        "RELAY_CALLBACK_ALLOW_NETWORKS": LOOPBACK, "RELAY_ALERT_MINUTE_SECONDS": "1"})
    try:
        key = relay.cli("keys", "create", "--name", "app").stdout.splitlines()[-1]
        relay.cli("phones", "add", "phone_main")
        relay.start()
        assert call(relay, key, "POST", CALLBACKS, {"callback_url": receiver.url("hook")})[0] \
            == 201
        assert call(relay, key, "POST", RULES, {"within_minutes": 2})[0] == 201
        relay.stop()
        event_ids = _record_events(relay.data_dir, trial)

        relay.start()
        time.sleep(1.0 + SPREAD_S * (0.3 + 0.4 * trial / max(1, TRIALS)))
        relay.kill()                     # some alerted, some not yet, one maybe in flight
        time.sleep(SPREAD_S)             # the rest pass while it is down
        relay.start()
        wait_for(lambda: set(_unanswered(receiver)) == set(event_ids), 20,
                 "an alert for every event")
        time.sleep(1.0)
        assert {event: len(ids) for event, ids in _unanswered(receiver).items()} == {
            event: 1 for event in event_ids}
        status, report = call(relay, key, "GET", QUERY + "?range=all&limit=1000")
        assert status == 200, report
        assert sorted(w["message_id"] for w in report["waiting"]) == sorted(event_ids)
    finally:
        if relay.proc is not None and relay.proc.poll() is None:
            relay.kill()
        receiver.close()
