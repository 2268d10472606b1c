-- What the network later reported about a message already sent (docs/api.md, Delivery
-- outcome): delivered or undelivered, as the phone passed it on. A message has at most one;
-- a repeated report is not logged. Its status stays `sent`.
CREATE TABLE delivery_reports (
    seq         BIGINT NOT NULL,
    recorded_at TIMESTAMP NOT NULL,
    message_id  VARCHAR NOT NULL,
    result      VARCHAR NOT NULL,      -- delivered | undelivered
    reported_at TIMESTAMP NOT NULL     -- the network's time of the report, else recorded_at
);
