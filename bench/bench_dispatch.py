"""The phone channel under load: latency from POST /api/v1/messages to the `deliver` frame at
the phone (p50, p99) with 50 phones connected at a steady send rate, and sustained messages per
second through to `sent`; each against a bare Tornado server measured in the same run that
pushes the POSTed body straight to the phone's websocket (no database, no acks: the floor).

    python bench/bench_dispatch.py [--phones 50] [--rate 200] [--seconds 10] [--messages 4000]

Targets: p50 < 5 ms, p99 < 50 ms at 200 msg/s. The phones are simulated in a second process
(times are taken with the machine-wide monotonic clock): each answers a deliver frame with
`sending` then `sent`, as the reference agent does."""
import argparse
import asyncio
import json
import os
import pathlib
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

import tornado.httpclient
import tornado.log
import tornado.web
import tornado.websocket

DELIVER_BODY = {"channel": "sms", "to": "+12025550143", "text": "bench"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- the floor: HTTP in, websocket out, nothing else ------------------------------------------
class FloorSocket(tornado.websocket.WebSocketHandler):
    phones: dict = {}

    def open(self):
        self.phones[self.request.headers["Authorization"]] = self

    def on_message(self, message):
        pass


class FloorPost(tornado.web.RequestHandler):
    def post(self):
        body = json.loads(self.request.body)
        FloorSocket.phones["Bearer " + body["phone_id"]].write_message(json.dumps(
            {"type": "deliver", "message_id": body["text"], **body}))
        self.set_status(202)
        self.finish({"success": True, "message_id": body["text"], "status": "queued"})


async def floor_server(port: int) -> None:
    tornado.log.access_log.disabled = True
    tornado.web.Application([(r"/api/v1/messages", FloorPost),
                             (r"/api/v1/device/ws", FloorSocket)]).listen(port, "127.0.0.1")
    await asyncio.Event().wait()


# -- the phones: a process of their own, so that their work does not delay the sender ---------
class Phone:
    """A simulated phone: reports when each deliver frame arrives (on stdout, with the
    machine-wide monotonic clock) and answers it with sending then sent, like the agent."""

    def __init__(self, phone_id: str, token: str):
        self.phone_id, self.token = phone_id, token

    async def connect(self, ws_url: str) -> None:
        request = tornado.httpclient.HTTPRequest(ws_url,
                                                 headers={"Authorization": f"Bearer {self.token}"})
        self.connection = await tornado.websocket.websocket_connect(
            request, on_message_callback=self.on_message)

    def on_message(self, raw) -> None:
        if raw is None:
            return
        frame = json.loads(raw)
        if frame["type"] == "deliver":
            # the text is the sender's tag for the message
            sys.stdout.write(f"D {frame['text']} {time.perf_counter()}\n")
            for status in ("sending", "sent"):
                self.connection.write_message(json.dumps(
                    {"type": "status", "message_id": frame["message_id"], "status": status}))
        elif frame["type"] == "ack" and frame["status"] == "sent":
            sys.stdout.write(f"S {frame['message_id']}\n")
        sys.stdout.flush()


async def phones_process(ws_url: str) -> None:
    """Connects the phones named on stdin ([[phone_id, token], ...]); runs until stdin ends."""
    phones = [Phone(phone_id, token) for phone_id, token in json.loads(sys.stdin.readline())]
    await asyncio.gather(*(phone.connect(ws_url) for phone in phones))
    print("ready", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)


class Fleet:
    """The phones process seen from the sender: arrival times and ids acknowledged sent."""

    def __init__(self):
        self.arrivals: dict[str, float] = {}
        self.finished: set[str] = set()

    async def start(self, ws_url: str, phones: list[tuple[str, str]]) -> None:
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, __file__, "--phones-process", ws_url,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.process.stdin.write(json.dumps(phones).encode() + b"\n")
        assert await self.process.stdout.readline() == b"ready\n"
        self.reader = asyncio.ensure_future(self._read())

    async def _read(self) -> None:
        while line := await self.process.stdout.readline():
            kind, *values = line.split()
            if kind == b"D":
                self.arrivals.setdefault(values[0].decode(), float(values[1]))
            else:
                self.finished.add(values[0].decode())

    async def stop(self) -> None:
        self.process.stdin.close()
        await self.process.wait()
        await self.reader


class Load:
    def __init__(self, base_url: str, key: str, phones: list[str]):
        self.base_url, self.key, self.phones = base_url, key, phones
        self.http = tornado.httpclient.AsyncHTTPClient(force_instance=True, max_clients=256)
        self.sent_at: dict[str, float] = {}
        self.post_ms: list[float] = []
        self.message_ids: list[str] = []

    async def post(self, tag: str, phone_id: str) -> None:
        body = json.dumps({"phone_id": phone_id, **DELIVER_BODY, "text": tag})
        started = time.perf_counter()
        self.sent_at[tag] = started
        response = await self.http.fetch(
            self.base_url + "/api/v1/messages", method="POST", body=body,
            headers={"Authorization": f"Bearer {self.key}", "Content-Type": "application/json"})
        self.post_ms.append((time.perf_counter() - started) * 1000)
        self.message_ids.append(json.loads(response.body)["message_id"])

    async def steady(self, prefix: str, rate: float, seconds: float) -> None:
        """One POST every 1/rate seconds, round-robin over the phones, not waiting for answers."""
        start, tasks, n = time.perf_counter(), [], 0
        while n < rate * seconds:
            delay = start + n / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.ensure_future(
                self.post(f"{prefix}{n}", self.phones[n % len(self.phones)])))
            n += 1
        await asyncio.gather(*tasks)

    async def burst(self, prefix: str, count: int, concurrency: int = 64) -> None:
        queue = iter(range(count))

        async def worker():
            for n in queue:
                await self.post(f"{prefix}{n}", self.phones[n % len(self.phones)])
        await asyncio.gather(*(worker() for _ in range(concurrency)))


