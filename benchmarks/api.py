"""API benchmarks against gunicorn: the embedded default (SQLite) and PostgreSQL, side by side.

    .venv/bin/python benchmarks/api.py                  # both backends, full run (~3 min)
    .venv/bin/python benchmarks/api.py --quick          # short run
    .venv/bin/python benchmarks/api.py --backend postgres --server gthread:2x4

Each backend gets a fresh database (a temporary FINEGRAIN_VAR_DIR for SQLite, the database
``finegrain_bench`` on 127.0.0.1:5432 for PostgreSQL), ``manage.py migrate``, a setup step
run in a child process with ``django.setup()``, and its own gunicorn. Every request goes to
127.0.0.1. Latencies are also printed as a multiple of ``GET /api/v1/me/`` (token auth and
a JSON render, no domain work) measured on the same server in the same run. The Label
Studio column is a reference from the issue, not measured here.

Everything started here is stopped and removed on exit, Ctrl-C included.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import random
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HOST = "127.0.0.1"  # the only host this script talks to
ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
PG_ADMIN_URL = f"postgres://postgres@{HOST}:5432/postgres"
# Not plain "finegrain_bench": sibling benchmarks create databases of their own.
PG_DB = "finegrain_bench_api"
CLIENTS = 8
RESPONSE_CHARS = 500


@dataclass(frozen=True)
class Plan:
    seq_warmup: int
    seq_requests: int
    conc_warmup_s: float
    conc_seconds: float
    list_requests: int
    import_items: int
    items_per_client: int

    @property
    def seq_items(self) -> int:
        """Enough for the warm-up, the measured saves and as many again thrown away."""
        return self.seq_warmup + 3 * self.seq_requests


FULL = Plan(50, 300, 2.0, 10.0, 200, 10_000, 2000)
QUICK = Plan(20, 100, 1.0, 3.0, 50, 10_000, 800)


# --- HTTP client ------------------------------------------------------------------------------


class Client:
    """One keep-alive connection (http.client: a fraction of requests' CPU per call).

    Reconnects when the server closes the connection (sync gunicorn workers do after every
    response), so the same code measures both worker kinds.
    """

    def __init__(self, port: int, token: str) -> None:
        self.port = port
        self.headers = {"Authorization": f"Token {token}", "Host": f"{HOST}:{port}"}
        self.conn = http.client.HTTPConnection(HOST, port, timeout=60)

    def request(self, method: str, path: str, body: bytes | None = None, **headers: str) -> Any:
        all_headers = dict(self.headers, **headers)
        if body is not None:
            all_headers.setdefault("Content-Type", "application/json")
        for attempt in (1, 2):
            try:
                self.conn.request(method, path, body=body, headers=all_headers)
                response = self.conn.getresponse()
                data = response.read()
                if response.getheader("Connection", "").lower() == "close":
                    self.conn.close()
                return response.status, data
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.conn.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def timed(self, method: str, path: str, body: bytes | None, expect: int) -> float:
        started = time.perf_counter()
        status, data = self.request(method, path, body)
        elapsed = time.perf_counter() - started
        if status != expect:
            raise RuntimeError(f"{method} {path}: {status} {data[:300]!r}")
        return elapsed

    def close(self) -> None:
        self.conn.close()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def save_body(item_id: int) -> bytes:
    spans = [
        {
            "response": r,
            "start": 10 * r,
            "end": 10 * r + 40,
            "error_type": "irrelevant",
            "severity": 1,
        }
        for r in range(3)
    ]
    body = {"client_id": str(uuid.uuid4()), "status": "submitted", "spans": spans}
    return json.dumps(body | {"time_spent_ms": 4200}).encode()


# --- processes: CPU accounting ----------------------------------------------------------------


def _proc_cpu_seconds(pid: int) -> float:
    with contextlib.suppress(OSError):
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return 0.0


def _children(pid: int) -> list[int]:
    with contextlib.suppress(OSError):
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    return []


def _bench_postgres_pids() -> list[int]:
    """Backends serving the bench database (other databases' backends are background)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if f" {PG_DB} ".encode() in (entry / "cmdline").read_bytes():
                    pids.append(int(entry.name))
    return pids


def _machine_busy() -> tuple[float, float]:
    """(busy, total) jiffies over all CPUs, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


@dataclass
class CpuMeter:
    """CPU used by this client, the gunicorn tree, the bench database's postgres backends,
    and everything else on the machine (``background``: other work sharing it)."""

    server_pid: int
    marks: dict[str, Any] = field(default_factory=dict)

    def sample(self) -> dict[str, Any]:
        busy, total = _machine_busy()
        server = [self.server_pid, *_children(self.server_pid)]
        return {
            "client": time.process_time(),
            "server": {p: _proc_cpu_seconds(p) for p in server},
            "postgres": {p: _proc_cpu_seconds(p) for p in _bench_postgres_pids()},
            "busy": busy,
            "total": total,
            "wall": time.perf_counter(),
        }

    @staticmethod
    def between(start: dict[str, Any], end: dict[str, Any]) -> dict[str, float]:
        """Cores used on average between two samples (per process: backends come and go)."""
        wall = end["wall"] - start["wall"]
        used = {"client": (end["client"] - start["client"]) / wall}
        for name in ("server", "postgres"):
            before = start[name]
            used[name] = sum(cpu - before.get(pid, 0.0) for pid, cpu in end[name].items()) / wall
        busy = (end["busy"] - start["busy"]) / max(1, end["total"] - start["total"])
        busy *= os.cpu_count() or 1
        return {
            "wall": wall,
            "client_cores": used["client"],
            "server_cores": used["server"],
            "postgres_cores": used["postgres"],
            "machine_busy": busy,
            "background_cores": max(0.0, busy - sum(used.values())),
        }

    def start(self) -> None:
        self.marks = self.sample()

    def stop(self) -> dict[str, float]:
        return self.between(self.marks, self.sample())


def average(slices: list[dict[str, float]]) -> dict[str, float]:
    """Wall-weighted mean of ``CpuMeter.between`` results."""
    wall = sum(c["wall"] for c in slices) or 1.0
    keys = [k for k in slices[0] if k != "wall"] if slices else []
    return {"wall": wall} | {k: sum(c[k] * c["wall"] for c in slices) / wall for k in keys}


def background_load(seconds: float = 1.0) -> float:
    """Cores busy on this machine over ``seconds`` (before the bench starts: not ours)."""
    busy0, total0 = _machine_busy()
    time.sleep(seconds)
    busy1, total1 = _machine_busy()
    return (busy1 - busy0) / max(1, total1 - total0) * (os.cpu_count() or 1)


def wait_for_quiet(max_wait: float, threshold: float = 0.3) -> float:
    """Wait up to ``max_wait`` s for two quiet seconds in a row; return the last load seen.

    The machine is shared (test suites of other work run on it); figures measured while it
    is busy are slower, and the notes under the table say how busy it was.
    """
    deadline = time.monotonic() + max_wait
    quiet, load = 0, background_load()
    while time.monotonic() < deadline:
        quiet = quiet + 1 if load < threshold else 0
        if quiet >= 2:
            break
        load = background_load()
    return load


# --- the bench environment: database, migrations, setup, gunicorn ----------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def pg_execute(sql: str) -> None:
    import psycopg  # noqa: PLC0415  (only the PostgreSQL backend needs it)

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(sql)


def django_env(backend: str, var_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_DEBUG")}
    env |= {
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "FINEGRAIN_VAR_DIR": str(var_dir),
        # The upload (~22 MB) runs in the request instead of going to the worker, so that
        # the HTTP import is timed end to end. Everything else is the embedded default.
        "FINEGRAIN_IMPORT_INLINE_MAX_BYTES": str(64 * 1024 * 1024),
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
    }
    if backend == "postgres":
        env["DATABASE_URL"] = f"postgres://postgres@{HOST}:5432/{PG_DB}"
    return env


def run_child(
    env: dict[str, str], mode: str, args: dict[str, Any], script: str = __file__
) -> dict[str, Any]:
    """Run ``mode`` of ``script`` in a Django process: JSON in on stdin, one JSON line out."""
    out = subprocess.run(
        [str(PYTHON), script, "--child", mode],
        env=env,
        cwd=ROOT,
        input=json.dumps(args),
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        raise RuntimeError(f"child {mode} failed:\n{out.stderr[-3000:]}")
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


@dataclass
class Server:
    proc: subprocess.Popen[bytes]
    port: int
    log: Path


def start_gunicorn(env: dict[str, str], spec: str, log: Path) -> Server:
    port = free_port()
    kind, _, size = spec.partition(":")
    workers, _, threads = size.partition("x")
    cmd = [str(GUNICORN), "config.wsgi", "-b", f"{HOST}:{port}", "-w", workers or "4"]
    cmd += ["--log-level", "warning", "--graceful-timeout", "5"]
    if kind == "gthread":
        cmd += ["-k", "gthread", "--threads", threads or "4", "--keep-alive", "30"]
    elif kind != "sync":
        raise SystemExit(f"--server {spec}: use sync:<workers> or gthread:<workers>x<threads>")
    with log.open("ab") as fh:
        proc = subprocess.Popen(
            cmd, env=env, cwd=ROOT, stdout=fh, stderr=fh, start_new_session=True
        )
    server = Server(proc, port, log)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited: {log.read_text()[-2000:]}")
        with contextlib.suppress(OSError):
            client = Client(port, "none")
            status, _ = client.request("GET", "/api/v1/me/")
            client.close()
            if status in (200, 401, 403):
                return server
        time.sleep(0.2)
    raise RuntimeError("gunicorn did not answer within 30 s")


def stop_gunicorn(server: Server) -> None:
    if server.proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.proc.pid, signal.SIGTERM)
        try:
            server.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(server.proc.pid, signal.SIGKILL)
            server.proc.wait()


@contextlib.contextmanager
def bench_environment(
    backend: str, plan: Plan, spec: str | None
) -> Iterator[tuple[Server | None, dict[str, Any], dict[str, str]]]:
    """A migrated bench database with the setup data and, if ``spec``, a gunicorn on it."""
    var_dir = Path(tempfile.mkdtemp(prefix=f"finegrain-bench-{backend}-"))
    server: Server | None = None
    created_db = False
    try:
        env = django_env(backend, var_dir)
        if backend == "postgres":
            pg_execute(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
            pg_execute(f"CREATE DATABASE {PG_DB}")
            created_db = True
        subprocess.run(
            [str(PYTHON), "manage.py", "migrate", "-v", "0"], env=env, cwd=ROOT, check=True
        )
        setup = run_child(
            env,
            "setup",
            {"clients": CLIENTS, "seq_items": plan.seq_items, "per_client": plan.items_per_client},
        )
        if spec:
            server = start_gunicorn(env, spec, var_dir / "gunicorn.log")
        yield server, setup, env
    finally:
        if server is not None:
            stop_gunicorn(server)
        if created_db:
            pg_execute(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
        shutil.rmtree(var_dir, ignore_errors=True)


# --- measurements -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Gate:
    """Keep only what was measured while other work used at most ``max_background`` cores.

    The machine is shared; a slice (a chunk of sequential requests, or a second of the
    concurrent run) during which something else ran is thrown away and measured again,
    until the phase has its count or ``patience`` seconds have passed (then the noisy
    slices are kept and the notes say so).
    """

    max_background: float = 0.25
    patience: float = 300.0


def sequential(
    call: Callable[[], float], warmup: int, n: int, meter: CpuMeter, gate: Gate, chunk: int = 25
) -> dict[str, Any]:
    """One client, one request at a time: ``warmup`` unmeasured calls, then ``n`` kept ones."""
    for _ in range(warmup):
        call()
    kept: list[float] = []
    noisy: list[float] = []
    slices: list[dict[str, float]] = []
    deadline = time.monotonic() + gate.patience
    try:
        while len(kept) < n:
            meter.start()
            times = [call() for _ in range(min(chunk, n - len(kept)))]
            cpu = meter.stop()
            if cpu["background_cores"] <= gate.max_background or time.monotonic() > deadline:
                kept += times
                slices.append(cpu)
            else:
                noisy += times
                wait_for_quiet(min(30.0, max(0.0, deadline - time.monotonic())))
    except StopIteration:  # out of items: report what was kept
        pass
    return {
        "p50": statistics.median(kept),
        "p99": percentile(kept, 99),
        "mean": statistics.fmean(kept),
        "n": len(kept),
        "discarded": len(noisy),
        "cpu": average(slices),
    }


def concurrent(
    port: int,
    tokens: list[str],
    make_call: Callable[[Client, int], Callable[[], float]],
    warmup_s: float,
    seconds: float,
    meter: CpuMeter,
    gate: Gate,
) -> dict[str, Any]:
    """One thread per token loops its call; after the warm-up, one-second slices are kept
    while the machine is otherwise idle, until ``seconds`` of them are in."""
    barrier = threading.Barrier(len(tokens) + 1)
    done: list[list[tuple[float, float]]] = [[] for _ in tokens]
    errors: list[str] = []
    stop = threading.Event()

    def worker(index: int) -> None:
        client = Client(port, tokens[index])
        call = make_call(client, index)
        barrier.wait()
        try:
            while not stop.is_set():
                elapsed = call()
                done[index].append((time.perf_counter(), elapsed))
        except StopIteration:
            errors.append(f"client {index} ran out of items")
        except Exception as exc:  # reported under the table; the other threads go on
            errors.append(f"client {index}: {exc}")
        finally:
            client.close()

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(len(tokens))]
    for thread in threads:
        thread.start()
    barrier.wait()
    time.sleep(warmup_s)
    windows: list[tuple[float, float]] = []
    slices: list[dict[str, float]] = []
    discarded = 0
    deadline = time.monotonic() + gate.patience
    previous = meter.sample()
    while sum(c["wall"] for c in slices) < seconds and all(t.is_alive() for t in threads):
        time.sleep(1.0)
        current = meter.sample()
        cpu = meter.between(previous, current)
        if cpu["background_cores"] <= gate.max_background or time.monotonic() > deadline:
            windows.append((previous["wall"], current["wall"]))
            slices.append(cpu)
        else:
            discarded += 1
        previous = current
    stop.set()
    for thread in threads:
        thread.join()
    inside = [e for per in done for t, e in per if any(start < t <= end for start, end in windows)]
    kept_s = sum(c["wall"] for c in slices)
    nan = float("nan")
    return {
        "rate": len(inside) / kept_s if kept_s else nan,
        "p50": statistics.median(inside) if inside else nan,
        "p99": percentile(inside, 99) if inside else nan,
        "n": len(inside),
        "seconds": kept_s,
        "discarded": discarded,
        "errors": errors,
        "cpu": average(slices),
    }


PHASES = ("commit", "me", "save", "list", "me_conc", "save_conc", "import")


def commit_timer(
    backend: str, env: dict[str, str]
) -> tuple[Callable[[], float], Callable[[], None]]:
    """The database's floor for one save: a one-row INSERT and a durable COMMIT on the bench
    database, straight through the driver with the server's settings (SQLite: WAL,
    synchronous=NORMAL; PostgreSQL: its configured synchronous_commit and fsync)."""
    if backend == "postgres":
        import psycopg  # noqa: PLC0415 - only this phase needs the driver here

        conn: Any = psycopg.connect(f"postgresql://postgres@{HOST}:5432/{PG_DB}")
        conn.execute("CREATE TABLE IF NOT EXISTS bench_commit (n integer)")
        insert = "INSERT INTO bench_commit VALUES (%s)"
    else:
        import sqlite3  # noqa: PLC0415

        path = Path(env["FINEGRAIN_VAR_DIR"]) / "finegrain.sqlite3"
        conn = sqlite3.connect(path, isolation_level=None, timeout=30)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("CREATE TABLE IF NOT EXISTS bench_commit (n integer)")
        insert = "INSERT INTO bench_commit VALUES (?)"
    conn.commit()

    def once() -> float:
        started = time.perf_counter()
        if backend != "postgres":
            conn.execute("BEGIN IMMEDIATE")
        conn.execute(insert, (1,))
        conn.execute("COMMIT") if backend != "postgres" else conn.commit()
        return time.perf_counter() - started

    return once, conn.close


def measure_backend(
    backend: str, plan: Plan, spec: str, gate: Gate, only: Sequence[str] = PHASES
) -> dict[str, Any]:
    results: dict[str, Any] = {}
    with bench_environment(backend, plan, spec) as (server, setup, env):
        assert server is not None
        port, project = server.port, setup["project"]
        meter = CpuMeter(server.proc.pid)
        seq = Client(port, setup["seq_token"])
        seq_items = iter(setup["seq_items"])
        list_path = f"/api/v1/projects/{project}/items/?page_size=100"

        def save(client: Client, item_id: int) -> float:
            path = f"/api/v1/projects/{project}/items/{item_id}/annotations/"
            return client.timed("POST", path, save_body(item_id), 201)

        def me(client: Client) -> float:
            return client.timed("GET", "/api/v1/me/", None, 200)

        def saver(client: Client, index: int) -> Callable[[], float]:
            items = iter(setup["client_items"][index])
            return lambda: save(client, next(items))

        status, body = seq.request("GET", list_path)
        if status != 200 or len(json.loads(body)["results"]) != 100:
            raise RuntimeError(f"list page: {status} {body[:300]!r}")
        n, warmup, tokens = plan.seq_requests, plan.seq_warmup, setup["client_tokens"]
        commit_once, commit_close = commit_timer(backend, env)
        phases: list[tuple[str, Callable[[], dict[str, Any]]]] = [
            ("commit", lambda: sequential(commit_once, warmup, n, meter, gate)),
            ("me", lambda: sequential(lambda: me(seq), warmup, n, meter, gate)),
            ("save", lambda: sequential(
                lambda: save(seq, next(seq_items)), warmup, n, meter, gate)),
            ("list", lambda: sequential(
                lambda: seq.timed("GET", list_path, None, 200), 10, plan.list_requests, meter,
                gate)),
            ("me_conc", lambda: concurrent(
                port, tokens, lambda client, i: lambda: me(client),
                plan.conc_warmup_s, plan.conc_seconds / 2, meter, gate)),
            ("save_conc", lambda: concurrent(
                port, tokens, saver, plan.conc_warmup_s, plan.conc_seconds, meter, gate)),
        ]  # fmt: skip
        for name, run in phases:
            if name not in only:
                continue
            load = wait_for_quiet(gate.patience / 10)
            print(f"#   {name} (background {load:.2f} cores)", file=sys.stderr, flush=True)
            results[name] = run()
        results["list_bytes"] = len(body)
        seq.close()
        commit_close()
        if "import" in only:
            results["import"] = measure_import(server, setup, env, plan, gate, meter)
    return results


def multipart(path: Path, fields: dict[str, str]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, value in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{path.name}"'
        "\r\nContent-Type: application/octet-stream\r\n\r\n"
    )
    body = "".join(parts).encode() + path.read_bytes() + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def measure_import(
    server: Server,
    setup: dict[str, Any],
    env: dict[str, str],
    plan: Plan,
    gate: Gate,
    meter: CpuMeter,
) -> dict[str, Any]:
    """Import one JSON-lines file into empty projects: through the service in a child
    process, and through ``POST /imports/`` (inline: the bench raises the inline limit).
    Each is repeated (into another empty project) if other work ran meanwhile."""
    path = Path(env["FINEGRAIN_VAR_DIR"]) / "bench-import.jsonl"
    size = write_import_file(path, plan.import_items)
    result: dict[str, Any] = {"items": plan.import_items, "bytes": size}
    for project in setup["import_projects"]["service"]:
        print("#   import, service", file=sys.stderr, flush=True)
        wait_for_quiet(gate.patience / 10)
        meter.start()
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        args = {"project": project, "admin": setup["admin"], "path": str(path)}
        service = run_child(env, "import", args | {"items": plan.import_items})
        cpu = meter.stop()
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        child_cpu = after.ru_utime + after.ru_stime - children.ru_utime - children.ru_stime
        # The child is not in the gunicorn tree: take its own CPU out of the background.
        background = cpu["background_cores"] - child_cpu / cpu["wall"]
        result |= {
            "service_s": service["seconds"],
            "parse_s": service["parse_seconds"],
            "service_background": max(0.0, background),
        }
        if background <= gate.max_background:
            break
    body, content_type = multipart(path, {"format": "jsonl"})
    client = Client(server.port, setup["admin_token"])
    for project in setup["import_projects"]["http"]:
        print("#   import, HTTP", file=sys.stderr, flush=True)
        wait_for_quiet(gate.patience / 10)
        meter.start()
        started = time.perf_counter()
        url = f"/api/v1/projects/{project}/imports/"
        status, data = client.request("POST", url, body, **{"Content-Type": content_type})
        http_s = time.perf_counter() - started
        cpu = meter.stop()
        job = json.loads(data)
        if status != 201 or job.get("created_count") != plan.import_items:
            raise RuntimeError(f"import over HTTP: {status} {data[:500]!r}")
        result |= {"http_s": http_s, "http_background": cpu["background_cores"]}
        if cpu["background_cores"] <= gate.max_background:
            break
    client.close()
    path.unlink()
    result["items_per_s"] = plan.import_items / result["service_s"]
    result["http_items_per_s"] = plan.import_items / result["http_s"]
    return result


# --- the table --------------------------------------------------------------------------------

# (figure, cell renderer, goal, Label Studio reference, phases whose background it depends on)
Row = tuple[str, Callable[[dict[str, Any]], str], str, str, tuple[str, ...]]
NOISY = " ‡"


def _ms(value: float, base: float | None = None) -> str:
    text = f"{value * 1000:.2f} ms" if value < 0.001 else f"{value * 1000:.1f} ms"
    return f"{text} ({value / base:.1f}×)" if base else text


def _mark(ok: bool) -> str:
    return " ✓" if ok else " ✗"


def _save_rate(r: dict[str, Any]) -> str:
    rate, base = r["save_conc"]["rate"], r["me_conc"]["rate"]
    return f"{rate:.0f}/s ({rate / base:.2f}×)" + _mark(rate >= 150)


def _import_cell(key: str) -> Callable[[dict[str, Any]], str]:
    def cell(r: dict[str, Any]) -> str:
        rate = r["import"][key]
        return f"{rate:,.0f} items/s" + _mark(rate >= 10_000)

    return cell


ROWS: list[Row] = [
    (
        "database floor: 1-row INSERT + durable COMMIT p50 (driver, no Django)",
        lambda r: _ms(r["commit"]["p50"]),
        "—",
        "—",
        ("commit",),
    ),
    ("`GET /me/` p50, 1 client (baseline)", lambda r: _ms(r["me"]["p50"]), "—", "—", ("me",)),
    (
        "save annotation (3 spans) p50, 1 client",
        lambda r: _ms(r["save"]["p50"], r["me"]["p50"]) + _mark(r["save"]["p50"] <= 0.010),
        "≤ 10 ms",
        "~150 ms",
        ("me", "save"),
    ),
    (
        "save annotation (3 spans) p99, 1 client",
        lambda r: _ms(r["save"]["p99"], r["me"]["p50"]) + _mark(r["save"]["p99"] <= 0.040),
        "≤ 40 ms",
        "—",
        ("me", "save"),
    ),
    ("saves/s, 1 client", lambda r: f"{1 / r['save']['mean']:.0f}/s", "—", "6/s", ("save",)),
    (
        f"saves/s, {CLIENTS} clients (× `GET /me/` req/s, {CLIENTS} clients)",
        _save_rate,
        "≥ 150/s",
        "11/s (4 clients)",
        ("me_conc", "save_conc"),
    ),
    (
        f"save p50 / p99 with {CLIENTS} clients",
        lambda r: f"{_ms(r['save_conc']['p50'])} / {_ms(r['save_conc']['p99'])}",
        "—",
        "—",
        ("save_conc",),
    ),
    (
        "import 10,000 items × 4 responses, service in-process",
        _import_cell("items_per_s"),
        "≥ 10,000 items/s",
        "~6,000 tasks/s",
        ("import_service",),
    ),
    (
        "import the same, `POST /imports/` (inline)",
        _import_cell("http_items_per_s"),
        "≥ 10,000 items/s",
        "~6,000 tasks/s",
        ("import_http",),
    ),
    (
        "list page of 100 items p50",
        lambda r: _ms(r["list"]["p50"], r["me"]["p50"]) + _mark(r["list"]["p50"] <= 0.015),
        "≤ 15 ms",
        "88 ms",
        ("me", "list"),
    ),
]


def _background(result: dict[str, Any], phase: str) -> float:
    if phase.startswith("import_"):
        return float(result.get("import", {}).get(f"{phase[7:]}_background", 0.0))
    return float(result.get(phase, {}).get("cpu", {}).get("background_cores", 0.0))


def _safe(row: Row, result: dict[str, Any], gate: Gate) -> str:
    _, cell, _, _, phases = row
    try:
        text = cell(result)
    except KeyError:
        return "not run"
    noisy = any(_background(result, p) > gate.max_background for p in phases)
    return text + (NOISY if noisy else "")


def table(results: dict[str, dict[str, Any]], gate: Gate) -> str:
    names = {"sqlite": "embedded (SQLite)", "postgres": "PostgreSQL"}
    backends = [b for b in ("sqlite", "postgres") if b in results]
    head = ["figure", *[names[b] for b in backends], "goal", "Label Studio 1.23 (reference)"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in ROWS:
        cells = [_safe(row, results[b], gate) for b in backends]
        lines.append("| " + " | ".join([row[0], *cells, row[2], row[3]]) + " |")
    lines.append(
        "\n× = multiple of `GET /me/` (token auth + JSON render, no domain work) on the same "
        "server in the same run. Label Studio 1.23: figures from the issue, same kind of "
        f"2-core machine, not measured here.{NOISY.strip()} = measured while other work used "
        f"more than {gate.max_background} cores of the machine (see the notes)."
    )
    return "\n".join(lines)


def notes(results: dict[str, dict[str, Any]]) -> str:
    lines = []
    for backend, r in results.items():
        for name in ("commit", "me", "save", "list", "me_conc", "save_conc"):
            if name not in r:
                continue
            phase, cpu = r[name], r[name]["cpu"]
            if not phase["n"]:
                lines.append(f"- {backend} {name}: nothing measured; errors: {phase['errors']}")
                continue
            lines.append(
                f"- {backend} {name}: {phase['n']} requests, p99 {phase['p99'] * 1000:.1f} ms; "
                f"CPU cores used: client {cpu['client_cores']:.2f}, gunicorn "
                f"{cpu['server_cores']:.2f}, postgres {cpu['postgres_cores']:.2f}, "
                f"background {cpu['background_cores']:.2f} (of {os.cpu_count()}); "
                f"{phase['discarded']} {'s' if name.endswith('conc') else 'requests'} "
                "measured during other work thrown away"
                + (f"; errors: {phase['errors'][:3]}" if phase.get("errors") else "")
            )
        if "list_bytes" in r:
            lines.append(f"- {backend} list page body: {r['list_bytes']:,} bytes")
        if "import" in r:
            i = r["import"]
            lines.append(
                f"- {backend} import of {i['items']:,} items ({i['bytes'] / 1e6:.1f} MB JSON "
                f"lines): service {i['service_s']:.2f} s, of which parsing and validation "
                f"{i['parse_s']:.2f} s (background {i['service_background']:.2f} cores); "
                f"`POST /imports/` {i['http_s']:.2f} s (background {i['http_background']:.2f})"
            )
    return "\n".join(lines)


# --- child processes (run with django.setup()) -----------------------------------------------


# Words of a QA-FEEDBACK answer; texts are ASCII so that offsets are simple.
VOCABULARY = (
    "the album was released on august 2018 through records and features guest appearances "
    "by singers it was preceded by singles including the title track which received "
    "universal acclaim from critics in australia and the united states"
)


def _words(seed: int, chars: int) -> str:
    """``chars`` characters of answer-like text, the same for the same seed."""
    words = random.Random(seed).choices(VOCABULARY.split(" "), k=chars // 3)
    return " ".join(words)[:chars].rstrip() + "."


def write_import_file(path: Path, count: int) -> int:
    """A JSON-lines upload of ``count`` items with 4 text responses each; return its size."""
    with path.open("w") as fh:
        for n in range(count):
            record = {
                "external_id": f"import-{n}",
                "prompt": f"Question {n}: {_words(-n, 60)}?",
                "responses": [
                    {"text": _words(n * 4 + r, RESPONSE_CHARS), "model_name": f"policy-{r}"}
                    for r in range(4)
                ],
            }
            fh.write(json.dumps(record) + "\n")
    return path.stat().st_size


def _make_items(project: Any, prefix: str, count: int) -> list[int]:
    from annotator.models import Item, Response  # noqa: PLC0415

    items = Item.objects.bulk_create(
        [
            Item(
                project=project,
                external_id=f"{prefix}{n}",
                prompt=f"Question {n}: {_words(n, 60)}?",
            )
            for n in range(count)
        ],
        batch_size=1000,
    )
    responses = [
        Response(item=item, index=r, text=_words(n * 4 + r, RESPONSE_CHARS), model_name="policy")
        for n, item in enumerate(items)
        for r in range(4)
    ]
    Response.objects.bulk_create(responses, batch_size=2000)
    return [item.pk for item in items]


def child_setup(args: dict[str, Any]) -> dict[str, Any]:
    from django.contrib.auth import get_user_model  # noqa: PLC0415

    from annotator.services.projects import project_create, project_member_set  # noqa: PLC0415
    from annotator.services.taxonomy import (  # noqa: PLC0415
        taxonomy_draft_create,
        taxonomy_publish,
        taxonomy_set_error_types,
    )
    from annotator.services.tokens import api_token_create  # noqa: PLC0415

    users = get_user_model().objects
    admin = users.create_user(username="bench-admin", password=uuid.uuid4().hex)
    project = project_create(name="Benchmark", created_by=admin)
    taxonomy = taxonomy_draft_create(project=project)
    error_types = [
        {"key": "irrelevant", "name": "Irrelevant", "severity_levels": ["minor", "major"]},
        {"key": "incorrect", "name": "Incorrect-or-Missing"},
        {"key": "missing", "name": "Missing-Info", "unit_kinds": ["missing_info"]},
    ]
    taxonomy_set_error_types(taxonomy=taxonomy, error_types=error_types)
    taxonomy_publish(taxonomy=taxonomy)

    def annotator_token(username: str) -> str:
        users.create_user(username=username, password=uuid.uuid4().hex)
        project_member_set(project=project, username=username, role="annotator")
        user = users.get(username=username)
        return api_token_create(
            user=user, name="bench", scopes=["read", "write"], projects=[project]
        )[1]

    admin_token = api_token_create(user=admin, name="bench", scopes=["read", "write"], projects=[])[
        1
    ]
    import_projects = {
        way: [project_create(name=f"Import {way} {n}", created_by=admin).pk for n in range(3)]
        for way in ("service", "http")
    }
    seq_token = annotator_token("bench-seq")
    client_tokens = [annotator_token(f"bench-c{i}") for i in range(args["clients"])]
    seq_items = _make_items(project, "s", args["seq_items"])
    client_items = [
        _make_items(project, f"c{i}-", args["per_client"]) for i in range(args["clients"])
    ]
    # What autovacuum does within a minute of a bulk load: without statistics PostgreSQL
    # plans the page's response query as a sequential scan (the import service runs the
    # same ANALYZE after large imports).
    from django.db import connection  # noqa: PLC0415

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return {
        "project": project.pk,
        "admin": admin.pk,
        "admin_token": admin_token,
        "import_projects": import_projects,
        "seq_token": seq_token,
        "client_tokens": client_tokens,
        "seq_items": seq_items,
        "client_items": client_items,
    }


def child_import(args: dict[str, Any]) -> dict[str, Any]:
    """Time ``import_job_create(..., run_inline=True)`` (store the file, parse and validate
    every line, write items and responses in one transaction), then parsing alone."""
    from django.contrib.auth import get_user_model  # noqa: PLC0415
    from django.core.files import File  # noqa: PLC0415

    from annotator.importers.parse import parse_upload  # noqa: PLC0415
    from annotator.models import Project  # noqa: PLC0415
    from annotator.services.imports import import_job_create  # noqa: PLC0415

    project = Project.objects.get(pk=args["project"])
    admin = get_user_model().objects.get(pk=args["admin"])
    path = Path(args["path"])
    with path.open("rb") as fh:
        started = time.perf_counter()
        job = import_job_create(
            project=project,
            created_by=admin,
            upload=File(fh, name=path.name),
            format="jsonl",
            run_inline=True,
        )
        elapsed = time.perf_counter() - started
    if job.status != job.Status.SUCCEEDED or job.created_count != args["items"]:
        raise RuntimeError(f"import: {job.status} {job.created_count} {job.errors[:3]}")
    data = path.read_bytes()
    started = time.perf_counter()
    parsed = parse_upload(data, "jsonl")
    parse_s = time.perf_counter() - started
    assert len(parsed.items) == args["items"]
    return {"seconds": elapsed, "parse_seconds": parse_s}


def child_main(mode: str) -> None:
    import django  # noqa: PLC0415

    sys.path.insert(0, str(ROOT))
    django.setup()
    result = {"setup": child_setup, "import": child_import}[mode](json.load(sys.stdin))
    print(json.dumps(result))


# --- main -------------------------------------------------------------------------------------


def machine() -> str:
    model = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    return f"{os.cpu_count()} cores, {model}"


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        child_main(sys.argv[2])
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="short run (about a minute)")
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument(
        "--server",
        default="sync:4",
        help="gunicorn workers: sync:<workers> or gthread:<workers>x<threads> (default sync:4)",
    )
    parser.add_argument(
        "--max-background",
        type=float,
        default=0.25,
        help="throw away measurements taken while other work used more cores than this",
    )
    parser.add_argument(
        "--patience",
        type=float,
        default=300.0,
        help="seconds per phase to wait for an idle machine before keeping noisy samples",
    )
    parser.add_argument("--phases", default=",".join(PHASES), help=f"subset of {','.join(PHASES)}")
    parser.add_argument("--json", type=Path, help="also write the raw results here")
    parser.add_argument("--table-from", type=Path, help="print the table of a --json file")
    args = parser.parse_args()

    def terminate(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, terminate)
    plan = QUICK if args.quick else FULL
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    gate = Gate(args.max_background, args.patience)
    if args.table_from:
        results = json.loads(args.table_from.read_text())
    else:
        results = {}
        for backend in backends:
            print(f"# {backend}: gunicorn {args.server} …", file=sys.stderr, flush=True)
            only = args.phases.split(",")
            results[backend] = measure_backend(backend, plan, args.server, gate, only)
        results["_run"] = {
            "machine": machine(),
            "server": args.server,
            "plan": "quick" if args.quick else "full",
            "date": time.strftime("%Y-%m-%d %H:%M"),
        }
    run = results.pop("_run", {})
    print(f"Machine: {run.get('machine')}; gunicorn {run.get('server')}; {run.get('plan')} run; "
          f"{run.get('date')}\n")  # fmt: skip
    print(table(results, gate))
    print()
    print(notes(results))
    if args.json and not args.table_from:
        args.json.write_text(json.dumps(results | {"_run": run}, indent=2))


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        print("interrupted; cleaned up", file=sys.stderr)
        sys.exit(130)
