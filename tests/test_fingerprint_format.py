"""The idempotency fingerprint is stored with every keyed message and compared with the one of a
request sent again with its key, after any upgrade: its text for a given request never changes,
or a retry of a message accepted by an older version would be refused as a conflict."""
import pytest

from relay.messages.validate import differing_field, message_request

UNSET = "536fd5a56c585c00"       # the digest of a field the request leaves out
NO_TAGS = "9791547bf874064f"


@pytest.mark.parametrize(("body", "fingerprint"), [
    ({"phone_id": "phone_main", "channel": "sms", "to": "+14155550123",
      "text": "Your code is 481516"},
     f"phone_id=584261a6a2af3586;channel=14a3f46fbace3c4a;to=9b3373c507a0d00b;"
     f"text=954e3bc96c9eb841;subject={UNSET};title={UNSET};bot_token={UNSET};tags={NO_TAGS}"),
    ({"phone_id": "phone_main", "channel": "email", "to": "ada@example.com",
      "subject": "Invoice", "text": "Attached.", "tags": ["Billing", "vip"]},
     f"phone_id=584261a6a2af3586;channel=cf6c017538786779;to=12a850b00b9786ff;"
     f"text=0b69a98fbc223915;subject=f852c000dd698895;title={UNSET};bot_token={UNSET};"
     f"tags=a2e287c32b0b0bb7"),
    ({"phone_id": "phone_main", "channel": "tg_bot", "to": "-1001234567890",
      "bot_token": "123456:" + "A" * 35, "text": "héllo"},
     f"phone_id=584261a6a2af3586;channel=9b19133e8c850d0c;to=b877638fbee5b3fd;"
     f"text=bf942d0c6e35d6cf;subject={UNSET};title={UNSET};bot_token=fa4c5aea72d3e3f1;"
     f"tags={NO_TAGS}"),
    ({"phone_id": "phone_main", "channel": "notify", "title": "Door", "text": "Open"},
     f"phone_id=584261a6a2af3586;channel=20a84e30cd3b00d1;to={UNSET};text=de479dfab6a7743b;"
     f"subject={UNSET};title=476467b5bce6abac;bot_token={UNSET};tags={NO_TAGS}"),
])
def test_a_request_has_the_fingerprint_older_versions_stored(body, fingerprint):
    assert message_request(body, "key-1", "US").fingerprint() == fingerprint


def test_the_fingerprint_names_the_field_that_differs():
    sms = {"phone_id": "phone_main", "channel": "sms", "to": "+14155550123", "text": "Hi"}
    first = message_request(sms, "key-1", "US").fingerprint()
    again = message_request({**sms, "source": "crm"}, "key-1", "US").fingerprint()
    other = message_request({**sms, "text": "Hi!"}, "key-1", "US").fingerprint()
    assert differing_field(first, again) is None           # source is a label, not compared
    assert differing_field(first, other) == "text"
