"""The phones, server side: configuration, pairing and tokens, the device websocket, the queue each
phone is fed from, presence and expiry, and the inbound events phones report
(docs/device-protocol.md)."""
