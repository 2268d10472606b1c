"""The phones in memory: which are configured, their credentials (pairing codes, sessions), the
inbound events already logged by device event id, so a repeated report is recognised without
touching DuckDB, each phone's own pacing and its latest online/offline transition. Loaded from
the log at start-up; changed only by the writer thread after a commit."""
import datetime as dt

from relay.phones.credentials import Credentials
from relay.phones.pacing_log import load_pacing
from relay.phones.transitions import load_transitions


class PhoneState:
    def __init__(self):
        self.phones: dict[str, dt.datetime] = {}       # phone_id -> added_at
        self.credentials = Credentials()               # phones' pairing codes and sessions
        self.inbound_ids: dict[tuple[str, str], str] = {}  # (phone, device event id) -> event_id
        self.pacing: dict[str, dict] = {}              # phone_id -> its own pacing columns
        self.transitions: dict[str, str] = {}          # phone_id -> online | offline

    def load(self, con) -> None:
        for event, at, phone_id in con.execute(
                "SELECT event, recorded_at, phone_id FROM phone_events ORDER BY seq").fetchall():
            self.apply_phone_event(event, at, phone_id)
        self.credentials.load(con)
        self.inbound_ids = {(phone_id, device_id): event_id for phone_id, device_id, event_id in
                            con.execute("SELECT phone_id, device_event_id, event_id "
                                        "FROM inbound_events").fetchall()}
        self.pacing = load_pacing(con)
        self.transitions = load_transitions(con)

    def apply_phone_event(self, event: str, at: dt.datetime, phone_id: str) -> None:
        if event == "added":
            self.phones[phone_id] = at
        else:
            self.phones.pop(phone_id, None)
            self.pacing.pop(phone_id, None)     # a phone added again starts from the defaults
