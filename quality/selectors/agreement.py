"""Stored agreement of a project: the latest snapshot with its report, whether labels changed
since, and the history the dashboard plots. Reads snapshots only; nothing is recomputed."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from annotator.models import Project
from quality.metrics import ANNOTATOR_WEIGHTS, TYPE_SERIES_MEASURES
from quality.models import AgreementSnapshot
from quality.selectors.labels import project_labels_changed_at

HISTORY = 200


def agreement_history(*, project: Project, limit: int = HISTORY) -> list[AgreementSnapshot]:
    """The latest ``limit`` snapshots of ``project``, oldest first, without their reports
    (headline columns and the per-type and per-annotator rows are enough to plot, and a
    report holds every annotator pair)."""
    newest = (
        AgreementSnapshot.objects.filter(project=project)
        .defer("report")
        .order_by("-created_at", "-id")[:limit]
    )
    return list(newest)[::-1]


def _pivot(
    points: Sequence[Iterable[dict[str, Any]]],
    key: str,
    measures: Sequence[str],
    weight: str,
    label: Callable[[dict[str, Any]], dict[str, Any]],
) -> list[dict[str, Any]]:
    lines: dict[str, dict[str, Any]] = {}
    for i, rows in enumerate(points):
        for row in rows:
            line = lines.get(row[key])
            if line is None:
                line = {key: row[key], **{m: [None] * len(points) for m in (weight, *measures)}}
                lines[row[key]] = line
            line.update(label(row))  # the newest label wins
            for measure in (weight, *measures):
                line[measure][i] = row.get(measure)
    # A line with no value at all (an annotator who never shared an item) is left out.
    kept = [
        line for line in lines.values() if any(v is not None for m in measures for v in line[m])
    ]
    total = {line[key]: sum(v or 0 for v in line[weight]) for line in kept}
    return sorted(kept, key=lambda line: (-total[line[key]], line[key]))


def agreement_series(history: Sequence[AgreementSnapshot]) -> dict[str, list[dict[str, Any]]]:
    """The per-type and per-annotator rows of ``history`` as one list per measure, aligned
    with it (value i is snapshot i's; None where that snapshot has no row for the type or
    annotator). Heaviest first: error types by characters marked, annotators by pairs, summed
    over the history. Columns rather than rows per snapshot keep the response small: 200
    snapshots of 30 annotators and 12 error types took 1.5 MB of JSON as rows, 0.33 MB so."""
    return {
        "by_error_type": _pivot(
            [h.by_error_type for h in history], "error_type", TYPE_SERIES_MEASURES,
            "marked_chars", lambda row: {},
        ),
        "by_annotator": _pivot(
            [h.by_annotator for h in history], "coder", tuple(ANNOTATOR_WEIGHTS), "pairs",
            lambda row: {"name": row.get("name", row["coder"])},
        ),
    }  # fmt: skip


def agreement_overview(*, project: Project) -> dict[str, Any]:
    """``{"snapshot", "report", "stale", "history", "series"}``: the latest snapshot and its
    report (None before the first computation), whether labels (drafts aside) changed after
    it, ``agreement_history`` and its ``agreement_series``."""
    latest = (
        AgreementSnapshot.objects.filter(project=project).order_by("-created_at", "-id").first()
    )
    changed = project_labels_changed_at(project=project)
    stale = changed is not None and (
        latest is None or latest.labels_changed_at is None or changed > latest.labels_changed_at
    )
    history = agreement_history(project=project)
    return {
        "snapshot": latest,
        "report": latest.report if latest else None,
        "stale": stale,
        "history": history,
        "series": agreement_series(history),
    }
