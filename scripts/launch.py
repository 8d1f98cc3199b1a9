#!/usr/bin/env python3
"""Run the embedded default: web, Celery worker and Celery beat as children of this process.

`make run` calls this after migrate, collectstatic and seed_demo. Each child's output is
printed with a prefix (``web | ...``). Ctrl-C, SIGTERM or SIGHUP stop every child and wait for
it; if any child dies on its own, the others are stopped and the launcher exits non-zero
naming the one that died.

Environment: PORT (default 8000), DJANGO_DEBUG=1 (Django's runserver instead of gunicorn),
WEB_CONCURRENCY (gunicorn workers, default 2-4 by CPU count), DATABASE_URL, CELERY_BROKER_URL,
FINEGRAIN_VAR_DIR; the children inherit the whole environment.

Every child runs in its own process group, so a terminal's Ctrl-C reaches only the launcher
and each child gets exactly one SIGTERM from it (a second SIGINT would make Celery skip its
warm shutdown). The group is swept after the child exits, which also stops grandchildren
such as runserver's autoreloader. On Linux a child also gets SIGTERM if the launcher itself
is killed (PR_SET_PDEATHSIG), so no child outlives it.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import selectors
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

ROOT = Path(__file__).resolve().parent.parent
QUEUES = "default,exports,scoring,training"
STOP_TIMEOUT_S = 30  # a warm Celery shutdown waits for the running task
READY_TIMEOUT_S = 60
COLORS = {"web": "36", "worker": "33", "beat": "35", "launch": "1"}
PR_SET_PDEATHSIG = 1


@dataclass
class Child:
    name: str
    command: list[str]
    process: subprocess.Popen[bytes] | None = None
    pending: bytes = b""

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid


class Output:
    """Prefixed, line-buffered output; colours only on a terminal."""

    def __init__(self) -> None:
        self.color = sys.stdout.isatty() and not os.environ.get("NO_COLOR")
        self.width = max(len(name) for name in COLORS)

    def line(self, name: str, text: bytes) -> None:
        prefix = f"{name:<{self.width}} | "
        if self.color:
            prefix = f"\033[{COLORS.get(name, '0')}m{prefix}\033[0m"
        try:
            sys.stdout.buffer.write(prefix.encode() + text.rstrip(b"\r\n") + b"\n")
            sys.stdout.buffer.flush()
        except BrokenPipeError:
            # Nobody reads our output any more (e.g. `make run | head`); keep the children
            # running and stop printing.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())

    def say(self, message: str) -> None:
        self.line("launch", message.encode())


LAUNCHER_PID = os.getpid()


def die_with_parent() -> None:
    """Runs in the child before exec: ask Linux for SIGTERM when the launcher dies."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != LAUNCHER_PID:  # the launcher died before prctl took effect
            os._exit(1)


def var_dir() -> Path:
    return Path(os.environ.get("FINEGRAIN_VAR_DIR") or ROOT / "var")


def web_command(port: int) -> list[str]:
    if os.environ.get("DJANGO_DEBUG", "").strip().lower() in {"1", "true", "yes", "on"}:
        return [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}"]
    workers = os.environ.get("WEB_CONCURRENCY") or str(min(4, max(2, os.cpu_count() or 2)))
    return [
        sys.executable, "-m", "gunicorn", "config.wsgi",
        "--bind", f"127.0.0.1:{port}",
        "--workers", workers,
        "--timeout", "120",
        "--graceful-timeout", "20",
        "--access-logfile", "-",
        # Gunicorn 27's control socket is one fixed path per user; two checkouts would clash.
        "--no-control-socket",
    ]  # fmt: skip


def worker_command() -> list[str]:
    command = [
        sys.executable, "-m", "celery", "-A", "config", "worker",
        "-Q", QUEUES, "--concurrency=2", "--loglevel=INFO",
    ]  # fmt: skip
    if os.environ.get("CELERY_BROKER_URL", "filesystem://").startswith("filesystem"):
        # One worker on one machine: nobody to gossip or mingle with, and on the filesystem
        # transport every heartbeat event would be a file written and polled.
        command += ["--without-gossip", "--without-mingle", "--without-heartbeat"]
    return command


def beat_command() -> list[str]:
    schedule = var_dir() / "celerybeat-schedule"
    return [
        sys.executable, "-m", "celery", "-A", "config", "beat",
        "--schedule", str(schedule), "--loglevel=INFO",
    ]  # fmt: skip


def describe_exit(code: int | None) -> str:
    if code is not None and code < 0:
        return f"was killed by {signal.Signals(-code).name}"
    return f"exited with code {code}"


