"""Where the gateway last saw each epic: the initiative above it, read from a search that asked for it."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from connector.convert import fields_of, program_key_of
from connector.fieldmap import FieldIds
from connector.hierarchy import level_of
from connector.payload import text
from rules.config import AppConfig


@dataclass(frozen=True)
class Sighting:
    """An epic's initiative as Jira answered at `seen_at` (None: under none); `known` False: in doubt."""

    program: str | None
    seen_at: float
    known: bool = True


def program_fields_asked(fields: Sequence[str], ids: FieldIds, config: AppConfig) -> bool:
    """Tell whether a search asked for every field that says which initiative an epic is under."""
    asked = set(fields)
    if "issuetype" not in asked:
        return False
    if config.hierarchy.program_link != "parent":
        return "issuelinks" in asked
    return "parent" in asked and (ids.parent_link is None or ids.parent_link in asked)


class EpicSightings:
    """The latest sighting of each epic in one process (thread-safe); newer news wins."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self._seen: dict[str, Sighting] = {}
        self._lock = threading.Lock()

    def record(self, raws: Iterable[Mapping[str, Any]], fields: Sequence[str], ids: FieldIds,
               config: AppConfig) -> None:
        """Note the initiative of every epic among a search's issues, when the search asked for it."""
        if not program_fields_asked(fields, ids, config):
            return
        now = self.clock()
        found = {}
        for raw in raws:
            key = text(raw.get("key"))
            if key and level_of(fields_of(raw).get("issuetype"), config) == "project":
                found[key.upper()] = Sighting(program_key_of(raw, ids, config), now)
        self.update(found)

    def update(self, found: Mapping[str, Sighting]) -> None:
        """Keep each sighting unless a newer one is already held."""
        with self._lock:
            for epic, seen in found.items():
                held = self._seen.get(epic)
                if held is None or held.seen_at <= seen.seen_at:
                    self._seen[epic] = seen

    def forget(self, epics: Iterable[str], at: float) -> None:
        """Put epics in doubt as of `at`: until seen again, nothing is assumed about them."""
        self.update({epic.upper(): Sighting(None, at, known=False) for epic in epics})

    def get(self, epic: str) -> Sighting | None:
        """Return the latest sighting of an epic, or None."""
        with self._lock:
            return self._seen.get(epic.upper())

    def since(self, at: float) -> dict[str, Sighting]:
        """Return the sightings made at or after `at`."""
        with self._lock:
            return {epic: seen for epic, seen in self._seen.items() if seen.seen_at >= at}
