"""The portal's live socket lives as long as its session: signing out, a new password and the
session's expiry each close it from the server within a second, and no message text reaches it
afterwards."""
import asyncio
import json
import time

import tornado.httpclient
import tornado.websocket

from helpers.relays import sms
from helpers.portal_browser import PASSWORD
from helpers.portal_http import Browser, signed_in_owner

SESSION_ENDED = 4401


async def _live_socket(relay, browser):
    url = relay.base_url.replace("http", "ws") + "/portal/live"
    return await tornado.websocket.websocket_connect(tornado.httpclient.HTTPRequest(
        url, headers={"Cookie": browser.cookie}))


async def _streaming(relay, client):
    """A live socket of a signed-in owner that has just received a message's text."""
    browser = await signed_in_owner(relay)
    socket = await _live_socket(relay, browser)
    status, _ = await client.post("/api/v1/messages", sms(text="before"))
    assert status == 202
    pushed = json.loads(await asyncio.wait_for(socket.read_message(), 5))
    assert (pushed["topic"], pushed["data"]["text"]) == ("message.accepted", "before")
    return browser, socket


async def _closed_by_the_server(socket, ended: float, client=None, within: float = 1) -> None:
    """Closed within a second of the session's end; a message the client sends once it ended
    is not pushed to it (and a closed socket receives nothing more)."""
    try:
        if client is not None:
            status, _ = await client.post("/api/v1/messages", sms(text="after the end"))
            assert status == 202
        left = ended + within - time.monotonic()
        assert await asyncio.wait_for(socket.read_message(), left) is None
        assert time.monotonic() - ended < within
        assert socket.close_code == SESSION_ENDED
    finally:
        socket.close()


async def test_signing_out_closes_the_live_socket(relay, client):
    browser, socket = await _streaming(relay, client)
    signed_out = time.monotonic()
    status, _, _ = await browser.call("POST", "/portal/api/signout", {},
                                      {"X-XSRF-Token": browser.xsrf})
    assert status == 200
    await _closed_by_the_server(socket, signed_out, client)


async def test_signing_out_one_session_leaves_the_others_streaming(relay, client):
    browser, socket = await _streaming(relay, client)
    other = Browser(relay)
    assert (await other.sign_in())[0] == 200
    kept = await _live_socket(relay, other)
    signed_out = time.monotonic()
    status, _, _ = await browser.call("POST", "/portal/api/signout", {},
                                      {"X-XSRF-Token": browser.xsrf})
    assert status == 200
    await _closed_by_the_server(socket, signed_out, client)
    try:      # the other session's socket got the message sent after the sign-out
        pushed = json.loads(await asyncio.wait_for(kept.read_message(), 5))
        assert pushed["data"]["text"] == "after the end"
    finally:
        kept.close()


async def test_a_new_password_closes_every_live_socket(relay, client):
    _, first = await _streaming(relay, client)
    changed = time.monotonic()
    status, _ = await relay.api.post("/admin/v1/actions/portal.set_password",
                                     {"password": PASSWORD + " again"},
                                     key=relay.relay.admin_token)
    assert status == 200
    await _closed_by_the_server(first, changed, client)


async def test_an_expired_session_closes_its_live_socket(relay, client):
    relay.relay.portal.lifetime = 1.5          # seconds: the setting counts whole hours
    signed_in = time.monotonic()
    _, socket = await _streaming(relay, client)
    await _closed_by_the_server(socket, signed_in + 1.5)
