"""Run a judge over its items in the worker (``judges.judge_run_execute``).

Life of a run: claim the row (QUEUED → RUNNING under ``select_for_update``; a RUNNING row
whose heartbeat is stale is taken over, up to MAX_ATTEMPTS), fix the item set
(``item_id_max``), prepare the backend — failing the run with a reason when it cannot start
(no API key, host not allowlisted, checkpoint missing, reward model without an active
version) — then judge items with at most ``max_concurrency`` in flight. Worker threads only
call the model and check its output (judges.judging); this thread alone touches the
database: every FLUSH_EVERY results or FLUSH_INTERVAL_S seconds it stores the annotations
(``annotation_bulk_create``) and the per-item results in one transaction, updates progress
and the heartbeat, and reads ``cancel_requested``.

A redelivered or resumed run skips items that already have a result; annotation client ids
are derived from (run, item), so storing twice is impossible.
"""

from __future__ import annotations

import logging
import os
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from annotator.models import Item, Judge
from annotator.selectors.taxonomy import (
    rubric_catalog,
    rubric_published_latest,
    taxonomy_catalog,
    taxonomy_published_latest,
)
from annotator.services.annotations import annotation_bulk_create
from core.exceptions import ApplicationError
from core.outbound import BlockedDestination, OutboundPolicy
from judges.backends.openai import OpenAIBackend
from judges.backends.rules import check_rules, compile_rules, judge_item_rules
from judges.judging import ItemFailure, ItemOutcome, RunSpec, judge_item
from judges.kinds import checkpoint_allowed, config_validate
from judges.models import JudgeConfiguration, JudgeResult, JudgeRun
from judges.prompting import (
    CriterionInfo,
    ErrorTypeInfo,
    ItemInfo,
    PromptTemplateText,
    ResponseInfo,
    shipped_templates,
)
from judges.selectors import run_items
from judges.services.configs import judge_reward_model_version, project_allowed_hosts
from judges.services.runs import MAX_ATTEMPTS, STALE_AFTER, judge_run_enqueue

logger = logging.getLogger(__name__)
Status = JudgeRun.Status
Kind = Judge.Kind
CHUNK = 200
FLUSH_EVERY = 64
FLUSH_INTERVAL_S = 1.0
CLIENT_ID_NAMESPACE = uuid.UUID("1b0e7c52-7a0f-4b8e-9c1e-4c2f3d9a6e51")


class RunFailed(Exception):
    pass


@dataclass
class Engine:
    spec: RunSpec
    judge: Callable[[Any], ItemOutcome]  # takes an ItemInfo, or what ``prepare`` returns
    concurrency: int
    model_name: str
    close: Callable[[], None] = lambda: None
    # Runs in the run's thread on each item row (responses prefetched) and its ItemInfo.
    prepare: Callable[[Item, ItemInfo], Any] | None = None
    metadata: dict[str, Any] = field(default_factory=dict)  # added to annotation metadata


@dataclass
class Progress:
    stop: str | None = None  # "cancelled" or the fatal reason
    counts: dict[str, int] = field(default_factory=dict)


# --- claim / finish ----------------------------------------------------------------------------


def _claim(run_id: int) -> JudgeRun | None:
    now = timezone.now()
    with transaction.atomic():
        run = JudgeRun.objects.select_for_update().filter(pk=run_id).first()
        if run is None:
            return None
        stale = run.status == Status.RUNNING and (
            run.heartbeat_at is None or run.heartbeat_at < now - STALE_AFTER
        )
        if run.status != Status.QUEUED and not stale:
            return None
        run.attempts += 1
        if run.attempts > MAX_ATTEMPTS:
            run.status, run.finished_at = Status.FAILED, now
            run.error = f"Gave up after {MAX_ATTEMPTS} attempts (the worker stopped each time)."
            run.save(update_fields=["status", "finished_at", "error", "attempts", "updated_at"])
            return None
        if run.item_id_max is None:
            # Fix the item set now: later imports are not part of this run.
            limit = (run.filters or {}).get("limit")
            ids = run_items(run).values_list("pk", flat=True)
            last = next(iter(ids[limit - 1 : limit]), None) if limit else None
            if last is None:
                last = next(iter(ids.reverse()[:1]), None)
            run.item_id_max = last or 0
            run.total = run_items(run).count()
        run.status = Status.RUNNING
        run.started_at = run.started_at or now
        run.heartbeat_at = now
        run.save()
    return run


