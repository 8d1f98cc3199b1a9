"""Read a project's labels as snapshot records, streaming, one query per table.

``snapshot_records_read`` runs ten queries — annotations, items, responses and one per unit
kind — each ordered by item id and read with ``.iterator(chunk_size=…)`` (a server-side
cursor on PostgreSQL, chunked fetches on SQLite), and merges them item by item. Memory holds
one item at a time, whatever the project's size, and no ``IN (…)`` list grows with it.

The queries are separate statements, so they agree only inside one snapshot transaction
(``snapshots.services.consistency.consistent_read``). A unit whose annotation is missing
from the annotation stream can only come from a torn read: it raises ``TornRead`` instead
of being dropped silently.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from django.db.models import Q, QuerySet, TextField
from django.db.models.functions import Cast

from annotator.models import (
    Annotation,
    Critique,
    ErrorType,
    Item,
    MissingInfo,
    PreferenceJudgment,
    Project,
    RegionLabel,
    Response,
    Rubric,
    RubricCriterion,
    RubricScore,
    SpanLabel,
    StepLabel,
    Taxonomy,
)
from core.records import AnnotationRecord, AuthorRecord, ResponseRecord, SnapshotRecord

CHUNK = 2_000
UNIT_KINDS = (
    "spans",
    "steps",
    "regions",
    "rubric_scores",
    "preferences",
    "critiques",
    "missing_info",
)


loads = orjson.loads


def _json(name: str) -> Cast:
    """A JSON column as its text, decoded with orjson: Django's JSONField converter (stdlib
    json, per value) was a third of the snapshot's time."""
    return Cast(name, output_field=TextField())


class TornRead(RuntimeError):
    """Two queries of one snapshot disagreed: the read was not one consistent transaction."""


def annotation_filter_q(filters: Mapping[str, Any], prefix: str = "") -> Q:
    """The snapshot filters as a Q on Annotation, or on a unit model with ``prefix``
    ``"annotation__"``. ``filters`` is normalised (``snapshots.services.snapshots``)."""

    def lookup(name: str) -> str:
        return prefix + name

    q = Q(**{lookup("project_id"): filters["project_id"]})
    q &= Q(**{lookup("status__in"): filters["statuses"]})
    if filters["authors"] == "humans":
        q &= Q(**{lookup("author__isnull"): False})
    elif filters["authors"] == "judges":
        q &= Q(**{lookup("judge__isnull"): False})
    who = Q()
    if filters["usernames"]:
        who |= Q(**{lookup("author__username__in"): filters["usernames"]})
    if filters["judge_ids"]:
        who |= Q(**{lookup("judge_id__in"): filters["judge_ids"]})
    if who:
        q &= who
    if filters["created_after"]:
        q &= Q(**{lookup("created_at__gte"): filters["created_after"]})
    if filters["created_before"]:
        q &= Q(**{lookup("created_at__lt"): filters["created_before"]})
    return q


def snapshot_annotations(filters: Mapping[str, Any]) -> QuerySet[Annotation]:
    return Annotation.objects.filter(annotation_filter_q(filters))


