"""Admin commands: `fields create`, `webhook register|list|delete` and `scheduler`."""

from __future__ import annotations

import argparse
import os
import signal
import sys
from collections.abc import Mapping
from typing import Any

from connector.client import JiraGateway
from connector.errors import ConnectorError, JiraNotFound
from connector.events import WEBHOOK_EVENTS
from connector.hierarchy import quote
from rules.config import OUTPUT_KINDS, AppConfig
from rules.metrics import HEALTH_VALUES
from webhooks.cli.base import CommandError, load, subcommand
from webhooks.cli.sitechecks import options_fix
from webhooks.cli.tables import render_table
from webhooks.web.signature import SECRET_ENV, secret_from

WEBHOOK_NAME = "pmrollup"
WEBHOOK_PATH = "/webhooks/jira"
CREATED_KIND = {"number": "number", "select": "select"}


# -- fields create

def create_missing_fields(config: AppConfig, gateway: JiraGateway) -> tuple[list[list[object]], list[str]]:
    """Create every output field app.yaml names that Jira lacks; return table rows and problems."""
    catalog = gateway.field_catalog()
    rows: list[list[object]] = []
    problems: list[str] = []
    for metric, name in config.outputs.items():
        kind = CREATED_KIND.get(OUTPUT_KINDS.get(metric, "number"), "number")
        found = catalog.find(name)
        if found is not None:
            expected = {"select": {"option", "string"}}.get(kind, {"number"})
            status = "exists" if found.kind in expected else f"exists, holds {found.kind}"
            if found.kind not in expected:
                problems.append(f"outputs.{metric}: '{name}' ({found.id}) holds {found.kind}, not {kind}: "
                                "rename that field in Jira or name another one in app.yaml")
            rows.append([name, kind, found.id, status])
            continue
        options = HEALTH_VALUES if kind == "select" else ()
        # Options live in field contexts (Cloud's /field/{id}/context/{id}/option); Data Center's
        # REST API has no option endpoint, so there the admin adds them by hand.
        takes_options = config.jira.flavor == "cloud"
        try:
            field_id = gateway.create_field(name, kind, options if takes_options else ())
        except JiraNotFound:
            takes_options = False
            gateway.refresh_fields()
            made = gateway.field_catalog().find(name)
            if made is None:
                raise
            field_id = made.id
        if options and not takes_options:
            rows.append([name, kind, field_id, "created, no options"])
            problems.append(f"outputs.{metric}: '{name}' ({field_id}) was created; Jira takes no options "
                            f"through its REST API here: {options_fix(config, name, list(options))}")
        else:
            rows.append([name, kind, field_id, "created"])
    return rows, problems


def screens_advice(config: AppConfig, names: list[str]) -> str:
    """Say which edit screens the output fields must be on."""
    levels = (config.hierarchy.program_types, config.hierarchy.project_types)
    kinds = " and ".join("/".join(t) for t in levels)
    where = f" in projects {', '.join(config.jira.projects)}" if config.jira.projects else ""
    return (f"Add {', '.join(names)} to the edit screens of {kinds} issues{where} (Jira settings > Issues > "
            "Screens; team-managed projects: Project settings > Issue types), then run `pmrollup check`.")


