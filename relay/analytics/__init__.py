"""The analytics engine: the webchat inbound query, its exports, the address book, importing
history, and the reply links derived as messages and events are written."""
