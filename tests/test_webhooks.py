"""Webhook delivery end to end, with a real receiver on loopback: filters, signatures, retries
with the same webhook-id, Retry-After, 410, a hung receiver, redelivery, status callbacks."""
import asyncio
import json

import standardwebhooks

from helpers.phones import connect, frame, hang_up, pair, start_agent
from helpers.polling import eventually
from helpers.relays import sms
from helpers.webhooks import CALLBACKS, HANG, deliveries, inbound, register, settled
from relay.messages.status import RecordStatus


async def test_a_delivery_verifies_with_the_standard_webhooks_package(hooks, receiver):
    registered = await register(hooks.client, receiver.url("signed"),
                                callback_token="tok-123")
    assert registered["secret"].startswith("whsec_")
    event_id = await inbound(hooks, text="Hello there", contact="+1 202 555 0143")
    await eventually(lambda: receiver.received["signed"], what="the delivery")
    request = receiver.received["signed"][0]
    payload = standardwebhooks.Webhook(registered["secret"]).verify(request["body"],
                                                                    request["headers"])
    assert payload == {"type": "inbound", "callback_id": registered["callback"]["id"],
                       "message_id": event_id, "phone_id": "phone_main",
                       "event_type": "message", "channel": "sms", "source": "+12025550143",
                       "contact_name": None, "text": "Hello there", "duration_sec": None,
                       "tags": [], "occurred_at": "2026-11-26T10:00:00.000Z"}
    assert request["headers"]["Authorization"] == "Bearer tok-123"
    assert request["headers"]["Content-Type"] == "application/json"
    # A wrong secret does not verify.
    other = standardwebhooks.Webhook("whsec_" + "A" * 43 + "=")
    try:
        other.verify(request["body"], request["headers"])
    except standardwebhooks.WebhookVerificationError:
        pass
    else:
        raise AssertionError("verified with the wrong secret")
    [delivery] = await settled(hooks.client)
    assert delivery["delivery_id"] == request["headers"]["Webhook-Id"]
    assert delivery["status"] == "delivered" and delivery["attempts"] == 1
    assert delivery["events"][0]["status_code"] == 200


async def test_filters_match_exactly_what_they_should(hooks, receiver):
    for name, filters in {
        "all": {},
        "sms_only": {"channels": ["sms"]},
        "from_0178": {"source_filter": "5550178"},
        "missed": {"event_types": ["missed"]},
        "urgent": {"keyword_filter": "URGENT"},
        "long_calls": {"event_types": ["answered", "call"], "min_duration_sec": 60,
                       "max_duration_sec": 600},
        "wa_messages_urgent": {"channels": ["wa"], "event_types": ["message"],
                               "keyword_filter": "urgent"},
    }.items():
        await register(hooks.client, receiver.url(name), **filters)
    events = {
        "sms_hi": await inbound(hooks, text="hi"),
        "sms_urgent_0178": await inbound(hooks, contact="+12025550178", text="this is Urgent!"),
        "wa_urgent": await inbound(hooks, channel="wa", text="urgent: call me"),
        "wa_missed": await inbound(hooks, channel="wa", event_type="missed", text=None),
        "answered_30s": await inbound(hooks, event_type="answered", duration_sec=30, text=None),
        "answered_120s": await inbound(hooks, event_type="answered", duration_sec=120,
                                       text=None),
        "call_unknown_length": await inbound(hooks, event_type="call", text=None),
        "tg_0178": await inbound(hooks, channel="tg", contact="@friend_5550178x", text="yo"),
    }
    await settled(hooks.client)
    expected = {
        "all": list(events),
        "sms_only": ["sms_hi", "sms_urgent_0178", "answered_30s", "answered_120s",
                     "call_unknown_length"],
        "from_0178": ["sms_urgent_0178", "tg_0178"],
        "missed": ["wa_missed"],
        "urgent": ["sms_urgent_0178", "wa_urgent"],
        "long_calls": ["answered_120s"],
        "wa_messages_urgent": ["wa_urgent"],
    }
    for name, wanted in expected.items():
        got = sorted(body["message_id"] for body in receiver.bodies(name))
        assert got == sorted(events[w] for w in wanted), name


