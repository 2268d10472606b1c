"""tg_bot deliveries per second through the relay (an attempt's start and end logged, the
sealed token read and opened, sendMessage called) against a bare client calling the same fake
Bot API with the same concurrency (no log, no token: the ceiling), measured in the same run.

    python bench/bench_senders.py [--messages 2000] [--concurrency 8]

The fake Bot API is a separate process on loopback answering ok at once; messages are accepted
before the clock starts, so the figure is delivery alone. Everything stops by itself."""
import argparse
import asyncio
import pathlib
import socket
import subprocess
import sys
import tempfile
import time

import tornado.httpclient

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))
from relay.app import Relay  # noqa: E402
from relay.config import load  # noqa: E402
from relay.messages.validate import message_request  # noqa: E402
from relay.messages.operations import AcceptMessage  # noqa: E402
from relay.phones.operations import AddPhone  # noqa: E402
from relay.store.events import MessageStatus  # noqa: E402

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
BOT_API = """
import sys, tornado.ioloop, tornado.web
class SendMessage(tornado.web.RequestHandler):
    def post(self, token):
        self.set_header("Content-Type", "application/json")
        self.finish('{"ok": true, "result": {"message_id": 1}}')
tornado.web.Application([(r"/bot([^/]+)/sendMessage", SendMessage)],
                        log_function=lambda h: None).listen(int(sys.argv[1]), "127.0.0.1")
tornado.ioloop.IOLoop.current().start()
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def wait_until_up(url: str) -> None:
    http = tornado.httpclient.AsyncHTTPClient()
    for _ in range(100):
        try:
            await http.fetch(url, raise_error=False)
            return
        except OSError:
            await asyncio.sleep(0.1)
    raise SystemExit("the fake Bot API did not come up")


async def bare_client(api: str, messages: int, concurrency: int) -> float:
    """The ceiling: sendMessage calls per second with nothing else to do."""
    http = tornado.httpclient.AsyncHTTPClient(force_instance=True, max_clients=concurrency)
    url = f"{api}/bot{TOKEN}/sendMessage"
    started = time.perf_counter()
    await asyncio.gather(*(http.fetch(url, method="POST", body='{"chat_id": "1", "text": "x"}')
                           for _ in range(messages)))
    seconds = time.perf_counter() - started
    http.close()
    return messages / seconds


def accept_offline(settings, messages: int) -> None:
    """Accepts the messages with a Relay that has no IOLoop (as the CLI has): nothing is sent
    yet, so the clock below measures delivery alone."""
    relay = Relay(settings)
    try:
        relay.store.write_sync(AddPhone("phone_main"))
        request = message_request({"phone_id": "phone_main", "channel": "tg_bot", "to": "1",
                                   "text": "x", "bot_token": TOKEN}, None, "US")
        futures = [relay.store.writer.submit(AcceptMessage(request, "bench", "key_bench",
                                                           relay.secret_box))
                   for _ in range(messages)]
        for future in futures:
            future.result()
    finally:
        relay.close()


async def through_relay(settings, messages: int) -> float:
    """Starts a relay on the data dir: it resumes every open message and sends it."""
    done, sent = 0, asyncio.Event()

    def on_status(change):
        nonlocal done
        if change.status == "sent":
            done += 1
            if done == messages:
                sent.set()
    started = time.perf_counter()
    relay = Relay(settings)
    relay.bus.subscribe(MessageStatus, on_status)
    try:
        await sent.wait()
        return messages / (time.perf_counter() - started)
    finally:
        relay.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    port = free_port()
    api = subprocess.Popen([sys.executable, "-c", BOT_API, str(port)])
    try:
        url = f"http://127.0.0.1:{port}"
        await wait_until_up(url)
        ceiling = await bare_client(url, args.messages, args.concurrency)
        with tempfile.TemporaryDirectory() as data_dir:
            settings = load({"data_dir": data_dir}, environ={}).replace(
                telegram_api_base=url, telegram_concurrency=args.concurrency)
            await asyncio.to_thread(accept_offline, settings, args.messages)
            relayed = await through_relay(settings, args.messages)
    finally:
        api.terminate()
        api.wait()
    print(f"bare client:   {ceiling:8.0f} sendMessage/s")
    print(f"through relay: {relayed:8.0f} tg_bot deliveries/s  ({relayed / ceiling:.2f} of the "
          f"bare client; concurrency {args.concurrency}, {args.messages} messages)")


if __name__ == "__main__":
    asyncio.run(main())
