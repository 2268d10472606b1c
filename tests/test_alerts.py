"""Response-time rules end to end: a simulated phone reports an inbound SMS, a webhook
receiver on loopback listens, and rule minutes last a second (alert_minute_seconds=1)."""
import asyncio
import datetime as dt
import json

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from helpers.alerts import (QUERY, RULES, alert_settings, alerting_relay, alerts_of, create_rule,
                            phone_socket, reply, report)
from helpers.phones import frame, hang_up
from helpers.polling import eventually
from helpers.relays import Api, start_relay, stop_relay
from helpers.webhooks import Receiver, register, settled
from relay.alerts.office_hours import DAYS

UNANSWERED, LATE = "inbound.unanswered", "inbound.answered_late"


@pytest.fixture
async def alerting(data_dir):
    running = await alerting_relay(data_dir)
    yield running
    running.client.close()
    await stop_relay(running)


@pytest.fixture
def receiver(alerting):
    receiver = Receiver()
    yield receiver
    receiver.close()


@pytest.fixture
async def socket(alerting):
    connection = await phone_socket(alerting)
    yield connection
    await hang_up(connection)


async def test_an_unanswered_message_alerts_once(alerting, receiver, socket):
    await register(alerting.client, receiver.url("hook"))
    rule = await create_rule(alerting.client, name="sms in a minute", channels=["sms"])
    event_id = await report(socket)
    [alert] = await eventually(lambda: alerts_of(receiver, "hook", UNANSWERED), timeout=5,
                               what="the alert")
    assert alert["message_id"] == event_id and alert["rule_id"] == rule["id"]
    assert (alert["rule_name"], alert["source"], alert["channel"]) == (
        "sms in a minute", "+12025550143", "sms")
    await asyncio.sleep(2)               # a deadline passes once: no second alert
    assert len(alerts_of(receiver, "hook", UNANSWERED)) == 1
    kinds = sorted(d["type"] for d in await settled(alerting.client))
    assert kinds == ["inbound", UNANSWERED]
    response = await alerting.api.http.fetch(alerting.base_url + "/metrics", headers={
        "Authorization": f"Bearer {alerting.relay.admin_token}"})
    text = response.body.decode()
    assert "relay_alerts_total 1.0" in text and "relay_alert_deadlines_open 0.0" in text


async def test_a_reply_in_time_alerts_no_one(alerting, receiver, socket):
    await register(alerting.client, receiver.url("hook"))
    await create_rule(alerting.client, within_minutes=3)
    await report(socket)
    await reply(alerting.client)
    await asyncio.sleep(4)
    assert alerts_of(receiver, "hook", UNANSWERED) == []


async def test_the_query_shows_what_waits_marks_it_and_sorts_by_it(alerting, receiver, socket):
    api = alerting.client
    rule = await create_rule(api, channels=["sms"])
    waits = await report(socket, contact="+12025550101", contact_name="Ann")
    await report(socket, channel="wa", contact="+12025550102")       # no rule: never waits
    await eventually(lambda: _waiting(api), timeout=5, what="a waiting event")
    status, body = await api.get(QUERY + "?range=24h")
    assert status == 200, body
    [waiting] = body["waiting"]
    assert (waiting["message_id"], waiting["rule_id"], waiting["source"],
            waiting["contact_name"]) == (waits, rule["id"], "+12025550101", "Ann")
    assert waiting["waited_min"] >= 0 and waiting["deadline_at"] > waiting["occurred_at"]
    newest_first = [e["message_id"] for e in body["events"]]
    assert newest_first[-1] == waits
    sorted_body = (await api.get(QUERY + "?range=24h&sort=waiting"))[1]
    assert [e["message_id"] for e in sorted_body["events"]] == [waits, newest_first[0]]
    assert sorted_body["events"][0]["waiting"]["rule_id"] == rule["id"]
    assert sorted_body["events"][1]["waiting"] is None
    only = (await api.get(QUERY + "?range=24h&waiting=true"))[1]
    assert [e["message_id"] for e in only["events"]] == [waits]
    others = (await api.get(QUERY + "?range=24h&waiting=false"))[1]
    assert [e["message_id"] for e in others["events"]] == newest_first[:1]
    await reply(api, to="+12025550101")                  # answered late: waits no more
    await eventually(lambda: _waiting(api, expect=[]), timeout=5, what="no waiting")


