"""The termux backend against stand-ins of Termux:API's commands (tests/helpers/fake_termux.py) put
first on PATH: end to end through a real relay with the agent as a subprocess, and the
backend alone for what a relay cannot arrange (a SIM slot the phone lacks) or what would
take long (a command that hangs)."""
import asyncio
import contextlib
import json
import os
import time

import pytest

from helpers import fake_termux
from helpers.agents import (AgentProcess, call, inbound_events, paired_agent, wait_final,
                           wait_for)
from relay.agent.backends.termux import Termux
from helpers.relays import sms

ZONE = "Asia/Kolkata"       # +05:30 all year: a local time converted once is easy to check


@pytest.fixture
def phone(tmp_path):
    """The fake phone's folder, and an environment that runs the fake commands."""
    folder = tmp_path / "android"
    bin_dir = fake_termux.install(folder, {
        "inbox": [{"_id": 1, "threadid": 1, "type": "inbox", "read": True,
                   "address": "+12025550143", "number": "+12025550143",
                   "received": "2026-11-30 09:00:00", "body": "old, before the agent"}],
        "calls": [{"name": "UNKNOWN_CALLER", "phone_number": "+12025550143", "type": "MISSED",
                   "date": "2026-11-30 09:05:00", "duration": "00:00", "sim_id": "1"}]})
    env = {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "TZ": ZONE}
    return folder, env


def termux_agent(tmp_path, env, *extra):
    return AgentProcess(tmp_path / "phone-state", tmp_path / "agent.log",
                        ["--backend", "termux", "--poll-seconds", "0.2", *extra], env)


def add(folder, kind, entry):
    phone = fake_termux.load(folder)
    phone[kind].append(entry)
    fake_termux.save(folder, phone)


@pytest.mark.timeout(120)
def test_messages_go_out_through_termux_commands_and_failures_say_why(relay_process, tmp_path,
                                                                        phone):
    folder, env = phone
    agent = termux_agent(tmp_path, env)
    relay, key = paired_agent(relay_process, agent)
    try:
        text = 'Line one\n"quoted" $HOME `ls` ☃ ' + "x" * 300     # no shell, no length limit
        sent = call(relay, key, "POST", "/api/v1/messages", sms(text=text))[1]
        assert wait_final(relay, key, sent["message_id"])["status"] == "sent"
        (send,) = fake_termux.calls(folder, "termux-sms-send")
        assert send["argv"] == ["-n", "+12025550143"] and send["stdin"] == text
        second = call(relay, key, "POST", "/api/v1/messages", sms(text="slot 2", sim=2))[1]
        assert wait_final(relay, key, second["message_id"])["status"] == "sent"
        send = fake_termux.calls(folder, "termux-sms-send")[-1]
        assert send["argv"] == ["-n", "+12025550143", "-s", "1"] and send["stdin"] == "slot 2"

        note = call(relay, key, "POST", "/api/v1/messages",
                    {"phone_id": "phone_main", "channel": "notify", "title": "Door",
                     "text": "Someone rang"})[1]
        assert wait_final(relay, key, note["message_id"])["status"] == "sent"
        (shown,) = fake_termux.calls(folder, "termux-notification")
        assert shown["argv"] == ["--id", note["message_id"], "--title", "Door"]
        assert shown["stdin"] == "Someone rang"

        # What the phone said it can deliver: WhatsApp is refused at the API.
        wait_for(lambda: call(relay, key, "GET", "/api/v1/phones/phone_main")[1]["phone"][
            "capabilities"] == ["notify", "sms"], what="the phone's capabilities")
        status, refused = call(relay, key, "POST", "/api/v1/messages", sms(channel="wa"))
        assert status == 422 and refused["error"]["code"] == "channel_unavailable"

        for mode, reason in (("error", "Please grant the following permission"),
                             ("fail", "something went wrong")):
            fake_termux.save(folder, {**fake_termux.load(folder),
                                      "modes": {"termux-sms-send": mode}})
            failed = call(relay, key, "POST", "/api/v1/messages", sms(text=mode))[1]
            answer = wait_final(relay, key, failed["message_id"])
            assert answer["status"] == "failed" and reason in answer["last_error"], answer
        assert "Please grant the following permission" in agent.log()   # and a log line
        assert "the relay refused a frame" not in agent.log()   # heartbeats with channels
    finally:
        agent.stop()


