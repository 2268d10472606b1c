"""Bad input never makes a 5xx: hypothesis feeds malformed JSON, huge numbers, deep nesting,
invalid UTF-8 and wrong types to every operation of the OpenAPI document, over HTTP to a relay
process; then schemathesis runs against the document itself (bounded, fixed seed).

RELAY_FUZZ_EXAMPLES=2000 ./scripts/test.sh tests/test_fuzz.py runs the long campaign."""
import http.client
import json
import os
import pathlib
import re
import subprocess
import sys
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from helpers.processes import RelayProcess, free_port
from helpers.strategies import json_values

EXAMPLES = int(os.environ.get("RELAY_FUZZ_EXAMPLES", "60"))
SCHEMATHESIS_EXAMPLES = int(os.environ.get("RELAY_FUZZ_EXAMPLES", "10"))
TESTS = pathlib.Path(__file__).resolve().parent


@pytest.fixture(scope="module")
def target(tmp_path_factory):
    # schemathesis sends requests without a key to every operation on purpose: a budget of
    # failed authentications that lets them all be answered 401, not 429.
    relay = RelayProcess(tmp_path_factory.mktemp("fuzz") / "data", free_port(),
                         env={"RELAY_AUTH_FAILURES_PER_MINUTE": "100000"})
    key = relay.cli("keys", "create", "--name", "fuzz").stdout.splitlines()[-1]
    relay.cli("phones", "add", "phone_main")
    relay.start()
    connection = http.client.HTTPConnection("127.0.0.1", relay.port, timeout=30)
    connection.request("GET", "/api/v1/openapi.json")
    spec = json.loads(connection.getresponse().read())
    connection.close()
    operations = [(re.sub(r"\{[^}]+\}", "fuzz", path), method.upper())
                  for path, item in spec["paths"].items() for method in item
                  if method in ("get", "post", "put", "patch", "delete")
                  and not path.endswith("/ws")]
    yield relay, key, operations
    relay.stop()


field_names = st.sampled_from(["phone_id", "channel", "to", "text", "tags", "idempotency_key",
                               "callback_url", "address", "name", "range", "limit", "code",
                               "refresh_token", "channels", "event_types", "format"])
bodies = st.one_of(
    json_values.map(lambda v: json.dumps(v).encode()),
    st.dictionaries(field_names, json_values, max_size=6).map(lambda v: json.dumps(v).encode()),
    st.binary(max_size=200),                                          # not JSON, not UTF-8
    st.integers(min_value=1, max_value=3000).map(lambda n: b"[" * n + b"]" * n),   # nesting
    st.integers(min_value=300, max_value=5000).map(lambda n: b'{"limit": 1' + b"0" * n + b"}"),
    st.just(b'{"text": "\xff\xfe"}'), st.just(b'{"a": NaN}'), st.just(b'{"a": 1e999}'),
)
queries = st.dictionaries(field_names, st.text(max_size=30), max_size=4)


def _send(port, method, path, key, body, query):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    url = path + ("?" + urlencode(query) if query else "")
    connection.request(method, url, body=body if method != "GET" else None,
                       headers={"Authorization": f"Bearer {key}",
                                "Content-Type": "application/json"})
    try:
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


@settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_bad_input_is_a_4xx_with_the_error_shape(target, data):
    relay, key, operations = target
    path, method = data.draw(st.sampled_from(operations))
    status, raw = _send(relay.port, method, path, key, data.draw(bodies), data.draw(queries))
    assert status < 500, (method, path, status, raw[:300])
    if status >= 400:
        body = json.loads(raw)
        assert body["success"] is False and body["error"]["code"] and body["error"]["message"]


def test_schemathesis_against_the_openapi_document(target, tmp_path):
    """Every check: what the document allows is accepted, what it refuses is refused, every
    answer is documented, and an undeclared method is a 405 with Allow. The rules the document
    cannot state are in schemathesis_hooks.py."""
    relay, key, _ = target
    result = subprocess.run(
        [sys.executable, "-m", "schemathesis.cli", "run", f"{relay.url}/api/v1/openapi.json",
         "-H", f"Authorization: Bearer {key}", "--seed", "1", "--max-examples",
         str(SCHEMATHESIS_EXAMPLES), "--phases", "examples,coverage,fuzzing", "--workers", "2",
         "--exclude-path-regex", "/ws$", "--checks", "all", "--warnings", "off",
         "--generation-database", "none", "--report-dir", str(tmp_path)],
        capture_output=True, text=True, timeout=600, cwd=tmp_path,
        env={**os.environ, "SCHEMATHESIS_HOOKS": "schemathesis_hooks",
             "PYTHONPATH": os.pathsep.join(filter(None, [str(TESTS),
                                                         os.environ.get("PYTHONPATH")]))})
    assert result.returncode == 0, result.stdout[-6000:]
