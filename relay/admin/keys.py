"""Client API key operations: create, rotate, revoke, and logging last use."""
import dataclasses
import datetime as dt

from relay.core import apikeys
from relay.core.errors import ApiError, bad_request
from relay.core.ids import random_id
from relay.core.timefmt import iso, utcnow
from relay.store.writer import Batch, Operation, Scratch

NAMES_IN_GROUP: Scratch[set[str]] = Scratch(set)     # the clients given a key earlier in the group
NAME_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")


def check_name(name) -> str:
    if not isinstance(name, str) or not 1 <= len(name) <= 64 or not set(name) <= NAME_CHARS:
        raise bad_request("name", "a key name is 1-64 letters, digits, '_', '.' or '-'")
    return name


def describe(record) -> dict:
    now = utcnow()
    return {"key_id": record.key_id, "name": record.client_id,
            "display": f"{record.display_prefix}...{record.last4}",
            "created_at": iso(record.created_at), "expires_at": iso(record.expires_at),
            "revoked_at": iso(record.revoked_at), "last_used_at": iso(record.last_used_at),
            "active": record.usable(now)}


def _key_event(batch: Batch, event: str, key_id: str, client_id: str, **fields) -> dict:
    row = {"seq": batch.next_seq(), "recorded_at": utcnow(), "event": event, "key_id": key_id,
           "client_id": client_id, **fields}
    batch.add("key_events", row)
    batch.after_commit(lambda: batch.state.apply_key_event(
        event, row["recorded_at"], key_id, client_id, row.get("key_hash"), row.get("display_prefix"),
        row.get("last4"), row.get("expires_at")))
    return row


def _issue(batch: Batch, client_id: str) -> dict:
    key = apikeys.new_key()
    key_id = random_id("key_", 10)
    row = _key_event(batch, "created", key_id, client_id, key_hash=apikeys.key_hash(key),
                     display_prefix=apikeys.display_prefix(key), last4=apikeys.last4(key))
    return {"key": key, "key_id": key_id, "name": client_id, "created_at": iso(row["recorded_at"])}


def _active_keys(batch: Batch, client_id: str) -> list:
    now = utcnow()
    return [k for k in batch.state.client_keys(client_id) if k.usable(now)]


@dataclasses.dataclass
class CreateKey(Operation):
    name: str

    def stage(self, batch):
        check_name(self.name)
        claimed = batch.scratch(NAMES_IN_GROUP)
        if self.name in claimed or _active_keys(batch, self.name):
            raise ApiError(409, "key_exists", f"client '{self.name}' already has an active key; "
                           "rotate or revoke it", "name")
        claimed.add(self.name)
        return _issue(batch, self.name)


def _existing(batch: Batch, name: str) -> list:
    keys = _active_keys(batch, name)
    if not keys:
        raise ApiError(404, "unknown_key", f"no active key named '{name}'", "name")
    return keys


@dataclasses.dataclass
class RotateKey(Operation):
    """A new key for the same client; the old ones keep working for the grace period."""
    name: str
    grace: dt.timedelta

    def stage(self, batch):
        old = _existing(batch, self.name)
        until = utcnow() + self.grace
        for record in old:
            if record.expires_at is None or record.expires_at > until:
                _key_event(batch, "expires", record.key_id, record.client_id, expires_at=until)
        result = _issue(batch, self.name)
        result["previous_keys_expire_at"] = iso(until)
        return result


@dataclasses.dataclass
class RevokeKey(Operation):
    name: str

    def stage(self, batch):
        revoked = [_key_event(batch, "revoked", k.key_id, k.client_id)["key_id"]
                   for k in _existing(batch, self.name)]
        return {"name": self.name, "revoked": revoked}


class LogKeyUse(Operation):
    """Writes each key's latest use as one event; run now and then, not per request."""

    def stage(self, batch):
        state = batch.state
        logged = {key_id: state.keys[key_id].last_used_at for key_id in list(state.used_keys)}
        for key_id, at in logged.items():
            batch.add("key_events", {"seq": batch.next_seq(), "recorded_at": at,
                                     "event": "used", "key_id": key_id,
                                     "client_id": state.keys[key_id].client_id})

        def forget():   # only once committed, and not a key used again since staging
            for key_id, at in logged.items():
                if state.keys[key_id].last_used_at == at:
                    state.used_keys.discard(key_id)
        batch.after_commit(forget)
        return len(logged)