async def test_a_receiver_that_fails_then_recovers_gets_each_event_once(hooks, receiver):
    registered = await register(hooks.client, receiver.url("flaky"))
    receiver.script("flaky", 500)
    event_id = await inbound(hooks)
    await eventually(lambda: len(receiver.received["flaky"]) == 2, what="the retry")
    first, second = receiver.received["flaky"]
    assert first["headers"]["Webhook-Id"] == second["headers"]["Webhook-Id"]
    assert first["body"] == second["body"]
    assert 1.5 <= second["at"] - first["at"] <= 5         # the first backoff: 2s +-20%
    verifier = standardwebhooks.Webhook(registered["secret"])
    assert verifier.verify(second["body"], second["headers"])["message_id"] == event_id
    [delivery] = await settled(hooks.client)
    assert delivery["status"] == "delivered" and delivery["attempts"] == 2
    assert [(e["attempt"], e["outcome"], e["status_code"]) for e in delivery["events"]] == [
        (1, "failed", 500), (2, "delivered", 200)]
    assert delivery["events"][0]["next_attempt_at"] is not None
    await asyncio.sleep(0.5)
    assert len(receiver.received["flaky"]) == 2          # nothing more once delivered


async def test_retry_after_on_503_is_honoured(hooks, receiver):
    await register(hooks.client, receiver.url("busy"))
    receiver.script("busy", (503, {"Retry-After": "3"}))
    await inbound(hooks)
    await eventually(lambda: len(receiver.received["busy"]) == 2, what="the retry")
    first, second = receiver.received["busy"]
    assert second["at"] - first["at"] >= 2.9             # not the 2s backoff
    [delivery] = await settled(hooks.client)
    assert delivery["status"] == "delivered"


async def test_redirects_are_not_followed(hooks, receiver):
    await register(hooks.client, receiver.url("moved"))
    receiver.script("moved", (302, {"Location": receiver.url("elsewhere")}))
    await inbound(hooks)
    await eventually(lambda: len(receiver.received["moved"]) == 2, what="the retry")
    assert not receiver.received["elsewhere"]
    [delivery] = await deliveries(hooks.client)
    assert delivery["events"][0]["status_code"] == 302
    assert "redirects are not followed" in delivery["events"][0]["error"]


async def test_410_deactivates_the_callback(hooks, receiver):
    registered = await register(hooks.client, receiver.url("gone"))
    receiver.script("gone", 410)
    await inbound(hooks)
    [delivery] = await settled(hooks.client)
    assert delivery["status"] == "dead" and delivery["attempts"] == 1
    status, body = await hooks.client.get(CALLBACKS)
    [callback] = body["callbacks"]
    assert callback["active"] is False and "410" in callback["deactivated_reason"]
    await inbound(hooks)            # no longer matched
    await asyncio.sleep(0.3)
    assert len(await deliveries(hooks.client)) == 1
    assert len(receiver.received["gone"]) == 1
    # Registering it again (active by default) turns it back on, under the same id.
    again = await register(hooks.client, receiver.url("gone"))
    assert again["callback"]["id"] == registered["callback"]["id"]
    assert again["callback"]["active"] is True
    await inbound(hooks)
    await eventually(lambda: len(receiver.received["gone"]) == 2, what="the new delivery")


async def test_a_hung_receiver_does_not_block_others(hooks, receiver):
    await register(hooks.client, receiver.url("hung"))
    await register(hooks.client, receiver.url("fine"))
    receiver.script("hung", *[HANG] * 10)
    for _ in range(6):
        await inbound(hooks)
    await eventually(lambda: len(receiver.received["fine"]) == 6, timeout=8,
                     what="the healthy receiver's deliveries")
    hung = receiver.received["hung"]
    assert 1 <= len(hung) <= 4                         # at most 4 tries to one callback
    assert not any("status" in r for r in hung)        # all still hanging (timeout: 10s)


async def test_redeliver_sends_a_delivery_again_with_the_same_webhook_id(hooks, receiver):
    await register(hooks.client, receiver.url("again"))
    await inbound(hooks)
    [delivery] = await settled(hooks.client)
    status, body = await hooks.client.post(
        f"{CALLBACKS}/deliveries/{delivery['delivery_id']}/redeliver")
    assert (status, body["status"]) == (202, "pending"), body
    await eventually(lambda: len(receiver.received["again"]) == 2, what="the redelivery")
    first, second = receiver.received["again"]
    assert first["headers"]["Webhook-Id"] == second["headers"]["Webhook-Id"]
    assert first["body"] == second["body"]
    [delivery] = await settled(hooks.client)
    assert [e["event"] for e in delivery["events"]] == ["attempt", "redeliver", "attempt"]
    assert delivery["attempts"] == 2 and delivery["status"] == "delivered"
    # Unknown, or another client's: 404.
    status, body = await hooks.client.post(f"{CALLBACKS}/deliveries/wh_nope/redeliver")
    assert (status, body["error"]["code"]) == (404, "unknown_delivery")
    other = await hooks.new_client("other")
    status, body = await other.post(
        f"{CALLBACKS}/deliveries/{delivery['delivery_id']}/redeliver")
    assert status == 404
    other.close()


