"""The differential test: a generated data set (a few thousand inbound events, a few hundred
sent messages, an address book), every report section computed again here in plain Python from
what the test itself recorded, and compared section by section for many filter combinations."""
import asyncio
import collections
import dataclasses
import datetime as dt
import random
import statistics
import urllib.parse
import zoneinfo

import pytest
from helpers.relays import relay_with_client, stop_relay

from relay.core.inbound import inbound_event
from relay.core.timefmt import iso, parse_iso, utcnow
from relay.phones.inbound import RecordInbound

QUERY = "/api/v1/webchat/inbound/query"
CALLS = {"call", "answered", "missed"}
WINDOW = dt.timedelta(days=7)
PHONES = ("phone_main", "phone_b")
TAGS = ("vip", "work", "lead", "spam", "family")
NUMBERS = [f"+1202555{i:04d}" for i in range(100, 140)]
EMAILS = [f"user{i}@{domain}" for i in range(12)
          for domain in ("example.com", "mail.example.org", "corp.example.net")]
TG_USERS = [f"@tg_user{i}" for i in range(10)]
ROOMS = ["room-a", "room-b"]
ADDRESSES = {"sms": NUMBERS, "wa": NUMBERS, "tg": TG_USERS + NUMBERS[:5], "email": EMAILS,
             "pchat": ROOMS}
TIME_ZONES = ("UTC", "America/New_York", "Asia/Kolkata", "Pacific/Chatham")


@dataclasses.dataclass
class Inbound:
    event_id: str
    phone_id: str
    channel: str
    event_type: str
    contact: str
    contact_name: str | None
    text: str | None
    duration_sec: int | None
    tags: list
    occurred_at: dt.datetime


@dataclasses.dataclass
class Sent:
    message_id: str
    phone_id: str
    channel: str
    to: str | None
    tags: list
    created_at: dt.datetime
    status: str
    order: int          # position in the newest-first listing: breaks created_at ties


# -- building the data set ----------------------------------------------------------------

@pytest.fixture
async def unlimited(data_dir):
    """A relay without the per-key rate limit: the build sends a few hundred messages fast."""
    running, api = await relay_with_client(data_dir, rate_limit=0)
    yield running, api
    api.close()
    await stop_relay(running)


def _random_event(rng: random.Random, n: int, occurred_at: dt.datetime) -> dict:
    channel = rng.choice(("sms", "sms", "wa", "tg", "email", "email", "pchat"))
    event_type = rng.choice(("message", "message", "call", "answered", "missed")) \
        if channel in ("sms", "wa", "tg") else "message"
    event = {"event_id": f"dev-{n}", "channel": channel, "event_type": event_type,
             "contact": rng.choice(ADDRESSES[channel]),
             "occurred_at": occurred_at.isoformat() + "Z",
             "tags": rng.sample(TAGS, rng.choice((0, 0, 1, 2)))}
    if event_type != "message" and rng.random() < 0.85:
        event["duration_sec"] = 0 if event_type == "missed" else rng.randint(1, 900)
    if rng.random() < 0.5:
        event["contact_name"] = rng.choice(("Ann Lee", "Bob", "Zoë Ops", "Carol"))
    if event_type == "message":
        event["text"] = f"text {n}"
    return event


async def _record(store, rng, events: list[Inbound], times: list[dt.datetime]) -> None:
    ops = []
    for occurred_at in times:
        phone = rng.choice(PHONES)
        raw = _random_event(rng, len(events) + len(ops), occurred_at)
        ops.append((phone, raw))
    recorded = await asyncio.gather(*[
        store.write(RecordInbound(phone, inbound_event(raw, "US"))) for phone, raw in ops])
    for (phone, raw), result in zip(ops, recorded):
        events.append(Inbound(result.event_id, phone, raw["channel"], raw["event_type"],
                              raw["contact"], raw.get("contact_name"), raw.get("text"),
                              raw.get("duration_sec"), raw["tags"],
                              parse_iso(raw["occurred_at"])))


