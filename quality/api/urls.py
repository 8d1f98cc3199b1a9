"""Routes under ``/api/v1/projects/<project_id>/quality/`` (included from annotator.api.urls).

Bound explicitly with typed converters (STYLE rule 22).
"""

from django.urls import path

from quality.api.views import (
    AgreementViewSet,
    ConsistencyFlagViewSet,
    GoldViewSet,
    QualitySettingsViewSet,
    ReviewViewSet,
)

urlpatterns = [
    path(
        "settings/",
        QualitySettingsViewSet.as_view({"get": "retrieve", "patch": "partial_update"}),
        name="quality-settings",
    ),
    path("agreement/", AgreementViewSet.as_view({"get": "retrieve"}), name="quality-agreement"),
    path(
        "agreement/recompute/",
        AgreementViewSet.as_view({"post": "recompute"}),
        name="quality-agreement-recompute",
    ),
    path("review-queue/", ReviewViewSet.as_view({"get": "queue"}), name="quality-review-queue"),
    path(
        "review-queue/next/",
        ReviewViewSet.as_view({"post": "next"}),
        name="quality-review-next",
    ),
    path(
        "items/<int:item_id>/review/",
        ReviewViewSet.as_view({"get": "retrieve"}),
        name="quality-item-review",
    ),
    path(
        "items/<int:item_id>/consensus/",
        ReviewViewSet.as_view({"post": "consensus"}),
        name="quality-item-consensus",
    ),
    path("gold/", GoldViewSet.as_view({"get": "overview", "post": "create"}), name="quality-gold"),
    path(
        "gold/<int:item_id>/",
        GoldViewSet.as_view({"delete": "destroy"}),
        name="quality-gold-detail",
    ),
    path("flags/", ConsistencyFlagViewSet.as_view({"get": "list"}), name="quality-flag-list"),
    path(
        "flags/<int:pk>/status/",
        ConsistencyFlagViewSet.as_view({"post": "set_status"}),
        name="quality-flag-status",
    ),
]