async def test_status_callbacks_carry_a_messages_status_changes(hooks, receiver):
    await hooks.api.admin("phones.add", phone_id="phone_main")
    registered = await register(hooks.client, receiver.url("status"), event_types=[])
    status, body = await hooks.client.post("/api/v1/messages", sms(
        status_callback_url=receiver.url("status")))
    assert status == 202, body
    message_id = body["message_id"]
    await inbound(hooks)                                   # event_types []: not sent there
    for state in ("sending", "sent"):
        assert await hooks.relay.store.write(RecordStatus(message_id, state,
                                                          phone_id="phone_main"))
    await eventually(lambda: len(receiver.received["status"]) == 2, what="status callbacks")
    verifier = standardwebhooks.Webhook(registered["secret"])
    bodies = [verifier.verify(r["body"], r["headers"]) for r in receiver.received["status"]]
    assert [(b["type"], b["message_id"], b["status"]) for b in bodies] == [
        ("message.status", message_id, "sending"), ("message.status", message_id, "sent")]
    found = await deliveries(hooks.client, message_id=message_id)
    assert len(found) == 2 and {d["type"] for d in found} == {"message.status"}
    # A URL the client did not register, or not a URL at all: 400 naming the field.
    for url, code in (("https://example.com/unregistered", "unregistered_callback"),
                      ("ftp://example.com/x", "invalid_field")):
        status, body = await hooks.client.post("/api/v1/messages",
                                               sms(status_callback_url=url))
        assert (status, body["error"]["field"], body["error"]["code"]) == (
            400, "status_callback_url", code), body


async def test_deleting_a_callback_cancels_its_pending_deliveries(hooks, receiver):
    registered = await register(hooks.client, receiver.url("doomed"))
    receiver.script("doomed", 500)
    await inbound(hooks)
    await eventually(lambda: receiver.received["doomed"], what="the first try")
    status, _ = await hooks.client.request(
        "DELETE", f"{CALLBACKS}?id={registered['callback']['id']}")
    assert status == 200
    [delivery] = await settled(hooks.client, timeout=6)
    assert delivery["status"] == "cancelled"
    assert delivery["events"][-1]["error"] == "the callback was deleted"
    assert len(receiver.received["doomed"]) == 1


async def test_what_real_phones_report_reaches_the_callbacks(hooks, receiver):
    """Through the phone channel: one phone (the reference agent) sends a message whose status
    changes go to a status callback; another reports an incoming SMS over its socket."""
    for phone_id in ("phone_main", "phone_two"):
        await hooks.api.admin("phones.add", phone_id=phone_id)
    await register(hooks.client, receiver.url("inbound"), channels=["sms"])
    await register(hooks.client, receiver.url("status"), event_types=[])
    agent = await start_agent(hooks)
    socket = await connect(hooks, (await pair(hooks, "phone_two"))["access_token"])
    try:
        await frame(socket, "hello")
        status, body = await hooks.client.post("/api/v1/messages", sms(
            status_callback_url=receiver.url("status")))
        assert status == 202, body
        socket.write_message(json.dumps({
            "type": "inbound", "event_id": "ev-1", "channel": "sms", "contact": "2025550178",
            "text": "reply", "occurred_at": "2026-11-26T10:00:00Z"}))
        ack = await frame(socket, "ack")
        await eventually(lambda: len(receiver.received["status"]) == 2
                         and receiver.received["inbound"], what="both kinds of delivery")
        assert [b["status"] for b in receiver.bodies("status")] == ["sending", "sent"]
        [event] = receiver.bodies("inbound")
        assert (event["message_id"], event["phone_id"], event["source"], event["text"]) == (
            ack["relay_event_id"], "phone_two", "+12025550178", "reply")
    finally:
        await hang_up(socket)
        await agent.stop()
