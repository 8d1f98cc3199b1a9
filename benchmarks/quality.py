"""Agreement recomputation time for a project of 2,000 items × 3 annotators, against the
``krippendorff`` package on the same reliability matrices, in the same run.

    .venv/bin/python benchmarks/quality.py                 # 2,000 items, SQLite test database
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/finegrain .venv/bin/python benchmarks/quality.py
    .venv/bin/python benchmarks/quality.py --items 500 --runs 3

The project: every item has two text responses of 250–350 characters, a steps response of five
steps, two rubric criteria and one preference; three annotators label every item (about 1.5
spans per response each, drawn around shared "true" errors with jittered boundaries, so that
agreement is realistic). Rows are inserted with ``bulk_create`` (not timed).

What is timed (median of ``--runs`` after one warm-up):

- **Finegrain recompute**: ``agreement_recompute(force=True)`` — the Celery job's work: read the
  labels (six queries), compute every metric of the report (span F1, severity F1, unitizing α,
  character α per type, confusion, steps, rubric, preferences, every annotator pair, per-item
  scores, throughput), gold accuracy, consistency checks, write the snapshot, the per-item rows
  and the flags;
- **Finegrain metrics only**: ``agreement_report`` on labels already in memory;
- **baseline**: ``krippendorff.alpha`` (numpy) on the reliability matrices of the α values the
  report contains — character α per error type (nominal), for all types (nominal on the set of
  types), severity per type (interval), steps (ordinal), rubric per criterion (interval and
  ordinal) and preferences (interval) — with the matrices built before the clock starts. The
  package computes nothing else (no F1, no unitizing α, no pairs), so the comparison favours it.

Every α of the report is checked against the package's value on the same matrix.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

WORDS = [
    "the", "album", "was", "released", "in", "august", "through", "a", "label", "and", "features",
    "guest", "singers", "while", "critics", "praised", "its", "production", "and", "the", "lead",
    "single", "reached", "the", "charts", "in", "several", "countries",
]  # fmt: skip


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    import django  # noqa: PLC0415 - after the settings module is chosen

    django.setup()


def text_of(rng: random.Random) -> str:
    words: list[str] = []
    while sum(len(w) + 1 for w in words) < rng.randint(250, 350):
        words.append(rng.choice(WORDS))
    return " ".join(words)


def jitter(rng: random.Random, start: int, end: int, size: int) -> tuple[int, int]:
    a = max(0, min(size - 2, start + rng.randint(-5, 5)))
    b = max(a + 1, min(size, end + rng.randint(-5, 5)))
    return a, b


def build(items: int, seed: int = 7) -> Any:
    """The project of the module docstring; returns it."""
    from django.utils import timezone  # noqa: PLC0415

    from annotator.models import (  # noqa: PLC0415
        Annotation,
        ErrorType,
        Item,
        PreferenceJudgment,
        Response,
        RubricCriterion,
        RubricScore,
        SpanLabel,
        StepLabel,
    )
    from tests.factories import make_project, make_user  # noqa: PLC0415

    rng = random.Random(seed)
    admin = make_user("bench-admin")
    annotators = [make_user(f"bench-{k}") for k in range(3)]
    project = make_project(admin=admin, overlap=3)
    taxonomy = project.taxonomies.get(status="published")
    rubric = project.rubrics.get(status="published")
    types = {e.key: e for e in ErrorType.objects.filter(taxonomy=taxonomy)}
    criteria = {c.key: c for c in RubricCriterion.objects.filter(rubric=rubric)}
    rows = Item.objects.bulk_create(
        [Item(project=project, external_id=f"b{i}", annotation_count=3) for i in range(items)],
        batch_size=2000,
    )
    responses = []
    for item in rows:
        responses += [Response(item=item, index=r, text=text_of(rng)) for r in (0, 1)]
        responses.append(Response(item=item, index=2, kind="steps", steps=["s"] * 5))
    responses = Response.objects.bulk_create(responses, batch_size=2000)
    by_item = {(r.item_id, r.index): r for r in responses}
    now = timezone.now()
    annotations = []
    for item in rows:
        for k, user in enumerate(annotators):
            annotations.append(Annotation(
                project=project, item=item, author=user, client_id=uuid.uuid4(),
                status="submitted", taxonomy=taxonomy, rubric=rubric,
                submitted_at=now - timedelta(days=rng.randint(0, 13)),
                time_spent_ms=rng.randint(20_000, 120_000) + 5_000 * k,
            ))  # fmt: skip
    annotations = Annotation.objects.bulk_create(annotations, batch_size=2000)
    spans, steps, scores, prefs = [], [], [], []
    for index, item in enumerate(rows):
        own = annotations[3 * index : 3 * index + 3]
        truth = {}
        for r in (0, 1):
            size = len(by_item[(item.pk, r)].text)
            truth[r] = []
            for _ in range(rng.choice((0, 1, 1, 2))):
                start = rng.randint(0, size - 40)
                key = rng.choice(("irrelevant", "wrong-grounding"))
                truth[r].append((start, start + rng.randint(10, 40), key))
        true_steps = [rng.choice((1, 1, 0, -1)) for _ in range(5)]
        true_score = rng.randint(1, 5)
        for annotation in own:
            for r in (0, 1):
                response = by_item[(item.pk, r)]
                size = len(response.text)
                marks = [t for t in truth[r] if rng.random() < 0.8]
                if rng.random() < 0.15:
                    start = rng.randint(0, size - 20)
                    marks.append((start, start + 15, rng.choice(("irrelevant", "wrong-grounding"))))
                for start, end, key in marks:
                    a, b = jitter(rng, start, end, size)
                    severity = rng.choice((1, 2)) if key == "irrelevant" else None
                    spans.append(SpanLabel(
                        annotation=annotation, response=response, start=a, end=b,
                        error_type=types[key], severity=severity,
                    ))  # fmt: skip
                scores.append(RubricScore(
                    annotation=annotation, response=response, criterion=criteria["factuality"],
                    score=max(1, min(5, true_score + rng.choice((-1, 0, 0, 0, 1)))),
                ))  # fmt: skip
                scores.append(RubricScore(annotation=annotation, response=response,
                                          criterion=criteria["fluency"],
                                          score=rng.choice((0, 1, 1))))  # fmt: skip
            for s, rating in enumerate(true_steps):
                value = rating if rng.random() < 0.85 else rng.choice((-1, 0, 1))
                steps.append(StepLabel(annotation=annotation, response=by_item[(item.pk, 2)],
                                       step_index=s, rating=value))  # fmt: skip
            prefs.append(PreferenceJudgment(
                annotation=annotation, response_a=by_item[(item.pk, 0)],
                response_b=by_item[(item.pk, 1)], value=rng.randint(-3, 3),
            ))  # fmt: skip
    for model_rows in (spans, steps, scores, prefs):
        type(model_rows[0]).objects.bulk_create(model_rows, batch_size=5000)
    return project


def timed(call: Callable[[], Any], runs: int) -> tuple[float, Any]:
    call()  # warm-up
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = call()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def matrices(labels: Any) -> list[tuple[str, Any, str, Any, float | None]]:
    """(name, coders × units matrix, level, value domain, Finegrain's α) for every α of the
    report, built from the same units as the report (quality.metrics.units_build)."""
    import numpy as np  # noqa: PLC0415

    from quality.metrics import PREFERENCE_LEVELS, STEP_LEVELS, humans_report, units_build  # noqa: PLC0415

    units = units_build(labels)
    humans = sorted({i.coder for i in labels.annotations.values() if i.is_human})
    report = humans_report(units, set(humans), labels)
    index = {c: k for k, c in enumerate(humans)}
    sections = [(key, units.section_length[key], by) for key, by in units.sections.items()
                if len(by) >= 2]  # fmt: skip
    total = sum(length for _, length, _ in sections)
    types = sorted({s[2] for _, _, by in sections for spans in by.values() for s in spans})
    out = []
    char: dict[str, Any] = {t: np.full((len(humans), total), np.nan) for t in types}
    severity: dict[str, Any] = {t: np.full((len(humans), total), np.nan) for t in types}
    sets = np.full((len(humans), total), np.nan)
    set_codes: dict[tuple[str, ...], int] = {}
    offset = 0
    for _key, length, by in sections:
        for coder, spans in by.items():
            row = index[coder]
            cover: list[dict[str, int]] = [{} for _ in range(length)]
            for start, end, key, sev in spans:
                for i in range(max(0, start), min(length, end)):
                    cover[i][key] = max(cover[i].get(key, 0), sev or 1)
            for t in types:
                char[t][row, offset : offset + length] = [int(t in c) for c in cover]
                severity[t][row, offset : offset + length] = [c.get(t, 0) for c in cover]
            sets[row, offset : offset + length] = [
                set_codes.setdefault(tuple(sorted(c)), len(set_codes)) for c in cover
            ]
        offset += length
    rows = {r["error_type"]: r for r in report["spans"]["by_error_type"]}
    for t in types:
        out.append((f"character α, {t}", char[t], "nominal", None, rows[t]["alpha_char"]))
        out.append((f"severity α, {t}", severity[t], "interval", None,
                    rows[t]["alpha_char_severity"]))  # fmt: skip
    out.append(("character α, all types", sets, "nominal", None, rows["(all)"]["alpha_char"]))

    def table(cells: dict[Any, dict[str, Any]]) -> Any:
        keys = [k for k, unit in cells.items() if len(unit) >= 2]
        matrix = np.full((len(humans), len(keys)), np.nan)
        for j, key in enumerate(keys):
            for coder, value in cells[key].items():
                matrix[index[coder], j] = value
        return matrix

    out.append(("steps α (ordinal)", table(units.steps), "ordinal", STEP_LEVELS,
                report["steps"]["alpha_ordinal"]))  # fmt: skip
    for row in report["rubric"]["by_criterion"]:
        cells = {k: v for k, v in units.rubric.items() if k[1] == row["criterion"]}
        levels = labels.criterion_levels[row["criterion"]]
        out.append((f"rubric α interval, {row['criterion']}", table(cells), "interval", None,
                    row["alpha_interval"]))  # fmt: skip
        out.append((f"rubric α ordinal, {row['criterion']}", table(cells), "ordinal", levels,
                    row["alpha_ordinal"]))  # fmt: skip
    out.append(("preferences α (interval)", table(units.preferences), "interval",
                PREFERENCE_LEVELS, report["preferences"]["alpha_interval"]))  # fmt: skip
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--wait", type=float, default=120, help="Seconds to wait for load < 1.5")
    args = parser.parse_args()
    deadline = time.monotonic() + args.wait
    while os.getloadavg()[0] > 1.5 and time.monotonic() < deadline:
        time.sleep(5)
    load = os.getloadavg()[0]
    print(f"load average before: {load:.2f} (1 min), cores: {os.cpu_count()}")
    setup_django()
    import krippendorff  # noqa: PLC0415
    from django.db import connection  # noqa: PLC0415
    from django.test.utils import setup_test_environment  # noqa: PLC0415

    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        from quality.metrics import agreement_report  # noqa: PLC0415
        from quality.selectors.labels import project_labels_load  # noqa: PLC0415
        from quality.services.agreement import agreement_recompute  # noqa: PLC0415

        started = time.perf_counter()
        project = build(args.items)
        built = time.perf_counter() - started
        t_recompute, snapshot = timed(
            lambda: agreement_recompute(project=project, force=True), args.runs
        )
        t_load, labels = timed(lambda: project_labels_load(project=project), args.runs)
        t_metrics, _ = timed(lambda: agreement_report(labels), args.runs)
        checks = matrices(labels)

        def package() -> list[float]:
            return [
                float(krippendorff.alpha(m, level_of_measurement=level, value_domain=domain))
                for _name, m, level, domain, _ours in checks
            ]

        t_package, values = timed(package, args.runs)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    report = snapshot.report
    chars = checks[0][1].shape[1]
    print(f"\n{args.items} items × 3 annotators on {connection.vendor}: "
          f"{report['annotations']} annotations, {report['spans']['sections']} text responses "
          f"({chars:,} characters) compared, {report['steps']['units']} steps, "
          f"{sum(r['units'] for r in report['rubric']['by_criterion'])} rubric units, "
          f"{report['preferences']['units']} preferences; built in {built:.1f} s\n")  # fmt: skip
    print("| stage | median seconds | vs baseline |")
    print("|---|---:|---:|")
    print(f"| baseline: `krippendorff.alpha` on the {len(checks)} α matrices (built beforehand) "
          f"| {t_package:.3f} | 1.00× |")  # fmt: skip
    print(f"| Finegrain: metrics only (`agreement_report`, every metric, pairs, items) "
          f"| {t_metrics:.3f} | {t_metrics / t_package:.2f}× |")  # fmt: skip
    print(f"| Finegrain: read the labels (`project_labels_load`) | {t_load:.3f} | "
          f"{t_load / t_package:.2f}× |")  # fmt: skip
    print(f"| **Finegrain: full recompute** (read, compute, gold, checks, write) "
          f"| **{t_recompute:.3f}** | {t_recompute / t_package:.2f}× |")  # fmt: skip
    print("\n| α | Finegrain | krippendorff | |difference| |")
    print("|---|---:|---:|---:|")
    worst = 0.0
    for (name, _m, _level, _domain, ours), theirs in zip(checks, values, strict=True):
        diff = abs((ours or 0) - round(theirs, 4))
        worst = max(worst, diff)
        print(f"| {name} | {ours} | {theirs:.4f} | {diff:.1e} |")
    print(f"\nlargest difference (report values are rounded to 4 places): {worst:.1e}")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
