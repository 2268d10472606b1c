"""Client API keys: rly_<30 random base62><6 base62 CRC32 checksum>.

The fixed prefix lets secret scanners spot a leaked key; the checksum lets them (and us)
tell a mistyped or made-up key from a revoked one. Only a SHA-256 hash is stored."""
import hashlib
import secrets
import string
import zlib

PREFIX = "rly_"
ALPHABET = string.digits + string.ascii_letters
_ALPHABET_SET = frozenset(ALPHABET)
BODY_LEN = 30
CHECK_LEN = 6


def _base62(number: int, width: int) -> str:
    chars = []
    for _ in range(width):
        number, digit = divmod(number, 62)
        chars.append(ALPHABET[digit])
    return "".join(reversed(chars))


def _checksum(body: str) -> str:
    return _base62(zlib.crc32(body.encode()), CHECK_LEN)


def new_key() -> str:
    body = "".join(secrets.choice(ALPHABET) for _ in range(BODY_LEN))
    return PREFIX + body + _checksum(body)


def has_key_shape(key: str) -> bool:
    """The prefix and length of a key: what is worth hashing and looking up."""
    return key.startswith(PREFIX) and len(key) == len(PREFIX) + BODY_LEN + CHECK_LEN


def well_formed(key: str) -> bool:
    if not has_key_shape(key):
        return False
    body, check = key[len(PREFIX):-CHECK_LEN], key[-CHECK_LEN:]
    return _ALPHABET_SET.issuperset(body) and secrets.compare_digest(check, _checksum(body))


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def display_prefix(key: str) -> str:
    return key[:len(PREFIX) + 4]


def last4(key: str) -> str:
    return key[-4:]
