"""/api/v1/openapi.json matches what the server does: every public route is described, and
real responses validate against the schemas the document gives for their status codes."""
import re

import jsonschema

from helpers.relays import sms
from relay.routes import FEATURES


async def _spec(relay):
    status, spec = await relay.api.get("/api/v1/openapi.json", key="")
    assert status == 200 and spec["openapi"].startswith("3.1")
    return spec


def _validator(spec, schema):
    # '#/components/...' references resolve against the schema's own root: carry them along.
    return jsonschema.Draft202012Validator({**schema, "components": spec["components"]})


def check(spec, path, method, status, body):
    operation = spec["paths"][path][method]
    assert str(status) in operation["responses"], f"{method} {path} -> {status} undocumented"
    schema = operation["responses"][str(status)]["content"]["application/json"]["schema"]
    _validator(spec, schema).validate(body)


def _template(route: str) -> str:
    return re.sub(r"\([^)]*\)", "{x}", route).rstrip("$")


async def test_every_public_route_is_documented(relay):
    spec = await _spec(relay)
    documented = {re.sub(r"\{[^}]+\}", "{x}", path) for path in spec["paths"]}
    for feature in FEATURES:
        for route, _ in feature.ROUTES:
            if route.startswith("/api/v1") or route == "/health":
                assert _template(route) in documented, f"{route} missing from the OpenAPI document"


async def test_responses_match_the_document(relay, client):
    spec = await _spec(relay)
    status, body = await client.post("/api/v1/messages", sms(idempotency_key="o"))
    check(spec, "/api/v1/messages", "post", status, body)
    status, body = await client.post("/api/v1/messages", sms(idempotency_key="o"))
    check(spec, "/api/v1/messages", "post", status, body)
    status, body = await client.post("/api/v1/messages", sms(idempotency_key="o", text="x"))
    check(spec, "/api/v1/messages", "post", status, body)
    for bad in (sms(channel="fax"), sms(phone_id="ghost")):
        status, body = await client.post("/api/v1/messages", bad)
        check(spec, "/api/v1/messages", "post", status, body)
    status, body = await client.post("/api/v1/messages", sms(), key="")
    check(spec, "/api/v1/messages", "post", status, body)
    status, body = await client.get("/api/v1/messages?limit=1")
    check(spec, "/api/v1/messages", "get", status, body)
    status, body = await client.get("/api/v1/messages?limit=0")
    check(spec, "/api/v1/messages", "get", status, body)
    message_id = (await client.get("/api/v1/messages"))[1]["messages"][0]["message_id"]
    status, body = await client.get(f"/api/v1/messages/{message_id}")
    check(spec, "/api/v1/messages/{message_id}", "get", status, body)
    status, body = await client.get("/api/v1/messages/msg_nope")
    check(spec, "/api/v1/messages/{message_id}", "get", status, body)
    status, body = await relay.api.get("/health", key="")
    check(spec, "/health", "get", status, body)


async def test_the_inbound_query_and_each_export_match_the_document(relay, client):
    spec = await _spec(relay)
    path = "/api/v1/webchat/inbound/query"
    answers = spec["paths"][path]["post"]["responses"]["200"]["content"]
    await client.post("/api/v1/messages", sms())
    status, body = await client.post(path, {})
    check(spec, path, "post", status, body)
    for section in ("events", "sent_events", "email_report.domains", "hourly"):
        status, rows = await client.post(path, {"format": "json", "section": section})
        check(spec, path, "post", status, rows)
        assert isinstance(rows, list)
    for export in ("csv", "parquet", "xlsx"):
        response = await client.http.fetch(
            client.base_url + path + f"?format={export}", raise_error=False,
            headers={"Authorization": f"Bearer {client.key}"})
        assert response.code == 200
        assert response.headers["Content-Type"].split(";")[0] in answers
        assert int(response.headers["X-Relay-Rows"]) == 0
