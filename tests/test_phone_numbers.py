"""Phone numbers in a message's `to`: every possible number is accepted and stored in E.164;
an impossible one is refused with a reason true for what was sent; strict checking is opt-in."""
import pytest

from helpers.relays import make_settings, sms, start_relay, stop_relay

MESSAGES = "/api/v1/messages"


@pytest.mark.parametrize("channel", ["sms", "wa"])
async def test_a_possible_but_unassigned_number_is_accepted_in_e164(client, channel):
    status, body = await client.post(MESSAGES, sms(channel=channel, to="+1 555 123 4567"))
    assert status == 202, body
    status, shown = await client.get(f"{MESSAGES}/{body['message_id']}")
    assert shown["message"]["to"] == "+15551234567"


async def test_a_number_without_plus_is_read_in_the_default_region(client):
    status, body = await client.post(MESSAGES, sms(to="(555) 123-4567"))
    assert status == 202, body
    assert (await client.get(f"{MESSAGES}/{body['message_id']}"))[1]["message"]["to"] == \
        "+15551234567"


@pytest.mark.parametrize("to, says", [
    ("+1555123", "'to' is too short for a number of country code +1"),
    ("+1555123456789", "'to' is too long for a number of country code +1"),
    ("+999 1234 5678", "'to' does not start with a known country calling code"),
    ("+hello", "'to' is not a phone number"),
    ("555123", "'to' is too short for a number of country code +1 (without +, it is read in "
               "region US)"),
])
async def test_an_impossible_number_is_refused_with_a_reason_true_for_it(client, to, says):
    status, body = await client.post(MESSAGES, sms(to=to))
    assert (status, body["error"]["code"], body["error"]["field"]) == (
        400, "invalid_phone_number", "to"), body
    assert body["error"]["message"] == says
    if to.startswith("+"):
        assert "without +" not in body["error"]["message"]


async def test_strict_checking_is_an_opt_in_setting(data_dir):
    running = await start_relay(make_settings(data_dir, strict_phone_numbers=1))
    try:
        api = await running.new_client("app")
        await running.api.admin("phones.add", phone_id="phone_main")
        status, body = await api.post(MESSAGES, sms(to="+15551234567"))
        assert (status, body["error"]["code"]) == (400, "invalid_phone_number"), body
        assert "strict_phone_numbers" in body["error"]["message"]
        status, body = await api.post(MESSAGES, sms(channel="tg", to="+15551234567"))
        assert status == 400, body
        status, body = await api.post(MESSAGES, sms(to="+12025550143"))
        assert status == 202, body
        api.close()
    finally:
        await stop_relay(running)
