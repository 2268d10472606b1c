"""Phone credentials: single-use pairing codes, short-lived access JWTs, refresh tokens.

The JWT algorithm is pinned here and never taken from a token's header. Codes and refresh
tokens are random; only their SHA-256 is stored."""
import datetime as dt
import hashlib
import os
import pathlib
import secrets

import jwt

from relay.core.errors import ApiError
from relay.core.ids import random_id

ALGORITHM = "HS256"
ISSUER = "relay"
AUDIENCE = "relay-device"
REQUIRED_CLAIMS = ["iss", "aud", "sub", "exp", "iat", "jti"]
KEY_FILE = "device.key"
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"   # no 0/O, 1/I: read aloud or typed
CODE_LENGTH = 12                                     # 60 bits, in three groups of four
CODE_TTL = dt.timedelta(minutes=10)
REFRESH_PREFIX = "rrt_"
REFRESH_TTL = dt.timedelta(days=90)


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_pairing_code() -> str:
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(code[i:i + 4] for i in range(0, CODE_LENGTH, 4))


def normalise_code(code: str) -> str:
    """The form whose hash is stored: upper case, without the dashes and spaces people add."""
    return "".join(c for c in code.upper() if c not in "- ")


def new_refresh_token() -> str:
    return REFRESH_PREFIX + secrets.token_urlsafe(32)


def signing_key(data_dir: pathlib.Path) -> bytes:
    """The HMAC key for access tokens, made on first use; readable by the data dir's owner only."""
    path = pathlib.Path(data_dir) / KEY_FILE
    if not path.exists():
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:     # made by another process a moment ago
            pass
        else:
            with os.fdopen(fd, "w") as file:
                file.write(secrets.token_hex(32))
    return bytes.fromhex(path.read_text().strip())


def issue_access_token(key: bytes, phone_id: str, session_id: str, lifetime: dt.timedelta,
                       now: dt.datetime) -> str:
    claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": phone_id, "sid": session_id,
              "iat": now.replace(tzinfo=dt.timezone.utc),
              "exp": (now + lifetime).replace(tzinfo=dt.timezone.utc),
              "jti": random_id("jti_", 10)}
    return jwt.encode(claims, key, algorithm=ALGORITHM)


def unauthorized(code: str, message: str) -> ApiError:
    return ApiError(401, code, message, headers={"WWW-Authenticate": "Bearer"})


def verify_access_token(key: bytes, token: str) -> dict:
    """The token's claims, or a 401 ApiError saying why it is refused."""
    try:
        claims = jwt.decode(token, key, algorithms=[ALGORITHM], audience=AUDIENCE, issuer=ISSUER,
                            options={"require": REQUIRED_CLAIMS})
    except jwt.ExpiredSignatureError:
        raise unauthorized("token_expired", "the access token has expired; renew it at "
                           "POST /api/v1/device/token") from None
    except jwt.InvalidTokenError as error:
        raise unauthorized("invalid_token", f"the access token is not valid: {error}") from None
    if not isinstance(claims.get("sid"), str):
        raise unauthorized("invalid_token", "the access token names no session")
    return claims
