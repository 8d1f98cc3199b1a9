"""Quality API shapes (STYLE rule 12). The agreement report is described field by field so the
browser app gets typed data; docs/quality.md defines every metric."""

from __future__ import annotations

from rest_framework import serializers

from annotator.api.serializers import (
    AnnotationOutputSerializer,
    AnnotationUnitsInputSerializer,
    ItemOutputSerializer,
)
from quality.models import ConsistencyFlag, QualitySettings

# Plain strings, not choices: "status" and "kind" enums of other apps already name schema
# components, and a second choice set under the same field name is a schema warning.
FLAG_STATUS_HELP = "open or dismissed"
F = serializers.FloatField
I = serializers.IntegerField  # noqa: E741
S = serializers.CharField


def _nf(**kwargs: object) -> serializers.FloatField:
    return serializers.FloatField(allow_null=True, **kwargs)  # type: ignore[arg-type]


class QualitySettingsInputSerializer(serializers.Serializer):
    gold_rate = F(min_value=0, max_value=1, required=False)
    low_agreement_threshold = F(min_value=0, max_value=1, required=False)
    high_total_threshold = F(min_value=0, max_value=1, required=False)
    recompute_after_s = I(min_value=0, max_value=86_400, required=False)


class QualitySettingsOutputSerializer(serializers.ModelSerializer):
    consensus_judge = I(source="consensus_judge_id", allow_null=True, read_only=True)

    class Meta:
        model = QualitySettings
        fields = (
            "gold_rate",
            "low_agreement_threshold",
            "high_total_threshold",
            "recompute_after_s",
            "consensus_judge",
        )


class SpanRowSerializer(serializers.Serializer):
    error_type = S(help_text='An error type key, or "(all)".')
    f1 = _nf(help_text="Character-overlap F1, every two annotators.")
    f1_severity = _nf(help_text="Severity-weighted F1 (weighted Dice).")
    alpha_unitizing = _nf(help_text="Krippendorff's unitizing alpha (1995).")
    alpha_char = _nf(help_text="Nominal alpha with characters as units.")
    alpha_char_severity = _nf(help_text="Interval alpha on severity, characters as units.")
    marked_chars = I()


class ConfusionSerializer(serializers.Serializer):
    labels = serializers.ListField(child=S())
    matrix = serializers.ListField(child=serializers.ListField(child=I()))
    unit = S()


class SpanReportSerializer(serializers.Serializer):
    sections = I(help_text="Text responses labelled by two or more annotators.")
    by_error_type = SpanRowSerializer(many=True)
    confusion = ConfusionSerializer()


class StepReportSerializer(serializers.Serializer):
    units = I()
    alpha_ordinal = _nf()
    responses = I()
    first_error_agreement = _nf()
    first_error_alpha = _nf()


class RubricRowSerializer(serializers.Serializer):
    criterion = S()
    units = I()
    alpha_interval = _nf()
    alpha_ordinal = _nf()
    kappa_quadratic = _nf()
    kappa_linear = _nf()


class RubricReportSerializer(serializers.Serializer):
    by_criterion = RubricRowSerializer(many=True)
    alpha_interval_mean = _nf()


class PreferenceReportSerializer(serializers.Serializer):
    units = I()
    kappa_quadratic = _nf()
    kappa_linear = _nf()
    sign_agreement = _nf()
    alpha_interval = _nf()


class PairRowSerializer(serializers.Serializer):
    a = S()
    b = S()
    a_name = S()
    b_name = S()
    kind = S(help_text="human-human or human-judge")
    sections = I()
    items = I()
    span_f1 = _nf()
    span_alpha_unitizing = _nf()
    steps = I()
    step_alpha_ordinal = _nf()
    first_error_agreement = _nf()
    rubric_units = I()
    rubric_kappa_quadratic = _nf()
    preferences = I()
    preference_kappa_quadratic = _nf()
    preference_sign_agreement = _nf()


class AnnotatorRowSerializer(serializers.Serializer):
    coder = S()
    name = S()
    pairs = I(help_text="Human–human pairs the annotator is in.")
    span_f1 = _nf(help_text="Mean span F1 with the other annotators (weighted by sections).")
    span_alpha_unitizing = _nf(
        help_text="Mean span αU with the other annotators (m = 2, weighted by sections)."
    )
    step_alpha_ordinal = _nf()
    rubric_kappa_quadratic = _nf()
    preference_kappa_quadratic = _nf()


