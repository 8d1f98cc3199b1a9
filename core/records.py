"""Record formats that cross process boundaries: snapshot records and export records.

Plain ``TypedDict``s with no Django import: the reward-model trainer (``rewards/training``)
reads the same records the export API serves, and imports this module in a torch worker.

A dataset snapshot is a JSON-lines file of ``SnapshotRecord``s, one per item, written by
``datasets.services.snapshots`` inside one consistent read of the database. Every export
format (``datasets/formats/``) is a pure function from those records to the records below.
Offsets are Unicode code points into the stored text, half-open ``[start, end)`` (DESIGN §2);
region points are normalised to ``[0, 1]``.
"""

from __future__ import annotations

from typing import Any, Literal, NotRequired, TypedDict

SNAPSHOT_FORMAT_VERSION = 1

# --- snapshot records (the canonical, aggregated read of the database) ----------------------


class Message(TypedDict):
    role: str
    content: str


class Passage(TypedDict):
    title: str
    sentences: list[str]


class ItemRecord(TypedDict):
    id: int
    external_id: str
    prompt: str
    messages: list[Message]
    context: list[Passage]
    metadata: dict[str, Any]
    is_gold: bool


class ResponseRecord(TypedDict):
    index: int
    kind: Literal["text", "steps", "image"]
    model_name: str
    text: str
    steps: list[str]
    image_url: str
    image_width: int | None
    image_height: int | None
    metadata: dict[str, Any]


class SpanRecord(TypedDict):
    response: int  # response index within the item
    start: int
    end: int
    error_type: str  # ErrorType.key
    severity: int | None  # 1-based level of the error type's severity scale
    comment: str
    confidence: float | None


class StepRecord(TypedDict):
    response: int
    step_index: int
    rating: int  # -1 / 0 / +1 (PRM800K)
    error_type: str | None
    comment: str


class RegionRecord(TypedDict):
    response: int
    shape: Literal["box", "polygon"]
    points: list[list[float]]
    error_type: str
    severity: int | None
    comment: str


class RubricScoreRecord(TypedDict):
    response: int
    criterion: str  # RubricCriterion.key
    score: int
    rationale: str


class PreferenceRecord(TypedDict):
    response_a: int
    response_b: int
    value: int  # -3 (A much better) ... +3 (B much better), 0 = tie
    rationale: str
    criterion: str | None


class CritiqueRecord(TypedDict):
    response: int
    text: str


class MissingInfoRecord(TypedDict):
    response: int
    error_type: str
    passage_index: int | None
    sentence_indices: list[int]
    comment: str


class AuthorRecord(TypedDict):
    """Who made an annotation: a user, an AI judge, or an aggregation of several."""

    kind: Literal["human", "judge", "aggregate"]
    id: int | None  # user id or judge id; None for an aggregate
    name: str  # username, judge name, or the aggregation policy
    judge_kind: NotRequired[str]
    model_name: NotRequired[str]
    prompt_version: NotRequired[str]


class AnnotationRecord(TypedDict):
    id: int | None  # None for an aggregate
    status: str
    version: int
    author: AuthorRecord
    taxonomy_version: int | None
    rubric_version: int | None
    created_at: str  # ISO 8601 UTC
    submitted_at: str | None
    reviewed_at: str | None
    reviewed_by: str | None
    time_spent_ms: int
    metadata: dict[str, Any]
    source_annotations: list[int]  # the annotations an aggregate was made from; [id] otherwise
    spans: list[SpanRecord]
    steps: list[StepRecord]
    regions: list[RegionRecord]
    rubric_scores: list[RubricScoreRecord]
    preferences: list[PreferenceRecord]
    critiques: list[CritiqueRecord]
    missing_info: list[MissingInfoRecord]


class SnapshotRecord(TypedDict):
    """One item with its responses and its selected (and aggregated) annotations."""

    item: ItemRecord
    responses: list[ResponseRecord]
    annotations: list[AnnotationRecord]


class ErrorTypeInfo(TypedDict):
    key: str
    name: str
    severity_levels: list[str]
    unit_kinds: list[str]


class CriterionInfo(TypedDict):
    key: str
    name: str
    description: str
    levels: list[dict[str, Any]]  # [{"value": 1, "label": "...", "description": "..."}]


class SnapshotInfo(TypedDict):
    """What formats need to know beyond the records: the label vocabularies in force."""

    error_types: list[ErrorTypeInfo]  # union over the snapshot's taxonomy versions
    criteria: list[CriterionInfo]  # union over the snapshot's rubric versions


# --- export records (one TypedDict per format; see docs/exports.md for the rules) -----------

Prompt = str | list[Message]  # standard | conversational
Completion = str | list[Message]


class PreferenceExample(TypedDict):
    """TRL preference: ``{"prompt", "chosen", "rejected"}`` plus ``margin``."""

    prompt: Prompt
    chosen: Completion
    rejected: Completion
    margin: float
    source: Literal["explicit", "errors", "rubric"]
    item_external_id: str
    chosen_response: int
    rejected_response: int
    annotation_id: int | None


class StepwiseExample(TypedDict):
    """TRL stepwise supervision: ``{"prompt", "completions", "labels"}``."""

    prompt: str
    completions: list[str]
    labels: list[bool]
    item_external_id: str
    response_index: int
    annotation_id: int | None


class UnpairedExample(TypedDict):
    """TRL unpaired preference (KTO): ``{"prompt", "completion", "label"}``."""

    prompt: Prompt
    completion: Completion
    label: bool
    item_external_id: str
    response_index: int
    annotation_id: int | None


class SpanLabelOut(TypedDict):
    start: int
    end: int
    error_type: str
    severity: int | None
    annotator: str


class SpansExample(TypedDict):
    prompt: str
    completion: str
    spans: list[SpanLabelOut]
    item_external_id: str
    response_index: int
    annotation_id: int | None


class Segment(TypedDict):
    start: int
    end: int


class CategoryRewards(TypedDict):
    category: str
    segmentation: Literal["sentence", "subsentence"]
    error_types: list[str]
    values: list[int]  # one per segment of ``segmentation``: -1 or +1


class DenseExample(TypedDict):
    """Per-segment rewards as Fine-Grained RLHF assigns them (arXiv 2306.01693)."""

    prompt: str
    completion: str
    sentences: list[Segment]
    subsentences: list[Segment]
    rewards: list[CategoryRewards]
    item_external_id: str
    response_index: int
    annotation_id: int | None


class RubricScoreOut(TypedDict):
    criterion: str
    score: int
    rationale: str


class RubricExample(TypedDict):
    prompt: str
    completion: str
    scores: list[RubricScoreOut]
    total: int
    item_external_id: str
    response_index: int
    annotation_id: int | None


class RubricCriterionExample(TypedDict):
    """Prometheus-style absolute grading: one criterion, its level descriptions, the score."""

    prompt: str
    completion: str
    criterion: str
    criterion_description: str
    levels: list[dict[str, Any]]
    score: int
    rationale: str
    item_external_id: str
    response_index: int
    annotation_id: int | None


class RawExample(TypedDict):
    """Every annotation with its item, responses and provenance."""

    item: ItemRecord
    responses: list[ResponseRecord]
    annotation: AnnotationRecord
