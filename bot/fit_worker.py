"""The router's model is fitted in a separate process (issue 16): TF-IDF's vectoriser is pure
Python, so a fit in a thread of the app's own process (1 s at 15,000 requests, 9 s at
100,000) holds the interpreter lock against every request on the event loop.

One long-lived worker process, started on the first fit as a fresh interpreter
(`python -m bot.fit_worker`: never a fork of a process that has threads and an event loop,
and unlike multiprocessing's spawn and forkserver it does not re-run the app's main module),
talking over a socket pair with multiprocessing's `Connection` (pickles). The caller (the
router's fit thread) sends plain data (texts, owners, seed) and gets the fitted `Model` back
pickled: `train` on the same examples gives the same model in either process. A worker that dies
(kill -9, out of memory) costs only the fit it was running: `WorkerDied` is raised, and the
next fit starts a new worker. `close` stops it; a worker whose parent is gone sees the pipe
close and exits, so none is left behind. An idle worker exits after IDLE seconds: its memory
(scikit-learn and a fit's data, some 170 MB) is held only while fits come, and the next fit
after a quiet spell starts a fresh one (about a second of start-up, in the background).

Only the standard library and `bot.domain.ranking_model` are imported here: the worker
loads nothing of the app (Slack, FastAPI, the database)."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from multiprocessing.connection import Connection
from typing import Any

from bot.domain.ranking_model import SEED, Example, Model, Owner, train

log = logging.getLogger(__name__)


NICE = 10  # the worker's priority below the app's (where the OS lets a process lower it)
IDLE = 60.0  # seconds a worker waits for the next fit before it exits
STALE = 5.0  # the parent starts afresh this long before the worker's idle exit: no race


class WorkerDied(RuntimeError):
    """The fit process ended before answering (killed, out of memory): this fit is lost."""


class NoProcesses(RuntimeError):
    """A worker process could not be started here (a sandbox forbids it): fit in-process."""


def available() -> bool:
    """Whether this platform can give a worker a socket to talk over (not Windows)."""
    return os.name == "posix" and bool(sys.executable)


class FitProcess:
    """One worker process fitting models, one fit at a time (callers block: a thread)."""

    def __init__(self, *, idle: float = IDLE) -> None:
        self.idle = idle
        self._used = 0.0  # time.monotonic() of the last fit's answer
        self._process: subprocess.Popen[bytes] | None = None
        self._conn: Connection | None = None
        self._lock = threading.Lock()  # one fit at a time; `close` kills before taking it
        self._closed = False

    @property
    def pid(self) -> int | None:
        """The worker's process id (None before the first fit or after it died)."""
        process = self._process
        return process.pid if process is not None and process.poll() is None else None

    def fit(self, examples: Sequence[Example], *, seed: int = SEED) -> Model | None:
        """`train(examples, seed=seed)`, run in the worker. Blocks; call it from a thread."""
        texts = [example.text for example in examples]
        owners = [example.owner for example in examples]
        with self._lock:
            if self._closed:
                raise WorkerDied("the fit process is shut down")
            if self._process is not None and self._idled():
                self._discard()  # it has exited, or is about to: never send it a fit
            conn = self._start() if self._process is None else self._conn
            assert conn is not None
            if self._closed:  # `close` came while it started, and may have missed it
                self._discard()
                raise WorkerDied("the fit process is shut down")
            try:
                conn.send((texts, owners, seed))
                ok, value = conn.recv()
            except (EOFError, OSError) as error:
                process = self._process
                self._discard()
                code = process.returncode if process is not None else None
                raise WorkerDied(f"the fit process ended (exit code {code})") from error
            self._used = time.monotonic()
            if not ok:  # the fit raised in the worker: a fresh one for the next
                self._discard()
                raise value
            return value  # type: ignore[no-any-return]

    def _idled(self) -> bool:
        process = self._process
        waited = time.monotonic() - self._used
        return process is None or process.poll() is not None or waited > self.idle - STALE

    def _start(self) -> Connection:
        ours, theirs = socket.socketpair()
        try:
            env = dict(os.environ)
            root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
            env["PYTHONPATH"] = os.pathsep.join(filter(None, [root, env.get("PYTHONPATH")]))
            process = subprocess.Popen(
                [sys.executable, "-m", "bot.fit_worker", str(theirs.fileno()), str(self.idle)],
                pass_fds=[theirs.fileno()],
                stdin=subprocess.DEVNULL,
                env=env,
            )
        except OSError as error:
            ours.close()
            raise NoProcesses(str(error)) from error
        finally:
            theirs.close()  # the worker holds the only other end: our exit is its EOF
        self._process, self._conn = process, Connection(ours.detach())
        self._used = time.monotonic()
        log.info("routing fit process %s started", process.pid)
        return self._conn

    def _discard(self) -> None:
        process, conn = self._process, self._conn
        self._process = self._conn = None
        if conn is not None:
            conn.close()  # an idle worker sees EOF and exits
        if process is not None:
            try:
                process.wait(1)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)

    def close(self) -> None:
        """Stop the worker, killing a fit under way (the fit's caller gets `WorkerDied`)."""
        self._closed = True
        process = self._process
        if process is not None and process.poll() is None:
            process.kill()
            process.wait(5)
        with self._lock:  # the fit thread, if any, has seen the EOF and let go
            self._discard()


def serve(conn: Connection, idle: float = IDLE) -> None:
    """The worker: fit what is sent until the parent closes the pipe, or none comes for
    `idle` seconds."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the app, which stops us
    with contextlib.suppress(OSError):  # background work: requests get a busy core first
        os.nice(NICE)
    while True:
        try:
            if not conn.poll(idle):
                return  # nothing to fit for a while: give the memory back
            texts, owners, seed = conn.recv()
        except (EOFError, OSError):
            return
        try:
            result: tuple[bool, Any] = (True, fit_plain(texts, owners, seed))
        except Exception as error:  # MemoryError too: reported, then this worker is replaced
            result = (False, error)
        conn.send(result)


def fit_plain(texts: Sequence[str], owners: Sequence[Owner], seed: int) -> Model | None:
    """`train` from plain lists (what crosses the pipe)."""
    examples = [
        Example(text, (owner[0], owner[1])) for text, owner in zip(texts, owners, strict=True)
    ]
    return train(examples, seed=seed)


if __name__ == "__main__":  # python -m bot.fit_worker FD [IDLE]: what `FitProcess` starts
    serve(Connection(int(sys.argv[1])), float(sys.argv[2]) if len(sys.argv) > 2 else IDLE)