@subcommand
def _fields(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("fields", help="create the output fields app.yaml names")
    fsub = p.add_subparsers(dest="fields_command", metavar="ACTION")
    fsub.required = True
    c = fsub.add_parser("create", help="create every missing output field with the right type",
                        description="Create in Jira every output field app.yaml names that is missing "
                                    "(number, or select with the health options), then say which screens "
                                    "to add them to.")
    c.set_defaults(handler=run_fields_create)


def run_fields_create(args: argparse.Namespace) -> int:
    from webhooks.recompute.services import gateway_for

    config = load(args)
    if not config.outputs:
        raise CommandError(f"{config.path} names no outputs: add an `outputs:` section first")
    rows, problems = create_missing_fields(config, gateway_for(config))
    print(render_table(["field", "type", "Jira id", "status"], rows))
    print("\n" + screens_advice(config, [str(r[0]) for r in rows]))
    for problem in problems:
        print(f"pmrollup: {problem}", file=sys.stderr)
    return 1 if problems else 0


# -- webhooks

def webhook_jql(config: AppConfig) -> str | None:
    """Return the JQL filter limiting deliveries to the configured Jira projects."""
    projects = config.jira.projects
    return f"project in ({', '.join(quote(p) for p in projects)})" if projects else None


def endpoint_url(url: str) -> str:
    """Return pmrollup's webhook endpoint under a public base URL (or the endpoint itself)."""
    cleaned = url.strip().rstrip("/")
    if not cleaned.startswith(("https://", "http://")):
        raise CommandError(f"--url must start with https:// (got {url!r})")
    return cleaned if cleaned.endswith(WEBHOOK_PATH) else cleaned + WEBHOOK_PATH


def ours(hook: Mapping[str, Any]) -> bool:
    """Tell whether a registered webhook is pmrollup's."""
    return hook.get("name") == WEBHOOK_NAME or str(hook.get("url", "")).rstrip("/").endswith(WEBHOOK_PATH)


def hook_id(hook: Mapping[str, Any]) -> str:
    """Return a webhook's id: the last segment of its `self` URL."""
    return str(hook.get("self", "")).rstrip("/").rsplit("/", 1)[-1]


def register_webhook(config: AppConfig, gateway: JiraGateway, url: str, secret: str | None,
                     replace: bool = False) -> tuple[str, Mapping[str, Any]]:
    """Register pmrollup's webhook once: keep an identical one, else replace pmrollup's old ones."""
    endpoint, jql = endpoint_url(url), webhook_jql(config)
    mine = [h for h in gateway.list_webhooks() if ours(h)]
    same = [h for h in mine if h.get("url") == endpoint and set(h.get("events") or ()) == set(WEBHOOK_EVENTS)
            and ((h.get("filters") or {}).get("issue-related-events-section") or None) == jql]
    if same and len(mine) == 1 and not replace:
        return "kept", same[0]
    for hook in mine:
        gateway.delete_webhook(hook_id(hook))
    made = gateway.register_webhook(WEBHOOK_NAME, endpoint, WEBHOOK_EVENTS, jql=jql, secret=secret)
    return ("replaced" if mine else "registered"), made


@subcommand
def _webhook(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("webhook", help="register, list or delete pmrollup's Jira webhook")
    wsub = p.add_subparsers(dest="webhook_command", metavar="ACTION")
    wsub.required = True
    r = wsub.add_parser("register", help="register pmrollup's webhook (idempotent)",
                        description=f"Register pmrollup's admin webhook with the events it needs, a JQL "
                                    f"filter for jira.projects and the secret from {SECRET_ENV}. "
                                    "Registering twice leaves one webhook.")
    r.add_argument("--url", required=True,
                   help=f"pmrollup's public base URL (the endpoint is {WEBHOOK_PATH})")
    r.add_argument("--replace", action="store_true",
                   help="register anew even when an identical webhook exists (e.g. after a new secret)")
    r.set_defaults(handler=run_webhook_register)
    ls = wsub.add_parser("list", help="list the webhooks registered in Jira")
    ls.set_defaults(handler=run_webhook_list)
    d = wsub.add_parser("delete", help="delete one webhook by id")
    d.add_argument("id", help="the webhook's id, as `pmrollup webhook list` shows it")
    d.set_defaults(handler=run_webhook_delete)


def run_webhook_register(args: argparse.Namespace) -> int:
    from webhooks.recompute.services import gateway_for

    config = load(args)
    secret = secret_from(os.environ)
    if secret is None and not config.webhooks.allow_unsigned:
        raise CommandError(f"{SECRET_ENV} is not set: export the secret Jira should sign deliveries with "
                           "(the service checks it), then register again")
    endpoint = endpoint_url(args.url)
    if config.jira.flavor == "cloud" and not endpoint.startswith("https://"):
        # Jira Cloud only delivers admin webhooks to HTTPS URLs:
        # https://developer.atlassian.com/cloud/jira/platform/deprecation-notice-registering-webhooks-with-non-secure-urls/
        print(f"pmrollup: warning: Jira Cloud delivers webhooks only to https:// URLs, so {endpoint} will "
              "receive nothing: put an HTTPS reverse proxy (nginx or another) in front of pmrollup and "
              "register its https:// URL", file=sys.stderr)
    outcome, hook = register_webhook(config, gateway_for(config), endpoint, secret, args.replace)
    print(f"{outcome}: webhook {hook_id(hook)} delivers {len(WEBHOOK_EVENTS)} event types to {endpoint}"
          + (f" for {webhook_jql(config)}" if webhook_jql(config) else " for every project")
          + ("" if secret else " UNSIGNED (no secret set)"))
    return 0


def run_webhook_list(args: argparse.Namespace) -> int:
    from webhooks.recompute.services import gateway_for

    hooks = gateway_for(load(args)).list_webhooks()
    rows = [[hook_id(h), h.get("name"), "yes" if ours(h) else "", h.get("url"), len(h.get("events") or ()),
             (h.get("filters") or {}).get("issue-related-events-section") or "", h.get("enabled", True)]
            for h in hooks]
    print(render_table(["id", "name", "pmrollup", "url", "events", "jql", "enabled"], rows)
          if rows else "no webhooks registered")
    return 0


def run_webhook_delete(args: argparse.Namespace) -> int:
    from webhooks.recompute.services import gateway_for

    wanted = args.id.strip()
    if not wanted.isdigit():
        raise CommandError(f"{args.id!r} is not a webhook id: `pmrollup webhook list` shows the ids")
    try:
        gateway_for(load(args)).delete_webhook(wanted)
    except JiraNotFound as exc:
        raise CommandError(f"no webhook {wanted} in Jira: `pmrollup webhook list` shows the ids") from exc
    print(f"deleted webhook {wanted}")
    return 0


# -- scheduler

@subcommand
def _scheduler(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("scheduler", help="run the schedules (sweep, digest, catchup) as their own process",
                       description="Run the scheduler alone: use it beside gunicorn, whose web workers "
                                   "never schedule. Jobs only enqueue targets; `pmrollup worker` recomputes.")
    p.set_defaults(handler=run_scheduler)


def run_scheduler(args: argparse.Namespace) -> int:
    from webhooks.recompute.services import gateway_for
    from webhooks.schedules.schedule import JOBS, Schedule, build_scheduler
    from webhooks.store.inbox import SqliteInbox, StoreError
    from webhooks.telemetry.logs import ensure_logging, log_event

    config = load(args)
    try:
        store = SqliteInbox(config.store_path)
    except StoreError as exc:
        raise CommandError(str(exc)) from exc
    schedule = Schedule(config, store, lambda: gateway_for(config))
    gateway_for(config).server_info()  # fail now, with one line, when Jira cannot be reached
    ensure_logging()
    scheduler = build_scheduler(schedule, blocking=True)
    signal.signal(signal.SIGTERM, lambda *_: scheduler.shutdown(wait=False))
    log_event("schedule.start", jobs={j: getattr(config.schedule, j) for j in JOBS}, timezone=config.timezone,
              store=config.store_path)
    scheduler.start()
    log_event("schedule.stop")
    return 0


__all__ = ["ConnectorError", "WEBHOOK_EVENTS", "ours", "register_webhook", "webhook_jql"]
