"""Scheduled, moved, cancelled and prioritised messages, and their own expiry, through the real
API and a real (simulated) phone on a websocket."""
import asyncio
import contextlib
import datetime as dt
import time

import pytest

from helpers.phones import frame, message_status, start_agent
from helpers.polling import eventually
from helpers.relays import relay_with_client, sms, start_relay, stop_relay
from helpers.webhooks import register
from relay.core.timefmt import iso, parse_iso


def _in(seconds: float) -> str:
    return iso(dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
               + dt.timedelta(seconds=seconds))


async def _send(client, **fields) -> dict:
    status, body = await client.post("/api/v1/messages", sms(**fields))
    assert status == 202, body
    return body


async def _is(client, message_id, status) -> bool:
    return await message_status(client, message_id) == status


async def _message(client, message_id) -> dict:
    status, body = await client.get(f"/api/v1/messages/{message_id}")
    assert status == 200, body
    return body["message"]


async def test_a_scheduled_message_reaches_the_phone_at_its_time_not_before(relay, client):
    agent = await start_agent(relay)
    try:
        asked = time.monotonic()
        accepted = await _send(client, text="later", send_at=_in(2))
        assert accepted["status"] == "queued" and accepted["scheduled_for"] is not None
        shown = await _message(client, accepted["message_id"])
        assert shown["scheduled_for"] == accepted["scheduled_for"]
        await asyncio.sleep(1.5)
        assert agent.backend.sent == []
        await eventually(lambda: _is(client, accepted["message_id"], "sent"), timeout=5)
        assert 1.9 <= time.monotonic() - asked <= 3.5
        assert agent.backend.sent == [accepted["message_id"]]
    finally:
        await agent.stop()


async def test_a_send_at_in_the_past_sends_now(relay, client):
    agent = await start_agent(relay)
    try:
        accepted = await _send(client, send_at="2020-01-01T00:00:00Z")
        assert accepted["scheduled_for"] is None
        await eventually(lambda: _is(client, accepted["message_id"], "sent"))
    finally:
        await agent.stop()


async def test_a_cancelled_message_never_reaches_the_phone(hooks, receiver):
    client = hooks.client
    await hooks.api.admin("phones.add", phone_id="phone_main")
    await register(client, receiver.url("status"), event_types=[])
    agent = await start_agent(hooks)
    try:
        accepted = await _send(client, send_at=_in(1.5),
                               status_callback_url=receiver.url("status"))
        path = f"/api/v1/messages/{accepted['message_id']}/cancel"
        status, body = await client.post(path)
        assert status == 200, body
        assert body["message"]["status"] == "failed"
        assert body["message"]["last_error"] == "cancelled"
        assert body["message"]["held_until"] is None       # the message as GET shows it
        again_status, again = await client.post(path)
        assert (again_status, again) == (status, body)
        await asyncio.sleep(2.5)
        assert agent.backend.sent == []
        await eventually(lambda: receiver.bodies("status"))
        [callback] = receiver.bodies("status")
        assert (callback["status"], callback["error"]) == ("failed", "cancelled")
    finally:
        await agent.stop()


async def test_a_message_the_phone_has_cannot_be_cancelled_or_moved(client, phone):
    accepted = await _send(client)
    delivered = await frame(phone, "deliver")
    assert delivered["message_id"] == accepted["message_id"]
    status, body = await client.post(f"/api/v1/messages/{accepted['message_id']}/cancel")
    assert status == 409 and body["error"]["code"] == "already_sending", body
    status, body = await client.request("PATCH", f"/api/v1/messages/"
                                        f"{accepted['message_id']}", {"send_at": _in(60)})
    assert status == 409 and body["error"]["code"] == "already_sending", body


async def test_an_ended_message_cannot_be_cancelled(relay, client):
    agent = await start_agent(relay)
    try:
        accepted = await _send(client)
        await eventually(lambda: _is(client, accepted["message_id"], "sent"))
        status, body = await client.post(f"/api/v1/messages/{accepted['message_id']}/cancel")
        assert status == 409 and body["error"]["code"] == "already_final", body
    finally:
        await agent.stop()


