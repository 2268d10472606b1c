"""Phone configuration operations: add and remove."""
import dataclasses
import re

from relay.core.errors import ApiError, bad_request
from relay.core.timefmt import iso, utcnow
from relay.store.writer import Batch, Operation, Scratch

PHONE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
PHONES_IN_GROUP: Scratch[set[str]] = Scratch(set)    # the ids added earlier in the same group


def check_phone_id(phone_id) -> str:
    if not isinstance(phone_id, str) or not PHONE_ID.fullmatch(phone_id):
        raise bad_request("phone_id", "a phone id is 1-64 letters, digits, '_', '.' or '-', "
                                      "starting with a letter or digit")
    return phone_id


def _phone_event(batch: Batch, event: str, phone_id: str) -> dict:
    row = {"seq": batch.next_seq(), "recorded_at": utcnow(), "event": event, "phone_id": phone_id}
    batch.add("phone_events", row)
    batch.after_commit(lambda: batch.state.apply_phone_event(event, row["recorded_at"], phone_id))
    return row


@dataclasses.dataclass
class AddPhone(Operation):
    phone_id: str

    def stage(self, batch):
        check_phone_id(self.phone_id)
        claimed = batch.scratch(PHONES_IN_GROUP)
        if self.phone_id in batch.state.phones or self.phone_id in claimed:
            raise ApiError(409, "phone_exists", f"phone '{self.phone_id}' is already configured",
                           "phone_id")
        claimed.add(self.phone_id)
        row = _phone_event(batch, "added", self.phone_id)
        return {"phone_id": self.phone_id, "added_at": iso(row["recorded_at"])}


@dataclasses.dataclass
class RemovePhone(Operation):
    phone_id: str

    def stage(self, batch):
        if self.phone_id not in batch.state.phones:
            raise ApiError(404, "unknown_phone", f"no phone '{self.phone_id}'", "phone_id")
        _phone_event(batch, "removed", self.phone_id)
        return {"phone_id": self.phone_id, "removed": True}