def _finish(run: JudgeRun, status: str, error: str = "") -> JudgeRun:
    now = timezone.now()
    JudgeRun.objects.filter(pk=run.pk).update(
        status=status, error=error[:5000], finished_at=now, heartbeat_at=now, updated_at=now
    )
    run.refresh_from_db()
    return run


# --- preparing the engine ----------------------------------------------------------------------


def _spec(run: JudgeRun, json_mode: bool) -> RunSpec:
    project = run.project
    taxonomy = taxonomy_published_latest(project=project)
    error_types = {}
    if taxonomy is not None:
        for key, et in taxonomy_catalog(taxonomy=taxonomy).by_key.items():
            error_types[key] = ErrorTypeInfo(
                key,
                et.name,
                et.description,
                tuple(et.unit_kinds or ()),
                len(et.severity_levels or []),
            )
    if run.task in ("spans", "steps") and taxonomy is None:
        raise RunFailed("The project has no published taxonomy.")
    rubric = rubric_published_latest(project=project)
    criteria = {}
    if rubric is not None:
        for key, c in rubric_catalog(rubric=rubric).by_key.items():
            levels = tuple(
                (int(lv["value"]), str(lv.get("label", "")), str(lv.get("description", "")))
                for lv in c.levels
            )
            criteria[key] = CriterionInfo(key, c.name, c.description, levels)
    if run.task == "rubric" and not criteria:
        raise RunFailed("The project has no published rubric.")
    if run.template is not None:
        t = run.template
        template = PromptTemplateText(t.version_string, t.system, t.user)
    else:
        template = shipped_templates().get(run.prompt_version) or PromptTemplateText("none", "", "")
    options = run.options or {}
    responses = options.get("responses")
    return RunSpec(
        task=run.task,
        template=template,
        error_types=error_types,
        criteria=criteria,
        guidelines=project.guidelines,
        json_mode=json_mode,
        responses=tuple(responses) if responses is not None else None,
        criteria_keys=tuple(options["criteria"]) if options.get("criteria") else None,
        response_a=options.get("response_a", 0),
        response_b=options.get("response_b", 1),
        criterion=options.get("criterion"),
    )


