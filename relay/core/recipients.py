"""Normalising the `to` of each channel: E.164 numbers, e-mail addresses, Telegram targets."""
import functools
import re

import email_validator
import phonenumbers

from relay.core.errors import bad_request

TG_USERNAME = re.compile(r"@[A-Za-z][A-Za-z0-9_]{3,31}")
TG_CHAT_ID = re.compile(r"-?\d{1,20}")


@functools.lru_cache(maxsize=65536)
def _e164(number: str, region: str, strict: bool) -> tuple[str | None, str | None]:
    """(the number in E.164, None) or (None, why it is refused). Cached: clients send to the
    same few numbers again and again, and parsing one takes longer than the rest of a send's
    validation."""
    try:
        parsed = phonenumbers.parse(number, region)
    except phonenumbers.NumberParseException as error:
        if error.error_type == phonenumbers.NumberParseException.INVALID_COUNTRY_CODE:
            return None, "does not start with a known country calling code"
        return None, "is not a phone number"
    # Whether a number is allocated is for the phone and the network to say: by default only
    # the impossible ones (wrong length for the country) are refused.
    reason = phonenumbers.is_possible_number_with_reason(parsed)
    country = f"country code +{parsed.country_code}"
    if reason == phonenumbers.ValidationResult.TOO_SHORT:
        return None, f"is too short for a number of {country}"
    if reason == phonenumbers.ValidationResult.TOO_LONG:
        return None, f"is too long for a number of {country}"
    if reason == phonenumbers.ValidationResult.INVALID_LENGTH:
        return None, f"has a length no number of {country} has"
    if reason == phonenumbers.ValidationResult.INVALID_COUNTRY_CODE:
        return None, "does not start with a known country calling code"
    if reason == phonenumbers.ValidationResult.IS_POSSIBLE_LOCAL_ONLY:
        return None, "lacks its area code"
    if strict and not phonenumbers.is_valid_number(parsed):
        return None, ("is not a number its country assigns (the relay checks strictly: "
                      "strict_phone_numbers)")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164), None


def phone_number(value: str, region: str, field: str = "to", strict: bool = False) -> str:
    """A possible number (or, strict, a valid one) in E.164; one without + is read as a
    number of `region`."""
    value = value.strip()
    e164, reason = _e164(value, region, strict)
    if e164 is None:
        read_as = "" if value.startswith("+") else f" (without +, it is read in region {region})"
        raise bad_request(field, f"'{field}' {reason}{read_as}", "invalid_phone_number")
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


def telegram_user(value: str, region: str, strict: bool = False) -> str:
    value = value.strip()
    if value.startswith("@"):
        if not TG_USERNAME.fullmatch(value):
            raise bad_request("to", "'to' must be a Telegram @username (5-32 letters, digits "
                                    "or _) or a phone number", "invalid_recipient")
        return value.lower()
    return phone_number(value, region, strict=strict)


def telegram_chat(value: str) -> str:
    value = value.strip()
    if TG_CHAT_ID.fullmatch(value):
        return value
    if TG_USERNAME.fullmatch(value):
        return value.lower()
    raise bad_request("to", "'to' must be a Telegram chat id or an @channel name",
                      "invalid_recipient")
