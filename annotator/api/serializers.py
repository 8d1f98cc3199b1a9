"""Input serializers check shape only; services check everything that needs the database.

Output serializers render rows already loaded by selectors (prefetches included), so a
rendered list costs no extra queries.
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from annotator.models import (
    Annotation,
    ApiToken,
    ErrorType,
    Item,
    ProjectMembership,
    RegionLabel,
    Response,
    RubricCriterion,
)
from annotator.models.taxonomy import UNIT_KINDS, VersionStatus

MAX_UNITS = 5000
WRITE_STATUSES = [("draft", "Draft"), ("submitted", "Submitted")]
REVIEW_DECISIONS = [("accepted", "Accepted"), ("rejected", "Rejected")]
MAX_COMMENT = 20_000


# --- users, tokens ---------------------------------------------------------------------------


class UserOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    is_staff = serializers.BooleanField()


class ApiTokenCreateInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    scopes = serializers.ListField(
        child=serializers.ChoiceField(choices=ApiToken.Scope.choices), min_length=1
    )
    projects = serializers.ListField(child=serializers.IntegerField(min_value=1), default=list)
    expires_at = serializers.DateTimeField(required=False, allow_null=True)


class ApiTokenOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    prefix = serializers.CharField()
    scopes = serializers.ListField(child=serializers.CharField())
    projects = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField(allow_null=True)
    revoked_at = serializers.DateTimeField(allow_null=True)
    last_used_at = serializers.DateTimeField(allow_null=True)

    def get_projects(self, token: ApiToken) -> list[int]:
        return sorted(p.pk for p in token.projects.all())


class ApiTokenCreatedOutputSerializer(ApiTokenOutputSerializer):
    token = serializers.CharField(help_text="The secret. Shown once; store it now.")


# --- projects ---------------------------------------------------------------------------------


class ProjectCreateInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, max_length=MAX_COMMENT)
    guidelines = serializers.CharField(required=False, allow_blank=True, max_length=200_000)
    overlap = serializers.IntegerField(min_value=1, max_value=100, required=False)
    lease_seconds = serializers.IntegerField(min_value=30, max_value=7 * 86400, required=False)


class ProjectUpdateInputSerializer(ProjectCreateInputSerializer):
    name = serializers.CharField(max_length=200, required=False)


class ProjectOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    description = serializers.CharField()
    guidelines = serializers.CharField()
    overlap = serializers.IntegerField()
    lease_seconds = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    role = serializers.SerializerMethodField()
    item_count = serializers.SerializerMethodField()
    done_count = serializers.SerializerMethodField()

    def get_role(self, project: Any) -> str | None:
        roles: dict[int, str] = self.context.get("roles", {})
        return roles.get(project.pk, self.context.get("project_role"))

    def get_item_count(self, project: Any) -> int | None:
        return getattr(project, "item_count", None)

    def get_done_count(self, project: Any) -> int | None:
        return getattr(project, "done_count", None)


class MemberSetInputSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    role = serializers.ChoiceField(choices=ProjectMembership.Role.choices)


class MemberOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField(source="user.username")
    user_id = serializers.IntegerField()
    role = serializers.CharField()
    created_at = serializers.DateTimeField()


# --- taxonomy and rubric versions ------------------------------------------------------------


class ErrorTypeSerializer(serializers.Serializer):
    key = serializers.SlugField(max_length=64)
    name = serializers.CharField(max_length=120)
    description = serializers.CharField(required=False, allow_blank=True, max_length=MAX_COMMENT)
    color = serializers.RegexField(r"^#[0-9a-fA-F]{6}$", required=False)
    hotkey = serializers.CharField(required=False, allow_blank=True, max_length=1)
    severity_levels = serializers.ListField(
        child=serializers.CharField(max_length=40), required=False, max_length=10
    )
    unit_kinds = serializers.ListField(
        child=serializers.ChoiceField(choices=UNIT_KINDS), required=False, max_length=4
    )


class TaxonomyUpdateInputSerializer(serializers.Serializer):
    error_types = ErrorTypeSerializer(many=True, max_length=200)


class TaxonomyOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    version = serializers.IntegerField()
    status = serializers.ChoiceField(choices=VersionStatus.choices)
    published_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    error_types = serializers.SerializerMethodField()

    def get_error_types(self, taxonomy: Any) -> list[dict[str, Any]]:
        return [error_type_dict(et) for et in taxonomy.error_types.all()]


def error_type_dict(et: ErrorType) -> dict[str, Any]:
    return {
        "key": et.key,
        "name": et.name,
        "description": et.description,
        "color": et.color,
        "hotkey": et.hotkey,
        "severity_levels": et.severity_levels,
        "unit_kinds": et.unit_kinds,
    }


class RubricLevelSerializer(serializers.Serializer):
    value = serializers.IntegerField(min_value=-1000, max_value=1000)
    label = serializers.CharField(max_length=120, required=False, allow_blank=True)
    description = serializers.CharField(required=False, allow_blank=True, max_length=MAX_COMMENT)


class RubricCriterionSerializer(serializers.Serializer):
    key = serializers.SlugField(max_length=64)
    name = serializers.CharField(max_length=120)
    description = serializers.CharField(required=False, allow_blank=True, max_length=MAX_COMMENT)
    levels = RubricLevelSerializer(many=True, min_length=2, max_length=20)


class RubricUpdateInputSerializer(serializers.Serializer):
    criteria = RubricCriterionSerializer(many=True, max_length=100)


class RubricOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    version = serializers.IntegerField()
    status = serializers.ChoiceField(choices=VersionStatus.choices)
    published_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    criteria = serializers.SerializerMethodField()

    def get_criteria(self, rubric: Any) -> list[dict[str, Any]]:
        return [criterion_dict(c) for c in rubric.criteria.all()]


def criterion_dict(c: RubricCriterion) -> dict[str, Any]:
    return {"key": c.key, "name": c.name, "description": c.description, "levels": c.levels}


# --- items -------------------------------------------------------------------------------------


class ResponseOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    index = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=Response.Kind.choices)
    model_name = serializers.CharField()
    text = serializers.CharField()
    steps = serializers.ListField(child=serializers.CharField())
    image_url = serializers.CharField()
    image_width = serializers.IntegerField(allow_null=True)
    image_height = serializers.IntegerField(allow_null=True)
    metadata = serializers.DictField()


class ItemOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    external_id = serializers.CharField()
    prompt = serializers.CharField()
    messages = serializers.ListField(child=serializers.DictField())
    context = serializers.ListField(child=serializers.DictField())
    metadata = serializers.DictField()
    is_gold = serializers.BooleanField()
    annotation_count = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    responses = ResponseOutputSerializer(many=True)


def iso_datetime(value: Any) -> str | None:
    """DRF's DateTimeField rendering for UTC datetimes (ISO 8601 with a Z)."""
    if value is None:
        return None
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def response_to_dict(r: Response) -> dict[str, Any]:
    return {
        "id": r.pk,
        "index": r.index,
        "kind": r.kind,
        "model_name": r.model_name,
        "text": r.text,
        "steps": r.steps,
        "image_url": r.image_url,
        "image_width": r.image_width,
        "image_height": r.image_height,
        "metadata": r.metadata,
    }


