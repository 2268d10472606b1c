"""The phone's frames: inbound events acknowledged after commit and de-duplicated, heartbeats,
and bad frames answered with an error frame while the connection stays up."""
import json

import pytest

from helpers.phones import closed, frame, start_agent
from helpers.polling import eventually
from helpers.relays import sms
from relay.store.events import InboundRecorded


def _send(connection, frame_: dict) -> None:
    connection.write_message(json.dumps(frame_))


async def _inbound_rows(relay):
    return await relay.relay.store.read(lambda cur: cur.execute(
        "SELECT device_event_id, channel, event_type, contact, duration_sec "
        "FROM inbound_events ORDER BY seq").fetchall())


async def test_inbound_is_acked_after_commit_and_deduplicated(relay, phone):
    published = []
    relay.relay.bus.subscribe(InboundRecorded, published.append)
    event = {"type": "inbound", "event_id": "ev-1", "channel": "sms", "contact": "2025550143",
             "contact_name": "Ann", "text": "hi", "occurred_at": "2026-01-05T10:00:00Z"}
    _send(phone, event)
    ack = await frame(phone, "ack")
    assert ack["for"] == "inbound" and ack["event_id"] == "ev-1" and not ack["duplicate"]
    assert ack["relay_event_id"].startswith("in_")
    assert await _inbound_rows(relay) == [("ev-1", "sms", "message", "+12025550143", None)]
    _send(phone, event)                               # the ack was lost; the phone sends again
    again = await frame(phone, "ack")
    assert again["duplicate"] and again["relay_event_id"] == ack["relay_event_id"]
    assert len(await _inbound_rows(relay)) == 1 and len(published) == 1


async def test_calls_are_inbound_events(relay, phone):
    _send(phone, {"type": "inbound", "event_id": "call-1", "channel": "sms",
                  "event_type": "answered", "contact": "+12025550178", "duration_sec": 42,
                  "occurred_at": "2026-01-05T10:00:00Z"})
    await frame(phone, "ack")
    assert await _inbound_rows(relay) == [("call-1", "sms", "answered", "+12025550178", 42)]


async def test_heartbeat_shows_in_the_phones_api(relay, client, phone):
    _send(phone, {"type": "heartbeat", "battery": 77, "signal": 3, "app_version": "1.2.0"})

    async def reported():
        _, body = await client.get("/api/v1/phones/phone_main")
        return body["phone"]["battery"] == 77 and body["phone"]
    shown = await eventually(reported)
    assert (shown["signal"], shown["app_version"], shown["online"]) == (3, "1.2.0", True)


BAD_FRAMES = [
    ("not json", "invalid_json", None),
    ("[1, 2]", "invalid_frame", None),
    ('{"type": "launch"}', "unknown_type", "type"),
    ('{"no": "type"}', "unknown_type", "type"),
    ('{"type": "status", "status": "sent"}', "required", "message_id"),
    ('{"type": "status", "message_id": "msg_x", "status": "delivered"}', "invalid_field",
     "status"),
    ('{"type": "status", "message_id": "msg_x", "status": "failed"}', "required", "error"),
    ('{"type": "status", "message_id": "msg_x", "status": "sent", "delivered_at": "soon"}',
     "invalid_field", "delivered_at"),
    ('{"type": "status", "message_id": "msg_x", "status": "sent", "extra": 1}',
     "unknown_field", "extra"),
    ('{"type": "inbound", "event_id": "e1", "channel": "sms"}', "required", "occurred_at"),
    ('{"type": "inbound", "event_id": "e1", "channel": "fax", "occurred_at": "2026-01-01"}',
     "invalid_field", "channel"),
    ('{"type": "heartbeat", "battery": 101}', "invalid_field", "battery"),
]


@pytest.mark.parametrize("raw, code, field", BAD_FRAMES)
async def test_bad_frames_get_an_error_and_the_socket_stays(relay, client, phone, raw, code,
                                                           field):
    phone.write_message(raw)
    error = await frame(phone, "error")
    assert (error["code"], error["field"]) == (code, field)
    # still connected and working: a message sent now is delivered on this socket
    _, accepted = await client.post("/api/v1/messages", sms())
    assert (await frame(phone, "deliver"))["message_id"] == accepted["message_id"]


async def test_binary_frames_are_refused(phone):
    phone.write_message(b"\x00\x01", binary=True)
    assert (await frame(phone, "error"))["code"] == "invalid_frame"


async def test_a_status_for_another_phones_message(relay, client, phone):
    await relay.api.admin("phones.add", phone_id="other")
    _, accepted = await client.post("/api/v1/messages", sms(phone_id="other"))
    _send(phone, {"type": "status", "message_id": accepted["message_id"], "status": "sent"})
    error = await frame(phone, "error")
    assert error["code"] == "not_your_message"
    assert error["message_id"] == accepted["message_id"] and error["frame_type"] == "status"
    _, body = await client.get(f"/api/v1/messages/{accepted['message_id']}")
    assert body["message"]["status"] == "queued"


async def test_frames_over_64_kib_close_the_socket_with_1009(phone):
    phone.write_message(json.dumps({"type": "heartbeat", "app_version": "x" * 70000}))
    assert await closed(phone) == 1009


async def test_agent_reports_simulated_inbound_events(relay, client, tmp_path):
    running = await start_agent(relay, tmp_path / "phone", inbound_per_minute=1200, seed=7)
    try:
        rows = await eventually(lambda: _at_least(relay, 5))
        assert {r[1] for r in rows} <= {"sms", "wa", "tg", "pchat"}
        assert len({r[0] for r in rows}) == len(rows)          # each event once
    finally:
        await running.stop()


async def _at_least(relay, count):
    rows = await _inbound_rows(relay)
    return rows if len(rows) >= count else None
