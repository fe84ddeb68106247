"""`pmrollup check`: config, rules and the configured Jira, each problem with its fix."""

from __future__ import annotations

from dataclasses import dataclass, field

from connector.client import JiraGateway
from connector.errors import ConnectorError
from connector.fieldmap import FieldCatalog
from rules.config import OUTPUT_KINDS, AppConfig
from rules.engine import check_rule_files
from webhooks.services import gateway_for
from webhooks.tables import render_table

NUMBER_KINDS = {"number"}
HEALTH_KINDS = {"option", "string"}


@dataclass
class Report:
    """Rows of checks; `ok` when none failed."""

    fields: list[list[object]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def render(self) -> str:
        parts = list(self.notes)
        if self.fields:
            parts.append(render_table(["role", "setting", "field name", "Jira id", "type", "status"],
                                      self.fields, title="\nFields"))
        if self.problems:
            parts.append(f"\n{len(self.problems)} problem(s):")
            parts.extend(f"  - {p}" for p in self.problems)
        else:
            parts.append("\nAll checks passed.")
        return "\n".join(parts)


def run_checks(config: AppConfig, gateway: JiraGateway | None = None) -> Report:
    """Check the rules and, against Jira, that every configured field exists with the right type."""
    report = Report()
    report.notes.append(f"config: {config.path} is valid (flavor {config.jira.flavor})")
    errors = check_rule_files(config.rule_paths())
    if errors:
        report.problems.extend(f"rules: {e}" for e in errors)
    else:
        report.notes.append(f"rules: {len(config.rule_paths())} file(s) load cleanly")
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
    return report


def _wanted(config: AppConfig) -> list[tuple[str, str, str, set[str] | None]]:
    rows: list[tuple[str, str, str, set[str] | None]] = []
    f = config.fields
    for key in ("story_points", "budget", "cost"):
        rows.append(("input", f"fields.{key}", getattr(f, key), NUMBER_KINDS))
    rows.append(("input", "fields.start_date", f.start_date, {"date", "datetime"}))
    rows.append(("input", "fields.due_date", f.due_date, {"date", "datetime"}))
    if config.jira.flavor == "datacenter":
        rows.append(("hierarchy", "hierarchy.epic_link_field", config.hierarchy.epic_link_field, None))
        if config.hierarchy.program_link == "parent":
            rows.append(("hierarchy", "hierarchy.parent_link_field", config.hierarchy.parent_link_field,
                         None))
    for metric, name in config.outputs.items():
        kinds = HEALTH_KINDS if OUTPUT_KINDS.get(metric) == "select" else NUMBER_KINDS
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
