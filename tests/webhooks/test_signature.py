"""HMAC-SHA256 signatures as Jira's `X-Hub-Signature` carries them."""

from __future__ import annotations

import hashlib
import hmac

from webhooks.web.signature import sign, verify


def test_signature_is_hmac_sha256_of_the_raw_body_with_method_prefix() -> None:
    body = b'{"webhookEvent": "jira:issue_updated"}'
    expected = hmac.new(b"k", body, hashlib.sha256).hexdigest()
    assert sign("k", body) == f"sha256={expected}"


def test_only_the_right_secret_and_body_verify() -> None:
    body = b"{}"
    header = sign("k", body)
    assert verify("k", body, header)
    assert verify("k", body, "  " + header.upper().replace("SHA256=", "sha256=") + " ")
    assert not verify("other", body, header)
    assert not verify("k", b"{} ", header)
    assert not verify("k", body, None)
    assert not verify("k", body, "")
    assert not verify("k", body, header.partition("=")[2])
    assert not verify("k", body, "sha256=")
    assert not verify("k", body, "sha256=\udcff")
