-- Response-time rules (docs/alerts.md): which inbound events must get a reply within how long.
-- Each row sets a rule's whole definition (a JSON object, validated by relay/alerts/rules.py)
-- or deletes the rule; a rule's current definition is its latest 'set' unless it was deleted.
CREATE TABLE response_rules (
    seq         BIGINT NOT NULL,
    recorded_at TIMESTAMP NOT NULL,
    event       VARCHAR NOT NULL,       -- set | deleted
    rule_id     VARCHAR NOT NULL,       -- rl_...
    client_id   VARCHAR NOT NULL,
    key_id      VARCHAR,                -- the key that set it: the owner's alert message is sent as it
    definition  VARCHAR                 -- set: the rule as JSON
);

-- What happened to an inbound event under a client's rule, one row per fact, never updated:
--   due:           the event matched the rule (the strictest of the client's rules that match)
--                  when it was recorded; it needs a reply by deadline_at. Written in the same
--                  commit as the event, so a restart finds every open deadline in the log.
--   waiting:       deadline_at passed with no reply; the alert went out (webhook, message).
--   answered_late: the reply came after deadline_at (replied_at, message_seq).
-- An event is answered in time when its reply link (reply_links) is at or before deadline_at.
CREATE TABLE response_alerts (
    seq         BIGINT NOT NULL,
    recorded_at TIMESTAMP NOT NULL,
    fact        VARCHAR NOT NULL,       -- due | waiting | answered_late
    client_id   VARCHAR NOT NULL,
    rule_id     VARCHAR NOT NULL,
    event_seq   BIGINT NOT NULL,        -- inbound_events.seq
    occurred_at TIMESTAMP NOT NULL,     -- the event's
    deadline_at TIMESTAMP NOT NULL,
    replied_at  TIMESTAMP,              -- answered_late: the reply's created_at
    message_seq BIGINT                  -- answered_late: messages.seq of the reply
);