class ThroughputDaySerializer(serializers.Serializer):
    date = serializers.DateField()
    annotations = I()
    mean_time_ms = I()
    median_time_ms = I()


class ThroughputAnnotatorSerializer(serializers.Serializer):
    coder = S()
    name = S()
    annotations = I()
    mean_time_ms = I()


class ThroughputSerializer(serializers.Serializer):
    by_day = ThroughputDaySerializer(many=True)
    by_annotator = ThroughputAnnotatorSerializer(many=True)


class GoldRowSerializer(serializers.Serializer):
    coder = S()
    name = S()
    gold_items = I()
    span_precision = _nf()
    span_recall = _nf()
    span_f1 = _nf()
    step_accuracy = _nf()
    rubric_closeness = _nf()
    preference_sign_agreement = _nf()
    score = _nf()


class AgreementReportSerializer(serializers.Serializer):
    annotations = I()
    items_compared = I()
    coders = serializers.DictField(child=S())
    spans = SpanReportSerializer()
    steps = StepReportSerializer()
    rubric = RubricReportSerializer()
    preferences = PreferenceReportSerializer()
    pairs = PairRowSerializer(many=True)
    annotators = AnnotatorRowSerializer(many=True)
    throughput = ThroughputSerializer()
    gold = GoldRowSerializer(many=True)
    low_agreement_items = I()
    open_flags = I()
    duration_ms = I()


class AgreementPointSerializer(serializers.Serializer):
    id = I()
    created_at = serializers.DateTimeField()
    annotations = I()
    items = I()
    span_f1 = _nf()
    span_alpha = _nf()
    step_alpha = _nf()
    rubric_alpha = _nf()
    preference_kappa = _nf()


def _over_time(help_text: str, child: serializers.Field | None = None) -> serializers.ListField:
    return serializers.ListField(child=child or _nf(), help_text=help_text)


ALIGNED = "One value per snapshot of history (null: not in that snapshot)."


class ErrorTypeSeriesSerializer(serializers.Serializer):
    error_type = S()
    marked_chars = _over_time(ALIGNED, I(allow_null=True))
    f1 = _over_time("Character-overlap F1 of this type. " + ALIGNED)
    f1_severity = _over_time("Severity-weighted F1. " + ALIGNED)
    alpha_unitizing = _over_time("Unitizing α of this type. " + ALIGNED)
    alpha_char = _over_time("Nominal α, characters as units. " + ALIGNED)


class AnnotatorSeriesSerializer(serializers.Serializer):
    coder = S()
    name = S(help_text="As of the newest snapshot with this annotator.")
    pairs = _over_time("Human–human pairs the annotator was in. " + ALIGNED, I(allow_null=True))
    span_f1 = _over_time("Mean span F1 with the other annotators. " + ALIGNED)
    span_alpha_unitizing = _over_time("Mean span αU with the other annotators. " + ALIGNED)
    step_alpha_ordinal = _over_time("Mean step ordinal α with the others. " + ALIGNED)
    rubric_kappa_quadratic = _over_time("Mean rubric quadratic κ with the others. " + ALIGNED)
    preference_kappa_quadratic = _over_time("Mean preference quadratic κ. " + ALIGNED)


class AgreementSeriesSerializer(serializers.Serializer):
    by_error_type = ErrorTypeSeriesSerializer(
        many=True, help_text="Per error type, most characters marked first."
    )
    by_annotator = AnnotatorSeriesSerializer(
        many=True, help_text="Per annotator (humans sharing items), most pairs first."
    )


class AgreementOutputSerializer(serializers.Serializer):
    snapshot = AgreementPointSerializer(allow_null=True)
    report = AgreementReportSerializer(allow_null=True)
    stale = serializers.BooleanField(help_text="Labels (not drafts) changed after this report.")
    history = AgreementPointSerializer(many=True, help_text="Oldest first, up to 200.")
    series = AgreementSeriesSerializer(
        help_text="Agreement per error type and per annotator over the snapshots of history."
    )


