"""Feeds each connected phone its open messages, oldest first, with at most `window` of them
delivered and not yet finished (sent, failed or expired). Runs on the IOLoop only.

A message delivered on a connection that drops goes back to the head of its phone's queue and
is delivered again on the next connection; the phone de-duplicates by message_id.

Queues hold the messages as published; each one's frame is made when it is sent, so a phone
that is offline costs a send nothing but its place in the queue."""
import collections
import itertools


class PhoneQueue:
    """Messages by id. Their arrival order is kept apart, not paired with each message: a
    message of strings alone leaves the garbage collector's view while it waits, which keeps
    full collections short behind a long queue."""

    def __init__(self):
        self.waiting: collections.OrderedDict[str, dict] = collections.OrderedDict()
        self.in_flight: dict[str, dict] = {}
        self.arrival: dict[str, int] = {}

    def requeue_in_flight(self) -> None:
        if self.in_flight:
            merged = sorted([*self.in_flight.items(), *self.waiting.items()],
                            key=lambda item: self.arrival[item[0]])
            self.waiting = collections.OrderedDict(merged)
            self.in_flight = {}


class Dispatcher:
    def __init__(self, window: int, frame_of):
        self.window = window
        self._frame_of = frame_of                # message -> the frame sent for it
        self.queues: dict[str, PhoneQueue] = collections.defaultdict(PhoneQueue)
        self._senders: dict = {}                 # phone_id -> send(frame) of its live socket
        self._order = itertools.count()          # arrival order: accepted order, oldest first

    def add(self, phone_id: str, message: dict) -> None:
        queue = self.queues[phone_id]
        queue.waiting[message["message_id"]] = message
        queue.arrival[message["message_id"]] = next(self._order)
        self._pump(phone_id)

    def finish(self, phone_id: str, message_id: str) -> None:
        queue = self.queues.get(phone_id)
        if queue is not None:
            queue.waiting.pop(message_id, None)
            queue.arrival.pop(message_id, None)
            if queue.in_flight.pop(message_id, None) is not None:
                self._pump(phone_id)

    def attach(self, phone_id: str, send) -> None:
        self._senders[phone_id] = send
        self.queues[phone_id].requeue_in_flight()
        self._pump(phone_id)

    def detach(self, phone_id: str, send) -> None:
        if self._senders.get(phone_id) == send:     # bound methods: equal, not identical
            del self._senders[phone_id]
            self.queues[phone_id].requeue_in_flight()

    def depth(self, phone_id: str) -> tuple[int, int]:
        """(waiting, in flight) for the phones API."""
        queue = self.queues.get(phone_id)
        return (len(queue.waiting), len(queue.in_flight)) if queue else (0, 0)

    def _pump(self, phone_id: str) -> None:
        send = self._senders.get(phone_id)
        queue = self.queues[phone_id]
        while send is not None and queue.waiting and len(queue.in_flight) < self.window:
            message_id, message = queue.waiting.popitem(last=False)
            queue.in_flight[message_id] = message
            send(self._frame_of(message))
