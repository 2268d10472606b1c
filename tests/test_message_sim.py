"""The SIM slot a client asks for: validated, stored with the message, compared for
idempotency, shown on the message and carried to the phone in the deliver frame (also after a
restart, from the log)."""
import pytest

from helpers.phones import connect, frame, hang_up, pair
from helpers.relays import add_client_and_phone, make_settings, sms, start_relay, stop_relay

TG_BOT = {"phone_id": "phone_main", "channel": "tg_bot", "to": "123456789",
          "bot_token": "123456:" + "A" * 35, "text": "hello"}


async def _message(client, message_id):
    status, body = await client.get(f"/api/v1/messages/{message_id}")
    assert status == 200, body
    return body["message"]


async def test_the_slot_reaches_the_phone_and_shows_on_the_message(relay, client, phone):
    status, with_slot = await client.post("/api/v1/messages", sms(text="from two", sim=2))
    assert status == 202, with_slot
    deliver = await frame(phone, "deliver")
    assert deliver["message_id"] == with_slot["message_id"] and deliver["sim"] == 2
    _, plain = await client.post("/api/v1/messages", sms(text="default"))
    deliver = await frame(phone, "deliver")
    assert deliver["message_id"] == plain["message_id"] and "sim" not in deliver
    assert (await _message(client, with_slot["message_id"]))["sim"] == 2
    assert (await _message(client, plain["message_id"]))["sim"] is None
    _, listed = await client.get("/api/v1/messages")
    assert [m["sim"] for m in listed["messages"]] == [None, 2]


@pytest.mark.parametrize("sim", [0, 3, "1", True, 1.5, [1]])
async def test_a_slot_other_than_1_or_2_is_refused(relay, client, sim):
    status, body = await client.post("/api/v1/messages", sms(sim=sim))
    assert status == 400 and body["error"]["field"] == "sim", body


async def test_a_message_the_relay_sends_itself_takes_no_slot(relay, client):
    status, body = await client.post("/api/v1/messages", {**TG_BOT, "sim": 1})
    assert status == 400, body
    assert body["error"]["code"] == "not_allowed" and body["error"]["field"] == "sim"


async def test_the_slot_is_part_of_the_same_message(relay, client):
    status, first = await client.post("/api/v1/messages", sms(idempotency_key="k1", sim=1))
    assert status == 202, first
    status, again = await client.post("/api/v1/messages", sms(idempotency_key="k1", sim=1))
    assert status == 200 and again["message_id"] == first["message_id"]
    for other in (2, None):
        status, body = await client.post("/api/v1/messages", sms(idempotency_key="k1", sim=other))
        assert status == 422, body
        assert body["error"]["code"] == "idempotency_conflict" and body["error"]["field"] == "sim"
    status, body = await client.post("/api/v1/messages", sms(idempotency_key="k2"))
    status, again = await client.post("/api/v1/messages", sms(idempotency_key="k2"))
    assert status == 200 and again["message_id"] == body["message_id"]


async def test_a_waiting_message_keeps_its_slot_across_a_restart(data_dir):
    running = await start_relay(make_settings(data_dir))
    client = await add_client_and_phone(running)
    try:
        _, accepted = await client.post("/api/v1/messages", sms(sim=2))
    finally:
        client.close()
        await stop_relay(running)
    running = await start_relay(make_settings(data_dir))
    try:
        connection = await connect(running, (await pair(running))["access_token"])
        deliver = await frame(connection, "deliver")
        assert deliver["message_id"] == accepted["message_id"] and deliver["sim"] == 2
        await hang_up(connection)
    finally:
        await stop_relay(running)
