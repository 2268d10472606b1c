"""Messages: accepting a send (validation, idempotency, the sealed body), its status as it moves
forward, and the reads behind GET /api/v1/messages."""
