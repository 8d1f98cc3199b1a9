"""agreement_recompute: the report's units and values on a small project worked by hand, the
per-item scores, the per-type and per-annotator rows each snapshot keeps for the history,
consistency flags, gold accuracy, and the debounce (drafts are not label changes)."""

from __future__ import annotations

import importlib
import threading
import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.apps import apps
from django.utils import timezone

from annotator.models import Annotation, Judge
from annotator.services.annotations import (
    annotation_bulk_create,
    annotation_create,
    annotation_review,
    annotation_submit,
    annotation_update,
)
from core.agreement import krippendorff_alpha, weighted_kappa
from quality.metrics import snapshot_series
from quality.models import AgreementSnapshot, ConsistencyFlag, ItemAgreement, QualitySettings
from quality.selectors.agreement import agreement_history, agreement_overview, agreement_series
from quality.services import agreement as agreement_service
from quality.services.agreement import agreement_recompute, agreement_refresh_due
from quality.services.gold import gold_accuracy, gold_label_set
from quality.services.settings import quality_settings_update
from tests.concurrency import run_together
from tests.quality.conftest import span, submit


def rubric(*scores: tuple[int, int]) -> list[dict[str, Any]]:
    return [{"response": r, "criterion": "factuality", "score": s} for r, s in scores]


def steps(*ratings: int) -> list[dict[str, Any]]:
    return [{"response": 2, "step_index": i, "rating": r} for i, r in enumerate(ratings)]


@pytest.fixture
def worked(trio: dict[str, Any]) -> dict[str, Any]:
    """Item i1 labelled by three annotators and a judge; item i2 by one annotator."""
    i1 = trio["make_item"]("i1")
    i2 = trio["make_item"]("i2")
    a1 = submit(
        i1, trio["ann1"], spans=[span(0, 0, 5, severity=2)], steps=steps(1, 1, -1),
        rubric_scores=rubric((0, 5), (1, 2)),
        preferences=[{"response_a": 0, "response_b": 1, "value": -2}],
    )  # fmt: skip
    submit(
        i1, trio["ann2"], spans=[span(0, 0, 5, severity=2)], steps=steps(1, 1, -1),
        rubric_scores=rubric((0, 4), (1, 2)),
        preferences=[{"response_a": 1, "response_b": 0, "value": 1}],  # = (0, 1, −1)
    )  # fmt: skip
    submit(
        i1, trio["ann3"],
        spans=[span(0, 0, 8, severity=1), span(1, 0, 2, "wrong-grounding")],
        steps=steps(1, -1, -1), rubric_scores=rubric((0, 2), (1, 1)),
        preferences=[{"response_a": 0, "response_b": 1, "value": 1}],
    )  # fmt: skip
    judge = Judge.objects.create(project=trio["project"], name="rules", kind="rules")
    annotation_bulk_create(
        project=trio["project"], judge=judge,
        entries=[{"item": i1.pk, "client_id": uuid.uuid4(), "spans": [span(0, 0, 5)],
                  "metadata": {"task": "spans", "responses": [0, 1]}}],
    )  # fmt: skip
    submit(i2, trio["ann1"], spans=[span(0, 6, 9)])
    return {**trio, "i1": i1, "i2": i2, "a1": a1, "judge": judge}


