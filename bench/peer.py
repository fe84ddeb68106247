"""The same program rolled up by jira-agile-metrics 0.24 (its own venv), beside pmrollup, same run.

The real peer runs against the sandbox on both flavors (the sandbox returns `resolution` and
`resolutiondate`, which it reads from every issue). It searches with `maxResults=None`, which the
`jira` library it installs with (3.x: Jira Cloud removed the search 2.x calls) reads as "one page"
rather than "all pages", so it reads Jira's default page of 50 per search; the figures say how many
issues it read. When the peer cannot be installed or cannot run, its request pattern is reproduced
with the `jira` library (the same `search_issues(jql, expand="changelog", maxResults=None)` calls it
makes: its main query, one search for the epics, one per epic) and the results say so.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jira import JIRA

from bench.figure import Figure
from bench.harness import breakdown, config_for, gateway_for, recomputer_for, rest_requests, timed
from bench.seeds import GeneratedProgram
from sandbox.server import RunningSandbox, start_sandbox

VENV = Path(__file__).with_name(".peer-venv")
PACKAGE = "jira-agile-metrics==0.24"
# 0.24 (2019) pins nothing; it calls pandas APIs that pandas 2 removed, so install it with its era's.
REQUIREMENTS = (PACKAGE, "pandas<2", "numpy<2")
COMMAND = VENV / "bin" / "jira-agile-metrics"
INSTALLED = VENV / "pmrollup-requirements.txt"
FETCHED = re.compile(r"Fetched (\d+) issues")  # the peer's log line after each search (with -v)

CONFIG = """\
Connection:
  Domain: {url}
  Username: {user}
  Password: {token}
Query: key = {program}
Workflow:
  Backlog: To Do
  In Progress: In Progress
  In Review: In Review
  Done: Done
Output:
  Quantiles: [0.5, 0.85]
  Progress report: progress.html
  Progress report title: Generated program
  Progress report epic query template: {epics}
  Progress report story query template: {stories}
  Progress report teams:
    - Name: Team
      Min throughput: 5
      Max throughput: 10
      WIP: 1
"""


def epic_query(program: str, flavor: str) -> str:
    if flavor == "cloud":
        return f"parent = {program} AND issuetype = Epic"
    return f'"Parent Link" = {program} AND issuetype = Epic'


def story_query(flavor: str) -> str:
    return "parent = {epic}" if flavor == "cloud" else '"Epic Link" = {epic}'


def ensure_venv(timeout: float = 420.0) -> str | None:
    """Create the peer's own venv with jira-agile-metrics installed; return why not, or None."""
    wanted = "\n".join(REQUIREMENTS) + "\n"
    if COMMAND.exists() and INSTALLED.exists() and INSTALLED.read_text() == wanted:
        return None
    try:
        if not (VENV / "bin" / "pip").exists():
            subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True, timeout=120,
                           capture_output=True)
        subprocess.run([str(VENV / "bin" / "pip"), "install", "--quiet", *REQUIREMENTS], check=True,
                       timeout=timeout, capture_output=True)
    except (OSError, subprocess.SubprocessError) as exc:
        return f"could not install {PACKAGE}: {type(exc).__name__}: {str(exc)[-300:]}"
    if not COMMAND.exists():
        return f"{PACKAGE} installed no {COMMAND.name} command"
    INSTALLED.write_text(wanted)
    return None


@dataclass(frozen=True)
class PeerRun:
    """One run of the real peer: its wall time, the issues it says it fetched, or why it failed."""

    seconds: float
    fetched: int = 0
    failure: str | None = None


def run_peer(sandbox: RunningSandbox, program: GeneratedProgram) -> PeerRun:
    """Run the real jira-agile-metrics against the sandbox and report how it went."""
    email, token = sandbox.admin_auth
    with tempfile.TemporaryDirectory(prefix="pmrollup-peer-") as folder:
        config = Path(folder) / "config.yml"
        # JSON strings are YAML scalars: Data Center's queries start with a quoted field name.
        config.write_text(CONFIG.format(url=sandbox.url, user=email, token=token, program=program.initiative,
                                        epics=json.dumps(epic_query(program.initiative, sandbox.flavor)),
                                        stories=json.dumps(story_query(sandbox.flavor))), encoding="utf-8")
        started = time.perf_counter()
        try:
            done = subprocess.run([str(COMMAND), str(config), "--output-directory", folder, "-v"],
                                  cwd=folder, capture_output=True, text=True, timeout=300, check=False)
        except subprocess.TimeoutExpired:
            return PeerRun(time.perf_counter() - started, failure="timed out after 300 s")
        seconds = time.perf_counter() - started
        wrote = (Path(folder) / "progress.html").exists()
    fetched = sum(int(n) for n in FETCHED.findall(done.stdout + done.stderr))
    if done.returncode != 0:
        last = [line for line in done.stderr.strip().splitlines() if line.strip()][-1:] or ["no output"]
        return PeerRun(seconds, fetched, f"exit {done.returncode}: {last[0][:300]}")
    if not wrote:
        return PeerRun(seconds, fetched, "exit 0 but no progress report written")
    return PeerRun(seconds, fetched)


