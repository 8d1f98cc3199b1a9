"""Scoring on a worker: score jobs, and the active version's suggestions and triage.

Worker only: imports torch through ``rewards.training.scoring`` (STYLE rule 34).

``reward_model_suggest`` scores the project's responses with an active span (or step)
version and stores the predictions as ordinary machine annotations of the reward model's
``reward_model`` judge — the annotate view shows them as suggestions to accept or reject —
replacing the previous version's. Where people labelled the same responses it writes
``TriageEntry`` rows: the mean |P(error) − human label| over segments, so the triage list
shows first the items where model and people disagree most.
"""

from __future__ import annotations

import time
import uuid
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone

from annotator.models import Annotation, Item, Judge, SpanLabel, StepLabel
from annotator.selectors.taxonomy import taxonomy_published_latest
from annotator.services.annotations import annotation_bulk_create
from core.segments import overlaps
from rewards.models import RewardModel, RewardModelVersion, ScoreJob, TriageEntry
from rewards.services.execution import artifact_absolute
from rewards.training.scoring import LoadedModel, count_tokens, load_model, score

Status = ScoreJob.Status
CLIENT_ID_NAMESPACE = uuid.UUID("5d0c53c4-3b5e-4f55-9a37-0d6d2f4c8b21")
SUGGEST_MAX_ITEMS = 5000
SCORE_CHUNK = 64
COUNTED = [Annotation.Status.SUBMITTED, Annotation.Status.ACCEPTED]
_LOADED: OrderedDict[str, LoadedModel] = OrderedDict()
CACHE_SIZE = 2


def loaded_version(version: RewardModelVersion) -> LoadedModel:
    """The version's model, kept loaded in this worker process (two at most)."""
    key = version.artifact_path
    if key in _LOADED:
        _LOADED.move_to_end(key)
        return _LOADED[key]
    _LOADED[key] = load_model(artifact_absolute(key))
    while len(_LOADED) > CACHE_SIZE:
        _LOADED.popitem(last=False)
    return _LOADED[key]


def _claim(job_id: int) -> ScoreJob | None:
    with transaction.atomic():
        job = ScoreJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.status != Status.QUEUED:
            return None
        job.status = Status.RUNNING
        job.attempts += 1
        job.heartbeat_at = timezone.now()
        job.save(update_fields=["status", "attempts", "heartbeat_at", "updated_at"])
    return job


def score_job_execute(*, job_id: int) -> ScoreJob:
    """Score a queued job's inputs with its version; SUCCEEDED with results, or FAILED with
    the error (then re-raised). A job already claimed is returned as it is."""
    job = _claim(job_id)
    if job is None:
        return ScoreJob.objects.get(pk=job_id)
    try:
        started = time.perf_counter()
        loaded = loaded_version(job.version)
        results = score(loaded, job.inputs)
        job.results = results
        job.tokens = count_tokens(loaded, job.inputs)
        job.seconds = time.perf_counter() - started
        job.status = Status.SUCCEEDED
    except BaseException as exc:
        job.status = Status.FAILED
        job.error = f"{type(exc).__name__}: {exc}"[:2000]
        raise
    finally:
        job.finished_at = timezone.now()
        job.save(
            update_fields=[
                "status",
                "results",
                "tokens",
                "seconds",
                "error",
                "finished_at",
                "updated_at",
            ]
        )
    return job


# --- suggestions and triage -----------------------------------------------------------------


def reward_model_judge(model: RewardModel) -> Judge:
    """The ``reward_model`` judge that authors this reward model's suggestions."""
    if model.judge_id is not None:
        return model.judge  # type: ignore[return-value]
    name = f"reward model: {model.name}"[:120]
    # An identity without a judges-app configuration: the rewards app runs it, not a judge
    # run. Made here, not through judges' services: judges depends on rewards, not back.
    judge, _ = Judge.objects.get_or_create(
        project=model.project,
        name=name,
        defaults={"kind": Judge.Kind.REWARD_MODEL, "model_name": model.backbone[:200]},
    )
    RewardModel.objects.filter(pk=model.pk).update(judge=judge)
    model.judge = judge
    return judge


