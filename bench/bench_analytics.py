"""Benchmark of the webchat inbound query (relay/analytics) against a pandas-only version.

Builds a store of N events over 90 days (three quarters inbound, every channel and event type,
50k contacts; one quarter sent messages, most of them replies, with their status events; an
address book of 5k tagged contacts), then, each in a fresh process so that peak memory is its
own:
  - duckdb: the full query (every section) for several filter sets, as the endpoint runs it
    (under the relay's default query_memory_mb and query_threads);
  - pandas: the same `summary` section (replies by merge_asof) over DataFrames already loaded.
Prints p50 times, the ratio and each process's peak RSS.

    .venv/bin/python bench/bench_analytics.py                    # 1M events
    .venv/bin/python bench/bench_analytics.py --events 1000000 10000000
Targets (2 cores): full query p50 < 250 ms at 1M, < 2 s at 10M; >= 3x faster than pandas and
<= 1/5 of its peak memory."""
import argparse
import datetime as dt
import json
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

import duckdb

CLIENT = "bench"
CONTACTS = 50_000
BOOK = 5_000
DAYS = 90
FILTER_SETS = {
    "default (7d)": {},
    "all (90 days), everything": {"range": "all"},
    "90d, calls on sms/wa": {"range": "90d", "channels": ["sms", "wa"], "event_types": ["call"]},
    "90d, tags vip|lead, unanswered": {"range": "90d", "tags": ["vip", "lead"],
                                       "has_response": False},
    "30d, source contains, tz, slowest 1000": {"range": "30d", "source_contains": "user1",
                                               "tz": "America/New_York", "sort": "slowest",
                                               "limit": 1000},
}
SUMMARY_FILTERS = "all (90 days), everything"
WINDOW = dt.timedelta(days=7)

# Pseudo-random columns from hash(i): reproducible, and built by DuckDB in seconds.
BUILD = """
CREATE TEMP TABLE addr AS SELECT k,
    '+1202' || lpad((1000000 + (k * 7919) % 8999999)::VARCHAR, 7, '0') AS phone,
    'user' || k || '@d' || (k % 200) || '.example.com' AS email, '@tguser' || k AS tg
FROM range($contacts) t(k);

-- In time order, as a phone's reports arrive: seq grows with occurred_at.
INSERT INTO inbound_events
SELECT row_number() OVER (ORDER BY occurred_at), $now, 'in_' || i, phone_id, 'dev' || i,
       channel, event_type, contact, contact_name, duration_sec, tags, occurred_at
FROM (
SELECT i, CASE WHEN h % 10 < 7 THEN 'phone_main' ELSE 'phone_b' END AS phone_id,
       channel, event_type,
       CASE channel WHEN 'email' THEN a.email WHEN 'tg' THEN a.tg
                    WHEN 'pchat' THEN 'room-' || (a.k % 20) ELSE a.phone END AS contact,
       CASE WHEN h % 3 = 0 THEN 'Name ' || a.k END AS contact_name,
       CASE WHEN event_type = 'missed' THEN 0 WHEN event_type <> 'message'
            THEN ((h >> 40) % 1200)::INTEGER END AS duration_sec,
       [t FOR t IN ['vip', 'lead', 'work', 'spam'] IF (h >> 50) % 7 = length(t)] AS tags,
       $now - to_seconds(((h >> 12) % ($days * 86400))::BIGINT) AS occurred_at
FROM (SELECT i, h, ['sms', 'sms', 'wa', 'tg', 'email', 'pchat'][1 + h % 6] AS channel,
             ['message', 'message', 'call', 'answered', 'missed'][1 + (h >> 4) % 5]
                 AS event_type,
             (h >> 24) % $contacts AS k
      FROM (SELECT i, (hash(i) >> 1)::BIGINT AS h FROM range($inbound) t(i))) e
JOIN addr a USING (k))
ORDER BY occurred_at;

-- Texts are bodies, kept beside the log (relay/store/bodies.py).
INSERT INTO inbound_bodies
SELECT event_id, recorded_at, 'text ' || device_event_id FROM inbound_events
WHERE event_type = 'message' ORDER BY seq;

-- Sent: most are replies to an inbound event (same contact and phone), minutes to days later.
-- By name: the columns not named (the SIM slot, an sms's segments, ...) are NULL.
INSERT INTO messages BY NAME
SELECT $inbound + row_number() OVER (ORDER BY created_at) AS seq, 'msg_' || seq AS message_id,
       created_at, $client AS client_id, 'key' AS key_id, phone_id, channel,
       contact AS recipient, CASE WHEN seq % 4 = 0 THEN ['support'] ELSE [] END AS tags,
       'fp' AS fingerprint,
       CAST(repeat('x', 45) AS BLOB) AS body     -- the size of a sealed short body
FROM (SELECT seq, phone_id, contact,
             CASE WHEN channel = 'pchat' THEN 'notify' ELSE channel END AS channel,
             occurred_at + to_seconds(((hash(seq) >> 8) % (3 * 86400))::BIGINT) AS created_at
      FROM inbound_events WHERE seq % 3 = 0 LIMIT $sent)
ORDER BY created_at;

INSERT INTO message_events
SELECT 10 * $inbound + row_number() OVER (ORDER BY seq), created_at, message_id,
       CASE WHEN hash(seq) % 20 = 0 THEN 'failed' ELSE 'sent' END, NULL, created_at
FROM messages WHERE hash(seq) % 10 <> 0
ORDER BY seq;

INSERT INTO contact_events
SELECT 20 * $inbound + k, $now, 'set', $client, phone, 'Name ' || k,
       [['vip', 'lead', 'work', 'family'][1 + k % 4]]
FROM addr WHERE k < $book;
"""


