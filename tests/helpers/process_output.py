"""Reading a command's output line by line while a test waits for what it prints (`relay
demo`, `relay serve`), through a pipe or a terminal (what a person at a shell sees)."""
import os
import re
import subprocess
import threading


class Output:
    """Collects the lines `process` prints (stdout and stderr together) on a thread."""

    def __init__(self, process: subprocess.Popen, stream):
        self.process, self.stream = process, stream
        self.lines: list[str] = []
        self.seen = threading.Condition()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        try:
            for line in self.stream:
                with self.seen:
                    self.lines.append(line.replace("\r\n", "\n"))
                    self.seen.notify_all()
        except OSError:       # EIO: a terminal's other end closed when the process ended
            pass

    def text(self) -> str:
        """All it printed, once it has ended."""
        self.process.wait(timeout=60)
        self.reader.join(timeout=5)
        self.stream.close()
        return "".join(self.lines)

    def wait_for(self, pattern: str, timeout: float = 30) -> re.Match:
        """The first match of pattern in a line printed so far or within timeout seconds."""
        def found():
            for line in self.lines:
                match = re.search(pattern, line)
                if match:
                    return match
            return None
        with self.seen:
            assert self.seen.wait_for(found, timeout=timeout), "".join(self.lines)
            return found()

    def stop(self) -> int:
        """Ends the process (SIGTERM) and returns its exit code."""
        self.process.terminate()
        code = self.process.wait(timeout=30)
        self.reader.join(timeout=5)
        self.stream.close()
        return code


def start(*args: str, env=None, cwd=None, terminal: bool = False) -> Output:
    """Runs args with its output on a pipe, or with terminal=True on a pseudo-terminal."""
    if not terminal:
        process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                   text=True, env=env, cwd=cwd)
        return Output(process, process.stdout)
    controller, terminal_end = os.openpty()
    process = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=terminal_end,
                               stderr=terminal_end, env=env, cwd=cwd)
    os.close(terminal_end)
    return Output(process, open(controller, errors="replace"))
