"""Export benchmark on PostgreSQL: snapshot + JSONL export of span labels, 10k vs 1M rows.

    .venv/bin/python benchmarks/export.py                 # 1,000,000 spans over 100,000 items
    .venv/bin/python benchmarks/export.py --items 20000   # a quicker run

Creates the database ``finegrain_bench_export`` on 127.0.0.1:5432 (dropped at the end unless
``--keep``), migrates it, loads two projects with COPY — a small one (1,000 items x 10 spans
= 10,000 span labels) and a large one (``--items`` x 10) — and for each size runs, in a fresh
child process:

1. the snapshot build (one REPEATABLE READ transaction → ``records.jsonl``),
2. the ``spans`` export of that snapshot as JSONL (written to /dev/null, streamed),

timing both and reading the child's peak RSS (``ru_maxrss``) after each. Baselines measured
in the same run on the same rows: ``COPY (SELECT <span rows joined to their response and
error type>) TO STDOUT`` (what the database alone can stream) and ``json.dumps`` of pre-built
span dicts (what Python alone can serialise). Label Studio 1.23's ~1,000 tasks/s JSON export
on this machine (DESIGN.md §8) is a static reference, not measured here.

The script waits (up to ``--wait`` seconds) for the 1-minute load average to drop below 1.5
so that it does not measure beside another benchmark, and prints the load it ran under.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import psycopg

HOST = "127.0.0.1"
ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
DB = "finegrain_bench_export"
ADMIN_URL = f"postgres://postgres@{HOST}:5432/postgres"
DB_URL = f"postgres://postgres@{HOST}:5432/{DB}"
SPANS_PER_ITEM = 10
SMALL_ITEMS = 1_000
LABEL_STUDIO_TASKS_PER_S = 1_000
SENTENCE = "The album {i} was released in {year} through label {k}, and it charted well. "

SETUP = """
import json, django
django.setup()
from django.contrib.auth import get_user_model
from annotator.services.projects import project_create
from annotator.services.taxonomy import (
    taxonomy_draft_create, taxonomy_publish, taxonomy_set_error_types)
user = get_user_model().objects.create_user(username="bench", password="x")
out = {"user": user.pk, "projects": []}
for name in ("small", "large"):
    project = project_create(name=name, created_by=user)
    draft = taxonomy_draft_create(project=project)
    taxonomy_set_error_types(taxonomy=draft, error_types=[
        {"key": k, "name": k, "severity_levels": ["minor", "major"], "unit_kinds": ["span"]}
        for k in ("irrelevant", "redundant", "incoherent", "unverifiable", "wrong-grounding")])
    taxonomy_publish(taxonomy=draft)
    out["projects"].append({"name": name, "id": project.pk, "taxonomy": draft.pk,
                            "error_types": list(draft.error_types.values_list("id", flat=True))})
print(json.dumps(out))
"""

MEASURE = """
import json, os, resource, sys, time, django
django.setup()
from django.db import connection
from snapshots.models import DatasetSnapshot
from snapshots.services.exports import export_request_parse, export_stream
from snapshots.services.snapshots import snapshot_build, snapshot_create
from annotator.models import Project

def rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

project = Project.objects.get(pk=int(sys.argv[1]))
connection.close()
base = rss_mb()
t0 = time.perf_counter()
snapshot = snapshot_create(project=project, created_by=None, enqueue=False)
job = snapshot_build(snapshot_id=snapshot.pk)
build_s = time.perf_counter() - t0
assert job.status == "succeeded", job.error
after_build = rss_mb()
snapshot = DatasetSnapshot.objects.select_related("job").get(pk=snapshot.pk)
request = export_request_parse(snapshot=snapshot, query={"format": "spans"})
t1 = time.perf_counter()
size = 0
with open(os.devnull, "wb") as sink:
    for chunk in export_stream(snapshot, request):
        sink.write(chunk)
        size += len(chunk)
export_s = time.perf_counter() - t1
print(json.dumps({"spans": snapshot.counts["spans"], "items": snapshot.counts["items"],
                  "records_bytes": snapshot.manifest["files"][0]["bytes"], "export_bytes": size,
                  "build_s": build_s, "export_s": export_s, "rss_base_mb": base,
                  "rss_after_build_mb": after_build, "rss_peak_mb": rss_mb()}))