@pytest.mark.django_db
def test_report_values_on_a_hand_worked_project(worked):
    snapshot = agreement_recompute(project=worked["project"])
    report = snapshot.report
    rows = {r["error_type"]: r for r in report["spans"]["by_error_type"]}
    # irrelevant on response 0: pairs (1,2) tp 5; (1,3) tp 5 + 3 one-sided; (2,3) likewise.
    assert rows["irrelevant"]["f1"] == pytest.approx(round(30 / 36, 4))
    assert rows["wrong-grounding"]["f1"] == 0.0
    assert rows["(all)"]["f1"] == pytest.approx(30 / 40)
    assert snapshot.span_f1 == rows["(all)"]["f1"]
    assert report["spans"]["sections"] == 2  # two text responses of i1
    ordinal = krippendorff_alpha([[1, 1, 1], [1, 1, -1], [-1, -1, -1]], "ordinal", [-1, 0, 1])
    assert report["steps"]["alpha_ordinal"] == pytest.approx(round(ordinal, 4))
    # First −1 at step 2, 2, 1: one equal pair of three.
    assert report["steps"]["first_error_agreement"] == pytest.approx(round(1 / 3, 4))
    (factuality,) = report["rubric"]["by_criterion"]
    assert factuality["units"] == 2
    pairs = [(5, 4), (5, 2), (4, 2), (2, 2), (2, 1), (2, 1)]
    assert factuality["kappa_quadratic"] == pytest.approx(
        round(weighted_kappa(pairs, [1, 2, 3, 4, 5]), 4)
    )
    prefs = report["preferences"]
    # Normalised to (0, 1): −2, −1, +1 → signs agree in one pair of three.
    assert prefs["sign_agreement"] == pytest.approx(round(1 / 3, 4))
    assert prefs["units"] == 1
    kinds = {(r["a_name"], r["b_name"]): r for r in report["pairs"]}
    human_judge = kinds[("ann1", "judge:rules")]
    assert human_judge["kind"] == "human-judge"
    assert human_judge["span_f1"] == 1.0
    assert kinds[("ann1", "ann2")]["first_error_agreement"] == 1.0
    assert {r["name"] for r in report["annotators"]} == {"ann1", "ann2", "ann3"}
    assert report["throughput"]["by_annotator"][0]["mean_time_ms"] == 30_000
    # Per-item scores: only i1 has two or more annotators.
    (item_row,) = ItemAgreement.objects.all()
    assert item_row.item_id == worked["i1"].pk
    assert item_row.annotators == 3
    assert set(item_row.details) == {"spans", "steps", "rubric", "preferences"}
    assert 0 <= item_row.score <= 1


@pytest.mark.django_db
def test_snapshot_keeps_agreement_per_error_type_and_per_annotator(worked):
    snapshot = agreement_recompute(project=worked["project"])
    types = {r["error_type"]: r for r in snapshot.by_error_type}
    assert set(types) == {"irrelevant", "wrong-grounding"}  # "(all)" is a headline column
    report_rows = {r["error_type"]: r for r in snapshot.report["spans"]["by_error_type"]}
    assert types["irrelevant"]["f1"] == pytest.approx(round(30 / 36, 4))
    for key in ("f1", "f1_severity", "alpha_unitizing", "alpha_char", "marked_chars"):
        assert types["irrelevant"][key] == report_rows["irrelevant"][key], key
    assert types["wrong-grounding"]["f1"] == 0.0
    people = {r["name"]: r for r in snapshot.by_annotator}
    assert set(people) == {"ann1", "ann2", "ann3"}
    # Every two of them share i1's two text responses, so the pairs weigh the same. Span F1:
    # ann1–ann2 1 (the same [0, 5)); ann1–ann3 and ann2–ann3 2·5 / (2·5 + 3 + 2) = 2/3 (ann3
    # also marked [5, 8) and a wrong-grounding span on response 1).
    # (Means of the pairs' values, which are rounded to 4 places.)
    assert people["ann1"]["span_f1"] == pytest.approx((1 + 2 / 3) / 2, abs=1e-4)
    assert people["ann3"]["span_f1"] == pytest.approx(2 / 3, abs=1e-4)
    assert people["ann1"]["pairs"] == 2
    pair = {
        frozenset((r["a_name"], r["b_name"])): r["span_alpha_unitizing"]
        for r in snapshot.report["pairs"]
    }
    a12, a13, a23 = (
        pair[frozenset(p)] for p in (("ann1", "ann2"), ("ann1", "ann3"), ("ann2", "ann3"))
    )
    assert a12 == 1.0  # identical units
    assert a13 < 1.0
    assert people["ann1"]["span_alpha_unitizing"] == pytest.approx((a12 + a13) / 2, abs=1e-4)
    assert people["ann3"]["span_alpha_unitizing"] == pytest.approx((a13 + a23) / 2, abs=1e-4)
    assert snapshot.report["annotators"][0]["span_alpha_unitizing"] is not None


@pytest.mark.django_db
def test_history_has_each_snapshots_rows_oldest_first(worked):
    first = agreement_recompute(project=worked["project"])
    # ann2 now disagrees with ann1 on i2: ann1's mean span F1 drops, ann2 gains a pair.
    submit(worked["i2"], worked["ann2"], spans=[span(0, 0, 3, "wrong-grounding")])
    second = agreement_recompute(project=worked["project"])
    history = agreement_history(project=worked["project"])
    assert [h.pk for h in history] == [first.pk, second.pk]
    ann1 = [next(r for r in h.by_annotator if r["name"] == "ann1") for h in history]
    assert ann1[1]["span_f1"] < ann1[0]["span_f1"]
    assert history[1].by_error_type != history[0].by_error_type
    (line,) = (r for r in agreement_series(history)["by_annotator"] if r["name"] == "ann1")
    assert line["span_f1"] == [ann1[0]["span_f1"], ann1[1]["span_f1"]]
    assert agreement_history(project=worked["project"], limit=1)[0].pk == second.pk