class ReviewQueueEntrySerializer(serializers.Serializer):
    id = I()
    external_id = S()
    prompt = S()
    is_gold = serializers.BooleanField()
    annotation_count = I()
    agreement = _nf(source="agreement_score")
    annotators = I(allow_null=True)
    low_agreement = serializers.BooleanField()
    pending = serializers.BooleanField()
    reviewer = S(allow_null=True, help_text="Who holds the review lease, if unexpired.")


class ReviewQueueOutputSerializer(serializers.Serializer):
    results = ReviewQueueEntrySerializer(many=True)
    count = I()


class SpanMarkSerializer(serializers.Serializer):
    cluster = I(required=False)
    agreed = serializers.BooleanField(required=False)


class AnnotationDiffSerializer(serializers.Serializer):
    id = I()
    spans = SpanMarkSerializer(many=True, help_text="One per span, in the annotation's order.")
    steps_disputed = serializers.ListField(child=serializers.BooleanField())
    rubric_disputed = serializers.ListField(child=serializers.BooleanField())
    preferences_disputed = serializers.ListField(child=serializers.BooleanField())


class MergedSpanSerializer(serializers.Serializer):
    start = I()
    end = I()


class ClusterSerializer(serializers.Serializer):
    id = I()
    response = I()
    error_type = S()
    annotations = serializers.ListField(child=I())
    voters = I()
    kept = serializers.BooleanField()
    merged = MergedSpanSerializer(allow_null=True)


class ItemAgreementSerializer(serializers.Serializer):
    score = F()
    annotators = I()
    parts = serializers.DictField(child=F())


class ProposalSerializer(serializers.Serializer):
    spans = serializers.ListField(child=serializers.DictField())
    steps = serializers.ListField(child=serializers.DictField())
    regions = serializers.ListField(child=serializers.DictField())
    rubric_scores = serializers.ListField(child=serializers.DictField())
    preferences = serializers.ListField(child=serializers.DictField())
    critiques = serializers.ListField(child=serializers.DictField())
    missing_info = serializers.ListField(child=serializers.DictField())


class ItemReviewOutputSerializer(serializers.Serializer):
    item = I()
    agreement = ItemAgreementSerializer(allow_null=True)
    overlap_threshold = F()
    clusters = ClusterSerializer(many=True)
    annotations = AnnotationDiffSerializer(many=True)
    consensus = AnnotationOutputSerializer(allow_null=True)
    proposal = ProposalSerializer(help_text="What the consensus rule proposes (units).")


class ConsensusInputSerializer(AnnotationUnitsInputSerializer):
    based_on = I(
        allow_null=True, help_text="Id of the consensus this replaces; null for the first."
    )
    based_on_version = I(required=False, allow_null=True)
    sources = serializers.ListField(child=I(), required=False, max_length=100)


class ReviewNextOutputSerializer(serializers.Serializer):
    item = ItemOutputSerializer()


class GoldInputSerializer(serializers.Serializer):
    item = I()
    annotation = I(help_text="The reference annotation (human, submitted or accepted).")


class GoldItemSerializer(serializers.Serializer):
    item = I(source="item_id")
    external_id = S(source="item.external_id")
    annotation = I(source="annotation_id")
    author = S(source="annotation.author.username", allow_null=True, default=None)
    created_at = serializers.DateTimeField()


class GoldOutputSerializer(serializers.Serializer):
    items = GoldItemSerializer(many=True)
    accuracy = GoldRowSerializer(many=True)


class ConsistencyFlagOutputSerializer(serializers.ModelSerializer):
    item = I(source="item_id")
    annotation = I(source="annotation_id")
    author = S(source="annotation.author.username", allow_null=True, default=None)
    external_id = S(source="item.external_id")
    kind = S(help_text="rubric_vs_spans or rubric_vs_preference")
    status = S(help_text=FLAG_STATUS_HELP)

    class Meta:
        model = ConsistencyFlag
        fields = (
            "id", "item", "external_id", "annotation", "author", "kind", "key", "message",
            "details", "status", "created_at",
        )  # fmt: skip


class ConsistencyFlagStatusInputSerializer(serializers.Serializer):
    status = S(help_text=FLAG_STATUS_HELP)

    def validate_status(self, value: str) -> str:
        if value not in ConsistencyFlag.Status.values:
            raise serializers.ValidationError("Must be open or dismissed.")
        return value
