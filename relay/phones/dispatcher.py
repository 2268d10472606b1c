"""Feeds each connected phone its open messages, oldest first, with at most `max_in_flight` of
them delivered and not yet finished (sent, failed or expired). Runs on the IOLoop only.

A message delivered on a connection that drops goes back to the head of its phone's queue and
is delivered again on the next connection; the phone de-duplicates by message_id.

Memory holds a window of each phone's queue: its oldest waiting messages, at most `window` of
them (plus those put back from a dropped connection), and the count of the rest, which wait in
the database only, so a phone offline for days costs a few hundred messages' memory, not all of
theirs. When a connected phone's window runs below half, the next messages are read back from
the log on a reader thread (`read_waiting`), oldest first.

A message is placed by its seq, the order of acceptance: memory holds every open message up to
`loaded_to`, the database the rest. A read and the bus race: an accepted message may reach the
IOLoop after a read that already found it (it is then known by `counted_to`), and a message
may go final while a read that found it open is under way (it is then left out of the read).

Queues hold the messages as published; each one's frame is made when it is sent, so a phone
that is offline costs a send nothing but its place in the queue.

High-priority messages wait in a queue of their own, ahead of the others, kept in memory whole:
they are few (one-time codes, alerts) and each must be at hand to go first.

A message a client is moving or cancelling is withheld: taken out of its queue (or, waiting in
the database only, kept out of the reads) until the change is committed or refused. One already
delivered to the phone cannot be withheld.

Pacing (relay/phones/pacing.py) may hold a queue's first message, and with it the rest: one
timer per phone pumps its queue again when that message may go."""
import asyncio
import collections
import dataclasses
import logging

from relay.core.errors import StorageUnavailable

log = logging.getLogger("relay.device")


@dataclasses.dataclass
class _Read:
    """What happens to a phone's queue while a read of it is under way."""
    finished: set = dataclasses.field(default_factory=set)     # ids gone final meanwhile
    arrived: list = dataclasses.field(default_factory=list)    # seqs accepted meanwhile
    again: bool = False                                         # read again once it is back


def _high(message: dict) -> bool:
    return message.get("priority") == "high"


def _in_order(*parts) -> collections.OrderedDict:
    return collections.OrderedDict(sorted((item for part in parts for item in part),
                                          key=lambda item: item[1]["seq"]))


class PhoneQueue:
    def __init__(self):
        self.urgent: collections.OrderedDict[str, dict] = collections.OrderedDict()
        self.waiting: collections.OrderedDict[str, dict] = collections.OrderedDict()
        self.in_flight: dict[str, dict] = {}
        self.withheld: dict[str, dict | None] = {}   # message_id -> the message, if in memory
        self.behind = 0         # open messages after loaded_to: in the database only
        self.loaded_to = 0      # every open message with a seq up to this one is in memory
        self.counted_to = 0     # every message accepted up to this seq is in memory or behind
        self.read: _Read | None = None

    def requeue_in_flight(self) -> None:
        if self.in_flight:
            back = self.in_flight.items()
            self.urgent = _in_order(self.urgent.items(), [i for i in back if _high(i[1])])
            self.waiting = _in_order(self.waiting.items(),
                                     [i for i in back if not _high(i[1])])
            self.in_flight = {}

    def put(self, message: dict) -> None:
        """Back in its place: a withheld message whose change was refused."""
        item = [(message["message_id"], message)]
        if _high(message):
            self.urgent = _in_order(self.urgent.items(), item)
        else:
            self.waiting = _in_order(self.waiting.items(), item)


