"""Judge runs from the web and beat side: create (validated, enqueued on commit), cancel, and
requeue the runs whose worker went silent.

Torch-free and backend-free: the API imports this module; the worker runs
``judges.services.execution``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from annotator.models import Judge, Project
from annotator.selectors.taxonomy import rubric_catalog, rubric_published_latest
from config.celery import CeleryQueue
from core.exceptions import ApplicationError
from judges.kinds import config_validate
from judges.models import JudgeConfiguration, JudgeRun, JudgeTask
from judges.selectors import run_items
from judges.services.configs import TASK_BY_REWARD_MODEL_KIND, judge_reward_model_version
from judges.services.templates import template_resolve
from judges.tasks import judge_run_execute as judge_run_execute_task
from rewards.models import RewardModel

Kind = Judge.Kind
TASKS_BY_KIND: dict[Kind, set[str]] = {
    Kind.OPENAI: set(JudgeTask.values),
    Kind.TRANSFORMERS: set(JudgeTask.values),
    Kind.REWARD_MODEL: {JudgeTask.SPANS, JudgeTask.STEPS},
    Kind.RULES: {JudgeTask.SPANS, JudgeTask.STEPS},
    Kind.EXTERNAL: set(),
}
# Local checkpoints and reward models belong on the workers that have torch and the
# accelerators (DESIGN §4).
QUEUE_BY_KIND = {Kind.TRANSFORMERS: CeleryQueue.SCORING, Kind.REWARD_MODEL: CeleryQueue.SCORING}
# A RUNNING run whose heartbeat is older is presumed dead: the next claim takes it over, and
# the beat requeues it; after MAX_ATTEMPTS claims it fails.
STALE_AFTER = timedelta(minutes=10)
MAX_ATTEMPTS = 3
Status = JudgeRun.Status


def judge_run_enqueue(*, run: JudgeRun) -> None:
    """Enqueue ``run``'s task on its judge kind's queue when the transaction commits (at once
    outside one)."""
    queue = QUEUE_BY_KIND.get(Kind(run.judge.kind), CeleryQueue.DEFAULT)
    judge_run_execute_task.apply_async_on_commit(args=(run.pk,), queue=queue)


def judge_tasks(*, judge: Judge) -> list[str]:
    """The tasks ``judge`` can run: its kind's, narrowed for a ``reward_model`` judge to its
    reward model's (spans for a span model, steps for a step model). One query for those."""
    tasks = TASKS_BY_KIND[Kind(judge.kind)]
    configuration = getattr(judge, "configuration", None)  # a missing one-to-one: None
    if judge.kind == Kind.REWARD_MODEL and configuration is not None:
        kind = (
            RewardModel.objects.filter(
                project_id=judge.project_id, pk=configuration.settings.get("reward_model")
            )
            .values_list("kind", flat=True)
            .first()
        )
        if kind in TASK_BY_REWARD_MODEL_KIND:
            tasks = {TASK_BY_REWARD_MODEL_KIND[RewardModel.Kind(kind)]}
    return sorted(tasks)


