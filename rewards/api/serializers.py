"""Serializers of the reward-model API: plain input serializers (shape only; the services
validate the rules) and read-only output serializers."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from rewards.models import RewardModel, RewardModelVersion, ScoreJob, TrainingRun, TriageEntry


class RewardModelCreateInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    kind = serializers.ChoiceField(choices=RewardModel.Kind.choices)
    mode = serializers.ChoiceField(choices=RewardModel.Mode.choices, default="fast")
    backbone = serializers.CharField(max_length=500, default="minilm")
    hyperparameters = serializers.DictField(required=False, default=dict)
    snapshot_filters = serializers.DictField(required=False, default=dict)
    refresh_every_annotations = serializers.IntegerField(
        min_value=1, required=False, allow_null=True, default=None
    )
    refresh_interval_minutes = serializers.IntegerField(
        min_value=1, required=False, allow_null=True, default=None
    )
    suggestions_enabled = serializers.BooleanField(default=True)


class RewardModelUpdateInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120, required=False)
    mode = serializers.ChoiceField(choices=RewardModel.Mode.choices, required=False)
    backbone = serializers.CharField(max_length=500, required=False)
    hyperparameters = serializers.DictField(required=False)
    snapshot_filters = serializers.DictField(required=False)
    refresh_every_annotations = serializers.IntegerField(
        min_value=1, required=False, allow_null=True
    )
    refresh_interval_minutes = serializers.IntegerField(
        min_value=1, required=False, allow_null=True
    )
    suggestions_enabled = serializers.BooleanField(required=False)


class VersionOutputSerializer(serializers.ModelSerializer):
    run = serializers.IntegerField(source="run_id", read_only=True)
    baseline_version = serializers.IntegerField(
        source="baseline_version_id", read_only=True, allow_null=True
    )
    baseline_number = serializers.SerializerMethodField()

    class Meta:
        model = RewardModelVersion
        fields = [
            "id",
            "number",
            "run",
            "artifact_path",
            "metrics",
            "primary_metric",
            "score",
            "baseline_version",
            "baseline_number",
            "baseline_score",
            "is_active",
            "activated_at",
            "activation_reason",
            "created_at",
        ]
        read_only_fields = fields

    def get_baseline_number(self, obj: RewardModelVersion) -> int | None:
        return obj.baseline_version.number if obj.baseline_version else None


class RewardModelOutputSerializer(serializers.ModelSerializer):
    active_version = serializers.SerializerMethodField()
    judge = serializers.IntegerField(source="judge_id", read_only=True, allow_null=True)

    class Meta:
        model = RewardModel
        fields = [
            "id",
            "name",
            "kind",
            "mode",
            "backbone",
            "hyperparameters",
            "snapshot_filters",
            "refresh_every_annotations",
            "refresh_interval_minutes",
            "annotations_at_last_run",
            "last_run_requested_at",
            "suggestions_enabled",
            "judge",
            "active_version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(VersionOutputSerializer(allow_null=True))
    def get_active_version(self, obj: RewardModel) -> dict[str, Any] | None:
        active = next((v for v in obj.versions.all() if v.is_active), None)
        return VersionOutputSerializer(active).data if active else None


class TrainingRunRequestInputSerializer(serializers.Serializer):
    snapshot = serializers.IntegerField(
        min_value=1,
        required=False,
        allow_null=True,
        help_text="Train on this built snapshot (default: a new one with the model's filters).",
    )
    hyperparameters = serializers.DictField(
        required=False, default=dict, help_text="Overrides for this run only."
    )


class TrainingRunOutputSerializer(serializers.ModelSerializer):
    reward_model = serializers.IntegerField(source="reward_model_id", read_only=True)
    snapshot = serializers.IntegerField(source="snapshot_id", read_only=True)
    version = serializers.SerializerMethodField()
    progress = serializers.SerializerMethodField()

    class Meta:
        model = TrainingRun
        fields = [
            "id",
            "reward_model",
            "snapshot",
            "status",
            "trigger",
            "config",
            "code_version",
            "records_sha256",
            "step",
            "total_steps",
            "epoch",
            "phase",
            "progress",
            "history",
            "evaluations",
            "metrics",
            "artifact_path",
            "heartbeat_at",
            "attempts",
            "max_attempts",
            "resumed_from_step",
            "log_tail",
            "error",
            "worker",
            "started_at",
            "finished_at",
            "created_at",
            "version",
        ]
        read_only_fields = fields

    def get_version(self, obj: TrainingRun) -> int | None:
        version = getattr(obj, "version", None)
        return version.number if version is not None else None

    def get_progress(self, obj: TrainingRun) -> float:
        """0..1: steps done over steps planned (1 once succeeded)."""
        if obj.status == TrainingRun.Status.SUCCEEDED:
            return 1.0
        return round(obj.step / obj.total_steps, 4) if obj.total_steps else 0.0


class TrainingRunListOutputSerializer(TrainingRunOutputSerializer):
    class Meta(TrainingRunOutputSerializer.Meta):
        fields = [
            f
            for f in TrainingRunOutputSerializer.Meta.fields
            if f not in ("history", "evaluations", "config", "log_tail")
        ]
        read_only_fields = fields


class VersionCompareOutputSerializer(serializers.Serializer):
    a = VersionOutputSerializer()
    b = VersionOutputSerializer()
    metrics = serializers.ListField(
        child=serializers.DictField(),
        help_text="[{name, a, b, delta}] for every numeric held-out metric both versions have.",
    )


class ScoreInputEntrySerializer(serializers.Serializer):
    prompt = serializers.CharField(required=False, allow_blank=True, default="")
    text = serializers.CharField(
        required=False, allow_blank=True, default="", trim_whitespace=False
    )
    steps = serializers.ListField(
        child=serializers.CharField(trim_whitespace=False), required=False, default=list
    )
    context = serializers.ListField(  # type: ignore[assignment]  # a declared field (stubs)
        child=serializers.DictField(),
        required=False,
        default=list,
        help_text='Passages: [{"title", "sentences": [...]}].',
    )


class ScoreRequestInputSerializer(serializers.Serializer):
    inputs = ScoreInputEntrySerializer(many=True)
    version = serializers.IntegerField(
        min_value=1,
        required=False,
        allow_null=True,
        help_text="A version id (default: the active one).",
    )


class ScoreJobOutputSerializer(serializers.ModelSerializer):
    reward_model = serializers.IntegerField(source="reward_model_id", read_only=True)
    version = serializers.IntegerField(source="version_id", read_only=True)
    version_number = serializers.IntegerField(source="version.number", read_only=True)
    results = serializers.JSONField(
        read_only=True,
        help_text="One per input. span: {categories: [{name, segmentation, segments: [{start, "
        "end, text, error_probability, reward, error_type}]}], error_spans: [{start, end, "
        "error_type, category, confidence}]}; step: {steps: [{index, reward, predicted, "
        "probabilities}], error_steps}; rubric: {scores}; preference: {reward}.",
    )

    class Meta:
        model = ScoreJob
        fields = [
            "id",
            "reward_model",
            "version",
            "version_number",
            "status",
            "inputs",
            "results",
            "tokens",
            "seconds",
            "error",
            "created_at",
            "finished_at",
        ]
        read_only_fields = fields


class TriageEntryOutputSerializer(serializers.ModelSerializer):
    item = serializers.IntegerField(source="item_id", read_only=True)
    external_id = serializers.CharField(source="item.external_id", read_only=True)
    version = serializers.IntegerField(source="version.number", read_only=True)

    class Meta:
        model = TriageEntry
        fields = [
            "id",
            "item",
            "external_id",
            "response_index",
            "version",
            "disagreement",
            "disagreeing_segments",
            "segments",
            "details",
        ]
        read_only_fields = fields


def compare_metrics(a: dict[str, Any], b: dict[str, Any], prefix: str = "") -> list[dict]:
    """Flatten two metric dicts into ``[{name, a, b, delta}]`` for their shared numbers."""
    rows: list[dict[str, Any]] = []
    for key in sorted(set(a) & set(b)):
        name = f"{prefix}{key}"
        va, vb = a[key], b[key]
        if isinstance(va, dict) and isinstance(vb, dict):
            rows.extend(compare_metrics(va, vb, f"{name}."))
        elif isinstance(va, int | float) and isinstance(vb, int | float):
            if isinstance(va, bool) or isinstance(vb, bool):
                continue
            rows.append({"name": name, "a": va, "b": vb, "delta": vb - va})
    return rows
