"""Sign and verify webhook bodies with HMAC-SHA256, as Jira's `X-Hub-Signature` carries them."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping

HEADER = "X-Hub-Signature"
METHOD = "sha256"
SECRET_ENV = "PMROLLUP_WEBHOOK_SECRET"


def secret_from(environ: Mapping[str, str]) -> str | None:
    """Return the webhook secret the environment sets, trimmed; None when unset or only whitespace."""
    return environ.get(SECRET_ENV, "").strip() or None


def sign(secret: str, body: bytes) -> str:
    """Return the header value Jira sends for `body`: `sha256=<hex digest>`."""
    digest = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return f"{METHOD}={digest}"


def verify(secret: str, body: bytes, header: str | None) -> bool:
    """Tell whether `header` is the HMAC-SHA256 of `body` under `secret`, compared in constant time."""
    if not header:
        return False
    # Jira prefixes the digest with the method name ("sha256=..."), like GitHub does.
    # https://developer.atlassian.com/cloud/jira/platform/webhooks/#secure-admin-webhooks
    method, sep, given = header.strip().partition("=")
    if not sep or method.strip().lower() != METHOD:
        return False
    expected = sign(secret, body).partition("=")[2]
    return hmac.compare_digest(expected.encode("ascii"), given.strip().lower().encode("utf-8", "replace"))
