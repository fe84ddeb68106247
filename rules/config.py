"""Load and validate `app.yaml` into frozen objects, once, at start."""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

DEFAULT_RULES_DIR = Path(__file__).parent / "defaults"

# Metrics pmrollup can write back to Jira, with the kind of field each needs.
OUTPUT_KINDS: dict[str, str] = {
    "progress_pct": "number",
    "points_total": "number",
    "points_done": "number",
    "items_total": "number",
    "items_done": "number",
    "scope_growth_pct": "number",
    "budget_used_pct": "number",
    "actual_cost": "number",
    "cpi": "number",
    "spi": "number",
    "eac": "number",
    "dependencies_open": "number",
    "dependencies_overdue": "number",
    "days_overdue": "number",
    "health": "select",
}


class ConfigError(Exception):
    """A configuration file that cannot be used; the message says where and why."""


@dataclass(frozen=True)
class JiraSettings:
    flavor: str = "cloud"
    projects: tuple[str, ...] = ()
    timeout_seconds: float = 30.0
    verify_ssl: bool = True


@dataclass(frozen=True)
class HierarchySettings:
    program_types: tuple[str, ...] = ("Initiative",)
    project_types: tuple[str, ...] = ("Epic",)
    epic_link_field: str = "Epic Link"
    parent_link_field: str = "Parent Link"
    program_link: str = "parent"
    count_subtasks: bool = False


@dataclass(frozen=True)
class InputFields:
    story_points: str = "Story Points"
    budget: str = "Budget"
    cost: str = "Cost"
    start_date: str = "Start date"
    due_date: str = "Due date"


@dataclass(frozen=True)
class CommentSettings:
    on_first_run: bool = False
    quiet_hours: float = 24.0
    mode: str = "event"
    mute_label: str = "pmrollup-mute"


@dataclass(frozen=True)
class WebhookSettings:
    allow_unsigned: bool = False
    max_body_bytes: int = 5 * 1024 * 1024


@dataclass(frozen=True)
class WorkerSettings:
    debounce_seconds: float = 2.0
    max_delay_seconds: float = 10.0
    max_attempts: int = 5


@dataclass(frozen=True)
class ScheduleSettings:
    sweep: str = "0 2 * * *"
    digest: str = "0 8 * * mon"
    catchup: str = "*/15 * * * *"


@dataclass(frozen=True)
class AppConfig:
    path: str = "app.yaml"
    timezone: str = "UTC"
    jira: JiraSettings = field(default_factory=JiraSettings)
    hierarchy: HierarchySettings = field(default_factory=HierarchySettings)
    fields: InputFields = field(default_factory=InputFields)
    outputs: Mapping[str, str] = field(default_factory=dict)
    dependency_link_types: tuple[str, ...] = ("Blocks",)
    hourly_rate: float | None = None
    comments: CommentSettings = field(default_factory=CommentSettings)
    rule_files: tuple[str, ...] = ()  # empty: the shipped rules/defaults/*.yaml
    webhooks: WebhookSettings = field(default_factory=WebhookSettings)
    store_path: str = "pmrollup.sqlite3"
    worker: WorkerSettings = field(default_factory=WorkerSettings)
    schedule: ScheduleSettings = field(default_factory=ScheduleSettings)

    def rule_paths(self) -> tuple[str, ...]:
        """Return the rule files in force: those configured, else the shipped defaults."""
        if self.rule_files:
            return self.rule_files
        return tuple(str(p) for p in sorted(DEFAULT_RULES_DIR.glob("*.yaml")))

    def today(self, environ: Mapping[str, str] | None = None) -> date:
        """Return pmrollup's today: `PMROLLUP_TODAY` when set, else the date in `timezone`."""
        return resolve_today(self.timezone, os.environ if environ is None else environ)


def resolve_today(timezone: str, environ: Mapping[str, str]) -> date:
    """Return `PMROLLUP_TODAY` (YYYY-MM-DD) when set, else today's date in `timezone`."""
    frozen = environ.get("PMROLLUP_TODAY", "").strip()
    if frozen:
        try:
            return date.fromisoformat(frozen)
        except ValueError as exc:
            raise ConfigError(f"PMROLLUP_TODAY={frozen!r} is not a date: use YYYY-MM-DD") from exc
    return datetime.now(ZoneInfo(timezone)).date()


