"""Inputs that once answered 500 or nothing at all: numbers in other scripts, times whose
offset takes them past the calendar, actions' arguments of the wrong type and deeply nested
JSON. Each is a 400 (an error frame on the phone's socket) naming its field."""
import json

import pytest

from helpers.relays import sms
from helpers.portal_http import signed_in_owner
from helpers.phones import frame

QUERY = "/api/v1/webchat/inbound/query"
DELIVERIES = "/api/v1/webchat/callbacks/inbound/deliveries"
LATE = "9999-12-31T23:59:59-01:00"      # past year 9999 in UTC
EARLY = "0001-01-01T00:00:00+00:01"     # before year 1 in UTC


@pytest.mark.parametrize("path, field", [
    ("/api/v1/messages?limit=%C2%B2", "limit"),                  # '²' passes str.isdigit()
    ("/api/v1/messages?limit=%D9%A1%D9%A2", "limit"),            # Arabic-Indic 12: int() takes it
    ("/api/v1/messages?limit=1_0", "limit"),
    ("/api/v1/contacts?limit=%C2%B2", "limit"),
    (f"{DELIVERIES}?limit=%C2%B2", "limit"),
    (f"{QUERY}?limit=%C2%B2", "limit"),
    (f"{QUERY}?min_duration_sec=%C2%B2", "min_duration_sec"),
    (f"{QUERY}?max_duration_sec=" + "9" * 5000, "max_duration_sec"),
    (f"/api/v1/messages?since={LATE}", "since"),
    (f"/api/v1/messages?until={EARLY}", "until"),
    (f"{QUERY}?from={LATE}", "from"),
    (f"{QUERY}?to={EARLY}", "to"),
    # a cursor made by hand holding a number no BIGINT can
    ("/api/v1/messages?cursor=czk5OTk5OTk5OTk5OTk5OTk5OTk5", "cursor"),
])
async def test_query_parameters(client, path, field):
    status, body = await client.get(path.replace("+", "%2B"))
    assert (status, body["error"]["field"]) == (400, field), body


@pytest.mark.parametrize("body, field", [
    ({"limit": "²"}, "limit"), ({"min_duration_sec": "²"}, "min_duration_sec"),
    ({"from": LATE}, "from"), ({"to": EARLY}, "to"), ({"from": 5}, "from"),
])
async def test_query_bodies(client, body, field):
    status, answer = await client.post(QUERY, body)
    assert (status, answer["error"]["field"]) == (400, field), answer


async def test_numbers_in_ascii_digits_still_work(client):
    assert (await client.get("/api/v1/messages?limit=7"))[0] == 200
    assert (await client.get(f"{QUERY}?limit=5&min_duration_sec=0"))[0] == 200
    assert (await client.post(QUERY, {"limit": "5"}))[0] == 200


@pytest.mark.parametrize("action, args, field", [
    ("backup", {"out": 5}, "out"),
    ("archive", {"out": ["x"]}, "out"),
    ("backup", {"out": "a\0b"}, "out"),
    ("phones.remove", {"phone_id": {"a": 1}}, "phone_id"),
    ("phones.add", {"phone_id": None}, "phone_id"),
    ("keys.create", {"name": True}, "name"),
    ("keys.rotate", {"name": "app", "grace": 5}, "grace"),
    ("keys.rotate", {"name": "app", "grace": "99999999999999d"}, "grace"),
    ("keys.rotate", {"name": "app", "grace": "²h"}, "grace"),
    ("portal.set_password", {"password": 12345678}, "password"),
    ("report", {"query": "all"}, "query"),
    ("report", {"query": {}, "client": 1}, "client"),
    ("events.import", {"path": {"p": 1}}, "path"),
    ("retention", {"days": 10 ** 30}, "days"),
    ("retention", {"days": 1.5}, "days"),
])
async def test_admin_actions_check_their_arguments_types(relay, client, action, args, field):
    status, body = await relay.api.post(f"/admin/v1/actions/{action}", args,
                                        key=relay.relay.admin_token)
    assert (status, body["error"]["field"]) == (400, field), body


