"""POST /api/v1/messages/batch over real HTTP: up to 1,000 messages in one group commit, each
answered in its place (202, 200 for a repeat, its own 4xx), delivered by a real simulated phone;
a body that is not a batch is one 400, and no body is ever a 500."""
import json
import re

from hypothesis import HealthCheck, given, settings, strategies as st

from helpers.phones import start_agent
from helpers.polling import eventually
from helpers.relays import sms
from helpers.strategies import json_values

BATCH = "/api/v1/messages/batch"
# Each bad item, with the status and field of its own error.
BAD_ITEMS = [
    (sms(to="+1202"), 400, "to"),
    (sms(text=""), 400, "text"),
    (sms(phone_id="phone_gone"), 404, "phone_id"),
    (sms(colour="red"), 400, "colour"),
    ("not an object", 400, None),
    (sms(text="x" * 1601), 400, "text"),
    (sms(tags="one"), 400, "tags"),
    (sms(sim=3), 400, "sim"),
    (sms(channel="fax"), 400, "channel"),
    ({"phone_id": "phone_main", "channel": "email", "to": "ann@example.com", "text": "hi"},
     400, "subject"),
]


def commits_of_more_than_512(metrics: str) -> int:
    """Group commits of 513-1024 operations so far (relay_commit_group_size's buckets)."""
    def bucket(bound):
        return float(re.search(rf'relay_commit_group_size_bucket{{le="{bound}"}} (\S+)',
                               metrics).group(1))
    return int(bucket("1024.0") - bucket("512.0"))


async def metrics(relay) -> str:
    response = await relay.api.http.fetch(relay.base_url + "/metrics", headers={
        "Authorization": f"Bearer {relay.relay.admin_token}"})
    return response.body.decode()


async def test_a_thousand_with_ten_bad_items_is_990_accepted_and_10_errors_in_place(
        relay, client):
    bad_at = {index: bad for index, bad in zip(range(5, 1000, 100), BAD_ITEMS)}
    items = [bad_at[i][0] if i in bad_at else sms(text=f"batch {i}", idempotency_key=f"k{i}")
             for i in range(1000)]
    commits_before = commits_of_more_than_512(await metrics(relay))
    status, body = await client.post(BATCH, {"messages": items})
    assert status == 200, body
    results = body["results"]
    assert [r["index"] for r in results] == list(range(1000))
    assert commits_of_more_than_512(await metrics(relay)) == commits_before + 1   # one commit
    for index, (_, expected_status, field) in bad_at.items():
        assert (results[index]["status"], results[index]["error"]["field"]) == (
            expected_status, field), results[index]
        assert "message_id" not in results[index]
    accepted = [r for r in results if r["status"] == 202]
    assert len(accepted) == 990
    assert all(r["message_status"] == "queued" and r["idempotency_key"] == f"k{r['index']}"
               and r["encoding"] == "GSM-7" and r["segments"] == 1 for r in accepted)
    assert len({r["message_id"] for r in accepted}) == 990

    _, phone = await client.get("/api/v1/phones/phone_main")
    assert phone["phone"]["queue_depth"] == 990
    agent = await start_agent(relay)
    try:
        await eventually(lambda: len(agent.backend.sent) == 990, timeout=60,
                         what="the phone to send all 990")
    finally:
        await agent.stop()
    assert sorted(agent.backend.sent) == sorted(r["message_id"] for r in accepted)
    _, one = await client.get(f"/api/v1/messages/{accepted[0]['message_id']}")
    assert one["message"]["text"] == f"batch {accepted[0]['index']}"


