"""Segments: an sms shows the alphabet its text goes in (GSM-7 or UCS-2) and the number of SMS
parts it needs, in the 202 and on the message; other channels show null."""
import math

import gsm0338  # noqa: F401  (registers the gsm03.38 codec the property below checks against)
import pytest
from hypothesis import given, strategies as st

from helpers.relays import sms
from relay.messages.segments import sms_parts

EXTENSION = "{}[]~|^\\€\f"


@pytest.mark.parametrize("text, encoding, segments", [
    ("a" * 160, "GSM-7", 1),
    ("a" * 161, "GSM-7", 2),
    ("a" * 306, "GSM-7", 2),
    ("a" * 307, "GSM-7", 3),
    ("@£$¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./:;<=>?¡ÄÖÑÜ§¿äöñüà\n\r", "GSM-7", 1),
    ("€" * 80, "GSM-7", 1),                 # an extension character takes two septets
    ("€" * 81, "GSM-7", 2),
    ("a" * 159 + "{", "GSM-7", 2),          # 161 septets
    ("a" * 152 + "€" + "a" * 152, "GSM-7", 3),   # the € would straddle part one's end
    ("a" * 153 + "€" + "a" * 151, "GSM-7", 2),
    ("ç" * 70, "UCS-2", 1),                 # only the capital Ç is in GSM 03.38
    ("ж" * 71, "UCS-2", 2),
    ("ж" * 134, "UCS-2", 2),
    ("ж" * 135, "UCS-2", 3),
    ("😀" * 35, "UCS-2", 1),                # an emoji is two UTF-16 units
    ("😀" * 36, "UCS-2", 2),
    ("a" * 66 + "😀" + "a" * 66, "UCS-2", 3),     # the emoji would straddle part one's end
    ("a" * 65 + "😀" + "a" * 67, "UCS-2", 2),
    ("hello\x00", "UCS-2", 1),
])
def test_parts(text, encoding, segments):
    assert sms_parts(text) == (encoding, segments)


@given(st.text(alphabet=st.sampled_from("aZ9 @£éΔ\n" + EXTENSION + "çж😀"), max_size=400))
def test_the_encoding_is_gsm_7_exactly_when_the_codec_encodes_it(text):
    try:
        septets = len(text.encode("gsm03.38"))
    except UnicodeEncodeError:
        septets = None
    encoding, segments = sms_parts(text)
    assert encoding == ("UCS-2" if septets is None else "GSM-7")
    units = septets if septets is not None else len(text.encode("utf-16-le")) // 2
    single, per_part = (160, 153) if septets is not None else (70, 67)
    fewest = 1 if units <= single else math.ceil(units / per_part)
    # a part never splits a character, so a wide one at a part's end may take one more part
    assert fewest <= segments <= max(1, math.ceil(units / (per_part - 1)))


async def test_the_answer_and_the_message_show_them(client):
    shown = {}
    for text in ("hello", "{curly} " * 20, "ciao 😀", "ж" * 71):
        status, body = await client.post("/api/v1/messages", sms(text=text))
        assert status == 202, body
        shown[body["message_id"]] = (body["encoding"], body["segments"])
    status, email = await client.post("/api/v1/messages", {
        "phone_id": "phone_main", "channel": "email", "to": "ann@example.com",
        "subject": "Hi", "text": "hello"})
    assert (email["encoding"], email["segments"]) == (None, None)
    shown[email["message_id"]] = (None, None)
    assert list(shown.values()) == [("GSM-7", 1), ("GSM-7", 2), ("UCS-2", 1), ("UCS-2", 2),
                                    (None, None)]
    for message_id, parts in shown.items():
        _, body = await client.get(f"/api/v1/messages/{message_id}")
        assert (body["message"]["encoding"], body["message"]["segments"]) == parts
    _, listed = await client.get("/api/v1/messages")
    assert {m["message_id"]: (m["encoding"], m["segments"]) for m in listed["messages"]} == shown