async def _waiting(api, expect=None):
    status, body = await api.get(QUERY + "?range=24h")
    assert status == 200, body
    if expect is None:
        return body["waiting"]
    return body["waiting"] == expect


async def test_the_answered_in_time_share_per_rule_and_day(alerting, socket):
    api = alerting.client
    rule = await create_rule(api, within_minutes=2)
    await report(socket, contact="+12025550101")
    await reply(api, to="+12025550101")                   # in time
    await report(socket, contact="+12025550102")          # never
    await asyncio.sleep(2.5)
    status, body = await api.get(QUERY + "?range=24h")
    assert status == 200, body
    [share] = body["answered_in_time"]
    assert (share["rule_id"], share["due"], share["answered_in_time"], share["share"]) == (
        rule["id"], 2, 1, 0.5)
    assert share["day"] == dt.datetime.now(dt.timezone.utc).date().isoformat()
    status, csv = await api.get(QUERY + "?range=24h&format=csv&section=answered_in_time")
    assert status == 200 and csv.splitlines()[0] == "day,rule_id,due,answered_in_time,share"


async def test_a_late_reply_is_answered_late(alerting, receiver, socket):
    await register(alerting.client, receiver.url("hook"))
    rule = await create_rule(alerting.client)
    event_id = await report(socket)
    await eventually(lambda: alerts_of(receiver, "hook", UNANSWERED), timeout=5)
    await reply(alerting.client)
    [late] = await eventually(lambda: alerts_of(receiver, "hook", LATE), timeout=5,
                              what="answered_late")
    assert (late["message_id"], late["rule_id"]) == (event_id, rule["id"])
    assert late["response_min"] > 0 and late["replied_at"] > late["deadline_at"]


async def test_only_matching_events_alert_and_the_strictest_rule_applies(alerting, receiver,
                                                                         socket):
    await register(alerting.client, receiver.url("hook"))
    await create_rule(alerting.client, within_minutes=60, name="slow")
    strict = await create_rule(alerting.client, within_minutes=1, name="vip",
                               tags=["vip"], source_contains="555")
    await create_rule(alerting.client, within_minutes=1, channels=["wa"], name="wa only")
    vip = await report(socket, tags=["VIP"])
    await report(socket, contact="+12025550178")         # only the slow rule matches
    [alert] = await eventually(lambda: alerts_of(receiver, "hook", UNANSWERED), timeout=5)
    assert (alert["message_id"], alert["rule_id"]) == (vip, strict["id"])
    await asyncio.sleep(2)
    assert len(alerts_of(receiver, "hook", UNANSWERED)) == 1


async def test_a_rule_that_names_a_callback_alerts_only_there(alerting, receiver, socket):
    await register(alerting.client, receiver.url("hook"))
    await register(alerting.client, receiver.url("alerts"), event_types=[])  # no events
    await create_rule(alerting.client, callback_url=receiver.url("alerts"))
    event_id = await report(socket)
    [alert] = await eventually(lambda: alerts_of(receiver, "alerts", UNANSWERED), timeout=5)
    assert alert["message_id"] == event_id
    await asyncio.sleep(1)
    assert [b["type"] for b in receiver.bodies("hook")] == ["inbound"]


async def test_office_hours_stop_the_clock(alerting, receiver, socket):
    """A rule whose only office day is neither today nor tomorrow: its minute cannot pass."""
    await register(alerting.client, receiver.url("hook"))
    closed_day = DAYS[(dt.datetime.now(dt.timezone.utc).weekday() + 3) % 7]
    await create_rule(alerting.client, office_hours={"tz": "UTC", "days": [closed_day]})
    await report(socket)
    await asyncio.sleep(3)
    assert alerts_of(receiver, "hook", UNANSWERED) == []


async def test_a_rule_deleted_or_paused_before_the_deadline_alerts_no_one(alerting, receiver,
                                                                         socket):
    await register(alerting.client, receiver.url("hook"))
    deleted = await create_rule(alerting.client, within_minutes=2, channels=["sms"])
    paused = await create_rule(alerting.client, within_minutes=2, channels=["wa"])
    await report(socket)
    await report(socket, channel="wa")
    assert (await alerting.client.request("DELETE", f"{RULES}/{deleted['id']}"))[0] == 200
    status, _ = await alerting.client.request("PUT", f"{RULES}/{paused['id']}", {
        "within_minutes": 2, "channels": ["wa"], "active": False})
    assert status == 200
    await asyncio.sleep(3.5)
    assert alerts_of(receiver, "hook", UNANSWERED) == []


