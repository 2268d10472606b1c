"""How many SMS parts a text needs, and in which alphabet, so a client sees the cost before it
is sent (docs/api.md, Segments).

A text that the GSM 03.38 alphabet holds goes as GSM-7: 160 septets in a single SMS, 153 in each
part of a longer one (the rest is the part header), a character of the extension table (such as
`{` or `€`) taking two. Any other text goes as UCS-2: 70 UTF-16 code units, 67 a part, a
character outside the Basic Multilingual Plane (most emoji) taking two. A phone never splits a
character between two parts, so one that would straddle a part's end starts the next part.

The alphabet is the gsm0338 codec's (3GPP TS 23.038), read once through its decoder; the
counting here is set arithmetic rather than the codec's encoder, which builds its bytes a
character at a time (milliseconds for a long text, on the IOLoop)."""
import typing

import gsm0338

GSM_7, UCS_2 = "GSM-7", "UCS-2"
_ESCAPE = 0x1B       # GSM 03.38: the next septet is read in the extension table
_SIZES = {GSM_7: (160, 153), UCS_2: (70, 67)}     # one part alone, each part of several


def _decoded(data: bytes) -> str | None:
    try:
        return data.decode(gsm0338.Codec.NAME)
    except UnicodeDecodeError:
        return None


_BASIC = frozenset(filter(None, (_decoded(bytes([code])) for code in range(128)
                                 if code != _ESCAPE)))
_EXTENSION = frozenset(filter(None, (_decoded(bytes([_ESCAPE, code])) for code in range(128))))
_GSM = _BASIC | _EXTENSION


class SmsParts(typing.NamedTuple):
    encoding: str           # GSM-7 or UCS-2
    segments: int


def sms_parts(text: str) -> SmsParts:
    used = set(text)
    if used <= _GSM:
        wide = used & _EXTENSION
        encoding = GSM_7
    else:
        wide = {c for c in used if ord(c) > 0xFFFF}   # a surrogate pair in UTF-16
        encoding = UCS_2
    units = len(text) + sum(map(text.count, wide))
    single, per_part = _SIZES[encoding]
    if units <= single:
        return SmsParts(encoding, 1)
    if not wide:
        return SmsParts(encoding, -(-units // per_part))
    segments, filled = 1, 0
    for character in text:
        width = 2 if character in wide else 1
        if filled + width > per_part:
            segments, filled = segments + 1, 0
        filled += width
    return SmsParts(encoding, segments)


def message_parts(channel: str, text: str) -> SmsParts | None:
    """An sms message's parts; None for the other channels, which have no such cost."""
    return sms_parts(text) if channel == "sms" else None
