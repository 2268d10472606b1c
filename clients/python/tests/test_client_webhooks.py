"""Callbacks through the client, and verify_webhook on a real delivery from the relay: a
genuine one passes, a tampered body, an old timestamp and another secret are refused."""
import datetime
import json

import pytest
import standardwebhooks

from loopback import PHONE, wait_for
from relay_client import RelayError, WebhookVerificationError, verify_webhook


@pytest.fixture
def registered(client, receiver):
    registration = client.register_callback(receiver.url, event_types=[],
                                            callback_token="tok-1")
    yield registration
    client.delete_callback(callback_url=receiver.url)


def _status_delivery(client, receiver, registration) -> dict:
    accepted = client.send(phone_id=PHONE, channel="sms", to="+12025550143", text="hook me",
                           status_callback_url=registration["callback"]["callback_url"])
    delivery = receiver.first(lambda body: body["message_id"] == accepted["message_id"]
                              and body["status"] == "sent")
    return {**delivery, "message_id": accepted["message_id"]}


def test_a_real_delivery_verifies_and_gives_the_event(client, receiver, registered):
    assert registered["created"] and registered["secret"].startswith("whsec_")
    delivery = _status_delivery(client, receiver, registered)
    event = verify_webhook(delivery["body"], delivery["headers"], registered["secret"])
    assert event["type"] == "message.status" and event["message_id"] == delivery["message_id"]
    assert event["callback_id"] == registered["callback"]["id"]
    assert delivery["headers"]["Authorization"] == "Bearer tok-1"
    # A str body (a framework that decoded it) verifies too.
    assert verify_webhook(delivery["body"].decode(), delivery["headers"],
                          registered["secret"]) == event


def test_a_tampered_body_another_secret_and_missing_headers_are_refused(client, receiver,
                                                                        registered):
    delivery = _status_delivery(client, receiver, registered)
    body, headers = delivery["body"], delivery["headers"]
    tampered = body.replace(b'"sent"', b'"failed"')
    assert tampered != body
    with pytest.raises(WebhookVerificationError, match="signature"):
        verify_webhook(tampered, headers, registered["secret"])
    other = client.register_callback(receiver.url + "-other", event_types=[])
    try:
        with pytest.raises(WebhookVerificationError):
            verify_webhook(body, headers, other["secret"])
    finally:
        client.delete_callback(other["callback"]["id"])
    unsigned = {k: v for k, v in headers.items() if k.lower() != "webhook-signature"}
    with pytest.raises(WebhookVerificationError, match="headers"):
        verify_webhook(body, unsigned, registered["secret"])
    with pytest.raises(WebhookVerificationError):
        verify_webhook(body, {**headers, "webhook-signature": "garbage"}, registered["secret"])


def test_an_old_timestamp_is_refused_though_its_signature_matches(client, receiver, registered):
    delivery = _status_delivery(client, receiver, registered)
    headers = {k.lower(): v for k, v in delivery["headers"].items()}
    old = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=10)
    headers["webhook-timestamp"] = str(int(old.timestamp()))
    headers["webhook-signature"] = standardwebhooks.Webhook(registered["secret"]).sign(
        headers["webhook-id"], old, delivery["body"].decode())
    with pytest.raises(WebhookVerificationError, match="too old"):
        verify_webhook(delivery["body"], headers, registered["secret"])


def test_callbacks_are_listed_and_deleted_and_deliveries_logged(client, receiver, registered):
    callback = registered["callback"]
    assert callback in client.list_callbacks()
    again = client.register_callback(receiver.url, event_types=[])
    assert not again["created"] and again["secret"] != registered["secret"]
    delivery = _status_delivery(client, receiver, again)
    logged = wait_for(lambda: [d for d in client.list_deliveries(
        callback_id=callback["id"], page_size=1) if d["status"] == "delivered"],
        what="the deliveries to be logged")
    assert {d["message_id"] for d in logged} == {delivery["message_id"]}
    assert client.redeliver(logged[0]["delivery_id"])["status"] == "pending"
    assert client.delete_callback(callback["id"]) == callback["id"]
    assert callback["id"] not in [c["id"] for c in client.list_callbacks()]
    client.register_callback(receiver.url, event_types=[])      # for the fixture's delete


def test_a_bad_registration_names_its_field(client):
    with pytest.raises(RelayError) as refused:
        client.register_callback("http://127.0.0.1:9/x", event_types=["nope"])
    assert (refused.value.status, refused.value.field) == (400, "event_types")
    with pytest.raises(ValueError):
        client.delete_callback()
    assert json.dumps(client.list_callbacks())      # plain JSON values
