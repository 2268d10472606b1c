"""scripts/setup.sh (run.sh's and test.sh's set-up) says what it does while it installs: step
lines always, pip's package lines too when a person watches a terminal. pip is replaced by a
stand-in that prints what pip prints, so the test needs no index and takes no minute."""
import os
import pathlib
import shutil
import subprocess

from helpers import process_output

ROOT = pathlib.Path(__file__).resolve().parent.parent
FAKE_PYTHON = """#!/bin/sh
if [ "$1" = -m ] && [ "$2" = venv ]; then mkdir -p "$3/bin"; cp "$0" "$3/bin/python"; exit 0; fi
echo "Collecting tornado>=6.4"
echo "  Downloading tornado-6.4.whl (436 kB)"
echo "Installing collected packages: tornado"
echo "Successfully installed tornado-6.4"
exit "${FAKE_PIP_STATUS:-0}"
"""


def _project(tmp_path) -> tuple[pathlib.Path, dict]:
    project = tmp_path / "project"
    (project / "scripts").mkdir(parents=True)
    shutil.copy(ROOT / "scripts" / "setup.sh", project / "scripts" / "setup.sh")
    (project / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python3").write_text(FAKE_PYTHON)
    (bin_dir / "python3").chmod(0o755)
    return project, {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"}


def _setup(project, env, terminal: bool = False) -> tuple[int, str]:
    """Sources setup.sh as run.sh does; returns its exit code and what it printed (on a
    pseudo-terminal with terminal=True, else stderr on a pipe)."""
    command = ["bash", "-c", 'source scripts/setup.sh ""']
    if not terminal:
        result = subprocess.run(command, cwd=project, env=env, capture_output=True, text=True,
                                timeout=60)
        return result.returncode, result.stderr
    output = process_output.start(*command, env=env, cwd=project, terminal=True)
    said = output.text()
    return output.process.returncode, said


def test_a_log_gets_the_steps_and_a_second_run_is_silent(tmp_path):
    project, env = _project(tmp_path)
    code, said = _setup(project, env)
    assert code == 0, said
    lines = said.splitlines()
    assert lines[0] == "Creating .venv"
    assert lines[1].startswith("Installing Relay and its dependencies into .venv: 1-2 minutes")
    assert lines[2].startswith("Installed in ") and len(lines) == 3, said
    assert "Collecting tornado" in (project / ".venv" / "install.log").read_text()
    assert _setup(project, env) == (0, "")


def test_a_terminal_also_sees_the_packages_as_they_come(tmp_path):
    project, env = _project(tmp_path)
    code, said = _setup(project, env, terminal=True)
    assert code == 0, said
    assert "  Collecting tornado>=6.4\n  Installing collected packages: tornado\n" in said
    assert "Downloading" not in said and said.rstrip().splitlines()[-1].startswith("Installed")


def test_a_failed_install_shows_the_log_and_fails(tmp_path):
    project, env = _project(tmp_path)
    code, said = _setup(project, {**env, "FAKE_PIP_STATUS": "1"})
    assert code == 1 and "Successfully installed tornado-6.4" in said
    assert not list((project / ".venv").glob(".installed-*"))
