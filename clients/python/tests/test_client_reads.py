"""The inbound query with its typed sections, exports, phones and contacts, against the relay
(whose history has a message and a missed call imported)."""
import typing

import pytest

from loopback import PHONE
from relay_client import AsyncRelay, RelayError, types


def _keys(typed) -> set:
    return set(typing.get_type_hints(typed))


def test_the_query_answers_every_typed_section(client):
    client.send(phone_id=PHONE, channel="sms", to="+12025550143", text="we are open",
                tags=["replies"])
    answer = client.query(range="all", sort="oldest", limit=10)
    assert set(answer) == _keys(types.InboundQuery)
    hints = typing.get_type_hints(types.InboundQuery)
    for section in ("summary", "sent_summary", "email_report"):
        assert set(answer[section]) == _keys(hints[section]), section
    rows = {"sent_by_day": types.DayCount, "sent_by_person": types.SentByPerson,
            "sent_by_tag": types.TagCount, "sent_events": types.SentEvent,
            "hourly": types.HourCount, "top_contacts": types.TopContact,
            "events": types.InboundEvent}
    for section, row in rows.items():
        assert answer[section], section
        assert all(set(item) == _keys(row) for item in answer[section]), section
    assert answer["summary"]["inbound_total"] == 2 and answer["summary"]["missed_calls"] == 1
    first = answer["events"][0]
    assert (first["source"], first["contact_name"], first["event_type"]) == (
        "+12025550143", "Ann", "message")
    assert len(answer["hourly"]) == 24 and answer["count"] == 2


def test_query_filters_and_errors(client):
    calls = client.query(from_="2026-11-20T10:00:00Z", to="2026-11-21T00:00:00Z",
                         event_types=["missed"])
    assert [e["event_type"] for e in calls["events"]] == ["missed"]
    assert calls["filters"]["from"].startswith("2026-11-20T10:00:00")
    with pytest.raises(RelayError) as refused:
        client.query(range="5y")
    assert (refused.value.status, refused.value.field) == (400, "range")


def test_an_export_is_the_sections_bytes(client):
    csv = client.export("csv", section="top_contacts", range="all").decode()
    assert csv.splitlines()[0] == "source,total"
    assert "'+12025550143" in csv


def test_phones(client):
    phones = client.list_phones()
    assert [p["phone_id"] for p in phones] == [PHONE] and phones[0]["online"] is True
    assert "sms" in client.get_phone(PHONE)["capabilities"]
    with pytest.raises(RelayError) as unknown:
        client.get_phone("nope")
    assert (unknown.value.status, unknown.value.code) == (404, "unknown_phone")


def test_contacts(client):
    for number in ("+12025550101", "+12025550102", "+12025550103"):
        client.set_contact(number, name=f"C{number[-1]}", tags=["Club"])
    assert client.get_contact("(202) 555-0102")["name"] == "C2"
    listed = [c["address"] for c in client.list_contacts(tag="club", page_size=2)]
    assert listed == ["+12025550101", "+12025550102", "+12025550103"]
    client.delete_contact("+12025550103")
    with pytest.raises(RelayError) as gone:
        client.get_contact("+12025550103")
    assert (gone.value.status, gone.value.code) == (404, "unknown_contact")


async def test_the_async_client_does_the_same(relay, aclient):
    accepted = await aclient.send(phone_id=PHONE, channel="pchat", text="async",
                                  source="async-client")
    message = await aclient.get_message(accepted["message_id"])
    assert message["text"] == "async"
    listed = [m["message_id"] async for m in aclient.list_messages(source="async-client",
                                                                   page_size=1)]
    assert listed == [accepted["message_id"]]
    assert (await aclient.query(range="all"))["summary"]["inbound_total"] == 2
    assert [p["phone_id"] for p in await aclient.list_phones()] == [PHONE]
    with pytest.raises(RelayError) as unknown:
        await aclient.get_message("msg_unknown")
    assert unknown.value.code == "unknown_message"
    async with AsyncRelay(relay.url, "rly_wrong") as stranger:
        with pytest.raises(RelayError) as refused:
            await stranger.list_callbacks()
    assert refused.value.status == 401


def test_response_rules_are_created_listed_replaced_and_deleted(client):
    rule = client.create_rule({"name": "front desk", "within_minutes": 15,
                               "channels": ["sms"], "event_types": ["missed"]})
    assert rule["id"].startswith("rl_") and rule["within_minutes"] == 15
    assert [r["id"] for r in client.list_rules()] == [rule["id"]]
    assert client.get_rule(rule["id"])["name"] == "front desk"
    replaced = client.replace_rule(rule["id"], {"within_minutes": 5})
    assert (replaced["within_minutes"], replaced["name"]) == (5, None)
    assert client.delete_rule(rule["id"]) == rule["id"]
    assert client.list_rules() == []
    with pytest.raises(RelayError) as refused:
        client.create_rule({"within_minutes": 0})
    assert (refused.value.status, refused.value.field) == (400, "within_minutes")
