"""Annotation output; the plain-dict renderer of the save path and lists; error bodies."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from annotator.api.serializers.common import (
    iso_datetime,
)
from annotator.models import (
    Annotation,
)

# --- annotations: output ------------------------------------------------------------------------


class SpanOutputSerializer(serializers.Serializer):
    response = serializers.IntegerField(source="response.index")
    start = serializers.IntegerField()
    end = serializers.IntegerField()
    error_type = serializers.CharField(source="error_type.key")
    severity = serializers.IntegerField(allow_null=True)
    comment = serializers.CharField()
    confidence = serializers.FloatField(allow_null=True)


class StepOutputSerializer(serializers.Serializer):
    response = serializers.IntegerField(source="response.index")
    step_index = serializers.IntegerField()
    rating = serializers.IntegerField()
    error_type = serializers.CharField(source="error_type.key", allow_null=True, default=None)
    comment = serializers.CharField()


class RegionOutputSerializer(serializers.Serializer):
    response = serializers.IntegerField(source="response.index")
    shape = serializers.CharField()
    points = serializers.ListField(child=serializers.ListField(child=serializers.FloatField()))
    error_type = serializers.CharField(source="error_type.key")
    severity = serializers.IntegerField(allow_null=True)
    comment = serializers.CharField()


class RubricScoreOutputSerializer(serializers.Serializer):
    response = serializers.IntegerField(source="response.index")
    criterion = serializers.CharField(source="criterion.key")
    score = serializers.IntegerField()
    rationale = serializers.CharField()


class PreferenceOutputSerializer(serializers.Serializer):
    response_a = serializers.IntegerField(source="response_a.index")
    response_b = serializers.IntegerField(source="response_b.index")
    value = serializers.IntegerField()
    rationale = serializers.CharField()
    criterion = serializers.CharField(source="criterion.key", allow_null=True, default=None)


class CritiqueOutputSerializer(serializers.Serializer):
    response = serializers.IntegerField(source="response.index")
    text = serializers.CharField()


class MissingInfoOutputSerializer(serializers.Serializer):
    response = serializers.IntegerField(source="response.index")
    error_type = serializers.CharField(source="error_type.key")
    passage_index = serializers.IntegerField(allow_null=True)
    sentence_indices = serializers.ListField(child=serializers.IntegerField())
    comment = serializers.CharField()


class JudgeRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.CharField()
    model_name = serializers.CharField()
    prompt_version = serializers.CharField()


class AnnotationOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    item = serializers.IntegerField(source="item_id")
    client_id = serializers.UUIDField()
    author = serializers.CharField(source="author.username", allow_null=True, default=None)
    judge = JudgeRefSerializer(allow_null=True)
    status = serializers.ChoiceField(choices=Annotation.Status.choices)
    version = serializers.IntegerField()
    taxonomy_version = serializers.IntegerField(
        source="taxonomy.version", allow_null=True, default=None
    )
    rubric_version = serializers.IntegerField(
        source="rubric.version", allow_null=True, default=None
    )
    time_spent_ms = serializers.IntegerField()
    metadata = serializers.DictField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    submitted_at = serializers.DateTimeField(allow_null=True)
    reviewed_at = serializers.DateTimeField(allow_null=True)
    spans = SpanOutputSerializer(many=True)
    steps = StepOutputSerializer(many=True)
    regions = RegionOutputSerializer(many=True)
    rubric_scores = RubricScoreOutputSerializer(many=True)
    preferences = PreferenceOutputSerializer(many=True)
    critiques = CritiqueOutputSerializer(many=True)
    missing_info = MissingInfoOutputSerializer(many=True)


def _key(obj: Any) -> str | None:
    return None if obj is None else obj.key


def annotation_to_dict(a: Annotation) -> dict[str, Any]:
    """Render an annotation exactly as AnnotationOutputSerializer does (that class stays the
    schema; a test keeps the two identical). Used on the save path, where DRF's nested
    serializers cost more than the database work."""
    judge = a.judge
    return {
        "id": a.pk,
        "item": a.item_id,
        "client_id": str(a.client_id),
        "author": a.author.username if a.author is not None else None,
        "judge": None
        if judge is None
        else {
            "id": judge.pk,
            "name": judge.name,
            "kind": judge.kind,
            "model_name": judge.model_name,
            "prompt_version": judge.prompt_version,
        },
        "status": a.status,
        "version": a.version,
        "taxonomy_version": a.taxonomy.version if a.taxonomy is not None else None,
        "rubric_version": a.rubric.version if a.rubric is not None else None,
        "time_spent_ms": a.time_spent_ms,
        "metadata": a.metadata,
        "created_at": iso_datetime(a.created_at),
        "updated_at": iso_datetime(a.updated_at),
        "submitted_at": iso_datetime(a.submitted_at),
        "reviewed_at": iso_datetime(a.reviewed_at),
        "spans": [
            {
                "response": u.response.index,
                "start": u.start,
                "end": u.end,
                "error_type": u.error_type.key,
                "severity": u.severity,
                "comment": u.comment,
                "confidence": u.confidence,
            }
            for u in a.spans.all()
        ],
        "steps": [
            {
                "response": u.response.index,
                "step_index": u.step_index,
                "rating": u.rating,
                "error_type": _key(u.error_type),
                "comment": u.comment,
            }
            for u in a.steps.all()
        ],
        "regions": [
            {
                "response": u.response.index,
                "shape": u.shape,
                "points": [[float(x), float(y)] for x, y in u.points],
                "error_type": u.error_type.key,
                "severity": u.severity,
                "comment": u.comment,
            }
            for u in a.regions.all()
        ],
        "rubric_scores": [
            {
                "response": u.response.index,
                "criterion": u.criterion.key,
                "score": u.score,
                "rationale": u.rationale,
            }
            for u in a.rubric_scores.all()
        ],
        "preferences": [
            {
                "response_a": u.response_a.index,
                "response_b": u.response_b.index,
                "value": u.value,
                "rationale": u.rationale,
                "criterion": _key(u.criterion),
            }
            for u in a.preferences.all()
        ],
        "critiques": [{"response": u.response.index, "text": u.text} for u in a.critiques.all()],
        "missing_info": [
            {
                "response": u.response.index,
                "error_type": u.error_type.key,
                "passage_index": u.passage_index,
                "sentence_indices": u.sentence_indices,
                "comment": u.comment,
            }
            for u in a.missing_info.all()
        ],
    }


class AnnotationBulkOutputSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    existing = serializers.IntegerField()
    ids = serializers.ListField(child=serializers.IntegerField())


class ConflictOutputSerializer(serializers.Serializer):
    detail = serializers.CharField()
    current = AnnotationOutputSerializer()


class ErrorOutputSerializer(serializers.Serializer):
    detail = serializers.CharField()
    errors = serializers.ListField(child=serializers.DictField(), required=False)  # type: ignore[assignment]  # a declared field; SerializerMetaclass moves it off the class
