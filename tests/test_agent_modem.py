"""The modem backend on Gammu's own dummy driver (`model = dummy`: a folder plays the modem,
its sms/1 the inbox), end to end through a real relay with the agent as a subprocess. The
test puts messages and delivery reports into the dummy's inbox through python-gammu, as the
network would. The dummy accepts every SMS sent (reference 255) and announces no calls, so
incoming calls are not tested here."""
import datetime as dt
import json

import gammu
import pytest

from helpers.agents import (AgentProcess, call, inbound_events, message_status, paired_agent,
                           wait_final, wait_for)
from helpers.relays import sms
from relay.agent.backends.modem import Modem

NUMBER = "+12025550143"


@pytest.fixture
def modem(tmp_path):
    """The dummy modem's folder and a gammurc naming it."""
    device = tmp_path / "modem"
    device.mkdir()
    gammurc = tmp_path / "gammurc"
    gammurc.write_text(f"[gammu]\nmodel = dummy\nconnection = none\ndevice = {device}\n")
    return device, gammurc


def network(device):
    """A second connection to the dummy, for the test to play the network with."""
    machine = gammu.StateMachine()
    machine.SetConfig(0, {"Model": "dummy", "Connection": "none", "Device": str(device),
                          "StartInfo": False, "SyncTime": False, "LockDevice": False,
                          "UseGlobalDebugFile": False})
    machine.Init()
    return machine


def receive(device, number, text, when):
    """A message arriving: its parts put into the dummy's inbox."""
    machine = network(device)
    unicode = any(ord(c) > 127 for c in text)
    for part in gammu.EncodeSMS({"Class": -1, "Unicode": unicode,
                                 "Entries": [{"ID": "ConcatenatedTextLong", "Buffer": text}]}):
        part.update(Number=number, State="UnRead", Folder=1, Type="Deliver", DateTime=when)
        machine.AddSMS(part)
    machine.Terminate()


def report_delivery(device, number, reference, status, when):
    machine = network(device)
    machine.AddSMS({"Type": "Status_Report", "Number": number, "MessageReference": reference,
                    "DeliveryStatus": status, "Folder": 1, "State": "UnRead", "DateTime": when,
                    "SMSCDateTime": when, "SMSC": {"Location": 0, "Number": "+100"},
                    "Text": ""})
    machine.Terminate()


def inbox(device) -> list:
    folder = device / "sms" / "1"
    return sorted(folder.iterdir()) if folder.exists() else []


def journal(tmp_path) -> list[dict]:
    path = tmp_path / "phone-state" / "journal.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def modem_agent(tmp_path, gammurc):
    return AgentProcess(tmp_path / "phone-state", tmp_path / "agent.log",
                        ["--backend", "modem", "--gammurc", str(gammurc),
                         "--poll-seconds", "0.2"])


