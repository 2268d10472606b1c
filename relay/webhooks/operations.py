"""Webhook operations: registering and deleting callbacks, the outbox rows written with the
events they announce, and each delivery's attempts, cancellation and redelivery."""
import dataclasses
import datetime as dt

from relay.core.errors import ApiError, bad_request, not_found
from relay.core.ids import random_id
from relay.core.timefmt import iso, utcnow
from relay.store.events import WebhookAttempted, WebhookQueued
from relay.store.writer import Batch, Operation, Scratch
from relay.webhooks import schedule, signing
from relay.webhooks.definition import CallbackSpec
from relay.webhooks.payload import sent_payload, stored_payload
from relay.webhooks.state import Callback, DueDelivery

MAX_CALLBACKS = 100           # per client
# The callbacks registered earlier in the same group: (client_id, callback_url) -> callback_id.
URLS_IN_GROUP: Scratch[dict[tuple[str, str], str]] = Scratch(dict)


def describe(callback: Callback) -> dict:
    """A callback as its client sees it: never the token or the secret."""
    spec = callback.spec
    return {"id": callback.callback_id, "callback_url": spec.callback_url,
            "channels": list(spec.channels), "event_types": list(spec.event_types),
            "source_filter": spec.source_filter, "keyword_filter": spec.keyword_filter,
            "min_duration_sec": spec.min_duration_sec, "max_duration_sec": spec.max_duration_sec,
            "has_callback_token": spec.callback_token is not None, "active": spec.active,
            "deactivated_reason": callback.deactivated_reason,
            "created_at": iso(callback.created_at), "updated_at": iso(callback.updated_at)}


def _callback_event(batch: Batch, event: str, callback_id: str, client_id: str,
                    secrets: tuple = (), **columns) -> None:
    """secrets: a 'set' event's (secret, callback_token), sealed into its row."""
    row = {"seq": batch.next_seq(), "recorded_at": utcnow(), "event": event,
           "callback_id": callback_id, "client_id": client_id, **columns}
    if secrets:
        row["sealed_secrets"] = batch.state.webhooks.seal(callback_id, *secrets)
    batch.add("callback_events", row)
    batch.after_commit(lambda: batch.state.webhooks.apply_callback_event(row, *secrets))


@dataclasses.dataclass
class RegisterCallback(Operation):
    """Creates the client's callback for the URL, or replaces the definition of the one it has;
    either way with a new signing secret, returned this once."""
    client_id: str
    spec: CallbackSpec

    def stage(self, batch):
        slot = (self.client_id, self.spec.callback_url)
        claimed = batch.scratch(URLS_IN_GROUP)
        callback_id = claimed.get(slot) or batch.state.webhooks.by_url.get(slot)
        created = callback_id is None
        if created and len(batch.state.webhooks.client_callbacks(self.client_id)) >= MAX_CALLBACKS:
            raise ApiError(409, "too_many_callbacks", f"a client has at most {MAX_CALLBACKS} "
                           "callbacks; delete one first", "callback_url")
        callback_id = callback_id or random_id("cb_", 10)
        claimed[slot] = callback_id
        secret = signing.new_secret()
        spec = dataclasses.asdict(self.spec)
        secrets = (secret, spec.pop("callback_token"))
        _callback_event(batch, "set", callback_id, self.client_id, secrets, **spec)
        return {"id": callback_id, "secret": secret, "created": created}


@dataclasses.dataclass
class DeleteCallback(Operation):
    """Deliveries still pending to it are cancelled when they come due."""
    client_id: str
    callback_id: str | None = None
    callback_url: str | None = None

    def stage(self, batch):
        webhooks = batch.state.webhooks
        callback_id = self.callback_id or webhooks.by_url.get((self.client_id,
                                                               self.callback_url))
        callback = webhooks.callbacks.get(callback_id)
        if callback is None or callback.client_id != self.client_id:
            field = "id" if self.callback_id else "callback_url"
            raise not_found("unknown_callback", "no such callback", field)
        _callback_event(batch, "deleted", callback_id, self.client_id)
        return callback_id


