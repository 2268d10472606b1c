"""The portal owner's password: an scrypt hash with its own salt and cost, as one string
"scrypt$n$r$p$salt$hash" (base64), so the cost can rise later without breaking old hashes."""
import base64
import hashlib
import hmac
import os

from relay.core.errors import bad_request

N, R, P, LENGTH = 2 ** 15, 8, 1, 32
MIN_LENGTH, MAX_LENGTH = 8, 1024


def check_new(password) -> str:
    """A password fit to be set, else a 400 naming the field."""
    if not isinstance(password, str) or not MIN_LENGTH <= len(password) <= MAX_LENGTH:
        raise bad_request("password", f"the password must be {MIN_LENGTH} to {MAX_LENGTH} "
                                      "characters")
    return password


def _derive(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p, dklen=LENGTH,
                          maxmem=256 * n * r + 1024 * 1024)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def hash_password(password: str) -> str:
    salt = os.urandom(16)
    return f"scrypt${N}${R}${P}${_b64(salt)}${_b64(_derive(password, salt, N, R, P))}"


def verify(password: str, stored: str) -> bool:
    """Slow on purpose (tens of ms): call it off the IOLoop."""
    try:
        name, n, r, p, salt, expected = stored.split("$")
        derived = _derive(password, base64.b64decode(salt), int(n), int(r), int(p))
    except (ValueError, TypeError):
        return False
    return name == "scrypt" and hmac.compare_digest(derived, base64.b64decode(expected))