@pytest.mark.timeout(150)
def test_inbox_and_call_log_are_reported_once_across_restarts_and_a_relay_kill(
        relay_process, tmp_path, phone):
    folder, env = phone
    agent = termux_agent(tmp_path, env)
    relay, key = paired_agent(relay_process, agent)
    seen_file = tmp_path / "phone-state" / "termux-seen.json"
    try:
        wait_for(lambda: seen_file.exists() and set(json.loads(seen_file.read_text()))
                 == {"sms", "calls"}, 30, "the first look at the inbox and the call log")
        add(folder, "inbox", {"_id": 7, "threadid": 2, "type": "inbox", "read": False,
                              "sender": "Ann", "address": "+447700900123",
                              "number": "+447700900123", "received": "2026-12-01 10:30:00",
                              "body": "On my way"})
        add(folder, "calls", {"name": "Ann", "phone_number": "+447700900123",
                              "type": "INCOMING", "date": "2026-12-01 10:40:00",
                              "duration": "01:05", "sim_id": "1"})
        add(folder, "calls", {"name": "UNKNOWN_CALLER", "phone_number": "+12025550178",
                              "type": "REJECTED", "date": "2026-12-01 10:41:00",
                              "duration": "00:00", "sim_id": "1"})
        add(folder, "calls", {"name": "UNKNOWN_CALLER", "phone_number": "+12025550178",
                              "type": "OUTGOING", "date": "2026-12-01 10:42:00",
                              "duration": "00:30", "sim_id": "1"})
        events = wait_for(lambda: len(e := inbound_events(relay, key)) >= 3 and e, 30,
                          "three inbound events")
        by_type = {e["event_type"]: e for e in events}
        assert by_type["message"]["text"] == "On my way"
        assert by_type["message"]["contact_name"] == "Ann"
        assert by_type["message"]["occurred_at"].startswith("2026-12-01T05:00:00")  # +05:30
        assert by_type["answered"]["duration_sec"] == 65
        assert by_type["missed"]["source"] == "+12025550178"
        assert by_type["missed"]["contact_name"] is None

        agent.stop()                    # a restart: what was reported is not reported again,
        add(folder, "inbox", {"_id": 8, "threadid": 2, "type": "inbox", "read": False,
                              "address": "+447700900123", "number": "+447700900123",
                              "received": "2026-12-01 11:00:00", "body": "Here"})
        agent.start()                   # what came meanwhile is not skipped
        agent.wait_connected(2)
        wait_for(lambda: len(inbound_events(relay, key)) >= 4, 30, "the message sent meanwhile")

        relay.kill()                    # kill -9: the agent keeps what it reads until acked
        add(folder, "inbox", {"_id": 9, "threadid": 2, "type": "inbox", "read": False,
                              "address": "+447700900123", "number": "+447700900123",
                              "received": "2026-12-01 11:05:00", "body": "Still here"})
        wait_for(lambda: "termux-sms-9" in (tmp_path / "phone-state" / "journal.jsonl")
                 .read_text(), 30, "the agent to journal the message")
        relay.start()
        wait_for(lambda: len(inbound_events(relay, key)) >= 5, 30, "the message sent while down")
        time.sleep(1.5)                 # several more polls: nothing comes twice
        texts = sorted(e["text"] or e["event_type"] for e in inbound_events(relay, key))
        assert texts == ["Here", "On my way", "Still here", "answered", "missed"]
    finally:
        agent.stop()


# -- the backend alone ----------------------------------------------------------------------

def frame(**fields):
    return {"message_id": "msg_test", "channel": "sms", "to": "+12025550143", "text": "hi",
            **fields}


