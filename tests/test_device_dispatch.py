"""Dispatch over a real websocket: deliver frames, statuses moving forward, acks after commit,
the in-flight window, redelivery after a dropped connection, expiry."""
import asyncio

import pytest

from helpers.phones import connect, frame, hang_up, message_status, pair, start_agent
from helpers.polling import eventually
from helpers.relays import make_settings, send_sms, sms, start_relay, stop_relay


async def _is(client, message_id, status):
    return await message_status(client, message_id) == status


@pytest.fixture
async def small_window(data_dir):
    """A relay that lets a phone have 3 messages in flight."""
    running = await start_relay(make_settings(data_dir, max_in_flight=3))
    yield running
    await stop_relay(running)


async def test_agent_delivers_a_message_to_sent(relay, client):
    running = await start_agent(relay)
    try:
        status, accepted = await client.post("/api/v1/messages", sms(text="hi there"))
        assert status == 202 and accepted["phone_offline"] is False
        message_id = accepted["message_id"]
        await eventually(lambda: _is(client, message_id, "sent"))
        _, body = await client.get(f"/api/v1/messages/{message_id}")
        assert [h["status"] for h in body["message"]["history"]] == ["queued", "sending", "sent"]
        assert body["message"]["delivered_at"] is not None
        assert running.backend.sent == [message_id]
    finally:
        await running.stop()


async def test_failures_are_reported_with_their_error(relay, client):
    running = await start_agent(relay, failure_rate=1.0)
    try:
        [message_id] = await send_sms(client, 1)
        await eventually(lambda: _is(client, message_id, "failed"))
        _, body = await client.get(f"/api/v1/messages/{message_id}")
        assert body["message"]["last_error"] == "simulated failure: no network"
        assert running.backend.sent == []
    finally:
        await running.stop()


async def test_deliver_frame_oldest_first_and_window(small_window):
    relay = small_window
    client = await relay.new_client("app")
    await relay.api.admin("phones.add", phone_id="phone_main")
    ids = await send_sms(client, 5, title=None)
    grant = await pair(relay)
    connection = await connect(relay, grant["access_token"])
    try:
        hello = await frame(connection, "hello")
        assert hello["protocol"] == 1 and hello["max_in_flight"] == 3
        delivered = [await frame(connection, "deliver") for _ in range(3)]
        assert [d["message_id"] for d in delivered] == ids[:3]
        first = delivered[0]
        assert first["channel"] == "sms" and first["to"] == "+12025550143"
        assert first["text"] == "m0" and first["expires_at"] > first["created_at"]
        with pytest.raises(asyncio.TimeoutError):          # the window is full
            await frame(connection, "deliver", timeout=0.3)
        connection.write_message('{"type":"status","message_id":"%s","status":"sent"}' % ids[0])
        answers = {f["type"]: f for f in [await frame(connection), await frame(connection)]}
        assert answers["ack"] == {"type": "ack", "for": "status", "message_id": ids[0],
                                  "status": "sent", "recorded": True}
        assert answers["deliver"]["message_id"] == ids[3]     # a free slot: the next one
        # the ack came after the commit: the API already shows it
        assert await message_status(client, ids[0]) == "sent"
    finally:
        await hang_up(connection)
        client.close()


async def test_status_only_moves_forward(relay, client):
    [message_id] = await send_sms(client, 1)
    connection = await connect(relay, (await pair(relay))["access_token"])
    try:
        await frame(connection, "deliver")
        reports = [("sending", True), ("sent", True), ("sending", False), ("failed", False),
                   ("sent", False)]
        for status, recorded in reports:
            extra = ',"error":"x"' if status == "failed" else ""
            connection.write_message('{"type":"status","message_id":"%s","status":"%s"%s}'
                                     % (message_id, status, extra))
            ack = await frame(connection, "ack")
            assert (ack["status"], ack["recorded"]) == (status, recorded)
        _, body = await client.get(f"/api/v1/messages/{message_id}")
        assert [h["status"] for h in body["message"]["history"]] == ["queued", "sending", "sent"]
    finally:
        await hang_up(connection)


async def test_in_flight_messages_are_delivered_again_after_a_drop(relay, client):
    ids = await send_sms(client, 2)
    grant = await pair(relay)
    first = await connect(relay, grant["access_token"])
    assert [(await frame(first, "deliver"))["message_id"] for _ in ids] == ids
    first.write_message('{"type":"status","message_id":"%s","status":"sending"}' % ids[0])
    await frame(first, "ack")
    await hang_up(first)                                 # dropped before any final status
    await eventually(lambda: _offline(client))
    second = await connect(relay, grant["access_token"])
    try:
        assert [(await frame(second, "deliver"))["message_id"] for _ in ids] == ids
    finally:
        await hang_up(second)


async def _offline(client):
    _, body = await client.get("/api/v1/phones/phone_main")
    return not body["phone"]["online"]