def build(path: pathlib.Path, events: int) -> float:
    started = time.perf_counter()
    con = duckdb.connect(str(path))
    from relay.analytics import replies
    from relay.core.secretbox import SecretBox
    from relay.store import migrations
    from relay.webhooks import sealed
    # the current schema: texts in the bodies tables; no callback to seal, so any key
    migrations.migrate(con, [sealed.sql_function(SecretBox(os.urandom(32)))])
    inbound = events * 3 // 4
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)
    params = {"contacts": CONTACTS, "now": now, "client": CLIENT, "days": DAYS,
              "inbound": inbound, "sent": events - inbound, "book": BOOK}
    for statement in BUILD.split(";\n\n"):
        con.execute(statement, {k: v for k, v in params.items() if f"${k}" in statement})
    replies.catch_up(con, WINDOW)    # as the relay's start-up derives the reply links
    con.execute("CHECKPOINT")
    con.close()
    return time.perf_counter() - started


def rss_mb(field: str = "VmHWM") -> float:
    """The process's peak (VmHWM) or current (VmRSS) resident memory. VmHWM, not ru_maxrss:
    Linux carries ru_maxrss across exec, so a child would report the parent's peak."""
    status = pathlib.Path("/proc/self/status").read_text()
    return int(status.split(f"{field}:")[1].split()[0]) / 1024


def child_duckdb(path: str, runs: int) -> dict:
    from relay.analytics import engine, filters
    from relay.config import BY_NAME
    from relay.store.database import limit_resources
    con = duckdb.connect(path)
    # The relay's default query_memory_mb and query_threads, as a relay runs the query.
    limit_resources(con, BY_NAME["query_memory_mb"].default, BY_NAME["query_threads"].default)
    cur = con.cursor()
    before = rss_mb("VmRSS")      # the interpreter, DuckDB and the relay's modules
    limits = engine.Limits(WINDOW, 600, 100_000)
    times = {}
    for name, body in FILTER_SETS.items():
        chosen = filters.parse(body)
        engine.report(cur, CLIENT, chosen, limits)      # warm: the file's pages in memory
        samples = []
        for _ in range(runs):
            started = time.perf_counter()
            answer = engine.report(cur, CLIENT, chosen, limits)
            samples.append(time.perf_counter() - started)
        times[name] = {"p50_ms": statistics.median(samples) * 1000,
                       "inbound": answer["summary"]["inbound_total"],
                       "sent": answer["sent_summary"]["sent_total"]}
        if name == SUMMARY_FILTERS:
            times[name]["summary"] = answer["summary"]
    chosen = filters.parse(FILTER_SETS[SUMMARY_FILTERS])
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        engine.within_limits(cur, limits, CLIENT, chosen,
                             lambda sections: sections.run({"summary": sections.summary()}, 1))
        samples.append(time.perf_counter() - started)
    return {"times": times, "summary_p50_ms": statistics.median(samples) * 1000,
            "peak_rss_mb": rss_mb(), "before_mb": before}