async def test_portal_actions_check_their_arguments_types(relay, client):
    browser = await signed_in_owner(relay)
    headers = {"X-XSRF-Token": browser.xsrf}
    for action, args, field in (("phones.remove", {"phone_id": {"a": 1}}, "phone_id"),
                                ("keys.create", {"name": ["app"]}, "name")):
        status, body, _ = await browser.call("POST", f"/portal/api/actions/{action}", args,
                                             headers)
        assert (status, body["error"]["field"]) == (400, field), body
    browser.http.close()


async def test_an_import_file_with_a_deeply_nested_line_or_an_odd_number(relay, client,
                                                                         tmp_path):
    jsonl = tmp_path / "history.jsonl"
    jsonl.write_text('{"channel": "sms", "text": ' + "[" * 5000 + "]" * 5000 + "}\n")
    csv = tmp_path / "history.csv"
    csv.write_text("channel,event_type,occurred_at,duration_sec\n"
                   "sms,call,2026-01-05T10:00:00Z,\u00b2\n")
    for path, field in ((jsonl, "file"), (csv, "duration_sec")):
        status, body = await relay.api.post("/admin/v1/actions/events.import",
                                            {"path": str(path)}, key=relay.relay.admin_token)
        assert (status, body["error"]["field"]) == (400, field), body
        assert body["error"]["message"].startswith(f"line {1 if path == jsonl else 2}:")


@pytest.mark.parametrize("depth", [33, 900, 30000])
async def test_deeply_nested_json_bodies_are_400(client, depth):
    raw = b'{"tags": ' + b"[" * depth + b"]" * depth + b"}"
    status, body = await client.post("/api/v1/messages", raw=raw)
    assert (status, body["error"]["code"]) == (400, "invalid_json"), body


async def test_json_nested_as_deep_as_allowed_is_judged_on_its_fields(client):
    raw = json.dumps({**sms(), "tags": [[[["x"]]]]}).encode()
    status, body = await client.post("/api/v1/messages", raw=raw)
    assert (status, body["error"]["field"]) == (400, "tags")


async def _still_answers(phone) -> None:
    phone.write_message(json.dumps({"type": "inbound", "event_id": "after", "channel": "sms",
                                    "text": "hi", "occurred_at": "2026-01-05T10:00:00Z"}))
    assert (await frame(phone))["type"] == "ack"


@pytest.mark.parametrize("sent, code, field", [
    ("[" * 30000 + "]" * 30000, "invalid_json", None),
    ('{"type": "status", "message_id": ' + "[" * 40 + "]" * 40 + "}", "invalid_json", None),
    (json.dumps({"type": "status", "message_id": {"a": 1}, "status": "sent"}), "invalid_type",
     "message_id"),
    (json.dumps({"type": "status", "message_id": 5, "status": "sent"}), "invalid_type",
     "message_id"),
    (json.dumps({"type": "status", "message_id": "", "status": "sent"}), "required",
     "message_id"),
    (json.dumps({"type": "status", "message_id": "msg_x", "status": "sent",
                 "delivered_at": LATE}), "invalid_field", "delivered_at"),
    (json.dumps({"type": "status", "message_id": "msg_x", "status": "sent",
                 "delivered_at": EARLY}), "invalid_field", "delivered_at"),
    (json.dumps({"type": "inbound", "event_id": "e1", "channel": "sms",
                 "occurred_at": LATE}), "invalid_field", "occurred_at"),
    (json.dumps({"type": "inbound", "event_id": "e2", "channel": "sms",
                 "occurred_at": EARLY}), "invalid_field", "occurred_at"),
])
async def test_bad_frames_get_an_error_frame_and_the_socket_stays(phone, sent, code, field):
    assert len(sent.encode()) <= 64 * 1024
    phone.write_message(sent)
    answer = await frame(phone)
    assert (answer["type"], answer["code"], answer["field"]) == ("error", code, field), answer
    await _still_answers(phone)
