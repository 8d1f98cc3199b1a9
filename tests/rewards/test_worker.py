"""Through real Celery worker processes: labels → refresh → active version → scores served;
a worker killed mid-run → a new worker resumes from the checkpoint → exactly one version."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.db import connection

from annotator.models import Annotation
from rewards.models import RewardModelVersion, TrainingRun
from rewards.services.runs import (
    reward_model_create,
    training_run_request,
    training_runs_requeue_stalled,
)
from rewards.tasks import reward_models_refresh as reward_models_refresh_task
from rewards.tasks import training_run_execute as training_run_execute_task
from tests.factories import make_project, make_user
from tests.integration.conftest import READY_TIMEOUT_S, Worker, database_url
from tests.rewards.conftest import TINY_HYPERPARAMETERS, label_items

pytestmark = pytest.mark.integration
POLL_TIMEOUT_S = 120


def wait_for(what: str, check: Callable[[], Any], log: Callable[[], str]) -> Any:
    deadline = time.monotonic() + POLL_TIMEOUT_S
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}; worker log:\n{log()[-6000:]}")
        time.sleep(0.1)


@pytest.fixture
def worker_media(settings: Any) -> Path:
    # Worker processes write under the settings' default MEDIA_ROOT: read there.
    settings.MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT") or django_settings.VAR_DIR / "media")
    return Path(settings.MEDIA_ROOT)


def start_worker(tmp_path: Path, queues: list[str], name: str) -> Worker:
    """A worker of our own (its own process group, so it can be killed as a whole)."""
    log_path = tmp_path / f"{name}.log"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database_url(connection.settings_dict),
        "CELERY_BROKER_URL": django_settings.CELERY_BROKER_URL,
        "PYTHONUNBUFFERED": "1",
    }
    if django_settings.CELERY_BROKER_URL.startswith("filesystem"):
        env["FINEGRAIN_BROKER_DIR"] = str(django_settings.BROKER_DIR)
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "config",
        "worker",
        "--queues",
        ",".join(queues),
        "--concurrency",
        "1",
        "--hostname",
        f"{name}-{uuid.uuid4().hex[:6]}@%h",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        "--loglevel",
        "INFO",
    ]
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            command,
            cwd=django_settings.BASE_DIR,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    worker = Worker(process, log_path)
    deadline = time.monotonic() + READY_TIMEOUT_S
    while " ready." not in worker.log():
        if process.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"worker {name} did not start:\n{worker.log()}")
        time.sleep(0.2)
    return worker


def stop(worker: Worker, sig: int = signal.SIGTERM) -> None:
    if worker.process.poll() is None:
        os.killpg(worker.process.pid, sig)
        try:
            worker.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(worker.process.pid, signal.SIGKILL)
            worker.process.wait()


@pytest.fixture
def own_workers() -> Iterator[list[Worker]]:
    workers: list[Worker] = []
    yield workers
    for worker in workers:
        stop(worker)


def test_labels_refresh_the_model_and_its_scores_are_served(
    celery_worker: Any,
    transactional_db: Any,
    worker_media: Path,
    allow_backbones: Path,
    client_for: Any,
) -> None:
    admin, anna = make_user("alice"), make_user("anna")
    project = make_project(admin=admin, anna="annotator")
    model = reward_model_create(
        project=project,
        created_by=admin,
        name="spans",
        kind="span",
        backbone=str(allow_backbones),
        refresh_every_annotations=10,
        hyperparameters=TINY_HYPERPARAMETERS,
    )
    label_items(project, anna, count=12)  # people submit annotations ...
    reward_models_refresh_task.delay()  # ... and beat finds the policy due
    client = client_for(admin)
    url = f"/api/v1/projects/{project.pk}/"

    def finished_run() -> Any:
        runs = client.get(url + "training-runs/", {"reward_model": model.pk}).json()["results"]
        return runs and runs[0]["status"] in ("succeeded", "failed") and runs[0]

    run = wait_for("the refresh run", finished_run, celery_worker.log)
    detail = client.get(f"{url}training-runs/{run['id']}/").json()
    assert run["status"] == "succeeded", detail["error"] + detail["log_tail"]
    assert run["trigger"] == "annotations"
    detail = client.get(f"{url}reward-models/{model.pk}/").json()
    assert detail["active_version"]["number"] == 1
    assert detail["active_version"]["run"] == run["id"]

    job = client.post(
        f"{url}reward-models/{model.pk}/score/",
        {"inputs": [{"text": "the cat sat on the mat. the band played in paris."}]},
        format="json",
    ).json()

    def scored() -> Any:
        body = client.get(f"{url}score-jobs/{job['id']}/").json()
        return body["status"] in ("succeeded", "failed") and body

    result = wait_for("the score job", scored, celery_worker.log)
    assert result["status"] == "succeeded", result["error"]
    [scores] = result["results"]
    assert [c["name"] for c in scores["categories"]] == ["relevance", "factuality"]
    assert [(s["start"], s["end"]) for s in scores["categories"][1]["segments"]] == [
        (0, 23),
        (24, 49),
    ]

    # The active version's predictions reach the annotate view as machine suggestions.
    triage_url = f"{url}reward-models/{model.pk}/triage/"
    triage = wait_for(
        "suggestions and triage", lambda: client.get(triage_url).json(), celery_worker.log
    )
    assert all(0 <= row["disagreement"] <= 1 for row in triage)
    judge_id = client.get(f"{url}reward-models/{model.pk}/").json()["judge"]
    assert Annotation.objects.filter(judge_id=judge_id, project=project).exists()


def test_a_killed_worker_is_resumed_by_another_and_one_version_is_registered(
    celery_worker: Any,
    transactional_db: Any,
    worker_media: Path,
    allow_backbones: Path,
    tmp_path: Path,
    own_workers: list[Worker],
) -> None:
    admin, anna = make_user("alice"), make_user("anna")
    project = make_project(admin=admin, anna="annotator")
    label_items(project, anna, count=12)
    long_run = {
        **TINY_HYPERPARAMETERS,
        "max_steps": 400,
        "save_steps": 10,
        "per_device_train_batch_size": 1,
        "learning_rate": 1e-4,
        "logging_steps": 5,
    }
    model = reward_model_create(
        project=project,
        created_by=admin,
        name="long",
        kind="span",
        mode="full",
        backbone=str(allow_backbones),
        hyperparameters=long_run,
    )
    run = training_run_request(reward_model=model, enqueue=False)
    # Worker A listens on a queue of its own, so that it (not the session's worker) starts.
    private = f"training-{uuid.uuid4().hex[:8]}"
    worker_a = start_worker(tmp_path, [private], "a")
    own_workers.append(worker_a)
    training_run_execute_task.apply_async(args=[run.pk], queue=private)

    def checkpointed() -> bool:
        run.refresh_from_db()
        return run.status == "running" and run.step >= 30

    wait_for("worker A to train and checkpoint", checkpointed, worker_a.log)
    os.killpg(worker_a.process.pid, signal.SIGKILL)  # the worker and its pool child
    worker_a.process.wait()
    killed_at = TrainingRun.objects.get(pk=run.pk)
    assert killed_at.status == "running"
    assert killed_at.step < 400

    # Beat finds the silent run and requeues it; another worker resumes it.
    assert training_runs_requeue_stalled(stale_after=timedelta(0)) == [run.pk]
    worker_b = start_worker(tmp_path, ["training", private], "b")
    own_workers.append(worker_b)

    def finished() -> bool:
        run.refresh_from_db()
        return run.status in ("succeeded", "failed")

    wait_for("the resumed run", finished, lambda: worker_b.log() + celery_worker.log())
    assert run.status == "succeeded", run.error
    assert run.attempts == 2
    assert run.resumed_from_step >= 10
    assert "resumed from the checkpoint" in run.log_tail
    assert run.step == 400
    # A late duplicate delivery finds the run finished and registers nothing.
    training_run_execute_task.apply_async(args=[run.pk], queue=private)
    time.sleep(3)
    assert RewardModelVersion.objects.filter(reward_model=model).count() == 1
    assert RewardModelVersion.objects.get(reward_model=model).run_id == run.pk