async def test_agent_never_sends_a_redelivered_message_twice(relay, client, tmp_path):
    """The agent keeps sending while its connection is cut and the message comes again."""
    running = await start_agent(relay, tmp_path / "phone", delay=0.3)
    try:
        [message_id] = await send_sms(client, 1)
        await eventually(lambda: _is(client, message_id, "sending"))
        relay.relay.devices.sockets["phone_main"].close()    # the relay side drops it
        await eventually(lambda: _is(client, message_id, "sent"))
        await asyncio.sleep(0.2)
        assert running.backend.sent == [message_id]
    finally:
        await running.stop()


@pytest.fixture
async def short_ttl(data_dir):
    """A relay whose messages live one second, with a client and phone_main."""
    relay = await start_relay(make_settings(data_dir, message_ttl_seconds=1))
    relay.client = await relay.new_client("app")
    await relay.api.admin("phones.add", phone_id="phone_main")
    yield relay
    relay.client.close()
    await stop_relay(relay)


async def test_queued_message_expires_after_its_ttl(short_ttl):
    relay, client = short_ttl, short_ttl.client
    [message_id] = await send_sms(client, 1)
    await eventually(lambda: _is(client, message_id, "expired"), timeout=8)
    _, body = await client.get(f"/api/v1/messages/{message_id}")
    assert "time to live" in body["message"]["last_error"]
    connection = await connect(relay, (await pair(relay))["access_token"])
    with pytest.raises(asyncio.TimeoutError):          # nothing left to deliver
        await frame(connection, "deliver", timeout=0.3)
    await hang_up(connection)


async def test_a_message_the_phone_never_answers_expires_and_frees_its_slot(short_ttl):
    relay, client = short_ttl, short_ttl.client
    connection = await connect(relay, (await pair(relay))["access_token"])
    try:
        [message_id] = await send_sms(client, 1)
        await frame(connection, "deliver")                # and never a status
        await eventually(lambda: _is(client, message_id, "expired"), timeout=8)
        _, body = await client.get("/api/v1/phones/phone_main")
        assert (body["phone"]["in_flight"], body["phone"]["queue_depth"]) == (0, 0)
        connection.write_message('{"type":"status","message_id":"%s","status":"sent"}'
                                 % message_id)             # too late: nothing moves
        assert (await frame(connection, "ack"))["recorded"] is False
    finally:
        await hang_up(connection)


async def test_offline_phone_still_queues_and_the_answer_says_so(relay, client):
    status, body = await client.post("/api/v1/messages", sms())
    assert status == 202 and body["status"] == "queued"
    assert body["phone_offline"] is True and "offline" in body["warning"]
    running = await start_agent(relay)
    try:
        await eventually(lambda: _is(client, body["message_id"], "sent"))
    finally:
        await running.stop()


async def test_notify_and_pchat_go_to_the_phone(relay, client):
    connection = await connect(relay, (await pair(relay))["access_token"])
    try:
        await client.post("/api/v1/messages", {"phone_id": "phone_main", "channel": "notify",
                                               "title": "Door", "text": "Someone rang"})
        await client.post("/api/v1/messages", {"phone_id": "phone_main", "channel": "pchat",
                                               "text": "Dinner at 8?"})
        notify, chat = await frame(connection, "deliver"), await frame(connection, "deliver")
        assert (notify["channel"], notify["title"], notify["to"]) == ("notify", "Door", None)
        assert (chat["channel"], chat["text"], chat["to"]) == ("pchat", "Dinner at 8?", None)
    finally:
        await hang_up(connection)


async def test_email_goes_to_the_phone_only_without_smtp(relay, client):
    connection = await connect(relay, (await pair(relay))["access_token"])
    try:
        await client.post("/api/v1/messages", {"phone_id": "phone_main", "channel": "email",
                                               "to": "ann@example.com", "subject": "Hi",
                                               "text": "Body"})
        email = await frame(connection, "deliver")
        assert (email["channel"], email["subject"]) == ("email", "Hi")
    finally:
        await hang_up(connection)


async def test_an_agent_that_died_mid_send_does_not_send_again(relay, client, tmp_path):
    """The outcome of an interrupted attempt is unknown: failed, never a second SMS."""
    crashed = await start_agent(relay, tmp_path / "phone", delay=30)
    [message_id] = await send_sms(client, 1)
    await eventually(lambda: _is(client, message_id, "sending"))
    crashed.task.cancel()                                # dies while the backend "sends"
    await asyncio.gather(crashed.task, return_exceptions=True)
    crashed.agent.close()
    restarted = await start_agent(relay, tmp_path / "phone")
    try:
        await eventually(lambda: _is(client, message_id, "failed"))
        _, body = await client.get(f"/api/v1/messages/{message_id}")
        assert "interrupted" in body["message"]["last_error"]
        assert crashed.backend.sent == [] and restarted.backend.sent == []
    finally:
        await restarted.stop()
