"""The reference phone agent: pairs, connects, reconnects with backoff, delivers through a
backend (relay/agent/backends/), de-duplicates by message_id, reports inbound events and
delivery reports until acknowledged, and sends heartbeats carrying the backend's channels.
The worked example of docs/device-protocol.md for phone app developers.

Never sends a message twice: each attempt is journaled before the backend gets it, and a
message redelivered after an attempt whose outcome is unknown (the agent died mid-send) is
reported failed rather than sent again."""
import asyncio
import json
import logging
import pathlib

import tornado.httpclient
import tornado.iostream
import tornado.websocket

import relay
from relay.core.statuses import FINAL
from relay.core.timefmt import iso, parse_iso, utcnow
from relay.agent import protocol
from relay.agent.backends import refusal
from relay.agent.files import write_json
from relay.agent.journal import Journal

log = logging.getLogger("relay.agent")
CREDENTIALS_FILE = "credentials.json"
JOURNAL_FILE = "journal.jsonl"
BACKOFF_FIRST, BACKOFF_MAX = 0.2, 30.0
RETRYABLE = (OSError, tornado.iostream.StreamClosedError, tornado.httpclient.HTTPClientError,
             tornado.websocket.WebSocketError)


class AgentStopped(Exception):
    """The relay ended this phone's access (revoked, replaced, or a bad pairing code)."""


class Credentials:
    """relay_url, phone_id, refresh_token (and the current access token), saved atomically in
    the state dir so that a restarted agent needs no new pairing code."""

    def __init__(self, path: pathlib.Path | None):
        self.path = path
        self.data: dict = {}
        if path is not None and path.exists():
            self.data = json.loads(path.read_text())

    def save(self, **values) -> None:
        self.data.update(values)
        if self.path is not None:
            write_json(self.path, self.data, mode=0o600)


