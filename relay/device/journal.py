"""The phone agent's memory of what it did, so that a redelivered message is never sent twice
and an inbound event is reported until the relay acknowledges it.

An append-only JSON-lines file, flushed and fsynced before the agent acts on an entry; without
a path it lives in memory only (benchmarks). Entries:
  {"attempt": id}                         about to hand message `id` to the backend
  {"result": id, "status", "error", "delivered_at"}   the backend's final answer
  {"inbound": {...event fields...}}       an incoming event to report
  {"inbound_acked": event_id}             the relay committed it"""
import json
import os
import pathlib


class Journal:
    def __init__(self, path: pathlib.Path | None):
        self.attempted: set[str] = set()
        self.results: dict[str, dict] = {}
        self.unacked_inbound: dict[str, dict] = {}
        self._file = None
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            if path.exists():
                self._replay(path)
            self._file = open(path, "a", encoding="utf-8")

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
        elif "result" in entry:
            self.results[entry["result"]] = entry
        elif "inbound" in entry:
            self.unacked_inbound[entry["inbound"]["event_id"]] = entry["inbound"]
        elif "inbound_acked" in entry:
            self.unacked_inbound.pop(entry["inbound_acked"], None)

    def _append(self, entry: dict) -> None:
        self._apply(entry)
        if self._file is not None:
            self._file.write(json.dumps(entry, separators=(",", ":")) + "\n")
            self._file.flush()
            os.fsync(self._file.fileno())

    def attempt(self, message_id: str) -> None:
        self._append({"attempt": message_id})

    def result(self, message_id: str, status: str, error: str | None,
               delivered_at: str | None) -> dict:
        entry = {"result": message_id, "status": status, "error": error,
                 "delivered_at": delivered_at}
        self._append(entry)
        return entry

    def inbound(self, event: dict) -> None:
        self._append({"inbound": event})

    def inbound_acked(self, event_id: str) -> None:
        if event_id in self.unacked_inbound:
            self._append({"inbound_acked": event_id})

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
