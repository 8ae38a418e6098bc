"""Processes and databases for a benchmark run: pinned children, their peak memory, and
throw-away databases (a SQLite file, or a PostgreSQL database created and dropped)."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import asyncpg

from benchmarks.workspace import INTAKE, SIGNING_SECRET


class Pinning:
    """The server on one core, the load generator (and the fake Slack) on another."""

    def __init__(self) -> None:
        cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
        self.enabled = len(cpus) >= 2
        self.server = {cpus[0]} if self.enabled else set()
        self.load = set(cpus[1:]) if self.enabled else set()
        self.note = (
            f"server pinned to CPU {cpus[0]}, load generator and fake Slack to CPU "
            f"{','.join(map(str, cpus[1:]))}"
            if self.enabled
            else "not pinned (fewer than 2 CPUs or no sched_setaffinity): numbers are noisier"
        )

    def preexec(self, cpus: set[int]) -> Callable[[], None] | None:
        if not cpus:
            return None
        return lambda: os.sched_setaffinity(0, cpus)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def free_pair() -> int:
    """A port whose successor is free too (the fake Slack's stats listen there)."""
    for _ in range(50):
        port = free_port()
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
        return port
    raise RuntimeError("no two consecutive free ports")


def wait_port(port: int, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args} exited with {proc.returncode}")
        with socket.socket() as sock, contextlib.suppress(OSError):
            sock.connect(("127.0.0.1", port))
            return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on {port} after {timeout}s")


def peak_rss_mb(pid: int) -> float | None:
    """VmHWM: the most resident memory the process ever had."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time the process has used so far (/proc/<pid>/stat)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    # After the command name: state is field 3, utime and stime are fields 14 and 15.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Children:
    """Started processes, logged to files (a pipe nobody reads could block a server)."""

    def __init__(self, pinning: Pinning) -> None:
        self.pinning = pinning
        self.logs = Path(tempfile.mkdtemp(prefix="handoff-bench-"))
        self.procs: list[subprocess.Popen[bytes]] = []

    def start(
        self, module_args: list[str], *, env: dict[str, str], cpus: set[int]
    ) -> subprocess.Popen[bytes]:
        log = open(self.logs / f"{len(self.procs):03d}-{module_args[0]}.log", "wb")  # noqa: SIM115
        proc = subprocess.Popen(
            [sys.executable, "-m", *module_args],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=self.pinning.preexec(cpus),
        )
        self.procs.append(proc)
        return proc

    def run(self, module_args: list[str], *, env: dict[str, str], cpus: set[int]) -> str:
        """Run to the end; its stdout (the last line is the JSON result)."""
        done = subprocess.run(
            [sys.executable, "-m", *module_args],
            env=env,
            capture_output=True,
            text=True,
            preexec_fn=self.pinning.preexec(cpus),
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"{module_args[:2]} failed:\n{done.stderr[-3000:]}")
        return done.stdout

    def stop(self, proc: subprocess.Popen[bytes]) -> None:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def stop_all(self) -> None:
        for proc in self.procs:
            self.stop(proc)


ROOT = Path(__file__).resolve().parent.parent


def bench_env(*, slack_port: int, database_url: str) -> dict[str, str]:
    path = os.environ.get("PYTHONPATH")
    return {
        **os.environ,
        "PYTHONPATH": f"{ROOT}{os.pathsep}{path}" if path else str(ROOT),
        "SLACK_BOT_TOKEN": "xoxb-fake",
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": f"http://127.0.0.1:{slack_port}/api/",
        "DATABASE_URL": database_url,
        "HANDOFF_INTAKE_CHANNELS": INTAKE,
        "HANDOFF_LOG_LEVEL": "WARNING",
    }


class Databases:
    """Fresh databases, one per scenario, dropped at the end."""

    def __init__(self, postgres_admin_url: str) -> None:
        self.admin = postgres_admin_url
        self.folder = Path(tempfile.mkdtemp(prefix="handoff-bench-db-"))
        self.created: list[str] = []

    def sqlite(self) -> str:
        return f"sqlite:///{self.folder / f'{uuid.uuid4().hex[:8]}.db'}"

    async def postgres(self) -> str:
        name = f"handoff_bench_{os.getpid()}_{uuid.uuid4().hex[:8]}"
        conn = await asyncpg.connect(self.admin)
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()
        self.created.append(name)
        return self.admin.rsplit("/", 1)[0] + "/" + name

    async def new(self, backend: str) -> str:
        return self.sqlite() if backend == "sqlite" else await self.postgres()

    async def postgres_available(self) -> bool:
        try:
            conn = await asyncpg.connect(self.admin, timeout=3)
        except (OSError, asyncpg.PostgresError, TimeoutError):
            return False
        await conn.close()
        return True

    async def drop_all(self) -> None:
        if not self.created:
            return
        conn = await asyncpg.connect(self.admin)
        try:
            for name in self.created:
                await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()
        self.created.clear()