async def test_the_sim_slot_becomes_termuxs_zero_based_index(tmp_path, phone, monkeypatch):
    folder, env = phone
    monkeypatch.setenv("PATH", env["PATH"])
    backend = Termux(tmp_path / "state", timeout=10)
    assert (await backend.send(frame(sim=2))).status == "sent"
    assert (await backend.send(frame(sim=1))).status == "sent"
    assert [c["argv"] for c in fake_termux.calls(folder, "termux-sms-send")] == [
        ["-n", "+12025550143", "-s", "1"], ["-n", "+12025550143", "-s", "0"]]

    fake_termux.save(folder, {**fake_termux.load(folder), "deviceinfo": {"phone_count": 1}})
    one_slot = Termux(tmp_path / "state", timeout=10)
    outcome = await one_slot.send(frame(sim=2))
    assert outcome.status == "failed"
    assert outcome.error == "SIM slot 2 is not available: this phone has 1 SIM slot"
    assert len(fake_termux.calls(folder, "termux-sms-send")) == 2       # nothing sent


async def test_a_hanging_or_missing_command_fails_instead_of_waiting(tmp_path, phone,
                                                                     monkeypatch):
    folder, env = phone
    monkeypatch.setenv("PATH", env["PATH"])
    fake_termux.save(folder, {**fake_termux.load(folder), "modes": {"termux-sms-send": "hang"}})
    backend = Termux(tmp_path / "state", timeout=1)
    started = time.monotonic()
    outcome = await backend.send(frame())
    assert outcome.status == "failed" and "did not answer within 1 s" in outcome.error
    assert time.monotonic() - started < 10

    monkeypatch.setenv("PATH", str(tmp_path / "nothing-here"))
    outcome = await backend.send(frame())
    assert outcome.status == "failed" and "termux-sms-send is missing" in outcome.error


async def test_vitals_come_from_battery_status_and_cell_info(tmp_path, phone, monkeypatch):
    folder, env = phone
    monkeypatch.setenv("PATH", env["PATH"])
    backend = Termux(tmp_path / "state", timeout=10)
    assert await backend.vitals() == {"battery": 76, "signal": 3}
    fake_termux.save(folder, {**fake_termux.load(folder), "cells": [
        {"type": "gsm", "registered": False, "dbm": -60},
        {"type": "wcdma", "registered": True, "dbm": -100}]})
    assert await backend.vitals() == {"battery": 76, "signal": 2}     # from dBm
    fake_termux.save(folder, {**fake_termux.load(folder), "modes": {
        "termux-telephony-cellinfo": "silent", "termux-battery-status": "error"}})
    assert await asyncio.wait_for(backend.vitals(), 20) == {}          # said in the log


async def test_an_inbox_first_read_after_a_denied_permission_is_taken_as_read_then(
        tmp_path, phone, monkeypatch):
    folder, env = phone
    monkeypatch.setenv("PATH", env["PATH"])
    fake_termux.save(folder, {**fake_termux.load(folder), "modes": {"termux-sms-list": "error"}})
    backend = Termux(tmp_path / "state", poll_seconds=0.05, timeout=10)
    seen_file = tmp_path / "state" / "termux-seen.json"
    events = []

    async def collect():
        async for event in backend.incoming():
            events.append(event)
    task = asyncio.ensure_future(collect())
    try:
        await asyncio.sleep(0.5)              # polls with the permission denied
        assert "sms" not in json.loads(seen_file.read_text())
        fake_termux.save(folder, {**fake_termux.load(folder), "modes": {}})
        while "sms" not in json.loads(seen_file.read_text()):
            await asyncio.sleep(0.05)
        add(folder, "inbox", {"_id": 5, "threadid": 3, "type": "inbox", "read": False,
                              "address": "+12025550178", "number": "+12025550178",
                              "received": "2026-12-01 10:30:00", "body": "new"})
        while not events:
            await asyncio.sleep(0.05)
        assert [e["event_id"] for e in events] == ["termux-sms-5"]   # not the old _id 1
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
