"""Stand-ins for Termux:API's commands, for the termux backend's tests. `install(folder)`
writes one executable per command into folder/bin (put it first on PATH); each behaves as
Termux:API's scripts and app do (same options, JSON out, text on stdin, exit codes, a JSON
error for a denied permission) and records every call in folder/calls.jsonl.

The phone they pretend to be is folder/phone.json, which a test may change at any time:
  inbox, calls         the SMS inbox and the call log, as Termux:API prints their entries
  battery, cells, deviceinfo   what the status commands print
  modes                {command: "error" | "silent" | "fail" | "hang"}: a denied permission
                       (JSON error), nothing printed, a non-zero exit, or no answer at all."""
import getopt
import json
import os
import pathlib
import sys
import time

COMMANDS = ("termux-sms-send", "termux-notification", "termux-sms-list", "termux-call-log",
            "termux-battery-status", "termux-telephony-cellinfo", "termux-telephony-deviceinfo")
PERMISSION_ERROR = ("Please grant the following permission to use this command: "
                    "android.permission.SEND_SMS")


def install(folder: pathlib.Path, phone: dict | None = None) -> pathlib.Path:
    """Writes the commands and an initial phone; returns the bin folder."""
    bin_dir = folder / "bin"
    bin_dir.mkdir(parents=True, exist_ok=True)
    for command in COMMANDS:
        path = bin_dir / command
        here = str(pathlib.Path(__file__).parent)
        path.write_text(f"#!{sys.executable}\nimport sys\nsys.path.insert(0, {here!r})\n"
                        f"import fake_termux\nfake_termux.main({str(folder)!r}, {command!r})\n")
        path.chmod(0o755)
    save(folder, {"inbox": [], "calls": [], "modes": {},
                  "battery": {"percentage": 76, "status": "DISCHARGING", "plugged": "UNPLUGGED",
                              "health": "GOOD", "temperature": 28.5},
                  "cells": [{"type": "lte", "registered": True, "asu": 40, "dbm": -100,
                             "level": 3}],
                  "deviceinfo": {"phone_count": 2, "phone_type": "gsm"}, **(phone or {})})
    return bin_dir


def load(folder: pathlib.Path) -> dict:
    return json.loads((folder / "phone.json").read_text())


def save(folder: pathlib.Path, phone: dict) -> None:
    temporary = folder / "phone.json.tmp"
    temporary.write_text(json.dumps(phone))
    os.replace(temporary, folder / "phone.json")


def calls(folder: pathlib.Path, command: str | None = None) -> list[dict]:
    path = folder / "calls.jsonl"
    recorded = [json.loads(line) for line in path.read_text().splitlines()] \
        if path.exists() else []
    return [c for c in recorded if command is None or c["command"] == command]


def _newest(entries: list, order: str, limit: int, offset: int) -> list:
    """Termux:API's listing: the newest `limit` after `offset`, printed oldest first."""
    newest = sorted(entries, key=lambda e: e[order], reverse=True)[offset:offset + limit]
    return list(reversed(newest))


def main(folder: str, command: str) -> None:
    folder = pathlib.Path(folder)
    phone = load(folder)
    argv = sys.argv[1:]
    stdin = None
    if command in ("termux-sms-send", "termux-notification"):
        stdin = sys.stdin.read()
    with open(folder / "calls.jsonl", "a") as record:
        record.write(json.dumps({"command": command, "argv": argv, "stdin": stdin}) + "\n")
    mode = phone["modes"].get(command)
    if mode == "hang":
        time.sleep(3600)
    if mode == "fail":
        print(f"{command}: something went wrong", file=sys.stderr)
        sys.exit(1)
    if mode == "error":
        print(json.dumps({"error": PERMISSION_ERROR}))
        return
    if mode == "silent":
        return
    if command == "termux-sms-send":
        options, _ = getopt.getopt(argv, "hn:s:")
        if "-n" not in dict(options):
            print("termux-sms-send: no recipient number given")
            sys.exit(1)
    elif command == "termux-notification":
        getopt.getopt(argv, "hc:i:t:", ["id=", "title=", "content="])
    elif command == "termux-sms-list":
        options = dict(getopt.getopt(argv, "hdl:t:f:cno:")[0])
        kind = options.get("-t", "all")
        inbox = [m for m in phone["inbox"] if kind == "all" or m["type"] == kind]
        print(json.dumps(_newest(inbox, "_id", int(options.get("-l", 10)),
                                 int(options.get("-o", 0))), indent=2))
    elif command == "termux-call-log":
        options = dict(getopt.getopt(argv, "hl:o:")[0])
        print(json.dumps(_newest(phone["calls"], "date", int(options.get("-l", 10)),
                                 int(options.get("-o", 0))), indent=2))
    elif command == "termux-battery-status":
        print(json.dumps(phone["battery"], indent=2))
    elif command == "termux-telephony-cellinfo":
        print(json.dumps(phone["cells"], indent=2))
    elif command == "termux-telephony-deviceinfo":
        print(json.dumps(phone["deviceinfo"], indent=2))
