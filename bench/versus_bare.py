"""casework's request path against a bare FastAPI application in its own process.

For one database (``--backend sqlite`` or ``postgres``), starts

* casework (``python -m casework.cli serve``, its whole stack: authentication with
  immediate revocation, validation, scope, idempotency, audit chain, metrics, logs),
* bench/bare_app.py (same FastAPI, Starlette and uvicorn; the driver's own INSERT
  and commit, or SELECT by key; nothing else),

each on a fresh database, and loads them in alternating rounds (bare, casework,
then casework, bare, ...) at a fixed concurrency, with ``wrk`` when it is
installed (``apt-get install -y wrk``) and a Python load generator otherwise
(labelled: it shares the server's CPU). It prints req/s per path (median round)
and the median of the rounds' ratios (lowest and highest in brackets) for

* ``POST /api/v1/incidents``            vs the bare INSERT + commit,
* ``GET /api/v1/incidents/{id}`` (authenticated) vs the bare SELECT by key,
* ``GET /health``                        vs the bare sync and async ``/health``.

``--workers 2`` additionally compares two casework workers' POST throughput with
one worker's (PostgreSQL; on SQLite the workers share one write lock).

    .venv/bin/python bench/versus_bare.py --backend sqlite
    .venv/bin/python bench/versus_bare.py --backend postgres [--workers 2]

PostgreSQL: CASEWORK_BENCH_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/test);
each application works in a schema of its own, dropped afterwards.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

from bench.incident_throughput import (  # noqa: E402
    SECRET,
    free_port,
    incident,
    postgres_schema,
    prepare,
)

ROUNDS = 3
WRK = shutil.which("wrk")


@contextmanager
def process(command: list[str], env: dict[str, str], ready: str) -> Iterator[None]:
    proc = subprocess.Popen(
        command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(ready, timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            raise RuntimeError(f"{command[:4]} did not start")
        yield
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def casework(env: dict[str, str], port: int, workers: int) -> Any:
    command = [sys.executable, "-m", "casework.cli", "serve", "--port", str(port)]
    command += ["--workers", str(workers)]
    return process(command, env, f"http://127.0.0.1:{port}/health")


def bare(env: dict[str, str], port: int) -> Any:
    command = [sys.executable, "-m", "uvicorn", "bare_app:app", "--app-dir", str(ROOT / "bench")]
    command += ["--port", str(port), "--log-level", "warning", "--no-access-log"]
    return process(command, env, f"http://127.0.0.1:{port}/health/sync")


LUA = """wrk.method = "{method}"
wrk.body = {body}
{headers}
"""


def wrk_load(
    url: str, method: str, headers: dict[str, str], body: str | None, seconds: float, c: int
) -> tuple[float, int]:
    """(req/s, failed responses) from wrk; two threads, `c` connections."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        lines = "\n".join(f'wrk.headers["{k}"] = "{v}"' for k, v in headers.items())
        script.write(LUA.format(method=method, body=json.dumps(body or ""), headers=lines))
    try:
        out = subprocess.run(
            [WRK or "wrk", "-t2", f"-c{c}", f"-d{max(1, round(seconds))}s", "-s", script.name, url],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        os.unlink(script.name)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors:.*?read (\d+), write (\d+), timeout (\d+)", out)
    failed = int(bad.group(1)) if bad else 0
    failed += sum(int(n) for n in errors.groups()) if errors else 0
    return rps, failed


def python_load(
    url: str, method: str, headers: dict[str, str], body: str | None, seconds: float, c: int
) -> tuple[float, int]:
    """The fallback: `c` threads with keep-alive clients (shares the server's CPU)."""
    deadline = time.monotonic() + seconds

    def worker(_: int) -> tuple[int, int]:
        done = failed = 0
        with httpx.Client(headers=headers, timeout=30) as client:
            while time.monotonic() < deadline:
                response = client.request(method, url, content=body)
                done += 1
                failed += response.status_code >= 300
        return done, failed

    started = time.perf_counter()
    with ThreadPoolExecutor(c) as pool:
        results = list(pool.map(worker, range(c)))
    elapsed = time.perf_counter() - started
    return sum(d for d, _ in results) / elapsed, sum(f for _, f in results)


LOAD: Callable[..., tuple[float, int]] = wrk_load if WRK else python_load
GENERATOR = "wrk (-t2)" if WRK else "Python threads (no wrk: the generator shares the CPU)"


def compare(
    name: str,
    paths: dict[str, tuple[str, str, dict[str, str], str | None]],
    seconds: float,
    concurrency: int,
) -> dict[str, Any]:
    """Alternating rounds of each path; the median round and the median ratio."""
    rates: dict[str, list[float]] = {path: [] for path in paths}
    failed = 0
    for url, method, headers, body in paths.values():  # warm-up
        LOAD(url, method, headers, body, 1, concurrency)
    for round_no in range(ROUNDS):
        order = list(paths) if round_no % 2 == 0 else list(reversed(paths))
        for path in order:
            url, method, headers, body = paths[path]
            rps, bad = LOAD(url, method, headers, body, seconds, concurrency)
            rates[path].append(rps)
            failed += bad
    first, second = list(paths)
    ratios = [a / b for a, b in zip(rates[first], rates[second], strict=True)]
    result = {
        "comparison": name,
        first: statistics.median(rates[first]),
        second: statistics.median(rates[second]),
        "ratio": statistics.median(ratios),
        "range": (min(ratios), max(ratios)),
        "failed": failed,
    }
    print(
        f"  {name:<44} {result[first]:8.0f} vs {result[second]:8.0f}"
        f" req/s  ratio {result['ratio']:.2f} ({min(ratios):.2f}-{max(ratios):.2f})"
        f"  failed {failed}",
        flush=True,
    )
    return result


def seed(env: dict[str, str], base: str, token: str, bare_base: str) -> tuple[str, str]:
    """One incident in each application, without a description (its read is not audited)."""
    body = incident(datetime.now(UTC).date().isoformat())
    body.pop("description")
    made = httpx.post(
        f"{base}/api/v1/incidents", json=body, headers={"Authorization": f"Bearer {token}"}
    )
    made.raise_for_status()
    bare_made = httpx.post(f"{bare_base}/incidents", json=body)
    bare_made.raise_for_status()
    return made.json()["id"], bare_made.json()["id"]


def run(backend: str, seconds: float, concurrency: int, workers: int) -> None:
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="cw-bench-")))
        if backend == "sqlite":
            url = f"sqlite:///{tmp}/casework.db"
            bare_env = {"BARE_DATABASE": str(tmp / "bare.db")}
        else:
            base_url = os.environ.get(
                "CASEWORK_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
            )
            url = stack.enter_context(postgres_schema(base_url))
            bare_schema_url = stack.enter_context(postgres_schema(base_url))
            schema = make_url(bare_schema_url).query["options"].split("=", 1)[1]  # type: ignore[union-attr]
            bare_env = {"BARE_DATABASE": base_url, "BARE_SCHEMA": str(schema)}
        env = {
            **os.environ,
            "CASEWORK_DATABASE_URL": url,
            "CASEWORK_SECRET_KEY": SECRET,
            "CASEWORK_ENV": "development",
            "CASEWORK_DATA_DIR": str(tmp),
            "PYTHONPATH": str(ROOT / "src"),
        }
        token, _, _ = prepare(url, env)
        bare_env = {**os.environ, **bare_env}
        subprocess.run(
            [sys.executable, "-c", "import bare_app; bare_app.create_table()"],
            env=bare_env,
            cwd=ROOT / "bench",
            check=True,
        )
        port, bare_port = free_port(), free_port()
        base, bare_base = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{bare_port}"
        print(f"{backend}: {GENERATOR}, concurrency {concurrency}, {ROUNDS} rounds of {seconds}s")
        auth = {"Authorization": f"Bearer {token}"}
        body = json.dumps(incident(datetime.now(UTC).date().isoformat()))
        post = {"Content-Type": "application/json"}
        with casework(env, port, 1), bare(bare_env, bare_port):
            record, bare_record = seed(env, base, token, bare_base)
            compare(
                "POST /api/v1/incidents / bare INSERT",
                {
                    "casework": (f"{base}/api/v1/incidents", "POST", post | auth, body),
                    "bare": (f"{bare_base}/incidents", "POST", post, body),
                },
                seconds,
                concurrency,
            )
            compare(
                "GET /api/v1/incidents/{id} / bare SELECT",
                {
                    "casework": (f"{base}/api/v1/incidents/{record}", "GET", auth, None),
                    "bare": (f"{bare_base}/incidents/{bare_record}", "GET", {}, None),
                },
                seconds,
                concurrency,
            )
            for kind in ("sync", "async"):
                compare(
                    f"GET /health / bare {kind} /health",
                    {
                        "casework": (f"{base}/health", "GET", {}, None),
                        "bare": (f"{bare_base}/health/{kind}", "GET", {}, None),
                    },
                    seconds,
                    concurrency,
                )
        if workers > 1:
            scaling(env, workers, seconds, concurrency, auth | post, body)
        engine = create_engine(url)
        with engine.connect() as connection:
            stored = connection.execute(text("SELECT count(*) FROM incidents")).scalar()
        engine.dispose()
        print(f"  incidents stored by casework: {stored}")


