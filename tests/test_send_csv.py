"""`relay send --csv FILE` end to end: a real relay process, the command as a user runs it, and
what the relay then holds, read through the client API."""
import json
import os
import pty
import subprocess
import sys

import pytest

from helpers.agents import call
from helpers.processes import free_port

GOOD = 2000     # three batches: 1,000, 1,000 and the rest


@pytest.fixture
def running(relay_process):
    relay = relay_process()
    key = relay.cli("keys", "create", "--name", "app").stdout.splitlines()[-1]
    relay.cli("phones", "add", "phone_main")
    relay.start()
    return relay, key


def send(relay, path, *flags, key=None, **popen):
    env = {**os.environ, **({"RELAY_API_KEY": key} if key else {})}
    env.pop("RELAY_URL", None)
    return subprocess.run([sys.executable, "-m", "relay", "send", "--csv", str(path),
                           "--phone-id", "phone_main", "--data-dir", str(relay.data_dir),
                           *flags], env=env, timeout=120, **popen)


def messages(relay, key) -> list:
    found, cursor = [], ""
    while cursor is not None:
        _, page = call(relay, key, "GET", f"/api/v1/messages?limit=500{cursor and '&cursor='}"
                                          f"{cursor or ''}")
        found += page["messages"]
        cursor = page["next_cursor"]
    return found


def write_csv(tmp_path):
    lines = ["to,text,tags,sim,channel",
             '+12025550143,"hello\nworld",vip; Lead,2,',         # lines 2-3: a quoted newline
             "+1202,a number too short,,,",                        # line 4
             "+12025550143,one,cell,too,many,here",                # line 5
             ",a note for the phone itself,,,notify",              # line 6: notify needs no to
             *(f"+1202555{i % 10000:04d},message {i},,," for i in range(GOOD))]
    path = tmp_path / "people.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_every_row_is_sent_in_batches_and_errors_name_their_lines(running, tmp_path):
    relay, key = running
    path = write_csv(tmp_path)
    result = send(relay, path, key=key, capture_output=True, text=True)
    assert result.returncode == 1, result.stderr       # some rows were refused
    assert result.stderr == ""                         # no progress bar: not a terminal
    summary = json.loads(result.stdout)
    assert (summary["rows"], summary["accepted"], summary["duplicates"]) == (GOOD + 4, GOOD + 2,
                                                                            0)
    assert [(e["line"], e["status"], e["code"], e["field"]) for e in summary["errors"]] == [
        (4, 400, "invalid_phone_number", "to"), (5, 400, "invalid_csv", None)]
    assert summary["not_sent"] == 0

    stored = {m["text"]: m for m in messages(relay, key)}
    assert len(stored) == GOOD + 2
    first = stored["hello\nworld"]
    assert (first["to"], first["tags"], first["sim"], first["channel"]) == (
        "+12025550143", ["vip", "lead"], 2, "sms")
    assert stored["a note for the phone itself"]["channel"] == "notify"

    # The same file again (say, after an interruption), now by URL: nothing is sent twice.
    again = send(relay, path, "--url", relay.url, key=key, capture_output=True, text=True)
    summary = json.loads(again.stdout)
    assert (summary["accepted"], summary["duplicates"]) == (0, GOOD + 2)
    assert len(messages(relay, key)) == GOOD + 2


def test_a_progress_bar_on_a_terminal(running, tmp_path):
    relay, key = running
    path = tmp_path / "few.csv"
    path.write_text("to,text\n+12025550143,hi\n", encoding="utf-8")
    controller, terminal = pty.openpty()
    try:
        result = send(relay, path, key=key, stdout=subprocess.PIPE, stderr=terminal)
        os.close(terminal)
        shown = os.read(controller, 4096).decode()
    finally:
        os.close(controller)
    assert result.returncode == 0
    assert f"[{'#' * 30}] 1/1" in shown
    assert json.loads(result.stdout)["accepted"] == 1


def test_what_cannot_be_sent_at_all(running, tmp_path):
    relay, key = running
    path = tmp_path / "odd.csv"
    path.write_text("to,text,colour\n+12025550143,hi,red\n", encoding="utf-8")
    result = send(relay, path, key=key, capture_output=True, text=True)
    assert result.returncode == 2 and "unknown: colour" in result.stderr
    path.write_text("to,text\n+12025550143,hi\n", encoding="utf-8")
    result = send(relay, path, capture_output=True, text=True)          # no key
    assert result.returncode == 2 and "RELAY_API_KEY" in result.stderr
    result = send(relay, path, key="rly_wrong", capture_output=True, text=True)
    assert result.returncode == 1
    assert "401 invalid_key" in json.loads(result.stdout)["stopped"]
    result = send(relay, path, "--url", f"http://127.0.0.1:{free_port()}", key=key,
                  capture_output=True, text=True)
    summary = json.loads(result.stdout)
    assert result.returncode == 1 and summary["not_sent"] == 1
    assert "did not answer" in summary["stopped"]
    assert messages(relay, key) == []
