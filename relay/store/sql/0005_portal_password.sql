-- The portal owner's password (relay/portal/operations.py): each row sets it, as an scrypt hash
-- (relay/portal/passwords.py); the latest row is the one in force.
CREATE TABLE IF NOT EXISTS portal_events (
    seq           BIGINT NOT NULL,
    recorded_at   TIMESTAMP NOT NULL,
    event         VARCHAR NOT NULL,   -- password_set
    password_hash VARCHAR NOT NULL
);
