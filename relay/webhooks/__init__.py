"""Webhooks: callbacks a client registers, the durable outbox of deliveries to them, and the
IOLoop service that sends them (signed, retried, guarded against SSRF). docs/webhooks.md."""
