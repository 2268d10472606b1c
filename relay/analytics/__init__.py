"""The analytics engine: the webchat inbound query, its exports, and importing history."""
