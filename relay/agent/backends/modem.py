"""The modem backend: a USB GSM/LTE modem (or any phone Gammu drives) through python-gammu,
the binding of Gammu, the open library Gammu SMSD runs on. The gammurc file (--gammurc) names
the device and connection.

- sms: a long text goes as concatenated parts, a text outside GSM-7 as Unicode (Gammu's
  EncodeSMS); `sent` once the modem accepted every part. Each part asks for a delivery report;
  the parts' message references are kept in the state folder (modem-sent.json) to match the
  reports that come back: every part delivered makes the message `delivered`, a part refused
  for good makes it `undelivered`.
- inbound: messages are read from the modem's memory, the parts of one joined (LinkSMS), and
  deleted from the modem only after the relay acknowledged the event (at-least-once; the
  event id is derived from the message, so a message read again after a restart is the same
  event to the relay).
- calls: an incoming call is reported `missed` (a modem answers nothing), when the modem
  announces calls; they are not kept across a restart.
- vitals: signal, and battery where the device reports one.

python-gammu blocks: each call runs in a thread, one at a time. It is imported here only, so
the agent runs without it when another backend is used."""
import asyncio
import datetime as dt
import hashlib
import logging
import pathlib
import threading
import time

from relay.agent.backends import Backend, Outcome, sim_slot
from relay.agent.files import read_json, write_json
from relay.core.timefmt import iso, parse_iso, utcnow

log = logging.getLogger("relay.agent.modem")
SENT_FILE = "modem-sent.json"
KEEP_SENT = dt.timedelta(days=7)        # past an SMS's usual validity: no report comes later
INCOMPLETE_WAIT = dt.timedelta(hours=1)  # then the parts that came are reported as they are
RING_SECONDS = 60                       # rings of one number within this are one call
# GSM 03.38: the default alphabet and its extension table; anything else needs Unicode.
GSM7 = set("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡"
           "ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
           "\f^{}\\[~]|€")


def is_gsm7(text: str) -> bool:
    return all(character in GSM7 for character in text)


