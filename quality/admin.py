"""Operator admin for the quality models; changes go through the API's services."""

from django.contrib import admin

from quality import models as m


@admin.register(m.QualitySettings)
class QualitySettingsAdmin(admin.ModelAdmin):
    list_display = ["pk", "project", "gold_rate", "low_agreement_threshold", "recompute_after_s"]


@admin.register(m.GoldLabel)
class GoldLabelAdmin(admin.ModelAdmin):
    list_display = ["pk", "project", "item", "annotation", "created_by", "created_at"]


@admin.register(m.AgreementSnapshot)
class AgreementSnapshotAdmin(admin.ModelAdmin):
    list_display = [
        "pk", "project", "created_at", "items", "span_alpha", "step_alpha", "rubric_alpha",
        "preference_kappa",
    ]  # fmt: skip
    readonly_fields = ["report"]


@admin.register(m.ItemAgreement)
class ItemAgreementAdmin(admin.ModelAdmin):
    list_display = ["pk", "project", "item", "score", "annotators", "computed_at"]


@admin.register(m.ConsistencyFlag)
class ConsistencyFlagAdmin(admin.ModelAdmin):
    list_display = ["pk", "project", "item", "kind", "key", "status", "created_at"]
    list_filter = ["kind", "status"]


@admin.register(m.ReviewLease)
class ReviewLeaseAdmin(admin.ModelAdmin):
    list_display = ["pk", "project", "item", "reviewer", "expires_at"]
