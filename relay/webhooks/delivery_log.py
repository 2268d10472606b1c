"""Reads of the deliveries log for the API (reader threads; every value bound). A delivery's
status is derived from its latest event: pending, delivered, dead or cancelled."""
from relay.core.timefmt import iso
from relay.store.readers import snapshot
from relay.webhooks.payload import TEXT_JOIN, sent_payload

_DELIVERIES = """
    WITH events AS (
        SELECT delivery_id, arg_max(event, seq) AS last_event,
               arg_max(outcome, seq) AS last_outcome,
               arg_max(next_attempt_at, seq) AS next_at,
               arg_max(recorded_at, seq) AS last_at,
               count(*) FILTER (WHERE event = 'attempt') AS attempts
        FROM webhook_delivery_events
        WHERE delivery_id IN (SELECT delivery_id FROM webhook_deliveries
                              WHERE client_id = $client)
        GROUP BY delivery_id),
    deliveries AS (
        SELECT d.seq, d.delivery_id, d.callback_id, d.kind, d.subject_id, d.recorded_at,
               d.payload, coalesce(e.attempts, 0) AS attempts,
               CASE WHEN e.last_event IS NULL OR e.last_event = 'redeliver' THEN 'pending'
                    WHEN e.last_event = 'cancelled' THEN 'cancelled'
                    WHEN e.last_outcome = 'delivered' THEN 'delivered'
                    WHEN e.next_at IS NOT NULL THEN 'pending'
                    ELSE 'dead' END AS status,
               CASE WHEN e.last_event IS NULL THEN d.recorded_at
                    WHEN e.last_event = 'redeliver' THEN e.last_at
                    WHEN e.last_event = 'attempt' THEN e.next_at END AS next_attempt_at
        FROM webhook_deliveries d LEFT JOIN events e USING (delivery_id)
        WHERE d.client_id = $client)
    SELECT d.seq, d.delivery_id, d.callback_id, d.kind, d.subject_id, d.recorded_at, d.payload,
           d.attempts, d.status, d.next_attempt_at, ib.text
    FROM (SELECT * FROM deliveries WHERE {where} ORDER BY seq DESC LIMIT $limit) d
    """ + TEXT_JOIN + " ORDER BY d.seq DESC"
_COLUMNS = ("seq", "delivery_id", "callback_id", "type", "subject_id", "created_at", "payload",
            "attempts", "status", "next_attempt_at", "text")

# filter name -> condition; values bound as $name.
FILTERS = {
    "callback_id": "callback_id = $callback_id",
    "status": "status = $status",
    "subject_id": "subject_id = $subject_id",
    "delivery_id": "delivery_id = $delivery_id",
    "cursor": "seq < $cursor",
}
STATUSES = ("pending", "delivered", "dead", "cancelled")


def _attempts(cur, delivery_ids: list[str]) -> dict[str, list]:
    history: dict[str, list] = {d: [] for d in delivery_ids}
    if not delivery_ids:
        return history
    for delivery_id, event, at, attempt, outcome, code, error, ms, next_at in cur.execute(
            "SELECT delivery_id, event, recorded_at, attempt, outcome, status_code, error, "
            "duration_ms, next_attempt_at FROM webhook_delivery_events "
            "WHERE delivery_id IN (SELECT unnest($ids)) ORDER BY seq",
            {"ids": delivery_ids}).fetchall():
        history[delivery_id].append({
            "event": event, "at": iso(at), "attempt": attempt, "outcome": outcome,
            "status_code": code, "error": error, "duration_ms": ms,
            "next_attempt_at": iso(next_at)})
    return history


def list_deliveries(cur, client_id: str, filters: dict, limit: int) -> tuple[list[dict], int | None]:
    """A page of the client's deliveries, newest first, each with its events; and the seq to
    continue below, if there is more."""
    where = " AND ".join(FILTERS[name] for name in filters) or "true"
    with snapshot(cur):   # the attempt counts and the attempts listed must agree
        rows = cur.execute(_DELIVERIES.format(where=where),
                           {"client": client_id, "limit": limit + 1, **filters}).fetchall()
        page = [dict(zip(_COLUMNS, row)) for row in rows[:limit]]
        history = _attempts(cur, [d["delivery_id"] for d in page])
    for delivery in page:
        delivery["payload"] = sent_payload(delivery["type"], delivery["payload"],
                                          delivery.pop("text"))
        delivery["created_at"] = iso(delivery["created_at"])
        delivery["next_attempt_at"] = iso(delivery["next_attempt_at"])
        delivery["events"] = history[delivery["delivery_id"]]
    more = rows[limit - 1][0] if len(rows) > limit else None
    return page, more


def get_delivery(cur, client_id: str, delivery_id: str) -> dict | None:
    page, _ = list_deliveries(cur, client_id, {"delivery_id": delivery_id}, 1)
    return page[0] if page else None
