"""A phone going offline and coming back online, as facts: each transition is a row, written
with the phone.offline or phone.online webhook deliveries that announce it (docs/webhooks.md),
so a restart neither repeats one nor misses one. The phone service decides when a phone
crossed the line (relay/phones/service.py); an operation records a transition only when it
changes the phone's latest one."""
import dataclasses
import datetime as dt
import functools

from relay.core.timefmt import iso, utcnow
from relay.store.writer import Operation, Scratch
from relay.webhooks.operations import stage_phone_deliveries

ONLINE, OFFLINE = "online", "offline"
# The transitions staged earlier in the same group: phone_id -> state.
TRANSITIONS_IN_GROUP: Scratch[dict[str, str]] = Scratch(dict)


def load_transitions(con) -> dict[str, str]:
    """phone_id -> its latest transition: online or offline."""
    return dict(con.execute("SELECT phone_id, arg_max(state, seq) FROM phone_transitions "
                            "GROUP BY phone_id").fetchall())


@dataclasses.dataclass
class RecordTransition(Operation):
    """True when recorded; False when the phone's latest transition is this one already (or
    the phone was removed)."""
    phone_id: str
    state: str
    last_seen: dt.datetime | None

    def stage(self, batch):
        in_group = batch.scratch(TRANSITIONS_IN_GROUP)
        latest = in_group.get(self.phone_id, batch.state.transitions.get(self.phone_id))
        if latest == self.state or self.phone_id not in batch.state.phones:
            return False
        in_group[self.phone_id] = self.state
        row = {"seq": batch.next_seq(), "recorded_at": utcnow(), "phone_id": self.phone_id,
               "state": self.state, "last_seen": self.last_seen}
        batch.add("phone_transitions", row)
        stage_phone_deliveries(batch, "phone." + self.state, self.phone_id, {
            "phone_id": self.phone_id, "at": iso(row["recorded_at"]),
            "last_seen": iso(self.last_seen)})
        batch.after_commit(functools.partial(self._apply, batch.state))   # no cycle via batch
        return True

    def _apply(self, state) -> None:
        state.transitions[self.phone_id] = self.state
