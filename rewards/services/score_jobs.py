"""Score requests: a ScoreJob row and a task on the ``scoring`` queue. Torch-free.

The web process never loads a model (STYLE rule 34): ``POST …/score/`` creates the job and
returns 202; the worker writes the results onto the row, which ``GET …/score-jobs/{id}/``
serves.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.db import transaction

from core.exceptions import ApplicationError
from rewards.models import RewardModel, RewardModelVersion, ScoreJob
from rewards.tasks import score_job_execute as score_job_execute_task

MAX_INPUTS = 256
MAX_TEXT_CHARS = 20_000
MAX_STEPS = 200


def _check_inputs(kind: str, inputs: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    if not inputs:
        raise ApplicationError("Give at least one input.", field="inputs")
    if len(inputs) > MAX_INPUTS:
        raise ApplicationError(f"At most {MAX_INPUTS} inputs per job.", field="inputs")
    out = []
    for i, entry in enumerate(inputs):
        where = f"inputs[{i}]"
        text = entry.get("text") or ""
        steps = list(entry.get("steps") or [])
        if kind == "step" and not steps:
            raise ApplicationError("A step model scores steps: give steps.", field=f"{where}.steps")
        if kind != "step" and not text and not steps:
            raise ApplicationError("Give the text to score.", field=f"{where}.text")
        if len(text) > MAX_TEXT_CHARS or len(steps) > MAX_STEPS:
            raise ApplicationError("Too long.", field=where)
        out.append(
            {
                "prompt": entry.get("prompt") or "",
                "text": text,
                "steps": steps,
                "context": list(entry.get("context") or []),
            }
        )
    return out


def score_job_request(
    *,
    reward_model: RewardModel,
    inputs: Sequence[Mapping[str, Any]],
    created_by: Any = None,
    version: RewardModelVersion | None = None,
) -> ScoreJob:
    """Queue scoring ``inputs`` with ``version`` (default: the active version)."""
    if version is None:
        version = reward_model.versions.filter(is_active=True).first()
        if version is None:
            raise ApplicationError("This reward model has no active version yet.")
    elif version.reward_model_id != reward_model.pk:
        raise ApplicationError("No such version of this reward model.", field="version")
    checked = _check_inputs(reward_model.kind, inputs)
    with transaction.atomic():
        job = ScoreJob.objects.create(
            project=reward_model.project,
            reward_model=reward_model,
            version=version,
            inputs=checked,
            created_by=created_by,
        )
        score_job_execute_task.delay_on_commit(job.pk)
    return job
