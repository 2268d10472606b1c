"""The API page's examples, sent as printed: every JSON body the page shows (the send examples,
the query, the callback registration, and the bodies inside its curl, Python, Node, Go, Java,
C# and C++ snippets) goes over real HTTP with only what the page leaves as "..." filled in, and
each answer has the status and the shape the page prints."""
import datetime as dt
import json

import pytest

from helpers.api_page import check_shape, page_text, printed_objects
from helpers.fake_telegram import FakeBotApi
from helpers.phones import connect, frame, hang_up, pair
from helpers.relays import make_settings, start_relay, stop_relay

BOT_TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"   # the page leaves it as "..."
SNIPPET_SOURCES = {"curl", "python", "node", "go", "java", "cpp", "csharp"}


def _examples() -> dict:
    """The page's objects by role: request bodies and the answers it prints."""
    roles = {"send": [], "query": [], "callback": [], "accepted": [], "duplicate": [],
             "message": [], "query_answer": []}
    for printed in printed_objects(page_text()):
        value = printed.value
        if "success" in value:
            role = ("duplicate" if "duplicate" in value else "message" if "message" in value
                    else "query_answer" if "summary" in value else "accepted")
        else:
            role = ("callback" if "callback_url" in value else "send" if "channel" in value
                    else "query")
        roles[role].append(printed)
    return roles


@pytest.fixture(scope="module")
def examples() -> dict:
    return _examples()


def test_the_page_holds_every_example(examples):
    sends = [p.value for p in examples["send"]]
    assert {s["channel"] for s in sends} == {"sms", "wa", "tg", "notify", "email", "tg_bot"}
    assert {s.get("source") for s in sends} >= SNIPPET_SOURCES
    assert [len(examples[role]) for role in ("query", "callback", "accepted", "duplicate",
                                             "message", "query_answer")] == [1] * 6


def _filled(text: str) -> str:
    """The body with what the page leaves as "..." filled in (only the bot token)."""
    value = json.loads(text)
    if value.get("bot_token") == "...":
        text = text.replace('"..."', json.dumps(BOT_TOKEN))
    assert "..." not in text, f"the page leaves something else open: {text}"
    return text


@pytest.fixture
async def page_relay(data_dir):
    bot_api = FakeBotApi()
    running = await start_relay(make_settings(data_dir, telegram_api_base=bot_api.url))
    api = await running.new_client("page")
    await running.api.admin("phones.add", phone_id="phone_main")
    yield running, api
    api.close()
    await stop_relay(running)
    await bot_api.close()


async def _send(api, path: str, text: str, method: str = "POST"):
    return await api.request(method, path, raw=text.encode(),
                             headers={"Content-Type": "application/json"})


async def _inbound_calls(running) -> None:
    """Calls from the page's number on the query's channels, a minute before the examples
    answer them: the query has something to show in every section."""
    socket = await connect(running, (await pair(running))["access_token"])
    occurred = (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)).isoformat()
    try:
        await frame(socket, "hello")
        for number, (channel, kind, tag) in enumerate(
                [("sms", "answered", "support"), ("wa", "missed", "vip"), ("tg", "call", "vip")]):
            socket.write_message(json.dumps({
                "type": "inbound", "event_id": f"page-{number}", "channel": channel,
                "event_type": kind, "contact": "+1 555 123 4567", "duration_sec": 84,
                "tags": [tag], "occurred_at": occurred}))
            await frame(socket, "ack")
    finally:
        await hang_up(socket)


async def test_every_example_answers_as_the_page_prints(page_relay, examples):
    running, api = page_relay
    await _inbound_calls(running)
    accepted_shape = examples["accepted"][0].value
    duplicate_shape = examples["duplicate"][0].value
    first_by_key: dict[str, str] = {}
    for printed in examples["send"]:
        status, body = await _send(api, "/api/v1/messages", _filled(printed.text))
        key = printed.value.get("idempotency_key")
        if key in first_by_key:        # the snippets all send idempotency key sms-001
            assert status == 200, (printed.text, body)
            check_shape(duplicate_shape, body)
            assert body["message_id"] == first_by_key[key]
        else:
            assert status == 202, (printed.text, body)
            check_shape(accepted_shape, body)
            assert body["status"] == "queued"
            if key is not None:
                first_by_key[key] = body["message_id"]
        assert body["idempotency_key"] == key
    # The first example again: the duplicate answer, the same message.
    first = examples["send"][0]
    status, body = await _send(api, "/api/v1/messages", first.text)
    assert status == 200
    check_shape(duplicate_shape, body)
    assert body["message_id"] == first_by_key[first.value["idempotency_key"]]
    status, shown = await api.get(f"/api/v1/messages/{body['message_id']}")
    assert status == 200
    check_shape(examples["message"][0].value, shown)


async def test_the_query_answers_every_section_the_page_names(page_relay, examples):
    running, api = page_relay
    await _inbound_calls(running)
    # The query's tags narrow the sent side too: the recipient is tagged in the address book.
    assert (await api.post("/api/v1/contacts", {"address": "+15551234567",
                                                "tags": ["support"]}))[0] == 200
    for printed in examples["send"][:3]:       # sms, wa and tg: the replies to the calls
        assert (await _send(api, "/api/v1/messages", _filled(printed.text)))[0] == 202
    status, answer = await _send(api, "/api/v1/webchat/inbound/query",
                                 examples["query"][0].text)
    assert status == 200, answer
    check_shape(examples["query_answer"][0].value, answer)
    assert answer["events"] and answer["sent_events"] and answer["top_contacts"]
    assert answer["summary"]["channels"] == {"sms": 1, "wa": 1, "tg": 1}
    # The tg example writes to @name, which the query's source_contains (+1555) leaves out.
    assert answer["sent_summary"]["channels"] == {"sms": 1, "wa": 1}


async def test_the_callback_registration_is_201_and_deletes_with_the_same_body(page_relay,
                                                                              examples):
    _, api = page_relay
    [printed] = examples["callback"]
    status, body = await _send(api, "/api/v1/webchat/callbacks/inbound", printed.text)
    assert status == 201, body
    assert body["success"] is True and body["created"] is True
    assert body["callback"]["callback_url"] == printed.value["callback_url"]
    status, body = await _send(api, "/api/v1/webchat/callbacks/inbound", printed.text, "DELETE")
    assert status == 200 and body["deleted"].startswith("cb_"), body
