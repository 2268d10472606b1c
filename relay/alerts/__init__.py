"""Response-time alerts: the rules a client sets for which inbound events must get a reply
within how long (in office hours, in a time zone), the deadline each matching event gets in the
log, and the alert when it passes unanswered (a `waiting` fact, the `inbound.unanswered`
webhook, a message to the owner) or is answered late. docs/alerts.md."""