def _engine(run: JudgeRun) -> Engine:
    judge = run.judge
    row = JudgeConfiguration.objects.filter(judge=judge).first()
    if row is None or judge.kind == Kind.EXTERNAL:
        raise RunFailed("The judge has no configuration.")
    try:
        config = config_validate(judge.kind, row.settings)
    except ApplicationError as exc:
        raise RunFailed(f"The judge's configuration is invalid: {exc.message}") from None
    if judge.kind == Kind.REWARD_MODEL:
        return _reward_model_engine(run, config)
    if judge.kind == Kind.RULES:
        spec = _spec(run, json_mode=False)
        rules = compile_rules(config["rules"])
        try:
            check_rules(rules, spec, "span" if run.task == "spans" else "step")
        except ItemFailure as exc:
            raise RunFailed(exc.reason) from None
        return Engine(spec, lambda item: judge_item_rules(item, spec, rules), 1, "rules")
    if judge.kind == Kind.OPENAI:
        policy = OutboundPolicy.build(
            project_allowed_hosts(project=run.project),
            max_response_bytes=config["max_response_bytes"],
            timeout_s=config["timeout_s"],
            connect_timeout_s=min(10.0, config["timeout_s"]),
        )
        try:
            policy.check_url(config["base_url"])
        except BlockedDestination as exc:
            raise RunFailed(
                f"{exc} (FINEGRAIN_JUDGE_ALLOWED_HOSTS / project judge policy)"
            ) from None
        api_key = ""
        if config["api_key_env"]:
            api_key = os.environ.get(config["api_key_env"], "")
            if not api_key:
                raise RunFailed(
                    f"The environment variable {config['api_key_env']} is not set on the worker."
                )
        spec = _spec(run, json_mode=config["structured_output"] != "none")
        backend = OpenAIBackend(config, policy, api_key=api_key)
        return Engine(
            spec, lambda item: judge_item(item, spec, backend), config["max_concurrency"],
            config["model"], backend.close,
        )  # fmt: skip
    path = config["checkpoint_path"]
    if not checkpoint_allowed(path):
        raise RunFailed(f"{path} is not inside a folder of FINEGRAIN_JUDGE_MODEL_DIRS.")
    if not Path(path).is_dir():
        raise RunFailed(f"No checkpoint folder at {path} on this worker.")
    # Function-local: torch is imported only by workers that run a transformers judge.
    from judges.backends.transformers_local import TransformersBackend  # noqa: PLC0415

    spec = _spec(run, json_mode=False)
    try:
        local = TransformersBackend(config)
    except ItemFailure as exc:
        raise RunFailed(exc.reason) from None
    return Engine(
        spec, lambda item: judge_item(item, spec, local), 1, judge.model_name, local.close
    )


def _reward_model_engine(run: JudgeRun, config: dict[str, Any]) -> Engine:
    """Score with the reward model's active version, pinned on the run when it first starts
    (``options["reward_model_version"]``) so that a resumed run keeps scoring with it."""
    pinned = (run.options or {}).get("reward_model_version")
    try:
        version = judge_reward_model_version(
            project=run.project, config=config, task=run.task, version_id=pinned
        )
    except ApplicationError as exc:
        raise RunFailed(exc.message) from None
    spec = _spec(run, json_mode=False)
    # Function-local: torch is imported only by workers that run a reward model.
    from judges.backends.reward_model import RewardModelBackend  # noqa: PLC0415

    try:
        backend = RewardModelBackend(version, spec, threshold=config["threshold"])
    except ItemFailure as exc:
        raise RunFailed(exc.reason) from None
    if pinned is None:
        run.options = {**(run.options or {}), "reward_model_version": version.pk}
        run.prompt_version = f"reward-model/{version.reward_model.pk}-v{version.number}"
        run.save(update_fields=["options", "prompt_version", "updated_at"])
    return Engine(
        spec, backend.judge, 1, backend.model_name,
        prepare=backend.prepare, metadata=backend.metadata,
    )  # fmt: skip


# --- items in, results out ---------------------------------------------------------------------


def item_info(item: Item) -> ItemInfo:
    prompt = item.prompt or "\n".join(
        f"{m.get('role', 'user')}: {m.get('content', '')}"
        for m in item.messages or []
        if isinstance(m, dict)
    )
    context = tuple(
        (str(p.get("title", "")), tuple(str(s) for s in p.get("sentences", []) or []))
        for p in item.context or []
        if isinstance(p, dict)
    )
    responses = tuple(
        ResponseInfo(r.index, r.kind, r.text, tuple(str(s) for s in r.steps or []))
        for r in item.responses.all()
    )
    return ItemInfo(item.pk, prompt, context, responses)


def _items(run: JudgeRun, engine: Engine) -> Iterator[Any]:
    last = 0
    while True:
        chunk = list(run_items(run).filter(pk__gt=last)[:CHUNK])
        if not chunk:
            return
        for item in chunk:
            info = item_info(item)
            yield engine.prepare(item, info) if engine.prepare else info
        last = chunk[-1].pk


