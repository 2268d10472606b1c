-- The SIM slot (1 or 2) a client asked the phone to send a message from; NULL: the phone's
-- default.
ALTER TABLE messages ADD COLUMN sim TINYINT;
