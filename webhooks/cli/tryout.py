"""`pmrollup sandbox` and `pmrollup demo`: pmrollup tried without a Jira, on the stand-in one."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

import click

from rules.config import FLAVORS
from sandbox.seed import SeedError
from sandbox.server import serve
from webhooks.cli.admin import WEBHOOK_PATH
from webhooks.cli.base import CommandError
from webhooks.cli.demo import COLUMNS, Demo
from webhooks.cli.serving import stop_on_signal, wait_until_set
from webhooks.cli.story import SEED, TODAY


@click.command("sandbox", help="serve the stand-in Jira on loopback")
@click.option("--seed", default=str(SEED), metavar="FILE", help="seed YAML (default: the demo program)")
@click.option("--port", type=int, default=8081, metavar="PORT")
@click.option("--host", default="127.0.0.1", metavar="HOST")
@click.option("--flavor", type=click.Choice(FLAVORS), default="cloud")
def sandbox_command(seed: str, port: int, host: str, flavor: str) -> int:
    if not Path(seed).is_file():
        raise CommandError(f"seed file not found: {seed}")
    try:
        serve(seed, flavor=flavor, host=host, port=port)
    except SeedError as exc:
        raise CommandError(f"bad seed: {exc}") from exc
    except OSError as exc:
        raise CommandError(f"cannot listen on {host}:{port}: {exc.strerror}") from exc
    return 0


@click.command("demo", short_help="play a short program story on the sandbox Jira and show the rollups",
               help="Start the sandbox Jira (demo program) and the pmrollup service on loopback, register "
                    "the webhook, play a narrated story and print what pmrollup writes back after each step. "
                    "Needs no Jira and no app.yaml.")
@click.option("--keep", is_flag=True,
              help="leave the sandbox and the service running, and print URLs and curl examples")
@click.option("--flavor", type=click.Choice(FLAVORS), default="cloud", help="Jira flavor to play")
@click.option("--jira-port", type=int, default=0, metavar="PORT",
              help="port of the sandbox Jira (default: a free one)")
@click.option("--port", type=int, default=0, metavar="PORT",
              help="port of the pmrollup service (default: a free one)")
def demo_command(keep: bool, flavor: str, jira_port: int, port: int) -> int:
    with tempfile.TemporaryDirectory(prefix="pmrollup-demo-") as folder:
        return run(Path(folder), keep, flavor, jira_port, port)


def say(text: str) -> None:
    """Print a line of the story now, also when the output is a pipe."""
    print(text, flush=True)


def run(folder: Path, keep: bool, flavor: str, jira_port: int, port: int,
        echo: Callable[[str], None] = say) -> int:
    """Play the demo; with `keep`, leave everything running until Ctrl-C."""
    demo = Demo(folder, flavor, jira_port, port, echo)
    try:
        demo.start()
        demo.play()
        agree, evaluation = demo.check_against_evaluate()
        echo("")
        echo(demo.program_view_table(evaluation))
        echo("")
        echo("pmrollup evaluate PAY-1 computes the same values Jira holds, with nothing left to write: "
             + ("yes" if agree else "NO"))
        if keep:
            with stop_on_signal() as stop:
                echo(keep_instructions(demo))
                wait_until_set(stop)
        return 0 if agree else 1
    finally:
        demo.stop()


def keep_instructions(demo: Demo) -> str:
    """Return how to try the running sandbox and service by hand."""
    assert demo.sandbox is not None and demo.service is not None
    jira, service, env = demo.sandbox.url, demo.service.url, demo.environ
    user = f"{env['JIRA_USER']}:{env['JIRA_TOKEN']}"
    ids = demo.reader().field_ids().outputs
    shown = ",".join(["summary", *(ids[m] for m in COLUMNS if m in ids)])
    search = "/rest/api/3/search/jql" if demo.flavor == "cloud" else "/rest/api/2/search"
    return "\n".join([
        "",
        "Both keep running until Ctrl-C (or SIGTERM):",
        f"  sandbox Jira   {jira}   (admin {env['JIRA_USER']}, token {env['JIRA_TOKEN']})",
        f"  pmrollup       {service}{WEBHOOK_PATH}   /healthz /readyz /metrics",
        f"  its app.yaml, store and JSON log (service.log): {demo.folder}",
        "",
        "Try:",
        f"  curl -s -X POST {jira}/sandbox/issues/PAY-13 -H 'Content-Type: application/json' "
        "-d '{\"status\": \"Done\"}'",
        f"  curl -s -u {user} '{jira}/rest/api/2/issue/PAY-2?fields={shown}'",
        f"  curl -s -u {user} -G {jira}{search} "
        "--data-urlencode 'jql=\"Health\" = off-track' --data-urlencode 'fields=summary'",
        f"  curl -s {service}/readyz",
        f"  curl -s {service}/metrics",
        "",
        "Or point the command line at it (another terminal):",
        f"  export JIRA_URL={jira} JIRA_USER={env['JIRA_USER']} JIRA_TOKEN={env['JIRA_TOKEN']} "
        f"PMROLLUP_TODAY={TODAY}",
        f"  pmrollup --config {demo.folder / 'app.yaml'} evaluate PAY-2 --dry-run",
    ])
