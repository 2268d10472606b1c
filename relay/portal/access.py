"""Who may use the portal: the owner's password (in memory, changed through the bus), the
one-time setup code while no password is set, the sessions (in memory: a restart signs the
owner out) and the sign-in limit per address. Used on the IOLoop only.

A session ends when it is signed out, when a new password is set (every session) and when its
lifetime is over; what holds it open (the live socket) is told at once, so nothing reaches a
page whose session ended."""
import asyncio
import dataclasses
import hashlib
import hmac
import secrets
import time

from relay.portal import passwords
from relay.core.errors import ApiError, bad_request, not_found
from relay.web.base import WRITE_METHODS
from relay.web.limits import TokenBuckets, retry_after
from relay.portal import operations as portal_store
from relay.store.events import PortalPasswordSet

SESSION_COOKIE = "relay_session"
COOKIE_PATH = "/portal"
XSRF_HEADER = "X-XSRF-Token"
CLIENT_HEADER = "X-Relay-Client"


@dataclasses.dataclass(eq=False)
class Session:
    xsrf: str
    expires_at: float      # time.time()
    on_end: list = dataclasses.field(default_factory=list)   # called once when it ends
    ended: bool = False


class PortalIdentity:
    """What a portal request acts as: the owner, on behalf of the client the page chose (the
    public API's handlers read `client_id` and `key_id` from it as from a client's key)."""

    key_id = "portal"

    def __init__(self, client: str | None):
        self._client = client

    @property
    def client_id(self) -> str:
        if self._client is None:
            raise bad_request("client", f"choose a client (the {CLIENT_HEADER} header): "
                              "messages, callbacks and analytics belong to one", "required")
        return self._client


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class PortalAccess:
    def __init__(self, relay):
        self.relay = relay
        self.password_hash = relay.store.read_sync(portal_store.current_password)
        self.setup_code = None if self.password_hash else secrets.token_hex(5)
        self.lifetime = relay.settings.portal_session_hours * 3600
        per_minute = relay.settings.portal_signin_per_minute
        self.attempts = TokenBuckets(per_minute / 60, per_minute)
        self._sessions: dict[str, Session] = {}      # sha256 of the cookie -> session
        relay.bus.subscribe(PortalPasswordSet, self._password_set)

    def _password_set(self, changed: PortalPasswordSet) -> None:
        self.password_hash = changed.password_hash
        self.setup_code = None
        ended, self._sessions = self._sessions, {}     # a new password signs every session out
        for session in ended.values():
            self._end(session)

    # -- signing in ------------------------------------------------------------------------
    def take_attempt(self, address: str) -> None:
        wait = self.attempts.take(address)
        if wait:
            raise ApiError(429, "too_many_attempts", "too many sign-in attempts from this "
                           "address; wait and try again", headers={"Retry-After": retry_after(wait)})

    async def password_matches(self, password: str) -> bool:
        stored = self.password_hash
        return stored is not None and await asyncio.get_running_loop().run_in_executor(
            None, passwords.verify, password, stored)

    def setup_code_matches(self, code: str) -> bool:
        return self.setup_code is not None and hmac.compare_digest(code.encode(),
                                                                   self.setup_code.encode())

    async def set_password(self, password: str) -> None:
        hashed = await asyncio.get_running_loop().run_in_executor(
            None, passwords.hash_password, passwords.check_new(password))
        await self.relay.store.write(portal_store.SetPassword(hashed))

    # -- sessions --------------------------------------------------------------------------
    def open_session(self) -> tuple[str, Session]:
        token = secrets.token_urlsafe(32)
        digest = _digest(token)
        session = self._sessions[digest] = Session(secrets.token_urlsafe(32),
                                                   time.time() + self.lifetime)
        asyncio.get_running_loop().call_later(self.lifetime, self._expire, digest, session)
        return token, session

    def session_for(self, token: str | None) -> Session | None:
        session = self._sessions.get(_digest(token)) if token else None
        return session if session is not None and session.expires_at > time.time() else None

    def close_session(self, token: str | None) -> None:
        session = self._sessions.pop(_digest(token), None) if token else None
        if session is not None:
            self._end(session)

    def when_ended(self, session: Session, callback) -> None:
        """Calls back once the session ends; at once if it has already."""
        if session.ended:
            callback()
        else:
            session.on_end.append(callback)

    def _expire(self, digest: str, session: Session) -> None:
        if self._sessions.get(digest) is session:
            del self._sessions[digest]
            self._end(session)

    @staticmethod
    def _end(session: Session) -> None:
        session.ended = True
        callbacks, session.on_end = session.on_end, []
        for callback in callbacks:
            callback()

    def authenticate(self, handler) -> PortalIdentity:
        """A portal request's identity: the owner, signed in to the portal (a client API key
        does not open it), with the session's XSRF token on writes."""
        session = self.session_for(handler.get_cookie(SESSION_COOKIE))
        if session is None:
            raise handler.counted_failure(ApiError(401, "not_signed_in",
                                                   "sign in to the portal first"))
        if handler.request.method in WRITE_METHODS:
            self.check_xsrf(session, handler.request.headers.get(XSRF_HEADER))
        return self.identity(handler.request.headers.get(CLIENT_HEADER))

    def check_xsrf(self, session: Session, given: str | None) -> None:
        if not given or not hmac.compare_digest(given.encode(), session.xsrf.encode()):
            raise ApiError(403, "xsrf_mismatch", f"send the session's xsrf_token in the "
                                                 f"{XSRF_HEADER} header")

    def identity(self, client: str | None) -> PortalIdentity:
        if client and client not in self.clients():
            raise not_found("unknown_client", f"no client '{client}'", "client")
        return PortalIdentity(client or None)

    def clients(self) -> list[str]:
        return sorted({key.client_id for key in self.relay.state.keys.values()})