# -- the outbox ---------------------------------------------------------------------------

def _enqueue(batch: Batch, callback: Callback, kind: str, subject_id: str, body: dict) -> None:
    now = utcnow()
    delivery_id = random_id("wh_")
    kept = stored_payload({"type": kind, "callback_id": callback.callback_id, **body})
    batch.add("webhook_deliveries", {
        "seq": batch.next_seq(), "recorded_at": now, "delivery_id": delivery_id,
        "callback_id": callback.callback_id, "client_id": callback.client_id, "kind": kind,
        "subject_id": subject_id, "payload": kept})
    due = DueDelivery(delivery_id, callback.callback_id,
                      sent_payload(kind, kept, body.get("text")), now, 0, 0, now)
    batch.after_commit(lambda: batch.state.webhooks.due.__setitem__(delivery_id, due))
    batch.publish(WebhookQueued(delivery_id, now))


def stage_inbound_deliveries(batch: Batch, row: dict, payload: dict) -> None:
    """One delivery to every active callback whose filters the new inbound event passes."""
    for callback in batch.state.webhooks.active_callbacks():
        if callback.spec.matches(row):
            _enqueue(batch, callback, "inbound", row["event_id"], payload)


def stage_phone_deliveries(batch: Batch, kind: str, phone_id: str, payload: dict) -> None:
    """One delivery of a phone's transition (phone.offline, phone.online) to every active
    callback that asked for it in its event_types; phones belong to the relay, so every
    client's callbacks may."""
    for callback in batch.state.webhooks.active_callbacks():
        if kind in callback.spec.event_types:
            _enqueue(batch, callback, kind, phone_id, payload)


def stage_client_deliveries(batch: Batch, client_id: str, kind: str, subject_id: str,
                            body: dict, event: dict, callback_url: str | None = None) -> None:
    """A delivery of a fact about an inbound event (relay/alerts/) to one client: to its
    active callback at callback_url when one is named, else to each of its active callbacks
    whose filters pass the event (an inbound_events row with its text): those that got it."""
    for callback in batch.state.webhooks.client_callbacks(client_id):
        chosen = (callback.spec.callback_url == callback_url if callback_url is not None
                  else callback.spec.matches(event))
        if callback.spec.active and chosen:
            _enqueue(batch, callback, kind, subject_id, body)


def status_callback_id(state, client_id: str, url: str) -> str:
    """The client's active callback registered at a message's status_callback_url."""
    callback_id = state.webhooks.by_url.get((client_id, url))
    if callback_id is None or not state.webhooks.callbacks[callback_id].spec.active:
        raise bad_request("status_callback_url", "register this URL first with POST "
                          "/api/v1/webchat/callbacks/inbound (event_types [] for status "
                          "callbacks only); it must be active", "unregistered_callback")
    return callback_id


def stage_message_callback(batch: Batch, message_id: str, callback_id: str) -> None:
    batch.add("message_callbacks", {"seq": batch.next_seq(), "recorded_at": utcnow(),
                                    "message_id": message_id, "callback_id": callback_id})
    batch.after_commit(lambda: batch.state.webhooks.message_callbacks.__setitem__(
        message_id, callback_id))


def stage_status_delivery(batch: Batch, message_id: str, body: dict, terminal: bool) -> None:
    """A status change of a message sent with a status_callback_url."""
    webhooks = batch.state.webhooks
    callback = webhooks.callbacks.get(webhooks.message_callbacks.get(message_id))
    if callback is not None:
        _enqueue(batch, callback, "message.status", message_id, body)
    if terminal:
        batch.after_commit(lambda: webhooks.message_callbacks.pop(message_id, None))


