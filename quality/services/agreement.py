"""Recompute a project's agreement (report, per-item scores, consistency flags) and decide
which projects are due.

Recomputation is a Celery job (``quality.agreement_recompute``), debounced: the beat task
``quality.agreement_refresh_due`` runs every minute and enqueues a project when its labels
changed after its latest snapshot and that snapshot is older than the project's
``recompute_after_s``. Drafts are not labels: saving one changes nothing here
(``quality.selectors.labels.LABEL_STATUSES``). The job itself is idempotent — a second
delivery finds the snapshot current and returns — so duplicates cost one aggregate query.
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import Max, OuterRef, Q, Subquery
from django.utils import timezone

from annotator.models import Project
from quality.checks import consistency_flags
from quality.metrics import agreement_report, snapshot_series
from quality.models import AgreementSnapshot, ConsistencyFlag, ItemAgreement
from quality.selectors.labels import (
    LABEL_STATUSES,
    project_labels_changed_at,
    project_labels_load,
)
from quality.services.gold import gold_accuracy
from quality.services.settings import quality_settings_get
from quality.tasks import agreement_recompute as agreement_recompute_task

DEFAULT_AFTER_S = 60


def _headline(report: dict[str, Any]) -> dict[str, float | None]:
    overall: dict[str, Any] = next(
        (r for r in report["spans"]["by_error_type"] if r["error_type"] == "(all)"), {}
    )
    return {
        "span_f1": overall.get("f1"),
        "span_alpha": overall.get("alpha_unitizing"),
        "step_alpha": report["steps"]["alpha_ordinal"],
        "rubric_alpha": report["rubric"]["alpha_interval_mean"],
        "preference_kappa": report["preferences"]["kappa_quadratic"],
    }


def _flags_refresh(project: Project, flags: list[dict[str, Any]]) -> None:
    """Make the open flags equal ``flags``; dismissed ones stay dismissed."""
    wanted = {(f["annotation"], f["kind"], f["key"]): f for f in flags}
    existing = {
        (f.annotation_id, f.kind, f.key): f for f in ConsistencyFlag.objects.filter(project=project)
    }
    stale = [f.pk for k, f in existing.items() if k not in wanted and f.status == "open"]
    ConsistencyFlag.objects.filter(pk__in=stale).delete()
    changed = []
    for key, flag in wanted.items():
        row = existing.get(key)
        if row is not None and (row.message != flag["message"] or row.details != flag["details"]):
            row.message, row.details = flag["message"], flag["details"]
            changed.append(row)
    ConsistencyFlag.objects.bulk_update(changed, ["message", "details"], batch_size=1000)
    ConsistencyFlag.objects.bulk_create(
        [
            ConsistencyFlag(
                project=project,
                item_id=f["item"],
                annotation_id=f["annotation"],
                kind=f["kind"],
                key=f["key"],
                message=f["message"],
                details=f["details"],
            )
            for key, f in wanted.items()
            if key not in existing
        ],
        batch_size=1000,
    )


def _current(project: Project, changed_at: Any) -> bool:
    """Whether the latest snapshot was computed from the labels as of ``changed_at`` (equal,
    not later-or-equal: deleting annotations can move the latest change back in time)."""
    latest = (
        AgreementSnapshot.objects.filter(project=project).order_by("-created_at", "-id").first()
    )
    return latest is not None and latest.labels_changed_at == changed_at


def agreement_recompute(*, project: Project, force: bool = False) -> AgreementSnapshot | None:
    """Recompute the agreement of ``project`` and store it; None when the latest snapshot
    already includes every label change (unless ``force``).

    Side effects, in one transaction: a new AgreementSnapshot, the project's ItemAgreement
    rows replaced, ConsistencyFlag rows brought up to date (dismissed flags are kept).

    Safe when two deliveries run at once (the beat's and "Recompute now", on a worker that
    runs two tasks at a time): both compute, but the writes hold the project's row lock and
    the second writer, finding a snapshot of the same labels, stores nothing.
    """
    settings = quality_settings_get(project=project)
    changed_at = project_labels_changed_at(project=project)
    if not force and _current(project, changed_at):
        return None
    started = time.perf_counter()
    exclude = {settings.consensus_judge_id} if settings.consensus_judge_id else set()
    labels = project_labels_load(project=project, exclude_judge_ids=exclude)
    report, items = agreement_report(labels)
    report["gold"] = gold_accuracy(project=project)
    flags = consistency_flags(labels, high_total=settings.high_total_threshold)
    threshold = settings.low_agreement_threshold
    report["low_agreement_items"] = sum(
        1 for v in items.values() if v["annotators"] >= 2 and v["score"] < threshold
    )
    report["open_flags"] = len(flags)
    now = timezone.now()
    with transaction.atomic():
        # Serialise writers (PostgreSQL: row lock; SQLite: IMMEDIATE already holds the write
        # lock), then re-check: another job may have stored these labels meanwhile.
        Project.objects.select_for_update().filter(pk=project.pk).first()
        if not force and _current(project, labels.labels_changed_at):
            return None
        ItemAgreement.objects.filter(project=project).delete()
        ItemAgreement.objects.bulk_create(
            [
                ItemAgreement(
                    item_id=item,
                    project=project,
                    score=v["score"],
                    annotators=v["annotators"],
                    details=v["parts"],
                    computed_at=now,
                )
                for item, v in items.items()
                if v["annotators"] >= 2
            ],
            batch_size=2000,
        )
        _flags_refresh(project, flags)
        duration_ms = round((time.perf_counter() - started) * 1000)
        report["duration_ms"] = duration_ms
        return AgreementSnapshot.objects.create(
            project=project,
            annotations=report["annotations"],
            items=report["items_compared"],
            labels_changed_at=labels.labels_changed_at,
            duration_ms=duration_ms,
            report=report,
            **_headline(report),
            **snapshot_series(report),
        )


def agreement_recompute_request(*, project: Project) -> None:
    """Enqueue a recomputation of ``project`` when the transaction commits."""
    agreement_recompute_task.delay_on_commit(project.pk)


def agreement_refresh_due() -> list[int]:
    """Enqueue the recomputation of every project whose labels changed since its latest
    snapshot, once that snapshot is older than the project's ``recompute_after_s``. Returns
    the ids of the projects enqueued (beat, every minute). Drafts are not label changes."""
    latest = AgreementSnapshot.objects.filter(project=OuterRef("pk")).order_by("-created_at", "-id")
    changes = Q(annotations__status__in=LABEL_STATUSES)
    rows = (
        Project.objects.annotate(
            changed=Max("annotations__updated_at", filter=changes),
            seen=Subquery(latest.values("labels_changed_at")[:1]),
            last=Subquery(latest.values("created_at")[:1]),
        )
        .filter(changed__isnull=False)
        .values_list("pk", "changed", "seen", "last", "quality_settings__recompute_after_s")
    )
    now = timezone.now()
    due = []
    for pk, changed, seen, last, after in rows:
        if seen is not None and changed <= seen:
            continue
        debounce = DEFAULT_AFTER_S if after is None else after  # 0: at every beat tick
        if last is not None and now - last < timedelta(seconds=debounce):
            continue
        due.append(pk)
    for pk in due:
        agreement_recompute_task.delay(pk)
    return due
