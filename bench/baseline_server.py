"""The ceiling: a bare Tornado handler that parses the same JSON and answers 202, storing
nothing. Run as a process by bench_send.py: python bench/baseline_server.py PORT"""
import asyncio
import json
import sys

import tornado.web


class Accept(tornado.web.RequestHandler):
    def post(self):
        body = json.loads(self.request.body)
        self.set_status(202)
        self.finish({"success": True, "message_id": "msg_x", "status": "queued",
                     "idempotency_key": body.get("idempotency_key")})


async def main(port: int) -> None:
    tornado.web.Application([(r"/api/v1/messages", Accept)]).listen(port, "127.0.0.1")
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