@pytest.mark.timeout(120)
def test_texts_go_out_in_parts_and_a_delivery_report_is_passed_on(relay_process, tmp_path,
                                                                  modem):
    device, gammurc = modem
    agent = modem_agent(tmp_path, gammurc)
    relay, key = paired_agent(relay_process, agent)
    try:
        parts = {}
        for text in ("g" * 200, "☃" * 100, "☃" * 60, "Your table is ready {€}"):
            sent = call(relay, key, "POST", "/api/v1/messages", sms(text=text))[1]
            assert wait_final(relay, key, sent["message_id"])["status"] == "sent"
            parts[text] = sent["message_id"]
        references = {e["result"]: e.get("references") for e in journal(tmp_path)
                      if "result" in e}
        # GSM-7 fits 153 characters a part when concatenated, Unicode 67 (70 alone).
        assert [len(references[parts[t]]) for t in parts] == [2, 2, 1, 1]

        # The modem said it delivers sms alone: a notification is refused at the API.
        wait_for(lambda: call(relay, key, "GET", "/api/v1/phones/phone_main")[1]["phone"][
            "capabilities"] == ["sms"], what="the modem's capabilities")
        status, refused = call(relay, key, "POST", "/api/v1/messages",
                               {"phone_id": "phone_main", "channel": "notify", "text": "hi"})
        assert status == 422 and refused["error"]["code"] == "channel_unavailable"

        last = parts["Your table is ready {€}"]
        report_delivery(device, "12025550143", 255, 0, dt.datetime(2026, 12, 1, 12, 0, 5))
        wait_for(lambda: any(e.get("delivery_acked") == last for e in journal(tmp_path)), 30,
                 "the delivery report to be passed on and acknowledged")
        (passed,) = [e for e in journal(tmp_path) if "delivery" in e]
        assert passed == {"delivery": last, "report": {"result": "delivered",
                                                       "at": "2026-12-01T12:00:05.000Z"}}
        wait_for(lambda: not inbox(device), 10, "the report to leave the modem")
        confirmed = message_status(relay, key, last)
        assert (confirmed["status"], confirmed["delivery_result"], confirmed["delivered_at"]) \
            == ("sent", "delivered", "2026-12-01T12:00:05.000Z")
        # A message in two parts is delivered once both parts are. (The dummy gives every
        # part reference 255: a report is about the newest message that waits for one.)
        long = call(relay, key, "POST", "/api/v1/messages", sms(text="h" * 200))[1]["message_id"]
        assert wait_final(relay, key, long)["status"] == "sent"
        report_delivery(device, "12025550143", 255, 0, dt.datetime(2026, 12, 1, 12, 1, 0))
        wait_for(lambda: not inbox(device), 10, "the first part's report to be used up")
        assert message_status(relay, key, long)["delivery_result"] is None
        report_delivery(device, "12025550143", 255, 0, dt.datetime(2026, 12, 1, 12, 1, 7))
        wait_for(lambda: message_status(relay, key, long)["delivery_result"] == "delivered", 30,
                 "the two-part message to be delivered")
        assert message_status(relay, key, long)["delivered_at"] == "2026-12-01T12:01:07.000Z"
        assert "the relay refused a frame" not in agent.log()
    finally:
        agent.stop()


@pytest.mark.timeout(150)
def test_inbound_leaves_the_modem_only_after_the_ack_and_survives_restarts(relay_process,
                                                                          tmp_path, modem):
    device, gammurc = modem
    agent = modem_agent(tmp_path, gammurc)
    relay, key = paired_agent(relay_process, agent)
    try:
        long_text = "Grüße aus Köln ☕ " * 12           # Unicode, three parts
        receive(device, "+4915112345678", long_text, dt.datetime(2026, 12, 1, 9, 30))
        (event,) = wait_for(lambda: inbound_events(relay, key), 30, "the long message")
        assert event["text"] == long_text and event["source"] == "+4915112345678"
        assert event["occurred_at"].startswith("2026-12-01T09:30:00")
        wait_for(lambda: not inbox(device), 10, "the parts to be deleted after the ack")

        relay.kill()                      # no ack can come: the message stays in the modem
        receive(device, "+4915112345678", "Bis gleich", dt.datetime(2026, 12, 1, 9, 45))
        wait_for(lambda: sum("inbound" in e for e in journal(tmp_path)) == 2, 30,
                 "the agent to read the second message")
        agent.stop()                      # and the agent restarts while the relay is down
        assert len(inbox(device)) == 1
        agent.start()
        relay.start()
        agent.wait_connected(2)
        wait_for(lambda: len(inbound_events(relay, key)) == 2, 30, "the second message")
        wait_for(lambda: not inbox(device), 10, "the second message to be deleted")
        assert sorted(e["text"] for e in inbound_events(relay, key)) == \
            sorted([long_text, "Bis gleich"])
    finally:
        agent.stop()


async def test_a_modem_has_one_sim_slot(tmp_path, modem):
    _, gammurc = modem
    backend = Modem(tmp_path / "state", gammurc=str(gammurc))
    try:
        outcome = await backend.send({"message_id": "m", "channel": "sms", "to": NUMBER,
                                      "text": "hi", "sim": 2})
        assert outcome.error == "SIM slot 2 is not available: this phone has 1 SIM slot"
        assert (await backend.send({"message_id": "m", "channel": "sms", "to": NUMBER,
                                    "text": "hi", "sim": 1})).status == "sent"
        assert await backend.vitals() == {"signal": 2, "battery": 100}   # the dummy's 42 %
    finally:
        backend.close()