def scaling(
    env: dict[str, str],
    workers: int,
    seconds: float,
    concurrency: int,
    headers: dict[str, str],
    body: str,
) -> None:
    """POST throughput of `workers` casework processes against one, alternating."""
    rates: dict[int, list[float]] = {1: [], workers: []}
    for round_no in range(ROUNDS):
        order = (1, workers) if round_no % 2 == 0 else (workers, 1)
        for count in order:
            port = free_port()
            with casework(env, port, count):
                url = f"http://127.0.0.1:{port}/api/v1/incidents"
                LOAD(url, "POST", headers, body, 1, concurrency)  # warm every worker
                rates[count].append(LOAD(url, "POST", headers, body, seconds, concurrency)[0])
    ratios = [m / o for m, o in zip(rates[workers], rates[1], strict=True)]
    print(
        f"  POST /api/v1/incidents, {workers} workers / 1 worker: "
        f"{statistics.median(rates[workers]):.0f} vs {statistics.median(rates[1]):.0f} req/s,"
        f" ratio {statistics.median(ratios):.2f} ({min(ratios):.2f}-{max(ratios):.2f});"
        f" {os.cpu_count()} CPUs shared with the load generator",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--seconds", type=float, default=5.0, help="per round and path")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=1, help="also compare N workers with 1")
    args = parser.parse_args()
    run(args.backend, args.seconds, args.concurrency, args.workers)


if __name__ == "__main__":
    main()
