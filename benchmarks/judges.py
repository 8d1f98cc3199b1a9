"""Judge throughput against a loopback OpenAI-compatible server, and Finegrain's overhead.

    .venv/bin/python benchmarks/judges.py                 # 2000 items, server at 0 and 50 ms
    .venv/bin/python benchmarks/judges.py --items 500 --latency-ms 0

What runs, per server latency, in one process against one server (a separate process, so its
CPU does not share this process's interpreter lock):

- **baseline**: raw httpx, 16 threads, one shared client, the same request bodies Finegrain
  sends (rendered before the clock starts), ``json.loads`` of each answer — no parsing of the
  model output, no quote placement, no storage;
- **finegrain**: a real judge run (``judge_run_execute``, the worker's code path) with
  ``max_concurrency=16``: the guarded client (allowlist, resolve-and-pin, size/time caps),
  prompt rendering, output parsing and validation, quote placement, unit validation,
  ``annotation_bulk_create`` and per-item results in the database, progress updates.

Finegrain's overhead per judged item = (finegrain wall time − baseline wall time) / items.
At 0 ms server latency both are CPU-bound, so the difference is Finegrain's own work. The
``rules`` kind (no HTTP at all) is shown for scale. The database is a fresh test database
(SQLite file by default; PostgreSQL with DATABASE_URL), created and dropped here.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
CONCURRENCY = 16
TEXT = (
    "Item {i}: Bloom is the second studio album by Australian singer Troye Sivan, released on "
    "31 August 2018 through EMI Australia and Capitol Records. The album follows his 2015 "
    "debut Blue Neighbourhood and features Gordi and Ariana Grande. It sold well."
)
CONTENT = json.dumps(
    {
        "errors": [
            {"quote": "It sold well.", "error_type": "irrelevant", "explanation": "Off topic."}
        ]
    }
)


def serve(latency_ms: float) -> None:
    """Run the loopback server (child process): print the port, answer until killed."""
    body = json.dumps({
        "id": "bench", "object": "chat.completion", "created": 0, "model": "bench",
        "choices": [{"index": 0, "finish_reason": "stop",
                     "message": {"role": "assistant", "content": CONTENT}}],
        "usage": {"prompt_tokens": 400, "completion_tokens": 30, "total_tokens": 430},
    }).encode()  # fmt: skip

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("content-length") or 0))
            if latency_ms:
                time.sleep(latency_ms / 1000)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    print(server.server_address[1], flush=True)
    server.serve_forever()


def start_server(latency_ms: float) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, __file__, "--serve", str(latency_ms)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    port = int(process.stdout.readline())
    return process, f"http://127.0.0.1:{port}/v1"


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    import django  # noqa: PLC0415 - after the settings module is chosen

    django.setup()


def make_items(count: int) -> Any:
    from annotator.models import Item, Response  # noqa: PLC0415
    from judges.models import ProjectJudgePolicy  # noqa: PLC0415
    from tests.factories import make_project, make_user  # noqa: PLC0415

    project = make_project(admin=make_user("bench-admin"))
    ProjectJudgePolicy.objects.create(project=project, allowed_hosts=["127.0.0.1"])
    items = Item.objects.bulk_create(
        [Item(project=project, external_id=f"b{i}", prompt="When was Bloom released?")
         for i in range(count)]
    )  # fmt: skip
    Response.objects.bulk_create(
        [Response(item=it, index=0, text=TEXT.format(i=i)) for i, it in enumerate(items)]
    )
    return project


def request_bodies(project: Any, url: str) -> list[bytes]:
    """The exact bodies Finegrain sends, rendered before any clock starts."""
    from core.outbound import OutboundPolicy  # noqa: PLC0415
    from judges.backends.openai import OpenAIBackend  # noqa: PLC0415
    from judges.judging import build_prompts  # noqa: PLC0415
    from judges.kinds import config_validate  # noqa: PLC0415
    from judges.models import JudgeRun  # noqa: PLC0415
    from judges.services.execution import _spec, item_info  # noqa: PLC0415

    config = config_validate("openai", {"base_url": url, "model": "bench"})
    backend = OpenAIBackend(config, OutboundPolicy.build(["127.0.0.1"]))
    spec = _spec(JudgeRun(project=project, task="spans", prompt_version="spans-v1"), True)
    bodies = []
    for item in project.items.prefetch_related("responses").order_by("pk"):
        for prompt in build_prompts(item_info(item), spec):
            bodies.append(json.dumps(backend.body(prompt)).encode())
    backend.close()
    return bodies


def baseline(url: str, bodies: list[bytes]) -> float:
    import httpx  # noqa: PLC0415

    client = httpx.Client(
        limits=httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY),
        timeout=30,
    )

    def one(body: bytes) -> None:
        response = client.post(
            f"{url}/chat/completions", content=body, headers={"Content-Type": "application/json"}
        )
        json.loads(response.content)

    started = time.perf_counter()
    with ThreadPoolExecutor(CONCURRENCY) as pool:
        list(pool.map(one, bodies))
    elapsed = time.perf_counter() - started
    client.close()
    return elapsed


def finegrain(project: Any, url: str, name: str) -> tuple[float, Any]:
    from judges.services.configs import judge_create  # noqa: PLC0415
    from judges.services.execution import judge_run_execute  # noqa: PLC0415
    from judges.services.runs import judge_run_create  # noqa: PLC0415

    config = {"base_url": url, "model": "bench", "max_concurrency": CONCURRENCY}
    judge = judge_create(project=project, name=name, kind="openai", config=config)
    run = judge_run_create(judge=judge, task="spans")
    started = time.perf_counter()
    run = judge_run_execute(run_id=run.pk)
    return time.perf_counter() - started, run


def rules(project: Any) -> tuple[float, Any]:
    from judges.services.configs import judge_create  # noqa: PLC0415
    from judges.services.execution import judge_run_execute  # noqa: PLC0415
    from judges.services.runs import judge_run_create  # noqa: PLC0415

    config = {"rules": [{"error_type": "irrelevant", "pattern": r"It sold well\."}]}
    judge = judge_create(project=project, name="bench-rules", kind="rules", config=config)
    run = judge_run_create(judge=judge, task="spans")
    started = time.perf_counter()
    run = judge_run_execute(run_id=run.pk)
    return time.perf_counter() - started, run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=2000)
    parser.add_argument("--latency-ms", type=float, nargs="*", default=[0.0, 50.0])
    parser.add_argument("--serve", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve is not None:
        serve(args.serve)
        return
    print(f"load average before: {os.getloadavg()[0]:.2f} (1 min), cores: {os.cpu_count()}")
    setup_django()
    from django.db import connection  # noqa: PLC0415
    from django.test.utils import setup_test_environment  # noqa: PLC0415

    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    rows = []
    try:
        project = make_items(args.items)
        n = args.items
        for latency in args.latency_ms:
            process, url = start_server(latency)
            try:
                bodies = request_bodies(project, url)
                baseline(url, bodies[: min(200, n)])  # warm up connections and code paths
                t_base = baseline(url, bodies)
                t_fg, run = finegrain(project, url, f"bench-{latency:g}")
                assert run.succeeded_count == n, (run.status, run.error, run.failed_count)
            finally:
                process.kill()
                process.wait()
            rows.append((latency, n, t_base, t_fg))
        t_rules, run = rules(project)
        assert run.succeeded_count == n
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    backend = connection.vendor
    print(f"\n{n} items, 1 text response each, {CONCURRENCY} concurrent requests, {backend}\n")
    print("| server latency | baseline: raw httpx items/s | Finegrain judge run items/s | "
          "Finegrain / baseline | Finegrain overhead per item |")  # fmt: skip
    print("|---:|---:|---:|---:|---:|")
    for latency, n, t_base, t_fg in rows:
        overhead_ms = (t_fg - t_base) / n * 1000
        print(f"| {latency:g} ms | {n / t_base:,.0f} | {n / t_fg:,.0f} | "
              f"{t_base / t_fg:.2f}× | {overhead_ms:.2f} ms |")  # fmt: skip
    print(f"\n`rules` judge (no HTTP), same items: {n / t_rules:,.0f} items/s "
          f"({t_rules / n * 1000:.2f} ms per item, storage included)")  # fmt: skip
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    threading.current_thread().name = "bench"
    main()
