"""Where the time of an API request goes: the hot paths of benchmarks/api.py, in-process.

    .venv/bin/python benchmarks/profile_api.py --backend sqlite
    .venv/bin/python benchmarks/profile_api.py --backend postgres --top 30

Same database setup as benchmarks/api.py (fresh bench database, same data), but instead of
gunicorn each request is one call of Django's WSGI handler in this process, so the
connection lifecycle (persistent connections on both backends) and the whole
middleware stack match production. For ``GET /me/``, ``POST …/annotations/`` (3 spans) and
``GET …/items/?page_size=100`` it prints:

- p50 wall time split into SQL statements (count and time), connection open/close and
  commit, and the rest (Python: Django, DRF, app code);
- the statements of one request with their time;
- cProfile self time grouped by layer (ORM, DRF serializers, driver, ...) and the top
  functions.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.api import (
    ROOT,
    Plan,
    bench_environment,
    run_child,
    save_body,
    wait_for_quiet,
    write_import_file,
)

SITE = ROOT / ".venv" / "lib" / "python3.11" / "site-packages"

ROUNDS = 150
LAYERS = [
    ("DB driver + engine (C)", ("sqlite3", "psycopg", "{method 'execute'", "{method 'fetch")),
    ("Django ORM: query compile", ("django/db/models/sql",)),
    ("Django ORM: model init, prefetch, fields", ("django/db/models",)),
    (
        "Django DB backend wrappers",
        ("django/db/backends", "django/db/transaction", "django/db/utils"),
    ),
    ("DRF serializers + fields", ("rest_framework/serializers", "rest_framework/fields")),
    ("DRF views, request, auth, parsers", ("rest_framework/",)),
    ("JSON encode/decode", ("json/",)),
    (
        "Django handler, middleware, URL",
        (
            "django/core",
            "django/middleware",
            "django/urls",
            "django/http",
            "whitenoise",
            "django/contrib",
        ),
    ),
    ("app code (annotator/, core/)", ("/annotator/", "/core/")),
    ("Django other (utils, dispatch)", ("django/",)),
]


# Steps of the hot paths timed one by one: (label, module[:class], attribute). Names imported
# into a view module are patched there. Nesting is observed at run time.
STEPS = [
    ("token authentication", "annotator.api.auth:ApiTokenAuthentication", "authenticate"),
    ("project_get_for_member", "annotator.api.base", "project_get_for_member"),
    ("JSON body parse", "core.parsers:GuardedJSONParser", "parse"),
    ("input serializer is_valid()", "rest_framework.serializers:BaseSerializer", "is_valid"),
    ("item + responses (item_get)", "annotator.api.views.annotations", "item_get"),
    ("annotation_create()", "annotator.api.views.annotations", "annotation_create"),
    ("_existing_for_client_id()", "annotator.services.annotations", "_existing_for_client_id"),
    ("taxonomy_published_latest()", "annotator.services.annotations",
     "taxonomy_published_latest"),
    ("rubric_published_latest()", "annotator.services.annotations", "rubric_published_latest"),
    ("_validate() (units_validate)", "annotator.services.annotations", "_validate"),
    ("Annotation.save() (INSERT)", "annotator.models:Annotation", "save"),
    ("_insert_units() (bulk_create)", "annotator.services.annotations", "_insert_units"),
    ("_counted() (UPDATE item + assignment)", "annotator.services.annotations", "_counted"),
    ("paginate_queryset (queries, rows → models)", "core.api:IdCursorPagination",
     "paginate_queryset"),
    ("Serializer.data (output)", "rest_framework.serializers:Serializer", "data"),
    ("ListSerializer.to_representation (output)", "rest_framework.serializers:ListSerializer",
     "to_representation"),
    ("JSONRenderer.render", "rest_framework.renderers:JSONRenderer", "render"),
]  # fmt: skip


class Meter:
    """Time spent in SQL statements, in connection open/close/health checks and commits,
    and in the STEPS (each with the depth it ran at)."""

    def __init__(self) -> None:
        self.stack: list[str] = []
        self.reset()

    def reset(self) -> None:
        self.sql = 0.0
        self.conn = 0.0
        self.top = 0.0
        self.statements: list[tuple[float, str]] = []
        self.steps: dict[str, list[tuple[float, int]]] = {}

    def _run(self, label: str, method: Callable[..., Any], args: Any, kwargs: Any) -> Any:
        if label in self.stack:  # only the outermost call of a step counts (serializers nest)
            return method(*args, **kwargs)
        depth = len(self.stack)
        self.stack.append(label)
        entries = self.steps.setdefault(label, [])  # dict order = order of first start
        started = time.perf_counter()
        try:
            return method(*args, **kwargs)
        finally:
            elapsed = time.perf_counter() - started
            self.stack.pop()
            entries.append((elapsed, depth))
            self.top += elapsed if depth == 0 else 0.0

    def step(self, label: str, method: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            return self._run(label, method, args, kwargs)

        return wrapper

    def wrap_sql(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            elapsed = time.perf_counter() - started
            self.sql += elapsed
            self.statements.append((elapsed, sql))

    def timed(self, method: Callable[..., Any], kind: str) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return self._run(f"DB {kind}", method, args, kwargs)
            finally:
                elapsed = time.perf_counter() - started
                self.conn += elapsed
                self.statements.append((elapsed, f"<{kind}>"))

        return wrapper


def instrument(meter: Meter) -> None:
    import importlib  # noqa: PLC0415
    import inspect  # noqa: PLC0415

    from django.db import connection, connections  # noqa: PLC0415

    cls = type(connections["default"])
    for name in ("connect", "close", "_commit", "is_usable"):
        setattr(cls, name, meter.timed(getattr(cls, name), name.strip("_")))
    connection.execute_wrappers.append(meter.wrap_sql)
    for label, where, attribute in STEPS:
        module, _, owner = where.partition(":")
        target: Any = importlib.import_module(module)
        if owner:
            target = getattr(target, owner)
        original = inspect.getattr_static(target, attribute)
        if isinstance(original, property):
            assert original.fget is not None
            wrapped: Any = property(meter.step(label, original.fget))
        else:
            wrapped = meter.step(label, original)
        setattr(target, attribute, wrapped)


def steps_report(
    requests: list[tuple[float, float, dict[str, list[tuple[float, int]]]]],
) -> list[str]:
    """p50 over the requests of each step's time (summed when called more than once),
    indented by nesting, in the order of the last request."""
    last = requests[-1][2]
    lines = ["  steps (p50 ms per request, calls per request; indented = inside the one above):"]
    for label in last:
        totals = [sum(e for e, _ in steps.get(label, [])) for _, _, steps in requests]
        calls = statistics.fmean(len(steps.get(label, [])) for _, _, steps in requests)
        depth = min(d for _, d in last[label])
        lines.append(
            f"    {'  ' * depth}{statistics.median(totals) * 1000:7.2f}  {label} ({calls:.0f}×)"
        )
    rest = statistics.median(total - top for total, top, _ in requests)
    lines.append(f"    {rest * 1000:7.2f}  rest: Django handler, middleware, DRF dispatch")
    return lines


def wsgi_caller(token: str) -> Callable[[str, str, bytes], tuple[int, bytes]]:
    from django.core.handlers.wsgi import WSGIHandler  # noqa: PLC0415

    app = WSGIHandler()

    def call(method: str, url: str, body: bytes = b"") -> tuple[int, bytes]:
        path, _, query = url.partition("?")
        environ = {
            "REQUEST_METHOD": method,
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "80",
            "HTTP_HOST": "127.0.0.1",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "HTTP_AUTHORIZATION": f"Token {token}",
            "CONTENT_TYPE": "application/json",
            "CONTENT_LENGTH": str(len(body)),
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "wsgi.url_scheme": "http",
        }
        status: list[str] = []
        result = app(environ, lambda s, headers, exc_info=None: status.append(s))
        try:
            data = b"".join(result)
        finally:
            result.close()  # request_finished: closes the connection as gunicorn would
        return int(status[0].split()[0]), data

    return call


def layer_of(key: tuple[str, int, str]) -> str:
    where = f"{key[0]}:{key[2]}"
    for name, needles in LAYERS:
        if any(n in where for n in needles):
            return name
    return "other (stdlib, builtins)"


def profile_report(profiler: cProfile.Profile, rounds: int, top: int) -> str:
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    total = sum(v[2] for v in raw.values())
    layers: dict[str, float] = {}
    for key, value in raw.items():
        layers[layer_of(key)] = layers.get(layer_of(key), 0.0) + value[2]
    per = "request" if rounds > 1 else "run"
    lines = [f"  cProfile self time by layer ({total / rounds * 1000:.2f} ms/{per} profiled):"]
    for name, seconds in sorted(layers.items(), key=lambda kv: -kv[1]):
        lines.append(f"    {seconds / total:6.1%}  {seconds / rounds * 1000:8.2f} ms  {name}")
    app = [
        (value[3], value[1], key)
        for key, value in raw.items()
        if any(part in key[0] for part in ("/annotator/", "/core/"))
        or key[2] in ("is_valid", "data", "paginate_queryset", "executemany")
    ]
    lines.append("  app functions (and DRF/driver entry points) by cumulative time, per " + per)
    for cumulative, calls, key in sorted(app, reverse=True)[:top]:
        where = f"{key[0]}:{key[1]}({key[2]})".replace(str(SITE), "").replace(str(ROOT), "")
        lines.append(f"    {cumulative / rounds * 1000:8.2f} ms  {calls / rounds:7.1f}×  {where}")
    stats.sort_stats("tottime").print_stats(top)
    body = out.getvalue().split("ncalls", 1)[-1].replace(str(SITE), "").replace(str(ROOT), "")
    lines.append(f"  top {top} functions by self time ({rounds} {per}s):\n    ncalls" + body)
    return "\n".join(lines)


def grouped(statements: list[tuple[float, str]], top: int) -> list[str]:
    groups: dict[str, list[float]] = {}
    for elapsed, sql in statements:
        groups.setdefault(sql[:110], []).append(elapsed)
    ordered = sorted(groups.items(), key=lambda kv: -sum(kv[1]))[:top]
    return [f"    {sum(t) * 1000:9.2f} ms  {len(t):6}×  {sql}" for sql, t in ordered]


Scenario = tuple[str, Callable[[], tuple[int, bytes]], int, int, int]


def scenarios(args: dict[str, Any]) -> Iterator[Scenario]:
    """(name, request, expected status, warm-up calls, measured calls)."""
    setup, rounds = args["setup"], args["rounds"]
    call = wsgi_caller(setup["seq_token"])
    project = setup["project"]
    items = iter(setup["seq_items"])

    def save() -> tuple[int, bytes]:
        item = next(items)
        path = f"/api/v1/projects/{project}/items/{item}/annotations/"
        return call("POST", path, save_body(item))

    yield "GET /api/v1/me/", lambda: call("GET", "/api/v1/me/"), 200, 10, rounds
    yield "POST …/items/{i}/annotations/ (3 spans)", save, 201, 10, rounds
    list_path = f"/api/v1/projects/{project}/items/?page_size=100"
    yield "GET …/items/?page_size=100", lambda: call("GET", list_path), 200, 10, rounds
    if args["import_items"]:
        yield (
            f"import_job_create(run_inline=True), {args['import_items']:,} items (JSON lines)",
            importer(setup, args["import_items"]),
            201,
            0,
            1,
        )


def importer(setup: dict[str, Any], count: int) -> Callable[[], tuple[int, bytes]]:
    """Each call imports the same file into the next empty project of the setup."""
    from django.conf import settings  # noqa: PLC0415
    from django.contrib.auth import get_user_model  # noqa: PLC0415
    from django.core.files import File  # noqa: PLC0415

    from annotator.models import Project  # noqa: PLC0415
    from annotator.services.imports import import_job_create  # noqa: PLC0415

    path = Path(settings.VAR_DIR) / "profile-import.jsonl"
    write_import_file(path, count)
    admin = get_user_model().objects.get(pk=setup["admin"])
    projects = iter(setup["import_projects"]["service"])

    def run() -> tuple[int, bytes]:
        project = Project.objects.get(pk=next(projects))
        with path.open("rb") as fh:
            upload = File(fh, name=path.name)
            job = import_job_create(
                project=project, created_by=admin, upload=upload, format="jsonl", run_inline=True
            )
        return (201 if job.created_count == count else 400), str(job.errors[:3]).encode()

    return run


def child_profile(args: dict[str, Any]) -> dict[str, Any]:
    meter = Meter()
    instrument(meter)
    report = []
    for name, request, expect, warmup, rounds in scenarios(args):
        for _ in range(warmup):
            request()
        load = wait_for_quiet(args["wait"])
        totals, sqls, conns, counts = [], [], [], []
        steps: list[tuple[float, float, dict[str, list[tuple[float, int]]]]] = []
        sample: list[tuple[float, str]] = []
        for _ in range(rounds):
            meter.reset()
            started = time.perf_counter()
            status, body = request()
            totals.append(time.perf_counter() - started)
            if status != expect:
                raise RuntimeError(f"{name}: {status} {body[:300]!r}")
            sqls.append(meter.sql)
            conns.append(meter.conn)
            steps.append((totals[-1], meter.top, meter.steps))
            counts.append(len([s for s in meter.statements if not s[1].startswith("<")]))
            sample = list(meter.statements)
        p50 = statistics.median(totals)
        sql, conn = statistics.median(sqls), statistics.median(conns)
        report.append(
            f"\n## {name} (background load {load:.2f} cores before)\n"
            f"  p50 {p50 * 1000:.2f} ms = SQL {sql * 1000:.2f} ms "
            f"({statistics.median(counts):.0f} statements) + connection/commit "
            f"{conn * 1000:.2f} ms + Python {(p50 - sql - conn) * 1000:.2f} ms "
            f"(p99 {sorted(totals)[int(0.99 * (len(totals) - 1))] * 1000:.2f} ms)"
        )
        if rounds > 1:
            report += steps_report(steps)
        if len(sample) <= 40:
            report.append("  statements of the last request:")
            report += [f"    {t * 1000:6.2f} ms  {sql_text[:150]}" for t, sql_text in sample]
        else:
            report.append("  statements by kind (total time, count):")
            report += grouped(sample, 12)
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(rounds):
            request()
        profiler.disable()
        report.append(profile_report(profiler, rounds, args["top"]))
    return {"report": "\n".join(report)}


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        import django  # noqa: PLC0415

        django.setup()
        print(json.dumps(child_profile(json.load(sys.stdin))))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument("--top", type=int, default=20)
    parser.add_argument("--wait", type=float, default=60.0, help="wait for an idle machine")
    parser.add_argument(
        "--import-items", type=int, default=10_000, help="items of the import run (0: skip it)"
    )
    args = parser.parse_args()
    plan = Plan(0, args.rounds + 10, 0, 0, 0, 0, 1)
    with bench_environment(args.backend, plan, None) as (_, setup, env):
        payload = {
            "setup": setup,
            "rounds": args.rounds,
            "top": args.top,
            "wait": args.wait,
            "import_items": args.import_items,
        }
        result = run_child(env, "profile", payload, script=__file__)
    print(f"# {args.backend}: in-process WSGI, {args.rounds} requests per endpoint")
    print(result["report"])


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        print("interrupted; cleaned up", file=sys.stderr)
        sys.exit(130)
