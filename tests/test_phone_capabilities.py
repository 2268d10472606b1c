"""What a phone says it can deliver (its heartbeat's channels): shown by GET /api/v1/phones,
kept in the log across a restart, and a message for a channel it excludes refused with 422."""
import json

from helpers.phones import connect, frame, hang_up, pair, start_agent
from helpers.polling import eventually
from helpers.relays import add_client_and_phone, make_settings, sms, start_relay, stop_relay

NOTIFY = {"phone_id": "phone_main", "channel": "notify", "text": "hello"}
EMAIL = {"phone_id": "phone_main", "channel": "email", "to": "a@example.com", "subject": "Hi",
         "text": "hello"}
TG_BOT = {"phone_id": "phone_main", "channel": "tg_bot", "to": "123456789",
          "bot_token": "123456:" + "A" * 35, "text": "hello"}


async def _capabilities(client, phone_id="phone_main"):
    status, body = await client.get(f"/api/v1/phones/{phone_id}")
    assert status == 200, body
    return body["phone"]["capabilities"]


async def _says(relay, client, channels: list[str]) -> None:
    connection = await connect(relay, (await pair(relay))["access_token"])
    await frame(connection, "hello")
    connection.write_message(json.dumps({"type": "heartbeat", "battery": 80,
                                         "channels": channels}))

    async def shown():
        return await _capabilities(client) == channels
    await eventually(shown)
    await hang_up(connection)


async def test_a_phone_that_never_said_accepts_every_channel(relay, client):
    assert await _capabilities(client) is None
    _, listed = await client.get("/api/v1/phones")
    assert listed["phones"][0]["capabilities"] is None
    status, body = await client.post("/api/v1/messages", NOTIFY)
    assert status == 202, body


async def test_a_channel_the_phone_excludes_is_refused(relay, client):
    status, before = await client.post("/api/v1/messages", {**NOTIFY, "idempotency_key": "k"})
    assert status == 202, before
    await _says(relay, client, ["sms"])
    status, again = await client.post("/api/v1/messages", {**NOTIFY, "idempotency_key": "k"})
    assert status == 200 and again["message_id"] == before["message_id"], again
    status, body = await client.post("/api/v1/messages", NOTIFY)
    assert status == 422, body
    error = body["error"]
    assert error["code"] == "channel_unavailable" and error["field"] == "channel"
    assert "phone_main" in error["message"] and "notify" in error["message"]
    # Without SMTP the phone delivers email too: refused alike.
    status, body = await client.post("/api/v1/messages", EMAIL)
    assert status == 422 and body["error"]["code"] == "channel_unavailable"
    # What the relay sends itself is not the phone's concern; what it can do passes.
    for message in (TG_BOT, sms()):
        status, body = await client.post("/api/v1/messages", message)
        assert status == 202, body
    _, listed = await client.get("/api/v1/messages?limit=10")
    assert sorted(m["channel"] for m in listed["messages"]) == ["notify", "sms", "tg_bot"]


async def test_the_agent_says_its_backends_channels(relay, client):
    running = await start_agent(relay)
    try:
        async def shown():
            return await _capabilities(client) == sorted(running.backend.channels)
        await eventually(shown)
    finally:
        await running.stop()


async def test_capabilities_are_a_fact_that_outlives_a_restart(data_dir):
    running = await start_relay(make_settings(data_dir))
    client = await add_client_and_phone(running)
    try:
        await _says(running, client, ["notify", "sms"])
        await _says(running, client, ["sms"])        # the latest said is the one in force
    finally:
        client.close()
        await stop_relay(running)
    running = await start_relay(make_settings(data_dir))
    client = await running.new_client("again")
    try:
        assert await _capabilities(client) == ["sms"]
        status, body = await client.post("/api/v1/messages", NOTIFY)
        assert status == 422 and body["error"]["code"] == "channel_unavailable"
    finally:
        client.close()
        await stop_relay(running)
