"""/metrics counts webhook delivery attempts by outcome, after real deliveries to a Tornado
receiver on loopback: one callback answered 200, one 410 (failed, and no retry)."""
import asyncio
import time

import tornado.httpserver
import tornado.testing
import tornado.web

from helpers.webhooks import inbound, register

COUNTS = ('relay_webhook_attempts_total{outcome="delivered"} 1.0',
          'relay_webhook_attempts_total{outcome="failed"} 1.0')


class Answer(tornado.web.RequestHandler):
    def post(self, status):
        self.set_status(int(status))
        self.finish("ok")


async def test_metrics_count_webhook_attempts_by_outcome(hooks):
    sock, port = tornado.testing.bind_unused_port()
    server = tornado.httpserver.HTTPServer(tornado.web.Application([(r"/(\d{3})", Answer)]))
    server.add_sockets([sock])
    try:
        for status in ("200", "410"):
            await register(hooks.client, f"http://127.0.0.1:{port}/{status}")
        await inbound(hooks)
        deadline = time.monotonic() + 10
        while True:
            response = await hooks.api.http.fetch(
                hooks.base_url + "/metrics",
                headers={"Authorization": f"Bearer {hooks.relay.admin_token}"})
            text = response.body.decode()
            if all(count in text for count in COUNTS):
                break
            assert time.monotonic() < deadline, text
            await asyncio.sleep(0.05)
    finally:
        server.stop()