async def test_cancelling_a_message_waiting_for_an_offline_phone(relay, client):
    waiting = [(await _send(client, text=f"m{n}"))["message_id"] for n in range(3)]
    status, body = await client.post(f"/api/v1/messages/{waiting[1]}/cancel")
    assert status == 200, body
    agent = await start_agent(relay)
    try:
        await eventually(lambda: _is(client, waiting[2], "sent"))
        assert agent.backend.sent == [waiting[0], waiting[2]]
    finally:
        await agent.stop()


async def test_a_message_moved_later_and_then_earlier_goes_at_its_last_time(relay, client):
    agent = await start_agent(relay)
    try:
        accepted = await _send(client, send_at=_in(1))
        path = f"/api/v1/messages/{accepted['message_id']}"
        later = _in(60)
        status, body = await client.request("PATCH", path, {"send_at": later})
        assert status == 200 and body["message"]["scheduled_for"] == later, body
        await asyncio.sleep(2)
        assert agent.backend.sent == []
        status, body = await client.request("PATCH", path, {"send_at": _in(0.5)})
        assert status == 200, body
        await eventually(lambda: _is(client, accepted["message_id"], "sent"))
        assert agent.backend.sent == [accepted["message_id"]]
    finally:
        await agent.stop()


async def test_a_waiting_message_moved_to_later_leaves_its_queue(relay, client):
    first, second = [(await _send(client, text=t))["message_id"] for t in ("a", "b")]
    status, body = await client.request("PATCH", f"/api/v1/messages/{first}",
                                        {"send_at": _in(1.5)})
    assert status == 200, body
    agent = await start_agent(relay)
    try:
        await eventually(lambda: _is(client, first, "sent"), timeout=6)
        assert agent.backend.sent == [second, first]
    finally:
        await agent.stop()


async def test_high_priority_goes_ahead_of_the_waiting_ones(data_dir):
    running, client = await relay_with_client(data_dir, max_in_flight=1)
    try:
        normal = [(await _send(client, text=f"n{n}"))["message_id"] for n in range(3)]
        urgent = (await _send(client, text="code 1234", priority="high"))["message_id"]
        assert (await _message(client, urgent))["priority"] == "high"
        assert (await _message(client, normal[0]))["priority"] == "normal"
        agent = await start_agent(running)
        try:
            await eventually(lambda: _is(client, normal[-1], "sent"))
            assert agent.backend.sent == [urgent, *normal]
        finally:
            await agent.stop()
    finally:
        client.close()
        await stop_relay(running)


@contextlib.asynccontextmanager
async def _restarted_with_a_phone(running, client):
    """(relay, agent): the relay stopped and started again on its data dir, and a phone agent
    connected to it."""
    client.close()
    await stop_relay(running)
    running = await start_relay(running.settings)
    try:
        agent = await start_agent(running)
        try:
            yield running, agent
        finally:
            await agent.stop()
    finally:
        await stop_relay(running)


def _emptied(running):
    return lambda: running.relay.devices.dispatcher.depth("phone_main") == (0, 0)


async def test_high_priority_waiting_across_a_restart_still_goes_first(data_dir):
    running, client = await relay_with_client(data_dir, max_in_flight=1)
    normal = [(await _send(client, text=f"n{n}"))["message_id"] for n in range(2)]
    urgent = (await _send(client, text="alert", priority="high"))["message_id"]
    async with _restarted_with_a_phone(running, client) as (running, agent):
        await eventually(_emptied(running))
        assert agent.backend.sent == [urgent, *normal]


async def test_a_scheduled_message_survives_a_restart_and_goes_on_time(data_dir):
    running, client = await relay_with_client(data_dir)
    accepted = await _send(client, send_at=_in(2.5))
    async with _restarted_with_a_phone(running, client) as (running, agent):
        assert agent.backend.sent == []
        await eventually(_emptied(running), timeout=6)
        await eventually(lambda: agent.backend.sent)
        assert agent.backend.sent == [accepted["message_id"]]


