"""Whatever a client sends, the endpoint never answers 5xx and never stores an unsigned delivery."""

from __future__ import annotations

import json
import os

from flask.testing import FlaskClient
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tests.webhooks.conftest import SECRET
from webhooks.store.inbox import SqliteInbox
from webhooks.web import signature as signature
from webhooks.web.app import ACTED_EVENTS

HEADER_TEXT = st.text(st.characters(min_codepoint=32, max_codepoint=255, exclude_characters="\x7f"),
                      max_size=80)
JSON_LEAF = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20)
JSON_VALUE = st.recursive(JSON_LEAF, lambda inner: st.lists(inner, max_size=4)
                          | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=20)
EVENT = (st.sampled_from(sorted(ACTED_EVENTS) + ["comment_created", "sprint_closed", ""])
         | st.text(max_size=12))


def _dumps(value: object) -> bytes:
    return json.dumps(value).encode()


BODIES = st.one_of(
    st.binary(max_size=300),
    JSON_VALUE.map(_dumps),
    st.fixed_dictionaries({"webhookEvent": EVENT | JSON_VALUE}, optional={"issue": JSON_VALUE}).map(_dumps),
    st.integers(1, 20_000).map(lambda depth: b'{"webhookEvent": "jira:issue_updated", "x": '
                               + b"[" * depth + b"]" * depth + b"}"),
    st.integers(1, 20_000).map(lambda depth: b"{" * depth),
    st.integers(5_000, 70_000).map(lambda size: b'{"webhookEvent": "jira:issue_updated", "pad": "'
                                   + b"x" * size + b'"}'),
    st.builds(lambda body, cut: body[:cut],
              st.fixed_dictionaries({"webhookEvent": EVENT, "issue": JSON_VALUE}).map(_dumps),
              st.integers(0, 200)),
)


# A few hundred by default; PMROLLUP_FUZZ_EXAMPLES=5000 for a longer soak.
@settings(max_examples=int(os.environ.get("PMROLLUP_FUZZ_EXAMPLES", "300")), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(body=BODIES, how=st.sampled_from(["signed", "forged", "missing", "garbage"]),
       garbage=HEADER_TEXT, ident=st.none() | HEADER_TEXT,
       content_type=st.none() | HEADER_TEXT | st.sampled_from(
           ["application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/json"]))
def test_any_request_is_never_5xx_and_unsigned_is_never_stored(
        client: FlaskClient, store: SqliteInbox, body: bytes, how: str, garbage: str,
        ident: str | None, content_type: str | None) -> None:
    headers: dict[str, str] = {}
    if how == "signed":
        headers[signature.HEADER] = signature.sign(SECRET, body)
    elif how == "forged":
        headers[signature.HEADER] = signature.sign(SECRET + "x", body)
    elif how == "garbage":
        headers[signature.HEADER] = garbage
    if ident is not None:
        headers["X-Atlassian-Webhook-Identifier"] = ident
    if content_type is not None:
        headers["Content-Type"] = content_type
    before = store.counts().deliveries_stored
    answer = client.post("/webhooks/jira", data=body, headers=headers)
    event(f"answered {answer.status_code}")
    assert answer.status_code < 500
    stored = store.counts().deliveries_stored - before
    if how != "signed":
        assert answer.status_code in (401, 413)
        assert stored == 0
    else:
        assert stored == (1 if answer.status_code == 202 else 0)
    assert client.get("/healthz").status_code == 200
