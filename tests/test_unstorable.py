"""Strings the database cannot hold (a lone surrogate such as "\\ud800", written as a JSON
escape): refused where they come in, naming where they were found (HTTP bodies, phone frames,
import files, command-line arguments). And behind that edge, the writer: an operation whose
rows cannot be stored fails alone, its group's other operations are committed and answered, and
/health stays "writable"."""
import asyncio
import json
import subprocess
import sys
import threading

import pytest
import tornado.httpclient

from helpers.phones import frame
from helpers.processes import RelayProcess, free_port
from helpers.relays import Api, sms
from relay.core.errors import ApiError, StorageUnavailable
from relay.analytics.contacts import SetContact
from relay.store.writer import Operation

CONTACTS = "/api/v1/contacts"
CALLBACKS = "/api/v1/webchat/callbacks/inbound"
QUERY = "/api/v1/webchat/inbound/query"
SURROGATE = "\udfff"


def _escaped_body(body: dict) -> bytes:
    """The body as JSON text with every non-ASCII character as an escape (json's default), so
    a lone surrogate goes over the wire as \\udfff."""
    return json.dumps(body).encode()


def _invalid_text(status, answer, field):
    assert status == 400, answer
    assert answer["error"]["code"] == "invalid_text", answer
    assert answer["error"]["field"] == field, answer


# -- the edge: HTTP bodies ------------------------------------------------------------------

@pytest.mark.parametrize("body, field", [
    (sms(source=SURROGATE), "source"),
    (sms(to="+1202555" + SURROGATE), "to"),
    (sms(text="hi \ud800 there"), "text"),
    (sms(tags=["vip", "x\udc00"]), "tags[1]"),
    (sms(idempotency_key="k" + SURROGATE), "idempotency_key"),
    ({"phone_id": "phone_main", "channel": "notify", "text": "t", "to": SURROGATE}, "to"),
    ({"phone_id": "phone_main", "channel": "notify", "text": "t", "title": SURROGATE},
     "title"),
    ({"phone_id": "phone_main", "channel": "email", "to": "ann@example.com", "text": "t",
      "subject": SURROGATE}, "subject"),
    ({"phone_id": SURROGATE, "channel": "sms", "to": "+12025550143", "text": "t"}, "phone_id"),
    ({**sms(), "colour\ud800": "red"}, "colour\\ud800"),
])
async def test_a_send_with_a_lone_surrogate_is_400_naming_the_field(client, body, field):
    status, answer = await client.post("/api/v1/messages", raw=_escaped_body(body))
    _invalid_text(status, answer, field)
    status, listed = await client.get("/api/v1/messages")
    assert listed["messages"] == []


@pytest.mark.parametrize("path, body, field", [
    (CONTACTS, {"address": "+12025550143", "name": "Ann" + SURROGATE}, "name"),
    (CONTACTS, {"address": "ann" + SURROGATE + "@example.com"}, "address"),
    (CONTACTS, {"address": "+12025550143", "tags": [SURROGATE]}, "tags[0]"),
    (CALLBACKS, {"callback_url": "https://hooks.example.com/" + SURROGATE}, "callback_url"),
    (CALLBACKS, {"callback_url": "https://hooks.example.com/x",
                 "source_filter": SURROGATE}, "source_filter"),
    (CALLBACKS, {"callback_url": "https://hooks.example.com/x",
                 "keyword_filter": SURROGATE}, "keyword_filter"),
    (QUERY, {"source_contains": SURROGATE}, "source_contains"),
    (QUERY, {"phone_id": SURROGATE}, "phone_id"),
    (QUERY, {"tags": ["a", SURROGATE]}, "tags[1]"),
    ("/api/v1/device/pair", {"pairing_code": SURROGATE}, "pairing_code"),
    ("/api/v1/device/token", {"refresh_token": SURROGATE}, "refresh_token"),
])
async def test_every_json_route_refuses_a_lone_surrogate(client, path, body, field):
    status, answer = await client.post(path, raw=_escaped_body(body))
    _invalid_text(status, answer, field)


