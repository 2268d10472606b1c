"""The README is the front door: every command it shows is one the project has, every document
it names is there, every document and every CLI command is reachable from it, and it stays
short. The benchmark commands of docs/performance.md are checked the same way.

`relay` commands are checked against the CLI's own argparse parser (parse_args, not --help, so
a broken help text elsewhere does not hide a wrong command here)."""
import contextlib
import io
import os
import pathlib
import re
import shlex
import subprocess
import sys

import pytest

from helpers.cli import leaf_commands, subcommands
from relay import cli

ROOT = pathlib.Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
PERFORMANCE = ROOT / "docs" / "performance.md"
FENCE = re.compile(r"^```[^\n]*\n(.*?)^```", re.S | re.M)
SPAN = re.compile(r"`([^`\n]+)`")
SETS = r"[A-Z_][A-Z0-9_]*="                   # an environment assignment before a command
ASSIGNMENT = re.compile("^" + SETS)
COMMAND = re.compile(rf"^(?:{SETS}\S*\s+)*(?:relay |\./)")   # a relay or ./script command


def _code_lines(text: str) -> list[str]:
    """The lines of the fenced code blocks, continuation lines joined."""
    blocks = "\n".join(FENCE.findall(text))
    return [line for line in blocks.replace("\\\n", " ").splitlines() if line.strip()]


def _prose_lines(text: str) -> list[str]:
    return FENCE.sub("", text).splitlines()


def _words(command: str) -> list[str]:
    """The command's words without leading VAR=value assignments, comments or the brackets
    around optional parts."""
    words = [w.strip("[]") for w in shlex.split(command, comments=True)]
    while words and ASSIGNMENT.match(words[0]):
        words.pop(0)
    return [w for w in words if w]


def _command_path(args: list[str]) -> list[str]:
    """The leading words of args that name a (sub)command."""
    parser, path = cli.build_parser(), []
    for word in args:
        choices = subcommands(parser)
        if word not in choices:
            break
        path.append(word)
        parser = choices[word]
    return path


def readme_commands() -> list[list[str]]:
    """Every command the README shows: code block lines, inline code, and the CLI table, where
    `relay keys list` / `rotate NAME` reads as `relay keys list` and `relay keys rotate NAME`."""
    text = README.read_text()
    commands = [_words(line) for line in _code_lines(text)]
    for line in _prose_lines(text):
        if not line.startswith("|"):
            commands += [_words(span) for span in SPAN.findall(line) if COMMAND.match(span)]
            continue
        first_cell = SPAN.findall(line.split("|")[1])
        if not first_cell or not first_cell[0].startswith("relay "):
            continue
        first = _words(first_cell[0])
        commands.append(first)
        siblings_of = ["relay"] + _command_path(first[1:])[:-1]
        commands += [siblings_of + _words(span) for span in first_cell[1:]]
    return [c for c in commands if c]


def _relay_args(command: list[str]) -> list[str] | None:
    """The arguments `relay` gets from a README command, or None when it is no relay command.
    scripts/run.sh passes its arguments to `relay serve`, or to `relay demo` after `demo`."""
    program, args = command[0], command[1:]
    if program == "relay":
        return args
    if program == "./scripts/run.sh":
        return args if args[:1] == ["demo"] else ["serve"] + args
    return None


def _parse_error(args: list[str]) -> str | None:
    """argparse's complaint about `relay ARGS`, or None when the real parser accepts them."""
    stderr = io.StringIO()
    try:
        with contextlib.redirect_stderr(stderr):
            cli.build_parser().parse_args(args)
    except SystemExit:
        return stderr.getvalue().strip() or "exited"
    return None


def test_readme_is_a_front_door_under_150_lines():
    lines = README.read_text().splitlines()
    assert len(lines) < 150, f"README.md has {len(lines)} lines"


def test_every_relay_command_in_the_readme_parses():
    checked = [c for c in readme_commands() if _relay_args(c) is not None]
    assert checked
    wrong = {" ".join(c): _parse_error(_relay_args(c)) for c in checked}
    assert {c: error for c, error in wrong.items() if error} == {}


def test_every_cli_command_is_in_the_readme():
    shown = {tuple(_command_path(args)) for c in readme_commands()
             if (args := _relay_args(c)) is not None}
    missing = [" ".join(("relay",) + leaf) for leaf in leaf_commands(cli.build_parser())
               if leaf not in shown]
    assert missing == []


def test_every_script_in_the_readme_exists_and_runs_as_a_program():
    scripts = {c[0] for c in readme_commands() if c[0].startswith("./scripts/")}
    assert {"./scripts/run.sh", "./scripts/test.sh"} <= scripts
    for script in scripts:
        path = ROOT / script
        assert path.is_file() and os.access(path, os.X_OK), script


def test_the_test_files_the_readme_names_exist():
    named = {word for c in readme_commands() for word in c if word.startswith("tests/")}
    assert named and all((ROOT / name).is_file() for name in named), named


def test_ci_runs_the_readmes_test_command():
    ci = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()
          if line.strip() and not line.startswith(("#", "set ", "cd "))]
    assert ci == ["./scripts/test.sh"]
    assert ci[0].split() in readme_commands()


def test_every_document_the_readme_names_exists_and_every_document_is_linked():
    text = README.read_text()
    named = set(re.findall(r"\bdocs/[\w./-]+\.md\b", text))
    linked = set(re.findall(r"\]\((docs/[^)#\s]+)", text))
    assert [name for name in named | linked if not (ROOT / name).is_file()] == []
    documents = {f"docs/{path.name}" for path in (ROOT / "docs").glob("*.md")}
    assert sorted(documents - linked) == []


def _bench_commands() -> list[list[str]]:
    commands = []
    for document in (README, PERFORMANCE):
        text = document.read_text()
        commands += [_words(span) for line in _prose_lines(text) for span in SPAN.findall(line)
                     if " bench/" in span]
        commands += [_words(line) for line in _code_lines(text) if " bench/" in line]
    return commands


def test_performance_doc_shows_a_command_for_each_benchmark():
    shown = {c[1] for c in _bench_commands()}
    scripts = {f"bench/{p.name}" for p in (ROOT / "bench").glob("*.py")}
    # baseline_server.py is the ceiling bench_send.py starts, not a benchmark of its own
    assert sorted(scripts - shown) == ["bench/baseline_server.py"]


@pytest.mark.parametrize("command", _bench_commands(), ids=" ".join)
def test_benchmark_command_exists(command):
    script, args = command[1], command[2:]
    assert command[0] in ("python", ".venv/bin/python") and (ROOT / script).is_file(), command
    shown = subprocess.run([sys.executable, script, "--help"], cwd=ROOT, capture_output=True,
                           text=True, timeout=60)
    assert shown.returncode == 0, shown.stderr
    unknown = [a for a in args if a.startswith("--") and a not in shown.stdout]
    assert unknown == []
