"""Email delivered by the relay over SMTP to aiosmtpd on loopback."""
import asyncio
import datetime as dt
import email.utils

import pytest

from helpers.fake_smtp import Inbox, password_check, server_tls, start_smtp
from helpers.fake_telegram import FakeBotApi
from helpers.processes import free_port
from helpers.relays import stop_relay
from helpers.sending import final_message, logged_attempts, sending_relay
from relay.core.timefmt import iso, utcnow

SENDER = "Relay <relay@example.com>"


def mail(**fields) -> dict:
    return {"phone_id": "phone_main", "channel": "email", "to": "alice@example.org",
            "subject": "Grüße from the relay ✓", "text": "Hallo Alice,\nüber 9000 — 👋\n",
            **fields}


@pytest.fixture
async def servers():
    """start_smtp(inbox, ...) for the test; every server is closed afterwards."""
    started = []

    async def start(inbox, **options):
        server = await start_smtp(inbox, **options)
        started.append(server)
        return server
    yield start
    for server in started:
        await server.close()


@pytest.fixture
def setup(start_sending):
    """start(smtp_port, **settings) -> (running, client) with an SMTP server configured."""
    def start(port, **overrides):
        return start_sending(**{"smtp_host": "127.0.0.1", "smtp_port": port,
                                "smtp_security": "none", "smtp_from": SENDER,
                                "smtp_timeout_seconds": 5, **overrides})
    return start


async def send(client, **fields) -> dict:
    status, body = await client.post("/api/v1/messages", mail(**fields))
    assert status == 202, body
    return body


async def test_a_proper_utf8_mime_message_arrives(servers, setup):
    server = await servers(Inbox())
    _, client = await setup(server.port)
    body = await send(client)
    message = await final_message(client, body["message_id"])
    assert message["status"] == "sent" and message["delivered_at"]
    [(envelope, received, _)] = server.inbox.received
    assert envelope.mail_from == "relay@example.com"
    assert envelope.rcpt_tos == ["alice@example.org"]
    assert received["From"] == SENDER and received["To"] == "alice@example.org"
    assert received["Subject"] == "Grüße from the relay ✓"
    assert received["Message-ID"] == f"<{body['message_id']}@example.com>"
    assert email.utils.parsedate_to_datetime(received["Date"]).tzinfo is not None
    assert received.get_content_type() == "text/plain"
    assert received.get_content_charset() == "utf-8"
    assert received.get_content().replace("\r\n", "\n") == "Hallo Alice,\nüber 9000 — 👋\n"


async def test_a_scheduled_email_goes_at_its_time_and_a_cancelled_one_never(servers, setup):
    server = await servers(Inbox())
    _, client = await setup(server.port)
    soon = iso(utcnow() + dt.timedelta(seconds=1.5))
    kept, dropped = await send(client, send_at=soon), await send(client, send_at=soon)
    status, _ = await client.post(f"/api/v1/messages/{dropped['message_id']}/cancel")
    assert status == 200
    await asyncio.sleep(1)
    assert server.inbox.offered == []
    message = await final_message(client, kept["message_id"])
    assert message["status"] == "sent"
    assert message["delivered_at"] >= kept["scheduled_for"]
    [(_, received, _)] = server.inbox.received
    assert received["Message-ID"] == f"<{kept['message_id']}@example.com>"


async def auth_server(servers, directory):
    """A server that wants STARTTLS, then AUTH as relay / s3cret: (server, its cert file)."""
    context, cert_file = server_tls(directory)
    server = await servers(Inbox(), tls_context=context, require_starttls=True,
                           authenticator=password_check("relay", "s3cret"), auth_required=True)
    return server, cert_file


async def test_auth_when_a_username_is_set(servers, setup, tmp_path):
    server, cert_file = await auth_server(servers, tmp_path)
    _, client = await setup(server.port, smtp_security="starttls", smtp_ca_file=cert_file,
                            smtp_username="relay", smtp_password="s3cret")
    body = await send(client)
    assert (await final_message(client, body["message_id"]))["status"] == "sent"
    [(_, _, session)] = server.inbox.received
    assert session.authenticated


async def test_refused_auth_fails_at_once(servers, setup, tmp_path):
    server, cert_file = await auth_server(servers, tmp_path)
    _, client = await setup(server.port, smtp_security="starttls", smtp_ca_file=cert_file,
                            smtp_username="relay", smtp_password="wrong")
    body = await send(client)
    message = await final_message(client, body["message_id"])
    assert message["status"] == "failed"
    assert message["last_error"].startswith("authentication failed: SMTP 535")
    assert server.inbox.received == []


async def test_starttls_with_a_self_signed_certificate(servers, setup, tmp_path):
    context, cert_file = server_tls(tmp_path)
    server = await servers(Inbox(), tls_context=context, require_starttls=True)
    _, client = await setup(server.port, smtp_security="starttls", smtp_ca_file=cert_file)
    body = await send(client)
    assert (await final_message(client, body["message_id"]))["status"] == "sent"
    [(_, _, session)] = server.inbox.received
    assert session.ssl is not None                # the message went over TLS


async def test_an_untrusted_certificate_fails_at_once(servers, setup, tmp_path):
    context, _ = server_tls(tmp_path)
    server = await servers(Inbox(), tls_context=context, require_starttls=True)
    _, client = await setup(server.port, smtp_security="starttls")
    body = await send(client)
    message = await final_message(client, body["message_id"])
    assert message["status"] == "failed" and "certificate" in message["last_error"]
    assert server.inbox.received == []


