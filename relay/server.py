"""`relay serve`: run the relay on one IOLoop until SIGTERM or SIGINT, then stop cleanly."""
import asyncio
import gc
import json
import logging
import os
import signal
import ssl
import sys

import tornado.httpserver
import tornado.ioloop

from relay.app import Relay, make_app
from relay.config import ConfigError, Settings
from relay.web.draining import Draining
from relay.web.base import MAX_JSON_BODY
from relay.web.logs import setup as setup_logging
from relay.admin.keys import LogKeyUse
from relay.admin.maintenance import DropOldBodies, ForgetIdempotencyKeys

log = logging.getLogger("relay")
SERVER_FILE = "server.json"
# Bodies arrive within BODY_TIMEOUT_S or the connection is closed, and a connection may
# wait IDLE_TIMEOUT_S for its next request's headers. No route takes a body over its handler's
# max_body (MAX_JSON_BODY, but for a batch of messages): the handlers refuse one by its
# Content-Length (JSON 413) before reading it, and the server cuts off any body over
# MAX_JSON_BODY that no handler let in first.
BODY_TIMEOUT_S = 30
IDLE_TIMEOUT_S = 120
HOUSEKEEPING_MS = 60_000
RETENTION_MS = 3_600_000     # bodies past body_retention_days are dropped hourly, and at start
DRAIN_LIMIT_S = 5.0      # at a stop, the longest wait for the requests admitted before it


def admin_url(settings: Settings) -> str:
    host = settings.host
    if host in ("0.0.0.0", "", "::"):
        host = "127.0.0.1"
    scheme = "https" if settings.tls_cert else "http"
    return f"{scheme}://{host}:{settings.port}"


def _log_dropped(future) -> None:
    """Runs on the writer thread once a retention run committed (or failed)."""
    if future.exception() is not None:
        log.error("retention failed: %s", future.exception())
    else:
        dropped = future.result()
        log.info("retention dropped %s message and %s inbound bodies recorded before %s",
                 dropped["message_bodies"], dropped["inbound_bodies"], dropped["before"])


def tls_context(settings: Settings) -> ssl.SSLContext | None:
    if not settings.tls_cert and not settings.tls_key:
        return None
    if not (settings.tls_cert and settings.tls_key):
        raise ConfigError("tls_cert and tls_key go together")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(settings.tls_cert, settings.tls_key)
    except (OSError, ssl.SSLError) as error:
        raise ConfigError(f"cannot load the TLS certificate or key: {error}") from None
    return context


def quiet_garbage_collector() -> None:
    """Keeps collector pauses out of request latency. What start-up built (modules, the
    loaded state) is frozen out of every later collection, and the young generation is
    collected every 20,000 allocations rather than 700, so that under load full collections
    are rare and short: they set the send path's p99 (docs/performance.md). (Thawed at
    shutdown.)"""
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 10, 10)


def http_server(app, ssl_options: ssl.SSLContext | None = None):
    return tornado.httpserver.HTTPServer(
        app, ssl_options=ssl_options, max_body_size=MAX_JSON_BODY, body_timeout=BODY_TIMEOUT_S,
        idle_connection_timeout=IDLE_TIMEOUT_S)


class Server:
    def __init__(self, settings: Settings):
        if settings.body_retention_days < 0:
            raise ConfigError("body_retention_days must be 0 (keep forever) or more")
        self.settings = settings
        self.relay = Relay(settings)
        self.app = Draining(make_app(settings, self.relay))   # refuses requests once stopping
        self.http = http_server(self.app, tls_context(settings))
        self._stopped = asyncio.Event()

    def _housekeeping(self) -> None:
        for op in (LogKeyUse(), ForgetIdempotencyKeys()):
            self.relay.store.writer.submit(op)

    def _retention(self) -> None:
        if self.settings.body_retention_days:
            self.relay.store.writer.submit(DropOldBodies(
                self.settings.body_retention_days)).add_done_callback(_log_dropped)

    async def run(self) -> None:
        quiet_garbage_collector()
        self.http.listen(self.settings.port, self.settings.host)
        server_file = self.settings.data_dir / SERVER_FILE
        server_file.write_text(json.dumps({"url": admin_url(self.settings), "pid": os.getpid()}))
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self._stopped.set)
        periodic = [tornado.ioloop.PeriodicCallback(self._housekeeping, HOUSEKEEPING_MS),
                    tornado.ioloop.PeriodicCallback(self._retention, RETENTION_MS)]
        for job in periodic:
            job.start()
        self._retention()
        log.info("relay listening on %s:%s (data in %s)", self.settings.host,
                 self.settings.port, self.settings.data_dir)
        print(json.dumps({"event": "listening", "url": self.settings.url}), flush=True)
        if self.relay.portal.setup_code is not None:
            log.warning("no portal password is set: open %s and use the setup code",
                        self.settings.url)
            print(json.dumps({"event": "portal_setup", "url": self.settings.url,
                              "setup_code": self.relay.portal.setup_code}), flush=True)
            if sys.stderr.isatty():   # a person watches: not only inside JSON (logs stay JSON)
                print(f"\nPortal: open {self.settings.url}/ in a browser and enter the one-time "
                      f"setup code {self.relay.portal.setup_code} to choose the owner's "
                      "password (or run: relay admin set-password).\n", file=sys.stderr,
                      flush=True)
        await self._stopped.wait()
        log.info("stopping")
        for job in periodic:
            job.stop()
        self.http.stop()                      # no new connections
        self.app.stop_admitting()             # nor requests: a 503 on kept-alive connections
        await self.app.drained(DRAIN_LIMIT_S)  # what was admitted is answered
        await self.http.close_all_connections()
        self._housekeeping()
        await loop.run_in_executor(None, self.relay.close)   # commits what is queued
        server_file.unlink(missing_ok=True)
        gc.unfreeze()        # the final collection frees DuckDB's objects cleanly


def serve(settings: Settings) -> int:
    # Short GIL switch interval: the writer and reader threads wait on the GIL behind a busy
    # IOLoop for up to this long at every DuckDB call, and a group commit makes several.
    sys.setswitchinterval(0.0005)
    setup_logging(settings.log_level)

    async def main():
        await Server(settings).run()   # built inside the loop: the Relay's bus attaches to it
    asyncio.run(main())
    return 0
