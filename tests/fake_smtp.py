"""An SMTP server for the tests: aiosmtpd on loopback, on the test's own event loop, keeping
what it accepted and answering DATA as the test scripts it (4xx, stalls)."""
import asyncio
import datetime as dt
import email
import email.policy
import ipaddress
import ssl

from aiosmtpd.smtp import SMTP, AuthResult
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


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


def self_signed(directory) -> tuple[ssl.SSLContext, str]:
    """A server TLS context with a fresh self-signed certificate for 127.0.0.1 and localhost,
    and the certificate's PEM file (what the relay is told to trust)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.timezone.utc)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([
            x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256()))
    cert_file, key_file = directory / "smtp-cert.pem", directory / "smtp-key.pem"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    return context, str(cert_file)
