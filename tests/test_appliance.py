"""Operating the relay: liveness and readiness, request ids and JSON logs, rate limits,
failed-authentication limits, the disk-space guard, and HTTPS."""
import datetime as dt
import json
import ssl
import urllib.request
import warnings

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from helpers.processes import RelayProcess, free_port
from helpers.relays import make_settings, sms, start_relay, stop_relay


async def test_livez_and_readyz(relay):
    status, body = await relay.api.get("/livez", key="")
    assert (status, body["status"]) == (200, "live")
    status, body = await relay.api.get("/readyz", key="")
    assert status == 200 and body["ready"] is True
    assert body["checks"] == {"database_writable": True, "schema_applied": True,
                              "disk_space": True}


async def test_request_id_is_echoed_or_made(client):
    _, _ = await client.get("/api/v1/messages")
    response = await client.http.fetch(client.base_url + "/api/v1/messages", raise_error=False,
                                       headers={"Authorization": f"Bearer {client.key}",
                                                "X-Request-Id": "abc-123"})
    assert response.headers["X-Request-Id"] == "abc-123"
    response = await client.http.fetch(client.base_url + "/api/v1/messages/nope",
                                       raise_error=False,
                                       headers={"Authorization": f"Bearer {client.key}"})
    assert response.code == 404 and len(response.headers["X-Request-Id"]) == 16


async def test_rate_limit_per_key(data_dir):
    running = await start_relay(make_settings(data_dir, rate_limit=5, rate_burst=3))
    try:
        created = await running.api.admin("keys.create", name="app")
        other = await running.api.admin("keys.create", name="other")
        await running.api.admin("phones.add", phone_id="phone_main")
        statuses = [(await running.api.post("/api/v1/messages", sms(), key=created["key"]))[0]
                    for _ in range(5)]
        assert statuses[:3] == [202, 202, 202] and 429 in statuses[3:]
        response = await running.api.http.fetch(
            running.base_url + "/api/v1/messages", raise_error=False,
            headers={"Authorization": f"Bearer {created['key']}"})
        assert response.code == 429 and int(response.headers["Retry-After"]) >= 1
        assert json.loads(response.body)["error"]["code"] == "rate_limited"
        # another key has its own bucket
        assert (await running.api.get("/api/v1/messages", key=other["key"]))[0] == 200
    finally:
        await stop_relay(running)


async def test_failed_authentication_is_limited_per_address(data_dir):
    running = await start_relay(make_settings(data_dir, auth_failures_per_minute=4))
    try:
        created = await running.api.admin("keys.create", name="app")
        codes = [(await running.api.get("/api/v1/messages", key="rly_wrong"))[0]
                 for _ in range(6)]
        assert codes[:4] == [401] * 4 and codes[4:] == [429, 429]
        # a correct key passes however often others at this address failed
        assert (await running.api.get("/api/v1/messages", key=created["key"]))[0] == 200
    finally:
        await stop_relay(running)


async def test_writes_are_refused_when_the_disk_is_nearly_full(data_dir):
    running = await start_relay(make_settings(data_dir, min_free_disk_mb=1 << 40))  # 1 EiB
    try:
        status, body = await running.api.request("POST", "/admin/v1/actions/keys.create",
                                                  {"name": "app"},
                                                  key=running.relay.admin_token)
        assert (status, body["error"]["code"]) == (503, "disk_full")
        status, body = await running.api.get("/readyz", key="")
        assert status == 503 and body["checks"]["disk_space"] is False
        assert (await running.api.get("/health", key=""))[0] == 200   # reads go on
    finally:
        await stop_relay(running)


def _self_signed(tmp_path):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "relay.test")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("relay.test")]),
                           critical=False)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def test_https_with_tls_1_2_and_up_and_json_logs(tmp_path):
    cert, key = _self_signed(tmp_path)
    relay = RelayProcess(tmp_path / "data", free_port(),
                         env={"RELAY_TLS_CERT": str(cert), "RELAY_TLS_KEY": str(key)})
    relay.url = relay.url.replace("http://", "https://")
    client_key = relay.cli("keys", "create", "--name", "app").stdout.splitlines()[-1]
    relay.cli("phones", "add", "phone_main")
    context = ssl.create_default_context(cafile=str(cert))
    context.check_hostname = False
    relay.start()
    try:
        start_event = next(line for line in relay.log_text().splitlines() if '"event"' in line)
        assert "listening" in start_event and "https://" in start_event
        request = urllib.request.Request(
            relay.url + "/api/v1/messages", method="POST",
            data=json.dumps(sms(to="+447911123456")).encode(),
            headers={"Authorization": f"Bearer {client_key}", "Content-Type": "application/json",
                     "X-Request-Id": "tls-1"})
        with urllib.request.urlopen(request, context=context, timeout=10) as response:
            assert response.status == 202
        old = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        old.check_hostname, old.verify_mode = False, ssl.CERT_NONE
        with warnings.catch_warnings():   # asking for TLS 1.1 on purpose
            warnings.simplefilter("ignore", DeprecationWarning)
            old.maximum_version = ssl.TLSVersion.TLSv1_1
            old.minimum_version = ssl.TLSVersion.TLSv1
        with pytest.raises(OSError):
            urllib.request.urlopen(relay.url + "/livez", context=old, timeout=10)
        # the CLI reaches the HTTPS relay through its admin endpoint
        assert "phone_main" in relay.cli("phones", "list").stdout
    finally:
        assert relay.stop() == 0
    output = relay.log_text()
    logs = [json.loads(line) for line in output.splitlines()]
    access = [entry for entry in logs if entry.get("request_id") == "tls-1"]
    assert access and access[0]["status"] == 202 and access[0]["path"] == "/api/v1/messages"
    assert "447911123456" not in output and client_key not in output and "hello" not in output


async def test_metrics_need_a_token_and_carry_no_numbers(data_dir):
    running = await start_relay(make_settings(data_dir, metrics_token="scrape-me"))
    try:
        created = await running.api.admin("keys.create", name="app")
        await running.api.admin("phones.add", phone_id="phone_main")
        for channel in ("sms", "wa"):
            status, _ = await running.api.post("/api/v1/messages", sms(channel=channel),
                                               key=created["key"])
            assert status == 202
        status, _ = await running.api.get("/metrics", key="wrong")
        assert status == 401
        odd = await running.api.http.fetch(running.base_url + "/health", method="BREW",
                                           allow_nonstandard_methods=True, raise_error=False)
        assert odd.code == 405
        response = await running.api.http.fetch(running.base_url + "/metrics",
                                                headers={"Authorization": "Bearer scrape-me"})
        text = response.body.decode()
        assert response.headers["Content-Type"].startswith("text/plain")
        assert 'relay_messages_accepted_total{channel="sms"} 1.0' in text
        assert "relay_queue_depth 2.0" in text
        assert 'relay_http_request_duration_seconds_count{method="POST",route="MessagesHandler",' \
               'status="2xx"} 2.0' in text
        buckets = [float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
                   if line.startswith("relay_http_request_duration_seconds_bucket{")
                   and 'route="MessagesHandler"' in line and 'method="POST"' in line]
        assert len(buckets) == 14 and buckets == sorted(buckets) and buckets[-1] == 2.0
        assert "relay_commit_group_size_count" in text
        assert 'method="other"' in text and "BREW" not in text   # a client's token: no label
        assert "2025550143" not in text and created["key"] not in text
        admin = await running.api.http.fetch(
            running.base_url + "/metrics",
            headers={"Authorization": f"Bearer {running.relay.admin_token}"})
        assert admin.code == 200
    finally:
        await stop_relay(running)
