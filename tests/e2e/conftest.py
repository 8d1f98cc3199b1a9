"""End-to-end tests: Debian's Chromium driven by Playwright against a live Django server.

The browser app is built once per session (``npm ci`` when node_modules is missing, then
``npm run build`` when a source is newer than the build), and served from frontend/dist by
the live server's static handler. Every page records console errors and CSP violations;
a test fails if any appeared. Screenshots go to artifacts/screenshots/ (gitignored).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.test import Client, override_settings

ROOT = Path(__file__).resolve().parents[2]
FRONTEND = ROOT / "frontend"
DIST = FRONTEND / "dist"
MANIFEST = DIST / ".vite" / "manifest.json"
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
CHROMIUM = os.environ.get("FINEGRAIN_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Playwright's sync API runs an event loop in the test thread; the ORM calls the tests make
# between browser steps are ordinary blocking calls, so Django's async guard must stand aside.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def _newest_source() -> float:
    newest = 0.0
    for path in [*FRONTEND.glob("*.json"), *FRONTEND.glob("*.ts"), *(FRONTEND / "src").rglob("*")]:
        if path.is_file() and path.name != "package-lock.json":
            newest = max(newest, path.stat().st_mtime)
    return newest


def build_frontend() -> None:
    """Build frontend/dist unless it is newer than every source file."""
    npm = shutil.which("npm")
    if MANIFEST.exists() and MANIFEST.stat().st_mtime >= _newest_source():
        return
    if npm is None:
        pytest.fail("npm is needed to build the browser app for the end-to-end tests")
    if not (FRONTEND / "node_modules").exists():
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=FRONTEND, check=True)
    subprocess.run([npm, "run", "build"], cwd=FRONTEND, check=True)


@pytest.fixture(scope="session")
def frontend_dist() -> Iterator[Path]:
    build_frontend()
    with override_settings(STATICFILES_DIRS=[DIST]):
        finders.get_finder.cache_clear()
        yield DIST
    finders.get_finder.cache_clear()


_SHARED: dict[str, Any] = {}


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """The session's one Chromium. Other test packages import this fixture into their own
    conftest, which makes pytest register one session fixture per import; Playwright's sync
    API cannot run twice at once in a thread, so every registration shares the first one's
    browser, and only that one closes it."""
    if "browser" in _SHARED:
        yield _SHARED["browser"]
        return
    from playwright.sync_api import sync_playwright  # noqa: PLC0415 - only e2e needs it

    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"{CHROMIUM} is missing: install Debian's chromium "
            "(apt-get install -y chromium chromium-driver), or set FINEGRAIN_CHROMIUM"
        )
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        _SHARED["browser"] = browser
        try:
            yield browser
        finally:
            _SHARED.pop("browser", None)
            browser.close()


class PageProblems:
    """Console errors, page errors and CSP violations seen by one page."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def attach(self, page: Any) -> None:
        page.on("console", self.on_console)
        page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))

    def on_console(self, msg: Any) -> None:
        # The browser logs every 4xx answer; the tests provoke some (409, a bad import) on
        # purpose and check what the page shows instead.
        expected = "Failed to load resource: the server responded with a status of 4"
        if msg.type == "error" and not msg.text.startswith(expected):
            self.errors.append(f"console.{msg.type}: {msg.text}")

    def csp(self, page: Any) -> list[str]:
        try:
            return list(page.evaluate("window.__cspViolations || []"))
        except Exception:
            return []


CSP_PROBE = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI);
});
"""


@pytest.fixture
def live(live_server: Any, frontend_dist: Path) -> Any:
    return live_server


@pytest.fixture
def new_page(browser: Any, live: Any) -> Iterator[Any]:
    """``new_page(user=None, offline_ok=False)`` -> a page in a fresh context, logged in as
    ``user`` through a session cookie. Console errors and CSP violations fail the test."""
    opened: list[tuple[Any, PageProblems, bool]] = []
    contexts: list[Any] = []

    def make(user: Any = None, *, context: Any = None, allow_errors: bool = False) -> Any:
        if context is None:
            context = browser.new_context(
                viewport={"width": 1440, "height": 900}, base_url=live.url
            )
            contexts.append(context)
            context.add_init_script(CSP_PROBE)
            if user is not None:
                client = Client()
                client.force_login(user)
                cookie = client.cookies[settings.SESSION_COOKIE_NAME]
                context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live.url}])
        page = context.new_page()
        problems = PageProblems()
        problems.attach(page)
        opened.append((page, problems, allow_errors))
        return page

    yield make
    failures: list[str] = []
    for page, problems, allow_errors in opened:
        violations = problems.csp(page) if not page.is_closed() else []
        failures.extend(f"CSP violation: {v}" for v in violations)
        if not allow_errors:
            failures.extend(problems.errors)
    for context in contexts:
        context.close()
    assert not failures, "\n".join(failures)


@pytest.fixture
def shoot() -> Any:
    """``shoot(page, name)`` saves artifacts/screenshots/<name>.png (full page)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page: Any, name: str, full_page: bool = True) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path

    return take
