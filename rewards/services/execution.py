"""Execute a training run on a worker: claim, build its snapshot, train, compare, register.

Worker only: imports torch through ``rewards.training`` (STYLE rule 34).

``training_run_execute`` claims the run (``runs.training_run_claim``), builds the run's
snapshot if it is not built yet (the snapshot build is idempotent), reads its records with
``snapshots.selectors.snapshots.snapshot_records`` — the same records the export API serves —
and calls ``training.loop.train`` with an ``on_step`` that heartbeats. ``train`` resumes from
the run's checkpoint when an earlier attempt was killed. The active version, if any, is
evaluated on the same held-out items; ``registry.reward_model_version_register`` activates
the new version only if it beats it. The epoch and the thresholds were chosen on a
validation part of the training items (``training.loop``), never on those held-out items;
the log says how (or why there was no validation part), and ``metrics["selection"]`` keeps it.

One training task at a time per machine and device: a non-blocking ``flock`` on
``var/training-<device>.lock``; a second task raises ``TrainerBusy`` before claiming (the task
retries later). The kernel drops the lock when a killed worker's process dies.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import socket
import traceback
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.conf import settings

from rewards.models import RewardModelVersion, TrainingRun
from rewards.services.registry import reward_model_version_register
from rewards.services.runs import (
    training_run_claim,
    training_run_finish,
    training_run_heartbeat,
)
from rewards.training.config import TrainConfig
from rewards.training.loop import StepInfo, train
from rewards.training.scoring import evaluate, load_model
from snapshots.models import SnapshotJob
from snapshots.selectors.snapshots import snapshot_records
from snapshots.services.snapshots import snapshot_build

Status = TrainingRun.Status
HISTORY_MAX = 2000
RUN_NAMESPACE = uuid.UUID("0b8f5c1e-52a4-4f0e-a1de-3c7e2f6d9a10")


class TrainerBusy(RuntimeError):
    """Another training task holds this machine's training slot."""


class RunTakenOver(RuntimeError):
    """Another worker claimed the run (this one was presumed dead): stop quietly."""


def run_directory(run: TrainingRun) -> Path:
    """The run's folder; stable across its attempts (resume), and unique across databases
    sharing a MEDIA_ROOT (a test run beside ``make run``): the suffix hashes the row's
    creation time."""
    suffix = uuid.uuid5(RUN_NAMESPACE, f"{run.pk}:{run.created_at.isoformat()}").hex[:12]
    return (
        Path(settings.MEDIA_ROOT)
        / "reward-models"
        / str(run.project_id)
        / str(run.reward_model_id)
        / f"run-{run.pk}-{suffix}"
    )


def feature_cache_directory(run: TrainingRun) -> Path:
    return Path(settings.MEDIA_ROOT) / "reward-models" / str(run.project_id) / "features"


def artifact_absolute(path: str) -> Path:
    return Path(settings.MEDIA_ROOT) / path


@contextlib.contextmanager
def training_slot() -> Iterator[None]:
    device = os.environ.get("CUDA_VISIBLE_DEVICES") or "cpu"
    path = Path(settings.VAR_DIR) / f"training-{device.replace(',', '-')}.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise TrainerBusy("another training task runs on this machine") from None
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _records(run: TrainingRun) -> list[Any]:
    job = SnapshotJob.objects.get(snapshot_id=run.snapshot_id)
    if job.status != SnapshotJob.Status.SUCCEEDED:
        job = snapshot_build(snapshot_id=run.snapshot_id)
    if job.status != SnapshotJob.Status.SUCCEEDED:
        raise RuntimeError(f"The run's snapshot is {job.status}: {job.error}")
    run.snapshot.refresh_from_db()
    return list(snapshot_records(run.snapshot))


def _heartbeat(run: TrainingRun) -> Any:
    def on_step(info: StepInfo) -> None:
        fields: dict[str, Any] = {
            "step": info.step,
            "total_steps": info.total_steps,
            "epoch": info.epoch,
            "phase": info.phase,
            "history": info.history[-HISTORY_MAX:],
            "evaluations": info.evaluations,
        }
        log = info.message
        if info.phase == "eval" and info.metrics is not None:
            value = info.metrics.get("primary")
            shown = f"{value:.4f}" if isinstance(value, float) else value
            log = f"epoch {info.epoch:g}: held-out {info.metrics.get('primary_name')} = {shown}"
        alive = training_run_heartbeat(run=run, fields=fields, log=log, force=info.phase != "train")
        if not alive:
            raise RunTakenOver(f"run {run.pk} was claimed by another worker")

    return on_step


