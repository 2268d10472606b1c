"""Body retention: bodies older than N days are dropped (they read as null in the API, the
analytics events and webhook payloads), while every count analytics makes stays the same, an
open message keeps its body and new messages are untouched. Old traffic is made by setting the
clock that stamps messages and inbound events back; everything else is the real relay."""
import contextlib
import datetime as dt
import json
import subprocess
import sys

import pytest

from helpers.polling import eventually
from helpers.relays import make_settings, sms, start_relay, stop_relay
from helpers.webhooks import CALLBACKS, deliveries, inbound, register, settled
from relay.core.inbound import inbound_event
from relay.core.timefmt import iso, utcnow
from relay.phones import inbound as inbound_store
from relay.messages import operations as message_store
from relay.phones.inbound import RecordInbound
from relay.messages.status import RecordStatus

QUERY = "/api/v1/webchat/inbound/query"
AGE = dt.timedelta(days=40)


@contextlib.contextmanager
def stamped_days_ago(monkeypatch, age: dt.timedelta = AGE):
    """Messages and inbound events made inside are recorded `age` ago."""
    with monkeypatch.context() as patch:
        for module in (message_store, inbound_store):
            patch.setattr(module, "utcnow", lambda: utcnow() - age)
        yield


@pytest.fixture
async def kept(data_dir):
    """A relay whose messages do not expire during the test (their age is made up)."""
    running = await start_relay(make_settings(data_dir, message_ttl_seconds=365 * 86400))
    running.client = await running.new_client("app")
    await running.api.admin("phones.add", phone_id="phone_main")
    yield running
    running.client.close()
    await stop_relay(running)


async def send(api, **fields) -> str:
    status, body = await api.post("/api/v1/messages", sms(**fields))
    assert status == 202, body
    return body["message_id"]


async def record(running, **fields) -> str:
    event = {"event_id": f"dev-{utcnow().timestamp()}", "channel": "sms",
             "contact": "+12025550143", "occurred_at": iso(utcnow() - AGE), **fields}
    recorded = await running.relay.store.write(RecordInbound("phone_main",
                                                             inbound_event(event, "US")))
    return recorded.event_id


async def message(api, message_id: str) -> dict:
    status, body = await api.get(f"/api/v1/messages/{message_id}")
    assert status == 200, body
    return body["message"]


async def report(api) -> dict:
    status, body = await api.post(QUERY, {"range": "all", "limit": 100})
    assert status == 200, body
    return body


def without_texts(body: dict) -> dict:
    return {**body, "events": [{**e, "text": None} for e in body["events"]]}


async def test_old_bodies_go_and_every_count_stays(kept, monkeypatch):
    api = kept.client
    with stamped_days_ago(monkeypatch):
        sent = await send(api, text="old and sent", tags=["support"])
        failed = await send(api, channel="email", to="ann@example.com", subject="Old news",
                            text="old and failed")
        waiting = await send(api, text="old but still queued")
        said = await record(kept, text="an old hello")
        called = await record(kept, event_type="missed", duration_sec=0)
    await kept.relay.store.write(RecordStatus(sent, "sent", delivered_at=utcnow()))
    await kept.relay.store.write(RecordStatus(failed, "failed", "no such mailbox"))
    fresh = await send(api, text="new today")
    said_now = await record(kept, text="a new hello", occurred_at=iso(utcnow()))
    before = await report(api)

    dropped = await kept.api.admin("retention", days=30)
    assert dropped["message_bodies"] == 2 and dropped["inbound_bodies"] == 1

    for message_id in (sent, failed):          # final and old: the body is gone, not the fact
        old = await message(api, message_id)
        assert old["text"] is None and old["subject"] is None and old["title"] is None
        assert old["to"] is not None and old["status"] in ("sent", "failed")
    assert (await message(api, sent))["tags"] == ["support"]
    # what the sms cost stays with the message (email has none)
    old_sms = await message(api, sent)
    assert (old_sms["text"], old_sms["encoding"], old_sms["segments"]) == (None, "GSM-7", 1)
    assert (await message(api, failed))["segments"] is None
    assert (await message(api, waiting))["text"] == "old but still queued"
    assert (await message(api, fresh))["text"] == "new today"
    status, listed = await api.get("/api/v1/messages?limit=10")
    assert status == 200
    assert {m["message_id"]: m["text"] for m in listed["messages"]} == {
        sent: None, failed: None, waiting: "old but still queued", fresh: "new today"}

    after = await report(api)
    assert without_texts(after) == without_texts(before)
    assert {e["message_id"]: e["text"] for e in after["events"]} == {
        said: None, called: None, said_now: "a new hello"}
    assert after["summary"]["inbound_total"] == 3 and after["sent_summary"]["sent_total"] == 4

    # Run again: nothing more to drop. Once the queued message is final, its body goes too.
    assert (await kept.api.admin("retention", days=30))["message_bodies"] == 0
    await kept.relay.store.write(RecordStatus(waiting, "sent", delivered_at=utcnow()))
    assert (await kept.api.admin("retention", days=30))["message_bodies"] == 1
    assert (await message(api, waiting))["text"] is None


async def test_retention_days_default_to_the_setting_and_must_be_whole(data_dir):
    running = await start_relay(make_settings(data_dir, body_retention_days=30))
    try:
        assert (await running.api.admin("retention"))["message_bodies"] == 0
        for days in (0, -1, "7", 1.5, True, None):
            status, body = await running.api.post("/admin/v1/actions/retention",
                                                  {"days": days},
                                                  key=running.relay.admin_token)
            if days is None:        # null: the setting's value
                assert status == 200, body
            else:
                assert status == 400 and body["error"]["field"] == "days", body
    finally:
        await stop_relay(running)


async def test_off_by_default_the_action_asks_for_days(relay):
    status, body = await relay.api.post("/admin/v1/actions/retention", {},
                                        key=relay.relay.admin_token)
    assert status == 400 and body["error"]["field"] == "days"


async def test_webhook_payloads_read_text_null_once_dropped(hooks, receiver, monkeypatch):
    await register(hooks.client, receiver.url("kept"))
    with stamped_days_ago(monkeypatch):
        event_id = await inbound(hooks, text="a secret from long ago")
    await eventually(lambda: receiver.received["kept"], what="the delivery")
    assert receiver.bodies("kept")[0]["text"] == "a secret from long ago"
    [delivery] = await settled(hooks.client)
    assert delivery["payload"]["text"] == "a secret from long ago"

    await hooks.api.admin("retention", days=30)
    [delivery] = await deliveries(hooks.client)
    assert delivery["payload"]["message_id"] == event_id
    assert delivery["payload"]["text"] is None
    status, _ = await hooks.client.post(
        f"{CALLBACKS}/deliveries/{delivery['delivery_id']}/redeliver")
    assert status == 202
    await eventually(lambda: len(receiver.received["kept"]) == 2, what="the redelivery")
    assert receiver.bodies("kept")[1]["text"] is None


def test_the_cli_runs_retention_now(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "relay", "retention", "--days", "30", "--data-dir",
         str(tmp_path / "data")], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["message_bodies"] == 0
