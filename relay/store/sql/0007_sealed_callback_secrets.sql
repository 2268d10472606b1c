-- A callback's signing secret and callback_token leave the log in clear: they are sealed
-- together with the data dir's secrets.key into sealed_secrets (relay/webhooks/sealed.py), so
-- the database file, backups and archives hold them unreadable. seal_callback_secrets is the
-- relay's own function, registered for the migration. DuckDB reuses freed blocks without
-- clearing them, so the relay then rewrites the database into a fresh file
-- (relay/store/rewrite.py): the clear values are gone from the file too.
ALTER TABLE callback_events ADD COLUMN sealed_secrets BLOB;

UPDATE callback_events
    SET sealed_secrets = seal_callback_secrets(callback_id, secret, callback_token)
    WHERE event = 'set';

ALTER TABLE callback_events DROP COLUMN secret;
ALTER TABLE callback_events DROP COLUMN callback_token;
