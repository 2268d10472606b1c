"""Messages: accepting a send or a batch of them (validation, idempotency, the sealed body, the
sms segments), its status as it moves forward, and the reads behind GET /api/v1/messages."""
