"""Sending, reading and listing messages with the blocking client, against the real relay."""
import datetime
import uuid

import pytest

from loopback import PHONE, wait_for
from relay_client import Relay, RelayError

BOT_TOKEN = "123456789:" + "A" * 35


def unique() -> str:
    return f"test-{uuid.uuid4().hex[:12]}"


def test_a_send_without_a_key_gets_a_uuid_and_the_phone_sends_it(client, relay):
    accepted = client.send(phone_id=PHONE, channel="sms", to="+12025550143", text="hello")
    assert accepted["status"] == "queued" and accepted["message_id"].startswith("msg_")
    assert uuid.UUID(accepted["idempotency_key"]).version == 4
    sent = wait_for(lambda: (m := client.get_message(accepted["message_id"]))["status"] == "sent"
                    and m, what="the message to be sent")
    assert [h["status"] for h in sent["history"]] == ["queued", "sending", "sent"]
    assert sent["idempotency_key"] == accepted["idempotency_key"]
    assert relay.times_sent(accepted["message_id"]) == 1


def test_every_channel_and_option(client):
    source = unique()
    sends = [
        dict(channel="sms", to="(202) 555-0143", tags=["Orders", "vip"], sim=2),
        dict(channel="wa", to="+12025550178"),
        dict(channel="tg", to="@relay_test_user"),
        dict(channel="notify", title="Door", subject="Front door"),
        dict(channel="pchat", to="room-a"),
        dict(channel="email", to="Ann@Example.COM", subject="Your order"),
        dict(channel="tg_bot", to="-1001234567", bot_token=BOT_TOKEN),
    ]
    ids = [client.send(phone_id=PHONE, text="hi", source=source, **fields)["message_id"]
           for fields in sends]
    messages = {m["message_id"]: m for m in client.list_messages(source=source)}
    assert set(messages) == set(ids)
    sms, _, tg, notify, _, email, bot = (messages[i] for i in ids)
    assert (sms["to"], sms["tags"], sms["sim"]) == ("+12025550143", ["orders", "vip"], 2)
    assert tg["to"] == "@relay_test_user"
    assert (notify["title"], notify["subject"]) == ("Door", "Front door")
    assert (email["to"], email["subject"]) == ("Ann@example.com", "Your order")
    assert bot["channel"] == "tg_bot" and "bot_token" not in bot     # never echoed


def test_the_same_key_again_is_the_same_message(client):
    key = unique()
    first = client.send(phone_id=PHONE, channel="sms", to="+12025550143", text="once",
                        idempotency_key=key)
    again = client.send(phone_id=PHONE, channel="sms", to="+12025550143", text="once",
                        idempotency_key=key)
    assert again["duplicate"] is True and again["message_id"] == first["message_id"]
    with pytest.raises(RelayError) as conflict:
        client.send(phone_id=PHONE, channel="sms", to="+12025550143", text="other",
                    idempotency_key=key)
    assert (conflict.value.status, conflict.value.code, conflict.value.field) == (
        422, "idempotency_conflict", "text")


def test_the_list_iterates_over_every_page(client):
    source = unique()
    ids = [client.send(phone_id=PHONE, channel="pchat", text=f"n{i}", source=source)["message_id"]
           for i in range(5)]
    listed = [m["message_id"] for m in client.list_messages(source=source, page_size=2)]
    assert listed == ids[::-1]          # newest first, no page repeated or skipped
    assert list(client.list_messages(source=unique())) == []


@pytest.mark.parametrize("fields, status, code, field", [
    (dict(phone_id="nope", channel="sms", to="+12025550143"), 404, "unknown_phone", "phone_id"),
    (dict(phone_id=PHONE, channel="sms", to="12"), 400, "invalid_phone_number", "to"),
    (dict(phone_id=PHONE, channel="fax", to="+12025550143"), 400, "unknown_channel", "channel"),
])
def test_a_refused_send_raises_the_relays_error(client, fields, status, code, field):
    with pytest.raises(RelayError) as refused:
        client.send(text="hi", **fields)
    error = refused.value
    assert (error.status, error.code, error.field) == (status, code, field)
    assert error.message and error.body["success"] is False


