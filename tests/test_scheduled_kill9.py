"""kill -9 of the relay while scheduled messages fall due: after the restart every one of them
reaches the phone (a separate process, as a real phone would be) once, and none before its
time."""
import collections
import datetime as dt

import pytest

from helpers.agents import AgentProcess, call, paired_agent, wait_for
from relay.core.timefmt import iso, parse_iso, utcnow

pytestmark = pytest.mark.slow
MESSAGES = 100


def test_kill_9_while_scheduled_messages_fall_due_loses_none_and_sends_none_twice(
        relay_process, tmp_path):
    sent_log = tmp_path / "sent.log"
    agent = AgentProcess(tmp_path / "phone", tmp_path / "agent.log",
                         ["--simulate", "--delay", "0.01", "--sent-log", str(sent_log)])
    relay, key = paired_agent(relay_process, agent)
    try:
        first = utcnow() + dt.timedelta(seconds=4)
        ids = []
        for n in range(MESSAGES):       # due one every 30 ms, from 4 s on
            status, body = call(relay, key, "POST", "/api/v1/messages", {
                "phone_id": "phone_main", "channel": "sms", "to": "+12025550143",
                "text": f"scheduled {n}", "idempotency_key": f"s{n}",
                "send_at": iso(first + dt.timedelta(milliseconds=30 * n))})
            assert status == 202, body
            ids.append(body["message_id"])
        wait_for(lambda: sent_log.exists() and len(sent_log.read_text().split()) >= 20, 30,
                 "the first scheduled messages to go")
        relay.kill()
        assert len(sent_log.read_text().split()) < MESSAGES, "not mid-release: all went"
        relay.start()

        def all_sent():
            _, page = call(relay, key, "GET", "/api/v1/messages?limit=500")
            return all(m["status"] == "sent" for m in page["messages"]) and page["messages"]
        messages = wait_for(all_sent, 60, "every scheduled message to be sent")
        assert sorted(m["message_id"] for m in messages) == sorted(ids)
        counts = collections.Counter(sent_log.read_text().split())
        assert set(counts) == set(ids)
        assert [m for m, c in counts.items() if c > 1] == []          # none sent twice
        for message_id in ids[::10]:
            _, body = call(relay, key, "GET", f"/api/v1/messages/{message_id}")
            message = body["message"]
            handed = next(h["at"] for h in message["history"] if h["status"] != "queued")
            assert parse_iso(handed) >= parse_iso(message["scheduled_for"])    # not before
    finally:
        agent.stop()
        relay.stop()
