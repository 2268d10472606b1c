"""GET /health: no auth; 503 when the database cannot be written."""
import relay
from relay.handlers.base import BaseHandler


class HealthHandler(BaseHandler):
    auth = None

    def get(self):
        writable = self.store.writer.healthy and self.store.writer.alive
        self.reply(200 if writable else 503, {
            "success": writable,
            "status": "ok" if writable else "degraded",
            "database": "writable" if writable else "not writable",
            "version": relay.__version__,
            "queue_depth": self.relay.state.queue_depth(),
            "phones_online": len(self.relay.online_phones),
            "phones_configured": len(self.relay.state.phones),
        })


ROUTES = [(r"/health", HealthHandler)]