def _message(rng: random.Random, events: list[Inbound]) -> dict:
    """Mostly answers to a recent event's contact on its phone; some other channels."""
    event = rng.choice(events[-60:] if rng.random() < 0.6 else events)
    channel = event.channel if event.channel != "pchat" else "sms"
    to = event.contact if channel == event.channel else rng.choice(NUMBERS)
    if rng.random() < 0.15:
        channel, to = rng.choice((("notify", None), ("pchat", rng.choice(ROOMS))))
    body = {"phone_id": event.phone_id, "channel": channel, "text": "reply",
            "tags": rng.sample(TAGS, rng.choice((0, 1, 1, 2)))}
    if to is not None:
        body["to"] = to
    if channel == "email":
        body["subject"] = "re"
    return body


async def _listing(api) -> list[dict]:
    messages, cursor = [], None
    while True:
        path = "/api/v1/messages?limit=500" + (f"&cursor={cursor}" if cursor else "")
        status, page = await api.get(path)
        assert status == 200, page
        messages += page["messages"]
        cursor = page["next_cursor"]
        if cursor is None:
            return messages


async def build(relay, client, rng: random.Random):
    await relay.api.admin("phones.add", phone_id="phone_b")
    other = await relay.new_client("other")
    store = relay.relay.store
    now = utcnow().replace(microsecond=0)
    # history: whole seconds over the last ten days (some beyond the 7-day reply window)
    seconds = rng.sample(range(60, 10 * 86400), 2400)
    events: list[Inbound] = []
    await _record(store, rng, events, sorted(now - dt.timedelta(seconds=s) for s in seconds))
    book = {}
    for address in rng.sample(NUMBERS + EMAILS + TG_USERS, 30):
        entry = {"name": rng.choice((None, f"Name {address[-3:]}")),
                 "tags": rng.sample(TAGS, rng.choice((1, 2)))}
        status, body = await client.post("/api/v1/contacts", {"address": address, **entry})
        assert status == 200 and body["contact"]["address"] == address, body
        book[address] = entry
    for address in list(book)[:3]:
        status, _ = await client.request("DELETE", "/api/v1/contacts?address="
                                         + urllib.parse.quote(address))
        assert status == 200
        del book[address]
    # rounds of replies, with new events between them so "the first message after" matters
    for _ in range(6):
        for _ in range(40):
            status, body = await client.post("/api/v1/messages", _message(rng, events))
            assert status == 202, body
        for _ in range(5):    # another client's messages are neither its sent nor its replies
            status, _ = await other.post("/api/v1/messages", _message(rng, events))
            assert status == 202
        await asyncio.sleep(0.02)
        base = utcnow().replace(microsecond=utcnow().microsecond // 1000 * 1000)
        await _record(store, rng, events, [base + dt.timedelta(milliseconds=i + 1)
                                           for i in range(20)])
        await asyncio.sleep(0.05)
    sent = [Sent(m["message_id"], m["phone_id"], m["channel"], m["to"], m["tags"],
                 parse_iso(m["created_at"]), m["status"], order)
            for order, m in enumerate(await _listing(client))]
    other.close()
    return events, sent, book


# -- the reference implementation -----------------------------------------------------------

def _with_contact_tags(own: list, address, book: dict) -> list:
    extra = book[address]["tags"] if address in book else []
    return list(own) + [t for t in extra if t not in own]


def _tags_match(tags: list, f: dict) -> bool:
    wanted = f.get("tags") or []
    if not wanted:
        return True
    if f.get("tag_mode") == "all":
        return set(wanted) <= set(tags)
    return bool(set(wanted) & set(tags))


def _source_match(address, name, f: dict) -> bool:
    needle = f.get("source_contains")
    return needle is None or needle.lower() in (address or "").lower() \
        or needle.lower() in (name or "").lower()


def _in_range(t, since, until) -> bool:
    return (since is None or t >= since) and (until is None or t < until)


def _response_min(event: Inbound, sent: list[Sent]) -> float | None:
    after = [m.created_at for m in sent if m.phone_id == event.phone_id
             and m.to == event.contact and m.created_at > event.occurred_at]
    if not after or min(after) - event.occurred_at > WINDOW:
        return None
    return round((min(after) - event.occurred_at).total_seconds() / 60, 2)


def reference(events, sent, book, f: dict, since, until) -> dict:
    channels = set(f.get("channels") or [])
    types = set(f.get("event_types") or [])
    if "call" in types:
        types |= CALLS
    inbound = []
    for e in events:
        tags = _with_contact_tags(e.tags, e.contact, book)
        name = book[e.contact]["name"] if e.contact in book and book[e.contact]["name"] \
            else e.contact_name
        response = _response_min(e, sent)
        if not (_in_range(e.occurred_at, since, until)
                and f.get("phone_id") in (None, e.phone_id)
                and (not channels or e.channel in channels)
                and (not types or e.event_type in types)
                and ("min_duration_sec" not in f or (e.duration_sec is not None and
                                                     e.duration_sec >= f["min_duration_sec"]))
                and ("max_duration_sec" not in f or (e.duration_sec is not None and
                                                     e.duration_sec <= f["max_duration_sec"]))
                and _tags_match(tags, f) and _source_match(e.contact, name, f)
                and f.get("has_response") in (None, response is not None)):
            continue
        inbound.append({"message_id": e.event_id, "phone_id": e.phone_id,
                        "event_type": e.event_type, "channel": e.channel, "source": e.contact,
                        "contact_name": name, "text": e.text, "duration_sec": e.duration_sec,
                        "tags": tags, "occurred_at": e.occurred_at, "response_min": response})
    outbound = []
    for m in sent:
        tags = _with_contact_tags(m.tags, m.to, book)
        name = book[m.to]["name"] if m.to in book else None
        if (_in_range(m.created_at, since, until) and f.get("phone_id") in (None, m.phone_id)
                and (not channels or m.channel in channels) and _tags_match(tags, f)
                and _source_match(m.to, name, f)):
            outbound.append(dataclasses.replace(m, tags=tags))
    return sections(inbound, outbound, f)


def _ranked(counter: collections.Counter, key: str, count: str, limit: int) -> list:
    ranked = sorted(counter.items(), key=lambda item: (-item[1], item[0]))[:limit]
    return [{key: k, count: n} for k, n in ranked]


def _local(t: dt.datetime, tz: str) -> dt.datetime:
    return t.replace(tzinfo=dt.timezone.utc).astimezone(zoneinfo.ZoneInfo(tz))


def _days(times, tz) -> list:
    counts = collections.Counter(_local(t, tz).strftime("%Y-%m-%d") for t in times)
    return [{"day": day, "count": n} for day, n in sorted(counts.items())]


EVENT_ORDER = {
    "newest": lambda e: (-e["occurred_at"].timestamp(),),
    "oldest": lambda e: (e["occurred_at"].timestamp(),),
    "slowest": lambda e: (e["response_min"] is None, -(e["response_min"] or 0),
                          -e["occurred_at"].timestamp()),
    "fastest": lambda e: (e["response_min"] is None, e["response_min"] or 0,
                          -e["occurred_at"].timestamp()),
    "longest": lambda e: (e["duration_sec"] is None, -(e["duration_sec"] or 0),
                          -e["occurred_at"].timestamp()),
}


def sections(inbound: list[dict], outbound: list[Sent], f: dict) -> dict:
    limit, tz = f.get("limit", 100), f.get("tz", "UTC")
    calls = [e for e in inbound if e["event_type"] in CALLS]
    durations = [e["duration_sec"] for e in calls if e["duration_sec"] is not None]
    responses = [e["response_min"] for e in inbound if e["response_min"] is not None]
    emails_in = [e for e in inbound if e["channel"] == "email"]
    emails_out = [m for m in outbound if m.channel == "email"]
    events = sorted(inbound, key=EVENT_ORDER[f.get("sort", "newest")])[:limit]
    last_sent = {}
    for m in outbound:
        if m.to is not None:
            last_sent[m.to] = max(last_sent.get(m.to, m.created_at), m.created_at)
    by_person = collections.Counter(m.to for m in outbound if m.to is not None)
    hours = collections.Counter(_local(e["occurred_at"], tz).hour for e in inbound)
    return {
        "summary": {
            "inbound_total": len(inbound), "calls_total": len(calls),
            "messages_total": sum(e["event_type"] == "message" for e in inbound),
            "answered_calls": sum(e["event_type"] == "answered" for e in inbound),
            "missed_calls": sum(e["event_type"] == "missed" for e in inbound),
            "avg_call_duration_sec": round(statistics.mean(durations), 1) if durations else 0,
            "median_response_min": statistics.median(responses) if responses else 0,
            "channels": dict(collections.Counter(e["channel"] for e in inbound))},
        "sent_summary": {"sent_total": len(outbound),
                         "channels": dict(collections.Counter(m.channel for m in outbound)),
                         "statuses": dict(collections.Counter(m.status for m in outbound)),
                         "delivered": 0, "undelivered": 0},     # no delivery reports here
        "sent_by_channel": dict(collections.Counter(m.channel for m in outbound)),
        "sent_by_day": _days([m.created_at for m in outbound], tz),
        "sent_by_person": [{**row, "last_sent": iso(last_sent[row["destination"]])}
                           for row in _ranked(by_person, "destination", "total", limit)],
        "sent_by_tag": _ranked(collections.Counter(t for m in outbound for t in m.tags),
                               "tag", "count", limit),
        "sent_events": [{"message_id": m.message_id, "destination": m.to,
                         "channel": m.channel, "status": m.status,
                         "created_at": iso(m.created_at)}
                        for m in sorted(outbound, key=lambda m: (-m.created_at.timestamp(),
                                                                 m.order))[:limit]],
        "email_report": {
            "inbound_total": len(emails_in), "sent_total": len(emails_out),
            "top_inbound_senders": _ranked(collections.Counter(e["source"] for e in emails_in),
                                           "sender", "count", limit),
            "top_sent_recipients": _ranked(collections.Counter(m.to for m in emails_out),
                                           "recipient", "count", limit),
            "domains": _ranked(collections.Counter(
                a.split("@")[-1] for a in [e["source"] for e in emails_in]
                + [m.to for m in emails_out] if "@" in a), "domain", "count", limit),
            "by_day": _days([e["occurred_at"] for e in emails_in]
                            + [m.created_at for m in emails_out], tz)},
        "hourly": [{"hour": h, "count": hours.get(h, 0)} for h in range(24)],
        "top_contacts": _ranked(collections.Counter(e["source"] for e in inbound), "source",
                                "total", limit),
        # No response rules here, so nothing waits (tests/test_alerts.py covers waiting).
        "events": [{**e, "occurred_at": iso(e["occurred_at"]), "waiting": None}
                   for e in events],
        "waiting": [], "answered_in_time": [],
        "count": len(events),
    }


# -- comparing ------------------------------------------------------------------------------

def _close(a, b) -> bool:
    """Response times: the listing's created_at is cut to milliseconds, so allow 0.01 min."""
    if isinstance(a, float) or isinstance(b, float):
        return a is not None and b is not None and abs(a - b) <= 0.011
    return a == b


def assert_same(got: dict, want: dict, f: dict) -> None:
    for name, expected in want.items():
        actual = got[name]
        if name == "summary":
            for key in expected:
                assert _close(actual[key], expected[key]) if key.endswith("_min") else \
                    actual[key] == expected[key], (name, key, f)
        elif name == "events":
            assert [e["message_id"] for e in actual] == [e["message_id"] for e in expected], f
            for a, b in zip(actual, expected):
                assert {k: v for k, v in a.items() if k != "response_min"} == \
                    {k: v for k, v in b.items() if k != "response_min"}, f
                assert (a["response_min"] is None) == (b["response_min"] is None) and \
                    _close(a["response_min"], b["response_min"]), (a, b, f)
        else:
            assert actual == expected, (name, f)


def random_filters(rng: random.Random, now: dt.datetime) -> dict:
    f = {}
    if rng.random() < 0.7:
        f["range"] = rng.choice(("1h", "24h", "7d", "30d", "all"))
    elif rng.random() < 0.5:
        start = now - dt.timedelta(seconds=rng.randint(3600, 9 * 86400))
        f["from"] = iso(start)
        if rng.random() < 0.6:
            f["to"] = iso(start + dt.timedelta(seconds=rng.randint(3600, 4 * 86400)))
    choices = {
        "phone_id": lambda: rng.choice(PHONES),
        "tz": lambda: rng.choice(TIME_ZONES),
        "channels": lambda: rng.sample(("sms", "wa", "tg", "email", "pchat", "notify"),
                                       rng.randint(1, 3)),
        "event_types": lambda: rng.sample(("message", "call", "answered", "missed"),
                                          rng.randint(1, 2)),
        "tags": lambda: rng.sample(TAGS, rng.randint(1, 2)),
        "tag_mode": lambda: rng.choice(("any", "all")),
        "source_contains": lambda: rng.choice(("example.org", "555012", "TG_USER", "ann",
                                               "name 1", "room")),
        "min_duration_sec": lambda: rng.choice((0, 60, 300)),
        "max_duration_sec": lambda: rng.choice((300, 600, 900)),
        "has_response": lambda: rng.choice((True, False)),
        "sort": lambda: rng.choice(("newest", "oldest", "slowest", "fastest", "longest")),
        "limit": lambda: rng.choice((1, 5, 50, 1000)),
    }
    for name, choose in choices.items():
        if rng.random() < 0.3:
            f[name] = choose()
    if f.get("min_duration_sec", 0) > f.get("max_duration_sec", 10 ** 9):
        del f["min_duration_sec"]
    return f


FIXED = [
    {}, {"range": "all", "limit": 1000}, {"range": "all", "sort": "slowest", "limit": 1000},
    {"range": "all", "has_response": False, "sort": "fastest"},
    {"range": "all", "event_types": ["call"], "sort": "longest", "tz": "Asia/Kolkata"},
    {"range": "all", "channels": ["email"], "tz": "America/New_York"},
    {"range": "all", "tags": ["vip", "family"], "tag_mode": "all"},
    {"range": "30d", "source_contains": "Name", "phone_id": "phone_b"},
    {"range": "24h", "min_duration_sec": 0}, {"range": "1h", "channels": ["notify", "tg_bot"]},
]


async def test_every_section_matches_an_independent_computation(unlimited):
    relay, client = unlimited
    rng = random.Random(5)
    events, sent, book = await build(relay, client, rng)
    assert len(events) > 2500 and len(sent) == 240
    combos = FIXED + [random_filters(rng, utcnow()) for _ in range(70)]
    for number, f in enumerate(combos):
        if number % 3:
            status, got = await client.post(QUERY, f)
        else:   # the same query as GET parameters
            status, got = await client.get(QUERY + "?" + urllib.parse.urlencode(
                {k: ",".join(v) if isinstance(v, list) else str(v).lower()
                 if isinstance(v, bool) else v for k, v in f.items()}))
        assert status == 200, (got, f)
        echoed = got["filters"]
        since = parse_iso(echoed["from"]) if echoed["from"] else None
        until = parse_iso(echoed["to"]) if echoed["to"] else None
        assert_same(got, reference(events, sent, book, f, since, until), f)
    # the answers are not all empty: the combinations exercise the data
    status, everything = await client.post(QUERY, {"range": "all"})
    assert everything["summary"]["inbound_total"] == len(events)
    assert 0 < sum(e["response_min"] is not None for e in everything["events"]) < 100
    assert everything["sent_summary"]["sent_total"] == len(sent)
