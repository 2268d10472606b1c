"""The webchat inbound query as a client sees it: the sections' shape, empty ranges, replies and
tags, visibility, every bad input as a 400 naming its field, the time limit and the row cap."""
import asyncio
import datetime as dt

import pytest
from helpers.analytics import QUERY, record
from helpers.relays import make_settings, relay_with_client, sms, start_relay, stop_relay

from relay.core.timefmt import iso, utcnow
from relay.store.database import limit_resources

SECTIONS = ("summary", "sent_summary", "sent_by_channel", "sent_by_day", "sent_by_person",
            "sent_by_tag", "sent_events", "email_report", "hourly", "top_contacts", "events",
            "count", "filters")


async def test_an_empty_relay_answers_zeros_and_empty_lists(client):
    status, body = await client.post(QUERY, {})
    assert status == 200 and body["success"] is True
    assert set(SECTIONS) <= set(body)
    assert body["summary"] == {"inbound_total": 0, "calls_total": 0, "messages_total": 0,
                               "answered_calls": 0, "missed_calls": 0,
                               "avg_call_duration_sec": 0.0, "median_response_min": 0.0,
                               "channels": {}}
    assert body["sent_summary"] == {"sent_total": 0, "channels": {}, "statuses": {},
                                    "delivered": 0, "undelivered": 0}
    assert body["email_report"] == {"inbound_total": 0, "sent_total": 0,
                                    "top_inbound_senders": [], "top_sent_recipients": [],
                                    "domains": [], "by_day": []}
    assert body["hourly"] == [{"hour": h, "count": 0} for h in range(24)]
    assert body["events"] == [] and body["count"] == 0 and body["sent_events"] == []
    assert body["filters"]["range"] == "7d" and body["filters"]["tz"] == "UTC"


async def test_a_reply_its_response_time_and_the_contacts_tags(relay, client):
    an_hour_ago = utcnow() - dt.timedelta(hours=1)
    event_id = await record(relay, occurred_at=iso(an_hour_ago), tags=["vip"],
                            contact="(202) 555-0143", text="call me")
    unanswered = await record(relay, contact="+12025550144", event_type="missed",
                              duration_sec=0)
    status, _ = await client.post("/api/v1/contacts", {"address": "+1 202 555 0143",
                                                       "name": "Ann", "tags": ["family"]})
    assert status == 200
    status, _ = await client.post("/api/v1/messages", sms(tags=["support"], text="calling"))
    assert status == 202
    status, body = await client.get(QUERY + "?sort=oldest")
    assert status == 200
    first, second = body["events"]
    assert first["message_id"] == event_id and first["contact_name"] == "Ann"
    assert first["tags"] == ["vip", "family"] and first["text"] == "call me"
    assert first["response_min"] == pytest.approx(60, abs=0.5)
    assert second["message_id"] == unanswered and second["response_min"] is None
    assert body["summary"]["median_response_min"] == pytest.approx(60, abs=0.5)
    assert body["summary"]["missed_calls"] == 1 and body["summary"]["calls_total"] == 1
    assert body["sent_by_tag"] == [{"tag": "family", "count": 1}, {"tag": "support", "count": 1}]
    assert body["sent_summary"]["statuses"] == {"queued": 1}
    answered = (await client.post(QUERY, {"has_response": True}))[1]
    assert [e["message_id"] for e in answered["events"]] == [event_id]
    by_tag = (await client.post(QUERY, {"tags": ["family", "vip"], "tag_mode": "all"}))[1]
    assert [e["message_id"] for e in by_tag["events"]] == [event_id]
    by_name = (await client.get(QUERY + "?source_contains=aNN"))[1]
    assert by_name["count"] == 1 and by_name["sent_summary"]["sent_total"] == 1


async def test_a_client_sees_only_its_own_sent_messages_and_contacts(relay, client):
    await record(relay, occurred_at=iso(utcnow() - dt.timedelta(minutes=5)))
    other = await relay.new_client("other")
    await other.post("/api/v1/contacts", {"address": "+12025550143", "tags": ["theirs"]})
    assert (await other.post("/api/v1/messages", sms()))[0] == 202
    status, body = await client.post(QUERY, {})
    assert body["summary"]["inbound_total"] == 1      # inbound: the owner's, every phone
    assert body["sent_summary"]["sent_total"] == 0
    assert body["events"][0]["response_min"] is None   # another client's message is no reply
    assert body["events"][0]["tags"] == []
    theirs = (await other.post(QUERY, {}))[1]
    assert theirs["sent_summary"]["sent_total"] == 1 and theirs["events"][0]["tags"] == ["theirs"]
    assert theirs["events"][0]["response_min"] is not None
    other.close()


