"""Response rules on the portal: set through the portal's API for the chosen client, the
overview's waiting list, and the live socket's frames when an event starts and stops waiting."""
import asyncio
import json

import tornado.httpclient
import tornado.websocket

from helpers.alerts import alerting_relay, phone_socket, reply, report
from helpers.phones import hang_up
from helpers.portal_http import signed_in_owner
from helpers.relays import stop_relay
from relay.portal.access import CLIENT_HEADER, XSRF_HEADER


async def _frame(socket, topic: str) -> dict:
    while True:
        received = json.loads(await asyncio.wait_for(socket.read_message(), 5))
        if received["topic"] == topic:
            return received["data"]


async def test_the_overview_lists_what_waits_and_the_live_socket_tells_it(data_dir):
    running = await alerting_relay(data_dir)
    browser = await signed_in_owner(running)
    live = await tornado.websocket.websocket_connect(tornado.httpclient.HTTPRequest(
        running.base_url.replace("http", "ws") + "/portal/live",
        headers={"Cookie": browser.cookie}))
    phone = await phone_socket(running)
    try:
        chosen = {CLIENT_HEADER: "app", XSRF_HEADER: browser.xsrf}
        status, body, _ = await browser.call("POST", "/portal/api/webchat/inbound/rules",
                                             {"within_minutes": 1, "name": "desk"}, chosen)
        assert status == 201, body
        rule_id = body["rule"]["id"]
        status, listed, _ = await browser.call("GET", "/portal/api/webchat/inbound/rules",
                                               headers=chosen)
        assert [r["id"] for r in listed["rules"]] == [rule_id]

        event_id = await report(phone, contact_name="Ann")
        waiting = await _frame(live, "inbound.unanswered")
        assert (waiting["client_id"], waiting["rule_id"], waiting["message_id"],
                waiting["contact_name"]) == ("app", rule_id, event_id, "Ann")
        status, overview, _ = await browser.call("GET", "/portal/api/overview", headers=chosen)
        assert status == 200
        [row] = overview["waiting"]
        assert (row["message_id"], row["rule_id"], row["source"]) == (
            event_id, rule_id, "+12025550143")

        await reply(running.client)
        late = await _frame(live, "inbound.answered_late")
        assert (late["message_id"], late["rule_id"]) == (event_id, rule_id)
        status, overview, _ = await browser.call("GET", "/portal/api/overview", headers=chosen)
        assert overview["waiting"] == []
    finally:
        live.close()
        await hang_up(phone)
        running.client.close()
        await stop_relay(running)
