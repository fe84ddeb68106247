"""Rule files and evaluation settings that take effect in a running service when their files change.

Before each round (idle or not) a worker asks whether `app.yaml` or a rule file changed: one `stat`
per file (size and modification time), no read. A changed file is read only once its stamp has held
for SETTLE_SECONDS, so a file being saved (truncated, then written) is never taken half-written: an
empty rule file, taken as no rules, would clear every finding with a comment. A good edit is used
from the next recompute on; a bad one is refused with its file and line, and the last good rules keep
running. Sections that shape more than evaluation (which Jira, the hierarchy, the store, what the web
side accepts, the worker's timing, the schedules, the time zone the schedules read) keep their
running values until a restart, and the log names the keys that changed.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, fields, is_dataclass, replace
from pathlib import Path

from rules.config import AppConfig, ConfigError
from rules.engine import RuleError, RuleSet
from rules.wording import counted
from webhooks.settings.appyaml import load_config
from webhooks.settings.rulefiles import check_rule_files, load_rules, rule_paths
from webhooks.store.inbox import Inbox, StoreError
from webhooks.store.notices import RULES_NOTICE
from webhooks.telemetry.logs import describe, log_event

# app.yaml sections a running worker takes on the fly, with the AppConfig attribute each fills.
HOT_SECTIONS: Mapping[str, str] = {
    "rules": "rule_files", "comments": "comments", "outputs": "outputs",
    "dependencies": "dependency_link_types", "cost": "hourly_rate", "fields": "fields",
    "forecast": "forecast",
}
# The sections that need a restart: the web side, the store, the schedules and Jira's client are
# built from them once at start (the time zone too: the schedules' cron expressions are read in it).
RESTART_SECTIONS: Mapping[str, str] = {
    "timezone": "timezone", "jira": "jira", "hierarchy": "hierarchy", "webhooks": "webhooks",
    "store.path": "store_path", "worker": "worker", "schedule": "schedule",
}
# The hot settings that decide what the connector reads: a change makes it look its fields up again.
READ_SHAPING = ("fields", "outputs", "dependency_link_types")
MAX_ERRORS_SHOWN = 5

Stamp = tuple[int, int]  # a file's modification time (ns) and size; (-1, -1) when it is missing
SETTLE_SECONDS = 0.5  # how long a changed file must stay unchanged before it is read
MAX_SETTLE_LOOKS = 10  # a recompute waits this many looks at most for a file still being written


@dataclass(frozen=True)
class InForce:
    """The configuration and rules a running process evaluates with; `generation` counts reloads."""

    config: AppConfig
    rules: RuleSet
    generation: int = 0


def rule_labels(rules: RuleSet) -> frozenset[str]:
    """Return the labels the rules add, which pmrollup's own label edits may carry."""
    return frozenset(label for rule in rules.rules for label in rule.labels)


def reads_differ(old: AppConfig, new: AppConfig) -> bool:
    """Tell whether the settings that decide which Jira fields are read and written differ."""
    return any(getattr(old, attr) != getattr(new, attr) for attr in READ_SHAPING)


def restart_keys(running: AppConfig, edited: AppConfig) -> list[str]:
    """Name the keys, as app.yaml spells them, whose edited value waits for a restart."""
    changed: list[str] = []
    for name, attr in RESTART_SECTIONS.items():
        old, new = getattr(running, attr), getattr(edited, attr)
        if old == new:
            continue
        if is_dataclass(old) and not isinstance(old, type):
            changed += [f"{name}.{f.name}" for f in fields(old)
                        if getattr(old, f.name) != getattr(new, f.name)]
        else:
            changed.append(name)
    return changed


def watched_files(config: AppConfig) -> list[str]:
    """Return app.yaml and the rule files in force; a folder of rules is watched with its files."""
    found = [config.path]
    for path in map(Path, rule_paths(config)):
        found.append(str(path))
        if path.is_dir():
            found += [str(p) for p in sorted([*path.glob("*.yaml"), *path.glob("*.yml")])]
    return found


def stamps(paths: Iterable[str]) -> dict[str, Stamp]:
    """Return each file's modification time and size, without reading it."""
    found: dict[str, Stamp] = {}
    for path in paths:
        try:
            info = os.stat(path)
        except OSError:
            found[path] = (-1, -1)
        else:
            found[path] = (info.st_mtime_ns, info.st_size)
    return found


