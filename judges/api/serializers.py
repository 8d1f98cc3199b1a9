"""Judges API shapes. Input serializers check shape only; services check the rest.

The ``config`` of a judge is one of four shapes, by kind; it is validated (with defaults
filled in) by ``judges.kinds.config_validate``. No API key is ever accepted or returned:
``openai`` judges name the environment variable holding it.
"""

from __future__ import annotations

import os
from typing import Any

from django.contrib.auth.models import User
from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema_field
from rest_framework import serializers

from annotator.models import Judge
from judges.kinds import DEVICES, DTYPES, STRUCTURED_OUTPUT
from judges.models import JudgeCalibration, JudgeResult, JudgeRun, JudgeTask
from judges.selectors import AnnotatedJudge, runs_by_id
from judges.services.runs import judge_tasks

MAX_IDS = 100_000

# --- configuration shapes (documentation of ``config``; validation is in judges.kinds) --------


class OpenAIConfigSerializer(serializers.Serializer):
    base_url = serializers.CharField(help_text="OpenAI-compatible base, e.g. https://host/v1.")
    model = serializers.CharField(max_length=200)
    api_key_env = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="Name of the environment variable holding the key (FINEGRAIN_JUDGE_KEY_*).",
    )
    temperature = serializers.FloatField(required=False, min_value=0, max_value=2)
    max_tokens = serializers.IntegerField(required=False, min_value=1, max_value=32768)
    max_concurrency = serializers.IntegerField(required=False, min_value=1, max_value=64)
    rate_limit_per_minute = serializers.IntegerField(
        required=False, min_value=0, help_text="Requests per minute; 0 = no limit."
    )
    timeout_s = serializers.FloatField(required=False, min_value=0.05, max_value=600)
    max_retries = serializers.IntegerField(required=False, min_value=0, max_value=10)
    retry_backoff_s = serializers.FloatField(required=False, min_value=0, max_value=60)
    structured_output = serializers.ChoiceField(choices=STRUCTURED_OUTPUT, required=False)
    max_response_bytes = serializers.IntegerField(required=False, min_value=1024)


class TransformersConfigSerializer(serializers.Serializer):
    checkpoint_path = serializers.CharField(
        help_text="Absolute; inside FINEGRAIN_JUDGE_MODEL_DIRS."
    )
    device = serializers.ChoiceField(choices=DEVICES, required=False)
    dtype = serializers.ChoiceField(choices=DTYPES, required=False)
    max_new_tokens = serializers.IntegerField(required=False, min_value=1, max_value=8192)
    temperature = serializers.FloatField(required=False, min_value=0, max_value=2)
    max_input_tokens = serializers.IntegerField(required=False, min_value=16)


class RewardModelConfigSerializer(serializers.Serializer):
    reward_model = serializers.IntegerField(min_value=1, help_text="A registered reward model id.")
    threshold = serializers.FloatField(
        required=False,
        allow_null=True,
        min_value=0,
        max_value=1,
        help_text="P(error) above which a segment is an error span; null: the model's own.",
    )


class RuleSerializer(serializers.Serializer):
    error_type = serializers.SlugField()
    pattern = serializers.CharField(
        required=False, allow_null=True, help_text="A Python regular expression."
    )
    words = serializers.ListField(child=serializers.CharField(), required=False, allow_null=True)
    ignore_case = serializers.BooleanField(required=False)
    comment = serializers.CharField(required=False, allow_blank=True)


class RulesConfigSerializer(serializers.Serializer):
    rules = RuleSerializer(many=True)


JUDGE_CONFIG_SCHEMA = PolymorphicProxySerializer(
    component_name="JudgeConfig",
    serializers=[
        OpenAIConfigSerializer,
        TransformersConfigSerializer,
        RewardModelConfigSerializer,
        RulesConfigSerializer,
    ],
    resource_type_field_name=None,
)


@extend_schema_field(JUDGE_CONFIG_SCHEMA)
class JudgeConfigField(serializers.JSONField):
    """The kind-specific configuration (openai, transformers, reward_model or rules)."""


# --- judges ------------------------------------------------------------------------------------


class JudgeCreateInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    kind = serializers.ChoiceField(choices=Judge.Kind.choices, default=Judge.Kind.EXTERNAL)
    model_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    config = JudgeConfigField(required=False, allow_null=True)


class JudgeUpdateInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120, required=False)
    model_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    config = JudgeConfigField(required=False)


class JudgeRunOutputSerializer(serializers.ModelSerializer):
    judge_name = serializers.CharField(source="judge.name", read_only=True)
    created_by: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )
    filters = serializers.DictField(read_only=True)
    options = serializers.DictField(read_only=True)

    class Meta:
        model = JudgeRun
        fields = [
            "id", "judge", "judge_name", "task", "prompt_version", "filters", "options",
            "status", "cancel_requested", "total", "processed", "succeeded_count",
            "failed_count", "unplaced_quotes", "requests", "prompt_tokens", "completion_tokens",
            "error", "attempts", "created_by", "created_at", "started_at", "finished_at",
            "heartbeat_at",
        ]  # fmt: skip
        read_only_fields = fields


class JudgeOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=Judge.Kind.choices)
    model_name = serializers.CharField()
    prompt_version = serializers.CharField()
    created_at = serializers.DateTimeField()
    config = serializers.SerializerMethodField(
        allow_null=True, help_text="null: not configured (external judges, suggestion carriers)."
    )
    api_key_env_set = serializers.SerializerMethodField()
    tasks = serializers.SerializerMethodField()
    configurable = serializers.SerializerMethodField()
    suggestions_of_reward_model = serializers.IntegerField(
        source="suggestions_of",
        allow_null=True,
        help_text="The reward model whose suggestions this judge carries (not configurable).",
    )
    last_run = serializers.SerializerMethodField(allow_null=True)

    def _settings(self, judge: Judge) -> dict[str, Any] | None:
        # A missing one-to-one raises RelatedObjectDoesNotExist, an AttributeError.
        configuration = getattr(judge, "configuration", None)
        return dict(configuration.settings) if configuration is not None else None

    @extend_schema_field(JUDGE_CONFIG_SCHEMA)
    def get_config(self, judge: Judge) -> dict[str, Any] | None:
        return self._settings(judge)

    def get_api_key_env_set(self, judge: Judge) -> bool | None:
        """Whether the named variable is set in the web process (workers may differ)."""
        name = (self._settings(judge) or {}).get("api_key_env")
        return bool(os.environ.get(name)) if name else None

    def get_tasks(self, judge: Judge) -> list[str]:
        return judge_tasks(judge=judge)

    def get_configurable(self, judge: AnnotatedJudge) -> bool:
        """Whether a configuration can be set (and runs started once it is)."""
        return judge.kind != Judge.Kind.EXTERNAL and judge.suggestions_of is None

    @extend_schema_field(JudgeRunOutputSerializer(allow_null=True))
    def get_last_run(self, judge: AnnotatedJudge) -> dict[str, Any] | None:
        """The judge's newest run. Lists pass ``runs`` (by id) in the context: one query."""
        if judge.last_run_id is None:
            return None
        runs = self.context.get("runs")
        if runs is None:
            runs = runs_by_id([judge.last_run_id])
        run = runs.get(judge.last_run_id)
        return JudgeRunOutputSerializer(run).data if run is not None else None


# --- runs --------------------------------------------------------------------------------------


class JudgeRunFiltersSerializer(serializers.Serializer):
    item_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1), required=False, max_length=MAX_IDS
    )
    external_ids = serializers.ListField(
        child=serializers.CharField(max_length=255), required=False, max_length=MAX_IDS
    )
    is_gold = serializers.BooleanField(required=False, allow_null=True, default=None)
    min_annotations = serializers.IntegerField(min_value=0, required=False)
    max_annotations = serializers.IntegerField(min_value=0, required=False)
    annotated_by = serializers.CharField(max_length=150, required=False)
    search = serializers.CharField(max_length=200, required=False)
    limit = serializers.IntegerField(min_value=1, required=False, help_text="First n by item id.")
    unjudged_only = serializers.BooleanField(
        required=False, help_text="Skip items this judge already annotated."
    )


class JudgeRunOptionsSerializer(serializers.Serializer):
    responses = serializers.ListField(
        child=serializers.IntegerField(min_value=0, max_value=1000),
        required=False,
        max_length=100,
        help_text="Response indices to judge (spans, steps, rubric); default: all of the kind.",
    )
    criteria = serializers.ListField(
        child=serializers.SlugField(max_length=64), required=False, max_length=100
    )
    response_a = serializers.IntegerField(min_value=0, required=False)
    response_b = serializers.IntegerField(min_value=0, required=False)
    criterion = serializers.SlugField(max_length=64, required=False, allow_blank=True)


class JudgeRunCreateInputSerializer(serializers.Serializer):
    task = serializers.ChoiceField(choices=JudgeTask.choices)
    prompt_template = serializers.CharField(
        max_length=200,
        required=False,
        allow_blank=True,
        help_text="A template version (spans-v1, project/<name>-v<n>); default: latest shipped.",
    )
    filters = JudgeRunFiltersSerializer(required=False)
    options = JudgeRunOptionsSerializer(required=False)


class UnplacedQuoteSerializer(serializers.Serializer):
    response = serializers.IntegerField()
    quote = serializers.CharField()
    reason = serializers.CharField()


