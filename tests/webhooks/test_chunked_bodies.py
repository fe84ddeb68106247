"""A broken chunked body is the client's fault: 400 with a hint, on werkzeug (as `pmrollup serve`
serves) and on gunicorn (as production serves), and the next delivery is served as usual."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from tests.webhooks.conftest import SECRET, issue_event, signed_headers
from tests.webhooks.processes import clean_environ, gunicorn, raw_exchange, write_app_yaml
from webhooks.store.inbox import SqliteInbox
from webhooks.web.signature import SECRET_ENV

HEAD = (b"POST /webhooks/jira HTTP/1.1\r\nHost: pmrollup\r\nContent-Type: application/json\r\n"
        b"Transfer-Encoding: chunked\r\n")

# (body after the headers, whether the client stops sending after it)
BROKEN = {
    "chunk size not hex": (b"zz\r\n{}\r\n0\r\n\r\n", False),
    "chunk longer than its size": (b"2\r\n{}}}\r\n0\r\n\r\n", False),
    "body cut off mid-chunk": (b'ff\r\n{"webhookEvent": "jira:issue_updated"', True),
    "no last chunk": (b"2\r\n{}\r\n", True),
}


def signed_request(body: bytes) -> bytes:
    """Return a well-formed, signed chunked delivery of `body`."""
    headers = b"".join(f"{k}: {v}\r\n".encode() for k, v in signed_headers(body).items()
                       if k != "Content-Type")
    return HEAD + headers + b"\r\n" + b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)


def status_and_json(answer: bytes) -> tuple[int, dict[str, str]]:
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), json.loads(body)


@pytest.fixture(scope="module")
def shared_gunicorn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, SqliteInbox]]:
    """One gunicorn for the module: each case's broken body comes to a service that has already
    answered the cases before it."""
    folder = tmp_path_factory.mktemp("gunicorn")
    write_app_yaml(folder, "inbox.sqlite3")
    with gunicorn(folder, clean_environ(**{SECRET_ENV: SECRET})) as url:
        yield url, SqliteInbox(folder / "inbox.sqlite3")


@pytest.fixture(params=["werkzeug", "gunicorn"])
def server(request: pytest.FixtureRequest) -> tuple[str, SqliteInbox]:
    """The service over real HTTP, served as `pmrollup serve` serves it or as gunicorn does."""
    if request.param == "werkzeug":
        return request.getfixturevalue("live_url"), request.getfixturevalue("store")
    shared: tuple[str, SqliteInbox] = request.getfixturevalue("shared_gunicorn")
    return shared


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_a_broken_chunked_body_is_answered_400_with_a_hint_and_the_service_keeps_serving(
        server: tuple[str, SqliteInbox], case: str) -> None:
    url, store = server
    body, half_close = BROKEN[case]
    stored = store.counts().deliveries_stored  # the shared gunicorn's store holds the cases before
    status, answer = status_and_json(raw_exchange(url, HEAD + b"\r\n" + body, half_close=half_close))
    assert status == 400, answer
    assert answer["error"].startswith("body could not be read")
    assert "chunked" in answer["hint"]
    assert store.counts().deliveries_stored == stored
    delivery = issue_event(f"PAY-{sorted(BROKEN).index(case) + 7}")  # a new delivery for each case
    status, answer = status_and_json(raw_exchange(url, signed_request(delivery)))
    assert (status, answer) == (202, {"status": "accepted"})
    assert store.counts().deliveries_stored == stored + 1
