#!/usr/bin/env python3
"""Span-layer speed in headless Chromium: first render and span creation (issue 3).

A response of 20,000 characters with 500 overlapping spans, rendered by the annotate view's
own text block (frontend/bench/main.tsx mounts TextResponse + the span list with the same
reducer as the app). Baselines measured in the same run, on the same page:

- render: the same text with no spans;
- create span: the first span on the same text with no spans.

Each figure is the median (and p95) of several runs; "layout" stops the clock once the DOM is
updated and laid out, "next frame" once the browser has had the chance to paint it.
Targets: first render <= 300 ms, creating a span <= 50 ms.

Run: .venv/bin/python benchmarks/ui.py [--runs 15] [--json out.json]
Needs Debian's chromium (/usr/bin/chromium) and npm (builds frontend/dist-bench).
"""

from __future__ import annotations

import argparse
import functools
import http.server
import json
import shutil
import statistics
import subprocess
import threading
from pathlib import Path
from typing import Any

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
FRONTEND = ROOT / "frontend"
DIST = FRONTEND / "dist-bench"
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TARGETS = {"render": 300.0, "create": 50.0}


def build() -> None:
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit("npm is needed to build the benchmark page")
    if not (FRONTEND / "node_modules").exists():
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=FRONTEND, check=True)
    subprocess.run([npm, "run", "build:bench"], cwd=FRONTEND, check=True, capture_output=True)


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def serve() -> tuple[http.server.ThreadingHTTPServer, str]:
    handler = functools.partial(QuietHandler, directory=str(DIST))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/index.html"


def stats(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"median": statistics.median(ordered), "p95": p95}


def measure(page: Any, runs: int, spans: int) -> dict[str, Any]:
    renders, render_paint, creates, create_paint = [], [], [], []
    segments = 0
    for i in range(runs + 2):
        r = page.evaluate("n => window.__bench.render(n)", spans)
        c = page.evaluate("s => window.__bench.createSpan(s)", 100 + i)
        if not c["changed"]:
            raise SystemExit("creating a span did not change the page")
        if i < 2:  # warm-up: JIT, fonts
            continue
        segments = r["segments"]
        renders.append(r["render_ms"])
        render_paint.append(r["paint_ms"])
        creates.append(c["create_ms"])
        create_paint.append(c["paint_ms"])
    return {
        "spans": spans,
        "segments": segments,
        "render": stats(renders),
        "render_frame": stats(render_paint),
        "create": stats(creates),
        "create_frame": stats(create_paint),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--spans", type=int, default=500)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    build()
    server, url = serve()
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(url)
            page.wait_for_function("window.__bench && window.__bench.ready")
            base = measure(page, args.runs, 0)
            full = measure(page, args.runs, args.spans)
            version = browser.version
            browser.close()
    finally:
        server.shutdown()

    print(f"Span layer, 20,000 characters, headless Chromium {version}, {args.runs} runs each")
    print(f"(segments rendered: {base['segments']} without spans, {full['segments']} with)")
    header = f"{'measure':<32}{'baseline':>12}{f'{args.spans} spans':>12}{'ratio':>8}{'target':>10}"
    print(header)
    print("-" * len(header))
    rows = [
        ("first render, laid out (median)", "render", "median", "render"),
        ("first render, laid out (p95)", "render", "p95", None),
        ("first render, next frame (median)", "render_frame", "median", None),
        ("create a span, laid out (median)", "create", "median", "create"),
        ("create a span, laid out (p95)", "create", "p95", None),
        ("create a span, next frame (median)", "create_frame", "median", None),
    ]
    for label, key, stat, target in rows:
        b, f = base[key][stat], full[key][stat]
        goal = f"<= {TARGETS[target]:.0f}" if target else ""
        print(f"{label:<32}{b:>10.1f}ms{f:>10.1f}ms{f / b if b else 0:>7.1f}x{goal:>10}")
    verdict = all(full[k]["median"] <= TARGETS[k] for k in TARGETS)
    print("targets met" if verdict else "TARGETS MISSED")
    if args.json:
        args.json.write_text(json.dumps({"baseline": base, "spans": full}, indent=2))


if __name__ == "__main__":
    main()
