"""`pmrollup serve` in one process: its /metrics has the web side's, the worker's and the store's figures."""

from __future__ import annotations

import requests

from tests.e2e.conftest import LiveFactory
from tests.webhooks.test_observing import parse_metrics


def test_serve_metrics_show_the_delivery_the_recompute_and_its_jira_requests(live: LiveFactory) -> None:
    site = live()
    site.sandbox.edit("PAY-12", {"status": "Done"})
    site.settle()
    samples = parse_metrics(requests.get(site.url + "/metrics", timeout=30).text)
    assert samples['pmrollup_webhook_deliveries_total{event="jira:issue_updated",outcome="accepted"}'] >= 1
    assert samples['pmrollup_recomputes_total{outcome="done"}'] == len(site.recomputes())
    assert samples["pmrollup_recompute_duration_seconds_count"] == len(site.recomputes())
    assert sum(v for k, v in samples.items() if k.startswith("pmrollup_jira_requests_total{")) > 0
    assert samples['pmrollup_queue_depth{kind="targets"}'] == 0