def config_path(cli_value: str | None, environ: Mapping[str, str] | None = None) -> Path:
    """Pick the file: `--config`, then `PMROLLUP_CONFIG`, then `./app.yaml`."""
    env = os.environ if environ is None else environ
    return Path(cli_value or env.get("PMROLLUP_CONFIG") or "app.yaml")


def load_config(path: str | Path) -> AppConfig:
    """Read and validate one `app.yaml`; raise ConfigError naming file, line and key."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ConfigError(
            f"{path}: no such file; pass --config FILE or set PMROLLUP_CONFIG"
        ) from exc
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read: {exc.strerror}") from exc
    return parse_config(text, str(path))


def parse_config(text: str, filename: str = "app.yaml") -> AppConfig:
    """Validate YAML text as an `app.yaml`."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"{filename}{where}: not valid YAML: {problem}") from exc
    return _Reader(filename, node).build(data or {})


_SECTIONS: dict[str, tuple[str, ...]] = {
    "": ("timezone", "jira", "hierarchy", "fields", "outputs", "dependencies", "cost",
         "comments", "rules", "webhooks", "store", "worker", "schedule"),
    "jira": ("flavor", "projects", "timeout_seconds", "verify_ssl"),
    "hierarchy": ("program_types", "project_types", "epic_link_field", "parent_link_field",
                  "program_link", "count_subtasks"),
    "fields": ("story_points", "budget", "cost", "start_date", "due_date"),
    "outputs": tuple(OUTPUT_KINDS),
    "dependencies": ("link_types",),
    "cost": ("hourly_rate",),
    "comments": ("on_first_run", "quiet_hours", "mode", "mute_label"),
    "rules": ("files",),
    "webhooks": ("allow_unsigned", "max_body_bytes"),
    "store": ("path",),
    "worker": ("debounce_seconds", "max_delay_seconds", "max_attempts"),
    "schedule": ("sweep", "digest", "catchup"),
}


