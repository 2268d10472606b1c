"""Bodies: the text (and subject, title) of messages and inbound events, kept apart from the
log (migration 0003) so that retention can drop them and leave every fact in place. Since
migration 0006 a new message's body is sealed in its log row instead (relay/store/body_keys.py);
message_bodies holds the bodies of messages accepted before, until retention empties it.

A body row is staged in the same group commit as its fact and carries the fact's own time as
recorded_at, so readers find it by (id, time), which lets DuckDB skip the row groups of other
times. The side tables are the one place rows are deleted, by retention only (DropOldBodies in
relay/admin/maintenance.py); a body that is gone reads as NULL."""
import datetime as dt

MESSAGE_BODIES = "message_bodies"
INBOUND_BODIES = "inbound_bodies"
TABLES = (MESSAGE_BODIES, INBOUND_BODIES)

# Join clauses for readers: `m` is a messages row, `i` an inbound_events row. Readers of
# messages take m.body too and open it with open_sealed().
MESSAGE_JOIN = (f"LEFT JOIN {MESSAGE_BODIES} b "
                "ON b.message_id = m.message_id AND b.recorded_at = m.created_at")
INBOUND_JOIN = (f"LEFT JOIN {INBOUND_BODIES} ib "
                "ON ib.event_id = i.event_id AND ib.recorded_at = i.recorded_at")


def stage_inbound_body(batch, event_id: str, recorded_at: dt.datetime,
                       text: str | None) -> None:
    """Only an event with a text has a body (a call has none)."""
    if text is not None:
        batch.add(INBOUND_BODIES, {"event_id": event_id, "recorded_at": recorded_at,
                                   "text": text})


def message_body(cur, body_keys, message_id: str, created_at: dt.datetime, sealed) -> tuple:
    """(text, subject, title) of one message, NULLs once dropped: opened from its sealed body,
    or for an older message found by its time first, so the zone maps of recorded_at skip every
    other row group."""
    if sealed is not None:
        opened = body_keys.open(message_id, created_at, sealed)
        if opened[0] is not None:
            return opened
    row = cur.execute(f"SELECT text, subject, title FROM {MESSAGE_BODIES} "
                      "WHERE recorded_at = $at AND message_id = $id",
                      {"at": created_at, "id": message_id}).fetchone()
    return row or (None, None, None)


def open_sealed(body_keys, message: dict) -> dict:
    """A message row read with MESSAGE_JOIN and m.body as `body`: its text, subject and title
    from the sealed body while it opens; `body` itself is removed."""
    sealed = message.pop("body")
    if sealed is not None:
        opened = body_keys.open(message["message_id"], message["created_at"], sealed)
        if opened[0] is not None:     # else its day's key is gone: what message_bodies kept
            message["text"], message["subject"], message["title"] = opened
    return message
