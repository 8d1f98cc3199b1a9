"""Judge runs from the web side: create (validated, enqueued on commit) and cancel.

Torch-free and backend-free: the API imports this module; the worker runs
``judges.services.execution``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction

from annotator.models import Judge, Project
from annotator.selectors.taxonomy import rubric_catalog, rubric_published_latest
from config.celery import CeleryQueue
from core.exceptions import ApplicationError
from judges.models import JudgeConfiguration, JudgeRun, JudgeTask
from judges.selectors import run_items
from judges.services.templates import template_resolve
from judges.tasks import judge_run_execute as judge_run_execute_task

Kind = Judge.Kind
TASKS_BY_KIND = {
    Kind.OPENAI: set(JudgeTask.values),
    Kind.TRANSFORMERS: set(JudgeTask.values),
    Kind.REWARD_MODEL: {JudgeTask.SPANS, JudgeTask.STEPS},
    Kind.RULES: {JudgeTask.SPANS, JudgeTask.STEPS},
    Kind.EXTERNAL: set(),
}
# Local checkpoints belong on the workers that have the accelerators (DESIGN §4).
QUEUE_BY_KIND = {Kind.TRANSFORMERS: CeleryQueue.SCORING}


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
    on commit (transformers judges on the ``scoring`` queue, others on ``default``).

    Raises ApplicationError (400) when the judge cannot do ``task``, has no configuration,
    the template is unknown or for another task, or the options name unknown responses or
    criteria. What needs the worker (API key, checkpoint, reward-model registry) is checked
    when the run starts and fails the run with the reason.
    """
    project = judge.project
    if task not in TASKS_BY_KIND[Kind(judge.kind)]:
        allowed = ", ".join(sorted(TASKS_BY_KIND[Kind(judge.kind)])) or "none (use the bulk API)"
        raise ApplicationError(
            f"A {judge.kind} judge cannot run the {task} task; it can run: {allowed}.", field="task"
        )
    if not JudgeConfiguration.objects.filter(judge=judge).exists():
        raise ApplicationError(
            "The judge has no configuration yet; set its config first.", field="judge"
        )
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
        queue = QUEUE_BY_KIND.get(Kind(judge.kind), CeleryQueue.DEFAULT)
        judge_run_execute_task.apply_async_on_commit(args=(run.pk,), queue=queue)
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
