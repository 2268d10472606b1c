"""The simulated delivery backend of the phone agent (`relay phone --simulate`): it "sends"
after a delay, fails a given share of messages, and makes up incoming messages and calls from a
set of contacts. Used by the tests, `relay demo` and the benchmarks. It "delivers" every phone
channel and has two SIM slots."""
import asyncio
import os
import random
import secrets

from relay.agent.backends import PHONE_CHANNELS, Backend, Outcome, sim_slot
from relay.core.timefmt import iso, utcnow

DEFAULT_CONTACTS = ("+12025550143", "+12025550178", "+447700900123", "@relay_friend")
INBOUND_TEXTS = ("On my way", "Thanks!", "Can you call me?", "See you at 6", "ok")


class Simulator(Backend):
    name = "simulator"
    channels = PHONE_CHANNELS
    SIM_SLOTS = 2

    def __init__(self, delay: float = 0.05, failure_rate: float = 0.0,
                 inbound_per_minute: float = 0.0, contacts=DEFAULT_CONTACTS,
                 sent_log: str | None = None, seed: int | None = None):
        self.delay, self.failure_rate = delay, failure_rate
        self.inbound_per_minute = inbound_per_minute
        self.contacts = tuple(contacts)
        self.random = random.Random(seed)
        self.sent: list[str] = []                  # ids of the messages it "sent", in order
        self._sent_log = open(sent_log, "a", encoding="utf-8") if sent_log else None

    async def send(self, frame: dict) -> Outcome:
        """Sent, or failed with a reason, after the simulated delay."""
        _, error = sim_slot(frame, self.SIM_SLOTS)
        if error is not None:
            return Outcome.failed(error)
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.random.random() < self.failure_rate:
            return Outcome.failed("simulated failure: no network")
        self.sent.append(frame["message_id"])
        if self._sent_log is not None:   # what the tests count: each id must appear once
            self._sent_log.write(frame["message_id"] + "\n")
            self._sent_log.flush()
            os.fsync(self._sent_log.fileno())
        return Outcome("sent")

    async def incoming(self):
        """Incoming messages and calls at the configured rate, forever."""
        while self.inbound_per_minute > 0:
            await asyncio.sleep(self.random.expovariate(self.inbound_per_minute / 60))
            yield self.make_event()

    def make_event(self) -> dict:
        contact = self.random.choice(self.contacts)
        channel = "tg" if contact.startswith("@") else self.random.choice(("sms", "wa", "pchat"))
        event = {"event_id": "sim-" + secrets.token_hex(8), "channel": channel,
                 "contact": contact, "occurred_at": iso(utcnow())}
        if channel != "tg" and self.random.random() < 0.3:       # a call on that line
            answered = self.random.random() < 0.6
            event.update(channel="sms" if channel == "pchat" else channel,
                         event_type="answered" if answered else "missed",
                         duration_sec=self.random.randint(5, 600) if answered else 0)
        else:
            event.update(event_type="message", text=self.random.choice(INBOUND_TEXTS))
        return event

    async def vitals(self) -> dict:
        return {"battery": self.random.randint(20, 100), "signal": self.random.randint(1, 4)}

    def close(self) -> None:
        if self._sent_log is not None:
            self._sent_log.close()
