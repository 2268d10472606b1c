"""Webhook delivery end to end, with a real receiver on loopback: filters, signatures, retries
with the same webhook-id, Retry-After, 410, a hung receiver, redelivery, status callbacks."""
import asyncio
import datetime as dt
import time

import standardwebhooks

from conftest import sms
from webhook_helpers import (CALLBACKS, HANG, deliveries, eventually, hooks, inbound,  # noqa: F401
                             receiver, register, settled)


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
