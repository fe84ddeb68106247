"""Admin commands: `fields create` and `webhook register|list|delete`."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from typing import Any

import click

from connector.client import JiraGateway
from connector.errors import JiraNotFound
from connector.events import WEBHOOK_EVENTS
from connector.fieldmap import HOLDS
from connector.hierarchy import quote
from rules.config import OUTPUT_KINDS, AppConfig
from rules.metrics import HEALTH_VALUES
from webhooks.cli.base import CommandError, RootOptions, pass_root
from webhooks.cli.sitechecks import options_fix
from webhooks.cli.tables import render_table
from webhooks.recompute.services import gateway_for
from webhooks.web.signature import SECRET_ENV, secret_from

WEBHOOK_NAME = "pmrollup"
WEBHOOK_PATH = "/webhooks/jira"


# -- fields create

def create_missing_fields(config: AppConfig, gateway: JiraGateway) -> tuple[list[list[object]], list[str]]:
    """Create every output field app.yaml names that Jira lacks; return table rows and problems."""
    catalog = gateway.field_catalog()
    rows: list[list[object]] = []
    problems: list[str] = []
    for metric, name in config.outputs.items():
        kind = OUTPUT_KINDS.get(metric, "number")
        found = catalog.find(name)
        if found is not None:
            expected = HOLDS[kind]
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
            problems.append(f"outputs.{metric}: '{name}' ({field_id}) was created without options (this "
                            f"Jira's REST API cannot add them); by hand, "
                            f"{options_fix(config, name, list(options))}, then run `pmrollup check`")
        else:
            rows.append([name, kind, field_id, f"created with options {', '.join(options)}" if options
                         else "created"])
    return rows, problems


def screens_advice(config: AppConfig, names: list[str]) -> str:
    """Say which edit screens the output fields must be on."""
    levels = (config.hierarchy.program_types, config.hierarchy.project_types)
    kinds = " and ".join("/".join(t) for t in levels)
    where = f" in projects {', '.join(config.jira.projects)}" if config.jira.projects else ""
    return (f"Add {', '.join(names)} to the edit screens of {kinds} issues{where} (Jira settings > Issues > "
            "Screens; team-managed projects: Project settings > Issue types), then run `pmrollup check`.")


@click.group("fields", help="create the output fields app.yaml names", subcommand_metavar="ACTION [ARGS]...")
def fields_group() -> None:
    pass


@fields_group.command("create", short_help="create every missing output field with the right type",
                      help="Create in Jira every output field app.yaml names that is missing (a number, "
                           "date or text field, or a select with the health options), then say which "
                           "screens to add them to.")
@pass_root
def fields_create_command(root: RootOptions) -> int:
    config = root.load()
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


@click.group("webhook", help="register, list or delete pmrollup's Jira webhook",
             subcommand_metavar="ACTION [ARGS]...")
def webhook_group() -> None:
    pass


@webhook_group.command("register", short_help="register pmrollup's webhook (idempotent)",
                       help=f"Register pmrollup's admin webhook with the events it needs, a JQL filter for "
                            f"jira.projects and the secret from {SECRET_ENV}. Registering twice leaves one "
                            "webhook.")
@click.option("--url", required=True, metavar="URL",
              help=f"pmrollup's public base URL (the endpoint is {WEBHOOK_PATH})")
@click.option("--replace", is_flag=True,
              help="register anew even when an identical webhook exists (e.g. after a new secret)")
@pass_root
def webhook_register_command(root: RootOptions, url: str, replace: bool) -> int:
    config = root.load()
    secret = secret_from(os.environ)
    if secret is None and not config.webhooks.allow_unsigned:
        raise CommandError(f"{SECRET_ENV} is not set: export the secret Jira should sign deliveries with "
                           "(the service checks it), then register again")
    endpoint = endpoint_url(url)
    if config.jira.flavor == "cloud" and not endpoint.startswith("https://"):
        # Jira Cloud only delivers admin webhooks to HTTPS URLs:
        # https://developer.atlassian.com/cloud/jira/platform/deprecation-notice-registering-webhooks-with-non-secure-urls/
        print(f"pmrollup: warning: Jira Cloud delivers webhooks only to https:// URLs, so {endpoint} will "
              "receive nothing: put an HTTPS reverse proxy (nginx or another) in front of pmrollup and "
              "register its https:// URL", file=sys.stderr)
    outcome, hook = register_webhook(config, gateway_for(config), endpoint, secret, replace)
    print(f"{outcome}: webhook {hook_id(hook)} delivers {len(WEBHOOK_EVENTS)} event types to {endpoint}"
          + (f" for {webhook_jql(config)}" if webhook_jql(config) else " for every project")
          + ("" if secret else " UNSIGNED (no secret set)"))
    return 0


@webhook_group.command("list", help="list the webhooks registered in Jira")
@pass_root
def webhook_list_command(root: RootOptions) -> int:
    hooks = gateway_for(root.load()).list_webhooks()
    rows = [[hook_id(h), h.get("name"), "yes" if ours(h) else "", h.get("url"), len(h.get("events") or ()),
             (h.get("filters") or {}).get("issue-related-events-section") or "", h.get("enabled", True)]
            for h in hooks]
    print(render_table(["id", "name", "pmrollup", "url", "events", "jql", "enabled"], rows)
          if rows else "no webhooks registered")
    return 0


@webhook_group.command("delete", short_help="delete one webhook by id",
                       help="Delete one webhook by id. ID is the webhook's id, as `pmrollup webhook list` "
                            "shows it.")
@click.argument("hook", metavar="ID")
@pass_root
def webhook_delete_command(root: RootOptions, hook: str) -> int:
    wanted = hook.strip()
    if not wanted.isdigit():
        raise CommandError(f"{hook!r} is not a webhook id: `pmrollup webhook list` shows the ids")
    try:
        gateway_for(root.load()).delete_webhook(wanted)
    except JiraNotFound as exc:
        raise CommandError(f"no webhook {wanted} in Jira: `pmrollup webhook list` shows the ids") from exc
    print(f"deleted webhook {wanted}")
    return 0
