"""The portal's JSON API over plain HTTP, as a browser holds its session: the cookie it was
given, sent back."""
import json

import tornado.httpclient

from helpers.portal_browser import PASSWORD


class Browser:
    """Just enough of a browser: the session cookie it was given, sent back."""

    def __init__(self, relay):
        self.base_url = relay.base_url
        self.http = tornado.httpclient.AsyncHTTPClient(force_instance=True)
        self.cookie = None
        self.xsrf = None

    async def call(self, method, path, body=None, headers=None):
        headers = dict(headers or {})
        if self.cookie:
            headers.setdefault("Cookie", self.cookie)
        if body is not None:
            headers["Content-Type"] = "application/json"
        response = await self.http.fetch(
            self.base_url + path, method=method, headers=headers, raise_error=False,
            body=json.dumps(body) if body is not None else (b"" if method == "POST" else None))
        for header in response.headers.get_list("Set-Cookie"):
            self.cookie = header.split(";")[0]
        return response.code, json.loads(response.body or b"null"), response

    async def sign_in(self, password=PASSWORD):
        status, body, response = await self.call("POST", "/portal/api/signin",
                                                 {"password": password})
        self.xsrf = body.get("xsrf_token")
        return status, body, response


async def signed_in_owner(relay) -> Browser:
    """A Browser signed in to the portal as the owner (the password set first)."""
    await relay.api.admin("portal.set_password", password=PASSWORD)
    browser = Browser(relay)
    status, _, _ = await browser.sign_in()
    assert status == 200
    return browser