def stage_late_status_delivery(batch: Batch, callback_id: str, message_id: str,
                               body: dict) -> None:
    """A report on a message whose status is final already (a delivery report): memory no
    longer holds its callback, so the caller names it."""
    callback = batch.state.webhooks.callbacks.get(callback_id)
    if callback is not None:
        _enqueue(batch, callback, "message.status", message_id, body)


# -- what happens to a delivery -----------------------------------------------------------

def _delivery_event(batch: Batch, delivery_id: str, event: str, **columns) -> dict:
    row = {"seq": batch.next_seq(), "recorded_at": utcnow(), "delivery_id": delivery_id,
           "event": event, **columns}
    batch.add("webhook_delivery_events", row)
    return row


@dataclasses.dataclass
class RecordAttempt(Operation):
    """One try's outcome; schedules the next try, or ends the delivery. A 410 also
    deactivates the callback."""
    delivery_id: str
    delivered: bool
    status_code: int | None
    error: str | None
    duration_ms: int
    retry_after: dt.timedelta | None = None

    def stage(self, batch):
        webhooks = batch.state.webhooks
        due = webhooks.due.get(self.delivery_id)
        if due is None:          # ended meanwhile (cancelled): nothing more to schedule
            return None
        now = utcnow()
        gone = self.status_code == 410
        next_at = None
        if not (self.delivered or gone):
            next_at = schedule.next_attempt(due.cycle_started, due.cycle_attempts + 1, now,
                                            self.retry_after)
        outcome = "delivered" if self.delivered else "failed"
        _delivery_event(batch, self.delivery_id, "attempt", attempt=due.attempts + 1,
                        outcome=outcome, status_code=self.status_code, error=self.error,
                        duration_ms=self.duration_ms, next_attempt_at=next_at)
        batch.publish(WebhookAttempted(self.delivery_id, outcome))
        if gone and due.callback_id in webhooks.callbacks:
            callback = webhooks.callbacks[due.callback_id]
            _callback_event(batch, "deactivated", callback.callback_id, callback.client_id,
                            reason=f"the receiver answered 410 Gone at {iso(now)}")

        def apply():
            if next_at is None:
                webhooks.due.pop(self.delivery_id, None)
            else:
                webhooks.due[self.delivery_id] = dataclasses.replace(
                    due, attempts=due.attempts + 1, cycle_attempts=due.cycle_attempts + 1,
                    next_at=next_at)
        batch.after_commit(apply)
        return next_at


@dataclasses.dataclass
class CancelDelivery(Operation):
    delivery_id: str
    reason: str

    def stage(self, batch):
        due = batch.state.webhooks.due
        if self.delivery_id in due:
            _delivery_event(batch, self.delivery_id, "cancelled", error=self.reason)
            batch.after_commit(lambda: due.pop(self.delivery_id, None))


@dataclasses.dataclass
class Redeliver(Operation):
    """Sends a delivery again now, with the same webhook-id and body, and a fresh retry
    window. `delivery` is the row the handler read (the client's own)."""
    delivery: dict

    def stage(self, batch):
        webhooks, delivery = batch.state.webhooks, self.delivery
        callback = webhooks.callbacks.get(delivery["callback_id"])
        if callback is None:
            raise ApiError(409, "callback_deleted", "the delivery's callback was deleted",
                           "delivery_id")
        if not callback.spec.active:
            raise ApiError(409, "callback_inactive", "the delivery's callback is inactive; "
                           "register it again with active true", "delivery_id")
        row = _delivery_event(batch, delivery["delivery_id"], "redeliver")
        due = DueDelivery(delivery["delivery_id"], callback.callback_id, delivery["payload"],
                          row["recorded_at"], delivery["attempts"], 0, row["recorded_at"])
        batch.after_commit(lambda: webhooks.due.__setitem__(due.delivery_id, due))
        batch.publish(WebhookQueued(due.delivery_id, due.next_at))
        return due.delivery_id
