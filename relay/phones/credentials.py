"""Phone credentials in the log (table device_credentials) and in memory.

A pairing code opens a session; the session holds one current refresh token, replaced on every
use. Presenting a replaced refresh token again means it leaked (or a response was lost): every
session of the phone is revoked and the phone must pair again. Revocation closes live sockets
through the bus (relay.store.events.DeviceRevoked)."""
import dataclasses
import datetime as dt

from relay.core.errors import ApiError
from relay.core.ids import random_id
from relay.core.timefmt import iso, utcnow
from relay.phones import tokens
from relay.store.events import DeviceRevoked
from relay.store.writer import Batch, Operation, Scratch

# What earlier operations of the same group used up: pairing codes and refresh tokens (hashes).
CODES_IN_GROUP: Scratch[set[str]] = Scratch(set)
REFRESH_TOKENS_IN_GROUP: Scratch[set[str]] = Scratch(set)


@dataclasses.dataclass
class Session:
    phone_id: str
    refresh_hash: str | None = None
    refresh_expires: dt.datetime | None = None


class Credentials:
    """Held by State; changed by the writer thread only, after commit (apply)."""

    def __init__(self):
        self.codes: dict[str, tuple[str, dt.datetime]] = {}   # code hash -> (phone, expires)
        self.sessions: dict[str, Session] = {}                 # live sessions by id
        self.by_refresh: dict[str, str] = {}                   # current refresh hash -> session
        self.replaced: dict[str, str] = {}                     # old refresh hash -> phone

    def load(self, con) -> None:
        for row in con.execute("SELECT event, phone_id, session_id, secret_hash, expires_at "
                               "FROM device_credentials ORDER BY seq").fetchall():
            self.apply(*row)

    def apply(self, event, phone_id, session_id=None, secret_hash=None, expires_at=None) -> None:
        if event == "code":
            self.codes[secret_hash] = (phone_id, expires_at)
        elif event == "paired":
            self.codes.pop(secret_hash, None)
            self.sessions[session_id] = Session(phone_id)
        elif event == "refresh":
            session = self.sessions.get(session_id)
            if session is None:
                return
            if session.refresh_hash is not None:
                self.by_refresh.pop(session.refresh_hash, None)
                self.replaced[session.refresh_hash] = phone_id
            session.refresh_hash, session.refresh_expires = secret_hash, expires_at
            self.by_refresh[secret_hash] = session_id
        elif event == "revoked":
            ended = [session_id] if session_id else [
                s for s, session in self.sessions.items() if session.phone_id == phone_id]
            for sid in ended:
                session = self.sessions.pop(sid, None)
                if session is not None and session.refresh_hash is not None:
                    self.by_refresh.pop(session.refresh_hash, None)
            if session_id is None:
                for code in [c for c, (phone, _) in self.codes.items() if phone == phone_id]:
                    del self.codes[code]

    def session_valid(self, session_id: str, phone_id: str) -> bool:
        session = self.sessions.get(session_id)
        return session is not None and session.phone_id == phone_id

    def paired(self, phone_id: str) -> bool:
        return any(s.phone_id == phone_id for s in self.sessions.values())


def _credential_event(batch: Batch, event: str, phone_id: str, **fields) -> dict:
    row = {"seq": batch.next_seq(), "recorded_at": utcnow(), "event": event,
           "phone_id": phone_id, **fields}
    batch.add("device_credentials", row)
    batch.after_commit(lambda: batch.state.credentials.apply(
        event, phone_id, row.get("session_id"), row.get("secret_hash"), row.get("expires_at")))
    return row


def _revoke(batch: Batch, phone_id: str, reason: str, session_id: str | None = None) -> None:
    _credential_event(batch, "revoked", phone_id, session_id=session_id, reason=reason)
    batch.publish(DeviceRevoked(phone_id, session_id, reason))


