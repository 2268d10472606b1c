"""Bodies: the text (and subject, title) of messages and inbound events, kept apart from the
log (migration 0003) so that retention can drop them and leave every fact in place.

A body row is staged in the same group commit as its fact and carries the fact's own time as
recorded_at, so readers find it by (id, time), which lets DuckDB skip the row groups of other
times. The side tables are the one place rows are deleted, by retention only (DropOldBodies in
relay/store/maintenance.py); a body that is gone reads as NULL."""
import datetime as dt

MESSAGE_BODIES = "message_bodies"
INBOUND_BODIES = "inbound_bodies"
TABLES = (MESSAGE_BODIES, INBOUND_BODIES)

# Join clauses for readers: `m` is a messages row, `i` an inbound_events row.
MESSAGE_JOIN = (f"LEFT JOIN {MESSAGE_BODIES} b "
                "ON b.message_id = m.message_id AND b.recorded_at = m.created_at")
INBOUND_JOIN = (f"LEFT JOIN {INBOUND_BODIES} ib "
                "ON ib.event_id = i.event_id AND ib.recorded_at = i.recorded_at")


def stage_message_body(batch, message_id: str, created_at: dt.datetime, text: str,
                       subject: str | None, title: str | None) -> None:
    batch.add(MESSAGE_BODIES, {"message_id": message_id, "recorded_at": created_at,
                               "text": text, "subject": subject, "title": title})


def stage_inbound_body(batch, event_id: str, recorded_at: dt.datetime,
                       text: str | None) -> None:
    """Only an event with a text has a body (a call has none)."""
    if text is not None:
        batch.add(INBOUND_BODIES, {"event_id": event_id, "recorded_at": recorded_at,
                                   "text": text})


def message_body(cur, message_id: str, created_at: dt.datetime) -> tuple:
    """(text, subject, title) of one message, NULLs once dropped. Found by its time first, so
    the zone maps of recorded_at skip every other row group."""
    row = cur.execute(f"SELECT text, subject, title FROM {MESSAGE_BODIES} "
                      "WHERE recorded_at = $at AND message_id = $id",
                      {"at": created_at, "id": message_id}).fetchone()
    return row or (None, None, None)
