"""A worker process for the kill -9 test: a slow, deterministic recompute that logs completions."""

from __future__ import annotations

import argparse
import os
import time
from dataclasses import replace
from typing import Any

from rules.config import AppConfig, WorkerSettings
from webhooks.store.inbox import SqliteInbox, Target
from webhooks.worker.loop import Worker


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("store")
    parser.add_argument("completions")
    parser.add_argument("--delay", type=float, default=0.05)
    parser.add_argument("--lease", type=float, default=1.0)
    parser.add_argument("--until-empty", action="store_true")
    args = parser.parse_args()
    config = replace(AppConfig(), store_path=args.store,
                     worker=WorkerSettings(debounce_seconds=0, max_delay_seconds=0, max_attempts=5))
    store = SqliteInbox(args.store)

    def targets_for(payload: dict[str, Any]) -> list[Target]:
        return [Target("project", payload["issue"]["key"])]

    def recompute(target: Target) -> None:
        time.sleep(args.delay)
        with open(args.completions, "a", encoding="utf-8") as out:
            out.write(f"{os.getpid()} {target.key}\n")
            out.flush()
            os.fsync(out.fileno())

    worker = Worker(store, targets_for, recompute, config, lease_seconds=args.lease)
    while True:
        handled = worker.run_once()
        if args.until_empty and store.depth() == 0:
            return 0
        if handled == 0:
            time.sleep(0.02)


if __name__ == "__main__":
    raise SystemExit(main())
