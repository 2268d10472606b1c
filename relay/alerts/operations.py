"""Alert operations: setting and deleting rules; the facts derived in the commit of the events
and replies they follow (an event's `due` deadline, a reply's `answered_late`); and the alert
when a deadline passes unanswered (`waiting`: the webhook and the owner's message)."""
import dataclasses
import datetime as dt
import logging

from relay.alerts.rules import RuleSpec
from relay.alerts.state import Rule, epoch
from relay.analytics import contacts
from relay.analytics.replies import contact_key
from relay.core.errors import ApiError, bad_request, not_found
from relay.core.ids import random_id
from relay.core.timefmt import iso, utcnow
from relay.messages.operations import AcceptMessage
from relay.messages.validate import message_request
from relay.phones.inbound import event_payload
from relay.store.bodies import INBOUND_JOIN
from relay.store.events import DeadlineSet, InboundAnsweredLate, InboundWaiting
from relay.store.writer import Batch, Operation, Scratch
from relay.webhooks.operations import stage_client_deliveries

log = logging.getLogger("relay.alerts")
MAX_RULES = 50                 # per client
MAX_NAME_IN_TEXT = 40          # of the contact, in the owner's message
UNANSWERED, ANSWERED_LATE = "inbound.unanswered", "inbound.answered_late"
# The events a RecordWaiting of this group alerted: (client_id, event seq) -> its rule_id.
WAITING_IN_GROUP: Scratch[dict[tuple[str, int], str]] = Scratch(dict)


def describe(rule: Rule) -> dict:
    return {"id": rule.rule_id, **rule.spec.describe(), "created_at": iso(rule.created_at),
            "updated_at": iso(rule.updated_at)}


def _owned(batch: Batch, client_id: str, rule_id: str) -> Rule:
    rule = batch.state.alerts.rules.get(rule_id)
    if rule is None or rule.client_id != client_id:
        raise not_found("unknown_rule", f"no rule '{rule_id}'", "id")
    return rule


def _rule_event(batch: Batch, event: str, rule_id: str, client_id: str, key_id: str | None,
                definition: str | None) -> dict:
    row = {"seq": batch.next_seq(), "recorded_at": utcnow(), "event": event,
           "rule_id": rule_id, "client_id": client_id, "key_id": key_id,
           "definition": definition}
    batch.add("response_rules", row)
    batch.after_commit(lambda: batch.state.alerts.apply_rule_event(
        event, rule_id, client_id, key_id, definition, row["recorded_at"]))
    return row


@dataclasses.dataclass
class SetRule(Operation):
    """Creates a rule (rule_id None) or replaces the whole definition of one. It applies to the
    events recorded from its commit on; the deadlines already set stay as they were."""
    client_id: str
    key_id: str
    spec: RuleSpec
    rule_id: str | None = None

    def stage(self, batch):
        state = batch.state
        known = _owned(batch, self.client_id, self.rule_id) if self.rule_id else None
        if known is None and len(state.alerts.client_rules(self.client_id)) >= MAX_RULES:
            raise ApiError(409, "too_many_rules", f"a client has at most {MAX_RULES} rules; "
                           "delete one first")
        url = self.spec.callback_url
        if url is not None and state.webhooks.by_url.get((self.client_id, url)) is None:
            raise bad_request("callback_url", "register this URL first with POST "
                              "/api/v1/webchat/callbacks/inbound", "unregistered_callback")
        notify = self.spec.notify
        if notify is not None and notify["phone_id"] not in state.phones:
            raise not_found("unknown_phone", f"no phone '{notify['phone_id']}'",
                            "notify.phone_id")
        rule_id = self.rule_id or random_id("rl_", 10)
        row = _rule_event(batch, "set", rule_id, self.client_id, self.key_id,
                          self.spec.to_json())
        return describe(Rule(rule_id, self.client_id, self.key_id, self.spec,
                             known.created_at if known else row["recorded_at"],
                             row["recorded_at"]))


@dataclasses.dataclass
class DeleteRule(Operation):
    """Its open deadlines go with it: no alert, no answered_late for them."""
    client_id: str
    rule_id: str

    def stage(self, batch):
        rule = _owned(batch, self.client_id, self.rule_id)
        _rule_event(batch, "deleted", rule.rule_id, self.client_id, None, None)
        return rule.rule_id


# -- the facts ------------------------------------------------------------------------------

def _fact(batch: Batch, fact: str, client_id: str, rule_id: str, event_seq: int,
          occurred_at: dt.datetime, deadline_at: dt.datetime, **reply) -> None:
    batch.add("response_alerts", {
        "seq": batch.next_seq(), "recorded_at": utcnow(), "fact": fact, "client_id": client_id,
        "rule_id": rule_id, "event_seq": event_seq, "occurred_at": occurred_at,
        "deadline_at": deadline_at, **reply})


def _from_epoch(seconds: float) -> dt.datetime:
    return dt.datetime(1970, 1, 1) + dt.timedelta(seconds=seconds)


