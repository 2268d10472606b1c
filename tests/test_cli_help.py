"""`--help` of every command and subcommand of `relay` prints its usage and exits 0."""
import subprocess
import sys

import pytest

from helpers.cli import commands
from relay.cli import build_parser, main


COMMANDS = [path for path, _ in commands(build_parser())]


def test_the_walk_finds_the_commands():
    assert {("serve",), ("demo",), ("keys", "create"), ("phones", "add")} <= set(COMMANDS)


@pytest.mark.parametrize("path", COMMANDS, ids=lambda path: " ".join(path) or "relay")
def test_help_of_every_command(path, capsys):
    with pytest.raises(SystemExit) as exited:
        main([*path, "--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: relay {' '.join(path)}".rstrip()), out


@pytest.mark.parametrize("command", ["serve", "demo"])
def test_help_from_the_shell(command):
    result = subprocess.run([sys.executable, "-m", "relay", command, "--help"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "80% of RAM" in result.stdout and "--port" in result.stdout
