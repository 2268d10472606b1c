"""GET /metrics: Prometheus exposition, for the metrics token (or the admin token)."""
import hmac

import prometheus_client

from relay.web.base import BaseHandler


class MetricsHandler(BaseHandler):
    auth = None     # its own token, checked below

    def get(self):
        token = self._bearer() or ""
        allowed = [t for t in (self.relay.settings.metrics_token, self.relay.admin_token) if t]
        if not any(hmac.compare_digest(token.encode(), t.encode()) for t in allowed):
            raise self._auth_failed("invalid_metrics_token", "send the metrics token (or the "
                                    "admin token) as 'Authorization: Bearer <token>'")
        self.set_header("Content-Type", prometheus_client.CONTENT_TYPE_LATEST)
        self.finish(self.relay.metrics.exposition())


ROUTES = [(r"/metrics", MetricsHandler)]
