"""The client contract of POST/GET /api/v1/messages, as a client sees it over HTTP."""
import json

import pytest

from helpers.relays import sms


async def test_new_message_is_queued_and_readable(client):
    status, body = await client.post("/api/v1/messages", sms(source="crm", tags=["Vip", "b"]))
    assert status == 202
    assert body["success"] is True and body["status"] == "queued"
    assert body["message_id"].startswith("msg_") and len(body["message_id"]) >= 20
    assert body["idempotency_key"] is None
    status, got = await client.get(f"/api/v1/messages/{body['message_id']}")
    message = got["message"]
    assert status == 200
    assert message["status"] == "queued" and message["to"] == "+12025550143"
    assert message["channel"] == "sms" and message["phone_id"] == "phone_main"
    assert message["source"] == "crm" and message["tags"] == ["vip", "b"]
    assert message["created_at"].endswith("Z") and message["delivered_at"] is None
    assert message["last_error"] is None
    assert [h["status"] for h in message["history"]] == ["queued"]


@pytest.mark.parametrize("to,expected", [
    ("(202) 555-0143", "+12025550143"),
    ("+44 7911 123456", "+447911123456"),
    ("+1-202-555-0143", "+12025550143"),
])
async def test_numbers_are_normalised_to_e164(client, to, expected):
    status, body = await client.post("/api/v1/messages", sms(to=to))
    assert status == 202
    _, got = await client.get(f"/api/v1/messages/{body['message_id']}")
    assert got["message"]["to"] == expected


@pytest.mark.parametrize("fields", [
    {"channel": "email", "to": "Ann@Example.com", "subject": "Hi"},
    {"channel": "tg", "to": "@someone_here"},
    {"channel": "tg", "to": "+12025550143"},
    {"channel": "wa", "to": "+447911123456"},
    {"channel": "notify", "title": "Door", "to": None},
    {"channel": "notify", "subject": "Door", "to": None},
    {"channel": "pchat", "to": None},
    {"channel": "pchat", "to": "support-thread"},
    {"channel": "tg_bot", "to": "-1001234567890",
     "bot_token": "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"},
    {"channel": "tg_bot", "to": "@mychannel",
     "bot_token": "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"},
])
async def test_every_channel_is_accepted(client, fields):
    status, body = await client.post("/api/v1/messages", sms(**fields))
    assert status == 202, body
    _, got = await client.get(f"/api/v1/messages/{body['message_id']}")
    assert got["message"]["channel"] == fields["channel"]
    assert "bot_token" not in json.dumps(got) and "AAHdq" not in json.dumps(got)


@pytest.mark.parametrize("fields,status,code,field", [
    ({"phone_id": None}, 400, "required", "phone_id"),
    ({"phone_id": "nope"}, 404, "unknown_phone", "phone_id"),
    ({"channel": "fax"}, 400, "unknown_channel", "channel"),
    ({"channel": 5}, 400, "invalid_type", "channel"),
    ({"to": None}, 400, "required", "to"),
    ({"to": "12"}, 400, "invalid_phone_number", "to"),
    ({"to": ["+12025550143"]}, 400, "invalid_type", "to"),
    ({"text": ""}, 400, "required", "text"),
    ({"text": "x" * 1601}, 400, "too_long", "text"),
    ({"channel": "wa", "to": "+12025550143", "text": "x" * 4097}, 400, "too_long", "text"),
    ({"text": 12}, 400, "invalid_type", "text"),
    ({"source": "s" * 201}, 400, "too_long", "source"),
    ({"idempotency_key": ""}, 400, "invalid_field", "idempotency_key"),
    ({"idempotency_key": "k" * 256}, 400, "invalid_field", "idempotency_key"),
    ({"idempotency_key": "a\nb"}, 400, "invalid_field", "idempotency_key"),
    ({"idempotency_key": 7}, 400, "invalid_type", "idempotency_key"),
    ({"colour": "red"}, 400, "unknown_field", "colour"),
    ({"subject": "x"}, 400, "not_allowed", "subject"),
    ({"title": "x"}, 400, "not_allowed", "title"),
    ({"bot_token": "1:abc"}, 400, "not_allowed", "bot_token"),
    ({"channel": "email", "to": "not-an-address", "subject": "s"}, 400, "invalid_email", "to"),
    ({"channel": "email", "to": "a@example.com"}, 400, "required", "subject"),
    ({"channel": "tg", "to": "@ab"}, 400, "invalid_recipient", "to"),
    ({"channel": "tg_bot", "to": "chat", "bot_token": "1:" + "a" * 30}, 400,
     "invalid_recipient", "to"),
    ({"channel": "tg_bot", "to": "-100"}, 400, "required", "bot_token"),
    ({"channel": "tg_bot", "to": "-100", "bot_token": "nonsense"}, 400, "invalid_field",
     "bot_token"),
    ({"tags": "vip"}, 400, "invalid_type", "tags"),
    ({"tags": [""]}, 400, "invalid_field", "tags"),
    ({"tags": [str(i) for i in range(21)]}, 400, "invalid_field", "tags"),
])
async def test_bad_fields_are_named(client, fields, status, code, field):
    got_status, body = await client.post("/api/v1/messages", sms(**fields))
    assert (got_status, body["error"]["code"], body["error"]["field"]) == (status, code, field)
    assert body["success"] is False and body["error"]["message"]


