"""What a phone reports as an inbound event's contact is what the query's `events[].source`
shows, in its letter case, on every channel (a phone number in E.164, an e-mail address with
its domain in lower case); the other sections count contacts in lower case."""
import json

from helpers.phones import connect, frame, hang_up, pair

QUERY = "/api/v1/webchat/inbound/query"
REPORTED = {   # channel: (as the phone reports it, as events[].source shows it)
    "sms": ("(202) 555-0143", "+12025550143"),
    "wa": ("+44 20 7946 0958", "+442079460958"),
    "tg": ("@Alice_Smith", "@Alice_Smith"),
    "email": ("Bob.Smith@Example.COM", "Bob.Smith@example.com"),
    "pchat": ("Room-A", "Room-A"),
}


async def test_events_show_each_source_as_the_phone_reported_it(relay, client):
    socket = await connect(relay, (await pair(relay))["access_token"])
    try:
        await frame(socket, "hello")
        for number, (channel, (reported, _)) in enumerate(REPORTED.items()):
            socket.write_message(json.dumps({
                "type": "inbound", "event_id": f"ev-{number}", "channel": channel,
                "contact": reported, "text": "hi", "occurred_at": "2026-11-26T10:00:00Z"}))
            await frame(socket, "ack")
    finally:
        await hang_up(socket)
    status, body = await client.post(QUERY, {"range": "all"})
    assert status == 200, body
    assert {e["channel"]: e["source"] for e in body["events"]} == {
        channel: shown for channel, (_, shown) in REPORTED.items()}
    assert sorted(c["source"] for c in body["top_contacts"]) == sorted(
        shown.lower() for _, shown in REPORTED.values())