def _metadata(run: JudgeRun, engine: Engine, outcome: ItemOutcome) -> dict[str, Any]:
    methods: dict[str, int] = {}
    for placement in outcome.placements:
        methods[placement["method"]] = methods.get(placement["method"], 0) + 1
    judge = run.judge
    responses = {u["response"] for u in outcome.units["spans"] + outcome.units["steps"]}
    return {
        "source": "judge",
        "judge": {
            "id": judge.pk,
            "name": judge.name,
            "kind": judge.kind,
            "model": engine.model_name,
        },
        "prompt_version": run.prompt_version,
        "prompt_sha256": engine.spec.template.sha256,
        "task": run.task,
        "run": run.pk,
        "responses": sorted(responses | set(outcome.judged_responses)),
        "placement": methods,
        "unplaced_quotes": outcome.unplaced[:50],
        "usage": {
            "prompt_tokens": outcome.prompt_tokens,
            "completion_tokens": outcome.completion_tokens,
        },
        **engine.metadata,
    }


def _client_id(run: JudgeRun, item_id: int) -> uuid.UUID:
    return uuid.uuid5(CLIENT_ID_NAMESPACE, f"{run.pk}:{item_id}")


def _store(run: JudgeRun, engine: Engine, outcomes: list[ItemOutcome]) -> dict[int, int]:
    """Create the annotations of the successful outcomes; return item id → annotation id.

    ``annotation_bulk_create`` is all or nothing: an entry that Finegrain's own unit
    validation refuses fails that item (with the message) and the rest is stored.
    """
    good = {o.item_id: o for o in outcomes if o.failure is None}
    for _ in range(3):
        if not good:
            return {}
        entries: list[dict[str, Any]] = [
            {"item": o.item_id, "client_id": _client_id(run, o.item_id), "status": "submitted",
             "metadata": _metadata(run, engine, o), **o.units}
            for o in good.values()
        ]  # fmt: skip
        try:
            annotations, _ = annotation_bulk_create(
                project=run.project, judge=run.judge, entries=entries
            )
        except ApplicationError as exc:
            refused = _refused(exc, entries)
            if not refused:
                raise
            for index, message in refused.items():
                outcome = good.pop(entries[index]["item"])
                outcome.failure = f"Finegrain refused the units: {message}"
            continue
        by_client = {a.client_id: a.pk for a in annotations}
        return {item_id: by_client[_client_id(run, item_id)] for item_id in good}
    raise RunFailed("Annotations could not be stored; see the results.")


def _refused(exc: ApplicationError, entries: list[dict[str, Any]]) -> dict[int, str]:
    refused: dict[int, str] = {}
    for error in exc.errors:
        where = str(error.get("field") or "")
        if where.startswith("annotations["):
            index = int(where[len("annotations[") : where.index("]")])
            refused.setdefault(index, f"{where.split('.', 1)[-1]}: {error['message']}")
    return refused


def _flush(run: JudgeRun, engine: Engine, outcomes: list[ItemOutcome], progress: Progress) -> None:
    if outcomes:
        with transaction.atomic():
            annotation_ids = _store(run, engine, outcomes)
            JudgeResult.objects.bulk_create([
                JudgeResult(
                    run=run, item_id=o.item_id,
                    status=JudgeResult.Status.FAILED if o.failure else JudgeResult.Status.SUCCEEDED,
                    reason=o.failure or "", annotation_id=annotation_ids.get(o.item_id),
                    prompt_version=run.prompt_version, outputs=o.outputs, unplaced=o.unplaced,
                    requests=o.requests, prompt_tokens=o.prompt_tokens,
                    completion_tokens=o.completion_tokens, latency_ms=o.latency_ms,
                )
                for o in outcomes
            ])  # fmt: skip
    failed = sum(o.failure is not None for o in outcomes)
    now = timezone.now()
    JudgeRun.objects.filter(pk=run.pk).update(
        processed=F("processed") + len(outcomes),
        succeeded_count=F("succeeded_count") + len(outcomes) - failed,
        failed_count=F("failed_count") + failed,
        unplaced_quotes=F("unplaced_quotes") + sum(len(o.unplaced) for o in outcomes),
        requests=F("requests") + sum(o.requests for o in outcomes),
        prompt_tokens=F("prompt_tokens") + sum(o.prompt_tokens for o in outcomes),
        completion_tokens=F("completion_tokens") + sum(o.completion_tokens for o in outcomes),
        heartbeat_at=now,
        updated_at=now,
    )
    fatal = next((o.failure for o in outcomes if o.fatal), None)
    if fatal and progress.stop is None:
        progress.stop = fatal
    elif JudgeRun.objects.filter(pk=run.pk, cancel_requested=True).exists():
        progress.stop = progress.stop or "cancelled"
    outcomes.clear()


