"""Reading a long-running command's output line by line while a test waits for what it
prints (`relay demo`, `relay serve`)."""
import re
import subprocess
import threading


class Output:
    """Collects the lines `process` prints (stdout, with stderr merged into it) on a thread."""

    def __init__(self, process: subprocess.Popen):
        self.process = process
        self.lines: list[str] = []
        self.seen = threading.Condition()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.process.stdout:
            with self.seen:
                self.lines.append(line)
                self.seen.notify_all()

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
        self.process.stdout.close()
        return code


def start(*args: str, env=None) -> Output:
    return Output(subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                   text=True, env=env))
