"""A fake Telegram Bot API for the tests: a small Tornado app on loopback that records each
sendMessage call and answers as the test scripts it."""
import asyncio
import json
import time

import tornado.httpserver
import tornado.testing
import tornado.web

OK = (200, {"ok": True, "result": {"message_id": 1, "chat": {"id": 1}, "text": "..."}})
CHAT_NOT_FOUND = (400, {"ok": False, "error_code": 400,
                        "description": "Bad Request: chat not found"})
UNAUTHORIZED = (401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
BLOCKED = (403, {"ok": False, "error_code": 403,
                 "description": "Forbidden: bot was blocked by the user"})
BAD_GATEWAY = (502, {"ok": False, "error_code": 502, "description": "Bad Gateway"})
HANG = "hang"


def too_many_requests(retry_after: int):
    return (429, {"ok": False, "error_code": 429,
                  "description": f"Too Many Requests: retry after {retry_after}",
                  "parameters": {"retry_after": retry_after}})


class SendMessage(tornado.web.RequestHandler):
    def initialize(self, api):
        self.api = api

    async def post(self, token):
        body = json.loads(self.request.body)
        self.api.calls.append({"token": token, "chat_id": body.get("chat_id"),
                               "text": body.get("text"), "at": time.monotonic()})
        answer = self.api.answers.pop(0) if self.api.answers else OK
        if answer == HANG:
            await self.api.release.wait()
            return
        status, payload = answer
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(payload))


class FakeBotApi:
    """`answers`: what the next calls get (OK, CHAT_NOT_FOUND, HANG, ...); then OK."""

    def __init__(self, answers=()):
        self.answers = list(answers)
        self.calls: list[dict] = []
        self.release = asyncio.Event()
        sock, port = tornado.testing.bind_unused_port()
        self.url = f"http://127.0.0.1:{port}"
        app = tornado.web.Application([(r"/bot([^/]+)/sendMessage", SendMessage,
                                        {"api": self})],
                                      log_function=lambda handler: None)  # its URL has tokens
        self.server = tornado.httpserver.HTTPServer(app)
        self.server.add_sockets([sock])

    async def close(self):
        self.release.set()
        self.server.stop()
        await self.server.close_all_connections()
