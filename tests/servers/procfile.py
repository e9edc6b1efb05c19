"""Run the Procfile's own lines as Heroku does: each through a shell, with only the config vars
and the virtualenv's ``bin`` first on PATH; a restart sends SIGTERM to every process of the dyno
and SIGKILL to whatever is left after the grace period.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from tests.support.faults import descendants

HEROKU_GRACE_SECONDS = 30  # SIGTERM, then SIGKILL after this long


def read_procfile(path: Path) -> dict[str, str]:
    """The process types and their command lines."""
    processes: dict[str, str] = {}
    for line in path.read_text().splitlines():
        name, colon, command = line.partition(":")
        if colon and name.strip() and not line.lstrip().startswith("#"):
            processes[name.strip()] = command.strip()
    return processes


def dyno_environ(config_vars: dict[str, str]) -> dict[str, str]:
    """A dyno's environment: the config vars, a PATH with the app's interpreter first."""
    venv_bin = Path(sys.executable).parent
    return {
        "PATH": f"{venv_bin}:/usr/local/bin:/usr/bin:/bin",
        "HOME": os.environ.get("HOME", "/tmp"),  # noqa: S108 - as on a dyno, some home
        "LANG": "C.UTF-8",
        "PYTHONUNBUFFERED": "1",
        **config_vars,
    }


def run_one_off(
    command: str, environ: dict[str, str], cwd: Path, stdin: str = "", timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """A one-off dyno (``heroku run …``, or the release phase): runs to completion."""
    return subprocess.run(  # noqa: S603
        ["/bin/bash", "-c", command],
        env=environ,
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@dataclass
class Dyno:
    """One long-running process type, its output appended to ``log_path``."""

    name: str
    command: str
    environ: dict[str, str]
    cwd: Path
    log_path: Path
    process: subprocess.Popen[bytes] | None = None
    exit_codes: list[int] = field(default_factory=list)
    _log: IO[bytes] | None = None
    _seen: dict[int, str] = field(default_factory=dict)  # pid -> start time, once seen below

    def start(self) -> None:
        self._log = self.log_path.open("ab")
        self._log.write(f"--- {self.name}: {self.command}\n".encode())
        self._log.flush()
        self.process = subprocess.Popen(  # noqa: S603
            ["/bin/bash", "-c", self.command],
            env=self.environ,
            cwd=self.cwd,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: the whole dyno gets the signal
        )

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def terminate(self) -> None:
        """What a restart does first: SIGTERM to every process of the dyno."""
        self._signal(signal.SIGTERM)

    def wait_stopped(self, grace: float = HEROKU_GRACE_SECONDS) -> int:
        """Wait for the dyno to exit after SIGTERM, SIGKILL it after ``grace``; its exit code."""
        assert self.process is not None
        try:
            code = self.process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            self._signal(signal.SIGKILL)
            code = self.process.wait()
        self._signal(signal.SIGKILL)  # children that outlived the main process
        self.exit_codes.append(code)
        self.process = None
        if self._log:
            self._log.close()
        return code

    def kill(self) -> None:
        """Cleanup after a failure: nothing of this dyno survives the test."""
        if self.process is not None:
            self._signal(signal.SIGKILL)
            self.process.wait()
            self.process = None
        if self._log:
            self._log.close()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def _signal(self, signum: int) -> None:
        """Signal every process of the dyno: its process group, and the processes that left it
        (RQ's work horse starts its own group) but are still below the shell or were seen before."""
        assert self.process is not None
        try:
            os.killpg(self.process.pid, signum)
        except ProcessLookupError:
            pass
        for pid in descendants(self.process.pid):
            self._seen.setdefault(pid, _started(pid))
        for pid, started in self._seen.items():
            if started and _started(pid) == started:  # the same process, not a reused pid
                try:
                    os.kill(pid, signum)
                except ProcessLookupError:
                    pass


def _started(pid: int) -> str:
    """The process's start time (field 22 of /proc/PID/stat), or "" when it is gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return ""
