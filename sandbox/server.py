"""Serve the sandbox over real HTTP on loopback, in a thread (tests) or in the foreground (CLI)."""

from __future__ import annotations

import signal
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import quote

import requests
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from sandbox.app import create_app
from sandbox.context import Site

# How often the serving thread looks for a shutdown: a stop waits this long at most.
POLL_SECONDS = 0.01


class _QuietHandler(WSGIRequestHandler):
    """Serve requests without a log line each (the request log is at /sandbox/requests)."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return None


class RunningSandbox:
    """A sandbox Jira served from a daemon thread; stop it with `.stop()` or a `with` block."""

    def __init__(self, seed: Mapping[str, Any] | str | Path, flavor: str = "cloud", host: str = "127.0.0.1",
                 port: int = 0, quiet: bool = True) -> None:
        self.flavor = flavor
        self.app = create_app(seed, flavor)
        self.site: Site = self.app.site
        self._server: BaseWSGIServer = make_server(
            host, port, self.app, threaded=True, request_handler=_QuietHandler if quiet else None)
        self.url = f"http://{host}:{self._server.server_port}"
        self.site.announcer.base = self.url
        self._thread = threading.Thread(target=self._server.serve_forever, args=(POLL_SECONDS,),
                                        name="sandbox-http", daemon=True)
        self._thread.start()
        self._http = requests.Session()

    @property
    def admin_auth(self) -> tuple[str, str]:
        """Return (email, token) of the first site admin."""
        admin = next(u for u in self.site.store.users.values() if u.admin)
        return admin.email, admin.token

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self.site.deliveries.stop()
        self._http.close()

    def __enter__(self) -> RunningSandbox:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def _call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        response = self._http.request(method, self.url + path, timeout=30, **kwargs)
        response.raise_for_status()
        return response

    def requests(self, path_prefix: str | None = None) -> list[dict[str, Any]]:
        """Return the REST requests served so far (method, path, query, status, time)."""
        served: list[dict[str, Any]] = self._call("GET", "/sandbox/requests").json()
        return [r for r in served if path_prefix is None or r["path"].startswith(path_prefix)]

    def clear_requests(self) -> None:
        self._call("DELETE", "/sandbox/requests")

    def edit(self, key: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """Change an issue as a person would (status, parent, fields by display name)."""
        result: dict[str, Any] = self._call("POST", f"/sandbox/issues/{key}", json=dict(body)).json()
        return result

    def create(self, body: Mapping[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = self._call("POST", "/sandbox/issues", json=dict(body)).json()
        return result

    def delete(self, key: str) -> None:
        self._call("DELETE", f"/sandbox/issues/{key}")

    def screen(self, issuetype: str, project: str | None = None, off: Sequence[str] = (),
               on: Sequence[str] = ()) -> dict[str, Any]:
        """Take fields off an issue type's edit screen or put them back, in one project or (None) all."""
        body: dict[str, Any] = {"issuetype": issuetype, "off": list(off), "on": list(on)}
        if project is not None:
            body["project"] = project
        result: dict[str, Any] = self._call("POST", "/sandbox/screens", json=body).json()
        return result

    def edit_field(self, name: str, options: Sequence[str] | None = None,
                   kind: str | None = None) -> dict[str, Any]:
        """Replace a field's options and/or change its type (number, text, date, select, labels)."""
        body: dict[str, Any] = {}
        if options is not None:
            body["options"] = list(options)
        if kind is not None:
            body["type"] = kind
        path = f"/sandbox/fields/{quote(name, safe='')}"
        result: dict[str, Any] = self._call("POST", path, json=body).json()
        return result

    def faults(self, **faults: Any) -> dict[str, Any]:
        """Set faults (rate_429, retry_after, rate_5xx, latency_ms, page_cap, ...); none clears them."""
        result: dict[str, Any] = self._call("POST", "/sandbox/faults", json=faults).json()
        return result

    def issue_json(self, key: str, version: str = "2") -> dict[str, Any]:
        """Read an issue through the REST API as the admin."""
        path = f"/rest/api/{version}/issue/{key}"
        result: dict[str, Any] = self._call("GET", path, auth=self.admin_auth).json()
        return result

    def deliveries(self) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", "/sandbox/deliveries").json()
        return result

    def wait_deliveries_idle(self, timeout: float = 10.0) -> bool:
        """Wait until every webhook delivery is sent or given up; False on timeout."""
        return self.site.deliveries.wait_idle(timeout)


def start_sandbox(seed: Mapping[str, Any] | str | Path, flavor: str = "cloud", host: str = "127.0.0.1",
                  port: int = 0) -> RunningSandbox:
    """Start a sandbox Jira on loopback and return it running."""
    return RunningSandbox(seed, flavor, host, port)


def serve(seed_path: str | Path, flavor: str = "cloud", host: str = "127.0.0.1", port: int = 8081) -> None:
    """Serve a seed until Ctrl-C (SIGINT) or SIGTERM, printing the URL and the credentials to use.

    The handlers are in place before the URL is printed, so a signal at any moment after it stops the
    sandbox cleanly, even where the process was started with SIGINT ignored (a shell's background job)."""
    stop = threading.Event()
    previous = {number: signal.signal(number, lambda *_: stop.set())
                for number in (signal.SIGINT, signal.SIGTERM)}
    try:
        sandbox = RunningSandbox(Path(seed_path), flavor, host, port, quiet=False)
        try:
            _announce(sandbox, seed_path, flavor)
            while not stop.wait(1.0):  # wakes each second so that the handlers run
                pass
        finally:
            sandbox.stop()
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def _announce(sandbox: RunningSandbox, seed_path: str | Path, flavor: str) -> None:
    users = list(sandbox.site.store.users.values())
    print(f"pmrollup sandbox ({flavor}) serving {seed_path} at {sandbox.url}", flush=True)
    for user in users:
        role = "site admin" if user.admin else "user"
        how = f"token {user.token}" if flavor == "cloud" else f"token {user.token} (Basic or Bearer)"
        print(f"  {role}: {user.email} / {how}", flush=True)
    print(f"  JIRA_URL={sandbox.url} JIRA_USER={users[0].email} JIRA_TOKEN=<token above>", flush=True)
