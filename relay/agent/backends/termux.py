"""The termux backend: an Android phone running Termux with the Termux:API add-on, driven
through Termux:API's commands (termux-sms-send, termux-notification, termux-sms-list,
termux-call-log, termux-battery-status, termux-telephony-*), each a subprocess with a timeout.

Termux:API reports no carrier result: `sent` means Android accepted the SMS for sending.
A missing command or a denied permission (Termux:API then prints a JSON error, or nothing)
fails the message with that reason and is logged; it never hangs the agent.

What came in is found by polling the inbox and the call log. What was already reported is
remembered in the state folder (termux-seen.json) by the message's `_id` and by the call's
time, number and type, so a restart neither repeats nor skips anything. On the very first run
everything already on the phone is taken as seen: the agent reports what arrives from then on.
Termux prints local times without an offset; they are read in the phone's time zone (Python's
local zone, which Termux sets from Android's)."""
import asyncio
import datetime as dt
import hashlib
import json
import logging
import pathlib

from relay.agent.backends import Backend, Outcome, sim_slot
from relay.agent.files import read_json, write_json
from relay.core.timefmt import iso

log = logging.getLogger("relay.agent.termux")
SEEN_FILE = "termux-seen.json"
LIST_LIMIT = 50           # inbox messages and calls read per poll
KEEP_SEEN = 1000          # remembered ids per kind; older ones fall below the floor
CALL_TYPES = {"INCOMING": "answered", "MISSED": "missed", "REJECTED": "missed",
              "BLOCKED": "missed"}   # OUTGOING, VOICEMAIL and UNKNOWN_TYPE are not reported


class TermuxError(Exception):
    """A Termux:API command that failed, timed out or is missing; the text says which."""


def local_time(text: str) -> str:
    """A Termux time ("YYYY-MM-DD HH:MM:SS", the phone's local time) as ISO-8601 UTC."""
    local = dt.datetime.strptime(text, "%Y-%m-%d %H:%M:%S").astimezone()
    return iso(local.astimezone(dt.timezone.utc).replace(tzinfo=None))


def call_seconds(duration: str) -> int:
    """Termux's call duration, "MM:SS" or "HH:MM:SS", in seconds."""
    seconds = 0
    for part in duration.split(":"):
        seconds = seconds * 60 + int(part)
    return seconds


def signal_bars(cells: list) -> int | None:
    """0-4 bars from the registered cell: Android's own level, else its dBm."""
    for cell in cells:
        if isinstance(cell, dict) and cell.get("registered"):
            if isinstance(cell.get("level"), int):
                return max(0, min(4, cell["level"]))
            if isinstance(cell.get("dbm"), int):
                return sum(cell["dbm"] >= floor for floor in (-115, -105, -95, -85))
    return None


