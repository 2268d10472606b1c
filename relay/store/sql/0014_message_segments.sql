-- What an sms costs, as its acceptance answer showed it (docs/api.md, Segments): the alphabet
-- it goes in (GSM-7 or UCS-2) and the number of SMS parts. Kept in the row, so a message whose
-- body retention dropped still shows them. NULL for the other channels, and for messages
-- accepted before this version.
ALTER TABLE messages ADD COLUMN encoding VARCHAR;
ALTER TABLE messages ADD COLUMN segments SMALLINT;
