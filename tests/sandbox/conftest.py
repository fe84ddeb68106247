"""Fixtures of the sandbox's tests: a real HTTP receiver for the webhooks the sandbox delivers."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from sandbox.server import RunningSandbox

SECRET = "s3cret-for-tests"
ALL_EVENTS = ["jira:issue_created", "jira:issue_updated", "jira:issue_deleted", "comment_created",
              "comment_updated", "issuelink_created", "issuelink_deleted"]


class _Quiet(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return None


class Receiver:
    """A plain HTTP server that records each delivery; `fail_first` answers 500 that many times."""

    def __init__(self, fail_first: int = 0) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.fail_first = fail_first
        self._server: BaseWSGIServer = make_server("127.0.0.1", 0, self._app, threaded=True,
                                                   request_handler=_Quiet)
        self.url = f"http://127.0.0.1:{self._server.server_port}/hook"
        threading.Thread(target=self._server.serve_forever, args=(0.01,), daemon=True).start()

    def _app(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        self.received.append((dict(request.headers), request.get_data()))
        if self.fail_first > 0:
            self.fail_first -= 1
            return Response("try later", status=500)(environ, start_response)
        return Response(status=204)(environ, start_response)

    def payloads(self) -> list[dict[str, Any]]:
        return [json.loads(body) for _, body in self.received]

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    started = Receiver()
    yield started
    started.stop()


def register(sandbox: RunningSandbox, url: str, events: list[str] = ALL_EVENTS, jql: str = "",
             secret: str | None = SECRET, auth: tuple[str, str] | None = None) -> requests.Response:
    body: dict[str, Any] = {"name": "pmrollup", "url": url, "events": events,
                            "filters": {"issue-related-events-section": jql}, "excludeBody": False}
    if secret:
        body["secret"] = secret
    return requests.post(f"{sandbox.url}/rest/webhooks/1.0/webhook", json=body, timeout=10,
                         auth=auth or sandbox.admin_auth)
