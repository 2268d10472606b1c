-- Relay's system of record: an append-only event log. This file is schema version 1; every
-- later change is a numbered file in relay/store/sql/, applied once, in order, at start-up
-- (relay/store/migrations.py). Do not change this file: add a migration.
-- Rows are never updated or deleted;
-- current state (a key's validity, a message's status) is derived from the rows.
-- All times are TIMESTAMP in UTC. `seq` is a store-wide increasing number given by the writer.

CREATE TABLE IF NOT EXISTS key_events (
    seq            BIGINT NOT NULL,
    recorded_at    TIMESTAMP NOT NULL,
    event          VARCHAR NOT NULL,   -- created | expires | revoked | used
    key_id         VARCHAR NOT NULL,
    client_id      VARCHAR NOT NULL,   -- the client (the key's name); keys rotate, clients stay
    key_hash       VARCHAR,            -- SHA-256 of the key (created only)
    display_prefix VARCHAR,
    last4          VARCHAR,
    expires_at     TIMESTAMP           -- expires: when a rotated-out key stops working
);

CREATE TABLE IF NOT EXISTS phone_events (
    seq      BIGINT NOT NULL,
    recorded_at TIMESTAMP NOT NULL,
    event    VARCHAR NOT NULL,         -- added | removed
    phone_id VARCHAR NOT NULL
);

-- One row per accepted message: the "accepted" fact, which also means "queued".
CREATE TABLE IF NOT EXISTS messages (
    seq             BIGINT NOT NULL,
    message_id      VARCHAR NOT NULL,
    created_at      TIMESTAMP NOT NULL,
    client_id       VARCHAR NOT NULL,
    key_id          VARCHAR NOT NULL,
    phone_id        VARCHAR NOT NULL,
    channel         VARCHAR NOT NULL,
    recipient       VARCHAR,
    text            VARCHAR NOT NULL,
    subject         VARCHAR,
    title           VARCHAR,
    source          VARCHAR,
    tags            VARCHAR[],
    idempotency_key VARCHAR,
    fingerprint     VARCHAR NOT NULL   -- per-field digests (nullable since migration 0002)
);

-- Every later status fact of a message: sending, sent, failed, expired, and delivery attempts.
CREATE TABLE IF NOT EXISTS message_events (
    seq          BIGINT NOT NULL,
    recorded_at  TIMESTAMP NOT NULL,
    message_id   VARCHAR NOT NULL,
    status       VARCHAR NOT NULL,
    error        VARCHAR,
    delivered_at TIMESTAMP
);

-- What the phones report: incoming messages and calls. `event_type` is message, or for a call
-- answered, missed, or call (outcome not known). (phone_id, device_event_id) is unique: the
-- phone's own id, used to drop repeated reports.
CREATE TABLE IF NOT EXISTS inbound_events (
    seq             BIGINT NOT NULL,
    recorded_at     TIMESTAMP NOT NULL,
    event_id        VARCHAR NOT NULL,   -- in_...
    phone_id        VARCHAR NOT NULL,
    device_event_id VARCHAR NOT NULL,
    channel         VARCHAR NOT NULL,   -- sms, wa, tg, email, pchat
    event_type      VARCHAR NOT NULL,
    contact         VARCHAR,            -- normalised address (E.164, e-mail, @user)
    contact_name    VARCHAR,
    text            VARCHAR,
    duration_sec    INTEGER,
    tags            VARCHAR[],
    occurred_at     TIMESTAMP NOT NULL  -- when it happened on the phone (UTC)
);

-- The address book: each row sets a contact's name and tags, or deletes the contact.
CREATE TABLE IF NOT EXISTS contact_events (
    seq         BIGINT NOT NULL,
    recorded_at TIMESTAMP NOT NULL,
    event       VARCHAR NOT NULL,       -- set | deleted
    client_id   VARCHAR NOT NULL,
    address     VARCHAR NOT NULL,       -- normalised like inbound_events.contact
    name        VARCHAR,
    tags        VARCHAR[]
);

-- Phone credentials (relay/phones/credentials.py). Only hashes of secrets are stored.
--   code:    a single-use pairing code was issued (secret_hash, expires_at)
--   paired:  a code (secret_hash) was traded for a new session (session_id)
--   refresh: the session's current refresh token (secret_hash, expires_at); supersedes the last
--   revoked: the session (or, with session_id NULL, every session and unused code of the phone)
CREATE TABLE IF NOT EXISTS device_credentials (
    seq         BIGINT NOT NULL,
    recorded_at TIMESTAMP NOT NULL,
    event       VARCHAR NOT NULL,
    phone_id    VARCHAR NOT NULL,
    session_id  VARCHAR,
    secret_hash VARCHAR,
    expires_at  TIMESTAMP,
    reason      VARCHAR
);

-- What the phones' connections show: connected, disconnected, heartbeat (battery 0-100,
-- signal 0-4, the app's version). The latest row of a phone is its last_seen after a restart.
CREATE TABLE IF NOT EXISTS device_events (
    seq         BIGINT NOT NULL,
    recorded_at TIMESTAMP NOT NULL,
    event       VARCHAR NOT NULL,
    phone_id    VARCHAR NOT NULL,
    battery     INTEGER,
    signal      INTEGER,
    app_version VARCHAR
);

-- Webhooks (docs/webhooks.md). Callbacks clients register: each row sets a callback's whole
-- definition (event 'set'), deactivates it (the receiver answered 410; `reason` says so) or
-- deletes it. `secret` signs its deliveries (Standard Webhooks, whsec_...). Migration 0007
-- replaces `secret` and `callback_token` with `sealed_secrets`, the two sealed together.
CREATE TABLE IF NOT EXISTS callback_events (
    seq              BIGINT NOT NULL,
    recorded_at      TIMESTAMP NOT NULL,
    event            VARCHAR NOT NULL,   -- set | deactivated | deleted
    callback_id      VARCHAR NOT NULL,
    client_id        VARCHAR NOT NULL,
    callback_url     VARCHAR,
    channels         VARCHAR[],          -- empty: every channel
    event_types      VARCHAR[],          -- empty: no inbound events (status callbacks only)
    source_filter    VARCHAR,
    keyword_filter   VARCHAR,
    min_duration_sec INTEGER,
    max_duration_sec INTEGER,
    callback_token   VARCHAR,
    active           BOOLEAN,
    secret           VARCHAR,
    reason           VARCHAR
);

-- A message sent with a status_callback_url: the client's callback its status changes go to.
CREATE TABLE IF NOT EXISTS message_callbacks (
    seq         BIGINT NOT NULL,
    recorded_at TIMESTAMP NOT NULL,
    message_id  VARCHAR NOT NULL,
    callback_id VARCHAR NOT NULL
);

-- The webhook outbox: one row per delivery to make, committed with the event it announces.
-- delivery_id is the webhook-id header (the same on every try); payload is the exact body.
CREATE TABLE IF NOT EXISTS webhook_deliveries (
    seq         BIGINT NOT NULL,
    recorded_at TIMESTAMP NOT NULL,
    delivery_id VARCHAR NOT NULL,
    callback_id VARCHAR NOT NULL,
    client_id   VARCHAR NOT NULL,
    kind        VARCHAR NOT NULL,        -- inbound | message.status
    subject_id  VARCHAR NOT NULL,        -- the inbound event's or the message's id
    payload     VARCHAR NOT NULL
);

-- What happened to each delivery; its state is its latest row. attempt: one try (outcome
-- delivered or failed; next_attempt_at set while tries remain, else the delivery is dead);
-- redeliver: a client asked for it again; cancelled: its callback was deleted or inactive.
CREATE TABLE IF NOT EXISTS webhook_delivery_events (
    seq             BIGINT NOT NULL,
    recorded_at     TIMESTAMP NOT NULL,
    delivery_id     VARCHAR NOT NULL,
    event           VARCHAR NOT NULL,    -- attempt | redeliver | cancelled
    attempt         INTEGER,             -- 1, 2, ... over the delivery's life
    outcome         VARCHAR,             -- delivered | failed
    status_code     INTEGER,
    error           VARCHAR,
    duration_ms     INTEGER,
    next_attempt_at TIMESTAMP
);

-- Server-side sending (docs/channels.md): email over SMTP, tg_bot through the Bot API. Each
-- attempt of a message logs 'started', then 'ended' with its outcome: sent, retry (then
-- next_attempt_at says when) or failed. A start with no end was cut short by a stop or crash;
-- it counts as an attempt made.
CREATE TABLE IF NOT EXISTS send_attempts (
    seq             BIGINT NOT NULL,
    recorded_at     TIMESTAMP NOT NULL,
    message_id      VARCHAR NOT NULL,
    attempt         INTEGER NOT NULL,    -- 1, 2, ...
    event           VARCHAR NOT NULL,    -- started | ended
    outcome         VARCHAR,             -- sent | retry | failed
    error           VARCHAR,
    duration_ms     INTEGER,
    next_attempt_at TIMESTAMP
);

-- Not part of the log (rows are deleted): the bot_token of each tg_bot message whose delivery
-- has not ended, sealed with the data dir's key (relay/core/secretbox.py), never readable.
CREATE TABLE IF NOT EXISTS sealed_bot_tokens (
    message_id VARCHAR NOT NULL,
    sealed     BLOB NOT NULL
);