class LiveRules:
    """The rules and evaluation settings of one process, re-read when their files change.

    Shared by the worker threads (each takes a new generation before its next recompute) and the
    web side (`reload_problem` for /readyz); one lock guards the check and the reload. With a
    `store`, a refused edit is also left there as a notice, for the /readyz of processes that do not
    watch the files (gunicorn's web workers), and taken back once good rules are in force."""

    def __init__(self, config: AppConfig, rules: RuleSet | None = None, *,
                 store: Inbox | None = None, settle_seconds: float = SETTLE_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._lock = threading.Lock()
        self._in_force = InForce(config, rules if rules is not None else load_rules(rule_paths(config)))
        self._seen = stamps(watched_files(config))
        self._settle = settle_seconds
        self._clock = clock
        self._changed: tuple[dict[str, Stamp], float] | None = None  # stamps of a change, when first seen
        self._problem: str | None = None
        self._announced: list[str] = []
        self._store = store
        self._tell(None)  # the rules this process starts with are good: an older refusal is over

    @property
    def in_force(self) -> InForce:
        """Return the last good configuration and rules."""
        return self._in_force

    def reload_problem(self) -> str | None:
        """Return why the last edit of app.yaml or a rule file was refused, or None when it was not."""
        self.refresh()
        return self._problem

    def refresh(self, *, settled: bool = False) -> InForce:
        """Re-load app.yaml and the rules when a watched file changed and has since held still for the
        settling time; return what is in force. A file changed too lately is looked at again on the
        next call, or, with `settled` (before a recompute, which must judge by the edit just saved),
        after waiting for it to hold still, up to MAX_SETTLE_LOOKS times. The wait holds no lock:
        the web side's /readyz answers meanwhile."""
        for _ in range(MAX_SETTLE_LOOKS):
            with self._lock:
                wait = self._look()
            if wait is None or not settled:
                break
            time.sleep(wait)
        return self._in_force

    def _look(self) -> float | None:
        """Reload when a change has held still long enough; return how long it still has to hold, or
        None when nothing waits (no change, or the change is taken)."""
        now, before = self._clock(), stamps(self._seen)
        if before == self._seen:
            self._changed = None
            return None
        if self._changed is None or self._changed[0] != before:
            self._changed = (before, now)  # still being written, perhaps
        left = self._changed[1] + self._settle - now
        if left > 0:
            return left
        self._changed = None
        self._reload(before)
        return None

    def _reload(self, before: dict[str, Stamp]) -> None:
        edited = sorted(path for path, stamp in before.items() if self._seen.get(path) != stamp)
        self._seen = before  # a refused edit is not re-read until its files change again
        current = self._in_force
        try:
            fresh = load_config(current.config.path)
        except (ConfigError, OSError) as exc:
            self._refuse(edited, [str(exc)])
            return
        # The files the edited app.yaml names are watched from now on, refused or not, so fixing a
        # rule file it newly names is noticed. Stamped before they are read: an edit made while they
        # are read is noticed next time.
        named = stamps(watched_files(fresh))
        try:
            problems = [str(e) for e in check_rule_files(rule_paths(fresh))]
            rules = load_rules(rule_paths(fresh)) if not problems else None
        except (ConfigError, RuleError, OSError) as exc:
            problems, rules = [str(exc)], None
        if rules is None:
            self._seen = {**named, **before}
            self._refuse(edited, problems)
            return
        self._seen = {**named, **{p: s for p, s in before.items() if p in named}}
        if self._problem is not None:
            self._problem = None
            self._tell(None)
        self._announce_restart(restart_keys(current.config, fresh))
        adopted = replace(current.config, **{attr: getattr(fresh, attr) for attr in HOT_SECTIONS.values()})
        rules_edited = (bool(set(edited) - {current.config.path})
                        or rule_paths(fresh) != rule_paths(current.config))
        if adopted == current.config and not rules_edited:
            return
        self._in_force = InForce(adopted, rules, current.generation + 1)
        log_event("rules.reloaded", files=edited, rules=len(rules.rules), generation=current.generation + 1)

    def _refuse(self, edited: list[str], errors: list[str]) -> None:
        more = f" (and {counted(len(errors) - 1, 'more problem')})" if len(errors) > 1 else ""
        self._problem = f"edit refused, the last good rules keep running: {errors[0]}{more}"
        self._tell(self._problem)
        log_event("rules.reload_refused", logging.ERROR, files=edited, error=errors[0],
                  errors=errors[:MAX_ERRORS_SHOWN],
                  note="the last good rules keep running; fix the file and save it again")

    def _tell(self, problem: str | None) -> None:
        """Leave the refusal in the store as a notice (None takes it back); a store that cannot be
        written is logged and does not stop the reload: the worker's own /readyz still says it."""
        if self._store is None:
            return
        try:
            if problem is None:
                self._store.clear_notice(RULES_NOTICE)
            else:
                self._store.set_notice(RULES_NOTICE, problem)
        except StoreError as exc:
            log_event("service.error", logging.ERROR, reason=describe(exc), notice=RULES_NOTICE)

    def _announce_restart(self, keys: list[str]) -> None:
        if keys and keys != self._announced:
            log_event("config.restart_needed", logging.WARNING, keys=keys,
                      note="these keys keep their running values until pmrollup is restarted")
        self._announced = keys

