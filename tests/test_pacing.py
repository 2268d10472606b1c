"""Pacing per phone through the real API and a simulated phone (docs/phones.md, Pacing): the
interval as the phone sees it, a cap that holds the next message (queued, with held_until and
held_reason, and counted on GET /api/v1/phones), caps per SIM, a restart that keeps the count,
and a phone's own pacing set on a running relay."""
import asyncio
import datetime as dt
import time

import pytest

from helpers.phones import start_agent
from helpers.polling import eventually
from helpers.portal_http import signed_in_owner
from helpers.relays import make_settings, relay_with_client, send_sms, start_relay, stop_relay
from relay.agent.backends.simulator import Simulator

# A frame reaches the phone a few milliseconds after the relay hands it, not always the same
# few: gaps measured at the phone may be that much shorter than those at the relay.
NETWORK_SLACK = 0.02


class TimedSimulator(Simulator):
    """The simulator, noting when each message reached it (its clock: time.monotonic)."""

    def __init__(self):
        super().__init__(delay=0)
        self.arrived: dict[str, float] = {}

    async def send(self, frame):
        self.arrived.setdefault(frame["message_id"], time.monotonic())
        return await super().send(frame)


async def _message(client, message_id) -> dict:
    status, body = await client.get(f"/api/v1/messages/{message_id}")
    assert status == 200, body
    return body["message"]


async def _pacing(client) -> dict:
    status, body = await client.get("/api/v1/phones/phone_main")
    assert status == 200, body
    return body["phone"]["pacing"]


async def _all_sent(client, ids):
    return all([(await _message(client, i))["status"] == "sent" for i in ids])


async def test_one_message_every_half_second_and_five_an_hour_holds_the_sixth(data_dir):
    running, client = await relay_with_client(data_dir, pacing_interval_ms=500,
                                              pacing_per_hour=5)
    backend = TimedSimulator()
    agent = await start_agent(running, backend=backend)
    try:
        ids = await send_sms(client, 6)
        await eventually(lambda: _all_sent(client, ids[:5]), 15, what="five sent")
        arrivals = [backend.arrived[i] for i in ids[:5]]
        gaps = [b - a for a, b in zip(arrivals, arrivals[1:])]
        assert min(gaps) >= 0.5 - NETWORK_SLACK, gaps

        await asyncio.sleep(1.0)
        sixth = await _message(client, ids[5])
        assert ids[5] not in backend.arrived and sixth["status"] == "queued"
        assert sixth["held_reason"] == "per_hour"
        held_until = dt.datetime.fromisoformat(sixth["held_until"].replace("Z", "+00:00"))
        in_an_hour = dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1)
        assert abs((held_until - in_an_hour).total_seconds()) < 30, sixth
        assert (await _message(client, ids[0]))["held_until"] is None

        pacing = await _pacing(client)
        assert pacing["per_hour"] == 5 and pacing["used_hour"] == 5 and pacing["used_day"] == 5
        assert pacing["held"] == 1 and pacing["reason"] == "per_hour"
        assert pacing["held_until"] == sixth["held_until"]
        assert pacing["min_interval_seconds"] == 0.5
        status, listed = await client.get("/api/v1/messages?limit=1")
        assert listed["messages"][0]["held_reason"] == "per_hour"

        holds = await running.relay.store.read(lambda cur: cur.execute(
            "SELECT phone_id, sim, reason FROM pacing_holds").fetchall())
        assert holds == [("phone_main", None, "per_hour")]      # one row for the hold

        # Raising the phone's own cap lets the sixth go at once.
        await running.api.admin("phones.pace", phone_id="phone_main", pacing={"per_hour": 6})
        await eventually(lambda: _all_sent(client, ids), 10, what="the sixth sent")
        assert backend.arrived[ids[5]] - arrivals[-1] >= 0.5 - NETWORK_SLACK
        pacing = await _pacing(client)
        assert pacing["held"] == 0 and pacing["held_until"] is None
        assert pacing["own"]["per_hour"] == 6 and pacing["own"]["per_day"] is None
    finally:
        await agent.stop()
        client.close()
        await stop_relay(running)


