"""Annotation input: the feedback units and the create/update/submit/review/bulk bodies."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from annotator.api.serializers.common import (
    MAX_COMMENT,
    MAX_UNITS,
    REVIEW_DECISIONS,
    WRITE_STATUSES,
)
from annotator.models import (
    RegionLabel,
)

# --- annotations: units ------------------------------------------------------------------------


class SpanInputSerializer(serializers.Serializer):
    response = serializers.IntegerField(min_value=0, help_text="Response index within the item.")
    start = serializers.IntegerField(min_value=0, help_text="Unicode code point offset.")
    end = serializers.IntegerField(min_value=0, help_text="Exclusive code point offset.")
    error_type = serializers.SlugField(max_length=64)
    severity = serializers.IntegerField(min_value=1, max_value=10, required=False, allow_null=True)
    comment = serializers.CharField(required=False, allow_blank=True, max_length=MAX_COMMENT)
    confidence = serializers.FloatField(min_value=0, max_value=1, required=False, allow_null=True)
    text = serializers.CharField(
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        write_only=True,
        help_text="Optional quote of text[start:end]; checked when given.",
    )


class StepInputSerializer(serializers.Serializer):
    response = serializers.IntegerField(min_value=0)
    step_index = serializers.IntegerField(min_value=0)
    rating = serializers.ChoiceField(choices=[-1, 0, 1])
    error_type = serializers.SlugField(
        max_length=64, required=False, allow_blank=True, allow_null=True
    )
    comment = serializers.CharField(required=False, allow_blank=True, max_length=MAX_COMMENT)


class PointField(serializers.ListField):
    child = serializers.FloatField()

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(min_length=2, max_length=2, **kwargs)


class RegionInputSerializer(serializers.Serializer):
    response = serializers.IntegerField(min_value=0)
    shape = serializers.ChoiceField(choices=RegionLabel.Shape.choices)
    points = serializers.ListField(
        child=PointField(),
        min_length=2,
        max_length=500,
        help_text="Normalised [x, y] pairs: 2 corners for a box, 3+ vertices for a polygon.",
    )
    error_type = serializers.SlugField(max_length=64)
    severity = serializers.IntegerField(min_value=1, max_value=10, required=False, allow_null=True)
    comment = serializers.CharField(required=False, allow_blank=True, max_length=MAX_COMMENT)


class RubricScoreInputSerializer(serializers.Serializer):
    response = serializers.IntegerField(min_value=0)
    criterion = serializers.SlugField(max_length=64)
    score = serializers.IntegerField()
    rationale = serializers.CharField(required=False, allow_blank=True, max_length=MAX_COMMENT)


class PreferenceInputSerializer(serializers.Serializer):
    response_a = serializers.IntegerField(min_value=0)
    response_b = serializers.IntegerField(min_value=0)
    value = serializers.IntegerField(
        min_value=-3, max_value=3, help_text="-3 A much better … 0 tie … +3 B much better."
    )
    rationale = serializers.CharField(required=False, allow_blank=True, max_length=MAX_COMMENT)
    criterion = serializers.SlugField(
        max_length=64, required=False, allow_blank=True, allow_null=True
    )


class CritiqueInputSerializer(serializers.Serializer):
    response = serializers.IntegerField(min_value=0)
    text = serializers.CharField(max_length=MAX_COMMENT)


class MissingInfoInputSerializer(serializers.Serializer):
    response = serializers.IntegerField(min_value=0)
    error_type = serializers.SlugField(max_length=64)
    passage_index = serializers.IntegerField(min_value=0, required=False, allow_null=True)
    sentence_indices = serializers.ListField(
        child=serializers.IntegerField(min_value=0), required=False, max_length=200
    )
    comment = serializers.CharField(required=False, allow_blank=True, max_length=MAX_COMMENT)


def _units(serializer: type[serializers.Serializer]) -> Any:
    return serializer(many=True, required=False, max_length=MAX_UNITS)  # type: ignore[call-arg]  # stubs: many=True passes these to ListSerializer


class AnnotationUnitsInputSerializer(serializers.Serializer):
    spans = _units(SpanInputSerializer)
    steps = _units(StepInputSerializer)
    regions = _units(RegionInputSerializer)
    rubric_scores = _units(RubricScoreInputSerializer)
    preferences = _units(PreferenceInputSerializer)
    critiques = _units(CritiqueInputSerializer)
    missing_info = _units(MissingInfoInputSerializer)
    time_spent_ms = serializers.IntegerField(min_value=0, max_value=10**9, required=False)
    metadata = serializers.DictField(required=False)


class AnnotationCreateInputSerializer(AnnotationUnitsInputSerializer):
    client_id = serializers.UUIDField(help_text="Client-generated; repeats return the same row.")
    status = serializers.ChoiceField(choices=WRITE_STATUSES, required=False)


class AnnotationUpdateInputSerializer(AnnotationUnitsInputSerializer):
    version = serializers.IntegerField(min_value=1, help_text="The version this edit is based on.")
    status = serializers.ChoiceField(choices=WRITE_STATUSES, required=False)


class AnnotationSubmitInputSerializer(serializers.Serializer):
    version = serializers.IntegerField(min_value=1)


class AnnotationReviewInputSerializer(serializers.Serializer):
    version = serializers.IntegerField(min_value=1)
    decision = serializers.ChoiceField(choices=REVIEW_DECISIONS)


class AnnotationBulkEntryInputSerializer(AnnotationUnitsInputSerializer):
    item = serializers.IntegerField(min_value=1)
    client_id = serializers.UUIDField()
    status = serializers.ChoiceField(choices=WRITE_STATUSES, required=False)


class AnnotationBulkInputSerializer(serializers.Serializer):
    judge = serializers.IntegerField(min_value=1)
    annotations = AnnotationBulkEntryInputSerializer(many=True, min_length=1, max_length=20_000)  # type: ignore[call-arg]  # stubs: many=True passes these to ListSerializer