@pytest.mark.django_db
def test_backfill_migration_rebuilds_the_rows_from_older_reports(worked):
    snapshot = agreement_recompute(project=worked["project"])
    expected = snapshot_series(snapshot.report)
    # A report stored before the migration: no αU on the annotator rows, no series columns.
    old = snapshot.report
    for row in old["annotators"]:
        del row["span_alpha_unitizing"]
    AgreementSnapshot.objects.filter(pk=snapshot.pk).update(
        report=old, by_error_type=[], by_annotator=[]
    )
    migration = importlib.import_module("quality.migrations.0002_snapshot_series")
    migration.backfill(apps, None)
    snapshot.refresh_from_db()
    assert snapshot.by_error_type == expected["by_error_type"]
    assert snapshot.by_annotator == expected["by_annotator"]


@pytest.mark.django_db
def test_draft_saves_do_not_make_a_recompute_due_but_a_submit_does(worked, monkeypatch):
    """Autosaving a draft bumps its ``updated_at``; it must neither enqueue a recompute nor
    mark the report stale. Submitting it does both."""
    sent: list[int] = []
    monkeypatch.setattr(agreement_service.agreement_recompute_task, "delay", sent.append)
    project = worked["project"]
    long_ago = timezone.now() - timedelta(minutes=10)
    Annotation.objects.update(updated_at=long_ago)
    agreement_recompute(project=project)
    # Past the 60 s debounce: only a label change is missing for the beat to enqueue it.
    AgreementSnapshot.objects.update(created_at=timezone.now() - timedelta(minutes=5))
    draft, _ = annotation_create(
        item=worked["i2"], author=worked["ann2"], client_id=uuid.uuid4(),
        units={"spans": [span(0, 0, 3)]},
    )  # fmt: skip
    draft = annotation_update(
        annotation=draft, version=draft.version, units={"spans": [span(0, 0, 4)]},
        time_spent_ms=5_000,
    )  # fmt: skip
    assert Annotation.objects.get(pk=draft.pk).updated_at > long_ago
    assert agreement_refresh_due() == []
    assert sent == []
    assert agreement_overview(project=project)["stale"] is False
    assert agreement_recompute(project=project) is None
    annotation_submit(annotation=draft, version=draft.version)
    assert agreement_overview(project=project)["stale"] is True
    assert agreement_refresh_due() == [project.pk]
    assert sent == [project.pk]
    snapshot = agreement_recompute(project=project)
    assert snapshot is not None
    assert snapshot.labels_changed_at == Annotation.objects.get(pk=draft.pk).updated_at


@pytest.mark.django_db
def test_a_rejection_is_a_label_change(worked, reviewer_user):
    """Only drafts are left out: rejecting a counted annotation changes the labels."""
    agreement_recompute(project=worked["project"])
    annotation = Annotation.objects.get(pk=worked["a1"].pk)
    annotation_review(
        annotation=annotation, reviewer=reviewer_user, decision="rejected",
        version=annotation.version,
    )  # fmt: skip
    assert agreement_overview(project=worked["project"])["stale"] is True
    snapshot = agreement_recompute(project=worked["project"])
    assert snapshot is not None
    assert snapshot.annotations == 4  # i1: ann2, ann3, the judge; i2: ann1 (a1 rejected)


@pytest.mark.django_db
def test_consistency_flags_are_raised_kept_dismissed_and_cleared(worked):
    agreement_recompute(project=worked["project"])
    flags = {(f.annotation.author.username, f.kind): f for f in ConsistencyFlag.objects.all()}
    # ann1: critical irrelevant span (severity 2 of 2) on response 0, factuality 5 → total 1.0.
    # ann3: prefers B (+1) while B's factuality (1) is below A's (2).
    assert set(flags) == {("ann1", "rubric_vs_spans"), ("ann3", "rubric_vs_preference")}
    assert "critical irrelevant" in flags[("ann1", "rubric_vs_spans")].message
    dismissed = flags[("ann3", "rubric_vs_preference")]
    dismissed.status = "dismissed"
    dismissed.save()
    agreement_recompute(project=worked["project"], force=True)
    assert ConsistencyFlag.objects.count() == 2
    assert ConsistencyFlag.objects.get(pk=dismissed.pk).status == "dismissed"
    # The threshold moves above ann1's total: its open flag goes away.
    quality_settings_update(project=worked["project"], values={"high_total_threshold": 1.0})
    Annotation.objects.filter(pk=worked["a1"].pk).update(updated_at=timezone.now())
    quality_settings_update(project=worked["project"], values={"high_total_threshold": 0.99})
    agreement_recompute(project=worked["project"])
    assert ConsistencyFlag.objects.filter(kind="rubric_vs_spans").count() == 1  # 1.0 ≥ 0.99