def port_answers(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def signal_group(child: Child, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(child.pid, signum)


def group_alive(child: Child) -> bool:
    try:
        os.killpg(child.pid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    return True


class Launcher:
    def __init__(self, port: int) -> None:
        self.port = port
        self.out = Output()
        self.children = [
            Child("web", web_command(port)),
            Child("worker", worker_command()),
            Child("beat", beat_command()),
        ]
        self.selector = selectors.DefaultSelector()
        self.signals: list[int] = []
        self.worker_ready = False

    def on_signal(self, signum: int, frame: FrameType | None) -> None:
        self.signals.append(signum)

    def start(self) -> None:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": os.environ.get(
                "DJANGO_SETTINGS_MODULE", "config.settings.local"
            ),
            "PYTHONUNBUFFERED": "1",
        }
        for child in self.children:
            child.process = subprocess.Popen(
                child.command,
                cwd=ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=die_with_parent,  # safe: this process starts no threads
            )
            assert child.process.stdout is not None
            os.set_blocking(child.process.stdout.fileno(), False)
            self.selector.register(child.process.stdout, selectors.EVENT_READ, child)
            self.out.say(f"started {child.name} (pid {child.pid}): {' '.join(child.command[1:])}")

    def pump(self, timeout: float) -> None:
        """Print whatever the children wrote within ``timeout`` seconds."""
        if not self.selector.get_map():
            time.sleep(timeout)
            return
        for key, _ in self.selector.select(timeout):
            child: Child = key.data
            try:
                data = os.read(key.fd, 65536)
            except BlockingIOError:
                continue
            if not data:  # EOF: the child and everything it started closed the pipe
                self.selector.unregister(key.fileobj)
                if child.pending:
                    self.out.line(child.name, child.pending)
                    child.pending = b""
                continue
            *lines, child.pending = (child.pending + data).split(b"\n")
            for line in lines:
                self.out.line(child.name, line)
                if child.name == "worker" and b" ready." in line:
                    self.worker_ready = True

    def banner(self) -> None:
        url = f"http://127.0.0.1:{self.port}/"
        self.out.say("")
        self.out.say(f"Finegrain is running at {url}")
        self.out.say("Log in with one of the demo users printed above by seed_demo.")
        self.out.say(f"API: {url}api/v1/  schema: {url}api/schema/  admin: {url}admin/")
        self.out.say("Press Ctrl-C to stop web, worker and beat.")
        self.out.say("")

    def run(self) -> int:
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, self.on_signal)
        self.start()
        started = time.monotonic()
        ready = warned = False
        died: Child | None = None
        while not self.signals and died is None:
            self.pump(0.5)
            died = next(
                (c for c in self.children if c.process and c.process.poll() is not None), None
            )
            # The banner comes once web answers and the worker is ready, so that it is the
            # last thing on the screen rather than buried in the worker's start-up lines.
            waited = time.monotonic() - started
            if not ready and (self.worker_ready or waited > READY_TIMEOUT_S / 2):
                ready = port_answers(self.port)
                if ready:
                    self.banner()
            if not ready and not warned and waited > READY_TIMEOUT_S:
                warned = True
                self.out.say(f"web is not answering on port {self.port} yet; still waiting")
        code = died.process.returncode if died and died.process else 0
        if died is not None:
            self.out.say(f"{died.name} {describe_exit(code)}; stopping the others")
        else:
            self.out.say(f"received {signal.Signals(self.signals[0]).name}; stopping")
        self.stop()
        if died is not None:
            self.out.say(f"stopped because {died.name} {describe_exit(code)}")
            return code if code > 0 else 1
        self.out.say("stopped")
        return 0

    def stop(self) -> None:
        """SIGTERM each child once, wait for it, then sweep its process group."""
        # A signal more than a second after the first one means "now": kill. Earlier ones are
        # the same request delivered twice (e.g. by a terminal and by a parent process).
        escalate_after = time.monotonic() + 1
        signals_seen = len(self.signals)
        for child in self.children:
            if child.process and child.process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    child.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT_S
        forced = False
        running = {c.name for c in self.children if c.process and c.process.poll() is None}
        while running:
            for child in self.children:
                if child.name in running and child.process and child.process.poll() is not None:
                    running.discard(child.name)
                    self.out.say(f"{child.name} {describe_exit(child.process.returncode)}")
            if not running:
                break
            if time.monotonic() < escalate_after:
                signals_seen = len(self.signals)
            if not forced and (len(self.signals) > signals_seen or time.monotonic() > deadline):
                forced = True
                self.out.say("killing the children that are still running")
                for child in self.children:
                    signal_group(child, signal.SIGKILL)
            self.pump(0.2)
        # Grandchildren left behind (runserver's autoreloader child, a pool process).
        for child in self.children:
            signal_group(child, signal.SIGTERM)
        deadline = time.monotonic() + 5
        while any(group_alive(c) for c in self.children) and time.monotonic() < deadline:
            self.pump(0.1)
        for child in self.children:
            signal_group(child, signal.SIGKILL)
        deadline = time.monotonic() + 2
        while self.selector.get_map() and time.monotonic() < deadline:
            self.pump(0.1)


def main() -> int:
    port = int(os.environ.get("PORT", "8000"))
    if port_answers(port):
        Output().say(
            f"port {port} is already in use (is another `make run` running?); "
            "stop it or set PORT=..."
        )
        return 1
    return Launcher(port).run()


if __name__ == "__main__":
    sys.exit(main())
