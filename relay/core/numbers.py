"""Whole numbers as clients, import files and receivers write them, parsed one way: ASCII
digits only. str.isdigit() also takes '²' and other digits int() refuses, and int() takes
'١٢', '1_000', ' 12' and '-3'; a number here is none of those."""
import re

from relay.core.errors import bad_request

_DIGITS = re.compile(r"[0-9]{1,20}")   # beyond 20 digits no range here reaches


def ascii_digits(text: str) -> int | None:
    """The number `text` spells in ASCII digits, or None."""
    return int(text) if _DIGITS.fullmatch(text) else None


def whole_number(name: str, value, low: int, high: int) -> int:
    """A JSON integer (not a boolean) or a text of ASCII digits from low to high; anything
    else is a 400 naming the field."""
    if isinstance(value, str):
        value = ascii_digits(value)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise bad_request(name, f"'{name}' must be a whole number from {low} to {high}")
    return value
