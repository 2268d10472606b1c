"""Exports of the inbound query (csv, parquet, xlsx, json) read back with the libraries an
analyst would use; CSV injection neutralised; `relay report` and `relay events import` from the
command line, against a running relay and without one."""
import csv
import io
import json

import openpyxl
import pyarrow.parquet as pq
import pytest
from helpers.processes import RelayProcess, free_port
from helpers.relays import sms

from relay.core.inbound import inbound_event
from relay.phones.inbound import RecordInbound

QUERY = "/api/v1/webchat/inbound/query"
EVIL = "=HYPERLINK(\"http://evil.example\",\"click\")"


async def _download(client, body):
    response = await client.http.fetch(
        client.base_url + QUERY, method="POST", body=json.dumps(body),
        headers={"Authorization": f"Bearer {client.key}", "Content-Type": "application/json"},
        raise_error=False)
    return response


@pytest.fixture
async def data(relay, client):
    for n, (text, name) in enumerate([(EVIL, "-2+3"), ("plain", "@bob"), ("fine", None)]):
        event = inbound_event({"event_id": f"e{n}", "channel": "sms", "text": text,
                               "contact": "+12025550143", "contact_name": name,
                               "tags": ["vip"], "occurred_at": f"2026-11-2{n}T10:00:00Z"},
                              "US")
        await relay.relay.store.write(RecordInbound("phone_main", event))
    assert (await client.post("/api/v1/messages", sms(tags=["a", "b"])))[0] == 202
    return client


async def test_csv_neutralises_formulas(data):
    response = await _download(data, {"range": "all", "format": "csv", "sort": "oldest"})
    assert response.code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="relay-events-start-') \
        and disposition.endswith('.csv"')
    rows = list(csv.DictReader(io.StringIO(response.body.decode())))
    assert [r["text"] for r in rows] == ["'" + EVIL, "plain", "fine"]
    assert [r["contact_name"] for r in rows] == ["'-2+3", "'@bob", ""]
    assert rows[0]["source"] == "'+12025550143" and rows[0]["tags"] == "vip"
    assert response.headers["X-Relay-Rows"] == "3"


async def test_parquet_keeps_types_and_values(data):
    response = await _download(data, {"range": "all", "format": "parquet"})
    assert response.code == 200
    table = pq.read_table(io.BytesIO(response.body))
    assert table.num_rows == 3
    rows = table.to_pylist()
    assert rows[2]["text"] == EVIL and rows[0]["tags"] == ["vip"]
    assert str(table.schema.field("occurred_at").type) == "timestamp[ms]"
    assert rows[0]["occurred_at"].isoformat() == "2026-11-22T10:00:00"


async def test_xlsx_opens_and_holds_no_formula(data):
    response = await _download(data, {"range": "all", "format": "xlsx", "sort": "oldest"})
    assert response.code == 200 and response.headers["Content-Disposition"].endswith('.xlsx"')
    sheet = openpyxl.load_workbook(io.BytesIO(response.body)).active
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    assert header[:3] == ("message_id", "phone_id", "event_type")
    texts = [row[header.index("text")] for row in rows[1:]]
    assert texts == ["'" + EVIL, "plain", "fine"]
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


async def test_xlsx_stands_in_for_control_characters(relay, data):
    """Text keeps NUL and other control characters; a sheet cell cannot hold them."""
    event = inbound_event({"event_id": "ctl", "channel": "sms", "text": "a\x00b\x01c",
                           "contact": "+12025550143", "occurred_at": "2026-11-25T10:00:00Z"},
                          "US")
    await relay.relay.store.write(RecordInbound("phone_main", event))
    response = await _download(data, {"range": "all", "format": "xlsx", "sort": "newest"})
    assert response.code == 200
    rows = list(openpyxl.load_workbook(io.BytesIO(response.body)).active.iter_rows(
        values_only=True))
    assert rows[1][rows[0].index("text")] == "a\ufffdb\ufffdc"


async def test_json_and_other_sections(data):
    response = await _download(data, {"range": "all", "format": "json",
                                      "section": "sent_by_tag"})
    assert response.code == 200
    assert json.loads(response.body) == [{"tag": "a", "count": 1}, {"tag": "b", "count": 1}]
    assert "relay-sent-by-tag-" in response.headers["Content-Disposition"]
    response = await _download(data, {"range": "all", "format": "csv",
                                      "section": "email_report.domains"})
    assert response.code == 200 and response.body.decode().strip() == "domain,count"
    status, body = await data.get(QUERY + "?range=all&format=csv&section=hourly")
    assert status == 200 and body.count("\n") == 25


def test_report_and_import_from_the_command_line(tmp_path):
    relay = RelayProcess(tmp_path / "data", free_port())
    relay.cli("keys", "create", "--name", "ops")
    relay.cli("phones", "add", "phone_main")
    history = tmp_path / "history.csv"
    history.write_text("channel,event_type,contact,contact_name,duration_sec,tags,occurred_at\n"
                       "sms,answered,(202) 555-0143,Ann,120,vip;family,2026-11-01T09:00:00Z\n"
                       "wa,missed,+12025550144,,,,2026-11-02T09:00:00Z\n")
    # no server: the CLI opens the data dir itself
    imported = json.loads(relay.cli("events", "import", str(history)).stdout)
    assert imported == {"phone_id": "phone_main", "imported": 2, "duplicates": 0}
    relay.start()
    try:
        lines = tmp_path / "more.jsonl"
        lines.write_text(json.dumps({"event_id": "x1", "channel": "email", "contact":
                                     "ann@example.com", "text": "hello",
                                     "occurred_at": "2026-11-03T09:00:00Z"}) + "\n\n")
        again = json.loads(relay.cli("events", "import", str(history)).stdout)
        assert again["imported"] == 0 and again["duplicates"] == 2
        assert json.loads(relay.cli("events", "import", str(lines), "--phone",
                                    "phone_main").stdout)["imported"] == 1
        out = tmp_path / "report.parquet"
        printed = json.loads(relay.cli("report", "--range", "all", "--format", "parquet",
                                       "--out", str(out)).stdout)
        assert printed["rows"] == 3 and printed["client"] == "ops"
        rows = pq.read_table(out).to_pylist()
        assert [r["source"] for r in rows] == ["ann@example.com", "+12025550144",
                                                "+12025550143"]
        assert rows[2]["tags"] == ["vip", "family"] and rows[2]["duration_sec"] == 120
        out_csv = tmp_path / "calls.csv"
        relay.cli("report", "--range", "all", "--event-types", "call", "--section",
                  "top_contacts", "--out", str(out_csv))
        assert out_csv.read_text().splitlines() == [
            "source,total", "'+12025550143,1", "'+12025550144,1"]
        bad = tmp_path / "bad.jsonl"
        bad.write_text('{"channel": "sms", "occurred_at": "2026-11-03T09:00:00Z"}\n'
                       '{"channel": "fax", "occurred_at": "2026-11-03T09:00:00Z"}\n')
        failed = relay.cli("events", "import", str(bad), check=False)
        assert failed.returncode == 1
        error = json.loads(failed.stderr)["error"]
        assert error["field"] == "channel" and error["message"].startswith("line 2:")
        failed = relay.cli("report", "--tz", "Nowhere/Else", "--out", str(out), check=False)
        assert failed.returncode == 1 and json.loads(failed.stderr)["error"]["field"] == "tz"
    finally:
        relay.stop()
