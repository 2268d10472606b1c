"""The address book: each client's contacts (a name and tags per normalised address), recorded
as contact_events; a contact's current entry is its latest row unless that row deleted it.

A contact is its address in lower case (`contact_key`), as analytics and the reply links
compare addresses (docs/analytics.md): Bob@example.com and bob@example.com are one entry,
shown in the spelling last written."""
import dataclasses

from relay.core.timefmt import iso, utcnow
from relay.store.writer import Operation

# arg_max_null: a later entry without a name has no name (arg_max would skip the NULL).
CURRENT = """
    SELECT contact_key, address, name, tags, recorded_at FROM (
        SELECT lower(address) AS contact_key, arg_max(address, seq) AS address,
               arg_max_null(name, seq) AS name, arg_max_null(tags, seq) AS tags,
               arg_max(event, seq) AS event, max(recorded_at) AS recorded_at
        FROM contact_events WHERE client_id = $client {where} GROUP BY lower(address))
    WHERE event = 'set'"""


def _contact(address, name, tags, updated_at) -> dict:
    return {"address": address, "name": name, "tags": list(tags or []),
            "updated_at": iso(updated_at)}


@dataclasses.dataclass
class SetContact(Operation):
    """Sets a contact's whole entry: its name and tags replace what it had."""
    client_id: str
    address: str
    name: str | None
    tags: tuple[str, ...]

    def stage(self, batch):
        row = {"seq": batch.next_seq(), "recorded_at": utcnow(), "event": "set",
               "client_id": self.client_id, "address": self.address, "name": self.name,
               "tags": list(self.tags)}
        batch.add("contact_events", row)
        return _contact(self.address, self.name, self.tags, row["recorded_at"])


@dataclasses.dataclass
class DeleteContact(Operation):
    client_id: str
    address: str

    def stage(self, batch):
        batch.add("contact_events", {"seq": batch.next_seq(), "recorded_at": utcnow(),
                                     "event": "deleted", "client_id": self.client_id,
                                     "address": self.address})
        return {"address": self.address, "deleted": True}


def get_contact(cur, client_id: str, address: str) -> dict | None:
    row = cur.execute(CURRENT.format(where="AND lower(address) = $key"),
                      {"client": client_id, "key": address.lower()}).fetchone()
    return None if row is None else _contact(*row[1:])     # after its contact_key


def list_contacts(cur, client_id: str, tag: str | None, after: str | None,
                  limit: int) -> list[dict]:
    """By address (in lower case), from just after `after`; only those with `tag` when
    given."""
    conditions, params = [], {"client": client_id, "limit": limit}
    if after is not None:
        conditions.append("contact_key > $after")
        params["after"] = after.lower()
    if tag is not None:
        conditions.append("list_contains(tags, $tag)")
        params["tag"] = tag
    rows = cur.execute(
        f"SELECT * FROM ({CURRENT.format(where='')}) "
        f"WHERE {' AND '.join(conditions) or 'true'} ORDER BY contact_key LIMIT $limit",
        params).fetchall()
    return [_contact(*row[1:]) for row in rows]
