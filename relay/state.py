"""Every feature's in-memory state on one object: what the IOLoop consults without touching
DuckDB (to authenticate, to check a phone exists) and what the writer's batches change, only
after their commit. Each part is defined and loaded in its feature's state module; the store
loads this object at start-up and hands it to every batch as batch.state."""
import datetime as dt

from relay.admin.state import KeyState
from relay.alerts import operations as alert_operations
from relay.alerts.state import AlertState
from relay.analytics.replies import ReplyLinks
from relay.messages.state import MessageState
from relay.phones.state import PhoneState
from relay.webhooks.state import WebhookState


class State(KeyState, PhoneState, MessageState):
    def __init__(self, idempotency_window: dt.timedelta, reply_window: dt.timedelta,
                 secret_box, alert_minute: dt.timedelta = dt.timedelta(minutes=1)):
        KeyState.__init__(self)
        PhoneState.__init__(self)
        MessageState.__init__(self, idempotency_window)
        self.webhooks = WebhookState(secret_box)       # callbacks and due deliveries
        self.replies = ReplyLinks(reply_window)        # each client's replies to its messages
        self.alerts = AlertState(reply_window, alert_minute)   # response rules and deadlines

    def load(self, con) -> None:
        KeyState.load(self, con)
        PhoneState.load(self, con)
        MessageState.load(self, con)
        self.webhooks.load(con, self.open_messages)
        self.replies.load(con)
        self.alerts.load(con)

    def derive(self, batch) -> None:
        """The writer's hook: the facts a group's rows imply, in its own commit. Alerts read
        the reply links, so those come first."""
        self.replies.derive(batch)
        alert_operations.derive(batch)
