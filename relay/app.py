"""The Relay object (settings, store, services) and make_app, used by the CLI and the tests."""
import datetime as dt
import logging
import os
import secrets

import tornado.web

from relay.alerts.service import start_alerts
from relay.config import Settings
from relay.core.secretbox import SecretBox
from relay.state import State
from relay.store.bus import Bus
from relay.web.diskspace import DiskGuard
from relay.phones.service import DeviceService
from relay.routes import ROUTES
from relay.web.base import NotFoundHandler
from relay.portal.live import LiveHub
from relay.web.limits import TokenBuckets
from relay.web.logs import log_request
from relay.web.metrics import Metrics
from relay.portal.access import PortalAccess
from relay.web.proxies import TrustedProxies
from relay.senders.service import start_senders
from relay.messages.scheduler import start_scheduler
from relay.store.database import Store
from relay.webhooks import sealed
from relay.webhooks.service import start_webhooks

log = logging.getLogger("relay")
ADMIN_TOKEN_FILE = "admin.token"


def _admin_token(settings: Settings) -> str:
    """The token the CLI uses to reach a running relay; readable by the data dir's owner only."""
    path = settings.data_dir / ADMIN_TOKEN_FILE
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as file:
            file.write(secrets.token_urlsafe(32))
    return path.read_text().strip()


class Relay:
    """Everything one relay process holds. The CLI builds one without HTTP when no server runs."""

    def __init__(self, settings: Settings):
        self.settings = settings
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        self.admin_token = _admin_token(settings)
        self.proxies = TrustedProxies(settings.trusted_proxies)   # who a request is from
        self.bus = Bus()
        self.metrics = None
        # bot tokens, body keys and callback secrets at rest
        self.secret_box = SecretBox.for_data_dir(settings.data_dir)
        self.state = State(dt.timedelta(days=settings.idempotency_days),
                           dt.timedelta(hours=settings.reply_window_hours), self.secret_box,
                           dt.timedelta(seconds=settings.alert_minute_seconds))
        self.store = Store(settings.data_dir, self.secret_box, self.state,
                           derive=self.state.derive,
                           sql_functions=[sealed.sql_function(self.secret_box)],
                           readers=settings.reader_threads, on_commit=self._committed,
                           memory_mb=settings.query_memory_mb, threads=settings.query_threads,
                           checkpoint_wal_mb=settings.checkpoint_wal_mb)
        self.metrics = Metrics(self)
        self.online_phones: set[str] = set()   # phone ids with a live websocket
        self.request_limits = TokenBuckets(settings.rate_limit, settings.rate_burst)
        self.auth_failures = TokenBuckets(settings.auth_failures_per_minute / 60,
                                          settings.auth_failures_per_minute)
        self.disk = DiskGuard(settings.data_dir, settings.min_free_disk_mb)
        self.webhooks = start_webhooks(self)    # webhook deliveries (on a loop; else None)
        self.devices = DeviceService(self)      # phone sockets, dispatch, expiry (on a loop)
        self.senders = start_senders(self)      # email and tg_bot delivery (on a loop)
        self.scheduler = start_scheduler(self)  # scheduled messages released on time
        self.alerts = start_alerts(self)        # deadlines of response rules (on a loop)
        self.portal = PortalAccess(self)        # the owner's password and portal sessions
        self.live = LiveHub(self.bus)           # committed facts pushed to portal pages

    def _committed(self, group_size: int, seconds: float, published: list) -> None:
        """The writer's hook after each group commit (writer thread)."""
        if self.metrics is not None:
            self.metrics.observe_commit(group_size, seconds, published)
        self.bus.from_writer(group_size, seconds, published)

    def request_done(self, handler) -> None:
        """Tornado's log_function: the access log line and the latency metric."""
        log_request(handler)
        self.metrics.observe_request(handler)

    def close(self) -> None:
        if self.webhooks is not None:
            self.webhooks.close()
        self.devices.close()
        for service in (self.senders, self.scheduler, self.alerts):
            if service is not None:
                service.close()
        self.store.close()


def routes(relay: Relay) -> list:
    args = {"relay": relay}
    return [(path, handler, args) for path, handler in ROUTES]


def make_app(settings: Settings, relay: Relay | None = None) -> tornado.web.Application:
    relay = relay or Relay(settings)
    app = tornado.web.Application(
        routes(relay),
        default_handler_class=NotFoundHandler,
        default_handler_args={"relay": relay},
        compress_response=False,
        log_function=relay.request_done,
    )
    app.relay = relay
    return app
