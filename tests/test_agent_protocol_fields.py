"""The optional fields the agent's backends added to protocol version 1: a heartbeat's
`channels` and a status frame's `delivery`, as the relay reads them."""
import pytest

from relay.agent import protocol
from relay.core.errors import ApiError


def test_a_heartbeat_may_say_which_channels_the_phone_delivers():
    frame = {"type": "heartbeat", "battery": 80, "signal": 3, "channels": ["notify", "sms"]}
    assert protocol.heartbeat(frame) == {"battery": 80, "signal": 3, "app_version": None}
    assert protocol.capabilities(frame) == ("notify", "sms")
    assert protocol.capabilities({"type": "heartbeat"}) is None
    with pytest.raises(ApiError) as refused:
        protocol.heartbeat({"type": "heartbeat", "channels": "sms"})
    assert refused.value.field == "channels"


def test_a_sent_status_may_carry_the_networks_delivery_report():
    frame = protocol.delivery_frame("msg_1", {"result": "undelivered",
                                              "at": "2026-12-01T12:00:05.000Z"})
    assert protocol.status_report(frame)[:2] == ("msg_1", "sent")
    report = protocol.delivery_report(frame)
    assert report["result"] == "undelivered" and report["at"].isoformat() == "2026-12-01T12:00:05"
    for bad in ({"result": "lost"}, {"result": "delivered", "at": "yesterday"},
                {"result": "delivered", "by": "x"}, "delivered"):
        with pytest.raises(ApiError) as refused:
            protocol.status_report({**frame, "delivery": bad})
        assert refused.value.field == "delivery" and refused.value.status == 400
    with pytest.raises(ApiError):
        protocol.status_report({"type": "status", "message_id": "msg_1", "status": "failed",
                                "error": "no", "delivery": {"result": "delivered"}})
