"""Peak resident memory of a worker process while it recomputes the whole program."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from bench.figure import Figure
from bench.harness import ROOT, config_for, environ_for, recomputer_for
from bench.seeds import GeneratedProgram
from sandbox.server import RunningSandbox, start_sandbox

LIMIT_MB = 300.0


def status_kib(field: str, path: Path = Path("/proc/self/status")) -> int:
    """Return a memory line of /proc/<pid>/status (VmHWM, VmRSS) in KiB."""
    for line in path.read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise LookupError(f"{field} not in {path}")


def child(flavor: str, program: str) -> dict[str, float]:
    """Recompute `program` in this process (the worker) and report its memory before and at peak."""
    from connector.client import Credentials, JiraGateway

    config = config_for(flavor)
    rss_start = status_kib("VmRSS") / 1024
    gateway = JiraGateway(config, Credentials.from_env())
    recomputer = recomputer_for(config, gateway)
    recomputer.program(program)
    return {"rss_start_mb": round(rss_start, 1), "peak_mb": round(status_kib("VmHWM") / 1024, 1),
            "requests": gateway.request_count}


def run_child(sandbox: RunningSandbox, program: str) -> dict[str, float]:
    """Run the recompute in a fresh worker subprocess against a running sandbox."""
    command = [sys.executable, "-m", "bench.memory", sandbox.flavor, program]
    done = subprocess.run(command, cwd=ROOT, env=environ_for(sandbox), capture_output=True, text=True,
                          timeout=300, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"memory child failed: {done.stderr[-2000:]}")
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def measure(program: GeneratedProgram, flavor: str) -> tuple[list[Figure], dict[str, Any]]:
    """Start a sandbox here, recompute the program in a worker subprocess, read its peak RSS."""
    with start_sandbox(program.seed, flavor) as sandbox:
        found = run_child(sandbox, program.initiative)
    stories = program.shape.stories
    figure = Figure(f"worker peak RSS, full recompute ({flavor})", found["peak_mb"], "MB", "target",
                    LIMIT_MB, f"< {LIMIT_MB:g} MB", found["peak_mb"] < LIMIT_MB,
                    note=f"{stories:,} stories; {found['rss_start_mb']} MB after imports; "
                         f"{int(found['requests'])} requests")
    return [figure], dict(found)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Recompute one program and print peak memory as JSON.")
    parser.add_argument("flavor")
    parser.add_argument("program")
    args = parser.parse_args(argv)
    print(json.dumps(child(args.flavor, args.program)), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
