"""Every event name pmrollup logs is one of the stable names dashboards and alerts key on."""

from __future__ import annotations

import re
from pathlib import Path

from webhooks.telemetry.logs import EVENTS

ROOT = Path(__file__).resolve().parents[1]
LOGGED = re.compile(r'log_event\(\s*"([a-z_.]+)"')


def logged_names() -> dict[str, str]:
    """Return each event name written in the product's code, with the file that logs it."""
    found: dict[str, str] = {}
    for folder in ("connector", "rules", "webhooks"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            for match in LOGGED.finditer(path.read_text(encoding="utf-8")):
                found[match.group(1)] = str(path.relative_to(ROOT))
    return found


def test_every_logged_event_is_a_listed_stable_name() -> None:
    unlisted = {name: where for name, where in logged_names().items() if name not in EVENTS}
    assert unlisted == {}, "add these to webhooks.logs.EVENTS with a comment saying when they happen"


def test_the_scan_sees_the_events_it_should() -> None:
    names = logged_names()
    assert {"webhook.accepted", "recompute.done", "jira.retry"} <= set(names)


def test_an_event_the_connector_logs_is_one_flat_line() -> None:
    import io
    import json
    import logging

    from connector.eventlog import log_event
    from webhooks.telemetry.logs import configure_logging

    stream = io.StringIO()
    handler = configure_logging(stream)
    try:
        log_event("jira.retry", logging.WARNING, status=429, wait=1.0, authorization="Basic abc")
    finally:
        logging.getLogger("pmrollup").removeHandler(handler)
    [line] = [json.loads(text) for text in stream.getvalue().splitlines()]
    assert line["event"] == "jira.retry" and line["status"] == 429 and line["level"] == "warning"
    assert line["authorization"] == "[redacted]"
