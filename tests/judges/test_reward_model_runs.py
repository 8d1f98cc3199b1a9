"""The ``reward_model`` kind: a judge run scores items with a tiny reward model trained here
(random backbone, CPU, seconds) and stores its predictions as the judge's annotations."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest

from annotator.models import Annotation, SpanLabel
from annotator.services.annotations import annotation_create
from annotator.services.taxonomy import (
    taxonomy_draft_create,
    taxonomy_publish,
    taxonomy_set_error_types,
)
from core.exceptions import ApplicationError
from judges.models import JudgeResult, JudgeRun
from judges.services.calibration import judge_calibration_compute
from judges.services.configs import judge_create, judge_update
from judges.services.execution import judge_run_execute
from judges.services.runs import judge_run_create
from rewards.models import RewardModel, RewardModelVersion, TrainingRun
from rewards.services.execution import training_run_execute
from rewards.services.runs import reward_model_create, training_run_request
from rewards.services.scoring import reward_model_judge, reward_model_suggest
from tests.factories import ERROR_TYPES, make_item
from tests.rewards.conftest import TINY_HYPERPARAMETERS, label_items

pytestmark = pytest.mark.django_db
SPAN_TYPES = {"irrelevant", "wrong-grounding"}


# The tiny model's error probabilities lie between about 0.04 and 0.3: at 0.1 it marks some.
MODEL_THRESHOLD = 0.1


def untrained(project: Any, admin_user: Any, backbone: Path, name: str = "rm") -> RewardModel:
    hyperparameters = TINY_HYPERPARAMETERS | {"threshold": MODEL_THRESHOLD}
    return reward_model_create(project=project, created_by=admin_user, name=name, kind="span",
                               backbone=str(backbone), hyperparameters=hyperparameters)  # fmt: skip


@pytest.fixture
def trained(
    project: Any, admin_user: Any, annotator_user: Any, allow_backbones: Path, media_root: Path
) -> RewardModel:
    """A span reward model with an active v1, trained on 12 labelled items."""
    label_items(project, annotator_user, count=12)
    model = untrained(project, admin_user, allow_backbones)
    run = training_run_execute(run_id=training_run_request(reward_model=model, enqueue=False).pk)
    assert run.status == TrainingRun.Status.SUCCEEDED, run.error
    return model


def rm_judge(model: RewardModel, name: str = "rm-judge", threshold: float | None = 0.5) -> Any:
    config = {"reward_model": model.pk}
    if threshold is not None:
        config["threshold"] = threshold
    return judge_create(project=model.project, name=name, kind="reward_model", config=config)


def spans_of(judge: Any) -> set[tuple[int, int, int, int, str]]:
    rows = SpanLabel.objects.filter(annotation__judge=judge).values_list(
        "annotation__item_id", "response__index", "start", "end", "error_type__key"
    )
    return set(rows)


def test_a_run_marks_spans_with_the_active_version_as_the_judges_annotations(trained):
    version = RewardModelVersion.objects.get(reward_model=trained, is_active=True)
    judge = rm_judge(trained, threshold=0.0)  # every segment's P(error) > 0: all are errors
    assert judge.model_name == "rm"
    run = judge_run_execute(run_id=judge_run_create(judge=judge, task="spans").pk)

    assert run.status == JudgeRun.Status.SUCCEEDED, run.error
    assert (run.total, run.processed, run.succeeded_count, run.failed_count) == (12, 12, 12, 0)
    assert run.options["reward_model_version"] == version.pk
    assert run.prompt_version == f"reward-model/{trained.pk}-v1"
    assert run.prompt_tokens > 0
    annotations = Annotation.objects.filter(judge=judge).prefetch_related("spans__response")
    assert annotations.count() == 12
    for annotation in annotations:
        assert annotation.author_id is None
        assert annotation.status == Annotation.Status.SUBMITTED
        meta = annotation.metadata
        assert meta["judge"] == {"id": judge.pk, "name": "rm-judge", "kind": "reward_model",
                                 "model": "rm v1"}  # fmt: skip
        assert (meta["reward_model"], meta["reward_model_version"]) == (trained.pk, version.pk)
        assert (meta["task"], meta["responses"], meta["threshold"]) == ("spans", [0, 1], 0.0)
        assert meta["prompt_version"] == run.prompt_version
        spans = list(annotation.spans.all())
        assert {s.response.index for s in spans} == {0, 1}
        for s in spans:
            assert 0 <= s.start < s.end <= len(s.response.text)
            assert s.error_type.key in SPAN_TYPES
    result = JudgeResult.objects.filter(run=run).first()
    assert result.prompt_version == run.prompt_version
    assert result.annotation_id is not None
    assert '"error_spans"' in result.outputs[0]

    # With the model's own threshold the judge marks what its suggestions mark.
    same = rm_judge(trained, name="rm-judge-same", threshold=MODEL_THRESHOLD)
    judge_run_execute(run_id=judge_run_create(judge=same, task="spans").pk)
    reward_model_suggest(version_id=version.pk)
    suggested = spans_of(reward_model_judge(trained))
    assert 0 < len(suggested) < len(spans_of(judge))
    assert spans_of(same) == suggested
    # Without a threshold of its own the judge uses the model's (here, its config's).
    own = rm_judge(trained, name="rm-judge-own", threshold=None)
    judge_run_execute(run_id=judge_run_create(judge=own, task="spans").pk)
    assert spans_of(own) == suggested
    # A threshold of 1 marks nothing: every response judged, no error found.
    none = rm_judge(trained, name="rm-judge-1", threshold=1.0)
    run = judge_run_execute(run_id=judge_run_create(judge=none, task="spans").pk)
    assert (run.status, run.succeeded_count) == (JudgeRun.Status.SUCCEEDED, 12)
    assert spans_of(none) == set()


def test_calibration_of_a_reward_model_judge_compares_its_spans_with_the_humans(trained):
    judge = rm_judge(trained, threshold=0.0)
    judge_run_execute(run_id=judge_run_create(judge=judge, task="spans").pk)
    report = judge_calibration_compute(judge=judge, span_responses=[0]).report
    assert report["items_compared"] == 12
    assert report["judge"]["kind"] == "reward_model"
    rows = {row["error_type"]: row for row in report["spans"]["by_error_type"]}
    # Marking every segment finds every human error character, at a low precision.
    assert rows["(any)"]["recall"] == 1.0
    assert 0 < rows["(any)"]["precision"] < 1
    assert rows["(any)"]["human_chars"] > 0


def test_a_run_fails_with_the_reason_when_the_reward_model_has_no_active_version(
    trained, admin_user, allow_backbones
):
    judge = rm_judge(trained)
    run = judge_run_create(judge=judge, task="spans")
    # The judge is pointed at an untrained model while its run waits in the queue.
    fresh = untrained(trained.project, admin_user, allow_backbones, name="rm2")
    judge_update(judge=judge, config={"reward_model": fresh.pk})
    run = judge_run_execute(run_id=run.pk)
    assert run.status == JudgeRun.Status.FAILED
    assert "config.reward_model: Reward model 'rm2' has no active version yet" in run.error
    assert run.processed == 0
    # Creating a run is refused at once.
    with pytest.raises(ApplicationError) as caught:
        judge_run_create(judge=judge, task="spans")
    assert caught.value.field == "config.reward_model"


def test_a_judge_names_a_span_or_step_reward_model_of_its_project(
    project, admin_user, allow_backbones
):
    rubric = reward_model_create(project=project, created_by=admin_user, name="rubric",
                                 kind="rubric", backbone=str(allow_backbones))  # fmt: skip
    for model_id, message in [(10**9, "No reward model"), (rubric.pk, "is a rubric reward model")]:
        with pytest.raises(ApplicationError) as caught:
            judge_create(project=project, name="j", kind="reward_model",
                         config={"reward_model": model_id})  # fmt: skip
        assert caught.value.field == "config.reward_model"
        assert message in caught.value.message


def test_a_run_fails_when_the_taxonomy_lost_an_error_type_the_model_predicts(trained):
    judge = rm_judge(trained)
    taxonomy = taxonomy_draft_create(project=trained.project)
    kept = [e for e in ERROR_TYPES if e["key"] != "wrong-grounding"]
    taxonomy_set_error_types(taxonomy=taxonomy, error_types=kept)
    taxonomy_publish(taxonomy=taxonomy)
    run = judge_run_execute(run_id=judge_run_create(judge=judge, task="spans").pk)
    assert run.status == JudgeRun.Status.FAILED
    assert "not span error types of the project's published taxonomy: wrong-grounding" in (
        run.error
    )
    assert not Annotation.objects.filter(judge=judge).exists()


def test_the_judge_of_the_suggestions_cannot_be_configured_to_run(trained):
    """Refreshing the suggestions deletes that judge's other annotations."""
    with pytest.raises(ApplicationError) as caught:
        judge_update(judge=reward_model_judge(trained), config={"reward_model": trained.pk})
    assert caught.value.field == "config"


