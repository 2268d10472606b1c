"""The package layout's arrows point down: features use store/, web/ and core/; store/ and core/
import no feature; the phone agent imports nothing that does not run on a phone."""
import ast
import pathlib

import pytest

import relay

PACKAGE = pathlib.Path(relay.__file__).parent
FEATURES = ("messages", "phones", "senders", "webhooks", "analytics", "portal", "admin")
TOP = ("app", "server", "routes", "cli")
# What each lower layer may import from the relay (besides itself).
ALLOWED = {
    "core": {"core"},
    "store": {"store", "core"},
    "web": {"web", "store", "core", "config", ""},
    "agent": {"agent", "core", ""},
}
NOT_ON_A_PHONE = {"duckdb", "pandas", "pyarrow", "numpy", "openpyxl", "cryptography"}


def _imports(path: pathlib.Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _modules(package: str) -> list[pathlib.Path]:
    return sorted((PACKAGE / package).rglob("*.py"))


def _relay_parts(names: set[str]) -> set[str]:
    """The first part below `relay` of each relay import ('' for `import relay` itself)."""
    parts = set()
    for name in names:
        if name == "relay":
            parts.add("")
        elif name.startswith("relay."):
            part = name.split(".")[1]
            if (PACKAGE / part).is_dir() or (PACKAGE / f"{part}.py").exists():
                parts.add(part)
    return parts


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_lower_layers_import_nothing_above_them(layer):
    wrong = {}
    for path in _modules(layer):
        above = _relay_parts(_imports(path)) - ALLOWED[layer]
        if above:
            wrong[str(path.relative_to(PACKAGE))] = sorted(above)
    assert not wrong, f"{layer}/ imports from above it: {wrong}"


def test_features_do_not_import_the_process():
    wrong = {}
    for feature in FEATURES:
        for path in _modules(feature):
            above = _relay_parts(_imports(path)) & set(TOP)
            if above:
                wrong[str(path.relative_to(PACKAGE))] = sorted(above)
    assert not wrong, f"features import the process around them: {wrong}"


def _module_file(name: str) -> pathlib.Path | None:
    path = PACKAGE.parent.joinpath(*name.split("."))
    for candidate in (path.with_suffix(".py"), path / "__init__.py"):
        if candidate.exists():
            return candidate
    return None


def test_the_agent_needs_nothing_compiled():
    """Everything the agent's modules import, followed through the relay's own modules."""
    seen, todo, heavy = set(), list(_modules("agent")), {}
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        for name in _imports(path):
            if name.split(".")[0] in NOT_ON_A_PHONE:
                heavy.setdefault(str(path.relative_to(PACKAGE)), set()).add(name)
            elif name.startswith("relay.") and (found := _module_file(name)):
                todo.append(found)
    assert not heavy, f"the phone agent needs what a phone's Python lacks: {heavy}"


def test_every_feature_says_what_it_is_for():
    for package in FEATURES + tuple(ALLOWED):
        init = PACKAGE / package / "__init__.py"
        assert ast.get_docstring(ast.parse(init.read_text())), f"{package}/__init__.py"
