"""When a message may go and when it expires (docs/api.md, Scheduling), read from the log: the
client's send_at, ttl_seconds and expires_at on the message's row, and the later facts of its
schedule in message_schedule (migration 0012).

A message accepted without a send_at is ready at once; its place in its queue is its seq. A
scheduled one waits for its time; when it comes, a `released` fact is logged and the fact's seq
is its place, so it joins the tail of its queue and the phone queue's reads, which go by place,
find it in order. A `rescheduled` fact makes it wait again, until the new time."""
import datetime as dt

from relay.core.statuses import ENDED
from relay.core.timefmt import iso, parse_iso

# One row per message with schedule facts: its latest event, the time of its latest
# reschedule and the seq of its latest release. {where} may narrow the rows looked at.
SCHEDULE = """
    SELECT message_id, arg_max(event, seq) AS last_event,
           arg_max(send_at, seq) FILTER (WHERE event = 'rescheduled') AS moved_to,
           max(seq) FILTER (WHERE event = 'released') AS released_seq
    FROM message_schedule {where} GROUP BY message_id"""
# Over a message m joined (LEFT) with SCHEDULE as s:
GOES_AT = "coalesce(s.moved_to, m.send_at, m.created_at)"          # when it may go
WAITS = ("CASE WHEN s.last_event IS NULL THEN m.send_at IS NOT NULL "
         "ELSE s.last_event = 'rescheduled' END")                   # still waits for its time
EXPIRES_AT = (f"coalesce(m.expires_at, {GOES_AT} + to_seconds(coalesce(m.ttl_seconds, $ttl)))")
# Its place in its queue once it is ready, over the ready messages of ready_places().
READY = """
    SELECT m.seq AS place, m.message_id FROM messages m
    WHERE m.seq > $after AND m.seq <= $horizon AND m.send_at IS NULL
      AND m.message_id NOT IN (SELECT message_id FROM message_schedule)
    UNION ALL
    SELECT s.released_seq, s.message_id FROM ({schedule}) s
    WHERE s.last_event = 'released' AND s.released_seq > $after AND s.released_seq <= $horizon"""
# The newest place any message has: the horizon of a read of the queues.
NEWEST_PLACE = """SELECT greatest(
    (SELECT coalesce(max(seq), 0) FROM messages),
    (SELECT coalesce(max(seq), 0) FROM message_schedule WHERE event = 'released'))"""


def ready_places() -> str:
    """SQL of (place, message_id) for the ready messages placed in ($after, $horizon]."""
    return READY.format(schedule=SCHEDULE.format(where=""))


def expires_at(goes_at: dt.datetime, ttl_seconds: int | None, fixed: dt.datetime | None,
               default_ttl: dt.timedelta) -> dt.datetime:
    """A message's expiry: its own fixed time, else its time to live (its own, else the
    relay's) counted from when it may go."""
    if fixed is not None:
        return fixed
    return goes_at + (dt.timedelta(seconds=ttl_seconds) if ttl_seconds else default_ttl)


def message_expiry(message: dict, default_ttl: dt.timedelta) -> dt.datetime:
    """expires_at() of a message as the bus or a queue read carries it."""
    return expires_at(message["send_at"] or message["created_at"], message["ttl_seconds"],
                      message["expires_at"], default_ttl)


def waiting_for_time(cur) -> list[tuple[str, dt.datetime]]:
    """(message_id, when it may go) of every open message still waiting for its time."""
    return cur.execute(
        f"SELECT m.message_id, {GOES_AT} FROM messages m "
        f"LEFT JOIN ({SCHEDULE.format(where='')}) s USING (message_id) "
        f"WHERE (m.send_at IS NOT NULL OR s.message_id IS NOT NULL) AND {WAITS} AND NOT "
        + ENDED.format(message_id="m.message_id", also="")).fetchall()


def timings(cur, messages: list[dict], after_seq: int, default_ttl: dt.timedelta) -> list[dict]:
    """Turns the send_at, ttl_seconds, expires_at and priority of messages (as the queries
    shape them, their schedule facts all logged after after_seq) into what the API shows:
    scheduled_for (when a scheduled message may go, null for one sent at once), expires_at
    (when it expires, or expired, unless it ends first) and priority."""
    ids = [m["message_id"] for m in messages]
    moved = dict(cur.execute("""
        SELECT message_id, arg_max(send_at, seq) FROM message_schedule
        WHERE seq > $after AND event = 'rescheduled' AND list_contains($ids, message_id)
        GROUP BY message_id""", {"after": after_seq, "ids": ids}).fetchall())
    for message in messages:
        accepted_with = message.pop("send_at")
        goes_at = moved.get(message["message_id"], accepted_with)
        message["scheduled_for"] = iso(goes_at)
        message["expires_at"] = iso(expires_at(
            goes_at or parse_iso(message["created_at"]), message.pop("ttl_seconds"),
            message["expires_at"], default_ttl))
        message["priority"] = message["priority"] or "normal"
    return messages
