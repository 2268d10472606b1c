-- When and how a message may go (docs/api.md, Scheduling): what the client asked at acceptance,
-- and the later facts of its schedule.
--   send_at:     the time a scheduled message may go; NULL: at once
--   ttl_seconds: its own time to live, counted from when it may go; NULL: the relay's
--   expires_at:  its own expiry, a fixed time; NULL: by its time to live
--   priority:    'high' goes ahead of the others in its phone's queue; NULL: normal
ALTER TABLE messages ADD COLUMN send_at TIMESTAMP;
ALTER TABLE messages ADD COLUMN ttl_seconds INTEGER;
ALTER TABLE messages ADD COLUMN expires_at TIMESTAMP;
ALTER TABLE messages ADD COLUMN priority VARCHAR;
-- A waiting message's schedule since its acceptance:
--   rescheduled: the client moved it to send_at (it waits again until then)
--   released:    its time came and it joined its phone's (or the relay's) queue; the row's seq
--                is its place in that queue
CREATE TABLE message_schedule (
    seq         BIGINT NOT NULL,
    recorded_at TIMESTAMP NOT NULL,
    message_id  VARCHAR NOT NULL,
    event       VARCHAR NOT NULL,
    send_at     TIMESTAMP
);