def _baseline(run: TrainingRun, records: list[Any]) -> tuple[RewardModelVersion | None, Any]:
    active = RewardModelVersion.objects.filter(
        reward_model_id=run.reward_model_id, is_active=True
    ).first()
    if active is None:
        return None, None
    loaded = load_model(artifact_absolute(active.artifact_path))
    # Fast-refresh versions read the features this run has just cached.
    cache = feature_cache_directory(run)
    return active, evaluate(loaded, records, feature_cache_dir=cache).get("primary")


def selection_summary(metrics: dict[str, Any]) -> str:
    """The log line of how the run chose its epoch and thresholds ("" when it did not)."""
    selection = metrics.get("selection")
    if not selection:
        return ""
    if selection.get("fallback"):
        return f"selection: none ({selection['fallback']}); last epoch, fixed threshold"
    parts = []
    if selection.get("epoch") == "best":
        parts.append(f"best epoch {selection.get('best_epoch')} by validation loss")
    thresholds = metrics.get("thresholds") or {}
    if thresholds:
        shown = ", ".join(f"{name} {value:.3f}" for name, value in thresholds.items())
        parts.append(f"thresholds {shown}")
    return f"selection on {selection['validation_items']} validation items: " + "; ".join(
        parts or ["last epoch"]
    )


def training_run_execute(*, run_id: int) -> TrainingRun:
    """Run a queued training run to SUCCEEDED or FAILED (see the module docstring).

    Idempotent: a run that is finished, or running elsewhere with a fresh heartbeat, is
    returned as it is. Side effects: files under ``MEDIA_ROOT/reward-models/<project>/
    <reward model>/run-<id>/``, the run's row, a registered version (maybe activated, which
    enqueues its suggestions). Raises TrainerBusy without touching the row when this
    machine's training slot is taken.
    """
    with training_slot():
        run = training_run_claim(run_id=run_id, worker=worker_name())
        if run is None:
            return TrainingRun.objects.get(pk=run_id)
        try:
            return _execute(run)
        except RunTakenOver:
            return TrainingRun.objects.get(pk=run_id)
        except BaseException as exc:
            detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
            training_run_finish(
                run=run, status=Status.FAILED, error=f"{detail}\n{traceback.format_exc()[-3000:]}"
            )
            raise


def _execute(run: TrainingRun) -> TrainingRun:
    on_step = _heartbeat(run)
    records = _records(run)
    config = TrainConfig.from_dict(run.config)
    if config.mode == "fast" and not config.feature_cache_dir:
        config = config.replace(feature_cache_dir=str(feature_cache_directory(run)))
    folder = run_directory(run)
    training_run_heartbeat(
        run=run,
        fields={"phase": "setup"},
        log=f"{len(records)} records from snapshot {run.snapshot_id}",
    )
    result = train(config, records, folder, on_step)
    summary = selection_summary(result.eval_metrics)
    if summary:
        training_run_heartbeat(run=run, fields={}, force=True, log=summary)
    baseline_version, baseline_score = _baseline(run, records)
    artifact = str(result.model_dir.relative_to(settings.MEDIA_ROOT))
    score = result.eval_metrics.get("primary")
    version = reward_model_version_register(
        run=run,
        artifact_path=artifact,
        metrics=result.eval_metrics,
        score=score,
        baseline_version=baseline_version,
        baseline_score=baseline_score,
    )
    verdict = "activated" if version.is_active else "kept inactive"
    compared = f" (active v{baseline_version.number}: {baseline_score})" if baseline_version else ""
    training_run_heartbeat(
        run=run,
        fields={},
        force=True,
        log=f"registered v{version.number}: {score}{compared}; {verdict}",
    )
    return training_run_finish(
        run=run,
        status=Status.SUCCEEDED,
        fields={
            "metrics": result.eval_metrics,
            "artifact_path": artifact,
            "records_sha256": result.records_sha256,
            "step": result.step,
            "total_steps": result.total_steps,
            "history": result.history[-HISTORY_MAX:],
            "evaluations": result.evaluations,
            "resumed_from_step": result.resumed_from_step,
            "phase": "done",
        },
    )
