"""Accepting a message: the idempotency check and the 'accepted' row with its sealed body
(relay/store/body_keys.py), in one group commit."""
import dataclasses
import datetime as dt
import functools
import typing

from relay.core.errors import ApiError
from relay.core.ids import message_id
from relay.core.timefmt import utcnow
from relay.messages.segments import message_parts
from relay.messages.validate import MessageRequest, differing_field
from relay.webhooks.operations import stage_message_callback, status_callback_id
from relay.senders.operations import stage_bot_token
from relay.messages.state import IdempotencyEntry
from relay.store.events import MessageAccepted
from relay.store.writer import Operation, Scratch


class Accepted(typing.NamedTuple):
    message_id: str
    duplicate: bool
    created_at: dt.datetime


@dataclasses.dataclass
class _AcceptedInGroup:
    """What a group's accepted messages add to memory once committed, applied in one go."""
    keyed: list = dataclasses.field(default_factory=list)    # (slot, entry as a plain tuple)
    opened: list = dataclasses.field(default_factory=list)   # (message_id, phone_id)
    scheduled: list = dataclasses.field(default_factory=list)  # (message_id, send_at)
    applies: bool = False                                    # apply() is due after the commit

    def apply(self, state) -> None:
        state.remember_idempotency(self.keyed)
        state.open_messages.update(self.opened)
        state.scheduled.update(self.scheduled)


ACCEPTED_IN_GROUP = Scratch(_AcceptedInGroup)
# Requests with one idempotency key in the same group must see each other:
# (client_id, idempotency_key) -> its IdempotencyEntry.
KEYS_IN_GROUP: Scratch[dict[tuple, IdempotencyEntry]] = Scratch(dict)


def _accepted_in(batch) -> _AcceptedInGroup:
    accepted = batch.scratch(ACCEPTED_IN_GROUP)
    if not accepted.applies:
        accepted.applies = True
        batch.after_commit(functools.partial(accepted.apply, batch.state))   # no cycle via batch
    return accepted


@dataclasses.dataclass
class AcceptMessage(Operation):
    request: MessageRequest
    client_id: str
    key_id: str
    secret_box: object = None        # seals a tg_bot message's bot_token (relay.secret_box)

    def __post_init__(self):
        # Computed where the operation is made (the IOLoop), to keep the writer's turn short;
        # only a request with an idempotency key is ever compared.
        self.fingerprint = (self.request.fingerprint() if self.request.idempotency_key
                            else None)
        self.parts = message_parts(self.request.channel, self.request.text)

    def stage(self, batch):
        request, state, fingerprint = self.request, batch.state, self.fingerprint
        claimed = batch.scratch(KEYS_IN_GROUP)
        slot = (self.client_id, request.idempotency_key)
        if request.idempotency_key is not None:
            entry = claimed.get(slot) or state.idempotency(slot)
            if entry is not None:
                if entry.fingerprint != fingerprint:
                    field = differing_field(entry.fingerprint, fingerprint)
                    raise ApiError(422, "idempotency_conflict",
                                   f"idempotency_key was used for a different message: "
                                   f"'{field}' differs from message {entry.message_id}", field)
                return Accepted(entry.message_id, True, entry.created_at)
        if request.phone_id not in state.phones:  # removed since the handler looked
            raise ApiError(404, "unknown_phone", f"no phone '{request.phone_id}'", "phone_id")
        callback_id = (status_callback_id(state, self.client_id, request.status_callback_url)
                       if request.status_callback_url else None)
        now = utcnow()
        entry = IdempotencyEntry(message_id(), fingerprint, now)
        # A message without tags stores NULL, which every reader takes as none: an empty list
        # is the slowest value for DuckDB's Appender, on the writer's turn.
        seq = batch.next_seq()
        batch.add("messages", {
            "seq": seq, "message_id": entry.message_id, "created_at": now,
            "client_id": self.client_id, "key_id": self.key_id, "phone_id": request.phone_id,
            "channel": request.channel, "recipient": request.to, "source": request.source,
            "tags": list(request.tags) or None, "idempotency_key": request.idempotency_key,
            "fingerprint": fingerprint, "sim": request.sim, "send_at": request.send_at,
            "ttl_seconds": request.ttl_seconds, "expires_at": request.expires_at,
            "priority": request.priority, "encoding": self.parts and self.parts.encoding,
            "segments": self.parts and self.parts.segments, "body": batch.body_keys.seal(
                batch, entry.message_id, now, request.text, request.subject, request.title)})
        if callback_id is not None:
            stage_message_callback(batch, entry.message_id, callback_id)
        if request.bot_token is not None:
            stage_bot_token(batch, entry.message_id,
                            self.secret_box.seal(request.bot_token, entry.message_id))
        accepted = _accepted_in(batch)
        if request.idempotency_key is not None:
            claimed[slot] = entry
            accepted.keyed.append((slot, tuple(entry)))
        accepted.opened.append((entry.message_id, request.phone_id))
        if request.send_at is not None:
            accepted.scheduled.append((entry.message_id, request.send_at))
        # The message's content rides along so the phone dispatcher needs no read to deliver;
        # its seq orders it among those its phone's queue reads back from the log.
        # Tags as a tuple: a payload of strings alone leaves the garbage collector's view while
        # it waits in a phone's queue (it is sent as a JSON array all the same).
        batch.publish(MessageAccepted(entry.message_id, request.phone_id, request.channel,
                                      request.to, request.text, request.subject, request.title,
                                      request.tags, now, seq, request.sim, request.send_at,
                                      request.ttl_seconds, request.expires_at,
                                      request.priority))
        return Accepted(entry.message_id, False, now)