async def test_the_owner_is_told_by_the_rules_message(alerting, receiver, socket):
    await create_rule(alerting.client, notify={"phone_id": "phone_main", "channel": "notify",
                                               "title": "Unanswered"})
    await report(socket, contact_name="Alice")
    deliver = await frame(socket, "deliver", timeout=5)
    assert (deliver["channel"], deliver["title"]) == ("notify", "Unanswered")
    assert "Alice" in deliver["text"] and "1 min" in deliver["text"]


async def test_an_event_reported_after_its_deadline_alerts_at_once(alerting, receiver, socket):
    await register(alerting.client, receiver.url("hook"))
    await create_rule(alerting.client, within_minutes=1)
    long_ago = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=30)
    event_id = await report(socket, occurred_at=long_ago.isoformat())
    [alert] = await eventually(lambda: alerts_of(receiver, "hook", UNANSWERED), timeout=3)
    assert alert["message_id"] == event_id


async def test_a_restart_past_a_deadline_alerts_once(data_dir):
    receiver = Receiver()
    running = await alerting_relay(data_dir)
    try:
        await register(running.client, receiver.url("hook"))
        await create_rule(running.client, within_minutes=2)
        socket = await phone_socket(running)
        event_id = await report(socket)
        await hang_up(socket)
        running.client.close()
        await stop_relay(running)          # down while the deadline passes
        await asyncio.sleep(3)
        assert alerts_of(receiver, "hook", UNANSWERED) == []
        for _ in range(2):                 # alerts at once on start, and never again
            running = await start_relay(alert_settings(data_dir))
            await asyncio.sleep(2)
            await stop_relay(running)
        assert [a["message_id"] for a in alerts_of(receiver, "hook", UNANSWERED)] == [event_id]
    finally:
        receiver.close()


async def test_imported_history_alerts_for_what_is_recent_only(alerting, receiver, tmp_path):
    """An event imported late alerts at once; one older than the reply window never."""
    await register(alerting.client, receiver.url("hook"))
    await create_rule(alerting.client)
    now = dt.datetime.now(dt.timezone.utc)
    history = tmp_path / "history.jsonl"
    history.write_text("".join(json.dumps({
        "channel": "sms", "contact": contact, "text": "hello?",
        "occurred_at": (now - age).isoformat()}) + "\n" for contact, age in (
            ("+12025550111", dt.timedelta(minutes=10)),
            ("+12025550112", dt.timedelta(days=10)))))
    await alerting.api.admin("events.import", path=str(history), phone_id="phone_main")
    await eventually(lambda: alerts_of(receiver, "hook", UNANSWERED), timeout=5)
    await asyncio.sleep(1)
    assert [a["source"] for a in alerts_of(receiver, "hook", UNANSWERED)] == ["+12025550111"]


async def test_a_reply_after_a_restart_is_answered_late(data_dir):
    """What waits is loaded from the log at start-up, so a late reply still counts."""
    receiver = Receiver()
    running = await alerting_relay(data_dir)
    try:
        await register(running.client, receiver.url("hook"))
        await create_rule(running.client)
        socket = await phone_socket(running)
        event_id = await report(socket)
        await eventually(lambda: alerts_of(receiver, "hook", UNANSWERED), timeout=5)
        await hang_up(socket)
        key = running.client.key
        running.client.close()
        await stop_relay(running)
        running = await start_relay(alert_settings(data_dir))
        client = Api(running.base_url, key=key)
        await reply(client)
        [late] = await eventually(lambda: alerts_of(receiver, "hook", LATE), timeout=5)
        assert late["message_id"] == event_id
        client.close()
        await stop_relay(running)
    finally:
        receiver.close()


# -- the rules API ----------------------------------------------------------------------------