async def test_starttls_not_offered_fails_at_once(servers, setup):
    server = await servers(Inbox())
    _, client = await setup(server.port, smtp_security="starttls")
    body = await send(client)
    message = await final_message(client, body["message_id"])
    assert message["status"] == "failed" and "STARTTLS" in message["last_error"]
    assert server.inbox.received == []


async def test_implicit_tls(servers, setup, tmp_path):
    context, cert_file = server_tls(tmp_path)
    server = await servers(Inbox(), implicit_tls=context)
    _, client = await setup(server.port, smtp_security="tls", smtp_ca_file=cert_file)
    body = await send(client)
    assert (await final_message(client, body["message_id"]))["status"] == "sent"


async def test_4xx_then_250_is_sent_once(servers, setup):
    server = await servers(Inbox(answers=["451 4.3.0 try again later"]))
    running, client = await setup(server.port)
    body = await send(client)
    message = await final_message(client, body["message_id"])
    assert message["status"] == "sent"
    assert len(server.inbox.offered) == 2 and len(server.inbox.received) == 1
    assert await logged_attempts(running, body["message_id"]) == [
        (1, "started", None, None), (1, "ended", "retry", "SMTP 451 4.3.0 try again later"),
        (2, "started", None, None), (2, "ended", "sent", None)]


async def test_5xx_recipient_fails_at_once(servers, setup):
    server = await servers(Inbox(refuse=["alice@example.org"]))
    _, client = await setup(server.port)
    body = await send(client)
    message = await final_message(client, body["message_id"])
    assert message["status"] == "failed"
    assert "SMTP 550 5.1.1 no such user here" in message["last_error"]
    assert len(server.inbox.offered) == 0


async def test_a_refused_connection_is_retried_then_fails(setup):
    _, client = await setup(free_port(), send_max_attempts=2)
    body = await send(client)
    message = await final_message(client, body["message_id"])
    assert message["status"] == "failed"
    assert message["last_error"].startswith("gave up after 2 attempts: could not talk to the "
                                            "SMTP server")


async def test_a_stalled_server_times_out(servers, setup):
    server = await servers(Inbox(stall=asyncio.Event()))
    _, client = await setup(server.port, smtp_timeout_seconds=1, send_max_attempts=2)
    body = await send(client)
    message = await final_message(client, body["message_id"])
    assert message["status"] == "failed"
    assert message["last_error"].endswith("did not answer within 1 s")
    assert len(server.inbox.offered) == 2 and server.inbox.received == []


async def test_a_slow_smtp_server_does_not_hold_up_tg_bot(servers, setup):
    server = await servers(Inbox(stall=asyncio.Event()))
    bot_api = FakeBotApi()
    try:
        _, client = await setup(server.port, smtp_concurrency=1,
                                telegram_api_base=bot_api.url)
        for _ in range(3):
            await send(client)
        status, body = await client.post("/api/v1/messages", {
            "phone_id": "phone_main", "channel": "tg_bot", "to": "42", "text": "hi",
            "bot_token": "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"})
        assert (await final_message(client, body["message_id"]))["status"] == "sent"
        assert len(server.inbox.offered) == 1     # one email at a time
    finally:
        await bot_api.close()


async def test_sync_delivery_answers_sent(servers, setup):
    server = await servers(Inbox())
    _, client = await setup(server.port, sync_delivery_ms=3000)
    body = await send(client)
    assert body["status"] == "sent" and body["delivered_at"] and body["last_error"] is None


async def test_without_smtp_host_email_waits_for_the_phone(data_dir):
    running, client = await sending_relay(data_dir, sync_delivery_ms=3000)
    try:
        body = await send(client)
        assert body["status"] == "queued" and body["phone_offline"] is True
        assert await logged_attempts(running, body["message_id"]) == []
    finally:
        client.close()
        await stop_relay(running)


@pytest.mark.parametrize("fields, field", [
    ({"subject": "two\nlines"}, "subject"), ({"subject": None}, "subject"),
    ({"to": "not an address"}, "to"), ({"bot_token": "1:x"}, "bot_token")])
async def test_bad_email_requests_are_400(servers, setup, fields, field):
    server = await servers(Inbox())
    _, client = await setup(server.port)
    status, body = await client.post("/api/v1/messages", mail(**fields))
    assert status == 400 and body["error"]["field"] == field


@pytest.mark.parametrize("env, complaint", [
    ({"RELAY_SMTP_SECURITY": "ssl"}, "smtp_security must be none, starttls or tls"),
    ({"RELAY_SMTP_FROM": ""}, "smtp_from is required"),
    ({"RELAY_SMTP_FROM": "nobody"}, "smtp_from: 'nobody' is not an email address"),
    ({"RELAY_SMTP_CA_FILE": "missing.pem"}, "smtp_ca_file"),
    ({"RELAY_SMTP_CONCURRENCY": "0"}, "smtp_concurrency must be at least 1")])
def test_bad_smtp_settings_stop_relay_serve(relay_process, env, complaint):
    relay = relay_process({"RELAY_SMTP_HOST": "127.0.0.1", "RELAY_SMTP_FROM": SENDER, **env})
    result = relay.cli("serve", "--port", str(relay.port), check=False)
    assert result.returncode == 2 and complaint in result.stderr
