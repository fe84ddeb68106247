"""What the store holds, as Prometheus gauges read at each scrape: the work waiting and the fields the
site refuses. Every process on one store reads the same figures, so they need no sharing between them."""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from webhooks.store.inbox import Inbox, StoreError


class StoreGauges(Collector):
    """`pmrollup_queue_depth` by kind of work and `pmrollup_site_problems`, from the store."""

    def __init__(self, inbox: Inbox) -> None:
        self.inbox = inbox

    def collect(self) -> Iterable[Metric]:
        """Return the gauges, or none when the store cannot be read (the scrape still answers; /readyz
        says what is wrong)."""
        try:
            counts = self.inbox.counts()
            refused = self.inbox.site_problems()
        except StoreError:
            return []
        depth = GaugeMetricFamily("pmrollup_queue_depth", "Work waiting in the inbox.", labels=("kind",))
        for kind, value in (("deliveries", counts.deliveries_pending), ("targets", counts.targets_pending),
                            ("leased", counts.targets_leased),
                            ("dead", counts.targets_dead + counts.deliveries_dead)):
            depth.add_metric((kind,), value)
        site = GaugeMetricFamily(
            "pmrollup_site_problems",
            "Output fields the Jira site refuses, per field, project and issue type (pmrollup check).",
            labels=("kind",))
        site.add_metric(("fields",), len(refused))
        return [depth, site]
