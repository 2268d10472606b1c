"""Delivery outcomes over a real phone socket: "handed to the network" (sent), "the network
confirmed it" and "the network reported it undelivered" told apart on the message, its
history, its status callback and the analytics' sent_summary; the status stays `sent`."""
import json

from helpers.phones import connect, frame, hang_up, pair
from helpers.polling import eventually
from helpers.relays import sms
from helpers.webhooks import register

HANDED = "2026-11-26T17:20:45.120Z"
CONFIRMED = "2026-11-26T17:20:51.000Z"


async def _report(connection, **fields) -> dict:
    """Sends a status frame; its answer (ack or error)."""
    connection.write_message(json.dumps({"type": "status", **fields}))
    while True:
        answer = await frame(connection)
        if answer["type"] in ("ack", "error"):
            return answer


async def _sent(client, connection, **fields) -> str:
    """A message POSTed, delivered to the phone and reported sent, handed over at HANDED."""
    status, accepted = await client.post("/api/v1/messages", sms(**fields))
    assert status == 202, accepted
    message_id = (await frame(connection, "deliver"))["message_id"]
    assert message_id == accepted["message_id"]
    ack = await _report(connection, message_id=message_id, status="sent", delivered_at=HANDED)
    assert ack["recorded"] is True
    return message_id


async def _message(client, message_id) -> dict:
    status, body = await client.get(f"/api/v1/messages/{message_id}")
    assert status == 200, body
    return body["message"]


async def test_sent_confirmed_and_undelivered_are_told_apart(relay, client, phone):
    confirmed = await _sent(client, phone, text="one")
    lost = await _sent(client, phone, text="two")
    handed = await _sent(client, phone, text="three")

    message = await _message(client, confirmed)
    assert (message["status"], message["sent_at"], message["delivered_at"],
            message["delivery_result"], message["delivery_reported_at"]) == (
        "sent", HANDED, HANDED, None, None)

    delivered = {"result": "delivered", "at": CONFIRMED}
    ack = await _report(phone, message_id=confirmed, status="sent", delivery=delivered)
    assert ack == {"type": "ack", "for": "status", "message_id": confirmed, "status": "sent",
                   "recorded": True}
    ack = await _report(phone, message_id=lost, status="sent",
                        delivery={"result": "undelivered", "at": None})
    assert ack["recorded"] is True

    message = await _message(client, confirmed)
    assert (message["status"], message["sent_at"], message["delivered_at"],
            message["delivery_result"], message["delivery_reported_at"]) == (
        "sent", HANDED, CONFIRMED, "delivered", CONFIRMED)
    assert [(h["status"], h.get("delivery_result")) for h in message["history"]] == [
        ("queued", None), ("sent", None), ("sent", "delivered")]
    assert message["history"][-1] == {"status": "sent", "at": CONFIRMED, "error": None,
                                      "delivery_result": "delivered"}
    message = await _message(client, lost)
    assert (message["status"], message["sent_at"], message["delivered_at"],
            message["delivery_result"]) == ("sent", HANDED, None, "undelivered")
    assert message["delivery_reported_at"] is not None     # the relay's time: none was given

    _, listed = await client.get("/api/v1/messages")
    by_id = {m["message_id"]: m for m in listed["messages"]}
    assert [(by_id[i]["delivery_result"], by_id[i]["delivered_at"]) for i in
            (confirmed, lost, handed)] == [("delivered", CONFIRMED), ("undelivered", None),
                                           (None, HANDED)]
    _, status_sent = await client.get("/api/v1/messages?status=sent")
    assert {m["message_id"]: m["delivery_result"] for m in status_sent["messages"]} == {
        confirmed: "delivered", lost: "undelivered", handed: None}

    status, report = await client.post("/api/v1/webchat/inbound/query", {"range": "7d"})
    assert status == 200, report
    summary = report["sent_summary"]
    assert summary["statuses"] == {"sent": 3}
    assert (summary["delivered"], summary["undelivered"]) == (1, 1)


async def test_a_report_counts_once_and_only_for_a_sent_message_of_the_phone(relay, client,
                                                                             phone):
    message_id = await _sent(client, phone)
    report = {"result": "delivered", "at": CONFIRMED}
    assert (await _report(phone, message_id=message_id, status="sent",
                          delivery=report))["recorded"] is True
    again = await _report(phone, message_id=message_id, status="sent",
                          delivery={"result": "undelivered", "at": None})
    assert again["recorded"] is False                     # the first report stands
    assert (await _message(client, message_id))["delivery_result"] == "delivered"

    await client.post("/api/v1/messages", sms(text="fails"))
    failed = (await frame(phone, "deliver"))["message_id"]
    await _report(phone, message_id=failed, status="failed", error="no network")
    answer = await _report(phone, message_id=failed, status="sent", delivery=report)
    assert answer["recorded"] is False
    assert (await _message(client, failed))["delivery_result"] is None
    unknown = await _report(phone, message_id="msg_unknown", status="sent", delivery=report)
    assert unknown["recorded"] is False

    await relay.api.admin("phones.add", phone_id="phone_two")
    other = await connect(relay, (await pair(relay, "phone_two"))["access_token"])
    await frame(other, "hello")
    refused = await _report(other, message_id=message_id, status="sent", delivery=report)
    assert refused["type"] == "error" and refused["code"] == "not_your_message"
    await hang_up(other)


async def test_the_status_callback_gets_the_report(hooks, receiver):
    await hooks.api.admin("phones.add", phone_id="phone_main")
    await register(hooks.client, receiver.url("status"), event_types=[])
    phone = await connect(hooks, (await pair(hooks))["access_token"])
    message_id = await _sent(hooks.client, phone, status_callback_url=receiver.url("status"))
    await _report(phone, message_id=message_id, status="sent",
                  delivery={"result": "undelivered", "at": CONFIRMED})
    await eventually(lambda: len(receiver.bodies("status")) == 2, what="status callbacks")
    handed, reported = receiver.bodies("status")
    assert (handed["status"], handed["delivered_at"]) == ("sent", HANDED)
    assert "delivery_result" not in handed
    assert {k: reported[k] for k in ("type", "message_id", "status", "delivered_at",
                                     "delivery_result", "delivery_reported_at")} == {
        "type": "message.status", "message_id": message_id, "status": "sent",
        "delivered_at": None, "delivery_result": "undelivered",
        "delivery_reported_at": CONFIRMED}
    await hang_up(phone)
