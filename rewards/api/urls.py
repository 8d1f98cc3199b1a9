"""Routes under ``/api/v1/projects/<project_id>/`` (included from annotator/api/urls.py).
Bound explicitly with typed converters (STYLE rule 22)."""

from django.urls import path

from rewards.api.views import (
    RewardModelRunViewSet,
    RewardModelViewSet,
    ScoreJobViewSet,
    ScoreViewSet,
    TrainingRunViewSet,
    TriageViewSet,
    VersionViewSet,
)

M = "reward-models/<int:reward_model_id>"
urlpatterns = [
    path(
        "reward-models/",
        RewardModelViewSet.as_view({"get": "list", "post": "create"}),
        name="reward-model-list",
    ),
    path(
        "reward-models/<int:pk>/",
        RewardModelViewSet.as_view({"get": "retrieve", "patch": "partial_update"}),
        name="reward-model-detail",
    ),
    path(f"{M}/runs/", RewardModelRunViewSet.as_view({"post": "create"}), name="reward-model-run"),
    path(f"{M}/versions/", VersionViewSet.as_view({"get": "list"}), name="reward-model-versions"),
    path(
        f"{M}/versions/compare/",
        VersionViewSet.as_view({"get": "compare"}),
        name="reward-model-versions-compare",
    ),
    path(
        f"{M}/versions/<int:pk>/activate/",
        VersionViewSet.as_view({"post": "activate"}),
        name="reward-model-version-activate",
    ),
    path(
        f"{M}/rollback/",
        VersionViewSet.as_view({"post": "rollback"}),
        name="reward-model-rollback",
    ),
    path(f"{M}/score/", ScoreViewSet.as_view({"post": "create"}), name="reward-model-score"),
    path(f"{M}/triage/", TriageViewSet.as_view({"get": "list"}), name="reward-model-triage"),
    path("training-runs/", TrainingRunViewSet.as_view({"get": "list"}), name="training-run-list"),
    path(
        "training-runs/<int:pk>/",
        TrainingRunViewSet.as_view({"get": "retrieve"}),
        name="training-run-detail",
    ),
    path(
        "score-jobs/<int:pk>/",
        ScoreJobViewSet.as_view({"get": "retrieve"}),
        name="score-job-detail",
    ),
]
