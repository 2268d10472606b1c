"""A relay as a separate process (`python -m relay serve`), for kill -9 and CLI tests."""
import os
import socket
import ssl
import subprocess
import sys
import time
import urllib.request


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RelayProcess:
    def __init__(self, data_dir, port: int, env: dict | None = None):
        self.data_dir, self.port = data_dir, port
        self.url = f"http://127.0.0.1:{port}"
        self.env = {**os.environ, "RELAY_RATE_LIMIT": "0", **(env or {})}
        self.proc = None

    def cli(self, *args, check=True) -> subprocess.CompletedProcess:
        result = subprocess.run([sys.executable, "-m", "relay", *args, "--data-dir",
                                 str(self.data_dir)], capture_output=True, text=True,
                                env=self.env, timeout=60)
        if check and result.returncode != 0:
            raise AssertionError(f"relay {' '.join(args)} failed: {result.stderr}")
        return result

    @property
    def log_path(self):
        return self.data_dir.parent / f"{self.data_dir.name}-{self.port}.log"

    def log_text(self) -> str:
        """What the relay printed (JSON lines), through all its starts."""
        return self.log_path.read_text() if self.log_path.exists() else ""

    def start(self):
        # Output goes to a file: the relay logs every request, and an unread pipe would fill
        # and block it.
        with open(self.log_path, "a") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "relay", "serve", "--data-dir", str(self.data_dir),
                 "--port", str(self.port)], env=self.env, stdout=log, stderr=subprocess.STDOUT)
        scheme_url = self.url
        context = ssl._create_unverified_context() if scheme_url.startswith("https") else None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(scheme_url + "/health", timeout=1,
                                            context=context) as response:
                    if response.status == 200:
                        return self
            except OSError:
                if self.proc.poll() is not None:
                    raise AssertionError("relay exited: " + self.log_text())
                time.sleep(0.1)
        raise AssertionError("relay did not start")

    def kill(self):
        self.proc.kill()
        self.proc.wait()

    def stop(self) -> int:
        self.proc.terminate()
        return self.proc.wait(timeout=30)