def response_inputs(item: Item, kind: str) -> list[tuple[int, dict[str, Any]]]:
    """``(response index, scoring input)`` for each response of ``item`` a ``kind`` ("span" or
    "step") model scores. ``item.responses`` should be prefetched. Used by the suggestions
    here and by ``reward_model`` judges (judges/backends/reward_model.py)."""
    out = []
    for response in item.responses.all():
        if kind == "span" and response.kind == "text" and response.text:
            out.append(
                (
                    response.index,
                    {"prompt": item.prompt, "text": response.text, "context": item.context},
                )
            )
        elif kind == "step" and response.kind == "steps" and response.steps:
            out.append((response.index, {"prompt": item.prompt, "steps": response.steps}))
    return out


def prediction_units(kind: str, index: int, result: Mapping[str, Any], allowed: set[str]) -> dict:
    """Annotation units (``{"spans": [...]}`` or ``{"steps": [...]}``) from one ``score``
    result on response ``index``; spans of error types outside ``allowed`` are dropped."""
    if kind == "span":
        spans = [
            {
                "response": index,
                "start": s["start"],
                "end": s["end"],
                "error_type": s["error_type"],
                "confidence": s["confidence"],
                "comment": f"{s['category']}: P(error) = {s['confidence']:.2f}",
            }
            for s in result["error_spans"]
            if s["error_type"] in allowed
        ]
        return {"spans": spans}
    steps = [
        {
            "response": index,
            "step_index": s["index"],
            "rating": s["predicted"],
            "comment": f"reward {s['reward']:+.2f}",
        }
        for s in result["steps"]
    ]
    return {"steps": steps}


def _human_spans(items: Sequence[int]) -> dict[tuple[int, int], list[tuple[int, int, str]]]:
    spans: dict[tuple[int, int], list[tuple[int, int, str]]] = {}
    rows = SpanLabel.objects.filter(
        annotation__item_id__in=items,
        annotation__author__isnull=False,
        annotation__status__in=COUNTED,
    ).values_list("annotation__item_id", "response__index", "start", "end", "error_type__key")
    for item_id, index, start, end, key in rows:
        spans.setdefault((item_id, index), []).append((start, end, key))
    return spans


def _human_labelled(
    items: Sequence[int], spans: Mapping[tuple[int, int], Any], steps: Mapping[tuple[int, int], Any]
) -> set[tuple[int, int]]:
    """(item, response) pairs people labelled: a unit on the response, or listed in the
    annotation's ``metadata["labelled_responses"]`` (the export formats' rule)."""
    labelled = set(spans) | set(steps)
    rows = Annotation.objects.filter(
        item_id__in=items, author__isnull=False, status__in=COUNTED
    ).values_list("item_id", "metadata")
    for item_id, metadata in rows:
        listed = (metadata or {}).get("labelled_responses")
        if isinstance(listed, list):
            labelled.update((item_id, i) for i in listed if isinstance(i, int))
    return labelled


def _human_steps(items: Sequence[int]) -> dict[tuple[int, int], dict[int, int]]:
    out: dict[tuple[int, int], dict[int, int]] = {}
    rows = StepLabel.objects.filter(
        annotation__item_id__in=items,
        annotation__author__isnull=False,
        annotation__status__in=COUNTED,
    ).values_list("annotation__item_id", "response__index", "step_index", "rating")
    for item_id, index, step, rating in rows:
        out.setdefault((item_id, index), {})[step] = rating
    return out


def _span_triage(result: Mapping[str, Any], human: list[tuple[int, int, str]], space: Any) -> dict:
    diffs, disagree, details = [], 0, []
    for category, group in zip(result["categories"], space.groups, strict=True):
        types = set(group["error_types"])
        for seg in category["segments"]:
            label = any(
                t in types and overlaps(s, e, (seg["start"], seg["end"])) for s, e, t in human
            )
            p = seg["error_probability"]
            diffs.append(abs(p - float(label)))
            if (seg["reward"] < 0) != label:
                disagree += 1
                details.append(
                    {
                        "category": category["name"],
                        "start": seg["start"],
                        "end": seg["end"],
                        "human_error": label,
                        "error_probability": p,
                    }
                )
    return {
        "disagreement": sum(diffs) / len(diffs) if diffs else 0.0,
        "disagreeing_segments": disagree,
        "segments": len(diffs),
        "details": details[:50],
    }


