"""The reward-model API: one success, one permission denial, one validation error per
endpoint, and 404 for another project's ids (STYLE rule 41)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from rewards.models import RewardModelVersion, TrainingRun
from rewards.services.registry import reward_model_version_register
from rewards.services.runs import reward_model_create, training_run_request
from tests.factories import make_project
from tests.rewards.conftest import TINY_HYPERPARAMETERS

pytestmark = pytest.mark.django_db


def base(project: Any) -> str:
    return f"/api/v1/projects/{project.pk}/"


@pytest.fixture
def model(project: Any, admin_user: Any, allow_backbones: Path) -> Any:
    return reward_model_create(
        project=project,
        created_by=admin_user,
        name="rm",
        kind="span",
        backbone=str(allow_backbones),
        hyperparameters=TINY_HYPERPARAMETERS,
    )


@pytest.fixture
def version(model: Any) -> RewardModelVersion:
    run = training_run_request(reward_model=model, enqueue=False)
    TrainingRun.objects.filter(pk=run.pk).update(status="succeeded", step=9, total_steps=9)
    return reward_model_version_register(
        run=run,
        artifact_path="reward-models/x",
        metrics={"primary": 0.5, "relevance": {"f1": 0.5}},
        score=0.5,
        baseline_version=None,
        baseline_score=None,
    )


def test_create_and_list_reward_models(
    project: Any, admin_user: Any, client_for: Any, allow_backbones: Path
) -> None:
    client = client_for(admin_user)
    body = {
        "name": "spans",
        "kind": "span",
        "backbone": str(allow_backbones),
        "hyperparameters": {"num_train_epochs": 2},
        "refresh_every_annotations": 20,
    }
    created = client.post(base(project) + "reward-models/", body, format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["refresh_every_annotations"] == 20
    assert created.json()["active_version"] is None
    listed = client.get(base(project) + "reward-models/").json()["results"]
    assert [m["name"] for m in listed] == ["spans"]
    bad = client.post(
        base(project) + "reward-models/",
        {**body, "name": "x", "hyperparameters": {"nope": 1}},
        format="json",
    )
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["field"] == "hyperparameters.nope"


def test_only_admins_change_reward_models(
    project: Any, model: Any, annotator_user: Any, outsider: Any, client_for: Any
) -> None:
    url = base(project) + "reward-models/"
    assert (
        client_for(annotator_user)
        .post(url, {"name": "a", "kind": "span"}, format="json")
        .status_code
        == 403
    )
    assert client_for(annotator_user).get(url).status_code == 200
    assert client_for(outsider).get(url).status_code == 404
    detail = f"{url}{model.pk}/"
    assert (
        client_for(annotator_user)
        .patch(detail, {"refresh_interval_minutes": 5}, format="json")
        .status_code
        == 403
    )


def test_patch_sets_the_refresh_policy(
    project: Any, model: Any, admin_user: Any, client_for: Any
) -> None:
    url = f"{base(project)}reward-models/{model.pk}/"
    response = client_for(admin_user).patch(url, {"refresh_interval_minutes": 30}, format="json")
    assert response.status_code == 200
    assert response.json()["refresh_interval_minutes"] == 30
    bad = client_for(admin_user).patch(url, {"refresh_every_annotations": 0}, format="json")
    assert bad.status_code == 400


def test_start_a_run_and_follow_it(
    project: Any,
    model: Any,
    admin_user: Any,
    researcher_user: Any,
    client_for: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    url = f"{base(project)}reward-models/{model.pk}/runs/"
    assert client_for(researcher_user).post(url, {}, format="json").status_code == 403
    with django_capture_on_commit_callbacks() as callbacks:
        started = client_for(admin_user).post(url, {"hyperparameters": {"seed": 3}}, format="json")
    assert started.status_code == 202, started.json()
    assert len(callbacks) == 1
    run = started.json()
    assert (run["status"], run["progress"], run["config"]["seed"]) == ("queued", 0.0, 3)
    again = client_for(admin_user).post(url, {}, format="json")
    assert again.status_code == 400
    detail = client_for(researcher_user).get(f"{base(project)}training-runs/{run['id']}/")
    assert detail.status_code == 200
    assert set(detail.json()) >= {"history", "evaluations", "log_tail", "heartbeat_at"}
    listed = (
        client_for(admin_user)
        .get(f"{base(project)}training-runs/", {"reward_model": model.pk})
        .json()["results"]
    )
    assert [r["id"] for r in listed] == [run["id"]]


def test_another_projects_ids_are_404(
    project: Any, model: Any, version: Any, admin_user: Any, client_for: Any
) -> None:
    other = make_project(admin=admin_user)
    client = client_for(admin_user)
    run = TrainingRun.objects.get()
    assert client.get(f"{base(other)}reward-models/{model.pk}/").status_code == 404
    assert client.get(f"{base(other)}training-runs/{run.pk}/").status_code == 404
    assert (
        client.post(f"{base(other)}reward-models/{model.pk}/runs/", {}, format="json").status_code
        == 404
    )
    assert client.get(f"{base(other)}reward-models/{model.pk}/versions/").status_code == 404


def test_versions_compare_activate_and_roll_back(
    project: Any,
    model: Any,
    version: Any,
    admin_user: Any,
    researcher_user: Any,
    client_for: Any,
) -> None:
    run2 = TrainingRun.objects.create(
        project=project,
        reward_model=model,
        snapshot=version.run.snapshot,
        status="succeeded",
        config=version.run.config,
    )
    v2 = reward_model_version_register(
        run=run2,
        artifact_path="y",
        metrics={"primary": 0.7, "relevance": {"f1": 0.7}},
        score=0.7,
        baseline_version=version,
        baseline_score=0.5,
    )
    url = f"{base(project)}reward-models/{model.pk}/"
    listed = client_for(researcher_user).get(url + "versions/").json()
    assert [(v["number"], v["is_active"], v["baseline_score"]) for v in listed] == [
        (1, False, None),
        (2, True, 0.5),
    ]
    compared = (
        client_for(researcher_user)
        .get(url + "versions/compare/", {"a": version.pk, "b": v2.pk})
        .json()
    )
    assert {"name": "relevance.f1", "a": 0.5, "b": 0.7, "delta": pytest.approx(0.2)} in compared[
        "metrics"
    ]
    assert client_for(researcher_user).get(url + "versions/compare/").status_code == 400
    assert client_for(researcher_user).post(url + "rollback/").status_code == 403
    back = client_for(admin_user).post(url + "rollback/")
    assert back.status_code == 200
    assert back.json()["number"] == 1
    active = client_for(admin_user).post(url + f"versions/{v2.pk}/activate/")
    assert active.json()["is_active"] is True
    assert client_for(admin_user).get(url).json()["active_version"]["number"] == 2


def test_score_requests_are_jobs(
    project: Any,
    model: Any,
    admin_user: Any,
    annotator_user: Any,
    client_for: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    url = f"{base(project)}reward-models/{model.pk}/score/"
    body = {"inputs": [{"prompt": "when?", "text": "It was 2018. It sold well."}]}
    no_version = client_for(admin_user).post(url, body, format="json")
    assert no_version.status_code == 400
    assert "no active version" in no_version.json()["detail"]
    run = training_run_request(reward_model=model, enqueue=False)
    TrainingRun.objects.filter(pk=run.pk).update(status="succeeded")
    reward_model_version_register(
        run=run,
        artifact_path="x",
        metrics={},
        score=0.1,
        baseline_version=None,
        baseline_score=None,
    )
    assert client_for(annotator_user).post(url, body, format="json").status_code == 403
    assert client_for(admin_user).post(url, {"inputs": []}, format="json").status_code == 400
    with django_capture_on_commit_callbacks() as callbacks:
        job = client_for(admin_user).post(url, body, format="json")
    assert job.status_code == 202
    assert len(callbacks) == 1
    got = client_for(admin_user).get(f"{base(project)}score-jobs/{job.json()['id']}/")
    assert got.json()["status"] == "queued"
    other = make_project(admin=admin_user)
    assert (
        client_for(admin_user).get(f"{base(other)}score-jobs/{job.json()['id']}/").status_code
        == 404
    )


def test_triage_is_empty_without_an_active_version(
    project: Any, model: Any, admin_user: Any, client_for: Any
) -> None:
    url = f"{base(project)}reward-models/{model.pk}/triage/"
    assert client_for(admin_user).get(url).json() == []
    assert client_for(admin_user).get(url, {"limit": 0}).status_code == 400