def _loop(run: JudgeRun, engine: Engine) -> Progress:
    progress = Progress()
    buffer: list[ItemOutcome] = []
    flushed_at = time.monotonic()

    def due() -> bool:
        return len(buffer) >= FLUSH_EVERY or time.monotonic() - flushed_at >= FLUSH_INTERVAL_S

    if engine.concurrency <= 1:
        for item in _items(run, engine):
            buffer.append(engine.judge(item))
            if due():
                _flush(run, engine, buffer, progress)
                flushed_at = time.monotonic()
                if progress.stop:
                    break
        _flush(run, engine, buffer, progress)
        return progress
    pool = ThreadPoolExecutor(engine.concurrency, thread_name_prefix=f"judge-run-{run.pk}")
    pending: set[Future[ItemOutcome]] = set()
    try:
        items = _items(run, engine)
        exhausted = False
        while not (exhausted and not pending):
            while not exhausted and not progress.stop and len(pending) < 2 * engine.concurrency:
                item = next(items, None)
                if item is None:
                    exhausted = True
                else:
                    pending.add(pool.submit(engine.judge, item))
            if progress.stop:
                exhausted = True
            done, pending = wait(pending, timeout=FLUSH_INTERVAL_S, return_when=FIRST_COMPLETED)
            buffer.extend(future.result() for future in done)
            if due() or (exhausted and not pending):
                _flush(run, engine, buffer, progress)
                flushed_at = time.monotonic()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    _flush(run, engine, buffer, progress)
    return progress


def judge_run_execute(*, run_id: int) -> JudgeRun:
    """Run a queued judge run to SUCCEEDED, FAILED or CANCELLED and return it.

    Idempotent: a run that is not QUEUED (claimed by another delivery, or finished) is
    returned unchanged; a RUNNING run with a stale heartbeat is resumed. Items whose output
    is refused get a failed result with the reason; the run fails only when it cannot start
    or a failure would repeat for every item (credentials, blocked host). Near the task's
    soft time limit the run goes back to QUEUED and is re-enqueued to resume.
    """
    run = _claim(run_id)
    if run is None:
        return JudgeRun.objects.get(pk=run_id)
    try:
        engine = _engine(run)
    except RunFailed as exc:
        return _finish(run, Status.FAILED, str(exc))
    try:
        progress = _loop(run, engine)
    except SoftTimeLimitExceeded:
        JudgeRun.objects.filter(pk=run.pk).update(status=Status.QUEUED, heartbeat_at=timezone.now())
        judge_run_enqueue(run=run)
        run.refresh_from_db()
        return run
    except RunFailed as exc:
        return _finish(run, Status.FAILED, str(exc))
    except Exception:
        logger.exception("judge run %s failed", run.pk)
        _finish(run, Status.FAILED, "Internal error; see the worker log.")
        raise
    finally:
        engine.close()
    if progress.stop == "cancelled":
        return _finish(run, Status.CANCELLED)
    if progress.stop:
        return _finish(run, Status.FAILED, f"Stopped: {progress.stop}")
    return _finish(run, Status.SUCCEEDED)