class Seen:
    """Keys already reported, of one kind, with an order (an SMS `_id`, a call's time): keys
    at or below the floor count as seen too, so the set stays bounded."""

    def __init__(self, data: dict | None):
        data = data or {}
        self.keys: dict[str, object] = dict(data.get("keys", {}))
        self.floor = data.get("floor")

    def is_new(self, key: str, order) -> bool:
        return key not in self.keys and (self.floor is None or order > self.floor)

    def add(self, key: str, order) -> None:
        self.keys[key] = order
        if len(self.keys) > KEEP_SEEN:
            kept = sorted(self.keys.items(), key=lambda item: item[1])[-KEEP_SEEN // 2:]
            self.floor = kept[0][1]
            self.keys = dict(kept)

    def data(self) -> dict:
        return {"keys": self.keys, "floor": self.floor}


class Termux(Backend):
    name = "termux"
    channels = frozenset({"sms", "notify"})

    def __init__(self, state_dir, poll_seconds: float = 15.0, timeout: float = 30.0):
        self.poll_seconds, self.timeout = poll_seconds, timeout
        self._seen_path = pathlib.Path(state_dir) / SEEN_FILE
        stored = read_json(self._seen_path, {})
        self._seen = {"sms": Seen(stored.get("sms")), "calls": Seen(stored.get("calls"))}
        # Kinds never read yet: what the phone already holds is taken as seen, not reported.
        self._unread = {kind for kind in self._seen if kind not in stored}
        self._sim_slots: int | None = None

    # -- running Termux:API commands -------------------------------------------------------
    async def run(self, *argv: str, stdin: str | None = None) -> str:
        """The command's standard output; TermuxError when it is missing, times out, exits
        non-zero, writes to stderr or prints Termux:API's JSON error."""
        try:
            process = await asyncio.create_subprocess_exec(
                *argv, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE)
        except FileNotFoundError:
            raise TermuxError(f"{argv[0]} is missing: install the termux-api package "
                              "(pkg install termux-api) and the Termux:API app") from None
        try:
            out, err = await asyncio.wait_for(
                process.communicate(stdin.encode() if stdin is not None else b""), self.timeout)
        except asyncio.TimeoutError:
            process.kill()
            await process.wait()
            raise TermuxError(f"{argv[0]} did not answer within {self.timeout:g} s (is the "
                              "Termux:API app installed and allowed to run?)") from None
        except asyncio.CancelledError:          # the agent is stopping: leave nothing behind
            process.kill()
            await process.wait()
            raise
        out, err = out.decode(errors="replace").strip(), err.decode(errors="replace").strip()
        if process.returncode != 0 or err:
            raise TermuxError(f"{argv[0]} failed (exit {process.returncode}): "
                              f"{err or out or 'no message'}")
        if out.startswith("{"):         # Termux:API's way of saying no: {"error": "..."}
            try:
                error = json.loads(out).get("error")
            except ValueError:
                error = None
            if error:
                raise TermuxError(f"{argv[0]}: {error}")
        return out

    async def run_json(self, *argv: str):
        out = await self.run(*argv)
        if not out:
            raise TermuxError(f"{argv[0]} printed nothing (is its Android permission "
                              "granted to Termux:API?)")
        try:
            return json.loads(out)
        except ValueError:
            raise TermuxError(f"{argv[0]} printed something else than JSON: "
                              f"{out[:200]}") from None

    # -- sending ---------------------------------------------------------------------------
    async def send(self, frame: dict) -> Outcome:
        try:
            if frame["channel"] == "notify":
                await self._notify(frame)
            else:
                error = await self._sms(frame)
                if error is not None:
                    return Outcome.failed(error)
        except TermuxError as error:
            log.warning("termux: %s", error)
            return Outcome.failed(str(error))
        return Outcome("sent")

    async def _sms(self, frame: dict) -> str | None:
        argv = ["termux-sms-send", "-n", frame["to"]]
        if frame.get("sim") is not None:
            sim, error = sim_slot(frame, await self._slots())
            if error is not None:
                return error
            argv += ["-s", str(sim - 1)]      # Termux counts slots from 0
        # The text on standard input: no quoting, no argument length limit.
        out = await self.run(*argv, stdin=frame["text"])
        if out:         # termux-sms-send prints nothing when Android took the message
            raise TermuxError(f"termux-sms-send: {out[:500]}")
        return None

    async def _slots(self) -> int | None:
        """The phone's SIM slots (termux-telephony-deviceinfo's phone_count), asked once."""
        if self._sim_slots is None:
            info = await self.run_json("termux-telephony-deviceinfo")
            if isinstance(info, dict) and isinstance(info.get("phone_count"), int):
                self._sim_slots = info["phone_count"]
        return self._sim_slots

    async def _notify(self, frame: dict) -> None:
        title = frame.get("title") or frame.get("subject") or "Relay"
        await self.run("termux-notification", "--id", frame["message_id"], "--title", title,
                       stdin=frame["text"])

    # -- what came in ----------------------------------------------------------------------
    async def incoming(self):
        while True:
            for kind, read in (("sms", self._messages), ("calls", self._calls)):
                try:
                    found = await read()
                except (TermuxError, LookupError, TypeError, ValueError) as error:
                    log.warning("termux: cannot read %s: %s", kind, error)
                    continue
                first = kind in self._unread
                for key, order, event in found:
                    if not self._seen[kind].is_new(key, order):
                        continue
                    if event is not None and not first:
                        yield event           # resumed once the agent journaled it
                    self._seen[kind].add(key, order)
                    if not first:
                        self._save_seen()
                if first:
                    self._unread.discard(kind)
                    self._save_seen()
            await asyncio.sleep(self.poll_seconds)

    def _save_seen(self) -> None:
        write_json(self._seen_path, {kind: seen.data() for kind, seen in self._seen.items()
                                     if kind not in self._unread})

    async def _messages(self) -> list:
        listed = await self.run_json("termux-sms-list", "-t", "inbox", "-d", "-n",
                                     "-l", str(LIST_LIMIT))
        found = []
        for sms in sorted(listed, key=lambda sms: sms["_id"]):
            event = {"event_id": f"termux-sms-{sms['_id']}", "channel": "sms",
                     "event_type": "message", "contact": sms.get("number") or sms["address"],
                     "text": sms.get("body") or "", "occurred_at": local_time(sms["received"])}
            if sms.get("sender"):
                event["contact_name"] = sms["sender"]
            found.append((str(sms["_id"]), sms["_id"], event))
        return found

    async def _calls(self) -> list:
        listed = await self.run_json("termux-call-log", "-l", str(LIST_LIMIT))
        found = []
        for call in sorted(listed, key=lambda call: call["date"]):
            key = f"{call['date']}|{call['phone_number']}|{call['type']}"
            kind, seconds = CALL_TYPES.get(call["type"]), call_seconds(call["duration"])
            if kind is None:
                found.append((key, call["date"], None))
                continue
            if kind == "answered" and seconds == 0:     # picked up and dropped at once
                kind = "missed"
            event = {"event_id": "termux-call-" + hashlib.sha256(key.encode()).hexdigest()[:24],
                     "channel": "sms", "event_type": kind, "contact": call["phone_number"],
                     "duration_sec": seconds if kind == "answered" else 0,
                     "occurred_at": local_time(call["date"])}
            if call.get("name") and call["name"] != "UNKNOWN_CALLER":
                event["contact_name"] = call["name"]
            found.append((key, call["date"], event))
        return found

    # -- vitals ----------------------------------------------------------------------------
    async def vitals(self) -> dict:
        vitals = {}
        try:
            battery = await self.run_json("termux-battery-status")
            if isinstance(battery.get("percentage"), int):
                vitals["battery"] = max(0, min(100, battery["percentage"]))
        except (TermuxError, AttributeError) as error:
            log.warning("termux: no battery level: %s", error)
        try:
            vitals["signal"] = signal_bars(await self.run_json("termux-telephony-cellinfo"))
        except TermuxError as error:
            log.warning("termux: no signal strength: %s", error)
        return vitals