def _issue_code(batch: Batch, phone_id: str) -> dict:
    code = tokens.new_pairing_code()
    expires_at = utcnow() + tokens.CODE_TTL
    _credential_event(batch, "code", phone_id,
                      secret_hash=tokens.secret_hash(tokens.normalise_code(code)),
                      expires_at=expires_at)
    return {"phone_id": phone_id, "pairing_code": code, "pairing_expires_at": iso(expires_at)}


def _issue_refresh(batch: Batch, phone_id: str, session_id: str) -> str:
    token = tokens.new_refresh_token()
    _credential_event(batch, "refresh", phone_id, session_id=session_id,
                      secret_hash=tokens.secret_hash(token),
                      expires_at=utcnow() + tokens.REFRESH_TTL)
    return token


@dataclasses.dataclass
class IssuePairingCode(Operation):
    """A fresh code for a configured phone. Re-pairing revokes the phone's sessions and codes
    first, which closes its live socket: the new code is then the only way in."""
    phone_id: str
    repair: bool = True

    def stage(self, batch):
        if self.phone_id not in batch.state.phones:
            raise ApiError(404, "unknown_phone", f"no phone '{self.phone_id}'", "phone_id")
        if self.repair:
            _revoke(batch, self.phone_id, "re-paired")
        return _issue_code(batch, self.phone_id)


@dataclasses.dataclass
class AddPhoneWithCode(Operation):
    """Adds a phone and issues its first pairing code in one commit."""
    add: Operation       # relay.phones.operations.AddPhone

    def stage(self, batch):
        added = self.add.stage(batch)
        return {**added, **_issue_code(batch, added["phone_id"])}


@dataclasses.dataclass(frozen=True)
class Grant:
    """What a pairing or a refresh gives: the phone and session to mint an access token for,
    and the new refresh token. `reused` is set instead when a replaced token came back."""
    phone_id: str | None = None
    session_id: str | None = None
    refresh_token: str | None = None
    reused: bool = False


@dataclasses.dataclass
class Pair(Operation):
    code: str

    def stage(self, batch):
        code_hash = tokens.secret_hash(tokens.normalise_code(self.code))
        claimed = batch.scratch(CODES_IN_GROUP)
        phone_id, expires_at = batch.state.credentials.codes.get(code_hash, (None, None))
        if (phone_id is None or code_hash in claimed or expires_at <= utcnow()
                or phone_id not in batch.state.phones):
            raise tokens.unauthorized("invalid_pairing_code", "the pairing code is unknown, "
                                      "already used or expired; issue one with `relay phones "
                                      "pair PHONE_ID`")
        claimed.add(code_hash)
        session_id = random_id("ses_", 10)
        _credential_event(batch, "paired", phone_id, session_id=session_id, secret_hash=code_hash)
        return Grant(phone_id, session_id, _issue_refresh(batch, phone_id, session_id))


@dataclasses.dataclass
class Refresh(Operation):
    refresh_token: str

    def stage(self, batch):
        credentials, token_hash = batch.state.credentials, tokens.secret_hash(self.refresh_token)
        claimed = batch.scratch(REFRESH_TOKENS_IN_GROUP)
        reused_by = credentials.replaced.get(token_hash)
        if reused_by is not None or token_hash in claimed:
            phone_id = reused_by or credentials.sessions[
                credentials.by_refresh[token_hash]].phone_id
            _revoke(batch, phone_id, "refresh token reused")
            return Grant(phone_id, reused=True)
        session_id = credentials.by_refresh.get(token_hash)
        session = credentials.sessions.get(session_id)
        if (session is None or session.refresh_expires <= utcnow()
                or session.phone_id not in batch.state.phones):
            raise tokens.unauthorized("invalid_refresh_token", "the refresh token is unknown, "
                                      "revoked or expired; pair the phone again")
        claimed.add(token_hash)
        return Grant(session.phone_id, session_id,
                     _issue_refresh(batch, session.phone_id, session_id))


@dataclasses.dataclass
class RevokePhone(Operation):
    """Ends every session and unused code of a phone (removal, a stolen phone)."""
    phone_id: str
    reason: str

    def stage(self, batch):
        _revoke(batch, self.phone_id, self.reason)
        return {"phone_id": self.phone_id, "revoked": True}
