"""The webhook part of the in-memory state: callbacks, which open messages have a status
callback, and the deliveries still to make. Loaded from the log at start-up; changed only by
the writer thread after a commit (like every part of relay/state.py). Callbacks' secrets are
held here in clear, and sealed in the log (relay/webhooks/sealed.py)."""
import dataclasses
import datetime as dt
import logging

from relay.core.secretbox import SecretUnreadable
from relay.webhooks import sealed
from relay.webhooks.definition import CallbackSpec
from relay.webhooks.payload import TEXT_JOIN, sent_payload

log = logging.getLogger("relay.webhooks")


@dataclasses.dataclass
class Callback:
    callback_id: str
    client_id: str
    spec: CallbackSpec
    secret: str | None             # None: sealed under another secrets.key (then inactive)
    created_at: dt.datetime
    updated_at: dt.datetime
    deactivated_reason: str | None = None


@dataclasses.dataclass
class DueDelivery:
    delivery_id: str
    callback_id: str
    payload: str
    cycle_started: dt.datetime     # creation or the latest redelivery: the retry window's start
    attempts: int                  # made so far, all cycles
    cycle_attempts: int            # made in this cycle: the backoff's exponent
    next_at: dt.datetime


_SPEC_COLUMNS = ("callback_url", "channels", "event_types", "source_filter", "keyword_filter",
                 "min_duration_sec", "max_duration_sec", "active")
CALLBACK_COLUMNS = ("event", "recorded_at", "callback_id", "client_id", "sealed_secrets",
                    "reason") + _SPEC_COLUMNS
UNREADABLE = ("its secret does not open with this data dir's secrets.key; register it again "
              "for a new one")

# Deliveries whose latest event leaves them pending: none yet, a redelivery, or a failed
# attempt with a next try.
_DUE = f"""
    WITH events AS (
        SELECT delivery_id, arg_max(event, seq) AS last_event,
               arg_max(next_attempt_at, seq) AS next_at,
               count(*) FILTER (WHERE event = 'attempt') AS attempts,
               max(seq) FILTER (WHERE event = 'redeliver') AS redeliver_seq,
               max(recorded_at) FILTER (WHERE event = 'redeliver') AS redelivered_at
        FROM webhook_delivery_events GROUP BY delivery_id)
    SELECT d.delivery_id, d.callback_id, d.kind, d.payload, ib.text,
           coalesce(e.redelivered_at, d.recorded_at),
           coalesce(e.attempts, 0),
           (SELECT count(*) FROM webhook_delivery_events a WHERE a.delivery_id = d.delivery_id
              AND a.event = 'attempt' AND a.seq > coalesce(e.redeliver_seq, 0)),
           CASE WHEN e.last_event = 'attempt' THEN e.next_at ELSE d.recorded_at END
    FROM webhook_deliveries d LEFT JOIN events e USING (delivery_id) {TEXT_JOIN}
    WHERE e.last_event IS NULL OR e.last_event = 'redeliver'
       OR (e.last_event = 'attempt' AND e.next_at IS NOT NULL)"""


class WebhookState:
    def __init__(self, secret_box):
        self._box = secret_box
        self.callbacks: dict[str, Callback] = {}
        self.by_url: dict[tuple[str, str], str] = {}     # (client, url) -> callback_id
        self.message_callbacks: dict[str, str] = {}      # open message_id -> callback_id
        self.due: dict[str, DueDelivery] = {}            # delivery_id -> what to send when

    def client_callbacks(self, client_id: str) -> list[Callback]:
        return [c for c in list(self.callbacks.values()) if c.client_id == client_id]

    def active_callbacks(self) -> list[Callback]:
        return [c for c in list(self.callbacks.values()) if c.spec.active]

    def seal(self, callback_id: str, secret: str, callback_token: str | None) -> bytes:
        return sealed.seal(self._box, callback_id, secret, callback_token)

    def load(self, con, open_messages) -> None:
        for values in con.execute(f"SELECT {', '.join(CALLBACK_COLUMNS)} FROM callback_events "
                                  "ORDER BY seq").fetchall():
            row = dict(zip(CALLBACK_COLUMNS, values))
            self.apply_callback_event(row, *self._opened(row))
        for message_id, callback_id in con.execute(
                "SELECT message_id, callback_id FROM message_callbacks").fetchall():
            if message_id in open_messages:
                self.message_callbacks[message_id] = callback_id
        for delivery_id, callback_id, kind, stored, text, *timing in con.execute(
                _DUE).fetchall():
            self.due[delivery_id] = DueDelivery(delivery_id, callback_id,
                                                sent_payload(kind, stored, text), *timing)

    def _opened(self, row: dict) -> tuple:
        """(secret, callback_token) of a 'set' row; Nones if they do not open (a replaced
        secrets.key): that callback is then loaded inactive."""
        if row["event"] != "set":
            return None, None
        try:
            return sealed.open_sealed(self._box, row["callback_id"], row["sealed_secrets"])
        except SecretUnreadable:
            log.warning("callback %s: %s", row["callback_id"], UNREADABLE)
            return None, None

    def apply_callback_event(self, row: dict, secret: str | None = None,
                             callback_token: str | None = None) -> None:
        """row: a callback_events row; a 'set' comes with its secrets in clear."""
        callback_id, event = row["callback_id"], row["event"]
        known = self.callbacks.get(callback_id)
        if event == "set":
            spec = CallbackSpec(**{name: row[name] for name in _SPEC_COLUMNS} | {
                "channels": tuple(row["channels"] or ()),
                "event_types": tuple(row["event_types"] or ()),
                "callback_token": callback_token})
            self.callbacks[callback_id] = Callback(
                callback_id, row["client_id"], spec, secret,
                known.created_at if known else row["recorded_at"], row["recorded_at"])
            self.by_url[(row["client_id"], spec.callback_url)] = callback_id
            if secret is None:
                self._deactivate(self.callbacks[callback_id], UNREADABLE, row["recorded_at"])
        elif event == "deactivated" and known is not None:
            self._deactivate(known, row["reason"], row["recorded_at"])
        elif event == "deleted" and known is not None:
            del self.callbacks[callback_id]
            self.by_url.pop((known.client_id, known.spec.callback_url), None)

    @staticmethod
    def _deactivate(callback: Callback, reason: str, at: dt.datetime) -> None:
        callback.spec = dataclasses.replace(callback.spec, active=False)
        callback.deactivated_reason = reason
        callback.updated_at = at