def test_an_unknown_message_and_a_wrong_key(client, relay):
    with pytest.raises(RelayError) as unknown:
        client.get_message("msg_unknown")
    assert (unknown.value.status, unknown.value.code) == (404, "unknown_message")
    with Relay(relay.url, "rly_wrong") as stranger, pytest.raises(RelayError) as refused:
        stranger.list_phones()
    assert (refused.value.status, refused.value.code) == (401, "invalid_key")


def test_url_and_key_come_from_the_environment(relay, monkeypatch):
    monkeypatch.setenv("RELAY_URL", relay.url + "/")
    monkeypatch.setenv("RELAY_API_KEY", relay.key)
    with Relay() as client:
        assert [p["phone_id"] for p in client.list_phones()] == [PHONE]
    monkeypatch.delenv("RELAY_API_KEY")
    with pytest.raises(ValueError, match="RELAY_API_KEY"):
        Relay()


def _days_ahead(days: int) -> datetime.datetime:
    return (datetime.datetime.now(datetime.timezone.utc)
            + datetime.timedelta(days=days)).replace(microsecond=0)


def _utc(when: datetime.datetime) -> str:
    """A time as the relay writes it: UTC, to the millisecond, with Z."""
    return when.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def test_scheduled_expiring_high_priority_send_and_reschedule(client):
    later = _days_ahead(30)
    paris = datetime.timezone(datetime.timedelta(hours=1))
    accepted = client.send(phone_id=PHONE, channel="sms", to="+12025550143", text="later",
                           send_at=later.astimezone(paris), ttl_seconds=3600, priority="high")
    assert accepted["scheduled_for"] == _utc(later)
    again = _days_ahead(31)
    moved = client.reschedule(accepted["message_id"], again.isoformat())
    assert moved["scheduled_for"] == _utc(again)
    assert moved["priority"] == "high"
    expiring = client.send(phone_id=PHONE, channel="sms", to="+12025550143", text="soon",
                           send_at=later, expires_at=later + datetime.timedelta(hours=1))
    assert expiring["expires_at"] == _utc(later + datetime.timedelta(hours=1))


def test_an_sms_answer_says_its_encoding_and_segments(client):
    accepted = client.send(phone_id=PHONE, channel="sms", to="+12025550143", text="plain")
    assert (accepted["encoding"], accepted["segments"]) == ("GSM-7", 1)
    wide = client.send(phone_id=PHONE, channel="sms", to="+12025550143", text="\u263a" * 71)
    assert (wide["encoding"], wide["segments"]) == ("UCS-2", 2)


def test_cancel_twice_then_a_final_one_and_an_unknown_one(client):
    accepted = client.send(phone_id=PHONE, channel="sms", to="+12025550143", text="never",
                           send_at=_days_ahead(30))
    for _ in range(2):
        cancelled = client.cancel(accepted["message_id"])
        assert (cancelled["status"], cancelled["last_error"]) == ("failed", "cancelled")
    with pytest.raises(RelayError) as final:
        client.reschedule(accepted["message_id"], _days_ahead(31))
    assert (final.value.status, final.value.code) == (409, "already_final")
    with pytest.raises(RelayError) as unknown:
        client.cancel("msg_unknown")
    assert (unknown.value.status, unknown.value.code) == (404, "unknown_message")


def test_a_batch_answers_each_item_in_order(client):
    key = unique()
    results = client.send_batch([
        dict(phone_id=PHONE, channel="sms", to="+12025550143", text="one", idempotency_key=key),
        dict(phone_id=PHONE, channel="sms", to="+12025550143", text="one", idempotency_key=key),
        dict(phone_id="nope", channel="sms", to="+12025550143", text="two"),
        dict(phone_id=PHONE, channel="pchat", text="three"),
    ])
    assert [r["index"] for r in results] == [0, 1, 2, 3]
    assert [r["status"] for r in results] == [202, 200, 404, 202]
    assert results[1]["duplicate"] and results[1]["message_id"] == results[0]["message_id"]
    assert results[2]["error"]["code"] == "unknown_phone"
    assert uuid.UUID(results[3]["idempotency_key"])     # generated by the client