class Dispatcher:
    def __init__(self, max_in_flight: int, window: int, frame_of, read_waiting, pacing):
        self.max_in_flight = max_in_flight
        self.window = window
        self._frame_of = frame_of                # message -> the frame sent for it
        # async (phone_id, after seq, limit) -> (horizon, Waiting | None): relay/store/deliveries
        self._read_waiting = read_waiting
        self.queues: dict[str, PhoneQueue] = collections.defaultdict(PhoneQueue)
        self._senders: dict = {}                 # phone_id -> send(frame) of its live socket
        self._reads: set[asyncio.Task] = set()
        self._pacing = pacing                    # delay(phone_id, message), handed(...)
        self._paced: dict[str, asyncio.TimerHandle] = {}   # phone_id -> its next pump

    def load(self, phone_id: str, horizon: int, waiting) -> None:
        """A phone's window and count as read from the log at start-up."""
        self._loaded(self.queues[phone_id], horizon, waiting)

    def load_urgent(self, phone_id: str, messages: list[dict]) -> None:
        """A phone's high-priority messages as read from the log at start-up."""
        self.queues[phone_id].urgent.update((m["message_id"], m) for m in messages)

    def add(self, phone_id: str, message: dict) -> None:
        queue, seq = self.queues[phone_id], message["seq"]
        if message["message_id"] in queue.withheld:
            queue.withheld[message["message_id"]] = message
            return
        if _high(message):
            queue.urgent[message["message_id"]] = message
            self._pump(phone_id)
            return
        if seq <= queue.counted_to:       # a read found it already
            return
        queue.counted_to = seq
        if queue.read is None and not queue.behind and len(queue.waiting) < self.window:
            queue.waiting[message["message_id"]] = message
            queue.loaded_to = seq
            self._pump(phone_id)
        else:                              # it waits in the database; a read brings it
            queue.behind += 1
            if queue.read is not None:
                queue.read.arrived.append(seq)

    def withhold(self, phone_id: str, message_id: str) -> bool:
        """Takes a message out of its queue while a change to it is written; False when the
        phone has it already."""
        queue = self.queues[phone_id]
        if message_id in queue.in_flight:
            return False
        queue.withheld[message_id] = (queue.urgent.pop(message_id, None)
                                      or queue.waiting.pop(message_id, None))
        return True

    def give_back(self, phone_id: str, message_id: str) -> None:
        """The change was refused or failed: the message goes back to its place."""
        queue = self.queues[phone_id]
        message = queue.withheld.pop(message_id, None)
        if message is not None:
            queue.put(message)
            self._pump(phone_id)

    def drop(self, phone_id: str, message_id: str) -> None:
        """The message waits for a new time: out of its queue until it is released again."""
        queue = self.queues[phone_id]
        queue.withheld.pop(message_id, None)
        queue.urgent.pop(message_id, None)
        queue.waiting.pop(message_id, None)

    def finish(self, phone_id: str, message_id: str) -> None:
        queue = self.queues.get(phone_id)
        if queue is None:
            return
        queue.withheld.pop(message_id, None)
        if (queue.urgent.pop(message_id, None) is not None
                or queue.waiting.pop(message_id, None) is not None):
            return
        if queue.in_flight.pop(message_id, None) is not None:
            self._pump(phone_id)
        elif queue.read is not None:
            # Not in memory: in the database, or of a channel the phone does not deliver. An
            # expiry there is counted by the read after the sweep (refresh).
            queue.read.finished.add(message_id)

    def refresh(self) -> None:
        """Reads again the count (and the window) of every queue with messages in the database
        only, after some of them may have gone final there (the expiry sweep)."""
        for phone_id, queue in self.queues.items():
            if queue.behind:
                self._read(phone_id, queue)

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
        return ((len(queue.urgent) + len(queue.waiting) + queue.behind, len(queue.in_flight))
                if queue else (0, 0))

    def _pump(self, phone_id: str) -> None:
        send = self._senders.get(phone_id)
        if send is None:
            return
        queue = self.queues[phone_id]
        while (queue.urgent or queue.waiting) and len(queue.in_flight) < self.max_in_flight:
            if self._held(phone_id, next(iter((queue.urgent or queue.waiting).values()))):
                break
            message_id, message = (queue.urgent or queue.waiting).popitem(last=False)
            queue.in_flight[message_id] = message
            send(self._frame_of(message))
            self._pacing.handed(phone_id, message)
        if queue.behind and queue.read is None and len(queue.waiting) < self.window / 2:
            self._read(phone_id, queue)

    # -- pacing --------------------------------------------------------------------------------
    def _held(self, phone_id: str, message: dict) -> bool:
        """True when pacing holds the message: the phone's queue is pumped again when it may
        go (or sooner, by `repace`)."""
        delay = self._pacing.delay(phone_id, message)
        if delay is None:
            return False
        self._cancel_pacing_timer(phone_id)
        self._paced[phone_id] = asyncio.get_running_loop().call_later(
            delay, self.repace, phone_id)
        return True

    def repace(self, phone_id: str) -> None:
        """Pumps the phone's queue now: its hold ended, or its pacing changed."""
        self._cancel_pacing_timer(phone_id)
        self._pump(phone_id)

    def _cancel_pacing_timer(self, phone_id: str) -> None:
        timer = self._paced.pop(phone_id, None)
        if timer is not None:
            timer.cancel()

    # -- reading back from the log -------------------------------------------------------------
    def _read(self, phone_id: str, queue: PhoneQueue) -> None:
        if queue.read is not None:
            queue.read.again = True
            return
        queue.read = _Read()
        task = asyncio.ensure_future(self._read_more(phone_id, queue, queue.loaded_to,
                                                     max(0, self.window - len(queue.waiting))))
        self._reads.add(task)
        task.add_done_callback(self._reads.discard)

    async def _read_more(self, phone_id: str, queue: PhoneQueue, after: int, limit: int) -> None:
        try:
            horizon, waiting = await self._read_waiting(phone_id, after, limit)
        except Exception as error:    # the store is closing or failing: the next pump retries
            queue.read = None
            log.log(logging.DEBUG if isinstance(error, StorageUnavailable) else logging.WARNING,
                    "could not read the queue of %s: %s", phone_id, error)
            return
        read, queue.read = queue.read, None
        self._loaded(queue, horizon, waiting, read)
        if read.again and queue.behind:
            self._read(phone_id, queue)
        self._pump(phone_id)

    def _loaded(self, queue: PhoneQueue, horizon: int, waiting, read: _Read | None = None):
        """Applies a read: the messages it found join the window (oldest first, all after
        those in memory) and the count is what the read found plus what arrived after it."""
        messages, count = waiting or ((), 0)
        finished = read.finished if read is not None else ()
        for message in messages:
            if message["message_id"] in queue.withheld:
                queue.withheld[message["message_id"]] = message
            elif message["message_id"] not in finished:
                queue.waiting[message["message_id"]] = message
        if count == len(messages):
            queue.loaded_to = horizon
        elif messages:
            queue.loaded_to = messages[-1]["seq"]
        queue.counted_to = max(queue.counted_to, horizon)
        arrived = read.arrived if read is not None else ()
        queue.behind = count - len(messages) + sum(seq > horizon for seq in arrived)
