-- A message's body (text, subject, title) goes back into its log row, sealed under a key of its
-- UTC day (relay/store/body_keys.py): the send path then writes one table, and retention drops
-- a day's bodies by deleting that day's key (crypto-shredding) while the row stays as it was.
-- Messages accepted before this migration keep their bodies in message_bodies, which retention
-- still empties as before. body_keys is, like the bodies tables, a side table: retention is the
-- only thing that deletes its rows.
ALTER TABLE messages ADD COLUMN body BLOB;

CREATE TABLE body_keys (
    day        DATE NOT NULL,          -- the UTC day of the messages' created_at
    created_at TIMESTAMP NOT NULL,
    sealed     BLOB NOT NULL           -- the day's AES-256 key, sealed with secrets.key
);
