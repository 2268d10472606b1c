"""The portal's sign-in and sessions over real HTTP: no session is a 401 JSON, a write without
the session's XSRF token a 403, repeated sign-ins a 429; a client key does not open the portal
and a portal session does not open /api/v1."""
import json
import subprocess
import sys
import urllib.error
import urllib.request

import tornado.httpclient
import tornado.websocket

from helpers.portal_browser import PASSWORD
from helpers.portal_http import Browser, signed_in_owner
from helpers.relays import make_settings, start_relay, stop_relay


async def test_no_session_is_a_401_in_the_error_shape(relay):
    browser = Browser(relay)
    for path in ("/portal/api/overview", "/portal/api/phones", "/portal/api/messages"):
        status, body, _ = await browser.call("GET", path)
        assert status == 401, path
        assert body == {"success": False, "error": {
            "code": "not_signed_in", "message": "sign in to the portal first", "field": None}}


async def test_the_session_cookie_is_httponly_and_samesite_strict(relay):
    await relay.api.admin("portal.set_password", password=PASSWORD)
    _, body, response = await Browser(relay).sign_in()
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/portal" in cookie
    assert body["xsrf_token"] not in cookie


async def test_wrong_password_and_bad_bodies_are_clear_4xx(relay):
    await relay.api.admin("portal.set_password", password=PASSWORD)
    browser = Browser(relay)
    status, body, _ = await browser.sign_in("guess")
    assert (status, body["error"]["code"], browser.cookie) == (401, "wrong_password", None)
    for raw, code in (([], "invalid_body"), ({"password": 1}, "required"),
                      ({"password": "x", "user": "me"}, "unknown_field")):
        status, body, _ = await browser.call("POST", "/portal/api/signin", raw)
        assert (status, body["error"]["code"]) == (400, code)
    status, body, _ = await browser.call("POST", "/portal/api/setup",
                                         {"setup_code": "x", "password": PASSWORD})
    assert (status, body["error"]["code"]) == (409, "already_set_up")


async def test_writes_need_the_session_xsrf_token(relay):
    browser = await signed_in_owner(relay)
    add = {"phone_id": "phone_x"}
    for headers in ({}, {"X-XSRF-Token": "forged"}):
        status, body, _ = await browser.call("POST", "/portal/api/actions/phones.add", add,
                                             headers)
        assert (status, body["error"]["code"]) == (403, "xsrf_mismatch")
    status, body, _ = await browser.call("POST", "/portal/api/actions/phones.add", add,
                                         {"X-XSRF-Token": browser.xsrf})
    assert status == 200 and body["qr_svg"].startswith("<svg")
    assert "phone_x" in relay.relay.state.phones


async def test_sign_in_attempts_are_rate_limited_per_address(data_dir):
    running = await start_relay(make_settings(data_dir, portal_signin_per_minute=3))
    try:
        await running.api.admin("portal.set_password", password=PASSWORD)
        browser = Browser(running)
        codes = [(await browser.sign_in("wrong"))[0] for _ in range(4)]
        assert codes == [401, 401, 401, 429]
        status, body, response = await browser.sign_in()     # even the right one waits
        assert (status, body["error"]["code"]) == (429, "too_many_attempts")
        assert int(response.headers["Retry-After"]) >= 1
    finally:
        await stop_relay(running)


async def test_a_client_key_does_not_open_the_portal_nor_a_session_the_api(relay):
    client = await relay.new_client("shop")
    status, body = await client.get("/portal/api/phones")
    assert (status, body["error"]["code"]) == (401, "not_signed_in")
    browser = await signed_in_owner(relay)
    status, _, _ = await browser.call("GET", "/portal/api/phones")
    assert status == 200
    status, body, _ = await browser.call("GET", "/api/v1/phones")
    assert (status, body["error"]["code"]) == (401, "missing_key")


async def test_the_portal_acts_for_a_known_client_only(relay):
    await relay.new_client("shop")
    browser = await signed_in_owner(relay)
    status, body, _ = await browser.call("GET", "/portal/api/messages")
    assert (status, body["error"]["field"]) == (400, "client")
    status, body, _ = await browser.call("GET", "/portal/api/messages",
                                         headers={"X-Relay-Client": "ghost"})
    assert (status, body["error"]["code"]) == (404, "unknown_client")
    status, body, _ = await browser.call("POST", "/portal/api/actions/backup", {"out": "x"},
                                         {"X-XSRF-Token": browser.xsrf})
    assert (status, body["error"]["code"]) == (404, "unknown_action")


async def test_sign_out_and_a_new_password_end_sessions(relay):
    browser = await signed_in_owner(relay)
    other = await signed_in_owner(relay)          # the new password signs the first session out
    status, _, _ = await browser.call("GET", "/portal/api/phones")
    assert status == 401
    status, _, _ = await other.call("POST", "/portal/api/signout", {},
                                    {"X-XSRF-Token": other.xsrf})
    assert status == 200
    status, _, _ = await other.call("GET", "/portal/api/phones")
    assert status == 401


async def test_the_live_socket_needs_a_session(relay):
    url = relay.base_url.replace("http", "ws") + "/portal/live"
    try:
        await tornado.websocket.websocket_connect(url)
        raise AssertionError("the socket opened without a session")
    except tornado.httpclient.HTTPClientError as error:
        assert error.code == 401
    browser = await signed_in_owner(relay)
    socket = await tornado.websocket.websocket_connect(tornado.httpclient.HTTPRequest(
        url, headers={"Cookie": browser.cookie}))
    await relay.api.admin("phones.add", phone_id="phone_main")
    client = await relay.new_client("shop")
    status, _ = await client.post("/api/v1/messages", {"phone_id": "phone_main",
                                                       "channel": "sms", "to": "+12025550143",
                                                       "text": "hi"})
    assert status == 202
    pushed = json.loads(await socket.read_message())
    assert pushed["topic"] == "message.accepted" and pushed["data"]["text"] == "hi"
    socket.close()


async def test_the_page_and_its_files_are_served_with_a_strict_policy(relay):
    browser = Browser(relay)
    for path, kind in (("/", "text/html"), ("/static/js/app.js", "javascript"),
                       ("/static/vendor/chart.umd.min.js", "javascript")):
        response = await browser.http.fetch(relay.base_url + path)
        assert kind in response.headers["Content-Type"]
        assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    for path in ("/static/nothing.js", "/static/%2e%2e/schema.sql"):
        status, body, _ = await browser.call("GET", path)
        assert status in (403, 404) and body["success"] is False, path


def test_serve_prints_a_setup_code_and_the_cli_sets_the_password(relay_process):
    process = relay_process().start()
    try:
        [setup] = [json.loads(line) for line in process.log_text().splitlines()
                   if '"portal_setup"' in line]
        assert len(setup["setup_code"]) == 10
        result = subprocess.run([sys.executable, "-m", "relay", "admin", "set-password",
                                 "--data-dir", str(process.data_dir)], input=PASSWORD + "\n",
                                capture_output=True, text=True, env=process.env, timeout=60)
        assert result.returncode == 0, result.stderr

        def sign_in(body):
            request = urllib.request.Request(
                process.url + "/portal/api/signin", data=json.dumps(body).encode(),
                headers={"Content-Type": "application/json"}, method="POST")
            try:
                with urllib.request.urlopen(request, timeout=10) as response:
                    return response.status
            except urllib.error.HTTPError as error:
                return error.code
        assert sign_in({"password": PASSWORD}) == 200
        assert sign_in({"password": "not it"}) == 401
    finally:
        process.stop()
