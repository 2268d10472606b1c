"""GET /portal/api/overview: the portal's first page. Health and phones come from memory (as
/health does); today's counts come from the webchat query's two summaries over today (UTC),
the events waiting for a reply from its waiting section over the reply window, and the recent
failures from the message list, all for the client the page chose."""
import datetime as dt

import relay
from relay.analytics import engine, filters
from relay.core.timefmt import iso, utcnow
from relay.web.base import BaseHandler
from relay.web.health import database_writable
from relay.portal.access import CLIENT_HEADER
from relay.messages import queries

RECENT_FAILURES = 5
WAITING = 50


class OverviewHandler(BaseHandler):
    auth = "portal"

    async def get(self):
        state, devices = self.relay.state, self.relay.devices
        answer = {"success": True, "version": relay.__version__,
                  "database_writable": database_writable(self.relay),
                  "disk_ok": self.relay.disk.ok(), "queue_depth": state.queue_depth(),
                  "phones": [devices.describe(p) for p in sorted(state.phones)],
                  "today": None, "waiting": [], "recent_failures": []}
        if self.request.headers.get(CLIENT_HEADER):
            answer.update(await self._client_activity())
        self.reply(200, answer)

    async def _client_activity(self) -> dict:
        midnight = utcnow().replace(hour=0, minute=0, second=0, microsecond=0)
        today = filters.parse({"from": iso(midnight), "to": iso(midnight + dt.timedelta(1))})
        limits = engine.Limits.from_settings(self.relay.settings)
        report = await self.store.read(engine.totals, self.client_id, today, limits)
        recent = filters.parse({"from": iso(utcnow() - limits.reply_window), "limit": WAITING})
        waiting = await self.store.read(engine.waiting, self.client_id, recent, limits)
        failures, _ = await self.store.read(queries.list_messages, self.store.body_keys,
                                            self.client_id, {"status": "failed"},
                                            RECENT_FAILURES, self.relay.devices.ttl)
        return {"today": {"sent": report["sent_summary"]["sent_total"],
                          "inbound": report["summary"]["inbound_total"]},
                "waiting": waiting, "recent_failures": failures}


ROUTES = [(r"/portal/api/overview", OverviewHandler)]
