-- Message and inbound bodies move out of the log into side tables, so that retention
-- (body_retention_days, relay/store/bodies.py) can drop old bodies while every fact analytics
-- counts stays. These two tables are the one place rows are deleted, and only by retention.
-- A body row is written in the same commit as its fact; a fact whose body is gone reads as
-- text NULL. recorded_at is when the relay recorded the fact: the age retention goes by.
CREATE TABLE message_bodies (
    message_id  VARCHAR NOT NULL,
    recorded_at TIMESTAMP NOT NULL,
    text        VARCHAR NOT NULL,
    subject     VARCHAR,
    title       VARCHAR
);

-- Only inbound events with a text have a row (calls have none).
CREATE TABLE inbound_bodies (
    event_id    VARCHAR NOT NULL,
    recorded_at TIMESTAMP NOT NULL,
    text        VARCHAR NOT NULL
);

INSERT INTO message_bodies
    SELECT message_id, created_at, text, subject, title FROM messages ORDER BY seq;
INSERT INTO inbound_bodies
    SELECT event_id, recorded_at, text FROM inbound_events WHERE text IS NOT NULL ORDER BY seq;

ALTER TABLE messages DROP COLUMN text;
ALTER TABLE messages DROP COLUMN subject;
ALTER TABLE messages DROP COLUMN title;
ALTER TABLE inbound_events DROP COLUMN text;

-- The webhook outbox kept a copy of each inbound event's text in its payload; payloads now
-- leave it out and the text is joined from inbound_bodies when a delivery is sent or shown.
UPDATE webhook_deliveries SET payload = CAST(json_merge_patch(payload, '{"text":null}') AS VARCHAR)
    WHERE kind = 'inbound';
