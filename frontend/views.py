"""Serves the browser app: one Django page that loads the Vite build's hashed entry.

``npm run build`` writes ``frontend/dist`` (a STATICFILES_DIRS entry, so whitenoise serves it
under /static/ after collectstatic) and ``dist/.vite/manifest.json``, which maps the entry
``src/main.tsx`` to its hashed file and CSS. The page has no inline script (the CSP in
core.middleware forbids them); data reaches the app through the API only.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.views.decorators.csrf import ensure_csrf_cookie

DIST = Path(__file__).resolve().parent / "dist"
MANIFEST = DIST / ".vite" / "manifest.json"
ENTRY = "src/main.tsx"


def _read_manifest(path: Path) -> dict[str, Any]:
    with path.open() as fh:
        data: dict[str, Any] = json.load(fh)
    return data


@lru_cache(maxsize=4)
def _assets_cached(mtime: float) -> dict[str, list[str]]:
    return _assets_from(_read_manifest(MANIFEST))


def _assets_from(manifest: dict[str, Any]) -> dict[str, list[str]]:
    """The entry's script, its CSS and the chunks it imports (for modulepreload)."""
    entry = manifest[ENTRY]
    css: list[str] = list(entry.get("css", []))
    preload: list[str] = []
    seen: set[str] = set()
    stack = list(entry.get("imports", []))
    while stack:
        name = stack.pop()
        if name in seen or name not in manifest:
            continue
        seen.add(name)
        chunk = manifest[name]
        preload.append(chunk["file"])
        css.extend(chunk.get("css", []))
        stack.extend(chunk.get("imports", []))
    return {
        "scripts": [static(entry["file"])],
        "css": [static(path) for path in dict.fromkeys(css)],
        "preload": [static(path) for path in preload],
    }


def app_assets() -> dict[str, list[str]] | None:
    """Asset URLs of the built app, or None when it has not been built."""
    try:
        mtime = MANIFEST.stat().st_mtime
    except FileNotFoundError:
        return None
    # Re-read after a rebuild (mtime changes) without restarting the server.
    return _assets_cached(mtime if settings.DEBUG else 0.0)


@login_required
@ensure_csrf_cookie
def app(request: HttpRequest) -> HttpResponse:
    assets = app_assets()
    if assets is None:
        return render(request, "frontend/not-built.html", status=503)
    return render(request, "frontend/app.html", {"assets": assets})