"""


def wait_quiet(limit_s: float) -> float:
    deadline = time.monotonic() + limit_s
    load = os.getloadavg()[0]
    while load > 1.5 and time.monotonic() < deadline:
        print(f"load average {load:.2f} > 1.5: waiting for a quiet machine...", flush=True)
        time.sleep(20)
        load = os.getloadavg()[0]
    return load


def child(code: str, *args: str, env: dict[str, str]) -> dict[str, Any]:
    out = subprocess.run(
        [str(PYTHON), "-c", code, *args], cwd=ROOT, env=env, capture_output=True, text=True,
        check=False,
    )  # fmt: skip
    if out.returncode != 0:
        sys.exit(f"child failed:\n{out.stderr[-4000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def copy_rows(conn: psycopg.Connection, table: str, columns: list[str], rows: Any) -> None:
    with conn.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as cp:
        for row in rows:
            cp.write_row(row)


def load_project(conn: psycopg.Connection, project: dict[str, Any], user: int, items: int,
                 first_id: int) -> None:  # fmt: skip
    """Items, one text response each, one human annotation each with SPANS_PER_ITEM spans."""
    now = "2026-01-01T00:00:00+00:00"
    pid, types = project["id"], project["error_types"]
    ids = range(first_id, first_id + items)
    texts = {i: "".join(SENTENCE.format(i=i, year=1990 + j, k=j) for j in range(6)) for i in ids}
    copy_rows(conn, "annotator_item",
              ["id", "created_at", "updated_at", "external_id", "prompt", "messages", "context",
               "metadata", "is_gold", "annotation_count", "project_id"],
              ((i, now, now, f"bench-{i}", f"When was album {i} released?", "[]", "[]", "{}",
                False, 1, pid) for i in ids))  # fmt: skip
    copy_rows(conn, "annotator_response",
              ["id", "index", "kind", "model_name", "text", "steps", "image_url", "metadata",
               "item_id"],
              ((i, 0, "text", "bench", texts[i], "[]", "", "{}", i) for i in ids))  # fmt: skip
    copy_rows(conn, "annotator_annotation",
              ["id", "created_at", "updated_at", "client_id", "status", "version", "started_at",
               "submitted_at", "time_spent_ms", "metadata", "author_id", "item_id", "project_id",
               "taxonomy_id"],
              ((i, now, now, str(uuid.uuid4()), "submitted", 1, now, now, 1000, "{}", user, i,
                pid, project["taxonomy"]) for i in ids))  # fmt: skip
    copy_rows(conn, "annotator_spanlabel",
              ["id", "start", '"end"', "severity", "comment", "confidence", "annotation_id",
               "error_type_id", "response_id"],
              ((i * SPANS_PER_ITEM + k, k * 40, k * 40 + 25, 1 + k % 2, "", None, i,
                types[k % len(types)], i) for i in ids for k in range(SPANS_PER_ITEM)))  # fmt: skip


def baseline_copy(conn: psycopg.Connection, project_id: int) -> tuple[int, float]:
    """Stream the project's span rows, joined like the export needs them, as COPY text."""
    query = (
        'COPY (SELECT a.item_id, s.annotation_id, r.index, s.start, s."end", e.key, s.severity, '
        "s.comment, s.confidence FROM annotator_spanlabel s "
        "JOIN annotator_annotation a ON a.id = s.annotation_id "
        "JOIN annotator_response r ON r.id = s.response_id "
        "JOIN annotator_errortype e ON e.id = s.error_type_id "
        "WHERE a.project_id = %s ORDER BY a.item_id, s.annotation_id, s.id) "
        "TO STDOUT"
    )
    rows = 0
    t0 = time.perf_counter()
    with conn.cursor() as cur, cur.copy(query, (project_id,)) as cp:
        for block in cp:
            rows += bytes(block).count(b"\n")
    return rows, time.perf_counter() - t0