@pytest.mark.parametrize("field, value", [
    ("range", "2w"), ("from", "yesterday"), ("to", 5), ("to", "9999-12-31T23:00:00Z"),
    ("tz", "Mars/Olympus"), ("tz", ["UTC"]), ("range", ["7d"]),
    ("channels", ["sms", "fax"]), ("channels", "sms"), ("event_types", ["hangup"]),
    ("tags", [1]), ("tag_mode", "some"), ("source_contains", ""),
    ("min_duration_sec", -1), ("max_duration_sec", "long"), ("has_response", "yes"),
    ("sort", "random"), ("limit", 0), ("limit", 1001), ("limit", True), ("format", "pdf"),
    ("section", "summary"), ("phone_id", 7), ("bogus", 1),
])
async def test_bad_values_are_400_naming_the_field(client, field, value):
    body = {field: value, **({"format": "csv"} if field == "section" else {})}
    status, answer = await client.post(QUERY, body)
    assert status == 400, answer
    assert answer["error"]["field"] == field


@pytest.mark.parametrize("query, field", [
    ("limit=abc", "limit"), ("has_response=maybe", "has_response"), ("range=7d&range=30d",
                                                                      "range"),
    ("range=7d&from=2026-01-01", "range"), ("from=2026-02-01&to=2026-01-01", "to"),
    ("min_duration_sec=50&max_duration_sec=10", "max_duration_sec"), ("section=events",
                                                                       "section"),
])
async def test_bad_query_parameters_are_400_naming_the_field(client, query, field):
    status, answer = await client.get(f"{QUERY}?{query}")
    assert status == 400 and answer["error"]["field"] == field, answer


async def test_a_body_that_is_not_an_object_and_a_missing_key(client):
    assert (await client.post(QUERY, [1, 2]))[0] == 400
    assert (await client.post(QUERY, raw=b"{nope"))[0] == 400
    assert (await client.post(QUERY, {}, key="rly_wrong"))[0] == 401


async def test_from_and_to_and_the_time_zone_buckets(relay, client):
    await record(relay, occurred_at="2026-03-10T23:30:00Z", channel="email",
                 contact="Ann@Example.COM")
    await record(relay, occurred_at="2026-03-11T00:30:00Z", event_type="answered",
                 duration_sec=90)
    status, body = await client.post(QUERY, {"from": "2026-03-10T00:00:00Z",
                                             "to": "2026-03-12T00:00:00Z",
                                             "tz": "Asia/Kolkata"})
    assert status == 200 and body["summary"]["inbound_total"] == 2
    hours = {h["hour"]: h["count"] for h in body["hourly"] if h["count"]}
    assert hours == {5: 1, 6: 1}      # +05:30
    assert body["email_report"]["by_day"] == [{"day": "2026-03-11", "count": 1}]
    assert body["email_report"]["domains"] == [{"domain": "example.com", "count": 1}]
    assert body["summary"]["avg_call_duration_sec"] == 90.0
    utc = (await client.post(QUERY, {"from": "2026-03-10T00:00:00Z",
                                     "to": "2026-03-11T00:00:00Z"}))[1]
    assert utc["email_report"]["by_day"] == [{"day": "2026-03-10", "count": 1}]
    assert utc["summary"]["inbound_total"] == 1


@pytest.fixture
async def strict(data_dir):
    """A relay with a 1 ms time limit on queries."""
    running, api = await relay_with_client(data_dir, query_timeout_ms=1)
    yield running, api
    api.close()
    await stop_relay(running)


async def test_a_slow_query_is_422_and_the_relay_goes_on(strict):
    relay, api = strict
    await asyncio.gather(*[record(relay, event_id=f"n{n}", contact=f"+1202555{n % 100 + 100:04d}")
                           for n in range(3000)])
    status, body = await api.post(QUERY, {"range": "all", "sort": "slowest"})
    assert status == 422 and body["error"]["code"] == "query_too_slow"
    assert (await api.post("/api/v1/messages", sms()))[0] == 202     # nothing was harmed
    status, body = await api.get("/api/v1/messages")
    assert status == 200 and len(body["messages"]) == 1


async def test_a_query_over_the_memory_limit_is_422(relay, client):
    await asyncio.gather(*[record(relay, event_id=f"n{n}", contact=f"+1202555{n:04d}")
                           for n in range(2000)])
    store = relay.relay.store      # query_memory_mb, lowered while the relay runs
    await store.read(limit_resources, 1, 0)
    status, body = await client.post(QUERY, {"range": "all", "sort": "slowest"})
    await store.read(limit_resources, 1024, 0)
    assert status == 422 and body["error"]["code"] == "query_too_large"
    status, body = await client.post(QUERY, {"range": "all", "sort": "slowest"})
    assert status == 200 and body["summary"]["inbound_total"] == 2000


async def test_an_export_over_the_row_cap_is_422(data_dir):
    relay = await start_relay(make_settings(data_dir, query_max_rows=2))
    try:
        api = await relay.new_client("app")
        for n in range(3):
            await record(relay, event_id=f"n{n}")
        status, body = await api.post(QUERY, {"format": "csv"})
        assert status == 422 and body["error"]["code"] == "too_many_rows"
        status, body = await api.post(QUERY, {"format": "csv", "section": "top_contacts"})
        assert status == 200 and body.count("\n") == 2
        api.close()
    finally:
        await stop_relay(relay)
