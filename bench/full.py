"""A full recompute (first run) and a sweep (steady state) of the whole program, beside the floor and
beside the plain `jira` library paging through the same issues with the same fields."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from jira import JIRA

from bench import floor
from bench.figure import Figure
from bench.harness import (
    breakdown,
    changed_issues,
    config_for,
    gateway_for,
    issue_state,
    kind_of,
    recomputer_for,
    rest_requests,
    timed,
)
from bench.seeds import GeneratedProgram
from sandbox.server import RunningSandbox, start_sandbox

PAGE = 100
# What a cold gateway asks once per process before its first write, not per recompute: the field
# catalog (names to ids) and, for a select output such as Health, its options from editmeta.
DISCOVERY = ("GET field", "GET editmeta")


@dataclass(frozen=True)
class Search:
    """One search pmrollup ran, as the sandbox logged its first page."""

    jql: str
    fields: tuple[str, ...]
    properties: str | None


def searches_of(requests: Sequence[Mapping[str, Any]]) -> list[Search]:
    """Return the distinct searches among logged requests, in order (first pages only)."""
    found: dict[Search, None] = {}
    for request in requests:
        if not request["path"].endswith(("/search/jql", "/search")):
            continue
        query = request["query"]
        if query.get("nextPageToken") or str(query.get("startAt", "0")) != "0":
            continue
        fields = query.get("fields") or []
        fields = fields if isinstance(fields, list) else str(fields).split(",")
        found[Search(str(query["jql"]), tuple(fields), query.get("properties"))] = None
    return list(found)


def page_with_jira(sandbox: RunningSandbox, searches: Sequence[Search]) -> int:
    """Page through every search with the plain `jira` library at 100 a page; return issues read."""
    email, token = sandbox.admin_auth
    client = JIRA(server=sandbox.url, basic_auth=(email, token), max_retries=0)
    read = 0
    try:
        for search in searches:
            if sandbox.flavor == "cloud":
                token_: str | None = None
                while True:
                    page = client.enhanced_search_issues(search.jql, nextPageToken=token_, maxResults=PAGE,
                                                         fields=list(search.fields),
                                                         properties=search.properties)
                    read += len(page)
                    token_ = getattr(page, "nextPageToken", None)
                    if not token_ or len(page) == 0:
                        break
            else:
                start = 0
                while True:
                    page = client.search_issues(search.jql, startAt=start, maxResults=PAGE,
                                                fields=list(search.fields), properties=search.properties)
                    read += len(page)
                    start += len(page)
                    if len(page) == 0 or start >= page.total:
                        break
    finally:
        client.close()
    return read


def measure(program: GeneratedProgram, flavor: str, repeat: int = 3) -> tuple[list[Figure], dict[str, Any]]:
    """Recompute the whole program cold, then sweep it steady, then page the same searches plainly."""
    shape = program.shape
    with start_sandbox(program.seed, flavor) as sandbox:
        config = config_for(flavor)
        gateway = gateway_for(sandbox, config)
        recomputer = recomputer_for(config, gateway)
        before = issue_state(sandbox)
        sandbox.clear_requests()
        first = timed(lambda: recomputer.program(program.initiative))
        first_all = rest_requests(sandbox)
        discovery = [r for r in first_all if kind_of(r) in DISCOVERY]
        first_served = [r for r in first_all if kind_of(r) not in DISCOVERY]
        first_changed = changed_issues(before, issue_state(sandbox))

        sandbox.clear_requests()
        sweep = timed(lambda: recomputer.program(program.initiative), repeat)
        sweep_served = rest_requests(sandbox)
        per_sweep = len(sweep_served) // len(sweep.runs)
        searches = searches_of(sweep_served)

        sandbox.clear_requests()
        plain = timed(lambda: page_with_jira(sandbox, searches), repeat)
        plain_requests = len([r for r in rest_requests(sandbox)
                              if r["path"].endswith(("/search/jql", "/search"))])
        per_plain = plain_requests // len(plain.runs)

    outside = program.outside_blockers_count()
    first_floor = floor.full(shape.stories, shape.epics, outside, len(first_changed))
    sweep_floor = floor.full(shape.stories, shape.epics, outside, 0)
    name = f"{shape.stories:,}-story program"
    figures = [
        Figure(f"full recompute, first run: requests ({flavor})", len(first_served), "req", "floor",
               first_floor.total, "= floor", len(first_served) == first_floor.total,
               note=f"floor {first_floor.describe()}; measured {breakdown(first_served)}; counted apart, "
                    f"the cold gateway's one-time field discovery {breakdown(discovery)} "
                    f"({len(first_all)} requests in all)"),
        Figure(f"full recompute, first run: time ({flavor})", first.seconds, "s", "jira library paging",
               plain.seconds, "<= 1.5x", first.seconds <= 1.5 * plain.seconds,
               note=f"{name}, cold gateway; plain paging median of {len(plain.runs)}"),
        Figure(f"sweep, nothing changed: requests ({flavor})", per_sweep, "req", "floor", sweep_floor.total,
               "= floor", per_sweep == sweep_floor.total,
               note=f"floor {sweep_floor.describe()}; measured per sweep "
                    f"{ {k: v // len(sweep.runs) for k, v in breakdown(sweep_served).items()} }"),
        Figure(f"sweep, nothing changed: time ({flavor})", sweep.seconds, "s", "jira library paging",
               plain.seconds, "<= 1.5x", sweep.seconds <= 1.5 * plain.seconds,
               note=f"median of {len(sweep.runs)}; plain paging made {per_plain} requests per run"),
    ]
    details = {"first_run": {"seconds": round(first.seconds, 3), "requests": breakdown(first_served),
                             "discovery": breakdown(discovery),
                             "changed_issues": len(first_changed), "floor": first_floor.describe()},
               "sweep": {"seconds": [round(s, 3) for s in sweep.runs], "requests_per_sweep": per_sweep,
                         "floor": sweep_floor.describe()},
               "jira_library": {"seconds": [round(s, 3) for s in plain.runs], "issues_read": plain.value,
                                "requests_per_run": per_plain, "searches": [s.jql for s in searches]}}
    return figures, details

