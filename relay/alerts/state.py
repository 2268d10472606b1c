"""The alerts part of the in-memory state: every client's rules, and the deadlines still open
(events that matched a rule and have no reply yet) and waiting (past their deadline, alerted,
still unanswered: a late reply records answered_late). Loaded from the log at start-up (the
rules' rows, the `due` and `waiting` facts without a reply); changed only by the writer thread
after a commit, like every part of relay/state.py.

Memory is what an open deadline costs, per event: a dict entry from its seq to its deadline
(epoch seconds); which rule it is under stays in its `due` fact, read when it passes or is
answered late. bench/bench_alerts.py measures it."""
import dataclasses
import datetime as dt

from relay.alerts.rules import RuleSpec, from_log
from relay.core.timefmt import utcnow

PRUNE_EVERY = dt.timedelta(minutes=1)
EPOCH = dt.datetime(1970, 1, 1)


def epoch(value: dt.datetime) -> float:
    """A naive UTC time as epoch seconds (what time.time() compares with)."""
    return (value - EPOCH).total_seconds()


@dataclasses.dataclass
class Rule:
    rule_id: str
    client_id: str
    key_id: str | None
    spec: RuleSpec
    created_at: dt.datetime
    updated_at: dt.datetime


# The open deadlines: an event seq's deadline, in epoch seconds.
Deadlines = dict[int, float]

# The due facts still without a reply, within the horizon, with whether they were alerted.
_OPEN = """
    SELECT d.client_id, d.event_seq, d.deadline_at,
           EXISTS (SELECT 1 FROM response_alerts w WHERE w.fact = 'waiting'
                   AND w.event_seq = d.event_seq AND w.client_id = d.client_id) AS alerted
    FROM response_alerts d
    WHERE d.fact = 'due' AND d.occurred_at >= $horizon
      AND NOT EXISTS (SELECT 1 FROM reply_links l
                      WHERE l.event_seq = d.event_seq AND l.client_id = d.client_id)
      AND NOT EXISTS (SELECT 1 FROM response_alerts a WHERE a.fact = 'answered_late'
                      AND a.event_seq = d.event_seq AND a.client_id = d.client_id)
    ORDER BY d.seq"""


class AlertState:
    def __init__(self, reply_window: dt.timedelta, minute: dt.timedelta):
        self.reply_window = reply_window   # a reply later than this is no reply (analytics)
        self.minute = minute               # how long a rule's minute lasts (alert_minute_seconds)
        self.rules: dict[str, Rule] = {}
        self.open: dict[str, Deadlines] = {}       # client_id -> deadlines not yet passed
        self.waiting: dict[str, Deadlines] = {}    # client_id -> passed, alerted, no reply
        self._pruned = utcnow()

    def client_rules(self, client_id: str) -> list[Rule]:
        return [r for r in list(self.rules.values()) if r.client_id == client_id]

    def active_rules(self) -> dict[str, list[Rule]]:
        """client_id -> its active rules."""
        by_client: dict[str, list[Rule]] = {}
        for rule in list(self.rules.values()):
            if rule.spec.active:
                by_client.setdefault(rule.client_id, []).append(rule)
        return by_client

    def horizon(self, now: dt.datetime) -> dt.datetime:
        """Events older than this are not followed: no reply to them can be linked any more."""
        return now - self.reply_window

    def open_count(self) -> int:
        return sum(len(d) for d in list(self.open.values()))

    def load(self, con) -> None:
        for values in con.execute("SELECT event, rule_id, client_id, key_id, definition, "
                                  "recorded_at FROM response_rules ORDER BY seq").fetchall():
            self.apply_rule_event(*values)
        for client_id, seq, deadline_at, alerted in con.execute(
                _OPEN, {"horizon": self.horizon(utcnow())}).fetchall():
            kept = self.waiting if alerted else self.open
            kept.setdefault(client_id, {})[seq] = epoch(deadline_at)

    def apply_rule_event(self, event: str, rule_id: str, client_id: str, key_id: str | None,
                         definition: str | None, recorded_at: dt.datetime) -> None:
        known = self.rules.get(rule_id)
        if event == "set":
            self.rules[rule_id] = Rule(rule_id, client_id, key_id, from_log(definition),
                                       known.created_at if known else recorded_at, recorded_at)
        elif known is not None:     # its deadlines are dropped as they come up
            del self.rules[rule_id]

    def deadline_of(self, client_id: str, seq: int) -> float | None:
        return self.open.get(client_id, {}).get(seq)

    def waiting_of(self, client_id: str, seq: int) -> float | None:
        return self.waiting.get(client_id, {}).get(seq)

    def prune(self) -> None:
        """Forgets, now and then, the waiting events no reply can be linked to any more
        (after a commit, on the writer thread)."""
        now = utcnow()
        if now - self._pruned < PRUNE_EVERY:
            return
        self._pruned = now
        cutoff = epoch(self.horizon(now))
        for kept in self.waiting.values():
            for seq in [s for s, deadline in kept.items() if deadline < cutoff]:
                del kept[seq]
