"""The phone channel: pairing and tokens, the websocket device protocol, the dispatcher that
feeds each phone its queued messages, and the reference phone agent (docs/device-protocol.md)."""
