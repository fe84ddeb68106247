"""`pmrollup check`: config, rules and the configured Jira, each problem with its fix."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from connector.client import JiraGateway
from connector.errors import ConnectorError, JiraAuthError, JiraNotFound
from connector.events import WEBHOOK_EVENTS
from connector.fieldmap import HOLDS, FieldCatalog
from connector.site import WRITE_PERMISSIONS
from rules.config import OUTPUT_KINDS, AppConfig
from rules.wording import counted
from webhooks.cli.admin import ours, webhook_jql
from webhooks.cli.sitechecks import Findings, check_select_options, recheck_site_problems
from webhooks.cli.tables import render_table
from webhooks.recompute.services import gateway_for
from webhooks.settings.rulefiles import check_rule_files, rule_paths
from webhooks.store.siteproblems import SiteProblems
from webhooks.store.sqlite import StoreError


@dataclass
class Report:
    """Rows of checks; `ok` when none failed."""

    fields: list[list[object]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # worth fixing, but pmrollup works meanwhile

    @property
    def ok(self) -> bool:
        return not self.problems

    def render(self) -> str:
        parts = list(self.notes)
        if self.fields:
            parts.append(render_table(["role", "setting", "field name", "Jira id", "type", "status"],
                                      self.fields, title="\nFields"))
        if self.warnings:
            parts.append(f"\n{counted(len(self.warnings), 'warning')}:")
            parts.extend(f"  - {w}" for w in self.warnings)
        if self.problems:
            parts.append(f"\n{counted(len(self.problems), 'problem')}:")
            parts.extend(f"  - {p}" for p in self.problems)
        else:
            parts.append("\nAll checks passed.")
        return "\n".join(parts)


def run_checks(config: AppConfig, gateway: JiraGateway | None = None,
               store: SiteProblems | None = None) -> Report:
    """Check the rules and, against Jira, that every configured field exists with the right type, can
    take what pmrollup writes, and that each site problem the store recorded still holds (the fixed
    ones are cleared). `store` defaults to the configured store when it exists."""
    report = Report()
    report.notes.append(f"config: {config.path} is valid (flavor {config.jira.flavor})")
    errors = check_rule_files(rule_paths(config))
    if errors:
        report.problems.extend(f"rules: {e}" for e in errors)
    else:
        files = len(rule_paths(config))
        report.notes.append(f"rules: {counted(files, 'file')} {'loads' if files == 1 else 'load'} cleanly")
    try:
        gateway = gateway or gateway_for(config)
        info = gateway.server_info()
        catalog = gateway.field_catalog()
    except ConnectorError as exc:
        report.problems.append(f"jira: {exc}")
        return report
    deployment = str(info.get("deploymentType", "?"))
    report.notes.append(f"jira: {info.get('baseUrl', '')} answers ({deployment} {info.get('version', '')})")
    expected = "Cloud" if config.jira.flavor == "cloud" else "Server"
    if deployment not in (expected, "DataCenter" if expected == "Server" else expected):
        report.problems.append(f"jira: the site reports deploymentType {deployment} but app.yaml says "
                               f"flavor {config.jira.flavor}; set jira.flavor to match the site")
    _check_fields(config, catalog, report)
    samples = _check_screens_and_permissions(config, gateway, catalog, report)
    _add(report, check_select_options(config, gateway, catalog, samples))
    store = store if store is not None else _existing_store(config)
    if store is not None:
        _add(report, recheck_site_problems(config, gateway, store))
    _check_webhook(config, gateway, report)
    return report


def _add(report: Report, found: Findings) -> None:
    report.problems.extend(found.problems)
    report.notes.extend(found.notes)


def _existing_store(config: AppConfig) -> SiteProblems | None:
    """Open the configured store when it exists (check creates none)."""
    if not Path(config.store_path).is_file():
        return None
    try:
        return SiteProblems(config.store_path, create=False)
    except StoreError:
        return None


def _wanted(config: AppConfig) -> list[tuple[str, str, str, set[str] | None]]:
    rows: list[tuple[str, str, str, set[str] | None]] = []
    f = config.fields
    for key in ("story_points", "budget", "cost"):
        rows.append(("input", f"fields.{key}", getattr(f, key), set(HOLDS["number"])))
    rows.append(("input", "fields.start_date", f.start_date, {"date", "datetime"}))
    rows.append(("input", "fields.due_date", f.due_date, {"date", "datetime"}))
    if config.jira.flavor == "datacenter":
        rows.append(("hierarchy", "hierarchy.epic_link_field", config.hierarchy.epic_link_field, None))
        if config.hierarchy.program_link == "parent":
            rows.append(("hierarchy", "hierarchy.parent_link_field", config.hierarchy.parent_link_field,
                         None))
    for metric, name in config.outputs.items():
        kinds = set(HOLDS[OUTPUT_KINDS.get(metric, "number")])
        rows.append(("output", f"outputs.{metric}", name, kinds))
    return rows


def _check_fields(config: AppConfig, catalog: FieldCatalog, report: Report) -> None:
    for role, setting, name, kinds in _wanted(config):
        info = catalog.find(name)
        if info is None:
            report.fields.append([role, setting, name, None, None, "MISSING"])
            fix = ("run `pmrollup fields create`" if role == "output"
                   else "create it in Jira or correct the name in app.yaml")
            report.problems.append(f"{setting}: no field named '{name}' in Jira: {fix}")
            continue
        if catalog.is_ambiguous(name):
            report.problems.append(f"{setting}: several fields are named '{name}': rename one in Jira")
        status = "ok"
        if kinds is not None and info.kind not in kinds:
            status = "WRONG TYPE"
            report.problems.append(f"{setting}: '{name}' ({info.id}) holds {info.kind}, expected "
                                   f"{' or '.join(sorted(kinds))}: point app.yaml at a field of that type")
        report.fields.append([role, setting, name, info.id, info.kind, status])


PERMISSION_NAMES = {"EDIT_ISSUES": "Edit Issues", "ADD_COMMENTS": "Add Comments"}
SCREENS_HINT = ("Jira settings > Issues > Screens, the screen scheme of that issue type; in a "
                "team-managed project: Project settings > Issue types")


def _check_screens_and_permissions(config: AppConfig, gateway: JiraGateway, catalog: FieldCatalog,
                                   report: Report) -> dict[str, str]:
    """Check one initiative and one epic: outputs on their edit screen, and the account may write;
    return the sample issue of each level."""
    outputs = [(name, info) for name in config.outputs.values() if (info := catalog.find(name)) is not None]
    try:
        samples = gateway.first_of_each_level()
    except ConnectorError as exc:
        report.problems.append(f"jira: cannot search the configured projects: {exc}")
        return {}
    levels = (("program", config.hierarchy.program_types), ("project", config.hierarchy.project_types))
    for level, types in levels:
        key = samples.get(level)
        kind = "/".join(types)
        if key is None:
            report.notes.append(f"screens: no {kind} in the configured projects yet; nothing to check")
            continue
        project = key.rsplit("-", 1)[0]
        try:
            on_screen = gateway.edit_screen_fields(key)
        except ConnectorError as exc:
            report.problems.append(f"screens: cannot read the edit screen of {key}: {exc}")
            continue
        missing = [name for name, info in outputs if info.id not in on_screen]
        if missing:
            report.problems.append(
                f"screens: {', '.join(missing)} not on the edit screen of {kind} issues (seen on {key}): "
                f"add them to the {kind} edit screen of project {project} ({SCREENS_HINT})")
        elif outputs:
            report.notes.append(f"screens: every output field is on the {kind} edit screen ({key})")
        _check_permissions(gateway, key, project, report)
    return samples


def _check_permissions(gateway: JiraGateway, key: str, project: str, report: Report) -> None:
    try:
        held = gateway.my_permissions(key)
    except JiraNotFound:
        report.notes.append(f"permissions: this Jira does not answer /mypermissions; check by hand that "
                            f"pmrollup's account has {' and '.join(PERMISSION_NAMES.values())} in {project}")
        return
    except ConnectorError as exc:
        report.problems.append(f"permissions: cannot read the account's permissions on {key}: {exc}")
        return
    lacking = [PERMISSION_NAMES.get(p, p) for p in WRITE_PERMISSIONS if not held.get(p)]
    if lacking:
        report.problems.append(f"permissions: pmrollup's account lacks {', '.join(lacking)} on {key}: grant "
                               f"it in the permission scheme of project {project}")
    else:
        report.notes.append(f"permissions: the account may edit issues and add comments in {project}")


def _check_webhook(config: AppConfig, gateway: JiraGateway, report: Report) -> None:
    try:
        hooks = [h for h in gateway.list_webhooks() if ours(h)]
    except JiraAuthError:
        report.warnings.append("webhook: the account may not list webhooks (Jira administrators only): "
                               "ask an administrator to check Settings > System > WebHooks for pmrollup")
        return
    except ConnectorError as exc:
        report.problems.append(f"webhook: cannot list Jira's webhooks: {exc}")
        return
    if not hooks:
        # Not a failure: the admin runs `check` before exposing the service and registering it.
        report.warnings.append("webhook: pmrollup's webhook is not registered, so only the schedules "
                               "recompute: run `pmrollup webhook register --url "
                               "https://<pmrollup's public host>`")
        return
    if len(hooks) > 1:
        report.problems.append(f"webhook: {len(hooks)} pmrollup webhooks are registered, so every event "
                               "arrives more than once: run `pmrollup webhook list` and delete the extras")
    hook = hooks[0]
    missing = sorted(set(WEBHOOK_EVENTS) - set(hook.get("events") or ()))
    jql = (hook.get("filters") or {}).get("issue-related-events-section") or None
    if missing or jql != webhook_jql(config) or not hook.get("enabled", True):
        report.problems.append(f"webhook: pmrollup's webhook to {hook.get('url')} is out of date "
                               f"(missing events: {', '.join(missing) or 'none'}; filter {jql!r}): run "
                               "`pmrollup webhook register --url ...` again to replace it")
    else:
        report.notes.append(f"webhook: registered, delivering to {hook.get('url')}")
