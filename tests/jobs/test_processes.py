"""The readiness wait the process tests use for `handoff serve` (tests/jobs/processes.py)."""

from __future__ import annotations

import subprocess
import sys
import time

import httpx
import pytest

from tests.jobs.processes import free_port, wait_until_serving

LATE_SERVER = """
import http.server, sys, time
time.sleep(float(sys.argv[2]))  # a slow start: imports, a database check, a loaded machine
class Ok(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200); self.end_headers(); self.wfile.write(b"ok")
    def log_message(self, *args):
        pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), Ok).serve_forever()
"""


def _python(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", *args], text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )


async def test_a_server_that_starts_late_is_waited_for_then_used() -> None:
    port = free_port()
    server = _python(LATE_SERVER, str(port), "1.5")
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            started = time.monotonic()
            response = await wait_until_serving(http, server, every=0.05)
            assert response.status_code == 200 and response.text == "ok"
            assert time.monotonic() - started >= 1.0  # it did wait for the late start
    finally:
        server.kill()
        server.communicate(timeout=30)


async def test_a_server_that_dies_is_reported_at_once_with_what_it_said() -> None:
    port = free_port()
    server = _python("import sys; sys.exit('DATABASE_URL: no such database')")
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
        started = time.monotonic()
        with pytest.raises(AssertionError, match="no such database"):
            await wait_until_serving(http, server)
        assert time.monotonic() - started < 30  # not the whole deadline


async def test_a_server_that_never_answers_fails_plainly_at_the_deadline() -> None:
    port = free_port()
    server = _python("import time; time.sleep(60)")  # alive, never listening
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            with pytest.raises(AssertionError, match="did not answer /healthz within 1 s"):
                await wait_until_serving(http, server, deadline=1.0, every=0.05)
    finally:
        server.kill()
        server.communicate(timeout=30)