async def test_a_message_past_its_own_time_to_live_expires(data_dir):
    running, client = await relay_with_client(data_dir, message_ttl_seconds=10)
    try:
        accepted = await _send(client, ttl_seconds=1)
        shown = await _message(client, accepted["message_id"])
        assert (parse_iso(shown["expires_at"]) - parse_iso(shown["created_at"])
                == dt.timedelta(seconds=1))
        kept = await _send(client)
        await eventually(lambda: _is(client, accepted["message_id"], "expired"), timeout=6)
        assert await message_status(client, kept["message_id"]) == "queued"
    finally:
        client.close()
        await stop_relay(running)


async def test_expiry_counts_from_the_scheduled_time(client):
    send_at = _in(3600)
    accepted = await _send(client, send_at=send_at, ttl_seconds=600)
    assert parse_iso(accepted["expires_at"]) - parse_iso(send_at) == dt.timedelta(minutes=10)
    fixed = await _send(client, send_at=send_at, expires_at=_in(7200))
    shown = await _message(client, fixed["message_id"])
    assert shown["expires_at"] == fixed["expires_at"]


async def test_the_deliver_frame_carries_the_message_s_own_expiry(client, phone):
    expires = _in(90)
    accepted = await _send(client, expires_at=expires)
    delivered = await frame(phone, "deliver")
    assert delivered["message_id"] == accepted["message_id"]
    assert delivered["expires_at"] == expires


@pytest.mark.parametrize("fields, field, code", [
    ({"send_at": "2026-12-08T10:00:00"}, "send_at", "invalid_field"),
    ({"send_at": "tomorrow"}, "send_at", "invalid_field"),
    ({"send_at": 1765000000}, "send_at", "invalid_type"),
    ({"send_at": "2199-01-01T00:00:00Z"}, "send_at", "too_far_ahead"),
    ({"ttl_seconds": 0}, "ttl_seconds", "invalid_field"),
    ({"ttl_seconds": 1.5}, "ttl_seconds", "invalid_field"),
    ({"ttl_seconds": "60"}, "ttl_seconds", "invalid_field"),
    ({"ttl_seconds": 60, "expires_at": "2199-01-01T00:00:00Z"}, "expires_at", "not_allowed"),
    ({"expires_at": "2020-01-01T00:00:00Z"}, "expires_at", "already_past"),
    ({"priority": "urgent"}, "priority", "invalid_field"),
])
async def test_bad_timing_is_a_400_naming_its_field(client, fields, field, code):
    status, body = await client.post("/api/v1/messages", sms(**fields))
    assert status == 400, body
    assert (body["error"]["field"], body["error"]["code"]) == (field, code)


async def test_bad_changes_are_refused_with_their_reason(client):
    accepted = await _send(client, send_at=_in(60))
    path = f"/api/v1/messages/{accepted['message_id']}"
    for body, field in (({}, "send_at"), ({"send_at": "soon"}, "send_at"),
                        ({"send_at": _in(60), "text": "other"}, "text")):
        status, answer = await client.request("PATCH", path, body)
        assert status == 400 and answer["error"]["field"] == field, answer
    status, answer = await client.request("PATCH", "/api/v1/messages/msg_nope",
                                          {"send_at": _in(60)})
    assert status == 404 and answer["error"]["code"] == "unknown_message"
    status, answer = await client.post("/api/v1/messages/msg_nope/cancel")
    assert status == 404 and answer["error"]["code"] == "unknown_message"
    status, answer = await client.get(f"{path}/cancel")
    assert status == 405


async def test_another_client_cannot_touch_a_message(relay, client):
    accepted = await _send(client, send_at=_in(60))
    other = await relay.new_client("other")
    try:
        status, _ = await other.post(f"/api/v1/messages/{accepted['message_id']}/cancel")
        assert status == 404
        assert await message_status(client, accepted["message_id"]) == "queued"
    finally:
        other.close()
