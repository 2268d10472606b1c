"""/api/v1/openapi.json matches what the server does: every public route is described, and
real responses validate against the schemas the document gives for their status codes."""
import json
import re
from urllib.parse import urlencode

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


async def test_an_undeclared_method_is_a_405_naming_the_allowed_ones(relay, client):
    spec = await _spec(relay)
    for path, method in (("/api/v1/contacts", "TRACE"), ("/api/v1/messages", "PATCH"),
                         ("/api/v1/phones/phone_main", "DELETE"), ("/health", "POST")):
        response = await client.http.fetch(
            client.base_url + path, method=method, raise_error=False,
            allow_nonstandard_methods=True, headers={"Authorization": f"Bearer {client.key}"})
        assert response.code == 405, (method, path)
        assert json.loads(response.body)["error"]["code"] == "method_not_allowed"
        documented = re.sub(r"/phone_main$", "/{phone_id}", path)
        allowed = response.headers["Allow"].split(", ")
        assert sorted(allowed) == sorted(m.upper() for m in spec["paths"][documented]), path


async def test_an_unknown_path_is_a_404_whatever_the_method(client):
    response = await client.http.fetch(client.base_url + "/api/v1/nowhere", method="TRACE",
                                       raise_error=False, allow_nonstandard_methods=True)
    assert response.code == 404 and "Allow" not in response.headers
    assert json.loads(response.body)["error"]["code"] == "not_found"


def _schema_of(spec, path, method, name):
    """A query parameter's schema, or a property of the JSON body's."""
    operation = spec["paths"][path][method]
    for parameter in operation.get("parameters", []):
        if parameter["name"] == name:
            return parameter["schema"]
    body = operation["requestBody"]["content"]["application/json"]["schema"]
    if "$ref" in body:
        body = spec["components"]["schemas"][body["$ref"].rsplit("/", 1)[1]]
    return body["properties"][name]


async def test_a_value_the_server_refuses_is_one_the_document_refuses(relay, client):
    """The schemathesis run's findings, kept: each value the document allowed and the server
    refused with a 400."""
    spec = await _spec(relay)
    cases = [("DELETE", "/api/v1/contacts", "address", "", None),
             ("GET", "/api/v1/contacts", "address", " ", None),
             ("POST", "/api/v1/contacts", "address", "\t", {}),
             ("POST", "/api/v1/messages", "phone_id", " ", sms()),
             ("POST", "/api/v1/device/pair", "pairing_code", "", {}),
             ("POST", "/api/v1/webchat/callbacks/inbound", "callback_token", "a b",
              {"callback_url": "https://hooks.example.com/in"}),
             ("POST", "/api/v1/webchat/inbound/query", "tz", "Nowhere/Else", {}),
             ("GET", "/api/v1/messages", "since", "yesterday", None)]
    for method, path, name, value, body in cases:
        schema = _schema_of(spec, path, method.lower(), name)
        assert not _validator(spec, schema).is_valid(value), (path, name, value)
        if body is None:
            status, answer = await client.request(method, f"{path}?{urlencode({name: value})}")
        else:
            status, answer = await client.request(method, path, {**body, name: value})
        assert status == 400 and answer["error"]["field"] == name, (path, name, answer)
