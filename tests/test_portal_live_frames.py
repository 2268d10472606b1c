"""What the portal's live socket sends, to the byte: a message accepted, its status moving on, the
network's delivery report, and an inbound event, each as {"topic", "data"} with the fields in the
order the pages know."""
import asyncio
import json
import re

import tornado.httpclient
import tornado.websocket

from helpers.relays import sms
from helpers.portal_http import signed_in_owner
from helpers.phones import frame

TIME = r'"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z"'


async def _next_text(socket) -> str:
    return await asyncio.wait_for(socket.read_message(), 5)


async def test_the_live_frames_keep_their_topics_and_fields(relay, client, phone):
    browser = await signed_in_owner(relay)
    socket = await tornado.websocket.websocket_connect(tornado.httpclient.HTTPRequest(
        relay.base_url.replace("http", "ws") + "/portal/live",
        headers={"Cookie": browser.cookie}))
    try:
        await _pushes_each_fact(client, phone, socket)
    finally:
        socket.close()


async def _pushes_each_fact(client, phone, socket):
    status, body = await client.post("/api/v1/messages", sms(text="hi", tags=["a"]))
    assert status == 202, body
    message_id = body["message_id"]
    accepted = await _next_text(socket)
    assert re.fullmatch(
        '{"topic": "message.accepted", "data": {"message_id": "%s", "phone_id": "phone_main", '
        '"channel": "sms", "to": "\\+12025550143", "text": "hi", "subject": null, "title": null, '
        '"tags": \\["a"\\], "created_at": %s, "seq": \\d+, "sim": null, "send_at": null, '
        '"ttl_seconds": null, "expires_at": null, "priority": null}}' % (message_id, TIME),
        accepted), accepted
    await frame(phone, "deliver")
    phone.write_message(json.dumps({"type": "status", "message_id": message_id,
                                    "status": "sent"}))
    changed = await _next_text(socket)
    assert re.fullmatch(
        '{"topic": "message.status", "data": {"message_id": "%s", "phone_id": "phone_main", '
        '"status": "sent", "error": null, "at": %s}}' % (message_id, TIME), changed), changed
    phone.write_message(json.dumps({
        "type": "status", "message_id": message_id, "status": "sent",
        "delivery": {"result": "delivered", "at": "2026-12-01T12:00:05Z"}}))
    reported = await _next_text(socket)
    assert reported == (
        '{"topic": "message.delivery", "data": {"message_id": "%s", "phone_id": "phone_main", '
        '"result": "delivered", "reported_at": "2026-12-01T12:00:05.000Z"}}' % message_id)
    phone.write_message(json.dumps({
        "type": "inbound", "event_id": "ev-1", "channel": "sms", "event_type": "answered",
        "contact": "+12025550178", "contact_name": "Ann", "duration_sec": 42,
        "tags": ["Work"], "occurred_at": "2026-01-05T10:00:00Z"}))
    inbound = await _next_text(socket)
    assert re.fullmatch(
        '{"topic": "inbound", "data": {"message_id": "in_\\w+", "phone_id": "phone_main", '
        '"event_type": "answered", "channel": "sms", "source": "\\+12025550178", '
        '"contact_name": "Ann", "text": null, "duration_sec": 42, "tags": \\["work"\\], '
        '"occurred_at": "2026-01-05T10:00:00.000Z"}}', inbound), inbound