async def test_nul_is_text_and_comes_back_unchanged(client):
    """DuckDB stores NUL faithfully, so it is accepted like any other character."""
    status, answer = await client.post("/api/v1/messages", sms(text="a\x00b", source="s\x00",
                                                               tags=["t\x00"]))
    assert status == 202, answer
    status, got = await client.get(f"/api/v1/messages/{answer['message_id']}")
    message = got["message"]
    assert (message["text"], message["source"], message["tags"]) == ("a\x00b", "s\x00",
                                                                     ["t\x00"])
    status, answer = await client.post(CONTACTS, {"address": "+12025550143", "name": "A\x00"})
    assert status == 200, answer
    status, got = await client.get(f"{CONTACTS}?address=%2B12025550143")
    assert got["contacts"][0]["name"] == "A\x00"


# -- the edge: phone frames -------------------------------------------------------------------

@pytest.mark.parametrize("sent, field", [
    ({"type": "inbound", "event_id": "e1", "channel": "sms", "contact": "+12025550143",
      "text": "hi" + SURROGATE, "occurred_at": "2026-01-05T10:00:00Z"}, "text"),
    ({"type": "inbound", "event_id": "e1", "channel": "sms", "contact": "+12025550143",
      "contact_name": SURROGATE, "occurred_at": "2026-01-05T10:00:00Z"}, "contact_name"),
    ({"type": "inbound", "event_id": SURROGATE, "channel": "sms",
      "contact": "+12025550143", "occurred_at": "2026-01-05T10:00:00Z"}, "event_id"),
    ({"type": "status", "message_id": "msg_x", "status": "failed", "error": SURROGATE},
     "error"),
    ({"type": "heartbeat", "app_version": SURROGATE}, "app_version"),
])
async def test_a_frame_with_a_lone_surrogate_gets_an_error_frame(relay, phone, sent, field):
    phone.write_message(json.dumps(sent))
    answer = await frame(phone, "error")
    assert (answer["code"], answer["field"]) == ("invalid_text", field), answer
    phone.write_message(json.dumps({"type": "inbound", "event_id": "ok-1", "channel": "sms",
                                    "contact": "+12025550143", "text": "fine",
                                    "occurred_at": "2026-01-05T10:00:00Z"}))
    assert (await frame(phone, "ack"))["event_id"] == "ok-1"     # the socket stays up


# -- the edge: the command line and import files --------------------------------------------

def test_the_command_line_refuses_arguments_and_import_lines_that_cannot_be_stored(tmp_path):
    relay = RelayProcess(tmp_path / "data", free_port())
    relay.cli("phones", "add", "phone_main")
    # A byte that is not UTF-8 reaches Python as a lone surrogate (surrogateescape).
    bad_arg = subprocess.run([sys.executable.encode(), b"-m", b"relay", b"phones", b"add",
                              b"phone_\xff", b"--data-dir", str(relay.data_dir).encode()],
                             capture_output=True, env=relay.env, timeout=60)
    assert bad_arg.returncode == 1, bad_arg.stderr
    error = json.loads(bad_arg.stderr)["error"]
    assert (error["code"], error["field"]) == ("invalid_text", "phone_id"), error
    listed = json.loads(relay.cli("phones", "list").stdout)["phones"]
    assert [p["phone_id"] for p in listed] == ["phone_main"]

    good_line = json.dumps({"event_id": "h1", "channel": "sms", "contact": "+12025550143",
                            "text": "hello", "occurred_at": "2026-11-03T09:00:00Z"})
    history = tmp_path / "history.jsonl"
    history.write_text(good_line + "\n" + json.dumps(
        {"event_id": "h2", "channel": "sms", "contact": "+12025550143",
         "text": "bad " + SURROGATE, "occurred_at": "2026-11-03T09:01:00Z"}) + "\n")
    failed = relay.cli("events", "import", str(history), check=False)
    assert failed.returncode == 1
    error = json.loads(failed.stderr)["error"]
    assert (error["code"], error["field"]) == ("invalid_text", "text"), error
    assert error["message"].startswith("line 2:")
    (tmp_path / "first.jsonl").write_text(good_line + "\n")    # nothing of the file went in
    imported = json.loads(relay.cli("events", "import", str(tmp_path / "first.jsonl")).stdout)
    assert (imported["imported"], imported["duplicates"]) == (1, 0)


# -- the burst --------------------------------------------------------------------------------

