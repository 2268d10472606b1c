"""The portal owner's password as events: set it, and read the one in force."""
import dataclasses

from relay.core.timefmt import utcnow
from relay.store.events import PortalPasswordSet
from relay.store.writer import Operation


@dataclasses.dataclass
class SetPassword(Operation):
    password_hash: str

    def stage(self, batch):
        batch.add("portal_events", {"seq": batch.next_seq(), "recorded_at": utcnow(),
                                    "event": "password_set",
                                    "password_hash": self.password_hash})
        batch.publish(PortalPasswordSet(self.password_hash))
        return {"password_set": True}


def current_password(cur) -> str | None:
    row = cur.execute("SELECT password_hash FROM portal_events WHERE event = 'password_set' "
                      "ORDER BY seq DESC LIMIT 1").fetchone()
    return row[0] if row else None