def percentile(values: list[float], share: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(share * len(values)))]


async def wait_for(predicate, timeout: float = 120) -> None:
    deadline = time.perf_counter() + timeout
    while not predicate():
        if time.perf_counter() > deadline:
            raise SystemExit("timed out waiting for the phones")
        await asyncio.sleep(0.005)


async def measure(base_url: str, key: str, phones: list[str], fleet: Fleet, args,
                  floor: bool) -> dict:
    arrivals, finished = fleet.arrivals, fleet.finished
    load = Load(base_url, key, phones)
    await load.steady("warm", args.rate, 1)
    await wait_for(lambda: all(t in arrivals for t in load.sent_at))
    load = Load(base_url, key, phones)
    await load.steady("lat", args.rate, args.seconds)
    await wait_for(lambda: all(t in arrivals for t in load.sent_at))
    latencies = [(arrivals[t] - s) * 1000 for t, s in load.sent_at.items()]
    result = {"p50": percentile(latencies, 0.5), "p99": percentile(latencies, 0.99),
              "post_p50": statistics.median(load.post_ms), "count": len(latencies)}
    burst = Load(base_url, key, phones)
    started = time.perf_counter()
    await burst.burst("burst", args.messages)
    accepted = time.perf_counter() - started
    if floor:     # no statuses there: done when every deliver frame arrived
        await wait_for(lambda: all(t in arrivals for t in burst.sent_at))
    else:
        await wait_for(lambda: finished.issuperset(burst.message_ids))
    result["accepted_per_s"] = args.messages / accepted
    result["sent_per_s"] = args.messages / (time.perf_counter() - started)
    return result


def admin(url: str, token: str, action: str, **params) -> dict:
    request = urllib.request.Request(f"{url}/admin/v1/actions/{action}", method="POST",
                                     data=json.dumps(params).encode(),
                                     headers={"Authorization": f"Bearer {token}",
                                              "Content-Type": "application/json"})
    with urllib.request.urlopen(request) as response:
        return json.loads(response.read())


