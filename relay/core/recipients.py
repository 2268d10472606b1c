"""Normalising the `to` of each channel: E.164 numbers, e-mail addresses, Telegram targets."""
import functools
import re

import email_validator
import phonenumbers

from relay.core.errors import bad_request

TG_USERNAME = re.compile(r"@[A-Za-z][A-Za-z0-9_]{3,31}")
TG_CHAT_ID = re.compile(r"-?\d{1,20}")


@functools.lru_cache(maxsize=65536)
def _e164(number: str, region: str) -> str | None:
    # Cached: clients send to the same few numbers again and again, and parsing costs ~30 us.
    try:
        parsed = phonenumbers.parse(number, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def phone_number(value: str, region: str, field: str = "to") -> str:
    e164 = _e164(value.strip(), region)
    if e164 is None:
        raise bad_request(field, f"'{field}' is not a valid phone number (numbers without + are "
                                 f"read in region {region})", "invalid_phone_number")
    return e164


@functools.lru_cache(maxsize=16384)
def _email(value: str) -> str | None:
    try:
        return email_validator.validate_email(value, check_deliverability=False).normalized
    except email_validator.EmailNotValidError:
        return None


def email_address(value: str, field: str = "to") -> str:
    normalized = _email(value.strip())
    if normalized is None:
        raise bad_request(field, f"'{field}' is not a valid e-mail address", "invalid_email")
    return normalized


def telegram_user(value: str, region: str) -> str:
    value = value.strip()
    if value.startswith("@"):
        if not TG_USERNAME.fullmatch(value):
            raise bad_request("to", "'to' must be a Telegram @username (5-32 letters, digits "
                                    "or _) or a phone number", "invalid_recipient")
        return value.lower()
    return phone_number(value, region)


def telegram_chat(value: str) -> str:
    value = value.strip()
    if TG_CHAT_ID.fullmatch(value):
        return value
    if TG_USERNAME.fullmatch(value):
        return value.lower()
    raise bad_request("to", "'to' must be a Telegram chat id or an @channel name",
                      "invalid_recipient")
