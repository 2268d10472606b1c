"""`relay phones pace`: a phone's own pacing set on a stopped relay (the CLI opens the data
dir) and on a running one (through its admin endpoint), shown by GET /api/v1/phones."""
import json

import pytest

from helpers.agents import call


def _pace(relay, *flags, check=True):
    return relay.cli("phones", "pace", "phone_main", *flags, check=check)


@pytest.mark.slow
def test_pacing_set_on_a_stopped_relay_and_on_a_running_one(relay_process):
    relay = relay_process(env={"RELAY_PACING_PER_DAY": "50"})
    key = relay.cli("keys", "create", "--name", "ops").stdout.splitlines()[-1]
    relay.cli("phones", "add", "phone_main")
    answer = json.loads(_pace(relay, "--interval", "0.5", "--jitter", "0.2",
                              "--per-hour", "5").stdout)
    assert answer["pacing"] == {
        "min_interval_seconds": 0.5, "jitter_seconds": 0.2, "per_hour": 5, "per_day": 50,
        "own": {"min_interval_seconds": 0.5, "jitter_seconds": 0.2, "per_hour": 5,
                "per_day": None}}
    relay.start()
    try:
        status, body = call(relay, key, "GET", "/api/v1/phones/phone_main")
        assert status == 200, body
        pacing = body["phone"]["pacing"]
        assert (pacing["min_interval_seconds"], pacing["jitter_seconds"], pacing["per_hour"],
                pacing["per_day"]) == (0.5, 0.2, 5, 50)

        answer = json.loads(_pace(relay, "--per-day", "100", "--default", "interval").stdout)
        assert answer["pacing"]["own"] == {"min_interval_seconds": None, "jitter_seconds": 0.2,
                                           "per_hour": 5, "per_day": 100}
        pacing = call(relay, key, "GET", "/api/v1/phones/phone_main")[1]["phone"]["pacing"]
        assert (pacing["min_interval_seconds"], pacing["per_day"]) == (0, 100)

        refused = _pace(relay, "--per-hour", "-1", check=False)
        assert refused.returncode == 1
        assert json.loads(refused.stderr)["error"]["field"] == "per_hour"
        unknown = relay.cli("phones", "pace", "nope", "--per-hour", "1", check=False)
        assert json.loads(unknown.stderr)["error"]["code"] == "unknown_phone"
    finally:
        assert relay.stop() == 0
    # What was set on the running relay is in the log: the stopped relay's CLI sees it.
    answer = json.loads(_pace(relay).stdout)
    assert answer["pacing"]["own"]["per_day"] == 100