async def test_repeats_inside_a_batch_and_of_earlier_sends(client):
    status, earlier = await client.post("/api/v1/messages", sms(idempotency_key="early"))
    assert status == 202
    status, body = await client.post(BATCH, {"messages": [
        sms(idempotency_key="early"),                     # a repeat of an earlier send
        sms(idempotency_key="twice", text="one"),
        sms(idempotency_key="twice", text="one", source="again"),   # a repeat in the batch
        sms(idempotency_key="twice", text="another"),     # the key, for another message
        sms(idempotency_key="early", to="+12025550199"),
        sms(),                                            # no key: always a new message
        sms(),
    ]})
    assert status == 200, body
    repeat, first, again, conflict, conflict_early, plain, plain_again = body["results"]
    assert (repeat["status"], repeat["duplicate"], repeat["message_id"]) == (
        200, True, earlier["message_id"])
    assert (first["status"], again["status"], again["duplicate"]) == (202, 200, True)
    assert again["message_id"] == first["message_id"] and again["message_status"] == "queued"
    assert (conflict["status"], conflict["error"]["code"], conflict["error"]["field"]) == (
        422, "idempotency_conflict", "text")
    assert (conflict_early["status"], conflict_early["error"]["field"]) == (422, "to")
    assert plain["status"] == plain_again["status"] == 202
    assert plain["message_id"] != plain_again["message_id"]
    _, listed = await client.get("/api/v1/messages")
    assert len(listed["messages"]) == 4      # early, twice and the two without a key


async def test_a_batch_answers_like_single_sends(client):
    """Each item goes through the single send's checks and answer."""
    single_status, single = await client.post("/api/v1/messages", sms(text="héllo wörld"))
    status, body = await client.post(BATCH, {"messages": [sms(text="héllo wörld")]})
    [item] = body["results"]
    assert (status, single_status, item["status"]) == (200, 202, 202)
    # Its own id, and its own expiry: a day from its own acceptance.
    expected = {**single, "message_id": item["message_id"], "expires_at": item["expires_at"]}
    del expected["success"]
    expected["message_status"] = expected.pop("status")
    assert item == {"index": 0, "status": 202, **expected}
    assert item["phone_offline"] is True and "offline" in item["warning"]


async def test_a_body_that_is_no_batch_is_one_400(client):
    for body, field in (([sms()], None), ({}, "messages"), ({"messages": None}, "messages"),
                        ({"messages": sms()}, "messages"), ({"messages": []}, "messages"),
                        ({"messages": [sms()] * 1001}, "messages"),
                        ({"messages": [sms()], "more": 1}, "more")):
        status, answer = await client.post(BATCH, body)
        assert (status, answer["error"]["field"]) == (400, field), (body, answer)
    status, answer = await client.post(BATCH, {"messages": [sms()]},
                                       headers={"Idempotency-Key": "k"})
    assert (status, answer["error"]["field"]) == (400, "Idempotency-Key")
    _, listed = await client.get("/api/v1/messages")
    assert listed["messages"] == []


async def test_body_limits(client):
    text = "ж" * 1600          # 9.6 KB as json.dumps writes it (\u0436): 1,000 fit in 10 MiB
    status, body = await client.post(BATCH, {"messages": [sms(text=text)] * 1000})
    assert status == 200 and {r["status"] for r in body["results"]} == {202}
    assert body["results"][0]["encoding"] == "UCS-2"
    assert body["results"][0]["segments"] == 24        # 1,600 / 67, rounded up
    status, body = await client.post(BATCH, raw=b" " * (10 * 2**20 + 1))
    assert (status, body["error"]["code"]) == (413, "body_too_large")
    status, body = await client.post("/api/v1/messages", raw=b" " * (64 * 1024 + 1))
    assert (status, body["error"]["code"]) == (413, "body_too_large")


send_fields = st.sampled_from(["phone_id", "channel", "to", "text", "tags", "sim", "source",
                               "idempotency_key", "subject", "title", "bot_token"])
items = st.one_of(json_values, st.dictionaries(send_fields, json_values, max_size=6),
                  st.builds(lambda fields: sms(**fields),
                            st.dictionaries(send_fields, json_values, max_size=2)))
batch_bodies = st.one_of(
    json_values,
    st.dictionaries(st.sampled_from(["messages", "other"]), json_values, max_size=2),
    st.lists(items, max_size=8).map(lambda messages: {"messages": messages}))


@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(body=batch_bodies)
async def test_bad_batch_bodies_are_never_a_500(client, body):
    status, answer = await client.post(BATCH, raw=json.dumps(body).encode())
    assert status in (200, 400), (body, answer)
    if status == 400:
        assert answer["error"]["code"] and answer["error"]["message"]
        return
    results = answer["results"]
    assert [r["index"] for r in results] == list(range(len(body["messages"])))
    for result in results:
        assert result["status"] in (200, 202) or (400 <= result["status"] < 500
                                                   and result["error"]["code"]), result
