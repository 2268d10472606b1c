"""Reply links (relay/analytics/replies.py) as the query shows them: an event reported after its
reply, from memory and from the database alike; links derived at start-up for a database that
has none (from before migration 0004) and when the reply window grows; and e-mail addresses
compared and grouped in lower case."""
import datetime as dt

import duckdb
import pytest
from helpers.analytics import QUERY, record
from helpers.relays import Api, make_settings, sms, start_relay, stop_relay

from relay.core.timefmt import iso, utcnow
from relay.store.database import DB_FILE


async def started(data_dir, key=None, **settings):
    """A relay on data_dir; the first start adds client 'app' and its phone, a later one
    uses the key it got."""
    relay = await start_relay(make_settings(data_dir, **settings))
    if key is not None:
        return relay, Api(relay.base_url, key=key, admin_token=relay.relay.admin_token)
    api = await relay.new_client("app")
    await relay.api.admin("phones.add", phone_id="phone_main")
    return relay, api


async def responses(api) -> dict:
    status, body = await api.post(QUERY, {"range": "all"})
    assert status == 200
    return {e["message_id"]: e["response_min"] for e in body["events"]}


# Memory keeps the last hour's messages (replies.SENT_MEMORY): an event of the last hour is
# answered from there, an older one from the database.
@pytest.mark.parametrize("minutes_late", [30, 150])
async def test_an_event_reported_after_its_reply(relay, client, minutes_late):
    assert (await client.post("/api/v1/messages", sms()))[0] == 202
    late = await record(relay, occurred_at=iso(utcnow() - dt.timedelta(minutes=minutes_late)))
    after = await record(relay)
    assert (await responses(client)) == {late: pytest.approx(minutes_late, abs=0.5),
                                         after: None}


async def test_links_are_derived_at_start_for_an_old_database_and_a_longer_window(data_dir):
    relay, api = await started(data_dir, reply_window_hours=1)
    answered = await record(relay, occurred_at=iso(utcnow() - dt.timedelta(minutes=10)))
    too_late = await record(relay, occurred_at=iso(utcnow() - dt.timedelta(hours=3)),
                            contact="+12025550144")
    await api.post("/api/v1/messages", sms())
    await api.post("/api/v1/messages", sms(to="+12025550144"))
    before = await responses(api)
    assert before == {answered: pytest.approx(10, abs=0.5), too_late: None}
    api.close()
    await stop_relay(relay)

    with duckdb.connect(str(data_dir / DB_FILE)) as con:   # as before migration 0004
        con.execute("DROP TABLE reply_links; DROP TABLE reply_windows; "
                    "DELETE FROM schema_migrations WHERE version = 4")
    relay, api = await started(data_dir, api.key, reply_window_hours=1)
    assert (await responses(api)) == before
    api.close()
    await stop_relay(relay)

    relay, api = await started(data_dir, api.key, reply_window_hours=4)
    assert (await responses(api)) == {answered: before[answered],
                                      too_late: pytest.approx(180, abs=0.5)}
    api.close()
    await stop_relay(relay)


async def test_email_addresses_match_and_group_whatever_their_case(relay, client):
    earlier = utcnow() - dt.timedelta(minutes=20)
    first = await record(relay, channel="email", contact="Bob.Smith@Example.com",
                         occurred_at=iso(earlier))
    second = await record(relay, channel="email", contact="bob.smith@example.com",
                          occurred_at=iso(earlier))
    status, _ = await client.post("/api/v1/contacts", {"address": "BOB.smith@example.com",
                                                       "name": "Bob"})
    assert status == 200
    status, _ = await client.post("/api/v1/messages", sms(channel="email",
                                                          to="BOB.SMITH@example.COM",
                                                          subject="re"))
    assert status == 202
    status, body = await client.post(QUERY, {})
    assert {e["message_id"]: e["response_min"] for e in body["events"]} == {
        first: pytest.approx(20, abs=0.5), second: pytest.approx(20, abs=0.5)}
    assert {e["contact_name"] for e in body["events"]} == {"Bob"}
    assert body["top_contacts"] == [{"source": "bob.smith@example.com", "total": 2}]
    report = body["email_report"]
    assert report["top_inbound_senders"] == [{"sender": "bob.smith@example.com", "count": 2}]
    assert report["top_sent_recipients"] == [{"recipient": "bob.smith@example.com",
                                              "count": 1}]
    assert report["domains"] == [{"domain": "example.com", "count": 3}]
    assert body["sent_by_person"][0]["destination"] == "bob.smith@example.com"


async def test_a_thread_name_is_one_contact_whatever_its_case(relay, client):
    """An in-app chat thread written Room-A in a message and reported as room-a by the phone
    is one contact, as an e-mail address is: its reply, and one row on each side."""
    earlier = utcnow() - dt.timedelta(minutes=5)
    event_id = await record(relay, channel="pchat", contact="room-a", occurred_at=iso(earlier))
    status, _ = await client.post("/api/v1/messages", sms(channel="pchat", to="Room-A"))
    assert status == 202
    status, body = await client.post(QUERY, {})
    assert {e["message_id"]: e["response_min"] for e in body["events"]} == {
        event_id: pytest.approx(5, abs=0.5)}
    assert body["top_contacts"] == [{"source": "room-a", "total": 1}]
    assert [p["destination"] for p in body["sent_by_person"]] == ["room-a"]


async def test_two_spellings_in_the_address_book_count_an_event_once(relay, client):
    """A contact saved as Bob.Smith@Example.com and again as bob.smith@example.com is one
    entry: a tag filter, which joins the address book, finds the event once."""
    event_id = await record(relay, channel="email", contact="bob.smith@example.com")
    for address in ("Bob.Smith@example.com", "bob.smith@example.com"):
        status, _ = await client.post("/api/v1/contacts", {"address": address, "tags": ["vip"]})
        assert status == 200
    status, body = await client.post(QUERY, {"tags": ["vip"]})
    assert status == 200 and body["count"] == 1
    assert [e["message_id"] for e in body["events"]] == [event_id]
    assert body["top_contacts"] == [{"source": "bob.smith@example.com", "total": 1}]
