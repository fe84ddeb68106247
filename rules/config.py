"""Validate the text of `app.yaml` into frozen settings, once, at start."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from rules.configreader import ConfigError as ConfigError
from rules.configreader import KeyReader
from rules.throughput import FORECAST_METRIC_KINDS, ForecastSettings
from rules.yamltext import UnreadableText, load

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
    "health_reason": "text",
    **FORECAST_METRIC_KINDS,  # dates, numbers and the basis as text
}


FLAVORS = ("cloud", "datacenter")
COMMENT_MODES = ("event", "status")
MAX_QUIET_HOURS = 24 * 366  # a year: longer would outlast any finding's life


@dataclass(frozen=True)
class JiraSettings:
    flavor: str = "cloud"
    projects: tuple[str, ...] = ()
    timeout_seconds: float = 30.0
    verify_ssl: bool = True
    # A request that may succeed later (throttled, 5xx, refused) is tried this many times in all,
    # waiting base, 2 x base, 4 x base ... (jittered, at most 30 s) between tries.
    retry_attempts: int = 5
    retry_base_seconds: float = 0.5


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
    metrics_port: int = 9464  # where `pmrollup worker` answers GET /metrics; 0 serves none


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
    rule_files: tuple[str, ...] = ()  # empty: the shipped rules/defaults/*.yaml (webhooks.settings)
    webhooks: WebhookSettings = field(default_factory=WebhookSettings)
    store_path: str = "pmrollup.sqlite3"
    worker: WorkerSettings = field(default_factory=WorkerSettings)
    schedule: ScheduleSettings = field(default_factory=ScheduleSettings)
    forecast: ForecastSettings = field(default_factory=ForecastSettings)


def parse_config(text: str, filename: str = "app.yaml") -> AppConfig:
    """Validate YAML text as an `app.yaml`, `filename` naming it in errors; the paths it holds are
    kept as written (webhooks.settings places them beside the file)."""
    try:
        node, data = load(text)
    except UnreadableText as exc:
        where = f":{exc.problem.line}" if exc.problem.line is not None else ""
        raise ConfigError(f"{filename}{where}: {exc.problem.message}") from exc
    return _build(KeyReader(filename, node, _SECTIONS), data or {})


_SECTIONS: dict[str, tuple[str, ...]] = {
    "": ("timezone", "jira", "hierarchy", "fields", "outputs", "dependencies", "cost",
         "comments", "rules", "webhooks", "store", "worker", "schedule", "forecast"),
    "jira": ("flavor", "projects", "timeout_seconds", "verify_ssl", "retry_attempts", "retry_base_seconds"),
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
    "worker": ("debounce_seconds", "max_delay_seconds", "max_attempts", "metrics_port"),
    "schedule": ("sweep", "digest", "catchup"),
    "forecast": ("window_days", "min_done", "trials", "min_move_days"),
}
# The bounds of each forecast setting: a window of at least a week, at most the three years a
# forecast looks ahead; trials enough for a 95th percentile, few enough to stay cheap.
_FORECAST_BOUNDS = {"window_days": (7, 3 * 365), "min_done": (1, 10_000), "trials": (100, 100_000),
                    "min_move_days": (0, 365)}
_DEFAULTS = AppConfig()


def _build(r: KeyReader, data: Any) -> AppConfig:
    """Turn the parsed file into settings, every value checked, defaults from the dataclasses."""
    top = r.section({"": data}, "") if isinstance(data, dict) else None
    if top is None:
        raise r.fail("(top level)", "a mapping of keys", data)
    timezone = r.string(top, "", "timezone", _DEFAULTS.timezone)
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise r.fail("timezone", "an IANA time zone such as UTC or Europe/Paris", timezone) from exc

    jd, j = _DEFAULTS.jira, r.section(top, "jira")
    jira = JiraSettings(
        flavor=r.string(j, "jira", "flavor", jd.flavor, FLAVORS),
        projects=tuple(p.upper() for p in r.strings(j, "jira", "projects", jd.projects)),
        timeout_seconds=float(r.number(j, "jira", "timeout_seconds", jd.timeout_seconds, 1.0)),
        verify_ssl=r.flag(j, "jira", "verify_ssl", jd.verify_ssl),
        retry_attempts=int(r.number(j, "jira", "retry_attempts", jd.retry_attempts, 1, integer=True,
                                    maximum=20)),
        retry_base_seconds=float(r.number(j, "jira", "retry_base_seconds", jd.retry_base_seconds,
                                          maximum=60)),
    )

    hd, h = _DEFAULTS.hierarchy, r.section(top, "hierarchy")
    hierarchy = HierarchySettings(
        program_types=r.strings(h, "hierarchy", "program_types", hd.program_types),
        project_types=r.strings(h, "hierarchy", "project_types", hd.project_types),
        epic_link_field=r.string(h, "hierarchy", "epic_link_field", hd.epic_link_field),
        parent_link_field=r.string(h, "hierarchy", "parent_link_field", hd.parent_link_field),
        program_link=r.string(h, "hierarchy", "program_link", hd.program_link),
        count_subtasks=r.flag(h, "hierarchy", "count_subtasks", hd.count_subtasks),
    )

    f = r.section(top, "fields")
    fields = InputFields(**{key: r.string(f, "fields", key, getattr(_DEFAULTS.fields, key))
                            for key in _SECTIONS["fields"]})
    o = r.section(top, "outputs")
    outputs = {key: r.string(o, "outputs", key, "") for key in o}

    cd, cm = _DEFAULTS.comments, r.section(top, "comments")
    comments = CommentSettings(
        on_first_run=r.flag(cm, "comments", "on_first_run", cd.on_first_run),
        quiet_hours=float(r.number(cm, "comments", "quiet_hours", cd.quiet_hours,
                                   maximum=MAX_QUIET_HOURS)),
        mode=r.string(cm, "comments", "mode", cd.mode, COMMENT_MODES),
        mute_label=r.string(cm, "comments", "mute_label", cd.mute_label),
    )

    rule_files = r.strings(r.section(top, "rules"), "rules", "files", ())
    store_path = r.string(r.section(top, "store"), "store", "path", _DEFAULTS.store_path)

    wd, wk = _DEFAULTS.worker, r.section(top, "worker")
    worker = WorkerSettings(
        debounce_seconds=float(r.number(wk, "worker", "debounce_seconds", wd.debounce_seconds)),
        max_delay_seconds=float(r.number(wk, "worker", "max_delay_seconds", wd.max_delay_seconds)),
        max_attempts=int(r.number(wk, "worker", "max_attempts", wd.max_attempts, 1, integer=True)),
        metrics_port=int(r.number(wk, "worker", "metrics_port", wd.metrics_port, 0, integer=True,
                                  maximum=65535)),
    )
    if worker.max_delay_seconds < worker.debounce_seconds:
        raise r.fail("worker.max_delay_seconds", "at least worker.debounce_seconds",
                     worker.max_delay_seconds)
    sc = r.section(top, "schedule")
    schedule = ScheduleSettings(**{
        key: r.cron(sc, "schedule", key, getattr(_DEFAULTS.schedule, key), timezone)
        for key in _SECTIONS["schedule"]
    })

    fc = r.section(top, "forecast")
    forecast = ForecastSettings(**{
        key: int(r.number(fc, "forecast", key, getattr(_DEFAULTS.forecast, key), low, integer=True,
                          maximum=high))
        for key, (low, high) in _FORECAST_BOUNDS.items()
    })

    hourly = r.number(r.section(top, "cost"), "cost", "hourly_rate", _DEFAULTS.hourly_rate)
    wh, w = _DEFAULTS.webhooks, r.section(top, "webhooks")
    return AppConfig(
        path=r.filename,
        timezone=timezone,
        jira=jira,
        hierarchy=hierarchy,
        fields=fields,
        outputs=outputs,
        dependency_link_types=r.strings(r.section(top, "dependencies"), "dependencies", "link_types",
                                        _DEFAULTS.dependency_link_types),
        hourly_rate=None if hourly is None else float(hourly),
        comments=comments,
        rule_files=rule_files,
        webhooks=WebhookSettings(
            allow_unsigned=r.flag(w, "webhooks", "allow_unsigned", wh.allow_unsigned),
            max_body_bytes=int(r.number(w, "webhooks", "max_body_bytes", wh.max_body_bytes, 1024,
                                        integer=True)),
        ),
        store_path=store_path,
        worker=worker,
        schedule=schedule,
        forecast=forecast,
    )