@pytest.mark.django_db
def test_recompute_is_a_no_op_until_labels_change(worked):
    assert agreement_recompute(project=worked["project"]) is not None
    assert agreement_recompute(project=worked["project"]) is None
    submit(worked["i2"], worked["ann2"])
    assert agreement_recompute(project=worked["project"]) is not None
    assert AgreementSnapshot.objects.count() == 2


@pytest.mark.django_db
def test_refresh_due_enqueues_changed_projects_after_the_debounce(worked, monkeypatch):
    sent: list[int] = []
    monkeypatch.setattr(agreement_service.agreement_recompute_task, "delay", sent.append)
    project = worked["project"]
    assert agreement_refresh_due() == [project.pk]
    assert sent == [project.pk]
    agreement_recompute(project=project)
    sent.clear()
    assert agreement_refresh_due() == []  # nothing changed
    submit(worked["i2"], worked["ann2"])
    assert agreement_refresh_due() == []  # changed, but the snapshot is younger than 60 s
    AgreementSnapshot.objects.update(created_at=timezone.now() - timedelta(minutes=5))
    assert agreement_refresh_due() == [project.pk]


@pytest.mark.django_db
def test_refresh_due_with_no_debounce_recomputes_at_the_next_tick(worked, monkeypatch):
    """recompute_after_s = 0 means no debounce (not the 60 s default)."""
    monkeypatch.setattr(agreement_service.agreement_recompute_task, "delay", lambda pk: None)
    project = worked["project"]
    QualitySettings.objects.update_or_create(project=project, defaults={"recompute_after_s": 0})
    agreement_recompute(project=project)
    AgreementSnapshot.objects.update(created_at=timezone.now() - timedelta(seconds=1))
    submit(worked["i2"], worked["ann2"])
    assert agreement_refresh_due() == [project.pk]


@pytest.mark.django_db
def test_gold_accuracy_against_the_reference(worked):
    reference = Annotation.objects.get(item=worked["i2"], author=worked["ann1"])
    gold_label_set(project=worked["project"], item=worked["i2"], annotation=reference, user=None)
    submit(worked["i2"], worked["ann2"], spans=[span(0, 6, 12)])
    submit(worked["i2"], worked["ann3"])
    rows = {r["name"]: r for r in gold_accuracy(project=worked["project"])}
    # ann2 marked [6, 12) against gold [6, 9): precision 3/6, recall 1, F1 2·3/(2·3 + 3).
    assert rows["ann2"]["span_precision"] == 0.5
    assert rows["ann2"]["span_recall"] == 1.0
    assert rows["ann2"]["span_f1"] == pytest.approx(round(6 / 9, 4))
    assert rows["ann3"]["span_recall"] == 0.0
    assert "ann1" not in rows  # the reference's author is not scored against itself
    worked["i2"].refresh_from_db()
    assert worked["i2"].is_gold


@pytest.mark.django_db(transaction=True)
def test_concurrent_recomputations_store_one_snapshot(worked, monkeypatch):
    """Two deliveries of the job at once (the beat's and "Recompute now"; the worker runs two
    tasks at a time): both compute, then the second to write finds the labels already
    covered and stores nothing — no duplicate snapshot, no clash on ItemAgreement rows."""
    compute = agreement_service.agreement_report
    barrier = threading.Barrier(2)

    def both_compute_first(labels: Any) -> Any:
        result = compute(labels)
        barrier.wait(timeout=30)  # neither writes before both have computed
        return result

    monkeypatch.setattr(agreement_service, "agreement_report", both_compute_first)
    results = run_together(lambda: agreement_recompute(project=worked["project"]), [(), ()])
    assert sorted(r is None for r in results) == [False, True]
    assert AgreementSnapshot.objects.count() == 1
    assert list(ItemAgreement.objects.values_list("item_id", flat=True)) == [worked["i1"].pk]
    assert ConsistencyFlag.objects.count() == 2