def test_a_span_model_cannot_rate_steps(trained):
    judge = rm_judge(trained)
    with pytest.raises(ApplicationError) as caught:
        judge_run_create(judge=judge, task="steps")
    assert caught.value.field == "task"


def test_a_step_model_rates_every_step_and_a_wrong_response_fails_the_item(
    project, admin_user, annotator_user, allow_backbones, media_root
):
    for i in range(8):
        item = make_item(project, f"steps-{i}")  # response 2: ["a = 1", "b = 2", "a + b = 4"]
        steps = [{"response": 2, "step_index": s, "rating": r} for s, r in enumerate([1, 1, -1])]
        annotation_create(item=item, author=annotator_user, client_id=uuid.uuid4(),
                          status="submitted", units={"steps": steps})  # fmt: skip
    model = reward_model_create(project=project, created_by=admin_user, name="prm", kind="step",
                                backbone=str(allow_backbones),
                                hyperparameters=TINY_HYPERPARAMETERS)  # fmt: skip
    trained = training_run_execute(
        run_id=training_run_request(reward_model=model, enqueue=False).pk
    )
    assert trained.status == TrainingRun.Status.SUCCEEDED, trained.error
    judge = judge_create(project=project, name="prm", kind="reward_model",
                         config={"reward_model": model.pk})  # fmt: skip
    with pytest.raises(ApplicationError):
        judge_run_create(judge=judge, task="spans")

    run = judge_run_execute(run_id=judge_run_create(judge=judge, task="steps").pk)
    assert (run.status, run.succeeded_count) == (JudgeRun.Status.SUCCEEDED, 8), run.error
    for annotation in Annotation.objects.filter(judge=judge):
        assert annotation.metadata["task"] == "steps"
        assert annotation.metadata["threshold"] is None
        rated = [(s.response.index, s.step_index) for s in annotation.steps.order_by("step_index")]
        assert rated == [(2, 0), (2, 1), (2, 2)]
        assert {s.rating for s in annotation.steps.all()} <= {-1, 0, 1}

    run = judge_run_create(judge=judge, task="steps", options={"responses": [0]})
    run = judge_run_execute(run_id=run.pk)
    assert (run.status, run.failed_count) == (JudgeRun.Status.SUCCEEDED, 8)
    assert {r.reason for r in run.results.all()} == {"The item has no steps response 0."}
