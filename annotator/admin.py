"""Operator admin for every model. Edits of labels go through the API (services); the admin
shows them read-only so invariants such as versions and counters stay intact."""

from django.contrib import admin

from annotator import models as m


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


class MembershipInline(admin.TabularInline):
    model = m.ProjectMembership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(m.Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ["id", "name", "overlap", "created_at"]
    search_fields = ["name"]
    inlines = [MembershipInline]


@admin.register(m.ProjectMembership)
class ProjectMembershipAdmin(admin.ModelAdmin):
    list_display = ["id", "project", "user", "role"]
    list_filter = ["role"]


class ErrorTypeInline(admin.TabularInline):
    model = m.ErrorType
    extra = 0


@admin.register(m.Taxonomy)
class TaxonomyAdmin(admin.ModelAdmin):
    list_display = ["id", "project", "version", "status", "published_at"]
    list_filter = ["status"]
    inlines = [ErrorTypeInline]


@admin.register(m.ErrorType)
class ErrorTypeAdmin(admin.ModelAdmin):
    list_display = ["id", "taxonomy", "key", "name", "hotkey", "color"]
    search_fields = ["key", "name"]


class CriterionInline(admin.TabularInline):
    model = m.RubricCriterion
    extra = 0


@admin.register(m.Rubric)
class RubricAdmin(admin.ModelAdmin):
    list_display = ["id", "project", "version", "status", "published_at"]
    inlines = [CriterionInline]


@admin.register(m.RubricCriterion)
class RubricCriterionAdmin(admin.ModelAdmin):
    list_display = ["id", "rubric", "key", "name"]


class ResponseInline(ReadOnlyInline):
    model = m.Response
    fields = ["index", "kind", "model_name", "text"]


@admin.register(m.Item)
class ItemAdmin(admin.ModelAdmin):
    list_display = ["id", "project", "external_id", "annotation_count", "is_gold"]
    list_filter = ["is_gold", "project"]
    search_fields = ["external_id", "prompt"]
    readonly_fields = ["annotation_count"]
    inlines = [ResponseInline]


@admin.register(m.Response)
class ResponseAdmin(admin.ModelAdmin):
    list_display = ["id", "item", "index", "kind", "model_name"]
    list_filter = ["kind"]
    readonly_fields = ["text", "steps"]


class SpanInline(ReadOnlyInline):
    model = m.SpanLabel


class StepInline(ReadOnlyInline):
    model = m.StepLabel


class RegionInline(ReadOnlyInline):
    model = m.RegionLabel


class RubricScoreInline(ReadOnlyInline):
    model = m.RubricScore


class PreferenceInline(ReadOnlyInline):
    model = m.PreferenceJudgment
    fk_name = "annotation"


class CritiqueInline(ReadOnlyInline):
    model = m.Critique


class MissingInfoInline(ReadOnlyInline):
    model = m.MissingInfo


@admin.register(m.Annotation)
class AnnotationAdmin(admin.ModelAdmin):
    list_display = ["id", "project", "item", "author", "judge", "status", "version", "updated_at"]
    list_filter = ["status", "project"]
    readonly_fields = ["version", "client_id", "status", "item", "project", "author", "judge"]
    inlines = [
        SpanInline,
        StepInline,
        RegionInline,
        RubricScoreInline,
        PreferenceInline,
        CritiqueInline,
        MissingInfoInline,
    ]


for label_model in (
    m.SpanLabel,
    m.StepLabel,
    m.RegionLabel,
    m.RubricScore,
    m.PreferenceJudgment,
    m.Critique,
    m.MissingInfo,
):
    admin.site.register(label_model, admin.ModelAdmin)


@admin.register(m.Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    list_display = ["id", "project", "item", "user", "status", "expires_at"]
    list_filter = ["status"]


@admin.register(m.Judge)
class JudgeAdmin(admin.ModelAdmin):
    list_display = ["id", "project", "name", "kind", "model_name", "prompt_version"]


@admin.register(m.ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["id", "user", "name", "prefix", "scopes", "revoked_at", "last_used_at"]
    # A token's projects are fixed when it is made (authentication caches them per process):
    # to change them, revoke the token and create another.
    readonly_fields = ["key_hash", "prefix", "projects"]


@admin.register(m.ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    list_display = ["id", "project", "format", "status", "processed", "total", "created_at"]
    list_filter = ["status", "format"]
