-- Only messages sent with an idempotency key carry a fingerprint (it is computed for them
-- alone); the others store NULL.
ALTER TABLE messages ALTER COLUMN fingerprint DROP NOT NULL;
