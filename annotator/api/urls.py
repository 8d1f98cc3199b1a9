"""Routes under /api/v1/. Bound explicitly with typed converters (STYLE rule 22)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.urls import include, path

from annotator.api.views.annotations import AnnotationViewSet, ItemAnnotationViewSet
from annotator.api.views.items import ItemViewSet
from annotator.api.views.projects import (
    ApiTokenViewSet,
    MemberViewSet,
    MeViewSet,
    ProjectViewSet,
    RubricViewSet,
    TaxonomyViewSet,
)
from annotator.api.views.ui import ProjectStatsViewSet

if TYPE_CHECKING:
    from rest_framework.decorators import ViewSetAction

P = "projects/<int:project_id>"
LIST: dict[str, str | ViewSetAction[Any]] = {"get": "list", "post": "create"}
urlpatterns = [
    path("me/", MeViewSet.as_view({"get": "retrieve"}), name="me"),
    path("tokens/", ApiTokenViewSet.as_view(LIST), name="token-list"),
    path(
        "tokens/<int:pk>/revoke/", ApiTokenViewSet.as_view({"post": "revoke"}), name="token-revoke"
    ),
    path("projects/", ProjectViewSet.as_view(LIST), name="project-list"),
    path(
        "projects/<int:pk>/",
        ProjectViewSet.as_view({"get": "retrieve", "patch": "partial_update"}),
        name="project-detail",
    ),
    path(f"{P}/members/", MemberViewSet.as_view(LIST), name="member-list"),
    path(
        f"{P}/members/<int:pk>/", MemberViewSet.as_view({"delete": "destroy"}), name="member-detail"
    ),
    path(f"{P}/taxonomies/", TaxonomyViewSet.as_view(LIST), name="taxonomy-list"),
    path(
        f"{P}/taxonomies/<int:pk>/",
        TaxonomyViewSet.as_view({"get": "retrieve", "put": "update"}),
        name="taxonomy-detail",
    ),
    path(
        f"{P}/taxonomies/<int:pk>/publish/",
        TaxonomyViewSet.as_view({"post": "publish"}),
        name="taxonomy-publish",
    ),
    path(f"{P}/rubrics/", RubricViewSet.as_view(LIST), name="rubric-list"),
    path(
        f"{P}/rubrics/<int:pk>/",
        RubricViewSet.as_view({"get": "retrieve", "put": "update"}),
        name="rubric-detail",
    ),
    path(
        f"{P}/rubrics/<int:pk>/publish/",
        RubricViewSet.as_view({"post": "publish"}),
        name="rubric-publish",
    ),
    path(f"{P}/items/", ItemViewSet.as_view({"get": "list"}), name="item-list"),
    path(f"{P}/items/next/", ItemViewSet.as_view({"post": "next"}), name="item-next"),
    path(f"{P}/items/<int:pk>/", ItemViewSet.as_view({"get": "retrieve"}), name="item-detail"),
    path(f"{P}/items/<int:pk>/skip/", ItemViewSet.as_view({"post": "skip"}), name="item-skip"),
    path(
        f"{P}/items/<int:item_id>/annotations/",
        ItemAnnotationViewSet.as_view({"post": "create"}),
        name="item-annotation-create",
    ),
    path(f"{P}/annotations/", AnnotationViewSet.as_view({"get": "list"}), name="annotation-list"),
    path(
        f"{P}/annotations/bulk/",
        AnnotationViewSet.as_view({"post": "bulk"}),
        name="annotation-bulk",
    ),
    path(
        f"{P}/annotations/<int:pk>/",
        AnnotationViewSet.as_view({"get": "retrieve", "put": "update"}),
        name="annotation-detail",
    ),
    path(
        f"{P}/annotations/<int:pk>/submit/",
        AnnotationViewSet.as_view({"post": "submit"}),
        name="annotation-submit",
    ),
    path(
        f"{P}/annotations/<int:pk>/review/",
        AnnotationViewSet.as_view({"post": "review"}),
        name="annotation-review",
    ),
    path("projects/<int:project_id>/imports/", include("annotator.api.import_urls")),
    path("projects/<int:project_id>/judges/", include("judges.api.urls")),
    # Dashboard aggregates for the browser app (annotator/api/views/ui.py).
    path(f"{P}/stats/", ProjectStatsViewSet.as_view({"get": "retrieve"}), name="project-stats"),
    path("projects/<int:project_id>/quality/", include("quality.api.urls")),
    path("projects/<int:project_id>/", include("rewards.api.urls")),
]