async def test_caps_are_counted_per_sim(data_dir):
    running, client = await relay_with_client(data_dir, pacing_per_hour=2)
    agent = await start_agent(running)
    try:
        ids = []
        for sim in (1, 1, 2, None, 2, None, 1):
            ids += await send_sms(client, 1, sim=sim)
        await eventually(lambda: _all_sent(client, ids[:6]), 10, what="two of each SIM sent")
        await asyncio.sleep(0.5)
        last = await _message(client, ids[6])
        assert last["status"] == "queued" and last["held_reason"] == "per_hour"
        pacing = await _pacing(client)
        assert pacing["by_sim"] == [{"sim": None, "used_hour": 2, "used_day": 2},
                                    {"sim": 1, "used_hour": 2, "used_day": 2},
                                    {"sim": 2, "used_hour": 2, "used_day": 2}]
        assert pacing["held"] == 1 and pacing["held_sim"] == 1
    finally:
        await agent.stop()
        client.close()
        await stop_relay(running)


async def _restarted(running, client, settings):
    client.close()
    await stop_relay(running)
    running = await start_relay(settings)
    return running, await running.new_client("app2")


async def test_a_restart_keeps_the_cap(data_dir):
    settings = make_settings(data_dir, pacing_per_hour=3)
    running, client = await relay_with_client(data_dir, pacing_per_hour=3)
    agent = await start_agent(running)
    ids = await send_sms(client, 3)
    await eventually(lambda: _all_sent(client, ids), 10, what="three sent")
    await agent.stop()
    running, client = await _restarted(running, client, settings)
    backend = TimedSimulator()
    agent = await start_agent(running, backend=backend)
    try:
        assert (await _pacing(client))["used_hour"] == 3
        [fourth] = await send_sms(client, 1)
        await asyncio.sleep(1.0)
        held = await _message(client, fourth)
        assert held["status"] == "queued" and held["held_reason"] == "per_hour"
        assert not backend.arrived
    finally:
        await agent.stop()
        client.close()
        await stop_relay(running)


async def test_a_restart_keeps_the_interval(data_dir):
    settings = make_settings(data_dir, pacing_interval_ms=4000)
    running, client = await relay_with_client(data_dir, pacing_interval_ms=4000)
    first_backend = TimedSimulator()
    agent = await start_agent(running, backend=first_backend)
    [first] = await send_sms(client, 1)
    await eventually(lambda: _all_sent(client, [first]), 10, what="the first sent")
    await agent.stop()
    running, client = await _restarted(running, client, settings)
    backend = TimedSimulator()
    agent = await start_agent(running, backend=backend)
    try:
        [second] = await send_sms(client, 1)
        held = await _message(client, second)
        if second not in backend.arrived:        # the restart may have taken the 4 s itself
            assert held["held_reason"] == "interval"
        await eventually(lambda: _all_sent(client, [second]), 10, what="the second sent")
        assert backend.arrived[second] - first_backend.arrived[first] >= 4 - NETWORK_SLACK
    finally:
        await agent.stop()
        client.close()
        await stop_relay(running)


@pytest.mark.parametrize("pacing,field", [
    ({"per_hour": -1}, "per_hour"), ({"per_day": "5"}, "per_day"),
    ({"min_interval_seconds": True}, "min_interval_seconds"), ({"per_week": 1}, "per_week"),
])
async def test_a_bad_pacing_is_a_400_naming_its_field(relay, client, pacing, field):
    status, body = await relay.api.request("POST", "/admin/v1/actions/phones.pace",
                                           {"phone_id": "phone_main", "pacing": pacing},
                                           key=relay.relay.admin_token)
    assert status == 400 and body["error"]["field"] == field, body


async def test_pacing_an_unknown_phone_is_a_404(relay, client):
    status, body = await relay.api.request("POST", "/admin/v1/actions/phones.pace",
                                           {"phone_id": "nope", "pacing": {"per_hour": 1}},
                                           key=relay.relay.admin_token)
    assert status == 404 and body["error"]["code"] == "unknown_phone", body


async def test_the_portal_paces_a_phone(relay, client):
    browser = await signed_in_owner(relay)
    status, body, _ = await browser.call(
        "POST", "/portal/api/actions/phones.pace",
        {"phone_id": "phone_main", "pacing": {"min_interval_seconds": 1.5, "per_day": 20}},
        {"X-XSRF-Token": browser.xsrf})
    assert status == 200 and body["pacing"]["per_day"] == 20, body
    status, body, _ = await browser.call("GET", "/portal/api/phones")
    [phone] = body["phones"]
    assert phone["pacing"]["min_interval_seconds"] == 1.5
    assert phone["pacing"]["own"] == {"min_interval_seconds": 1.5, "jitter_seconds": None,
                                      "per_hour": None, "per_day": 20}
