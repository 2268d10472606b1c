"""GET /portal/live: a websocket that pushes committed facts to portal pages (message accepted,
message status, delivery report, inbound event, an event waiting past a response rule's
deadline and its late answer) as they happen, so no page polls. Signed-in sessions only; the
Origin must be this relay (Tornado's check_origin). The socket lives as long as its session: the
relay closes it (code 4401) when the session is signed out, replaced by a new password or
expires, before it sends anything more."""
import datetime as dt
import json

import tornado.web
import tornado.websocket

from relay.core.timefmt import iso
from relay.web.base import finish_with_error
from relay.portal.access import SESSION_COOKIE
from relay.store.events import (Event, InboundAnsweredLate, InboundRecorded, InboundWaiting,
                                MessageAccepted, MessageDelivery, MessageStatus)

EVENTS = (MessageAccepted, MessageStatus, MessageDelivery, InboundRecorded, InboundWaiting,
          InboundAnsweredLate)
SESSION_ENDED = 4401     # the close code when the socket's session ends (an application code)


def _jsonable(value):
    if isinstance(value, dt.datetime):
        return iso(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


class LiveHub:
    """One bus subscriber for every open portal socket."""

    def __init__(self, bus):
        self.sockets: set = set()
        for event_type in EVENTS:
            bus.subscribe(event_type, self._publish)

    def _publish(self, event: Event) -> None:
        if not self.sockets:
            return
        text = json.dumps({"topic": event.topic, "data": event.fields()}, default=_jsonable)
        for socket in list(self.sockets):
            try:
                socket.write_message(text)
            except tornado.websocket.WebSocketClosedError:
                self.sockets.discard(socket)


class LiveSocket(tornado.websocket.WebSocketHandler):
    def initialize(self, relay):
        self.relay = relay

    def prepare(self):
        self.session = self.relay.portal.session_for(self.get_cookie(SESSION_COOKIE))
        if self.session is None:
            raise tornado.web.HTTPError(401)

    def write_error(self, status_code: int, **kwargs):
        finish_with_error(self, status_code, "sign in to the portal first"
                          if status_code == 401 else self._reason)

    def open(self):
        self.relay.live.sockets.add(self)
        self.relay.portal.when_ended(self.session, self._session_ended)

    def _session_ended(self):
        self.relay.live.sockets.discard(self)      # nothing more is sent, even before the close
        self.close(SESSION_ENDED, "the portal session ended")

    def on_message(self, message):
        """The page has nothing to say; what it sends is ignored."""

    def on_close(self):
        self.relay.live.sockets.discard(self)
        if self._session_ended in self.session.on_end:
            self.session.on_end.remove(self._session_ended)


ROUTES = [(r"/portal/live", LiveSocket)]