@pytest.mark.parametrize("raw,headers,status,code", [
    (b"{not json", {}, 400, "invalid_json"),
    (b"[1, 2]", {}, 400, "invalid_body"),
    (b'{"text": NaN}', {}, 400, "invalid_json"),
    (b"\xff\xfe{}", {}, 400, "invalid_json"),
    (b"[" * 100000 + b"]" * 100000, {}, 413, "body_too_large"),
    (b"[" * 50000 + b"]" * 10000, {}, 400, "invalid_json"),
    (b'{"phone_id": "phone_main"}', {"Content-Type": "text/plain"}, 415,
     "unsupported_media_type"),
    (b"{}", {"Content-Type": "application/x-www-form-urlencoded"}, 415,
     "unsupported_media_type"),
    (json.dumps(sms(text="x" * 70000)).encode(), {}, 413, "body_too_large"),
])
async def test_bad_bodies(client, raw, headers, status, code):
    got_status, body = await client.post("/api/v1/messages", raw=raw, headers=headers)
    assert (got_status, body["error"]["code"]) == (status, code)


async def test_charset_in_content_type_is_fine(client):
    status, _ = await client.post("/api/v1/messages", raw=json.dumps(sms()).encode(),
                                  headers={"Content-Type": "application/json; charset=utf-8"})
    assert status == 202


@pytest.mark.parametrize("authorization", [None, "Bearer", "Bearer nope", "Basic abc",
                                           "Bearer rly_" + "a" * 36])
async def test_requests_without_a_valid_key_get_401(relay, authorization):
    headers = {"Authorization": authorization} if authorization else {}
    for method, path in (("POST", "/api/v1/messages"), ("GET", "/api/v1/messages"),
                         ("GET", "/api/v1/messages/msg_x")):
        status, body = await relay.api.request(method, path, sms() if method == "POST" else None,
                                               key="", headers=headers)
        assert status == 401 and body["success"] is False
        assert body["error"]["code"] in ("missing_key", "invalid_key")


async def test_unknown_message_and_route(client):
    status, body = await client.get("/api/v1/messages/msg_doesnotexist")
    assert (status, body["error"]["code"]) == (404, "unknown_message")
    status, body = await client.get("/api/v1/nothing-here")
    assert (status, body["error"]["code"]) == (404, "not_found")
    status, body = await client.request("DELETE", "/api/v1/messages")
    assert (status, body["error"]["code"]) == (405, "method_not_allowed")


async def test_a_client_sees_only_its_own_messages(relay, client):
    _, body = await client.post("/api/v1/messages", sms())
    other = await relay.new_client("other")
    status, _ = await other.get(f"/api/v1/messages/{body['message_id']}")
    assert status == 404
    _, listed = await other.get("/api/v1/messages")
    assert listed["messages"] == []
    other.close()


async def test_health(relay, client):
    await client.post("/api/v1/messages", sms())
    status, body = await relay.api.get("/health")
    assert status == 200
    assert body["database"] == "writable" and body["queue_depth"] == 1
    assert body["phones_online"] == 0 and body["version"]
