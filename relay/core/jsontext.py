"""JSON text put together by hand where json's encoder costs too much per call (the access
line, a sealed body): string literals from json's own C quoting, non-ASCII kept as is."""
import json

quote = json.encoder.encode_basestring


def string_or_null(value: str | None) -> str:
    return "null" if value is None else quote(value)