def peer_search(client: JIRA, jql: str) -> Any:
    """Search as the peer's QueryManager.find_issues does with its default settings (untyped call)."""
    max_results: Any = None
    return client.search_issues(jql, expand="changelog", maxResults=max_results)


def reproduce(sandbox: RunningSandbox, program: GeneratedProgram) -> int:
    """Make the peer's calls with the `jira` library: its main query, the epics, then one search per
    epic, each `search_issues(jql, expand="changelog", maxResults=None)` as its QueryManager does with
    its default settings; return how many issues it read."""
    email, token = sandbox.admin_auth
    client = JIRA(server=sandbox.url, basic_auth=(email, token), max_retries=0)
    try:
        client.fields()
        read = len(peer_search(client, f"key = {program.initiative}"))
        epics = peer_search(client, epic_query(program.initiative, sandbox.flavor))
        read += len(epics)
        template = story_query(sandbox.flavor)
        for epic in epics:
            read += len(peer_search(client, template.format(epic=f'"{epic.key}"')))
        return read
    finally:
        client.close()


def measure(program: GeneratedProgram, flavor: str, real: bool = True) -> tuple[list[Figure], dict[str, Any]]:
    """Roll the program up with pmrollup and with the peer on one sandbox; compare requests and time."""
    with start_sandbox(program.seed, flavor) as sandbox:
        config = config_for(flavor)
        recomputer = recomputer_for(config, gateway_for(sandbox, config))
        sandbox.clear_requests()
        first = timed(lambda: recomputer.program(program.initiative))
        first_requests = rest_requests(sandbox)
        sandbox.clear_requests()
        ours = timed(lambda: recomputer.program(program.initiative))
        our_requests = rest_requests(sandbox)

        problem = ensure_venv() if real else "not run (quick mode)"
        sandbox.clear_requests()
        seconds, fetched = 0.0, 0
        if problem is None:
            run = run_peer(sandbox, program)
            seconds, fetched, problem = run.seconds, run.fetched, run.failure
        issues = program.shape.stories + program.shape.epics + 1
        how = (f"jira-agile-metrics 0.24, real run, progress report written; "
               f"it read {fetched:,} of {issues:,} issues")
        if problem is not None:
            sandbox.clear_requests()
            reproduced = timed(lambda: reproduce(sandbox, program))
            seconds = reproduced.seconds
            how = (f"its request pattern reproduced with the jira library ({reproduced.value} issues read); "
                   f"the real peer: {problem}")
        peer_requests = rest_requests(sandbox)
        read = fetched if problem is None else reproduced.value
        pages = [r for r in peer_requests if r["path"].endswith(("/search/jql", "/search"))]
        truncated = sum(1 for r in pages if not r["query"].get("maxResults"))

    figures = [
        Figure(f"roll-up vs peer: requests ({flavor})", len(our_requests), "req", "peer",
               len(peer_requests), "<= peer", len(our_requests) <= len(peer_requests),
               note=f"pmrollup: full recompute, warm, nothing to write (a first run adds its writes: "
                    f"{len(first_requests)} requests in {first.seconds:.2f} s); peer: {how}; "
                    f"peer requests {breakdown(peer_requests)}; {truncated} of its searches ask no "
                    f"maxResults and read one page of Jira's default 50 (it passes maxResults=None)"),
        Figure(f"roll-up vs peer: requests per 1,000 issues read ({flavor})",
               round(1000 * len(our_requests) / issues, 2), "req", "peer",
               round(1000 * len(peer_requests) / read, 2) if read else None, "<= peer",
               bool(read) and len(our_requests) / issues <= len(peer_requests) / read,
               note=f"pmrollup reads all {issues:,} issues; the peer read {read:,}: the raw counts "
                    f"above compare a whole roll-up with a partial one"),
        Figure(f"roll-up vs peer: time ({flavor})", ours.seconds, "s", "peer", seconds, "<= peer",
               ours.seconds <= seconds,
               note="peer: whole run" + ("" if problem is None else
                                         " (the reproduction times its requests and parsing only)")),
    ]
    details = {"peer": how, "peer_seconds": round(seconds, 3), "peer_issues_read": fetched,
               "peer_requests": breakdown(peer_requests),
               "pmrollup_seconds": round(ours.seconds, 3), "pmrollup_requests": breakdown(our_requests),
               "pmrollup_first_run": {"seconds": round(first.seconds, 3),
                                      "requests": breakdown(first_requests)}}
    return figures, details


def quick_measure(program: GeneratedProgram, flavor: str) -> tuple[list[Figure], dict[str, Any]]:
    """Compare with the peer's request pattern only: no install, no subprocess."""
    return measure(program, flavor, real=False)