class _Reader:
    """Walk the parsed YAML with its node tree at hand, so errors carry line numbers."""

    def __init__(self, filename: str, node: yaml.Node | None) -> None:
        self.filename = filename
        self.lines: dict[str, int] = {}
        if node is not None:
            self._index(node, "")

    def _index(self, node: yaml.Node, prefix: str) -> None:
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                dotted = f"{prefix}.{key_node.value}" if prefix else str(key_node.value)
                self.lines[dotted] = key_node.start_mark.line + 1
                self._index(value_node, dotted)

    def fail(self, key: str, expected: str, got: Any = None, show_got: bool = True) -> ConfigError:
        line = self.lines.get(key)
        where = f"{self.filename}:{line}" if line else self.filename
        shown = f", got {got!r}" if show_got else ""
        return ConfigError(f"{where}: key '{key}': expected {expected}{shown}")

    def section(self, data: Any, name: str) -> dict[str, Any]:
        value = data.get(name)
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise self.fail(name or "(top level)", "a mapping of keys", value)
        allowed = _SECTIONS[name]
        for key in value:
            if str(key) not in allowed:
                dotted = f"{name}.{key}" if name else str(key)
                near = difflib.get_close_matches(str(key), allowed, n=1)
                hint = f" (did you mean '{near[0]}'?)" if near else ""
                raise self.fail(dotted, f"one of: {', '.join(allowed)}{hint}", show_got=False)
        return value

    def string(self, sec: dict[str, Any], name: str, key: str, default: str,
               choices: tuple[str, ...] = ()) -> str:
        value = sec.get(key, default)
        dotted = f"{name}.{key}" if name else key
        if not isinstance(value, str) or not value.strip():
            raise self.fail(dotted, "a non-empty text", value)
        if choices and value not in choices:
            raise self.fail(dotted, f"one of {', '.join(choices)}", value)
        return value

    def strings(self, sec: dict[str, Any], name: str, key: str,
                default: tuple[str, ...]) -> tuple[str, ...]:
        value = sec.get(key, list(default))
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise self.fail(f"{name}.{key}", "a list of names", value)
        return tuple(value)

    def number(self, sec: dict[str, Any], name: str, key: str, default: float | None,
               minimum: float = 0.0, integer: bool = False) -> Any:
        value: Any = sec.get(key, default)
        if value is None and default is None:
            return None
        ok = isinstance(value, int) if integer else isinstance(value, int | float)
        if isinstance(value, bool) or not ok or value < minimum:
            kind = "a whole number" if integer else "a number"
            raise self.fail(f"{name}.{key}", f"{kind} of at least {minimum:g}", value)
        return value

    def flag(self, sec: dict[str, Any], name: str, key: str, default: bool) -> bool:
        value = sec.get(key, default)
        if not isinstance(value, bool):
            raise self.fail(f"{name}.{key}", "true or false", value)
        return value

    def build(self, data: Any) -> AppConfig:
        top = self.section({"": data}, "") if isinstance(data, dict) else None
        if top is None:
            raise self.fail("(top level)", "a mapping of keys", data)
        timezone = self.string(top, "", "timezone", "UTC")
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise self.fail("timezone", "an IANA time zone such as UTC or Europe/Paris",
                            timezone) from exc

        j = self.section(top, "jira")
        projects = self.strings(j, "jira", "projects", ())
        jira = JiraSettings(
            flavor=self.string(j, "jira", "flavor", "cloud", ("cloud", "datacenter")),
            projects=tuple(p.upper() for p in projects),
            timeout_seconds=float(self.number(j, "jira", "timeout_seconds", 30.0, 1.0)),
            verify_ssl=self.flag(j, "jira", "verify_ssl", True),
        )

        h = self.section(top, "hierarchy")
        hierarchy = HierarchySettings(
            program_types=self.strings(h, "hierarchy", "program_types", ("Initiative",)),
            project_types=self.strings(h, "hierarchy", "project_types", ("Epic",)),
            epic_link_field=self.string(h, "hierarchy", "epic_link_field", "Epic Link"),
            parent_link_field=self.string(h, "hierarchy", "parent_link_field", "Parent Link"),
            program_link=self.string(h, "hierarchy", "program_link", "parent"),
            count_subtasks=self.flag(h, "hierarchy", "count_subtasks", False),
        )

        f = self.section(top, "fields")
        defaults = InputFields()
        fields = InputFields(**{
            key: self.string(f, "fields", key, getattr(defaults, key))
            for key in _SECTIONS["fields"]
        })

        o = self.section(top, "outputs")
        outputs = {key: self.string(o, "outputs", key, "") for key in o}

        d = self.section(top, "dependencies")
        c = self.section(top, "cost")
        cm = self.section(top, "comments")
        comments = CommentSettings(
            on_first_run=self.flag(cm, "comments", "on_first_run", False),
            quiet_hours=float(self.number(cm, "comments", "quiet_hours", 24.0)),
            mode=self.string(cm, "comments", "mode", "event", ("event", "status")),
            mute_label=self.string(cm, "comments", "mute_label", "pmrollup-mute"),
        )

        r = self.section(top, "rules")
        base = Path(self.filename).resolve().parent
        rule_files = tuple(
            str(p if Path(p).is_absolute() else base / p)
            for p in self.strings(r, "rules", "files", ())
        )

        w = self.section(top, "webhooks")
        s = self.section(top, "store")
        store_path = self.string(s, "store", "path", "pmrollup.sqlite3")
        if not Path(store_path).is_absolute():
            store_path = str(base / store_path)
        wk = self.section(top, "worker")
        sc = self.section(top, "schedule")
        worker = WorkerSettings(
            debounce_seconds=float(self.number(wk, "worker", "debounce_seconds", 2.0)),
            max_delay_seconds=float(self.number(wk, "worker", "max_delay_seconds", 10.0)),
            max_attempts=int(self.number(wk, "worker", "max_attempts", 5, 1, integer=True)),
        )
        if worker.max_delay_seconds < worker.debounce_seconds:
            raise self.fail("worker.max_delay_seconds", "at least worker.debounce_seconds",
                            worker.max_delay_seconds)
        sched_defaults = ScheduleSettings()
        schedule = ScheduleSettings(**{
            key: self.string(sc, "schedule", key, getattr(sched_defaults, key))
            for key in _SECTIONS["schedule"]
        })
        hourly = self.number(c, "cost", "hourly_rate", None)
        return AppConfig(
            path=self.filename,
            timezone=timezone,
            jira=jira,
            hierarchy=hierarchy,
            fields=fields,
            outputs=outputs,
            dependency_link_types=self.strings(d, "dependencies", "link_types", ("Blocks",)),
            hourly_rate=None if hourly is None else float(hourly),
            comments=comments,
            rule_files=rule_files,
            webhooks=WebhookSettings(
                allow_unsigned=self.flag(w, "webhooks", "allow_unsigned", False),
                max_body_bytes=int(self.number(w, "webhooks", "max_body_bytes", 5 * 1024 * 1024,
                                               1024, integer=True)),
            ),
            store_path=store_path,
            worker=worker,
            schedule=schedule,
        )
