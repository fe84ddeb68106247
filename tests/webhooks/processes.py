"""Real processes for the web side's tests: gunicorn serving the app factory, and `pmrollup` commands."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

BIN = Path(sys.executable).parent


def clean_environ(**extra: str) -> dict[str, str]:
    """Return this process's environment without any Jira or pmrollup settings, plus `extra`."""
    kept = {k: v for k, v in os.environ.items() if not k.startswith(("JIRA_", "PMROLLUP_"))}
    return {**kept, **extra}


def write_app_yaml(folder: Path, store_path: str = "pmrollup.sqlite3") -> Path:
    """Write an app.yaml naming `store_path` (relative to the folder, or absolute) and return it."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "app.yaml"
    path.write_text(f"store: {{path: '{store_path}'}}\n", encoding="utf-8")
    return path


def wait_for_line(log: Path, pattern: str, process: subprocess.Popen[bytes], timeout: float = 60) -> str:
    """Wait until `pattern` appears in `log` and return its first group; fail if the process ends first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = re.search(pattern, log.read_text(errors="replace"))
        if found:
            return found.group(1)
        assert process.poll() is None, log.read_text(errors="replace")[-3000:]
        time.sleep(0.05)
    raise AssertionError(f"{pattern!r} never appeared: {log.read_text(errors='replace')[-3000:]}")


def gunicorn_command(workers: int = 1) -> list[str]:
    """Return the production command line: gunicorn serving `webhooks.app:create_app()` on a free port."""
    return [str(BIN / "gunicorn"), "-b", "127.0.0.1:0", "-w", str(workers), "webhooks.app:create_app()"]


@contextmanager
def gunicorn(folder: Path, environ: Mapping[str, str], workers: int = 1) -> Iterator[str]:
    """Run gunicorn on the app factory in `folder` until the block ends; yield its base URL."""
    log = folder / "gunicorn.log"
    with log.open("ab") as out:
        process = subprocess.Popen(gunicorn_command(workers), env=dict(environ), stdout=out, stderr=out,
                                   cwd=folder)
    try:
        url = wait_for_line(log, r"Listening at: (http://127\.0\.0\.1:\d+)", process)
        wait_for_line(log, r'"event": "(service\.start)"', process)  # a worker has built the app
        yield url
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


def run_pmrollup(argv: Sequence[str], environ: Mapping[str, str], cwd: Path,
                 timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run the `pmrollup` console script to its end and capture what it printed."""
    return subprocess.run([str(BIN / "pmrollup"), *argv], env=dict(environ), cwd=cwd, capture_output=True,
                          text=True, timeout=timeout)


def raw_exchange(url: str, request: bytes, half_close: bool = False, timeout: float = 30) -> bytes:
    """Send `request` as is over a fresh TCP connection and return all the server answers.

    With `half_close`, the client stops sending after the request, as one cut off mid-body does."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=timeout) as conn:
        conn.sendall(request)
        if half_close:
            conn.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
            if b"\r\n\r\n" in answer and _complete(answer):
                break
    return answer


def _complete(answer: bytes) -> bool:
    head, _, body = answer.partition(b"\r\n\r\n")
    found = re.search(rb"(?im)^content-length:\s*(\d+)", head)
    return found is not None and len(body) >= int(found.group(1))
