"""`python -m bench`: run every benchmark, print the table, write bench/results.json."""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.figure import Figure, render
from bench.seeds import FULL, TINY, TODAY, GeneratedProgram, program_seed

RESULTS = Path(__file__).with_name("results.json")
FLAVORS = ("cloud", "datacenter")

Measure = Callable[[GeneratedProgram, str], tuple[list[Figure], dict[str, Any]]]


def machine() -> dict[str, Any]:
    """Describe where the figures were measured."""
    return {"date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), "nproc": os.cpu_count(),
            "python": platform.python_version(), "platform": platform.platform(terse=True)}


def benchmarks(quick: bool) -> list[tuple[str, Measure, tuple[str, ...]]]:
    """Return (name, measure, flavors) for every benchmark, imported lazily."""
    from bench import coalescing, forecasts, full, ingest, memory, one_change, peer

    return [
        ("one_change", one_change.measure, FLAVORS),
        ("full", full.measure, FLAVORS),
        ("forecast", forecasts.measure, ("cloud",)),
        ("memory", memory.measure, ("cloud",)),
        ("peer", peer.quick_measure if quick else peer.measure, ("cloud",)),
        ("coalescing", coalescing.quick_measure if quick else coalescing.measure, ("cloud",)),
        ("ingest", ingest.quick_measure if quick else ingest.measure, ("cloud",)),
    ]


def run(quick: bool = False, only: Sequence[str] = (), out: Path | None = RESULTS,
        echo: Callable[[str], None] = print) -> dict[str, Any]:
    """Run the benchmarks, print the table and return (and write) the results."""
    os.environ.setdefault("PMROLLUP_TODAY", TODAY)
    program = program_seed(TINY if quick else FULL)
    about = machine()
    echo(f"pmrollup bench: {program.shape.epics} epics x {program.shape.stories_per_epic} stories "
         f"({program.shape.stories:,}), {about['nproc']} cores, Python {about['python']}, {about['date']}")
    figures: list[Figure] = []
    details: dict[str, Any] = {}
    started = time.perf_counter()
    for name, measure, flavors in benchmarks(quick):
        if only and name not in only:
            continue
        for flavor in flavors:
            began = time.perf_counter()
            found, detail = measure(program, flavor)
            figures += found
            details[f"{name}/{flavor}"] = detail
            echo(f"  {name} ({flavor}): {time.perf_counter() - began:.1f} s")
    table = render(figures)
    echo("")
    echo(table)
    echo("")
    for figure in figures:
        if figure.note:
            echo(f"- {figure.name}: {figure.note}")
    seconds = round(time.perf_counter() - started, 1)
    results = {"machine": about, "shape": vars(program.shape), "seconds": seconds,
               "figures": [f.as_dict() for f in figures], "table": table, "details": details}
    if out is not None:
        partial = out.with_name(out.name + ".tmp")
        partial.write_text(json.dumps(results, indent=2, default=str) + "\n", encoding="utf-8")
        partial.replace(out)
        echo(f"\nwritten to {out}")
    return results


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a tiny program: checks the benchmarks run")
    parser.add_argument("--only", action="append", default=[], help="run only this benchmark (repeatable)")
    parser.add_argument("--out", default=str(RESULTS), help="where to write the results JSON")
    args = parser.parse_args(argv)
    logging.getLogger("pmrollup").setLevel(logging.ERROR)
    run(quick=args.quick, only=args.only, out=Path(args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