def pandas_summary(inbound, messages, window):
    """The `summary` section with pandas alone: the same definitions as docs/analytics.md."""
    import pandas as pd   # here: the query process must not carry pandas in its memory
    events = inbound        # the range is "all": every event
    sent = messages[(messages["client_id"] == CLIENT) & messages["recipient"].notna()]
    replies = sent[["phone_id", "recipient", "created_at"]].rename(
        columns={"recipient": "contact"}).sort_values("created_at")
    joined = pd.merge_asof(events.sort_values("occurred_at"), replies, left_on="occurred_at",
                           right_on="created_at", by=["phone_id", "contact"],
                           direction="forward", allow_exact_matches=False)
    wait = joined["created_at"] - joined["occurred_at"]
    response = (wait[wait <= window].dt.total_seconds() / 60).round(2)
    calls = events["event_type"].isin(["call", "answered", "missed"])
    types = events["event_type"].value_counts()
    return {"inbound_total": len(events), "calls_total": int(calls.sum()),
            "messages_total": int(types.get("message", 0)),
            "answered_calls": int(types.get("answered", 0)),
            "missed_calls": int(types.get("missed", 0)),
            "avg_call_duration_sec": round(float(events.loc[calls, "duration_sec"].mean()), 1),
            "median_response_min": round(float(response.median()), 2),
            "channels": {k: int(v) for k, v in
                         events["channel"].value_counts().sort_index().items()}}


def child_pandas(path: str, runs: int) -> dict:
    import pandas  # noqa: F401  (counted in `before`, as the relay's modules are in ours)
    before = rss_mb("VmRSS")
    con = duckdb.connect(path, read_only=True)
    inbound = con.execute("SELECT phone_id, channel, event_type, contact, duration_sec, "
                          "occurred_at FROM inbound_events").df()
    messages = con.execute("SELECT client_id, phone_id, recipient, created_at "
                           "FROM messages").df()
    con.close()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        summary = pandas_summary(inbound, messages, WINDOW)
        samples.append(time.perf_counter() - started)
    return {"p50_ms": statistics.median(samples) * 1000, "summary": summary,
            "peak_rss_mb": rss_mb(), "before_mb": before}


def in_child(kind: str, path: pathlib.Path, runs: int) -> dict:
    result = subprocess.run([sys.executable, __file__, "--child", kind, "--db", str(path),
                             "--runs", str(runs)], capture_output=True, text=True, check=True)
    return json.loads(result.stdout)


def bench(events: int, runs: int, folder: pathlib.Path) -> None:
    path = folder / f"analytics-{events}.duckdb"
    print(f"\n== {events:,} events over {DAYS} days, {CONTACTS:,} contacts "
          f"(built in {build(path, events):.1f} s, {path.stat().st_size / 2**20:.0f} MiB)")
    ours = in_child("duckdb", path, runs)
    for name, result in ours["times"].items():
        print(f"  full query  {name:42s} p50 {result['p50_ms']:8.1f} ms  "
              f"({result['inbound']:,} inbound, {result['sent']:,} sent)")
    theirs = in_child("pandas", path, max(3, runs // 2))
    full = ours["times"][SUMMARY_FILTERS]
    same = {k: v for k, v in theirs["summary"].items() if k != "median_response_min"} == \
        {k: v for k, v in full["summary"].items() if k != "median_response_min"}
    print(f"  pandas-only summary ({SUMMARY_FILTERS})            p50 {theirs['p50_ms']:8.1f} ms"
          f"  (same counts: {same}; median response {theirs['summary']['median_response_min']}"
          f" vs {full['summary']['median_response_min']} min)")
    print(f"  summary alone, ours ({SUMMARY_FILTERS})               p50 "
          f"{ours['summary_p50_ms']:8.1f} ms")
    print(f"  pandas / ours: same summary {theirs['p50_ms'] / ours['summary_p50_ms']:.1f}x, "
          f"pandas summary / our full query {theirs['p50_ms'] / full['p50_ms']:.1f}x")
    print(f"  peak RSS: query process {ours['peak_rss_mb']:.0f} MiB, pandas process "
          f"{theirs['peak_rss_mb']:.0f} MiB (ratio {theirs['peak_rss_mb'] / ours['peak_rss_mb']:.1f}x)"
          f"; before the data: {ours['before_mb']:.0f} and {theirs['before_mb']:.0f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--child", choices=("duckdb", "pandas"), help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        work = child_duckdb if args.child == "duckdb" else child_pandas
        print(json.dumps(work(args.db, args.runs), default=str))
        return
    print("figures measured on a shared machine (other work running): compare within a run")
    with tempfile.TemporaryDirectory() as folder:
        for events in args.events:
            bench(events, args.runs, pathlib.Path(folder))


if __name__ == "__main__":
    main()
