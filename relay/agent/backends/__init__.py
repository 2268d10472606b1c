"""How the phone agent delivers: a backend sends what the relay hands over, reports what came
in, and tells the phone's battery and signal. The agent (relay/agent/agent.py) does the rest:
pairing, the websocket, de-duplication, the journal, acks and retries.

Backends shipped: `simulator` (the tests and the demo), `termux` (an Android phone through
Termux:API) and `modem` (a USB GSM modem through python-gammu). docs/phones.md says what each
can and cannot do."""
import dataclasses
from collections.abc import AsyncIterator

# Every channel a phone may be handed (docs/device-protocol.md, the deliver frame).
PHONE_CHANNELS = frozenset({"sms", "wa", "tg", "notify", "pchat", "email"})

# Why a channel a backend lacks is refused, said the same way by every backend.
MISSING_APP = {
    "wa": "WhatsApp through a phone needs an Android app that does not exist yet",
    "tg": "Telegram through a phone needs an Android app that does not exist yet",
    "pchat": "the relay app's chat needs the Android app, which does not exist yet",
}


@dataclasses.dataclass(frozen=True)
class Outcome:
    """What became of one message: `sent` (handed to the network: the backend says how far
    that goes) or `failed` with a reason a person can act on. `references` are the network's
    ids of what went out (a modem's message references, one per part), kept in the journal."""
    status: str
    error: str | None = None
    references: tuple = ()

    @classmethod
    def failed(cls, error: str) -> "Outcome":
        return cls("failed", error)


class Backend:
    """The interface every backend implements. Methods are coroutines run on the agent's
    loop: anything that blocks (a subprocess, a serial port) must be awaited or run in a
    thread, and every wait has a timeout, so a stuck phone fails a message instead of hanging
    the agent."""

    name = "backend"
    channels: frozenset[str] = frozenset()   # what it can deliver; sent to the relay

    async def send(self, frame: dict) -> Outcome:
        """Delivers one deliver frame (docs/device-protocol.md). The frame's channel is one of
        `channels` (the agent refuses the others). An optional `sim` (1 or 2) names the SIM
        slot; a backend without that slot fails the message saying so."""
        raise NotImplementedError

    async def incoming(self) -> AsyncIterator[dict]:
        """Inbound events (the inbound frame's fields), each once, for as long as the agent
        runs. The agent journals each event before it asks for the next one, so a backend may
        take an event as safely handed over once the iterator is resumed."""
        return
        yield

    async def acknowledged(self, event_id: str) -> None:
        """The relay committed this inbound event: a backend that keeps what came in (a
        modem's memory) may now delete it."""

    async def delivery_reports(self) -> AsyncIterator[tuple[str, dict]]:
        """(message_id, {"result": "delivered" | "undelivered", "at": ISO time}) for each
        delivery report the network sent back, for backends that get them. Resumed only after
        the agent journaled the report, as with incoming()."""
        return
        yield

    async def vitals(self) -> dict:
        """{"battery": 0-100 or None, "signal": 0-4 bars or None}; never raises."""
        return {}

    def close(self) -> None:
        """Releases what the backend holds (files, the modem)."""


def refusal(backend: Backend, frame: dict) -> str | None:
    """Why this backend cannot deliver the frame's channel, or None when it can."""
    channel = frame.get("channel")
    if channel in backend.channels:
        return None
    reason = MISSING_APP.get(channel, "the phone's backend has no way to send it")
    return f"the {backend.name} backend cannot deliver '{channel}' messages: {reason}"


def sim_slot(frame: dict, slots: int | None) -> tuple[int | None, str | None]:
    """(the 1-based SIM slot the frame asks for or None, and an error when the phone has
    fewer slots than that). `slots` None: unknown, any slot is tried."""
    sim = frame.get("sim")
    if sim is None:
        return None, None
    if isinstance(sim, bool) or not isinstance(sim, int) or sim < 1:
        return None, f"'sim' must be 1 or 2, not {sim!r}"
    if slots is not None and sim > slots:
        return None, f"SIM slot {sim} is not available: this phone has {slots} SIM slot" \
                     + ("s" if slots != 1 else "")
    return sim, None
