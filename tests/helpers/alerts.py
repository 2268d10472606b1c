"""Alert test helpers: a relay whose rule minutes last a second (alert_minute_seconds=1) and
may send webhooks to loopback, rules set over the API, and inbound events reported by a
simulated phone over its websocket."""
import itertools
import json

from helpers.phones import connect, frame, pair
from helpers.relays import make_settings, start_relay
from helpers.webhooks import LOOPBACK
from relay.core.timefmt import iso, utcnow

RULES = "/api/v1/webchat/inbound/rules"
QUERY = "/api/v1/webchat/inbound/query"
CONTACT = "+12025550143"
_event_ids = itertools.count()


def alert_settings(data_dir, **overrides):
    return make_settings(data_dir, callback_allow_networks=LOOPBACK, alert_minute_seconds=1,
                         **overrides)


async def alerting_relay(data_dir, **overrides):
    """A relay with fast rule minutes, its client 'app' and phone 'phone_main'."""
    running = await start_relay(alert_settings(data_dir, **overrides))
    running.client = await running.new_client("app")
    await running.api.admin("phones.add", phone_id="phone_main")
    return running


async def create_rule(api, **fields) -> dict:
    status, body = await api.post(RULES, {"within_minutes": 1, **fields})
    assert status == 201, body
    return body["rule"]


async def phone_socket(running):
    """phone_main's websocket, past its hello: the simulated phone."""
    socket = await connect(running, (await pair(running))["access_token"])
    await frame(socket, "hello")
    return socket


async def report(socket, contact: str = CONTACT, occurred_at: str | None = None,
                 **fields) -> str:
    """The phone reports an inbound SMS (by default now); the relay's event id once acked."""
    socket.write_message(json.dumps({
        "type": "inbound", "event_id": f"al-{next(_event_ids)}", "channel": "sms",
        "contact": contact, "text": "are you there?",
        "occurred_at": occurred_at or iso(utcnow()), **fields}))
    return (await frame(socket, "ack"))["relay_event_id"]


async def reply(api, to: str = CONTACT) -> str:
    status, body = await api.post("/api/v1/messages", {"phone_id": "phone_main",
                                                       "channel": "sms", "to": to,
                                                       "text": "on it"})
    assert status == 202, body
    return body["message_id"]


def alerts_of(receiver, name: str, kind: str) -> list[dict]:
    return [b for b in receiver.bodies(name) if b["type"] == kind]