async def pair(url: str, code: str) -> str:
    http = tornado.httpclient.AsyncHTTPClient()
    response = await http.fetch(url + "/api/v1/device/pair", method="POST",
                                body=json.dumps({"pairing_code": code}),
                                headers={"Content-Type": "application/json"})
    return json.loads(response.body)["access_token"]


async def wait_up(url: str) -> None:
    http = tornado.httpclient.AsyncHTTPClient()
    for _ in range(300):
        try:
            await http.fetch(url, raise_error=False)
            return
        except OSError:
            await asyncio.sleep(0.1)
    raise SystemExit(f"{url} did not come up")


async def run(args) -> None:
    floor_port, relay_port = free_port(), free_port()
    with tempfile.TemporaryDirectory() as data_dir:
        servers = [
            subprocess.Popen([sys.executable, __file__, "--floor-server", str(floor_port)]),
            subprocess.Popen([sys.executable, "-m", "relay", "serve", "--data-dir", data_dir,
                              "--port", str(relay_port)], stdout=subprocess.DEVNULL,
                             env={**os.environ, "RELAY_RATE_LIMIT": "0",   # one key sends all
                                  "RELAY_LOG_LEVEL": "warning"})]
        try:
            floor_url, relay_url = (f"http://127.0.0.1:{p}" for p in (floor_port, relay_port))
            await wait_up(floor_url + "/")
            await wait_up(relay_url + "/health")
            token = (pathlib.Path(data_dir) / "admin.token").read_text().strip()
            key = admin(relay_url, token, "keys.create", name="bench")["key"]
            results = {}
            for name, url in (("floor", floor_url), ("relay", relay_url)):
                phones = [f"phone{n:02d}" for n in range(args.phones)]
                if name == "relay":
                    codes = [admin(url, token, "phones.add", phone_id=p)["pairing_code"]
                             for p in phones]
                    tokens = [await pair(url, code) for code in codes]
                else:
                    tokens = phones
                fleet = Fleet()
                await fleet.start("ws" + url[len("http"):] + "/api/v1/device/ws",
                                  list(zip(phones, tokens)))
                results[name] = await measure(url, key, phones, fleet, args,
                                              floor=name == "floor")
                await fleet.stop()
        finally:
            for server in servers:
                server.terminate()
                server.wait()
    floor, relay = results["floor"], results["relay"]
    print(f"machine: {os.cpu_count()} cores, shared with other work while measured; "
          f"{args.phones} phones; {relay['count']} messages at {args.rate}/s; burst of "
          f"{args.messages}; sender and phones in two Python processes")
    print(f"POST -> deliver frame  floor p50 {floor['p50']:6.2f} ms  p99 {floor['p99']:6.2f} ms"
          f"   relay p50 {relay['p50']:6.2f} ms  p99 {relay['p99']:6.2f} ms  "
          f"(ratio p50 {relay['p50'] / floor['p50']:.1f}x, p99 {relay['p99'] / floor['p99']:.1f}x;"
          f" targets p50 < 5 ms, p99 < 50 ms)")
    print(f"POST answered p50     floor {floor['post_p50']:6.2f} ms        "
          f"relay {relay['post_p50']:6.2f} ms")
    print(f"sustained             floor {floor['sent_per_s']:7.0f} delivered/s      "
          f"relay {relay['sent_per_s']:7.0f} msg/s to sent (accepted "
          f"{relay['accepted_per_s']:.0f}/s; "
          f"ratio {relay['sent_per_s'] / floor['sent_per_s']:.2f})")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--phones", type=int, default=50)
    parser.add_argument("--rate", type=float, default=200)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--messages", type=int, default=4000)
    parser.add_argument("--floor-server", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--phones-process", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.floor_server:
        asyncio.run(floor_server(args.floor_server))
    elif args.phones_process:
        asyncio.run(phones_process(args.phones_process))
    else:
        asyncio.run(run(args))


if __name__ == "__main__":
    main()
