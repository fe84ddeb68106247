"""The durable epic map and the targets placed from it, on a real SQLite file."""

from __future__ import annotations

from connector.sightings import Sighting
from webhooks.store.inbox import SqliteInbox, Target


def test_epic_map_keeps_the_newest_news_and_assumes_nothing_about_a_doubted_epic(store: SqliteInbox) -> None:
    store.learn_epics({"PAY-2": Sighting("PAY-1", 10.0), "PAY-3": Sighting(None, 10.0)})
    store.learn_epics({"PAY-2": Sighting("PAY-6", 5.0)})  # older news loses
    assert store.programs_of(["pay-2", "PAY-3", "PAY-4"]) == {"PAY-2": "PAY-1", "PAY-3": None}
    store.forget_epics(["PAY-2"], 20.0)
    store.learn_epics({"PAY-2": Sighting("PAY-1", 15.0)})  # seen before the doubt: still in doubt
    assert store.programs_of(["PAY-2"]) == {}
    store.learn_epics({"PAY-2": Sighting("PAY-6", 30.0)})
    assert SqliteInbox(store.path).programs_of(["PAY-2"]) == {"PAY-2": "PAY-6"}


def test_an_epic_also_placed_by_a_search_is_no_longer_assumed(store: SqliteInbox) -> None:
    mapped = Target("program", "PAY-1", frozenset({"PAY-2", "PAY-3"}), frozenset({"10"}),
                    assumed=frozenset({"PAY-2", "PAY-3"}))
    searched = Target("program", "PAY-1", frozenset({"PAY-2"}), frozenset({"11"}))
    store.upsert_target(mapped, 0.0, 0, 0)
    store.upsert_target(searched, 0.0, 0, 0)
    leased = store.lease_due_target("me", 1.0, 60)
    assert leased is not None
    assert leased.target == Target("program", "PAY-1", frozenset({"PAY-2", "PAY-3"}), frozenset({"10", "11"}),
                                   assumed=frozenset({"PAY-3"}))
