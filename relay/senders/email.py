"""Email over SMTP with aiosmtplib: one connection per message, a proper MIME message (From,
To, Subject, Date, Message-ID, UTF-8 text body), security none, starttls or tls, AUTH when a
username is set. SMTP 5xx answers are permanent, 4xx answers and network trouble transient."""
import datetime as dt
import email.message
import email.utils
import ssl

import aiosmtplib

from relay.config import ConfigError
from relay.senders.policy import SENT, Outcome, permanent, transient

SECURITY_PORTS = {"none": 25, "starttls": 587, "tls": 465}


def _domain(sender: str) -> str:
    address = email.utils.parseaddr(sender)[1]
    local, at, domain = address.rpartition("@")
    if not (local and at and domain):
        raise ConfigError(f"smtp_from: {sender!r} is not an email address")
    return domain


def build_message(message: dict, sender: str, domain: str) -> email.message.EmailMessage:
    """The MIME message. Its Message-ID is the same on every attempt, so a receiver can
    recognise a copy sent again after an attempt whose outcome was unknown."""
    mime = email.message.EmailMessage()
    mime["From"] = sender
    mime["To"] = message["to"]
    mime["Subject"] = message["subject"]
    mime["Date"] = email.utils.format_datetime(dt.datetime.now(dt.timezone.utc))
    mime["Message-ID"] = f"<{message['message_id']}@{domain}>"
    mime.set_content(message["text"], charset="utf-8")
    return mime


class EmailSender:
    channel = "email"

    def __init__(self, settings):
        security = settings.smtp_security
        if security not in SECURITY_PORTS:
            raise ConfigError("smtp_security must be none, starttls or tls")
        if not settings.smtp_from:
            raise ConfigError("smtp_from is required when smtp_host is set")
        self.sender = settings.smtp_from
        self.domain = _domain(settings.smtp_from)
        self.timeout = settings.smtp_timeout_seconds
        port = settings.smtp_port or SECURITY_PORTS[security]
        self.server = f"{settings.smtp_host}:{port}"
        self.options = {
            "hostname": settings.smtp_host, "port": port,
            "username": settings.smtp_username or None,
            "password": settings.smtp_password or None,
            "use_tls": security == "tls", "start_tls": security == "starttls",
            "timeout": self.timeout}
        if security != "none":
            try:
                self.options["tls_context"] = ssl.create_default_context(
                    cafile=settings.smtp_ca_file or None)
            except (OSError, ssl.SSLError) as error:
                raise ConfigError(f"smtp_ca_file: {error}") from None

    async def send(self, message: dict) -> Outcome:
        try:
            mime = build_message(message, self.sender, self.domain)
        except (ValueError, TypeError) as error:   # a header the email package cannot write
            return permanent(f"the message cannot be written as an email: {error}")
        try:
            await aiosmtplib.send(mime, **self.options)
        except aiosmtplib.SMTPRecipientsRefused as error:
            refusals = error.recipients
            text = "; ".join(f"SMTP {r.code} {r.message} ({r.recipient})" for r in refusals)
            if all(r.code >= 500 for r in refusals):
                return permanent("recipient refused: " + text)
            return transient("recipient refused for now: " + text)
        except aiosmtplib.SMTPResponseException as error:
            text = f"SMTP {error.code} {error.message}"
            if isinstance(error, aiosmtplib.SMTPAuthenticationError):
                text = "authentication failed: " + text
            return permanent(text) if error.code >= 500 else transient(text)
        except aiosmtplib.SMTPTimeoutError:
            return transient(f"the SMTP server {self.server} did not answer within "
                             f"{self.timeout} s")
        except ssl.SSLCertVerificationError as error:
            return permanent(f"TLS with {self.server} failed: {error.verify_message}")
        except OSError as error:     # refused, unreachable, dropped (aiosmtplib's too)
            return transient(f"could not talk to the SMTP server {self.server}: {error}")
        except aiosmtplib.SMTPException as error:  # it lacks STARTTLS, AUTH or SMTPUTF8
            return permanent(f"the SMTP server {self.server} cannot be used: {error.message}")
        return SENT
