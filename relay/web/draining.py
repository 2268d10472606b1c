"""Stopping without a commit nobody hears of. Once the relay stops (SIGTERM), a request that
arrives on a kept-alive connection is answered 503 with `Connection: close` as soon as its
headers are read, before its body, so nothing it asks for is started; every request admitted
before runs on to its answer, and only then are the connections closed. A client is therefore
never left without an answer for a request that was committed, and may retry any request that
got a 503 or no answer.

Draining wraps the Tornado application as the server's connection delegate: it sees each
request's headers first and counts the admitted requests until their answers are written."""
import asyncio
import json
import logging

import tornado.httputil

log = logging.getLogger("relay")
REFUSAL = json.dumps({"success": False, "error": {
    "code": "shutting_down", "message": "the relay is stopping; send this request again "
                                        "shortly", "field": None}}).encode()


class Draining(tornado.httputil.HTTPServerConnectionDelegate):
    def __init__(self, app):
        self.app = app
        self.stopping = False
        self._in_flight = 0
        self._drained = asyncio.Event()

    def start_request(self, server_conn, request_conn):
        return _Admission(self, server_conn, request_conn)

    def on_close(self, server_conn):
        self.app.on_close(server_conn)

    def stop_admitting(self) -> None:
        self.stopping = True
        if not self._in_flight:
            self._drained.set()

    async def drained(self, limit_s: float) -> None:
        """Returns once every admitted request was answered, or after limit_s."""
        try:
            await asyncio.wait_for(self._drained.wait(), limit_s)
        except TimeoutError:
            log.warning("stopping with %d requests unanswered after %s s", self._in_flight,
                        limit_s)

    def _admitted(self) -> None:
        self._in_flight += 1

    def _answered(self) -> None:
        self._in_flight -= 1
        if self.stopping and not self._in_flight:
            self._drained.set()


class _Admission(tornado.httputil.HTTPMessageDelegate):
    """One request: refused if it arrives once stopping, else handed to the application."""

    def __init__(self, draining: Draining, server_conn, request_conn):
        self._draining = draining
        self._server_conn, self._conn = server_conn, request_conn
        self._delegate = None        # the application's, once admitted
        self._running = False        # its handler runs: it will write the answer
        self._counted = False

    def headers_received(self, start_line, headers):
        if self._draining.stopping:
            _refuse(self._conn, start_line.method)
            return None
        self._draining._admitted()
        self._counted = True
        self._delegate = self._draining.app.start_request(
            self._server_conn, _AnswerWatch(self._conn, self._done))
        return self._delegate.headers_received(start_line, headers)

    def data_received(self, chunk):
        if self._delegate is not None:
            return self._delegate.data_received(chunk)
        return None

    def finish(self):
        if self._delegate is not None:
            self._running = True
            self._delegate.finish()

    def on_connection_close(self):
        if self._delegate is not None:
            self._delegate.on_connection_close()
            if not self._running:      # gone before its handler ran: no answer will come
                self._done()

    def _done(self) -> None:
        if self._counted:
            self._counted = False
            self._draining._answered()


class _AnswerWatch:
    """The request's connection as the application sees it, telling when the answer is whole
    (or the connection was handed to a websocket)."""

    def __init__(self, conn, done):
        self._conn, self._done = conn, done

    def __getattr__(self, name):
        return getattr(self._conn, name)

    def finish(self):
        try:
            self._conn.finish()
        finally:
            self._done()

    def detach(self):
        self._done()
        return self._conn.detach()


def _refuse(conn, method: str) -> None:
    body = b"" if method == "HEAD" else REFUSAL
    headers = tornado.httputil.HTTPHeaders({
        "Content-Type": "application/json; charset=UTF-8", "Content-Length": str(len(REFUSAL)),
        "Connection": "close", "Retry-After": "1"})
    conn.write_headers(tornado.httputil.ResponseStartLine("HTTP/1.1", 503, "Service Unavailable"),
                       headers, body)
    conn.finish()       # before the body is read: Tornado closes the connection once written