def _check_options(project: Project, task: str, options: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if options.get("responses") is not None:
        out["responses"] = sorted(set(options["responses"]))
    if task == JudgeTask.RUBRIC:
        rubric = rubric_published_latest(project=project)
        if rubric is None:
            raise ApplicationError("The project has no published rubric.", field="task")
        known = rubric_catalog(rubric=rubric).by_key
        keys = options.get("criteria") or list(known)
        unknown = [key for key in keys if key not in known]
        if unknown:
            raise ApplicationError(
                f"Unknown rubric criterion {unknown[0]!r}; known: {', '.join(known)}.",
                field="options.criteria",
            )
        out["criteria"] = list(dict.fromkeys(keys))
    if task in (JudgeTask.PAIRWISE, JudgeTask.PAIRWISE_GRADED):
        a, b = options.get("response_a", 0), options.get("response_b", 1)
        if a == b:
            raise ApplicationError(
                "response_a and response_b must differ.", field="options.response_b"
            )
        out |= {"response_a": a, "response_b": b}
        criterion = options.get("criterion")
        if criterion:
            rubric = rubric_published_latest(project=project)
            if rubric is None or criterion not in rubric_catalog(rubric=rubric).by_key:
                raise ApplicationError(
                    f"Unknown rubric criterion {criterion!r}.", field="options.criterion"
                )
            out["criterion"] = criterion
    return out


def judge_run_create(
    *,
    judge: Judge,
    task: str,
    created_by: Any = None,
    prompt_template: str | None = None,
    filters: Mapping[str, Any] | None = None,
    options: Mapping[str, Any] | None = None,
) -> JudgeRun:
    """Create a QUEUED run of ``judge`` over the items matching ``filters`` and enqueue it
    on commit (transformers and reward_model judges on the ``scoring`` queue, others on
    ``default``).

    Raises ApplicationError (400) when the judge cannot do ``task``, has no configuration,
    the template is unknown or for another task, the options name unknown responses or
    criteria, or a reward_model judge's reward model is gone, of the wrong kind for ``task``
    or without an active version (``config.reward_model``). What needs the worker (API key,
    checkpoint, the reward model's weights) is checked when the run starts and fails the run
    with the reason; so is a reward model that changed in between.
    """
    project = judge.project
    if task not in TASKS_BY_KIND[Kind(judge.kind)]:
        allowed = ", ".join(sorted(TASKS_BY_KIND[Kind(judge.kind)])) or "none (use the bulk API)"
        raise ApplicationError(
            f"A {judge.kind} judge cannot run the {task} task; it can run: {allowed}.", field="task"
        )
    configuration = JudgeConfiguration.objects.filter(judge=judge).first()
    if configuration is None:
        raise ApplicationError(
            "The judge has no configuration yet; set its config first.", field="judge"
        )
    if judge.kind == Kind.REWARD_MODEL:
        config = config_validate(judge.kind, configuration.settings)
        judge_reward_model_version(project=project, config=config, task=task)
    template_row, template = (None, None)
    if judge.kind not in (Kind.RULES, Kind.REWARD_MODEL):
        template_row, template = template_resolve(
            project=project, task=task, version=prompt_template
        )
    checked = _check_options(project, task, options or {})
    run = JudgeRun(
        project=project,
        judge=judge,
        task=task,
        template=template_row,
        prompt_version=template.version if template else f"{judge.kind}-v1",
        filters=dict(filters or {}),
        options=checked,
        created_by=created_by,
    )
    run.total = min(run_items(run).count(), run.filters.get("limit") or 10**9)
    with transaction.atomic():
        run.save()
        judge_run_enqueue(run=run)
    return run


def judge_run_cancel(*, run: JudgeRun) -> JudgeRun:
    """Ask a run to stop. A queued run is cancelled at once; a running one stops after the
    items in flight (results so far are kept). Finished runs are returned unchanged."""
    if run.status == JudgeRun.Status.QUEUED:
        JudgeRun.objects.filter(pk=run.pk, status=JudgeRun.Status.QUEUED).update(
            status=JudgeRun.Status.CANCELLED, cancel_requested=True
        )
    elif run.status == JudgeRun.Status.RUNNING:
        JudgeRun.objects.filter(pk=run.pk).update(cancel_requested=True)
    run.refresh_from_db()
    return run


def judge_runs_requeue_stalled(*, stale_after: timedelta | None = None) -> list[int]:
    """Beat: RUNNING runs whose heartbeat is older than ``stale_after`` (STALE_AFTER) go back
    to QUEUED and are enqueued again — a killed worker's message is never redelivered — or
    end FAILED once they used MAX_ATTEMPTS, or CANCELLED when a stop was asked. The task
    resumes a requeued run where it stopped. Returns the ids requeued."""
    threshold = timezone.now() - (STALE_AFTER if stale_after is None else stale_after)
    stalled = JudgeRun.objects.filter(status=Status.RUNNING, heartbeat_at__lt=threshold)
    requeued = []
    for run_id in stalled.values_list("pk", flat=True):
        with transaction.atomic():
            run = JudgeRun.objects.select_for_update().get(pk=run_id)
            if run.status != Status.RUNNING or (run.heartbeat_at and run.heartbeat_at >= threshold):
                continue  # finished, or its worker spoke since
            if run.cancel_requested:
                run.status = Status.CANCELLED
            elif run.attempts >= MAX_ATTEMPTS:
                run.status = Status.FAILED
                run.error = f"Gave up after {run.attempts} attempts (the worker went silent)."
            if run.status != Status.RUNNING:
                run.finished_at = timezone.now()
                run.save(update_fields=["status", "finished_at", "error", "updated_at"])
                continue
            run.status = Status.QUEUED
            run.save(update_fields=["status", "updated_at"])
            judge_run_enqueue(run=run)
            requeued.append(run.pk)
    return requeued
