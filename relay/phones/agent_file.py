"""The phone agent as one file a phone's Python runs: a zipapp of relay.agent, the relay.core
modules it imports and Tornado's pure-Python source, copied from what this relay runs (so the
agent always speaks its protocol). Nothing compiled goes in: Termux has no builds of DuckDB
and friends, and Tornado's C speedups are optional (it falls back to Python).

The two commands a phone runs are install_commands(); docs/phones.md walks through them."""
import ast
import io
import pathlib
import shlex
import zipfile

import tornado

import relay
from relay.agent.cli import FILE_NAME

PATH = f"/agent/{FILE_NAME}"
_MAIN = ("import sys\n\nfrom relay.agent.cli import main\n\nsys.exit(main())\n")
# Every zip entry has a time: a fixed one keeps the file the same from build to build.
_TIME = (2020, 1, 1, 0, 0, 0)


def install_commands(relay_url: str, pairing_code: str) -> list[str]:
    """Fetch the agent, then run it with the pairing code (Termux's Python on the phone)."""
    url = relay_url.rstrip("/")
    return [f"curl -fsSLo {FILE_NAME} {shlex.quote(url + PATH)}",
            f"python {FILE_NAME} --relay {shlex.quote(url)} --pairing-code "
            f"{shlex.quote(pairing_code)} --backend termux"]


def _relay_imports(path: pathlib.Path) -> set[str]:
    """The names a source file imports from the relay (absolute imports: the house style);
    `from relay.x import y` counts y too, which may be a module."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("relay"):
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("relay"))
    return found


def _module_file(root: pathlib.Path, name: str) -> pathlib.Path | None:
    """relay.a.b's source file under root (the folder holding the relay package), if a module."""
    base = root.joinpath(*name.split("."))
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path
    return None


def _agent_modules() -> dict[str, pathlib.Path]:
    """relay.agent's modules and every relay module they import, with their packages."""
    root = pathlib.Path(relay.__file__).parent.parent
    todo = [".".join(path.relative_to(root).with_suffix("").parts).removesuffix(".__init__")
            for path in (root / "relay" / "agent").rglob("*.py")]
    files: dict[str, pathlib.Path] = {}
    while todo:
        name = todo.pop()
        path = _module_file(root, name)
        if name in files or path is None:
            continue
        files[name] = path
        todo.extend(_relay_imports(path))
        todo.append(name.rpartition(".")[0])     # its package, up to relay itself
    return {str(path.relative_to(root)): path for path in files.values()}


def _tornado_files() -> dict[str, pathlib.Path]:
    root = pathlib.Path(tornado.__file__).parent
    return {str(path.relative_to(root.parent)): path for path in sorted(root.rglob("*.py"))
            if "test" not in path.relative_to(root).parts}


def build() -> bytes:
    """The zipapp's bytes. It reads some fifty files: run it off the IOLoop."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        entries = {**_tornado_files(), **_agent_modules()}
        for name in sorted(entries):
            archive.writestr(zipfile.ZipInfo(name, _TIME), entries[name].read_bytes(),
                             zipfile.ZIP_DEFLATED)
        archive.writestr(zipfile.ZipInfo("__main__.py", _TIME), _MAIN, zipfile.ZIP_DEFLATED)
    # A zipapp is a zip that Python runs; the shebang lets `./relay-agent.pyz` work too.
    return b"#!/usr/bin/env python3\n" + out.getvalue()
