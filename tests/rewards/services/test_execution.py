"""A run executed in-process on a tiny backbone: snapshot → train → register → score →
suggestions and triage. (The same path through a real worker: tests/rewards/test_worker.py.)"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from annotator.models import Annotation, Judge
from rewards.models import RewardModelVersion, ScoreJob, TrainingRun, TriageEntry
from rewards.services.execution import training_run_execute
from rewards.services.runs import reward_model_create, training_run_request
from rewards.services.score_jobs import score_job_request
from rewards.services.scoring import reward_model_suggest, score_job_execute
from tests.rewards.conftest import TINY_HYPERPARAMETERS, label_items

pytestmark = pytest.mark.django_db


def test_a_run_trains_on_its_snapshot_registers_and_serves_scores(
    project: Any, admin_user: Any, annotator_user: Any, allow_backbones: Path, media_root: Path
) -> None:
    items = label_items(project, annotator_user, count=12)
    model = reward_model_create(project=project, created_by=admin_user, name="rm", kind="span",
                                backbone=str(allow_backbones),
                                hyperparameters=TINY_HYPERPARAMETERS)  # fmt: skip
    run = training_run_execute(run_id=training_run_request(reward_model=model, enqueue=False).pk)
    assert run.status == TrainingRun.Status.SUCCEEDED, run.error
    assert run.snapshot.record_count == 12
    folder = Path(settings.MEDIA_ROOT) / run.artifact_path
    assert (folder / "reward_model.json").exists()
    assert (folder.parent / "records.jsonl").read_text().count("\n") == 12
    assert run.records_sha256
    assert [e["epoch"] for e in run.evaluations] == [1, 2, 3]
    assert run.history
    assert run.history[-1]["step"] == run.total_steps
    assert "registered v1" in run.log_tail
    # 12 items, 0.3 held out: too few training items for a validation part (fast span model).
    assert run.config["tune_threshold"] is None  # auto: on for fast span models
    assert run.metrics["selection"]["fallback"] == "2 of 9 training items would validate, 10 needed"
    assert "no validation part (2 of 9 training items would validate" in run.log_tail
    assert "selection: none (2 of 9" in run.log_tail
    version = RewardModelVersion.objects.get(run=run)
    assert version.is_active
    assert version.score == run.metrics["primary"]
    assert set(run.metrics) >= {"relevance", "factuality", "primary"}

    job = score_job_request(reward_model=model, inputs=[{"text": "the cat sat on the mat."}])
    job = score_job_execute(job_id=job.pk)
    assert job.status == ScoreJob.Status.SUCCEEDED, job.error
    [result] = job.results
    assert [c["name"] for c in result["categories"]] == ["relevance", "factuality"]
    assert job.tokens > 0

    assert reward_model_suggest(version_id=version.pk) == 12
    model.refresh_from_db()
    judge = Judge.objects.get(pk=model.judge_id)
    assert judge.kind == Judge.Kind.REWARD_MODEL
    machine = Annotation.objects.filter(judge=judge)
    assert machine.count() <= len(items)
    assert all(a.metadata["reward_model_version"] == version.pk for a in machine)
    triage = TriageEntry.objects.filter(version=version)
    assert triage.count() == 12
    assert all(0 <= t.disagreement <= 1 for t in triage)

    # A refresh compares the new version with the active one on the same held-out items.
    again = training_run_execute(run_id=training_run_request(reward_model=model,
                                                             enqueue=False).pk)  # fmt: skip
    v2 = RewardModelVersion.objects.get(run=again)
    assert v2.baseline_version_id == version.pk
    assert v2.baseline_score is not None
    assert v2.is_active == (v2.score > v2.baseline_score)
    if v2.is_active:
        assert reward_model_suggest(version_id=v2.pk) == 12
        assert not Annotation.objects.filter(judge=judge, metadata__reward_model_version=version.pk)


def test_a_run_without_labels_fails_with_the_reason(
    project: Any, admin_user: Any, allow_backbones: Path, media_root: Path
) -> None:
    model = reward_model_create(project=project, created_by=admin_user, name="rm", kind="span",
                                backbone=str(allow_backbones),
                                hyperparameters=TINY_HYPERPARAMETERS)  # fmt: skip
    run = training_run_request(reward_model=model, enqueue=False)
    with pytest.raises(ValueError, match="No training examples"):
        training_run_execute(run_id=run.pk)
    run.refresh_from_db()
    assert run.status == TrainingRun.Status.FAILED
    assert "No training examples" in run.error
    assert not RewardModelVersion.objects.exists()


def test_a_run_with_a_validation_part_scores_at_its_tuned_thresholds(
    project: Any, admin_user: Any, annotator_user: Any, allow_backbones: Path, media_root: Path
) -> None:
    label_items(project, annotator_user, count=12)
    hyperparameters = {**TINY_HYPERPARAMETERS, "validation_min_items": 2}
    model = reward_model_create(project=project, created_by=admin_user, name="rm", kind="span",
                                backbone=str(allow_backbones),
                                hyperparameters=hyperparameters)  # fmt: skip
    run = training_run_execute(run_id=training_run_request(reward_model=model, enqueue=False).pk)
    assert run.status == TrainingRun.Status.SUCCEEDED, run.error
    selection = run.metrics["selection"]
    assert (selection["validation_items"], selection["fallback"]) == (2, "")
    assert "validation: 2 of 9 training items" in run.log_tail
    assert "selection on 2 validation items: best epoch" in run.log_tail
    thresholds = run.metrics["thresholds"]
    assert set(thresholds) == {"relevance", "factuality"}
    version = RewardModelVersion.objects.get(run=run)
    assert version.metrics["thresholds"] == thresholds
    texts = [{"text": "the cat sat on the mat. it rains a lot. paris is big."}]
    job = score_job_execute(job_id=score_job_request(reward_model=model, inputs=texts).pk)
    [result] = job.results
    for category in result["categories"]:
        cut = thresholds[category["name"]]
        for segment in category["segments"]:
            assert segment["reward"] == (-1 if segment["error_probability"] > cut else 1)
