-- Pacing per phone (docs/phones.md, Pacing). Each change of a phone's own pacing is a row
-- holding all four values after it; NULL: the relay-wide setting (pacing_* in
-- docs/configuration.md). A phone's pacing is its latest row since it was last added.
CREATE TABLE phone_pacing (
    seq             BIGINT NOT NULL,
    recorded_at     TIMESTAMP NOT NULL,
    phone_id        VARCHAR NOT NULL,
    min_interval_ms INTEGER,           -- the least time between two messages handed to it
    jitter_ms       INTEGER,           -- at most this much more, drawn for each gap
    per_hour        INTEGER,           -- messages handed in any hour, per SIM; 0: no cap
    per_day         INTEGER            -- messages handed in any 24 hours, per SIM; 0: no cap
);

-- A cap began to hold a phone's messages: one row each time its queue's first message is
-- held by a cap until a new time, never one per message held.
CREATE TABLE pacing_holds (
    seq         BIGINT NOT NULL,
    recorded_at TIMESTAMP NOT NULL,
    phone_id    VARCHAR NOT NULL,
    sim         TINYINT,               -- the SIM whose cap is reached; NULL: the default SIM
    reason      VARCHAR NOT NULL,      -- per_hour | per_day
    held_until  TIMESTAMP NOT NULL
);

-- A phone went offline (no socket, unseen for offline_after_seconds) or came back online:
-- each transition once, announced to callbacks as phone.offline / phone.online.
CREATE TABLE phone_transitions (
    seq         BIGINT NOT NULL,
    recorded_at TIMESTAMP NOT NULL,
    phone_id    VARCHAR NOT NULL,
    state       VARCHAR NOT NULL,      -- online | offline
    last_seen   TIMESTAMP              -- when the relay last heard from the phone
);
