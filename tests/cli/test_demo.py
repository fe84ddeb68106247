"""`pmrollup demo`: the story plays to the end, and what it shows is what `pmrollup evaluate` computes."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import requests

from webhooks.cli.demo import Demo
from webhooks.cli.story import PROGRAM, STORY

ROOT = Path(__file__).resolve().parents[2]
URL = re.compile(r"(sandbox Jira|pmrollup)\s+(http://127\.0\.0\.1:\d+)")


def demo_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "webhooks.cli.main", "demo", *args]


def clean_env() -> dict[str, str]:
    """Return the environment of a newcomer's shell: no Jira, no pmrollup settings."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("JIRA_", "PMROLLUP_"))}


def last_rollup_table(lines: list[str]) -> dict[str, list[str]]:
    """Parse the last 'Rollup fields in Jira' table: key -> cells, the new side of 'old -> new'."""
    start = max(i for i, line in enumerate(lines) if line.startswith("Rollup fields in Jira"))
    rows: dict[str, list[str]] = {}
    for line in lines[start + 3:]:
        if not line.strip():
            break
        cells = re.split(r"\s{2,}", line.strip())
        rows[cells[0]] = [c.split(" -> ")[-1] for c in cells[2:]]
    return rows


def test_demo_plays_the_whole_story_and_exits_0() -> None:
    done = subprocess.run(demo_command(), cwd=ROOT, env=clean_env(), capture_output=True, text=True,
                          timeout=180)
    assert done.returncode == 0, done.stderr
    for number, step in enumerate(STORY, 1):
        assert f"== Step {number}: {step.title}" in done.stdout
    assert "Program view: PAY-1 Launch instant payouts" in done.stdout
    assert "computes the same values Jira holds, with nothing left to write: yes" in done.stdout
    assert '"event"' not in done.stdout + done.stderr, "the service's JSON log belongs in its log file"


@pytest.mark.parametrize("flavor", ["cloud", "datacenter"])
def test_demo_tables_match_pmrollup_evaluate(tmp_path: Path, flavor: str) -> None:
    lines: list[str] = []
    demo = Demo(tmp_path, flavor, echo=lambda text: lines.extend(text.split("\n")))
    try:
        demo.start()
        demo.play()
        env = {**clean_env(), **demo.environ}
        done = subprocess.run([sys.executable, "-m", "webhooks.cli.main", "--config",
                               str(tmp_path / "app.yaml"), "evaluate", PROGRAM, "--dry-run", "--json"],
                              cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
        comments = {issue.key: [c.body for c in demo.reader().comments(issue.key)]
                    for issue in demo.program_view()}
        scope_state = demo.reader().get_property("PAY-2", "pmrollup.state")
        pay3_labels = [i.labels for i in demo.program_view() if i.key == "PAY-3"][0]
    finally:
        demo.stop()
    assert done.returncode == 0, done.stderr
    evaluated = json.loads(done.stdout)
    assert evaluated["writes"] == [], "Jira should already hold every value pmrollup computes"
    shown = last_rollup_table(lines)
    for result in [evaluated, *evaluated["projects"]]:
        metrics = result["metrics"]
        progress, scope, budget, overdue, health = shown[result["key"]]
        assert float(progress) == round(metrics["progress_pct"], 1)
        assert float(scope) == round(metrics["scope_growth_pct"] or 0.0, 1)
        assert float(budget) == round(metrics["budget_used_pct"], 1)
        assert int(overdue) == metrics["dependencies_overdue"]
        assert health == metrics["health"]
    assert shown["PAY-2"][0] == "60.4" and shown["PAY-2"][2] == "110.0"  # the story's points and costs
    said = {key: " ".join(bodies) for key, bodies in comments.items()}
    assert "(scope-creep-critical)" in said["PAY-2"] and "(budget-overrun)" in said["PAY-2"]
    assert "(overdue-dependency)" in said["WEB-2"]
    # PAY-3's overdue dependency was there before pmrollup came (the silent first run), so its clear is
    # not announced either: its label goes, and no comment speaks of a start nobody was told about.
    assert "Cleared by pmrollup" not in said["PAY-3"] and "pmrollup-blocked" not in pay3_labels
    assert isinstance(scope_state, dict)
    since = scope_state["findings"]["scope-creep-critical"]["since"]
    assert since.startswith("2026-03-16"), "stamps follow the demo's frozen today"
    markers = [m for bodies in comments.values() for b in bodies
               for m in re.findall(r"\[pmrollup:[^\]]+\]", b)]
    assert len(markers) == len(set(markers)), "each transition is said once"


def test_demo_keep_leaves_both_running_until_ctrl_c() -> None:
    process = subprocess.Popen(demo_command("--keep"), cwd=ROOT, env=clean_env(), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    watchdog = threading.Timer(120, process.kill)  # a demo that never gets there fails, not hangs
    watchdog.start()
    try:
        assert process.stdout is not None
        urls: dict[str, str] = {}
        for line in process.stdout:
            found = URL.search(line)
            if found:
                urls[found.group(1)] = found.group(2)
            if "evaluate PAY-2 --dry-run" in line:  # the last line before it waits
                break
        assert set(urls) >= {"sandbox Jira", "pmrollup"}
        assert requests.get(urls["pmrollup"] + "/healthz", timeout=10).status_code == 200
        issue = requests.get(urls["sandbox Jira"] + "/rest/api/2/issue/PAY-2",
                             auth=("admin@example.com", "token"), timeout=10)
        assert issue.status_code == 200
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=60) == 0
    finally:
        watchdog.cancel()
        if process.poll() is None:
            process.kill()
            process.wait()