def signal_bars(percent: int) -> int:
    """Gammu's signal percentage as 0-4 bars."""
    return 0 if percent <= 0 else min(4, 1 + (percent - 1) // 25)


def _utc(value) -> str:
    """An SMS time as ISO-8601 UTC; a time Gammu gives without an offset is local."""
    if not isinstance(value, dt.datetime):
        return iso(utcnow())
    return iso(value.astimezone(dt.timezone.utc).replace(tzinfo=None))


def _same_number(a: str, b: str) -> bool:
    """Numbers as sent and as a report gives them (with or without + and country code)."""
    digits_a, digits_b = "".join(filter(str.isdigit, a)), "".join(filter(str.isdigit, b))
    return bool(digits_a) and digits_a[-9:] == digits_b[-9:]


class Modem(Backend):
    name = "modem"
    channels = frozenset({"sms"})
    SIM_SLOTS = 1

    def __init__(self, state_dir, gammurc: str | None = None, section: int = 0,
                 poll_seconds: float = 15.0):
        try:
            import gammu
        except ImportError:
            raise ImportError("python-gammu is missing: pip install python-gammu") from None
        self.gammu = gammu
        self.gammurc, self.section, self.poll_seconds = gammurc, section, poll_seconds
        self._machine = None
        self._lock = asyncio.Lock()             # one python-gammu call at a time
        self._sent_path = pathlib.Path(state_dir) / SENT_FILE
        self._sent: dict[str, dict] = read_json(self._sent_path, {})
        self._reported: dict[str, list[int]] = {}   # event id -> its parts' locations
        self._acked: set[str] = set()          # acknowledged before this run read them
        self._handling: set[int] = set()       # locations of reports waiting for the agent
        self._reports: asyncio.Queue = asyncio.Queue()
        self._rings: list[tuple[str, float]] = []   # (number, time) from Gammu's thread
        self._rings_lock = threading.Lock()
        self._last_ring: dict[str, float] = {}

    # -- python-gammu, in a thread ---------------------------------------------------------
    async def call(self, name: str, *args, **kwargs):
        async with self._lock:
            return await asyncio.to_thread(self._blocking, name, args, kwargs)

    def _blocking(self, name: str, args, kwargs):
        if self._machine is None:
            self._machine = self._connect()
        try:
            return getattr(self._machine, name)(*args, **kwargs)
        except (self.gammu.ERR_DEVICENOTEXIST, self.gammu.ERR_DEVICEOPENERROR,
                self.gammu.ERR_DEVICEREADERROR, self.gammu.ERR_DEVICEWRITEERROR,
                self.gammu.ERR_NOTCONNECTED, self.gammu.ERR_TIMEOUT):
            self._machine = None          # unplugged or stuck: connect afresh next time
            raise

    def _connect(self):
        machine = self.gammu.StateMachine()
        machine.ReadConfig(Section=self.section, Filename=self.gammurc)
        machine.Init()
        machine.SetIncomingCallback(self._on_incoming)
        try:
            machine.SetIncomingCall(True)
        except self.gammu.GSMError as error:
            log.warning("modem: this device does not announce calls (%s)", describe(error))
        return machine

    def _on_incoming(self, machine, kind, data) -> None:
        """Gammu's callback, in Gammu's thread: remembers a ringing number."""
        if kind == "Call" and data.get("Status") == "IncomingCall":
            with self._rings_lock:
                self._rings.append((data.get("Number") or "", time.time()))

    # -- sending ---------------------------------------------------------------------------
    async def send(self, frame: dict) -> Outcome:
        _, error = sim_slot(frame, self.SIM_SLOTS)
        if error is not None:
            return Outcome.failed(error)
        text = frame["text"]
        try:
            parts = self.gammu.EncodeSMS({"Class": -1, "Unicode": not is_gsm7(text), "Entries": [
                {"ID": "ConcatenatedTextLong", "Buffer": text}]})
        except self.gammu.GSMError as error:
            return Outcome.failed(f"the text cannot be encoded as SMS: {describe(error)}")
        # Known before the first part goes: its report may come back while the others are sent.
        references: list[int] = []
        self._sent[frame["message_id"]] = {"number": frame["to"], "pending": references,
                                           "awaiting": len(parts), "sent_at": iso(utcnow())}
        for number, part in enumerate(parts, 1):
            # Type Status_Report: a submitted message that asks for a delivery report.
            part.update(SMSC={"Location": 1}, Number=frame["to"], Type="Status_Report")
            try:
                references.append(await self.call("SendSMS", part))
            except self.gammu.GSMError as error:
                gone = f" (parts 1-{number - 1} went out)" if number > 1 else ""
                log.warning("modem: %s part %d failed: %s", frame["message_id"], number,
                            describe(error))
                del self._sent[frame["message_id"]]
                return Outcome.failed(f"the modem did not send part {number} of {len(parts)}: "
                                      f"{describe(error)}{gone}")
        self._save_sent()
        log.info("modem: %s sent in %d part(s), references %s", frame["message_id"],
                 len(parts), references)
        return Outcome("sent", references=tuple(references))

    def _save_sent(self) -> None:
        cutoff = utcnow() - KEEP_SENT
        self._sent = {m: s for m, s in self._sent.items() if parse_iso(s["sent_at"]) > cutoff}
        write_json(self._sent_path, self._sent)

    # -- what came in ----------------------------------------------------------------------
    async def incoming(self):
        while True:
            try:
                await self.call("ReadDevice")        # lets Gammu see calls ringing
            except self.gammu.GSMError:
                pass
            for event in self._calls():
                yield event
            try:
                stored = await self._read_memory()
            except self.gammu.GSMError as error:
                log.warning("modem: cannot read its messages: %s", describe(error))
                stored = []
            await self._take_reports([m for m in stored if m[0]["Type"] == "Status_Report"])
            for event, locations in self._messages([m for m in stored
                                                    if m[0]["Type"] == "Deliver"]):
                if event["event_id"] in self._acked:      # committed before a restart
                    self._acked.discard(event["event_id"])
                    await self._delete(locations)
                elif event["event_id"] not in self._reported:
                    self._reported[event["event_id"]] = locations
                    yield event
            await asyncio.sleep(self.poll_seconds)

    async def _read_memory(self) -> list:
        """Every message in the modem, each as Gammu's one-element list."""
        stored, location = [], None
        while True:
            try:
                if location is None:
                    message = await self.call("GetNextSMS", Folder=0, Start=True)
                else:
                    message = await self.call("GetNextSMS", Folder=0, Location=location)
            except self.gammu.ERR_EMPTY:
                return stored
            stored.append(message)
            location = message[0]["Location"]

    def _messages(self, stored: list):
        """(event, locations) of each complete received message, its parts joined."""
        for group in self.gammu.LinkSMS(stored):
            first = group[0]
            udh = first.get("UDH") or {}
            if udh.get("AllParts", -1) > len(group) and isinstance(first["DateTime"], dt.datetime) \
                    and utcnow() - parse_iso(_utc(first["DateTime"])) < INCOMPLETE_WAIT:
                continue                   # more parts are on their way
            text = self._text(group)
            occurred_at = _utc(first["DateTime"])
            key = f"{first['Number']}|{occurred_at}|{text}"
            yield ({"event_id": "modem-sms-" + hashlib.sha256(key.encode()).hexdigest()[:24],
                    "channel": "sms", "event_type": "message", "contact": first["Number"],
                    "text": text, "occurred_at": occurred_at},
                   [part["Location"] for part in group])

    def _text(self, group: list) -> str:
        """The text of a message's parts: DecodeSMS joins concatenated ones; a part it cannot
        decode (a lone part, an unusual header) gives its text as it is."""
        try:
            decoded = self.gammu.DecodeSMS(group)
        except self.gammu.GSMError:
            decoded = None
        entries = (decoded or {}).get("Entries") or [{}]
        if isinstance(entries[0].get("Buffer"), str):
            return entries[0]["Buffer"]
        return "".join(part["Text"] or "" for part in group)

    def _calls(self) -> list[dict]:
        with self._rings_lock:
            rings, self._rings = self._rings, []
        events = []
        for number, at in rings:
            if at - self._last_ring.get(number, 0) > RING_SECONDS:
                occurred_at = iso(dt.datetime.fromtimestamp(at, dt.timezone.utc)
                                  .replace(tzinfo=None))
                key = f"{number}|{occurred_at}"
                events.append({"event_id": "modem-call-"
                               + hashlib.sha256(key.encode()).hexdigest()[:24],
                               "channel": "sms", "event_type": "missed", "contact": number,
                               "duration_sec": 0, "occurred_at": occurred_at})
            self._last_ring[number] = at
        return events

    async def acknowledged(self, event_id: str) -> None:
        if not event_id.startswith("modem-sms-"):
            return
        locations = self._reported.pop(event_id, None)
        if locations is None:        # reported before a restart: deleted when read again
            self._acked.add(event_id)
        else:
            await self._delete(locations)

    async def _delete(self, locations: list[int]) -> None:
        for location in locations:
            try:
                await self.call("DeleteSMS", Folder=0, Location=location)
            except self.gammu.ERR_EMPTY:
                pass                 # already gone
            except self.gammu.GSMError as error:
                log.warning("modem: cannot delete message %s: %s", location, describe(error))

    # -- delivery reports ------------------------------------------------------------------
    async def _take_reports(self, reports: list) -> None:
        """Matches each status report to the message part it is about; the one that settles a
        message goes to delivery_reports(), the others are used up here."""
        for (report,) in reports:
            if report["Location"] in self._handling:
                continue
            settled = self._settle(report)
            if settled is None:
                await self._delete([report["Location"]])
            else:
                self._handling.add(report["Location"])
                self._reports.put_nowait((*settled, report["Location"]))

    def _settle(self, report: dict) -> tuple[str, dict] | None:
        """(message_id, delivery report) when this report decides its message's outcome."""
        status, reference = report["DeliveryStatus"], report["MessageReference"]
        candidates = [(sent["sent_at"], message_id) for message_id, sent in self._sent.items()
                      if reference in sent["pending"]
                      and _same_number(sent["number"], report["Number"])]
        if not candidates:
            log.info("modem: a delivery report for no message it knows (reference %s)",
                     reference)
            return None
        message_id = max(candidates)[1]
        sent = self._sent[message_id]
        if 0x20 <= status < 0x40:           # the network is still trying
            return None
        if status < 0x20:
            sent["pending"].remove(reference)
            sent["awaiting"] -= 1
            if sent["awaiting"] > 0:       # one more part delivered; others still to report
                self._save_sent()
                return None
        result = "delivered" if status < 0x20 else "undelivered"
        return message_id, {"result": result, "at": _utc(report["DateTime"])}

    async def delivery_reports(self):
        while True:
            message_id, report, location = await self._reports.get()
            yield message_id, report           # resumed once the agent journaled it
            self._sent.pop(message_id, None)
            self._save_sent()
            await self._delete([location])
            self._handling.discard(location)

    # -- vitals ----------------------------------------------------------------------------
    async def vitals(self) -> dict:
        vitals = {}
        try:
            vitals["signal"] = signal_bars((await self.call("GetSignalQuality"))["SignalPercent"])
        except self.gammu.GSMError as error:
            log.warning("modem: no signal strength: %s", describe(error))
        try:
            charge = await self.call("GetBatteryCharge")
            if charge.get("ChargeState") not in ("PowerFed", "NoBattery") \
                    and 0 <= charge.get("BatteryPercent", -1) <= 100:
                vitals["battery"] = charge["BatteryPercent"]
        except self.gammu.GSMError:
            pass                       # most USB modems have no battery to report
        return vitals

    def close(self) -> None:
        if self._machine is not None:
            try:
                self._machine.Terminate()
            except self.gammu.GSMError:
                pass


def describe(error) -> str:
    """Gammu's error text, e.g. "No response in specified timeout (ERR_TIMEOUT)"."""
    detail = error.args[0] if error.args and isinstance(error.args[0], dict) else {}
    return f"{detail.get('Text', error)} ({type(error).__name__})"