async def test_rules_are_created_listed_replaced_and_deleted(alerting):
    api = alerting.client
    rule = await create_rule(api, name="front desk", event_types=["missed", "message"],
                             office_hours={"tz": "Europe/Berlin", "days": ["mon", "fri"],
                                           "start": "08:30", "end": "24:00"})
    assert rule["office_hours"] == {"tz": "Europe/Berlin", "days": ["mon", "fri"],
                                    "start": "08:30", "end": "24:00"}
    assert rule["id"].startswith("rl_") and rule["active"] is True
    status, listed = await api.get(RULES)
    assert status == 200 and [r["id"] for r in listed["rules"]] == [rule["id"]]
    status, replaced = await api.request("PUT", f"{RULES}/{rule['id']}",
                                         {"within_minutes": 15, "active": False})
    assert status == 200, replaced
    assert (replaced["rule"]["within_minutes"], replaced["rule"]["office_hours"],
            replaced["rule"]["created_at"]) == (15, None, rule["created_at"])
    status, one = await api.get(f"{RULES}/{rule['id']}")
    assert status == 200 and one["rule"] == replaced["rule"]
    other = await alerting.new_client("other")
    status, body = await other.get(f"{RULES}/{rule['id']}")
    assert status == 404 and body["error"]["code"] == "unknown_rule"
    other.close()
    status, deleted = await api.request("DELETE", f"{RULES}/{rule['id']}")
    assert (status, deleted) == (200, {"success": True, "deleted": rule["id"]})
    assert (await api.get(RULES))[1]["rules"] == []
    assert (await api.request("DELETE", f"{RULES}/{rule['id']}"))[0] == 404


@pytest.mark.parametrize("body, field", [
    ({}, "within_minutes"),
    ({"within_minutes": 0}, "within_minutes"),
    ({"within_minutes": 1.5}, "within_minutes"),
    ({"within_minutes": 1, "channels": ["fax"]}, "channels"),
    ({"within_minutes": 1, "tag_mode": "some"}, "tag_mode"),
    ({"within_minutes": 1, "colour": "red"}, "colour"),
    ({"within_minutes": 1, "office_hours": {"tz": "Mars/Olympus"}}, "office_hours.tz"),
    ({"within_minutes": 1, "office_hours": {"start": "18:00", "end": "09:00"}},
     "office_hours.end"),
    ({"within_minutes": 1, "office_hours": {"start": "9:00"}}, "office_hours.start"),
    ({"within_minutes": 1, "office_hours": {"days": []}}, "office_hours.days"),
    ({"within_minutes": 1, "notify": {"phone_id": "phone_main", "channel": "sms"}},
     "notify.to"),
    ({"within_minutes": 1, "notify": {"phone_id": "phone_main", "channel": "sms",
                                      "to": "+12025550143", "text": "x"}}, "notify.text"),
    ({"within_minutes": 1, "callback_url": "https://example.com/never-registered"},
     "callback_url"),
])
async def test_bad_rules_are_400s_naming_the_field(alerting, body, field):
    status, answer = await alerting.client.post(RULES, body)
    assert status == 400, answer
    assert answer["success"] is False and answer["error"]["field"] == field


async def test_a_notify_phone_that_does_not_exist_is_404(alerting):
    status, answer = await alerting.client.post(RULES, {"within_minutes": 1, "notify": {
        "phone_id": "nope", "channel": "notify"}})
    assert (status, answer["error"]["field"]) == (404, "notify.phone_id")


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.dictionaries(
    st.sampled_from(["within_minutes", "name", "channels", "event_types", "tags", "tag_mode",
                     "source_contains", "phone_id", "office_hours", "notify", "callback_url",
                     "active", "extra"]),
    st.recursive(st.none() | st.booleans() | st.integers(-10, 20000) | st.text(max_size=12)
                 | st.sampled_from(["sms", "mon", "09:00", "24:00", "UTC", "notify"]),
                 lambda inner: st.lists(inner, max_size=3)
                 | st.dictionaries(st.sampled_from(["tz", "days", "start", "end", "phone_id",
                                                    "channel", "to"]), inner, max_size=4),
                 max_leaves=8), max_size=6))
async def test_any_rule_body_is_a_rule_or_a_4xx_naming_its_field(alerting, body):
    status, answer = await alerting.client.post(RULES, body)
    assert status in (201, 400, 404), answer
    if status != 201:
        assert answer["success"] is False and set(answer["error"]) == {"code", "message",
                                                                         "field"}
    else:
        assert (await alerting.client.request("DELETE", f"{RULES}/{answer['rule']['id']}"))[
            0] == 200
