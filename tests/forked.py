"""Run `pmrollup` commands each as a process of its own, forked from one process that imported
pmrollup once: each has its own stdout, stderr, exit code and logging as a fresh process has them
(no handler but Python's last resort), without paying for the imports once per command."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

# argv[1]: a JSON list of [folder, argv]; each child runs in its folder as the console script runs
# (`sys.exit(main())`), its stdout and stderr to the folder's `out` and `err`; the parent prints the
# children's exit codes. gc.freeze() keeps the children from copying the parent's memory at exit
# (https://docs.python.org/3/library/gc.html#gc.freeze).
FORKED = """\
import gc, json, os, sys
from webhooks.cli.main import main
gc.freeze()
children = []
for folder, argv in json.loads(sys.argv[1]):
    pid = os.fork()
    if pid == 0:
        os.chdir(folder)
        for fd, name in ((1, "out"), (2, "err")):
            os.dup2(os.open(name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC), fd)
        sys.argv = ["pmrollup", *argv]
        sys.exit(main())
    children.append(pid)
print(json.dumps([os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) for pid in children]))
"""


@dataclass(frozen=True)
class Ran:
    """How one `pmrollup` command ended: its exit code and what it printed."""

    returncode: int
    stdout: str
    stderr: str


def run_forked(plan: Sequence[tuple[Path, Sequence[str]]], env: Mapping[str, str], cwd: Path,
               timeout: float = 60.0) -> list[Ran]:
    """Run each (folder, argv) as its own forked `pmrollup` process; return how each ended, in order.
    Every child is killed when the run takes longer than `timeout`."""
    forks = subprocess.Popen([sys.executable, "-c", FORKED, json.dumps([[str(f), list(a)] for f, a in plan])],
                             env=dict(env), cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, start_new_session=True)
    try:
        out, err = forks.communicate(timeout=timeout)
    finally:
        if forks.poll() is None:
            os.killpg(forks.pid, signal.SIGKILL)
    assert forks.returncode == 0, err
    codes = json.loads(out)
    return [Ran(code, (folder / "out").read_text(), (folder / "err").read_text())
            for (folder, _), code in zip(plan, codes, strict=True)]
