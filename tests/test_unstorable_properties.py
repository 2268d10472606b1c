"""Property tests: any unicode (lone surrogates and NUL included, sent as JSON escapes) in any
text field of the send, contacts, callbacks and query APIs and of every phone frame never gets
a 5xx or `storage_unavailable`; a lone surrogate is a 400 `invalid_text` (an error frame)
naming its field, and the database stays writable.

RELAY_FUZZ_EXAMPLES=2000 ./scripts/test.sh tests/test_unstorable_properties.py runs longer."""
import itertools
import json
import os

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from helpers.phones import frame
from helpers.relays import sms

EXAMPLES = int(os.environ.get("RELAY_FUZZ_EXAMPLES", "60"))
bounded = settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
                   suppress_health_check=[HealthCheck.function_scoped_fixture,
                                          HealthCheck.too_slow])

characters = st.one_of(st.characters(), st.integers(0xD800, 0xDFFF).map(chr), st.just("\x00"))
texts = st.text(characters, max_size=40)

HOOK = "https://hooks.example.com/relay"
SEND = [  # (field, a valid body it goes into; a field ending in [0] is a list's element)
    *((name, sms()) for name in ("phone_id", "channel", "to", "text", "source",
                                 "idempotency_key", "status_callback_url", "tags[0]")),
    ("subject", {"phone_id": "phone_main", "channel": "email", "to": "ann@example.com",
                 "text": "t", "subject": "s"}),
    ("title", {"phone_id": "phone_main", "channel": "notify", "text": "t", "title": "t"}),
    ("bot_token", {"phone_id": "phone_main", "channel": "tg_bot", "to": "@news", "text": "t",
                   "bot_token": "123:" + "a" * 30}),
]
CONTACTS = [(name, {"address": "+12025550143"}) for name in ("address", "name", "tags[0]")]
CALLBACKS = [(name, {"callback_url": HOOK}) for name in (
    "callback_url", "channels[0]", "event_types[0]", "source_filter", "keyword_filter",
    "callback_token")]
QUERY = [(name, {"range": "all"}) for name in (
    "phone_id", "range", "from", "to", "tz", "channels[0]", "event_types[0]", "tags[0]",
    "tag_mode", "source_contains", "sort", "format", "section")]
ROUTES = {"/api/v1/messages": SEND, "/api/v1/contacts": CONTACTS,
          "/api/v1/webchat/callbacks/inbound": CALLBACKS,
          "/api/v1/webchat/inbound/query": QUERY}


def _with(body: dict, field: str, value: str) -> dict:
    if field.endswith("[0]"):
        return {**body, field[:-3]: [value]}
    return {**body, field: value}


def _unstorable(value: str) -> bool:
    """Whether the relay gets a lone surrogate: a drawn pair, escaped as two, decodes as one
    character beyond U+FFFF."""
    return any(0xD800 <= ord(c) <= 0xDFFF for c in json.loads(json.dumps(value)))


def _check(status: int, error: dict | None, field: str, value: str) -> None:
    assert status < 500, (status, error)
    if error is not None:
        assert error["code"] != "storage_unavailable", error
    if _unstorable(value):
        assert (status, error["code"], error["field"]) == (400, "invalid_text", field), error


@pytest.mark.parametrize("path", ROUTES)
@bounded
@given(data=st.data())
async def test_any_text_in_any_field_is_stored_or_a_4xx(client, path, data):
    field, body = data.draw(st.sampled_from(ROUTES[path]))
    value = data.draw(texts)
    status, answer = await client.post(path, raw=json.dumps(_with(body, field, value)).encode())
    _check(status, answer.get("error") if isinstance(answer, dict) else None, field, value)


_INBOUND = {"type": "inbound", "channel": "sms", "event_type": "message",
            "contact": "+12025550143", "contact_name": "Ann", "text": "hi", "tags": ["t"],
            "occurred_at": "2026-01-05T10:00:00Z"}
FRAMES = [
    *((name, _INBOUND) for name in ("type", "event_id", "channel", "event_type", "contact",
                                    "contact_name", "text", "tags[0]", "occurred_at")),
    *((name, {"type": "status", "status": "failed", "error": "x"})
      for name in ("message_id", "status", "error")),
    ("delivered_at", {"type": "status", "status": "sent", "delivered_at": "x"}),
    ("app_version", {"type": "heartbeat", "battery": 50}),
]


_counter = itertools.count()


async def _answers_until_probe(phone, probe_id: str) -> list[dict]:
    """The frames the relay answers with until the probe's ack (which every frame sent before
    it has been answered by, if it gets an answer at all)."""
    answers = []
    while True:
        answer = await frame(phone)
        if answer.get("event_id") == probe_id and answer["type"] == "ack":
            return answers
        answers.append(answer)


@bounded
@given(data=st.data())
async def test_any_text_in_any_phone_frame_is_stored_or_an_error_frame(relay, client, phone,
                                                                      data):
    field, sent = data.draw(st.sampled_from(FRAMES))
    value = data.draw(texts)
    number = next(_counter)
    if sent["type"] == "inbound":
        sent = {**sent, "event_id": f"ev-{number}"}
    elif sent["type"] == "status":    # a message of its own, so the report is recorded
        sent = {**sent, "message_id": (await client.post("/api/v1/messages",
                                                          sms()))[1]["message_id"]}
    phone.write_message(json.dumps(_with(sent, field, value)))
    probe = f"probe-{number}"
    phone.write_message(json.dumps({**_INBOUND, "event_id": probe}))
    answers = await _answers_until_probe(phone, probe)
    errors = [a for a in answers if a["type"] == "error"]
    assert len(errors) <= 1, answers
    _check(400 if errors else 200, errors[0] if errors else None, field, value)
    status, health = await relay.api.get("/health")
    assert health["database"] == "writable", health

