"""Where the real Jira captures live beside a development checkout."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared"
PAYLOADS = SHARED / "jira-payloads"


def captures(kind: str) -> list[Path]:
    """List the real captures of `kind` ("webhooks" or "rest"), or skip when they are absent."""
    folder = PAYLOADS / kind
    if not folder.is_dir():
        pytest.skip("../shared is absent: real Jira payloads are only available "
                    "beside a development checkout")
    return sorted(folder.rglob("*.json"))


def load(path: Path) -> Any:
    """Parse one capture, or skip when ../shared is absent."""
    if not PAYLOADS.is_dir():
        pytest.skip("../shared is absent: real Jira payloads are only available "
                    "beside a development checkout")
    return json.loads(path.read_text(encoding="utf-8"))
