"""The load generator of the ingest and burst benchmarks, and the ceiling app it is measured against.

It runs in a process of its own (`python -m bench.loadgen URL BODIES`), so it imports only what
posting signed deliveries needs: the client threads then share no interpreter with the bench.
"""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
import threading
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import requests
from flask import Flask, Response

from webhooks.web.signature import HEADER, sign

PATH = "/webhooks/jira"
SECRET = "bench-webhook-secret"
CONCURRENCY = 4


def bare_app() -> Flask:
    """Return the ceiling: a Flask app whose webhook view does nothing and answers 204."""
    app = Flask("pmrollup-bench-ceiling")

    @app.post(PATH)
    def receive() -> Response:
        return Response(status=204)

    @app.get("/healthz")
    def healthz() -> Response:
        return Response("ok", status=200)

    return app


def load(url: str, bodies: Sequence[bytes], total: int, concurrency: int, run: str) -> dict[str, Any]:
    """Post `total` signed deliveries from `concurrency` threads; return rate, percentiles, statuses."""
    signatures = [sign(SECRET, b) for b in bodies]
    counter = itertools.count()
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    lock = threading.Lock()

    def client() -> None:
        session = requests.Session()
        mine: list[float] = []
        seen: Counter[int] = Counter()
        while (n := next(counter)) < total:
            i = n % len(bodies)
            headers = {"Content-Type": "application/json", HEADER: signatures[i],
                       "X-Atlassian-Webhook-Identifier": f"{run}-{n}"}
            started = time.perf_counter()
            status = session.post(url + PATH, data=bodies[i], headers=headers, timeout=30).status_code
            mine.append(time.perf_counter() - started)
            seen[status] += 1
        with lock:
            latencies.extend(mine)
            statuses.update(seen)
        session.close()

    threads = [threading.Thread(target=client) for _ in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    ordered = sorted(latencies)
    return {"requests": len(ordered), "seconds": round(seconds, 3), "rate": len(ordered) / seconds,
            "p50_ms": 1000 * statistics.median(ordered),
            "p99_ms": 1000 * ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))],
            "statuses": {str(k): v for k, v in sorted(statuses.items())}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Post signed deliveries and print figures as JSON.")
    parser.add_argument("url")
    parser.add_argument("bodies", help="a JSON list of delivery bodies")
    parser.add_argument("--total", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=CONCURRENCY)
    parser.add_argument("--run", default="run")
    parser.add_argument("--warm-up", type=int, default=0, help="deliveries posted first, not measured")
    args = parser.parse_args(argv)
    bodies = [b.encode("utf-8") for b in json.loads(Path(args.bodies).read_text(encoding="utf-8"))]
    if args.warm_up:
        load(args.url, bodies, args.warm_up, args.concurrency, f"warm-{args.run}")
    print(json.dumps(load(args.url, bodies, args.total, args.concurrency, args.run)), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
