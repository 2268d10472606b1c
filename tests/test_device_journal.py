"""The phone agent's journal: what survives a restart, and what is forgotten once the relay
can no longer deliver it again."""
import datetime as dt
import json

from relay.core.timefmt import iso, utcnow
from relay.agent.journal import Journal


def test_journal_survives_a_restart_and_forgets_long_expired_messages(tmp_path):
    path = tmp_path / "journal.jsonl"
    live, old = iso(utcnow() + dt.timedelta(hours=1)), iso(utcnow() - dt.timedelta(days=2))
    journal = Journal(path)
    journal.attempt("msg_old", old)
    journal.result("msg_old", "sent", None, iso(utcnow()), old)
    journal.attempt("msg_sent", live)
    journal.result("msg_sent", "sent", None, iso(utcnow()), live)
    journal.attempt("msg_cut", live)                    # the agent dies here
    journal.inbound({"event_id": "e1", "channel": "sms", "occurred_at": live})
    journal.inbound({"event_id": "e2", "channel": "sms", "occurred_at": live})
    journal.inbound_acked("e1")
    journal.close()
    with open(path, "a") as file:
        file.write('{"result": "msg_x", "sta')          # a line cut short by the crash

    reopened = Journal(path)
    try:
        assert reopened.attempted == {"msg_sent", "msg_cut"}
        assert set(reopened.results) == {"msg_sent"}
        assert set(reopened.unacked_inbound) == {"e2"}
        lines = [json.loads(line) for line in path.read_text().splitlines()]
        assert not any("msg_old" in json.dumps(line) for line in lines)   # rewritten without it
    finally:
        reopened.close()


def test_an_entry_after_a_cut_line_is_kept(tmp_path):
    path = tmp_path / "journal.jsonl"
    path.write_text('{"attempt": "msg_a", "expires_at": null}\n{"result": "msg_a", "sta')
    journal = Journal(path)
    journal.result("msg_a", "failed", "interrupted", None, None)
    journal.close()
    reopened = Journal(path)
    try:
        assert reopened.results["msg_a"]["status"] == "failed"
    finally:
        reopened.close()