class JudgeResultOutputSerializer(serializers.ModelSerializer):
    item_external_id = serializers.CharField(source="item.external_id", read_only=True)
    outputs = serializers.ListField(
        child=serializers.CharField(), read_only=True, help_text="Untrusted: render as text."
    )
    unplaced = UnplacedQuoteSerializer(many=True, read_only=True)

    class Meta:
        model = JudgeResult
        fields = [
            "id", "item", "item_external_id", "status", "reason", "annotation", "prompt_version",
            "outputs", "unplaced", "requests", "prompt_tokens", "completion_tokens", "latency_ms",
            "created_at",
        ]  # fmt: skip
        read_only_fields = fields


# --- templates, allowlist ----------------------------------------------------------------------


class PromptTemplateCreateInputSerializer(serializers.Serializer):
    name = serializers.SlugField(max_length=64)
    task = serializers.ChoiceField(choices=JudgeTask.choices)
    system = serializers.CharField(
        required=False, allow_blank=True, trim_whitespace=False, default=""
    )
    user = serializers.CharField(trim_whitespace=False)


class PromptTemplateOutputSerializer(serializers.Serializer):
    version = serializers.CharField(help_text="What a run's prompt_template takes.")
    source = serializers.ChoiceField(choices=["shipped", "project"])  # type: ignore[assignment]  # a declared field, not Field.source (stubs)
    task = serializers.ChoiceField(choices=JudgeTask.choices)
    system = serializers.CharField()
    user = serializers.CharField()
    sha256 = serializers.CharField()
    created_at = serializers.DateTimeField(allow_null=True)


class AllowedHostsOutputSerializer(serializers.Serializer):
    hosts = serializers.ListField(child=serializers.CharField())
    from_settings = serializers.ListField(child=serializers.CharField())
    from_project = serializers.ListField(child=serializers.CharField())


# --- calibration -------------------------------------------------------------------------------


class SpanAgreementSerializer(serializers.Serializer):
    error_type = serializers.CharField(help_text='"(any)" ignores the types.')
    precision = serializers.FloatField(allow_null=True)
    recall = serializers.FloatField(allow_null=True)
    f1 = serializers.FloatField(allow_null=True)
    judge_chars = serializers.IntegerField()
    human_chars = serializers.IntegerField()
    overlap_chars = serializers.IntegerField()


class SpanCalibrationSerializer(serializers.Serializer):
    responses_compared = serializers.IntegerField()
    by_error_type = SpanAgreementSerializer(many=True)


class StepTypeAgreementSerializer(serializers.Serializer):
    error_type = serializers.CharField()
    human_negative_steps = serializers.IntegerField()
    judge_also_negative = serializers.IntegerField()
    recall = serializers.FloatField(allow_null=True)


class StepConfusionSerializer(serializers.Serializer):
    labels = serializers.ListField(child=serializers.IntegerField())
    rows_human_cols_judge = serializers.ListField(
        child=serializers.ListField(child=serializers.IntegerField())
    )


class StepCalibrationSerializer(serializers.Serializer):
    responses_compared = serializers.IntegerField()
    steps_compared = serializers.IntegerField()
    accuracy = serializers.FloatField(allow_null=True)
    first_error_agreement = serializers.FloatField(allow_null=True)
    confusion = StepConfusionSerializer()
    by_error_type = StepTypeAgreementSerializer(many=True)


class RubricAgreementSerializer(serializers.Serializer):
    criterion = serializers.CharField()
    n = serializers.IntegerField()
    kappa_quadratic = serializers.FloatField(allow_null=True)
    spearman = serializers.FloatField(allow_null=True)
    mean_abs_difference = serializers.FloatField(allow_null=True)


class RubricCalibrationSerializer(serializers.Serializer):
    by_criterion = RubricAgreementSerializer(many=True)


class PreferenceCalibrationSerializer(serializers.Serializer):
    n = serializers.IntegerField()
    sign_agreement = serializers.FloatField(allow_null=True)


class CalibrationJudgeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.CharField()
    model = serializers.CharField()


class CalibrationReportSerializer(serializers.Serializer):
    judge = CalibrationJudgeSerializer()
    computed_at = serializers.DateTimeField()
    items_judged = serializers.IntegerField()
    items_compared = serializers.IntegerField()
    spans = SpanCalibrationSerializer()
    steps = StepCalibrationSerializer()
    rubric = RubricCalibrationSerializer()
    preferences = PreferenceCalibrationSerializer()


class JudgeCalibrationOutputSerializer(serializers.ModelSerializer):
    report = CalibrationReportSerializer(read_only=True)

    class Meta:
        model = JudgeCalibration
        fields = ["id", "judge", "items_compared", "created_at", "report"]
        read_only_fields = fields


class JudgeCalibrationComputeInputSerializer(serializers.Serializer):
    span_responses = serializers.ListField(
        child=serializers.IntegerField(min_value=0),
        required=False,
        allow_null=True,
        max_length=100,
        help_text="Responses humans label with spans (no span there = no error).",
    )
