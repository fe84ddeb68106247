"""One story changes: the Jira requests until its epic and initiative are up to date, beside the floor
and beside a full recompute of the program."""

from __future__ import annotations

import json
from typing import Any

from bench import floor
from bench.delivery import capture_edits, process, service_parts
from bench.figure import Figure
from bench.harness import (
    breakdown,
    changed_issues,
    config_for,
    gateway_for,
    issue_state,
    recomputer_for,
    rest_requests,
    warm,
)
from bench.seeds import GeneratedProgram
from sandbox.server import start_sandbox


def measure(program: GeneratedProgram, flavor: str) -> tuple[list[Figure], dict[str, Any]]:
    """Change one story in a computed program; count what bringing it up to date costs."""
    with start_sandbox(program.seed, flavor) as sandbox:
        config = config_for(flavor)
        gateway = gateway_for(sandbox, config)
        recomputer = recomputer_for(config, gateway)
        recomputer.program(program.initiative)  # the program was computed before: snapshots exist
        warm(gateway)
        story, epic = program.story_to_change()
        [delivery] = capture_edits(sandbox, [(story, {"status": "Done"})])
        router, recompute = service_parts(config, gateway)
        before = issue_state(sandbox)
        sandbox.clear_requests()
        targets = process(json.loads(delivery), router, recompute)
        served = rest_requests(sandbox)
        changed = changed_issues(before, issue_state(sandbox))

        others = [s for s in program.stories_of[epic] if s != story]
        sandbox.edit(others[-1], {"status": "Done"})
        sandbox.clear_requests()
        recomputer.program(program.initiative)
        full_requests = len(rest_requests(sandbox))

    unavoidable = floor.one_change(children=len(program.stories_of[epic]), epics=len(program.epics),
                                   blockers=len(program.blockers_of(epic)), changed=len(changed))
    measured = len(served)
    figures = [
        Figure(f"one change: Jira requests ({flavor})", measured, "req", "floor", unavoidable.total,
               "= floor", measured == unavoidable.total,
               note=f"floor {unavoidable.describe()}; measured {breakdown(served)}; "
                    f"the sandbox's delivery through Router and TargetRecompute"),
        Figure(f"one change vs full recompute ({flavor})", measured, "req", "full recompute", full_requests,
               "<= 0.10x", full_requests >= 10 * measured,
               note=f"full recompute of the same program after one more change: {full_requests} requests"),
    ]
    details = {"story": story, "epic": epic, "changed_issues": sorted(changed),
               "targets": [{"kind": t.kind, "key": t.key, "projects": sorted(t.projects)} for t in targets],
               "floor": unavoidable.describe(), "requests": breakdown(served), "full_requests": full_requests}
    return figures, details