def _step_triage(result: Mapping[str, Any], human: Mapping[int, int]) -> dict:
    diffs, disagree, details = [], 0, []
    for step in result["steps"]:
        if step["index"] not in human:
            continue
        rating = human[step["index"]]
        diffs.append(1.0 - step["probabilities"][str(rating)])
        if step["predicted"] != rating:
            disagree += 1
            details.append(
                {"step_index": step["index"], "human": rating, "predicted": step["predicted"]}
            )
    return {
        "disagreement": sum(diffs) / len(diffs) if diffs else 0.0,
        "disagreeing_segments": disagree,
        "segments": len(diffs),
        "details": details[:50],
    }


def reward_model_suggest(*, version_id: int) -> int:
    """Write the version's predictions as suggestions and its triage rows; return the number
    of items scored. Does nothing unless the version is still the active one."""
    version = RewardModelVersion.objects.select_related("reward_model__project").get(pk=version_id)
    model = version.reward_model
    if not version.is_active or model.kind not in ("span", "step"):
        return 0
    loaded = loaded_version(version)
    judge = reward_model_judge(model)
    taxonomy = taxonomy_published_latest(project=model.project)
    allowed = {
        e.key
        for e in (taxonomy.error_types.all() if taxonomy else [])
        if not e.unit_kinds or "span" in e.unit_kinds
    }
    items = list(
        Item.objects.filter(project=model.project)
        .prefetch_related("responses")
        .order_by("id")[:SUGGEST_MAX_ITEMS]
    )
    entries: list[dict[str, Any]] = []
    triage: list[TriageEntry] = []
    for start in range(0, len(items), SCORE_CHUNK):
        chunk = items[start : start + SCORE_CHUNK]
        ids = [item.pk for item in chunk]
        pairs = [
            (item, index, payload)
            for item in chunk
            for index, payload in response_inputs(item, model.kind)
        ]
        results = score(loaded, [payload for _, _, payload in pairs]) if pairs else []
        spans = _human_spans(ids) if model.kind == "span" else {}
        steps = _human_steps(ids) if model.kind == "step" else {}
        labelled = _human_labelled(ids, spans, steps)
        per_item: dict[int, dict[str, list[Any]]] = {}
        for (item, index, _payload), result in zip(pairs, results, strict=True):
            units = prediction_units(model.kind, index, result, allowed)
            bucket = per_item.setdefault(item.pk, {"spans": [], "steps": []})
            for name, values in units.items():
                bucket[name].extend(values)
            if (item.pk, index) in labelled:
                if model.kind == "span":
                    row = _span_triage(result, spans.get((item.pk, index), []), loaded.space)
                else:
                    row = _step_triage(result, steps.get((item.pk, index), {}))
                if row["segments"]:
                    triage.append(
                        TriageEntry(version=version, item=item, response_index=index, **row)
                    )
        for item_id, units in per_item.items():
            client_id = uuid.uuid5(CLIENT_ID_NAMESPACE, f"{version.pk}:{item_id}")
            entries.append(
                {
                    "item": item_id,
                    "client_id": client_id,
                    "status": "submitted",
                    "metadata": {
                        "reward_model_version": version.pk,
                        "reward_model": model.pk,
                        "labelled_responses": sorted(
                            {u["response"] for v in units.values() for u in v}
                        ),
                    },
                    **units,
                }
            )
    with transaction.atomic():
        # Only the active version's suggestions are shown: drop the earlier versions'.
        # (Machine annotations are this app's output; nobody edits them.)
        keep = [e["client_id"] for e in entries]
        Annotation.objects.filter(judge=judge).exclude(client_id__in=keep).delete()
        if entries:
            annotation_bulk_create(project=model.project, judge=judge, entries=entries)
        TriageEntry.objects.filter(version=version).delete()
        TriageEntry.objects.bulk_create(triage, batch_size=1000)
    return len(items)