class Agent:
    def __init__(self, backend, relay_url: str | None = None, state_dir=None,
                 pairing_code: str | None = None):
        state_dir = pathlib.Path(state_dir) if state_dir is not None else None
        self.backend = backend
        self.credentials = Credentials(state_dir / CREDENTIALS_FILE if state_dir else None)
        self.relay_url = (relay_url or self.credentials.data.get("relay_url") or "").rstrip("/")
        if not self.relay_url:
            raise ValueError("give the relay's URL (--relay) or a state dir holding credentials")
        self.pairing_code = pairing_code
        self.journal = Journal(state_dir / JOURNAL_FILE if state_dir else None)
        self.http = tornado.httpclient.AsyncHTTPClient(force_instance=True)
        self.connection = None
        self.heartbeat_seconds = 30
        self.connected = asyncio.Event()        # set while a connection is up (tests wait on it)
        self._outbox: dict[tuple[str, str], dict] = {}   # frames waiting for their ack
        self._working: dict[str, asyncio.Future] = {}     # message ids the backend has now
        self._tasks: set[asyncio.Task] = set()
        self._run_task: asyncio.Task | None = None
        self.stopping = False
        for event in self.journal.unacked_inbound.values():
            self._outbox[("inbound", event["event_id"])] = {"type": "inbound", **event}
        for message_id, report in self.journal.unacked_deliveries.items():
            self._outbox[("delivery", message_id)] = protocol.delivery_frame(message_id, report)

    @property
    def phone_id(self) -> str | None:
        return self.credentials.data.get("phone_id")

    # -- tokens ----------------------------------------------------------------------------
    async def _grant(self, path: str, body: dict) -> None:
        response = await self.http.fetch(
            self.relay_url + path, method="POST", body=json.dumps(body), raise_error=False,
            headers={"Content-Type": "application/json"}, request_timeout=30)
        if response.code == 599:
            raise OSError(f"the relay did not answer: {response.error}")
        answer = json.loads(response.body or b"{}")
        if response.code in (400, 401):
            raise AgentStopped(answer.get("error", {}).get("message", "refused"))
        if response.code != 200:
            raise OSError(f"the relay answered {response.code}")
        # Saved before use: a refresh token is good for one exchange only.
        self.credentials.save(relay_url=self.relay_url, phone_id=answer["phone_id"],
                              refresh_token=answer["refresh_token"],
                              access_token=answer["access_token"])

    async def pair(self, code: str) -> None:
        await self._grant("/api/v1/device/pair", {"pairing_code": code})

    async def refresh(self) -> None:
        token = self.credentials.data.get("refresh_token")
        if token is None:
            raise AgentStopped("no credentials: pair with a pairing code")
        await self._grant("/api/v1/device/token", {"refresh_token": token})

    # -- the connection loop ---------------------------------------------------------------
    async def run(self) -> None:
        """Runs until the relay ends the phone's access (AgentStopped) or the task is
        cancelled. Connection failures are retried with exponential backoff."""
        self._run_task = asyncio.current_task()
        reporters = [asyncio.ensure_future(self._follow(self.backend.incoming,
                                                        self.report_inbound)),
                     asyncio.ensure_future(self._follow(
                         self.backend.delivery_reports, lambda pair: self.report_delivery(*pair)))]
        backoff = BACKOFF_FIRST
        try:
            while not self.stopping:
                try:
                    connection = await self._open()
                except RETRYABLE as error:
                    log.info("relay unreachable (%s); retrying in %.1f s", error, backoff)
                    await asyncio.sleep(backoff)
                    backoff = min(BACKOFF_MAX, backoff * 2)
                    continue
                backoff = BACKOFF_FIRST
                code = await self._session(connection)
                if code in (protocol.CLOSE_REPLACED, protocol.CLOSE_REVOKED):
                    raise AgentStopped(f"the relay closed the connection: {code} "
                                       f"{connection.close_reason}")
                if code == protocol.CLOSE_TOKEN_EXPIRED:
                    self.credentials.data.pop("access_token", None)
        finally:
            for task in (*reporters, *self._tasks):
                task.cancel()

    def stop(self) -> None:
        """Ends run(): closes the connection, after which run() returns, or cancels run()
        while it is not connected."""
        self.stopping = True
        if self.connection is not None:
            self.connection.close(1000, "the phone agent is stopping")
        elif self._run_task is not None:
            self._run_task.cancel()

    async def _open(self):
        """Pairs or renews the access token as needed, then opens the websocket."""
        if self.pairing_code is not None:
            await self.pair(self.pairing_code)
            self.pairing_code = None
        if "access_token" not in self.credentials.data:
            await self.refresh()
        try:
            return await self._connect()
        except tornado.httpclient.HTTPClientError as error:
            if error.code != 401:     # 401: the access token expired or was refused
                raise
        await self.refresh()
        return await self._connect()

    async def _connect(self):
        url = "ws" + self.relay_url[len("http"):] + "/api/v1/device/ws"
        request = tornado.httpclient.HTTPRequest(
            url, headers={"Authorization": "Bearer " + self.credentials.data["access_token"]},
            connect_timeout=10, request_timeout=10)
        return await tornado.websocket.websocket_connect(request,
                                                         max_message_size=protocol.MAX_FRAME)

    async def _session(self, connection) -> int | None:
        self.connection = connection
        self.connected.set()
        for (kind, key), frame in list(self._outbox.items()):   # unacknowledged reports go
            if kind != "delivery" or ("status", key) not in self._outbox:   # again
                self._write(frame)
        heartbeats = asyncio.ensure_future(self._heartbeats())
        try:
            while (raw := await connection.read_message()) is not None:
                self._on_frame(json.loads(raw))
        finally:
            heartbeats.cancel()
            connection.close()        # a no-op when the relay closed it
            self.connection = None
            self.connected.clear()
        return connection.close_code

    def _write(self, frame: dict) -> None:
        if self.connection is not None:
            try:
                self.connection.write_message(protocol.encode(frame))
            except tornado.websocket.WebSocketClosedError:
                pass      # the outbox keeps it for the next connection

    def _on_frame(self, frame: dict) -> None:
        kind = frame.get("type")
        if kind == "deliver":
            self._spawn(self._deliver(frame))
        elif kind == "ack":
            self._acked(frame)
        elif kind == "hello":
            self.heartbeat_seconds = frame.get("heartbeat_seconds", self.heartbeat_seconds)
        elif kind == "error":
            log.warning("the relay refused a frame: %s", frame)
            key = ("inbound", frame.get("event_id")) if frame.get("frame_type") == "inbound" \
                else ("status", frame.get("message_id"))
            if key not in self._outbox:         # the status frame of a delivery report
                key = ("delivery", key[1])
            if frame.get("code") != "storage_unavailable":   # a bad frame: sending it again
                self._outbox.pop(key, None)                  # would not help

    def _spawn(self, coroutine) -> None:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _acked(self, frame: dict) -> None:
        if frame.get("for") == "inbound":
            self._outbox.pop(("inbound", frame["event_id"]), None)
            self.journal.inbound_acked(frame["event_id"])
            self._spawn(self.backend.acknowledged(frame["event_id"]))
        elif frame.get("for") == "status" and frame.get("status") in FINAL:
            message_id = frame["message_id"]
            if self._outbox.pop(("status", message_id), None) is not None:
                # A delivery report waits for the final status it refines to be recorded.
                if ("delivery", message_id) in self._outbox:
                    self._write(self._outbox[("delivery", message_id)])
            elif self._outbox.pop(("delivery", message_id), None) is not None:
                self.journal.delivery_acked(message_id)

    # -- delivering ------------------------------------------------------------------------
    async def _deliver(self, frame: dict) -> None:
        message_id = frame["message_id"]
        if message_id in self._working:        # redelivered while the backend still has it
            await self._working[message_id]
            return
        result = self.journal.results.get(message_id)
        if result is None:
            done = asyncio.get_running_loop().create_future()
            self._working[message_id] = done
            try:
                result = await self._attempt(frame)
            finally:
                del self._working[message_id]
                done.set_result(None)
        self._report(result)

    async def _attempt(self, frame: dict) -> dict:
        message_id, expires_at = frame["message_id"], frame.get("expires_at")

        def outcome(status, error, delivered_at=None, references=()):
            return self.journal.result(message_id, status, error, delivered_at, expires_at,
                                       references)
        refused = refusal(self.backend, frame)
        if refused is not None:
            return outcome("failed", refused)
        if message_id in self.journal.attempted:
            return outcome("failed", "interrupted while sending; not sent again to avoid a "
                           "duplicate")
        if expires_at and parse_iso(expires_at) <= utcnow():
            return outcome("failed", "expired before it was sent")
        self.journal.attempt(message_id, expires_at)
        self._write({"type": "status", "message_id": message_id, "status": "sending"})
        try:
            result = await self.backend.send(frame)
        except Exception as failure:   # a broken backend fails the message, not the agent
            log.exception("the backend failed on %s", message_id)
            return outcome("failed", f"backend error: {failure}")
        if result.status == "failed":
            log.warning("%s failed: %s", message_id, result.error)
        return outcome(result.status, result.error,
                       iso(utcnow()) if result.status == "sent" else None, result.references)

    def _report(self, result: dict) -> None:
        frame = {"type": "status", "message_id": result["result"], "status": result["status"]}
        for name in ("error", "delivered_at"):
            if result.get(name) is not None:
                frame[name] = result[name]
        self._outbox[("status", frame["message_id"])] = frame
        self._write(frame)

    # -- inbound and heartbeats ------------------------------------------------------------
    async def _follow(self, source, report) -> None:
        """Reports what the backend's iterator yields; an iterator that breaks is logged and
        started again after a pause, so one bad read does not end the phone's inbound."""
        while True:
            try:
                async for item in source():
                    report(item)
                return
            except Exception:
                log.exception("the %s backend failed while reading; trying again in %.0f s",
                              self.backend.name, BACKOFF_MAX)
                await asyncio.sleep(BACKOFF_MAX)

    def report_inbound(self, event: dict) -> None:
        """Journals an incoming event, then reports it until the relay acknowledges it. An
        event already waiting for its ack (a backend read it again after a restart) is not
        journaled twice."""
        if event["event_id"] not in self.journal.unacked_inbound:
            self.journal.inbound(event)
        frame = {"type": "inbound", **event}
        self._outbox[("inbound", event["event_id"])] = frame
        self._write(frame)

    def report_delivery(self, message_id: str, report: dict) -> None:
        """Journals a delivery report, then passes it on as a status frame once the message's
        final status was acknowledged, until the relay acknowledges the report too."""
        self.journal.delivery(message_id, report)
        frame = protocol.delivery_frame(message_id, report)
        self._outbox[("delivery", message_id)] = frame
        if ("status", message_id) not in self._outbox:
            self._write(frame)

    async def _heartbeats(self) -> None:
        while True:
            vitals = {name: value for name, value in (await self.backend.vitals()).items()
                      if value is not None}
            self._write({"type": "heartbeat", "app_version": relay.__version__,
                         "channels": sorted(self.backend.channels), **vitals})
            await asyncio.sleep(self.heartbeat_seconds)

    def close(self) -> None:
        self.http.close()
        self.journal.close()
