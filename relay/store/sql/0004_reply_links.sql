-- Reply links (docs/analytics.md): which message of a client answered which inbound event.
-- Derived from messages and inbound_events, not part of the log: the writer adds a link in the
-- same commit as the fact that completes it (relay/analytics/replies.py), and at start-up the relay
-- derives the links of the whole log when they are missing (this table is new, a backup was
-- restored) or the reply window grew. A link never changes: messages are accepted in time order,
-- so no message earlier than a link's can come later. A link carries the columns of its event
-- that the query filters by, so that the median response time reads the links alone.
CREATE TABLE reply_links (
    client_id    VARCHAR NOT NULL,
    event_seq    BIGINT NOT NULL,      -- inbound_events.seq
    message_seq  BIGINT NOT NULL,      -- messages.seq of the reply
    replied_at   TIMESTAMP NOT NULL,   -- the reply's created_at
    -- the event's own (inbound_events)
    occurred_at  TIMESTAMP NOT NULL,
    phone_id     VARCHAR NOT NULL,
    channel      VARCHAR NOT NULL,
    event_type   VARCHAR NOT NULL,
    duration_sec INTEGER
);

-- The reply windows the links were derived with; the latest row is in force. No row: the links
-- have not been derived yet.
CREATE TABLE reply_windows (
    recorded_at  TIMESTAMP NOT NULL,
    window_hours INTEGER NOT NULL
);