def _iso_utc(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def _iso(value: datetime | None) -> str | None:
    return _iso_utc(value) if value is not None else None


class _Stream:
    """A sorted row iterator whose first column is the item id; take one item's rows."""

    def __init__(self, rows: Iterator[tuple[Any, ...]]) -> None:
        self.rows = rows
        self.head: tuple[Any, ...] | None = next(rows, None)

    def take(self, item_id: int) -> list[tuple[Any, ...]]:
        if self.head is not None and self.head[0] < item_id:
            raise TornRead(f"rows of item {self.head[0]} have no annotation in the snapshot")
        taken = []
        while self.head is not None and self.head[0] == item_id:
            taken.append(self.head)
            self.head = next(self.rows, None)
        return taken

    def finish(self) -> None:
        if self.head is not None:
            raise TornRead(f"rows of item {self.head[0]} have no annotation in the snapshot")


@dataclass
class ReadStats:
    """What the read saw: counts per unit kind and the label vocabularies in use."""

    items: int = 0
    annotations: int = 0
    units: dict[str, int] = field(default_factory=lambda: dict.fromkeys(UNIT_KINDS, 0))
    taxonomy_ids: set[int] = field(default_factory=set)
    rubric_ids: set[int] = field(default_factory=set)


def _unit_queries(filters: Mapping[str, Any]) -> dict[str, QuerySet[Any]]:
    """One ordered values_list query per unit kind; the first two columns are the item id
    and the annotation id, the third the response id."""
    on = annotation_filter_q(filters, prefix="annotation__")
    order = ("annotation__item_id", "annotation_id", "id")
    head = ("annotation__item_id", "annotation_id")
    error_types = filters["error_types"]
    typed = Q(error_type__key__in=error_types) if error_types else Q()
    return {
        "spans": SpanLabel.objects.filter(on & typed)
        .order_by(*order)
        .values_list(*head, "response_id", "start", "end", "error_type_id", "severity",
                     "comment", "confidence"),
        "steps": StepLabel.objects.filter(on)
        .order_by(*order)
        .values_list(*head, "response_id", "step_index", "rating", "error_type_id", "comment"),
        "regions": RegionLabel.objects.filter(on & typed)
        .order_by(*order)
        .values_list(*head, "response_id", "shape", _json("points"), "error_type_id", "severity",
                     "comment"),
        "rubric_scores": RubricScore.objects.filter(on)
        .order_by(*order)
        .values_list(*head, "response_id", "criterion_id", "score", "rationale"),
        "preferences": PreferenceJudgment.objects.filter(on)
        .order_by(*order)
        .values_list(*head, "response_a_id", "response_b_id", "value", "rationale",
                     "criterion_id"),
        "critiques": Critique.objects.filter(on)
        .order_by(*order)
        .values_list(*head, "response_id", "text"),
        "missing_info": MissingInfo.objects.filter(on & typed)
        .order_by(*order)
        .values_list(*head, "response_id", "error_type_id", "passage_index",
                     _json("sentence_indices"), "comment"),
    }  # fmt: skip


class _Builders:
    """Row tuples → record dicts. Error-type and criterion keys come from small id maps."""

    def __init__(self, project: Project) -> None:
        self.error_keys = dict(
            ErrorType.objects.filter(taxonomy__project=project).values_list("id", "key")
        )
        self.criterion_keys = dict(
            RubricCriterion.objects.filter(rubric__project=project).values_list("id", "key")
        )

    def unit(self, kind: str, row: tuple[Any, ...], index: Mapping[int, int]) -> dict[str, Any]:
        keys, criteria = self.error_keys, self.criterion_keys
        if kind == "spans":
            return {"response": index[row[2]], "start": row[3], "end": row[4],
                    "error_type": keys[row[5]], "severity": row[6], "comment": row[7],
                    "confidence": row[8]}  # fmt: skip
        if kind == "steps":
            return {"response": index[row[2]], "step_index": row[3], "rating": row[4],
                    "error_type": keys.get(row[5]), "comment": row[6]}  # fmt: skip
        if kind == "regions":
            return {"response": index[row[2]], "shape": row[3], "points": loads(row[4]),
                    "error_type": keys[row[5]], "severity": row[6], "comment": row[7]}  # fmt: skip
        if kind == "rubric_scores":
            return {"response": index[row[2]], "criterion": criteria[row[3]], "score": row[4],
                    "rationale": row[5]}  # fmt: skip
        if kind == "preferences":
            return {"response_a": index[row[2]], "response_b": index[row[3]], "value": row[4],
                    "rationale": row[5], "criterion": criteria.get(row[6])}  # fmt: skip
        if kind == "critiques":
            return {"response": index[row[2]], "text": row[3]}
        return {"response": index[row[2]], "error_type": keys[row[3]], "passage_index": row[4],
                "sentence_indices": loads(row[5]), "comment": row[6]}  # fmt: skip


ANNOTATION_COLUMNS = (
    "item_id", "id", "status", "version", "author_id", "author__username", "judge_id",
    "judge__name", "judge__kind", "judge__model_name", "judge__prompt_version",
    "taxonomy_id", "taxonomy__version", "rubric_id", "rubric__version", "created_at",
    "submitted_at", "reviewed_at", "reviewed_by__username", "time_spent_ms", _json("metadata"),
)  # fmt: skip


def _annotation(row: tuple[Any, ...]) -> AnnotationRecord:
    author: AuthorRecord
    if row[4] is not None:
        author = {"kind": "human", "id": row[4], "name": row[5]}
    else:
        author = {"kind": "judge", "id": row[6], "name": row[7], "judge_kind": row[8],
                  "model_name": row[9], "prompt_version": row[10]}  # fmt: skip
    return {
        "id": row[1], "status": row[2], "version": row[3], "author": author,
        "taxonomy_version": row[12], "rubric_version": row[14], "created_at": _iso_utc(row[15]),
        "submitted_at": _iso(row[16]), "reviewed_at": _iso(row[17]), "reviewed_by": row[18],
        "time_spent_ms": row[19], "metadata": loads(row[20]), "source_annotations": [row[1]],
        "spans": [], "steps": [], "regions": [], "rubric_scores": [], "preferences": [],
        "critiques": [], "missing_info": [],
    }  # fmt: skip


def _response(r: tuple[Any, ...]) -> ResponseRecord:
    return {"index": r[2], "kind": r[3], "model_name": r[4], "text": r[5], "steps": loads(r[6]),
            "image_url": r[7], "image_width": r[8], "image_height": r[9],
            "metadata": loads(r[10])}  # fmt: skip


def snapshot_records_read(
    *,
    project: Project,
    filters: Mapping[str, Any],
    stats: ReadStats,
    on_progress: Callable[[int], None] | None = None,
    chunk_size: int = CHUNK,
) -> Iterator[SnapshotRecord]:
    """Yield one SnapshotRecord per item that has selected annotations, in item id order.

    Precondition: runs inside ``consistent_read()``; call ``on_progress(annotations read)``
    every ``chunk_size`` annotations. Fills ``stats`` as it goes. Aggregation is applied by
    the caller (``snapshots.aggregation``).
    """
    builders = _Builders(project)
    selected = snapshot_annotations(filters)
    item_ids = selected.values("item_id")
    annotations = _Stream(
        selected.order_by("item_id", "id").values_list(*ANNOTATION_COLUMNS).iterator(chunk_size)
    )
    items = _Stream(
        Item.objects.filter(id__in=item_ids)
        .order_by("id")
        .values_list(
            "id",
            "external_id",
            "prompt",
            _json("messages"),
            _json("context"),
            _json("metadata"),
            "is_gold",
        )
        .iterator(chunk_size)
    )
    responses = _Stream(
        Response.objects.filter(item_id__in=item_ids)
        .order_by("item_id", "index")
        .values_list("item_id", "id", "index", "kind", "model_name", "text", _json("steps"),
                     "image_url", "image_width", "image_height", _json("metadata"))
        .iterator(chunk_size)
    )  # fmt: skip
    units = {kind: _Stream(qs.iterator(chunk_size)) for kind, qs in _unit_queries(filters).items()}
    read = 0
    while annotations.head is not None:
        item_id = annotations.head[0]
        rows = annotations.take(item_id)
        item_rows = items.take(item_id)
        if not item_rows:
            raise TornRead(f"item {item_id} is missing from the item stream")
        i = item_rows[0]
        response_rows = responses.take(item_id)
        index = {r[1]: r[2] for r in response_rows}
        by_id: dict[int, AnnotationRecord] = {}
        for row in rows:
            by_id[row[1]] = _annotation(row)
            if row[11] is not None:
                stats.taxonomy_ids.add(row[11])
            if row[13] is not None:
                stats.rubric_ids.add(row[13])
        for kind, stream in units.items():
            unit_rows = stream.take(item_id)
            stats.units[kind] += len(unit_rows)
            for row in unit_rows:
                target = by_id.get(row[1])
                if target is None:
                    raise TornRead(f"a {kind} row of annotation {row[1]} has no annotation")
                target[kind].append(builders.unit(kind, row, index))  # type: ignore[literal-required]
        stats.items += 1
        stats.annotations += len(rows)
        yield {
            "item": {"id": i[0], "external_id": i[1], "prompt": i[2], "messages": loads(i[3]),
                     "context": loads(i[4]), "metadata": loads(i[5]), "is_gold": i[6]},
            "responses": [_response(r) for r in response_rows],
            "annotations": list(by_id.values()),
        }  # fmt: skip
        if on_progress is not None and read // chunk_size != (read + len(rows)) // chunk_size:
            on_progress(read + len(rows))
        read += len(rows)
    for stream in (items, responses, *units.values()):
        stream.finish()


def snapshot_vocabularies(
    *, taxonomy_ids: Sequence[int], rubric_ids: Sequence[int]
) -> dict[str, Any]:
    """The taxonomy and rubric versions a snapshot's annotations were made under."""
    taxonomies = []
    for taxonomy in Taxonomy.objects.filter(pk__in=taxonomy_ids).order_by("version"):
        taxonomies.append({
            "id": taxonomy.pk, "version": taxonomy.version, "status": taxonomy.status,
            "error_types": [
                {"key": e.key, "name": e.name, "severity_levels": e.severity_levels,
                 "unit_kinds": e.unit_kinds}
                for e in taxonomy.error_types.all()
            ],
        })  # fmt: skip
    rubrics = []
    for rubric in Rubric.objects.filter(pk__in=rubric_ids).order_by("version"):
        rubrics.append({
            "id": rubric.pk, "version": rubric.version, "status": rubric.status,
            "criteria": [
                {"key": c.key, "name": c.name, "description": c.description, "levels": c.levels}
                for c in rubric.criteria.all()
            ],
        })  # fmt: skip
    return {"taxonomies": taxonomies, "rubrics": rubrics}