async def test_a_burst_with_bad_sends_fails_only_them_and_health_stays_ok(relay, client):
    http = tornado.httpclient.AsyncHTTPClient(force_instance=True, max_clients=64)
    burst = Api(relay.base_url, key=client.key)
    burst.http = http
    health_answers = []
    done = asyncio.Event()

    async def watch_health():
        while not done.is_set():
            health_answers.append(await relay.api.get("/health"))
            await asyncio.sleep(0.005)

    async def send(index):
        bad = index % 50 == 0
        body = sms(text=f"burst {index}", source=SURROGATE if bad else f"burst-{index}")
        return index, bad, await burst.post("/api/v1/messages", raw=_escaped_body(body))

    watcher = asyncio.ensure_future(watch_health())
    try:
        results = await asyncio.gather(*(send(i) for i in range(600)))
    finally:
        done.set()
        await watcher
        burst.close()
    accepted = {}
    for index, bad, (status, answer) in results:
        if bad:
            _invalid_text(status, answer, "source")
        else:
            assert status == 202, answer
            accepted[answer["message_id"]] = f"burst-{index}"
    assert len(accepted) == 588
    for message_id, source in accepted.items():
        status, got = await client.get(f"/api/v1/messages/{message_id}")
        assert status == 200 and got["message"]["source"] == source, got
    assert health_answers and all(
        status == 200 and body["database"] == "writable" for status, body in health_answers)


# -- the mechanism: the writer, past the edge -------------------------------------------------

class Gate(Operation):
    """Holds the writer in its stage until released, so what is queued meanwhile becomes
    one group."""

    def __init__(self):
        self.entered, self.release = threading.Event(), threading.Event()

    def stage(self, batch):
        self.entered.set()
        self.release.wait(10)


class HalfStagedBug(Operation):
    """Stages a row and an after-commit effect, then fails: none of it may be committed."""

    def __init__(self, effects):
        self.effects = effects

    def stage(self, batch):
        SetContact("app", "+12025550100", "half", ()).stage(batch)
        batch.after_commit(lambda: self.effects.append("half-staged"))
        raise RuntimeError("a bug after staging")


class UnknownTable(Operation):
    def stage(self, batch):
        batch.add("no_such_table", {"x": 1})


async def test_an_operation_that_cannot_be_stored_fails_alone(relay, client):
    """Operations that bypass every check, in one group with good ones: one whose text has
    no UTF-8 form (fails at the Appender), one with a NULL where none may be (fails at the
    flush), one with a bug after staging half of it, one for a table that does not exist.
    Each fails with its own error; the good ones are committed and answered."""
    writer, effects = relay.relay.store.writer, []
    gate = Gate()
    held = writer.submit(gate)
    assert await asyncio.to_thread(gate.entered.wait, 10)
    good = [writer.submit(SetContact("app", f"+1202555{n:04d}", f"good {n}", ("t",)))
            for n in range(20)]
    surrogate = writer.submit(SetContact("app", "+12025559990", "bad \ud800", ()))
    null = writer.submit(SetContact("app", None, "no address", ()))
    bug = writer.submit(HalfStagedBug(effects))
    unknown = writer.submit(UnknownTable())
    good += [writer.submit(SetContact("app", f"+1202556{n:04d}", f"good {n}", ()))
             for n in range(20)]
    gate.release.set()
    await asyncio.wrap_future(held)
    for future in good:
        assert (await asyncio.wrap_future(future))["name"].startswith("good")
    for future in (surrogate, null):
        with pytest.raises(ApiError) as failed:
            await asyncio.wrap_future(future)
        assert (failed.value.status, failed.value.code) == (422, "unstorable_value")
    with pytest.raises(RuntimeError):
        await asyncio.wrap_future(bug)
    with pytest.raises(StorageUnavailable):
        await asyncio.wrap_future(unknown)
    assert effects == [] and writer.healthy

    status, listed = await client.get(f"{CONTACTS}?limit=100")
    assert sorted(c["name"] for c in listed["contacts"]) == sorted(
        [f"good {n}" for n in range(20)] * 2)
    seqs = await relay.relay.store.read(lambda cur: [s for (s,) in cur.execute(
        "SELECT seq FROM contact_events ORDER BY seq").fetchall()])
    assert len(set(seqs)) == 40 and seqs[-1] == relay.relay.store.writer.seq
    status, health = await relay.api.get("/health")
    assert (status, health["database"]) == (200, "writable")
    # The next group commits as usual.
    assert (await client.post(CONTACTS, {"address": "+12025550199", "name": "after"}))[0] == 200