_EVENTS = f"""
    SELECT i.seq, i.event_id, i.phone_id, i.channel, i.event_type, i.contact, i.contact_name,
           i.duration_sec, i.tags, i.occurred_at, ib.text
    FROM inbound_events i {INBOUND_JOIN}
    WHERE i.seq >= $first AND i.seq IN (SELECT unnest($seqs))"""


_RULES = """
    SELECT client_id, event_seq, rule_id FROM response_alerts
    WHERE fact = 'due' AND event_seq >= $first AND event_seq IN (SELECT unnest($seqs))"""


def _event_rows(con, seqs: list[int]) -> dict[int, dict]:
    """The committed inbound events of these seqs, with their text (callback filters)."""
    if not seqs:
        return {}
    cursor = con.execute(_EVENTS, {"first": min(seqs), "seqs": seqs})
    names = [d[0] for d in cursor.description]
    return {row[0]: dict(zip(names, row)) for row in cursor.fetchall()}


def _rules_of(con, keys: list[tuple[str, int]]) -> dict[tuple[str, int], str]:
    """(client_id, event seq) -> the rule of its committed `due` fact (memory keeps only the
    deadline)."""
    if not keys:
        return {}
    seqs = [seq for _, seq in keys]
    return {(client_id, seq): rule_id for client_id, seq, rule_id in con.execute(
        _RULES, {"first": min(seqs), "seqs": seqs}).fetchall()}


def _alert_body(rule: Rule, event: dict, deadline_at: dt.datetime, now: dt.datetime) -> dict:
    """What an alert's webhook says: the event as the query shows it, without its text (the
    outbox keeps only what retention may not drop), the rule and the deadline."""
    shown = event_payload(event)
    del shown["text"]
    return {"rule_id": rule.rule_id, "rule_name": rule.spec.name, **shown,
            "deadline_at": iso(deadline_at), "at": iso(now)}


def _notify_owner(batch: Batch, rule: Rule, event: dict) -> None:
    """The rule's message to the owner, accepted as POST /api/v1/messages accepts one. If it
    cannot be (its phone was removed), the alert stands without it."""
    who = (event["contact_name"] or event["contact"] or "?")[:MAX_NAME_IN_TEXT]
    text = (f"No reply within {rule.spec.within_minutes} min to the {event['event_type']} "
            f"from {who} ({event['channel']}, {event['phone_id']})")
    try:
        request = message_request({**rule.spec.notify, "text": text}, None, "US")
        AcceptMessage(request, rule.client_id, rule.key_id).stage(batch)
    except ApiError as error:
        log.warning("rule %s: the owner's message for %s was not sent: %s", rule.rule_id,
                    event["event_id"], error.message)


@dataclasses.dataclass
class RecordWaiting(Operation):
    """These events' deadlines passed: each still open gets its `waiting` fact, its
    inbound.unanswered webhook and the rule's message, once (what is no longer open, answered
    or alerted meanwhile, is left alone). One whose rule was deleted or made inactive since is
    dropped without an alert."""
    keys: list[tuple[str, int]]       # (client_id, event seq)

    def stage(self, batch):
        alerts, staged = batch.state.alerts, batch.scratch(WAITING_IN_GROUP)
        passed = [(key, deadline) for key in self.keys if key not in staged
                  and (deadline := alerts.deadline_of(*key)) is not None]
        if not passed:
            return 0
        now = utcnow()
        rules = _rules_of(batch.con, [key for key, _ in passed])
        rows = _event_rows(batch.con, [seq for (_, seq), _ in passed])
        alerted = []
        for key, deadline in passed:
            rule = alerts.rules.get(rules.get(key))
            if rule is None or not rule.spec.active:
                continue
            client_id, seq = key
            rule_id, event = rule.rule_id, rows[seq]
            deadline_at = _from_epoch(deadline)
            _fact(batch, "waiting", client_id, rule_id, seq, event["occurred_at"], deadline_at)
            stage_client_deliveries(batch, client_id, UNANSWERED, event["event_id"],
                                    _alert_body(rule, event, deadline_at, now), event,
                                    rule.spec.callback_url)
            batch.publish(InboundWaiting(
                client_id, rule_id, event["event_id"], event["phone_id"], event["channel"],
                event["event_type"], event["contact"], event["contact_name"],
                event["occurred_at"], deadline_at))
            if rule.spec.notify is not None:
                _notify_owner(batch, rule, event)
            staged[key] = rule_id
            alerted.append((key, deadline))

        def apply():
            for (client_id, seq), _ in passed:
                alerts.open.get(client_id, {}).pop(seq, None)
            for (client_id, seq), deadline in alerted:
                alerts.waiting.setdefault(client_id, {})[seq] = deadline
        batch.after_commit(apply)
        return len(alerted)


# -- derived in each group's commit (the writer's derive hook, after the reply links) --------

