"""An SMTP server for the tests: aiosmtpd on loopback, on the test's own event loop, keeping
what it accepted and answering DATA as the test scripts it (4xx, stalls)."""
import asyncio
import email
import email.policy
import ssl

from aiosmtpd.smtp import SMTP, AuthResult

from helpers.certs import self_signed


class Inbox:
    """The aiosmtpd handler. `answers`: what the next DATA commands get ("451 ..."); after
    they run out, 250. `refuse`: recipients answered 550. `stall`: DATA waits until it is set."""

    def __init__(self, answers=(), refuse=(), stall: asyncio.Event | None = None):
        self.answers = list(answers)
        self.refuse = set(refuse)
        self.stall = stall
        self.offered: list = []        # every message sent with DATA, accepted or not
        self.received: list = []       # (envelope, message, session) of those answered 250

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 no such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.offered.append(message)
        if self.stall is not None:
            await self.stall.wait()
        answer = self.answers.pop(0) if self.answers else "250 OK"
        if answer.startswith("250"):
            self.received.append((envelope, message, session))
        return answer


class SmtpServer:
    def __init__(self, server: asyncio.Server, inbox: Inbox):
        self.server, self.inbox = server, inbox
        self.port = server.sockets[0].getsockname()[1]

    async def close(self):
        if self.inbox.stall is not None:
            self.inbox.stall.set()
        self.server.close()
        await self.server.wait_closed()


async def start_smtp(inbox: Inbox, implicit_tls: ssl.SSLContext | None = None,
                     port: int = 0, **smtp_options) -> SmtpServer:
    """smtp_options go to aiosmtpd's SMTP (tls_context, require_starttls, authenticator...)."""
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(inbox, hostname="relay-test", **smtp_options), "127.0.0.1", port,
        ssl=implicit_tls)
    return SmtpServer(server, inbox)


def password_check(user: str, password: str):
    """An aiosmtpd authenticator accepting one user name and password."""
    def authenticate(server, session, envelope, mechanism, auth_data):
        ok = auth_data.login.decode() == user and auth_data.password.decode() == password
        return AuthResult(success=ok, handled=False)   # handled=False: aiosmtpd answers 535
    return authenticate


def server_tls(directory) -> tuple[ssl.SSLContext, str]:
    """A server TLS context with a fresh self-signed certificate for 127.0.0.1 and localhost,
    and the certificate's PEM file (what the relay is told to trust)."""
    cert_path, key_path = self_signed(directory)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_path, key_path)
    return context, str(cert_path)
