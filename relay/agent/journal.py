"""The phone agent's memory of what it did, so that a redelivered message is never sent twice
and an inbound event is reported until the relay acknowledges it.

An append-only JSON-lines file, flushed and fsynced before the agent acts on an entry; without
a path it lives in memory only (benchmarks). Entries:
  {"attempt": id, "expires_at"}           about to hand message `id` to the backend
  {"result": id, "status", "error", "delivered_at", "expires_at", "references"}   the backend's
                                          answer (references: the network's ids, when known)
  {"inbound": {...event fields...}}       an incoming event to report
  {"inbound_acked": event_id}             the relay committed it
  {"delivery": id, "report": {...}}       a delivery report for message `id` to pass on
  {"delivery_acked": id}                  the relay acknowledged it
The relay never delivers a message after its expires_at, so on opening, entries of messages
expired for more than a day (a margin for clock skew) are dropped and the file rewritten."""
import datetime as dt
import json
import os
import pathlib

from relay.core.timefmt import parse_iso, utcnow

FORGET_AFTER_EXPIRY = dt.timedelta(days=1)


def _ends_a_line(path: pathlib.Path) -> bool:
    with open(path, "rb") as file:
        file.seek(-1, os.SEEK_END)
        return file.read(1) == b"\n"


class Journal:
    def __init__(self, path: pathlib.Path | None):
        self.attempted: set[str] = set()
        self.results: dict[str, dict] = {}
        self.unacked_inbound: dict[str, dict] = {}
        self.unacked_deliveries: dict[str, dict] = {}   # message id -> its delivery report
        self._expires: dict[str, str] = {}          # message id -> its expires_at
        self._file = None
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            if path.exists():
                self._replay(path)
                self._compact(path)
            self._file = open(path, "a", encoding="utf-8")
            if self._file.tell() and not _ends_a_line(path):
                self._file.write("\n")      # end the line a crash cut short

    def _replay(self, path: pathlib.Path) -> None:
        with open(path, encoding="utf-8") as file:
            for line in file:
                try:
                    self._apply(json.loads(line))
                except ValueError:      # a line cut short by a crash: it never took effect
                    continue

    def _apply(self, entry: dict) -> None:
        if "attempt" in entry:
            self.attempted.add(entry["attempt"])
            self._expires[entry["attempt"]] = entry.get("expires_at")
        elif "result" in entry:
            self.results[entry["result"]] = entry
            self._expires[entry["result"]] = entry.get("expires_at")
        elif "inbound" in entry:
            self.unacked_inbound[entry["inbound"]["event_id"]] = entry["inbound"]
        elif "inbound_acked" in entry:
            self.unacked_inbound.pop(entry["inbound_acked"], None)
        elif "delivery" in entry:
            self.unacked_deliveries[entry["delivery"]] = entry["report"]
        elif "delivery_acked" in entry:
            self.unacked_deliveries.pop(entry["delivery_acked"], None)

    def _compact(self, path: pathlib.Path) -> None:
        cutoff = utcnow() - FORGET_AFTER_EXPIRY
        done = {m for m, expires in self._expires.items()
                if expires is not None and parse_iso(expires) < cutoff}
        if not done:
            return
        self.attempted -= done
        for message_id in done:
            self.results.pop(message_id, None)
            del self._expires[message_id]
        entries = [*({"attempt": m, "expires_at": self._expires[m]} for m in self.attempted
                     if m not in self.results),
                   *self.results.values(),
                   *({"inbound": event} for event in self.unacked_inbound.values()),
                   *({"delivery": message_id, "report": report}
                     for message_id, report in self.unacked_deliveries.items())]
        temporary = path.with_suffix(".tmp")
        with open(temporary, "w", encoding="utf-8") as file:
            file.writelines(json.dumps(e, separators=(",", ":")) + "\n" for e in entries)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)

    def _append(self, entry: dict) -> None:
        self._apply(entry)
        if self._file is not None:
            self._file.write(json.dumps(entry, separators=(",", ":")) + "\n")
            self._file.flush()
            os.fsync(self._file.fileno())

    def attempt(self, message_id: str, expires_at: str | None) -> None:
        self._append({"attempt": message_id, "expires_at": expires_at})

    def result(self, message_id: str, status: str, error: str | None,
               delivered_at: str | None, expires_at: str | None, references=()) -> dict:
        entry = {"result": message_id, "status": status, "error": error,
                 "delivered_at": delivered_at, "expires_at": expires_at}
        if references:
            entry["references"] = list(references)
        self._append(entry)
        return entry

    def inbound(self, event: dict) -> None:
        self._append({"inbound": event})

    def inbound_acked(self, event_id: str) -> None:
        if event_id in self.unacked_inbound:
            self._append({"inbound_acked": event_id})

    def delivery(self, message_id: str, report: dict) -> None:
        self._append({"delivery": message_id, "report": report})

    def delivery_acked(self, message_id: str) -> None:
        if message_id in self.unacked_deliveries:
            self._append({"delivery_acked": message_id})

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