def item_to_dict(item: Item, responses: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Render an item exactly as ItemOutputSerializer does, without DRF's per-field machinery.

    The item list is the hottest read: DRF spends ~1 ms per item walking fields, this loop a
    few microseconds. ItemOutputSerializer stays the schema; a test keeps the two identical.
    ``responses``: rows from ``response_rows_by_item`` (pages); else the prefetched ones.
    """
    if responses is None:
        responses = [response_to_dict(r) for r in item.responses.all()]
    return {
        "id": item.pk,
        "external_id": item.external_id,
        "prompt": item.prompt,
        "messages": item.messages,
        "context": item.context,
        "metadata": item.metadata,
        "is_gold": item.is_gold,
        "annotation_count": item.annotation_count,
        "created_at": iso_datetime(item.created_at),
        "responses": responses,
    }


class AssignmentOutputSerializer(serializers.Serializer):
    item = ItemOutputSerializer()
    expires_at = serializers.DateTimeField()


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
    return serializer(many=True, required=False, max_length=MAX_UNITS)


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
    annotations = AnnotationBulkEntryInputSerializer(many=True, min_length=1, max_length=20_000)


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
        "author": a.author.username if a.author_id else None,
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
        "taxonomy_version": a.taxonomy.version if a.taxonomy_id else None,
        "rubric_version": a.rubric.version if a.rubric_id else None,
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
    errors = serializers.ListField(child=serializers.DictField(), required=False)
