-- What a phone says it can deliver: the channels of its heartbeat (docs/device-protocol.md).
-- NULL on the heartbeats of a phone that does not say; a phone's capabilities are those of
-- its latest heartbeat that did.
ALTER TABLE device_events ADD COLUMN channels VARCHAR[];