def _books(con, clients: list[str], events: list[dict]) -> dict[str, dict]:
    """client_id -> contact key -> (tags, name): the address book entries of the events'
    contacts, for the clients whose rules filter by tag or source."""
    keys = sorted({contact_key(e["contact"]) for e in events})
    sql = contacts.CURRENT.format(where="AND lower(address) IN (SELECT unnest($keys))")
    return {client_id: {key: (tags, name) for key, _, name, tags, _ in con.execute(
        sql, {"client": client_id, "keys": keys}).fetchall()} for client_id in clients}


def _stage_due(batch: Batch, events: list[dict]) -> dict[tuple[str, int], tuple[float, str]]:
    """Each new event's deadline under the strictest of each client's rules that match it
    (the earliest deadline; a tie goes to the lower rule id), as (client_id, seq) ->
    (deadline, rule_id)."""
    alerts = batch.state.alerts
    rules = alerts.active_rules()
    horizon = alerts.horizon(utcnow())
    events = [e for e in events if e["occurred_at"] >= horizon]
    if not rules or not events:
        return {}
    books = _books(batch.con, [c for c, rs in rules.items() if any(r.spec.needs_book
                                                                   for r in rs)], events)
    opened = {}
    for client_id, client_rules in rules.items():
        book = books.get(client_id, {})
        for event in events:
            tags, name = book.get(contact_key(event["contact"]), ((), None))
            strictest = min(((r.spec.deadline(event["occurred_at"], alerts.minute), r.rule_id)
                             for r in client_rules if r.spec.matches(event, tags, name)),
                            default=None)
            if strictest is None:
                continue
            deadline_at, rule_id = strictest
            _fact(batch, "due", client_id, rule_id, event["seq"], event["occurred_at"],
                  deadline_at)
            deadline = epoch(deadline_at)
            batch.publish(DeadlineSet(client_id, event["seq"], deadline))
            opened[(client_id, event["seq"])] = (deadline, rule_id)
    return opened


def _stage_replies(batch: Batch, links: list[dict], opened: dict) -> list[tuple[str, int]]:
    """What the group's reply links end: a deadline met (nothing to record), passed before
    the alert went out (answered_late), or alerted (answered_late and its webhook). Returns
    the (client_id, seq) no longer open or waiting."""
    alerts, alerted_now = batch.state.alerts, batch.scratch(WAITING_IN_GROUP)
    closed, late = [], []
    for link in links:
        key = (link["client_id"], link["event_seq"])
        new = opened.pop(key, None)          # recorded in this group: (deadline, rule_id)
        alerted = key in alerted_now or alerts.waiting_of(*key) is not None
        # An event alerted in this group is still open in memory until the commit.
        deadline = new[0] if new else alerts.waiting_of(*key) or alerts.deadline_of(*key)
        if deadline is None:
            continue
        closed.append(key)
        if epoch(link["replied_at"]) > deadline:
            late.append((link, key, deadline, alerted,
                         alerted_now.get(key) or (new and new[1])))
    if not late:
        return closed
    rules = _rules_of(batch.con, [key for _, key, _, _, known in late if known is None])
    rows = _event_rows(batch.con, [link["event_seq"] for link, _, _, alerted, _ in late
                                   if alerted])
    now = utcnow()
    for link, key, deadline, alerted, known in late:
        rule = alerts.rules.get(known or rules.get(key))
        if rule is None:          # deleted meanwhile: its deadlines went with it
            continue
        deadline_at = _from_epoch(deadline)
        _fact(batch, "answered_late", link["client_id"], rule.rule_id, link["event_seq"],
              link["occurred_at"], deadline_at, replied_at=link["replied_at"],
              message_seq=link["message_seq"])
        event = rows.get(link["event_seq"])
        if not alerted or event is None:
            continue
        response = round((link["replied_at"] - event["occurred_at"]).total_seconds() / 60, 2)
        stage_client_deliveries(batch, link["client_id"], ANSWERED_LATE, event["event_id"], {
            **_alert_body(rule, event, deadline_at, now), "replied_at": iso(link["replied_at"]),
            "response_min": response}, event, rule.spec.callback_url)
        batch.publish(InboundAnsweredLate(link["client_id"], rule.rule_id, event["event_id"],
                                          link["replied_at"]))
    return closed


def derive(batch: Batch) -> None:
    """The alert facts of the group's new events and reply links; memory follows once it is
    committed."""
    events = [r for r in batch.rows.get("inbound_events", ()) if r["contact"] is not None]
    links = batch.rows.get("reply_links", ())
    if not events and not links:
        return
    alerts = batch.state.alerts
    opened = _stage_due(batch, events) if events else {}
    closed = _stage_replies(batch, links, opened) if links else []

    def apply():
        for (client_id, seq), (deadline, _) in opened.items():
            alerts.open.setdefault(client_id, {})[seq] = deadline
        for client_id, seq in closed:
            alerts.open.get(client_id, {}).pop(seq, None)
            alerts.waiting.get(client_id, {}).pop(seq, None)
        alerts.prune()
    batch.after_commit(apply)