def baseline_json(rows: int) -> float:
    spans = [{"start": k * 40, "end": k * 40 + 25, "error_type": "irrelevant", "severity": 1,
              "annotator": "bench"} for k in range(rows)]  # fmt: skip
    out = io.StringIO()
    t0 = time.perf_counter()
    for start in range(0, rows, SPANS_PER_ITEM):
        out.write(json.dumps({"spans": spans[start : start + SPANS_PER_ITEM]}) + "\n")
        if out.tell() > 1 << 24:
            out.seek(0)
            out.truncate()
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=100_000, help="items of the large project")
    parser.add_argument("--wait", type=float, default=600, help="seconds to wait for quiet")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database")
    args = parser.parse_args()
    load = wait_quiet(args.wait)
    var = Path(tempfile.mkdtemp(prefix="fg-bench-export-"))
    env = {**os.environ, "DATABASE_URL": DB_URL, "FINEGRAIN_VAR_DIR": str(var),
           "MEDIA_ROOT": str(var / "media"), "DJANGO_SETTINGS_MODULE": "config.settings.local",
           "FINEGRAIN_CODE_VERSION": "bench", "LOG_LEVEL": "WARNING"}  # fmt: skip
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {DB}")
        admin.execute(f"CREATE DATABASE {DB}")
    try:
        subprocess.run([str(PYTHON), "manage.py", "migrate", "-v0"], cwd=ROOT, env=env,
                       check=True)  # fmt: skip
        ids = child(SETUP, env=env)
        sizes = {"small": SMALL_ITEMS, "large": args.items}
        t0 = time.perf_counter()
        with psycopg.connect(DB_URL) as conn:
            first = 1
            for project in ids["projects"]:
                count = sizes[project["name"]]
                load_project(conn, project, ids["user"], count, first)
                first += count
            conn.commit()
        print(f"loaded {sum(sizes.values()) * SPANS_PER_ITEM:,} span labels with COPY in "
              f"{time.perf_counter() - t0:.1f}s", flush=True)  # fmt: skip
        results = {}
        with psycopg.connect(DB_URL, autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE")
            for project in ids["projects"]:
                name = project["name"]
                results[name] = child(MEASURE, str(project["id"]), env=env)
                results[name]["copy_rows"], results[name]["copy_s"] = baseline_copy(
                    conn, project["id"]
                )
                results[name]["json_s"] = baseline_json(results[name]["spans"])
        report(results, load)
    finally:
        if not args.keep:
            with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
                admin.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
        shutil.rmtree(var, ignore_errors=True)


def report(results: dict[str, dict[str, Any]], load: float) -> None:
    print(f"\nload average at start: {load:.2f}; cores: {os.cpu_count()}")
    header = (f"{'size':>10} {'stage':<22} {'span rows':>10} {'seconds':>8} {'rows/s':>10} "
              f"{'x COPY':>7} {'x dumps':>8} {'x LS 1.23':>9}")  # fmt: skip
    print(header)
    print("-" * len(header))
    for r in results.values():
        spans = r["spans"]
        copy_rate, dumps_rate = r["copy_rows"] / r["copy_s"], spans / r["json_s"]
        stages = [
            ("baseline COPY TO STDOUT", r["copy_rows"], r["copy_s"]),
            ("baseline json.dumps", spans, r["json_s"]),
            ("snapshot build", spans, r["build_s"]),
            ("spans export (JSONL)", spans, r["export_s"]),
            ("snapshot + export", spans, r["build_s"] + r["export_s"]),
        ]
        for stage, rows, seconds in stages:
            rate = rows / seconds
            print(f"{spans:>10,} {stage:<22} {rows:>10,} {seconds:>8.2f} {rate:>10,.0f} "
                  f"{rate / copy_rate:>7.2f} {rate / dumps_rate:>8.2f} "
                  f"{rate / LABEL_STUDIO_TASKS_PER_S:>9.0f}")  # fmt: skip
    small, large = results["small"], results["large"]
    print(f"\npeak RSS of the export process: {small['spans']:,} rows "
          f"{small['rss_peak_mb']:.1f} MB, {large['spans']:,} rows {large['rss_peak_mb']:.1f} MB; "
          "growth "
          f"{large['rss_peak_mb'] - small['rss_peak_mb']:+.1f} MB (limit 50 MB)")  # fmt: skip
    print(
        "records.jsonl:",
        {k: f"{v['records_bytes'] / 1e6:.1f} MB" for k, v in results.items()},
        "spans.jsonl:",
        {k: f"{v['export_bytes'] / 1e6:.1f} MB" for k, v in results.items()},
    )
    print("x LS 1.23: rows/s over Label Studio 1.23's ~1,000 tasks/s (a static reference).")


if __name__ == "__main__":
    main()
