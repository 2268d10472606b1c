"""A message's statuses are named, ordered and read in one place (relay/core/statuses.py): no
other module lists them or computes a message's current status on its own, and the portal's
pages import them from the server."""
import ast
import json
import pathlib
import re

import pytest
import tornado.httpclient

import relay
from relay.core import statuses

PACKAGE = pathlib.Path(relay.__file__).parent
HOME = PACKAGE / "core" / "statuses.py"


def _modules():
    return [path for path in sorted(PACKAGE.rglob("*.py")) if path != HOME]


def _status_lists(path: pathlib.Path) -> list[int]:
    """Lines of the literal tuples, lists, sets and dicts that name two statuses or more."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        items = node.keys if isinstance(node, ast.Dict) else getattr(node, "elts", None)
        if isinstance(node, (ast.Tuple, ast.List, ast.Set, ast.Dict)) and items:
            names = {item.value for item in items if isinstance(item, ast.Constant)}
            if len(names & set(statuses.STATUSES)) >= 2:
                found.append(node.lineno)
    return found


def test_no_other_module_lists_the_statuses():
    listed = {str(path.relative_to(PACKAGE)): lines for path in _modules()
              if (lines := _status_lists(path))}
    assert listed == {}


def test_no_page_of_the_portal_lists_the_statuses():
    named = re.compile("|".join(rf"[\"']?\b{status}\b[\"']?\s*[,:]"
                                for status in statuses.STATUSES))
    pages = sorted((PACKAGE / "portal" / "static" / "js").rglob("*.js"))
    assert pages and [f"{page.relative_to(PACKAGE)}:{number}" for page in pages
                      for number, line in enumerate(page.read_text().splitlines(), 1)
                      if len(named.findall(line)) >= 2] == []


async def test_the_portal_gets_the_statuses_from_the_server(relay):
    http = tornado.httpclient.AsyncHTTPClient(force_instance=True)
    try:
        module = await http.fetch(relay.base_url + "/static/js/statuses.js")
    finally:
        http.close()
    assert "javascript" in module.headers["Content-Type"]
    assert "default-src 'self'" in module.headers["Content-Security-Policy"]
    exported = dict(re.findall(r"export const (\w+) = (.*);", module.body.decode()))
    assert json.loads(exported["STATUSES"]) == ["queued", "sending", "sent", "failed", "expired"]
    assert json.loads(exported["RANK"]) == {"queued": 0, "sending": 1, "sent": 2, "failed": 2,
                                            "expired": 2}


@pytest.mark.parametrize("sql", ["arg_max(status", "'queued'", "IN ('sent'"])
def test_no_other_module_computes_a_current_status(sql):
    assert [str(path.relative_to(PACKAGE)) for path in _modules()
            if sql in path.read_text()] == []


def test_status_moves_forward_only():
    assert statuses.moves_forward("queued", "sending")
    assert statuses.moves_forward("sending", "failed")
    assert statuses.moves_forward("queued", "expired")
    assert not statuses.moves_forward("sending", "sending")
    assert not statuses.moves_forward("sent", "failed")
    assert not statuses.moves_forward("sending", "queued")
    assert list(statuses.RANK) == list(statuses.STATUSES)
    assert set(statuses.PHONE_REPORTS) < set(statuses.STATUSES)
    assert set(statuses.FINAL) < set(statuses.STATUSES)
